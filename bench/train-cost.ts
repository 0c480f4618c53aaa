/**
 * What training the default detector costs (docs/evaluation.md, ETS fit round 29): `defaultDetector().train()`
 * on machine temperature's training part (3403 points, `mt`) and on the synthetic series of
 * bench/harness.ts (10,000 and 100,000 points), each run in a fresh process (cold JIT, as a user's
 * command), timed as CPU seconds of the process (every thread: V8's compilers too) and wall clock, with
 * the load average. `--against DIR` alternates another built checkout (e.g. main's) run by run, so that
 * both see the same load; `--dist DIR` loads this run's compiled modules from a built checkout.
 *
 *   npx tsx bench/train-cost.ts [--runs 5] [--sizes mt,10000,100000] [--against ../main]
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as DatasetsModule from '../src/datasets/index.js';
import type * as DefaultModule from '../src/detectors/default.js';
import { synthetic } from './harness.js';

const args = process.argv.slice(2);
const opt = (k: string): string | undefined => {
  const i = args.indexOf(k);
  return i < 0 ? undefined : args[i + 1];
};

if (opt('--child') !== undefined) {
  // one training in this process: prints "cpuMs wallMs"
  const size = opt('--child') as string;
  const dist = opt('--dist');
  const from = (rel: string) =>
    dist === undefined ? `../src/${rel}.js` : pathToFileURL(resolve(dist, 'dist/src', `${rel}.js`)).href;
  const { defaultDetector } = (await import(from('detectors/default'))) as typeof DefaultModule;
  let train: { t: Float64Array; v: Float64Array };
  if (size === 'mt') {
    const { loadNab } = (await import(from('datasets/index'))) as typeof DatasetsModule;
    const ds = await loadNab('realKnownCause/machine_temperature_system_failure.csv', {
      onWarning: () => {},
    });
    const nTrain = Math.floor(0.15 * ds.series.t.length) + 1;
    train = { t: ds.series.t.slice(0, nTrain), v: ds.series.v.slice(0, nTrain) };
  } else train = synthetic(Number(size), Date.UTC(2020, 0, 1));
  const det = defaultDetector();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  det.train(train);
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  console.log(`${(c.user + c.system) / 1000} ${wall}`);
} else {
  const runs = Number(opt('--runs') ?? 5);
  const sizes = (opt('--sizes') ?? 'mt,10000,100000').split(',');
  const here = resolve(fileURLToPath(import.meta.url), '../..');
  const builds: [string, string | undefined][] = [['this', opt('--dist')]];
  const against = opt('--against');
  if (against !== undefined) builds.unshift([`against ${against}`, resolve(against)]);
  const stat = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return `${s[0].toFixed(0)} / ${s[Math.floor(s.length / 2)].toFixed(0)} / ${s[s.length - 1].toFixed(0)}`;
  };
  for (const size of sizes) {
    const res = new Map(builds.map(([b]) => [b, { cpu: [] as number[], wall: [] as number[] }]));
    const load0 = loadavg()[0];
    for (let r = 0; r < runs; r++) {
      for (const [name, dist] of builds) {
        const extra = dist === undefined ? [] : ['--dist', dist];
        const p = spawnSync(
          process.execPath,
          ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', size, ...extra],
          { cwd: here, encoding: 'utf8' },
        );
        if (p.status !== 0) throw new Error(`${name} ${size} failed:\n${p.stderr}`);
        const [cpu, wall] = p.stdout.trim().split('\n').pop()!.split(' ').map(Number);
        res.get(name)!.cpu.push(cpu);
        res.get(name)!.wall.push(wall);
      }
    }
    const load1 = loadavg()[0];
    for (const [name, r] of res) {
      console.log(
        `${size.padEnd(7)} ${name.padEnd(24)} train CPU ms min/median/max ${stat(r.cpu)}   wall ${stat(r.wall)}   (${runs} runs, load ${load0.toFixed(1)} → ${load1.toFixed(1)})`,
      );
    }
  }
}
