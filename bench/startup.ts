/**
 * Start-up and whole-command timing, each command as a whole process (what a user waits for):
 * `npm run nab` (start-up, load, bin, train, score, evaluate, track, report) and `tsad --help`.
 * Median of 5 (after one warm-up), with min/max and peak RSS from /usr/bin/time.
 *
 * Where the time of `npm run nab` goes: the same command without npm (`node scripts/tsad.cjs nab
 * machine-temperature`: npm's own share is the difference), Node's own start (`node -e 0`), and the
 * command's stage timings (its `stages:` line, medians): what is left is module loading, the
 * build-freshness check and writing the output. `same, --threads 1` runs it without the forest
 * worker (docs/rcf.md, The forest worker) and `same, --threads 2` with it; the command starts it by
 * default only when the load average leaves a CPU free (so on a shared machine `same, without npm` is
 * mostly one thread): the load average is printed before and after. `same, code cache off`
 * compiles the command line from source (`TSAD_DISABLE_CODE_CACHE=1`; the other rows use the code
 * cache the warm-up run wrote, in a temporary cache folder: src/cli/code-cache.ts). When the
 * environment sets NODE_EXTRA_CA_CERTS, every Node process (npm's too) reads that certificate file
 * before running anything: `node -e 0`, `npm run nab` and `tsad --help` are also timed without it
 * (the variable set empty), to show that share.
 *
 * `--against DIR` adds two rows: another built checkout's command (e.g. main's, to see what a branch
 * changes) and this one's, both `--threads 2` without npm, run alternately so that both see the same
 * load (each build keeps its own code cache file: the cache's name holds the build).
 *
 *   npx tsx bench/startup.ts [--runs 5] [--against ../main]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
/** `--against DIR`: another built checkout, run alternately with this one (see `alternate`). */
const against = process.argv.includes('--against')
  ? resolve(process.argv[process.argv.indexOf('--against') + 1])
  : undefined;
if (!existsSync('/usr/bin/time'))
  throw new Error('bench/startup.ts needs /usr/bin/time (GNU time) for peak memory');
const tmp = mkdtempSync(join(tmpdir(), 'tsad-startup-'));

const stageMs = new Map<string, number[]>();

/** Wall, peak RSS and CPU of the runs of one command. */
interface Runs {
  readonly walls: number[];
  readonly rss: number[];
  readonly cpu: number[];
}

/** Runs `cmd` once and adds its figures to `into` (the stage timings too, for `npm run nab`). */
function runOnce(label: string, cmd: string[], env: NodeJS.ProcessEnv, into: Runs | null): void {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', ...cmd], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  if (r.status !== 0) throw new Error(`${label} failed:\n${r.stderr}`);
  const [wall, kb, user, sys] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  if (!into) return; // warm-up (file cache, first build, code cache)
  const stages = /^stages: (.*)$/m.exec(r.stdout)?.[1];
  if (stages && label === 'npm run nab') {
    for (const part of stages.split(', ')) {
      const m = /^(.*) (\d+) ms$/.exec(part);
      if (m) stageMs.set(m[1], [...(stageMs.get(m[1]) ?? []), Number(m[2])]);
    }
  }
  into.walls.push(wall);
  into.rss.push(kb / 1024);
  into.cpu.push(user + sys);
}

function measure(label: string, cmd: string[], env: NodeJS.ProcessEnv = {}): number {
  const got: Runs = { walls: [], rss: [], cpu: [] };
  for (let i = 0; i <= runs; i++) runOnce(label, cmd, env, i === 0 ? null : got);
  return report(label, got);
}

/**
 * Two commands run alternately (`--against DIR`: another checkout's build against this one), so
 * that both see the same load; one row each.
 */
function alternate(a: [string, string[]], b: [string, string[]], env: NodeJS.ProcessEnv): void {
  const got: [Runs, Runs] = [
    { walls: [], rss: [], cpu: [] },
    { walls: [], rss: [], cpu: [] },
  ];
  for (let i = 0; i <= runs; i++) {
    runOnce(a[0], a[1], env, i === 0 ? null : got[0]);
    runOnce(b[0], b[1], env, i === 0 ? null : got[1]);
  }
  report(a[0], got[0]);
  report(b[0], got[1]);
}

function report(label: string, { walls, rss, cpu }: Runs): number {
  const s = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const med = (xs: number[]) => s(xs)[xs.length >> 1];
  process.stdout.write(
    `${label.padEnd(22)} wall median ${med(walls).toFixed(2)} s (min ${s(walls)[0].toFixed(2)}, max ${s(walls).at(-1)!.toFixed(2)})` +
      `  CPU (user+sys) median ${med(cpu).toFixed(2)} s  peak RSS median ${med(rss).toFixed(0)} MiB (max ${s(rss).at(-1)!.toFixed(0)})\n`,
  );
  return med(walls);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

process.stdout.write(
  `load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} on this machine\n`,
);
try {
  const store = { TSAD_TRACKING_URI: `file:${join(tmp, 'store')}`, TSAD_CACHE_DIR: join(tmp, 'cache') };
  const npm = measure(
    'npm run nab',
    ['npm', 'run', '--silent', 'nab', '--', '--report', join(tmp, 'r.html')],
    store,
  );
  /** `npm run nab` without npm: the command itself, with `extra` options. */
  const nab = (...extra: string[]): string[] => [
    process.execPath,
    join(repo, 'scripts', 'tsad.cjs'),
    'nab',
    'machine-temperature',
    ...extra,
    '--report',
    join(tmp, 'r.html'),
  ];
  const direct = measure('same, without npm', nab(), store);
  // the forest worker off (`--threads 1`) and on (`--threads 2`): the default is 2 only when the load
  // average leaves a CPU free, so on a shared machine the row above is mostly one thread
  measure('same, --threads 1', nab('--threads', '1'), store);
  measure('same, --threads 2', nab('--threads', '2'), store);
  measure('same, code cache off', nab(), { ...store, TSAD_DISABLE_CODE_CACHE: '1' });
  const floor = measure('node -e 0', [process.execPath, '-e', '0']);
  if (process.env.NODE_EXTRA_CA_CERTS) {
    measure('node -e 0, no CA file', [process.execPath, '-e', '0'], { NODE_EXTRA_CA_CERTS: '' });
  }
  const help = [process.execPath, join(repo, 'dist', 'cli', 'main.js'), '--help'];
  measure('tsad --help', help, { TSAD_CACHE_DIR: join(tmp, 'cache') });
  if (process.env.NODE_EXTRA_CA_CERTS) {
    // what the two bars' commands take on a machine whose environment names no extra CA file
    measure(
      'npm run nab, no CA file',
      ['npm', 'run', '--silent', 'nab', '--', '--report', join(tmp, 'r.html')],
      {
        ...store,
        NODE_EXTRA_CA_CERTS: '',
      },
    );
    measure('tsad --help, no CA file', help, { TSAD_CACHE_DIR: join(tmp, 'cache'), NODE_EXTRA_CA_CERTS: '' });
  }
  if (against) {
    // both builds with the forest worker (the default only when a CPU is free), each its own cache
    const bin = (root: string, cache: string): string[] => [
      process.execPath,
      join(root, 'dist', 'cli', 'main.js'),
      'nab',
      'machine-temperature',
      '--threads',
      '2',
      '--report',
      join(tmp, 'r.html'),
      ...['--uri', `file:${join(tmp, `store-${cache}`)}`],
    ];
    process.stdout.write(`\nalternating with ${against} (--threads 2, no npm):\n`);
    alternate(['that build', bin(against, 'that')], ['this build', bin(repo, 'this')], {
      TSAD_CACHE_DIR: join(tmp, 'cache-ab'),
    });
  }
  const stages = [...stageMs].map(([k, v]) => [k, median(v) / 1000] as const);
  const inStages = stages.reduce((a, [, x]) => a + x, 0);
  process.stdout.write(
    `\nnpm run nab, median wall ${npm.toFixed(2)} s: npm's own share ${(npm - direct).toFixed(2)} s; Node start ${floor.toFixed(2)} s; ` +
      `stages ${inStages.toFixed(2)} s (${stages.map(([k, x]) => `${k} ${x.toFixed(3)}`).join(', ')}); ` +
      `the rest (module loading, freshness check, output) ${(direct - floor - inStages).toFixed(2)} s\n`,
  );
  process.stdout.write(
    `load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} at the end\n`,
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
