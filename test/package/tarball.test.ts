/**
 * The package as a user gets it: `npm pack`, installed into a fresh consumer project. ESM and CommonJS
 * imports run and type-check under module node16, nodenext and bundler; the config docs survive in
 * the .d.ts; publint and arethetypeswrong find no problem; `tsad train`, `tsad detect` and
 * `tsad models promote/rollback` work end to end on a CSV written here.
 * Needs `npm run build` first (CI builds before testing); installs dependencies from the npm cache.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '..', '..');
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
let dir: string;
let consumer: string;
let tarball: string;

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 240_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(join(repo, 'dist', 'cjs', 'index.cjs')))
    throw new Error('run `npm run build` before this test');
  dir = mkdtempSync(join(tmpdir(), 'tsad-pack-'));
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: repo, encoding: 'utf8' }),
  ) as { filename: string }[];
  tarball = join(dir, packed[0].filename);
  consumer = join(dir, 'consumer');
  mkdirSync(consumer);
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }),
  );
  const r = run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball],
    consumer,
  );
  if (r.code !== 0) throw new Error(`npm install of the tarball failed:\n${r.stderr}`);
  // the consumer type-checks with the repo's TypeScript and Node types
  mkdirSync(join(consumer, 'node_modules', '@types'), { recursive: true });
  symlinkSync(join(repo, 'node_modules', '@types', 'node'), join(consumer, 'node_modules', '@types', 'node'));
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the installed package', () => {
  it('ships no source maps, no tests, and both builds', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    expect(files.some((f) => f.endsWith('.map'))).toBe(false);
    expect(files.some((f) => f.startsWith('package/test/') || f.startsWith('package/src/'))).toBe(false);
    expect(files).toContain('package/dist/src/index.js');
    expect(files).toContain('package/dist/cjs/index.cjs');
    expect(files).toContain('package/dist/cjs/index.d.cts');
    const pj = JSON.parse(readFileSync(join(consumer, 'node_modules', 'tsad', 'package.json'), 'utf8'));
    expect(pj.repository.url).toMatch(/^git\+https:\/\//);
    expect(typeof pj.homepage).toBe('string');
    expect(typeof pj.bugs.url).toBe('string');
  });

  it('loads with import and with require, and both score the same', () => {
    writeFileSync(
      join(consumer, 'esm.mjs'),
      `import { defaultDetector, TsadError, DEFAULT_ALARM_RULE } from 'tsad';
import { createService } from 'tsad/serve';
import { renderExperimentReport } from 'tsad/report';
import { evaluate as evaluateLayer } from 'tsad/metrics';
const t = Float64Array.from({ length: 400 }, (_, i) => i * 60000);
const v = Float64Array.from({ length: 400 }, (_, i) => Math.sin(i / 10) + (i === 350 ? 9 : 0));
const d = defaultDetector({ seed: 0 }); d.train({ t: t.subarray(0, 300), v: v.subarray(0, 300) });
const s = d.score({ t: t.subarray(300), v: v.subarray(300) });
console.log(JSON.stringify({ kind: typeof createService, report: typeof renderExperimentReport, layer: typeof evaluateLayer, err: typeof TsadError, rule: DEFAULT_ALARM_RULE.minAlmInWindow, sum: Array.from(s.v).reduce((a, b) => a + b, 0) }));
`,
    );
    writeFileSync(
      join(consumer, 'cjs.cjs'),
      `const { defaultDetector, TsadError, DEFAULT_ALARM_RULE } = require('tsad');
const { createService } = require('tsad/serve');
const { renderExperimentReport } = require('tsad/report');
const { evaluate: evaluateLayer } = require('tsad/metrics');
const t = Float64Array.from({ length: 400 }, (_, i) => i * 60000);
const v = Float64Array.from({ length: 400 }, (_, i) => Math.sin(i / 10) + (i === 350 ? 9 : 0));
const d = defaultDetector({ seed: 0 }); d.train({ t: t.subarray(0, 300), v: v.subarray(0, 300) });
const s = d.score({ t: t.subarray(300), v: v.subarray(300) });
console.log(JSON.stringify({ kind: typeof createService, report: typeof renderExperimentReport, layer: typeof evaluateLayer, err: typeof TsadError, rule: DEFAULT_ALARM_RULE.minAlmInWindow, sum: Array.from(s.v).reduce((a, b) => a + b, 0) }));
`,
    );
    const esm = run(process.execPath, ['esm.mjs'], consumer);
    const cjs = run(process.execPath, ['cjs.cjs'], consumer);
    expect(esm.stderr).toBe('');
    expect(cjs.stderr).toBe('');
    const a = JSON.parse(esm.stdout);
    expect(a).toMatchObject({
      kind: 'function',
      report: 'function',
      layer: 'function',
      err: 'function',
      rule: 2,
    });
    expect(Number.isFinite(a.sum)).toBe(true);
    expect(JSON.parse(cjs.stdout)).toEqual(a);
  });

  it.each([
    ['node16', 'node16'],
    ['nodenext', 'nodenext'],
    ['esnext', 'bundler'],
  ])(
    'type-checks ESM and CommonJS consumers with module %s / moduleResolution %s',
    (module, resolution) => {
      const d = join(consumer, `ts-${resolution}`);
      mkdirSync(d);
      const body = `
const det = defaultDetector({ seed: 1, threshold: { minAlmInWindow: 1 } });
const n: number = DEFAULT_ALARM_RULE.almWindowMinutes;
const make: typeof createService = createService;
const render: (input: Parameters<typeof renderExperimentReport>[0]) => string = renderExperimentReport;
export const out = [det.type, n, typeof make, typeof render];
`;
      writeFileSync(
        join(d, 'a.mts'),
        `import { defaultDetector, DEFAULT_ALARM_RULE } from 'tsad';\nimport { createService } from 'tsad/serve';\nimport { renderExperimentReport } from 'tsad/report';\n${body}`,
      );
      if (resolution !== 'bundler') {
        writeFileSync(
          join(d, 'b.cts'),
          `import { defaultDetector, DEFAULT_ALARM_RULE } from 'tsad';\nimport { createService } from 'tsad/serve';\nimport { renderExperimentReport } from 'tsad/report';\n${body}`,
        );
      }
      writeFileSync(
        join(d, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module,
            moduleResolution: resolution,
            target: 'es2022',
            strict: true,
            noEmit: true,
            skipLibCheck: false,
            types: ['node'],
            typeRoots: [join(consumer, 'node_modules', '@types')],
          },
          include: ['*.mts', '*.cts'],
        }),
      );
      const r = run(process.execPath, [tsc, '-p', d], d);
      expect(r.stdout + r.stderr).toBe('');
      expect(r.code).toBe(0);
    },
    180_000,
  ); // one tsc process per case: ~10 s alone, over 60 s on a loaded 2-core machine

  it('keeps the JSDoc of config fields in the .d.ts (what an IDE shows on hover)', () => {
    const root = join(consumer, 'node_modules', 'tsad', 'dist');
    for (const f of ['src/detectors/default.d.ts', 'cjs/detectors/default.d.cts']) {
      const text = readFileSync(join(root, f), 'utf8');
      expect(text).toMatch(/\/\*\* Seed of every random choice[^*]*\*\/\s*seed\?: number;/);
      expect(text).toMatch(/\/\*\* Overrides of the ensemble's alarm rule[^*]*\*\/\s*threshold\?:/);
    }
    // the MLOps loop's entry points carry their own summary (usab29: these showed nothing on hover)
    for (const [f, declaration] of [
      ['src/lifecycle/simulate.d.ts', 'export declare function simulate('],
      ['cjs/lifecycle/simulate.d.cts', 'export declare function simulate('],
      ['src/lifecycle/monitor.d.ts', 'export declare class Monitor '],
      ['src/serve/service.d.ts', 'export declare function createService('],
      ['cjs/serve/service.d.cts', 'export declare function createService('],
    ]) {
      const text = readFileSync(join(root, f), 'utf8');
      const at = text.indexOf(declaration);
      expect(at, `${f}: ${declaration}`).toBeGreaterThan(0);
      expect(text.slice(0, at).trimEnd().endsWith('*/'), `${f}: no JSDoc right before ${declaration}`).toBe(
        true,
      );
    }
  });

  it('passes publint and arethetypeswrong', () => {
    const bin = (name: string) => join(repo, 'node_modules', '.bin', name);
    const pl = run(bin('publint'), ['--strict', join(consumer, 'node_modules', 'tsad')], consumer);
    expect(pl.code, pl.stdout + pl.stderr).toBe(0);
    expect(pl.stdout).not.toMatch(/Errors|Warnings/);
    const attw = run(bin('attw'), [tarball, '--profile', 'node16', '--format', 'json'], consumer);
    expect(attw.code, attw.stdout + attw.stderr).toBe(0);
    // node10 (TypeScript's legacy `moduleResolution: node`) cannot see subpath exports at all; not supported
    const report = JSON.parse(attw.stdout) as { analysis: { problems: { resolutionKind?: string }[] } };
    expect(report.analysis.problems.filter((p) => p.resolutionKind !== 'node10')).toEqual([]);
  });

  it('runs tsad train, detect and models promote/rollback end to end on a CSV', () => {
    const t0 = Date.parse('2024-01-01T00:00:00Z');
    let csv = 'timestamp,value,label\n';
    for (let i = 0; i < 3000; i++) {
      const spike = i >= 2500 && i <= 2502;
      csv += `${new Date(t0 + i * 300_000).toISOString()},${(10 + Math.sin(i / 20) + 0.05 * Math.cos(i * 7.3) + (spike ? 8 : 0)).toFixed(4)},${spike ? 1 : 0}\n`;
    }
    writeFileSync(join(consumer, 'data.csv'), csv);
    const tsad = join(consumer, 'node_modules', '.bin', 'tsad');
    const env = {
      TSAD_TRACKING_URI: 'file:./store',
      XDG_CACHE_HOME: join(dir, 'cache'),
      TSAD_CACHE_DIR: '',
      TSAD_DISABLE_CODE_CACHE: '',
    };
    const train = (until: string) =>
      run(
        tsad,
        ['train', 'data.csv', '--detector', 'zms', '--until', until, '--register', 'demo', '--json'],
        consumer,
        env,
      );
    const t1 = train('2024-01-08');
    expect(t1.code, t1.stderr).toBe(0);
    const r1 = JSON.parse(t1.stdout);
    expect(r1).toMatchObject({ detector: 'zms', rows: 2016, model: { name: 'demo', version: 1 } });
    expect(t1.stderr).toMatch(/training zms on 2016 rows/); // progress goes to stderr

    const promote1 = run(tsad, ['models', 'promote', 'demo', '1', '--alias', 'champion'], consumer, env);
    expect(promote1.stdout).toBe('demo@champion: - → v1\n');
    const det = run(
      tsad,
      [
        'detect',
        'data.csv',
        '--model',
        'models:/demo@champion',
        '--after',
        '2024-01-08',
        '--labels',
        'label',
        '--json',
      ],
      consumer,
      env,
    );
    expect(det.code, det.stderr).toBe(0);
    const d = JSON.parse(det.stdout);
    expect(d.rows).toBe(3000 - 2016);
    expect(d.alarms.length).toBeGreaterThan(0);
    const inSpike = (a: { t: string }) =>
      a.t >= '2024-01-09T16:20:00.000Z' && a.t <= '2024-01-09T16:40:00.000Z';
    expect(d.alarms.some(inSpike), JSON.stringify(d.alarms)).toBe(true);
    expect(d.metrics.recall).toBe(1);
    const csvOut = run(
      tsad,
      ['detect', 'data.csv', '--model', 'models:/demo@champion', '--csv', '-q'],
      consumer,
      env,
    );
    expect(csvOut.stdout.split('\n')[0]).toBe('timestamp,value,score,alarm');
    expect(csvOut.stdout.trim().split('\n')).toHaveLength(3001);

    expect(train('2024-01-09').code).toBe(0);
    expect(run(tsad, ['models', 'promote', 'demo', '2'], consumer, env).stdout).toBe(
      'demo@champion: v1 → v2\n',
    );
    const list = JSON.parse(run(tsad, ['models', 'list', '--json'], consumer, env).stdout);
    expect(list[0].aliases).toEqual({ champion: 2 });
    expect(run(tsad, ['models', 'rollback', 'demo'], consumer, env).stdout).toBe('demo@champion: v2 → v1\n');
    const after = JSON.parse(run(tsad, ['models', 'list', '--json'], consumer, env).stdout);
    expect(after[0].aliases).toEqual({ champion: 1 });

    // exit codes by error class
    expect(run(tsad, ['detect', 'data.csv', '--model', 'missing.json'], consumer, env).code).toBe(4);
    expect(run(tsad, ['detect', 'nope.csv', '--model', 'models:/demo@champion'], consumer, env).code).toBe(3);
    expect(run(tsad, ['models', 'promote', 'demo', '9'], consumer, env).code).toBe(5);
    expect(run(tsad, ['train', 'data.csv', '--bogus'], consumer, env).code).toBe(2);
    expect(run(tsad, ['--help'], consumer, env).code).toBe(0);
    // the command line's code cache is in the user cache folder, one file per command (docs/architecture.md)
    const cached = readdirSync(join(dir, 'cache', 'tsad', 'code-cache'));
    for (const cmd of ['train', 'detect', 'models-promote', 'main']) {
      expect(
        cached.some((f) => f.endsWith(`-${cmd}.bin`)),
        cached.join(', '),
      ).toBe(true);
    }
    // nothing written but the store the user named
    expect(existsSync(join(consumer, 'tsad-runs'))).toBe(false);
    expect(existsSync(join(consumer, 'node_modules', 'tsad', 'datasets'))).toBe(false);
  });
});
