/**
 * The workloads of docs/rcf.md, round 5 (Speed), with a checksum (SHA-256 over the scores and the
 * model file) so that two builds can be compared for bit-identity as well as speed:
 *
 *   npx tsx bench/rcf-speed.ts stream 100000     # default detector: train on --train points, stream N
 *   npx tsx bench/rcf-speed.ts forest 30000      # bare 20×512 forest, raw 5-shingles, streamed
 *   npx tsx bench/rcf-speed.ts rows 100000       # the same forest, one tree-by-tree batch (training's path)
 *
 * Options: `--train N` (stream mode, default 10000), `--trees N` (stream mode: the default with N trees in
 * its forest, forest round 40 of docs/evaluation.md; absent: the default as it is), `--dist DIR` (load the compiled modules of the
 * checkout at DIR, e.g. `.` after `npm run build`, instead of `src/`). Instruction counts, which
 * repeat on a busy machine: `valgrind --tool=callgrind node --single-threaded --import tsx
 * bench/rcf-speed.ts --dist . stream 100000`, minus the same with `stream 0`.
 */
import { createHash } from 'node:crypto';
import type * as DefaultModule from '../src/detectors/default.js';
import type * as ForestModule from '../src/detectors/rcf/forest.js';
import { distModules } from './dist.js';
import { synthetic } from './harness.js';

const args = process.argv.slice(2);
const opt = (k: string): string | undefined => {
  const i = args.indexOf(k);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const dist = opt('--dist');
const trainN = Number(opt('--train') ?? 10_000);
const treesArg = opt('--trees');
const trees = treesArg === undefined ? undefined : Number(treesArg);
const [mode = 'stream', nArg = '100000'] = args;
const n = Number(nArg);
const from = distModules(dist);
const { defaultDetector } = (await import(from('detectors/default'))) as typeof DefaultModule;
const { CutForest } = (await import(from('detectors/rcf/forest'))) as typeof ForestModule;

const h = createHash('sha256');
const cpuS = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1e6;
if (mode === 'stream') {
  const all = synthetic(trainN + n, Date.UTC(2020, 0, 1));
  const det = trees === undefined ? defaultDetector() : defaultDetector({ rcf: { nEstimators: trees } });
  det.train({ t: all.t.subarray(0, trainN), v: all.v.subarray(0, trainN) });
  const st = det.stream();
  const scores = new Float64Array(n);
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) scores[i] = st.push(all.t[trainN + i], all.v[trainN + i]).score;
  const s = cpuS(process.cpuUsage(c0));
  h.update(new Uint8Array(scores.buffer));
  h.update(JSON.stringify(det.toJSON()));
  console.log(
    `stream ${n} after training on ${trainN}: ${(s * 1000).toFixed(0)} ms CPU, ${(n / s / 1000).toFixed(1)} k points/s`,
  );
} else if (mode === 'forest' || mode === 'rows') {
  const d = 5;
  const { v } = synthetic(n + d, 0);
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = v[i + j];
  const f = new CutForest({ dimensions: d, numberOfTrees: 20, sampleSize: 512, seed: 0 });
  const out = new Float64Array(n);
  const c0 = process.cpuUsage();
  if (mode === 'rows') f.scoreThenUpdateRows(x, n, out);
  else for (let i = 0; i < n; i++) out[i] = f.scoreThenUpdate(x, i * d);
  const s = cpuS(process.cpuUsage(c0));
  h.update(new Uint8Array(out.buffer));
  h.update(JSON.stringify(f.toJSON()));
  console.log(`${mode} ${n}: ${(s * 1000).toFixed(0)} ms CPU, ${(n / s / 1000).toFixed(1)} k points/s`);
} else {
  throw new Error(`unknown mode ${mode} (stream, forest or rows)`);
}
console.log(`checksum ${h.digest('hex').slice(0, 16)}`);
