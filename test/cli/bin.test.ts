/**
 * The built bin (CI builds first) running `tsad nab machine-temperature` to the end as its own
 * process, twice: the first run compiles the command line from source and leaves its code cache in
 * the user cache folder (src/cli/code-cache.ts, written at exit); the second compiles from that
 * cache and prints the same result. Both leave a complete report and a FINISHED tracked run whose
 * model loads.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openTracker } from '../../src/index.js';

const repo = resolve(import.meta.dirname, '..', '..');
const cli = join(repo, 'dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'tsad-bin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function nab(report: string) {
  const r = spawnSync(
    process.execPath,
    [cli, 'nab', 'machine-temperature', '--json', '--report', join(dir, report), '--threads', '2'],
    {
      cwd: dir,
      encoding: 'utf8',
      env: {
        ...process.env,
        TSAD_TRACKING_URI: `file:${join(dir, 'store')}`,
        TSAD_CACHE_DIR: join(dir, 'cache'),
        TSAD_DISABLE_CODE_CACHE: '',
      },
      timeout: 240_000,
    },
  );
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { f1: number; alarms: unknown[]; runId: string; modelVersion: number };
}

describe('the bin, nab machine-temperature to the end', () => {
  it('runs to the end twice, the second time from its code cache, with the same result', async () => {
    const first = nab('r1.html');
    expect(first.alarms).toHaveLength(10);
    const cached = readdirSync(join(dir, 'cache', 'code-cache')).filter((f) =>
      f.endsWith('-nab-machine-temperature.bin'),
    );
    expect(cached).toHaveLength(1);
    const inode = statSync(join(dir, 'cache', 'code-cache', cached[0])).ino;
    const second = nab('r2.html');
    // V8 took the cache: a run whose cache was missing or refused writes a new file (renamed into place)
    expect(readdirSync(join(dir, 'cache', 'code-cache'))).toEqual(cached);
    expect(statSync(join(dir, 'cache', 'code-cache', cached[0])).ino).toBe(inode);
    expect({ ...second, runId: '', modelVersion: 0, timings: [], reportPath: '' }).toEqual({
      ...first,
      runId: '',
      modelVersion: 0,
      timings: [],
      reportPath: '',
    });
    expect(second.modelVersion).toBe(first.modelVersion + 1);
    for (const r of ['r1.html', 'r2.html'])
      expect(readFileSync(join(dir, r), 'utf8')).toMatch(/<\/html>\s*$/);
    const tracker = openTracker(`file:${join(dir, 'store')}`);
    try {
      for (const { runId } of [first, second]) {
        const run = await tracker.getRun(runId);
        expect(run.info.status).toBe('FINISHED');
        expect(run.data.metrics.f1.value).toBe(first.f1);
      }
      const model = await tracker.loadModel(`models:/nab-machine-temperature/${second.modelVersion}`);
      expect(typeof model.score).toBe('function');
    } finally {
      await tracker.close();
    }
  });
});

describe('the bin and the forest worker bundle, as files', () => {
  it('the bin is CommonJS (no ES module loader at start), and the worker bundle loads as an ES module and reports ready', () => {
    // dist/cli/package.json makes main.js CommonJS: `require` of it works, where an ES module would throw
    expect(JSON.parse(readFileSync(join(repo, 'dist', 'cli', 'package.json'), 'utf8'))).toEqual({
      type: 'commonjs',
    });
    expect(readFileSync(cli, 'utf8')).toMatch(/\brequire\("node:vm"\)/);
    // the worker CLI forests start (its name is rewritten into the bundle at build time): it loads
    // and sets its ready flag, as `preStartForestWorker` waits for
    const worker = join(repo, 'dist', 'cli', 'forest-worker.mjs');
    const bundleBytes = readFileSync(join(repo, 'dist', 'cli', 'tsad.cjs'));
    expect(bundleBytes.toString('utf8')).toContain('/cli/forest-worker.mjs"');
    // the bundle is ASCII (build-cli escapes what esbuild leaves in comments), so the bin reads it
    // as a one-byte latin1 string (src/cli/code-cache.ts)
    expect(bundleBytes.findIndex((b) => b > 0x7f)).toBe(-1);
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `const { Worker } = require('node:worker_threads');
const ready = new Int32Array(new SharedArrayBuffer(4));
const w = new Worker(${JSON.stringify(worker)}, { workerData: { batch: ready.buffer } });
w.on('error', (e) => { console.error(e); process.exit(2); });
const t0 = Date.now();
const poll = setInterval(() => {
  if (Atomics.load(ready, 0) === 1) { console.log('ready'); process.exit(0); }
  if (Date.now() - t0 > 60000) process.exit(3);
}, 5);`,
      ],
      { encoding: 'utf8', timeout: 90_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ready');
  });
});

describe("npm run's entry (scripts/tsad.cjs)", () => {
  /** `node [-r probe] script --version`: its output, and the ES module loader's parts Node loaded. */
  function version(script: string): { out: string; esm: string[] } {
    const probe = join(dir, 'esm-probe.cjs');
    writeFileSync(
      probe,
      "process.on('exit', () => process._rawDebug('ESM ' + process.moduleLoadList.filter((m) => m.includes('/esm/')).join(',')));\n",
    );
    const r = spawnSync(process.execPath, ['-r', probe, join(repo, 'scripts', script), '--version'], {
      encoding: 'utf8',
      env: { ...process.env, TSAD_CACHE_DIR: join(dir, 'cache') },
      timeout: 240_000,
    });
    expect(r.status, r.stderr).toBe(0);
    return { out: r.stdout, esm: (/^ESM (.*)$/m.exec(r.stderr)?.[1] ?? '').split(',') };
  }

  it('is what `npm run nab` and `npm run tsad` run, starts without the ES module loader, and tsad.mjs runs the same', () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.nab).toBe('node scripts/tsad.cjs nab machine-temperature');
    expect(pkg.scripts.tsad).toBe('node scripts/tsad.cjs');
    const cjs = version('tsad.cjs');
    const mjs = version('tsad.mjs');
    expect(cjs.out).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(mjs.out).toBe(cjs.out);
    // an ES module entry runs through the loader's module jobs; the CommonJS entry never does
    expect(mjs.esm).toContain('NativeModule internal/modules/esm/module_job');
    expect(cjs.esm).not.toContain('NativeModule internal/modules/esm/module_job');
  });
});

/**
 * The built bin run with a preloaded probe that records, in order, each `new Worker` and the read of
 * the command line's bundle (dist/cli/tsad.cjs), printed at exit.
 */
function probed(args: string[]): { status: number | null; events: string[]; stderr: string } {
  const probe = join(dir, 'worker-probe.cjs');
  writeFileSync(
    probe,
    `const wt = require('node:worker_threads');
const fs = require('node:fs');
const events = [];
const W = wt.Worker;
wt.Worker = class extends W { constructor(...a) { events.push('worker'); super(...a); } };
const read = fs.readFileSync;
fs.readFileSync = function (p, ...rest) {
  if (typeof p === 'string' && p.endsWith('tsad.cjs')) events.push('bundle');
  return read.call(this, p, ...rest);
};
process.on('exit', () => process._rawDebug('EVENTS ' + events.join(',')));
`,
  );
  const r = spawnSync(process.execPath, ['-r', probe, cli, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, TSAD_CACHE_DIR: join(dir, 'cache') },
    timeout: 240_000,
  });
  return {
    status: r.status,
    events: (/^EVENTS (.*)$/m.exec(r.stderr)?.[1] ?? '').split(','),
    stderr: r.stderr,
  };
}

const MT = ['nab', 'machine-temperature'];

describe('the bin starts the forest worker before the bundle (start-up round 28)', () => {
  it('starts the worker before it reads the bundle, and the command uses that one (no second worker)', () => {
    const r = probed([...MT, '--threads', '2', '--no-track', '--no-report', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.events).toEqual(['worker', 'bundle']);
  });

  it('starts none with --threads 1', () => {
    const r = probed([...MT, '--threads', '1', '--no-track', '--no-report', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.events).toEqual(['bundle']);
  });

  it('a command that fails before its experiment still ends, with its error and exit code', () => {
    const r = probed([...MT, '--threads', '2', '--no-track', '--no-report', '-d', 'noSuchRecipe']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown detector "noSuchRecipe"/);
    expect(r.events).toEqual(['worker', 'bundle']);
  });
});
