/**
 * Core RandomCutForest streaming loop without the detector wrapper: CutForest.scoreThenUpdate
 * on differenced shingles of the bench series, split into score-only and update-only time.
 *
 *   npx tsx bench/rcf-core.ts [--n 50000] [--trees 100] [--samples 256] [--shingle 4] [--threads 1]
 *
 * With --threads 2 it reports the streaming rate only (score and update are not separable).
 */

import { CutForest } from '../src/detectors/rcf/forest.js';
import { synthetic } from './harness.js';

const args = process.argv.slice(2);
const get = (k: string, dflt: number) => {
  const i = args.indexOf(k);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const n = get('--n', 50_000);
const T = get('--trees', 100);
const S = get('--samples', 256);
const d = get('--shingle', 4);
const threads = get('--threads', 1);

// Same synthetic series as the other detector benchmarks (bench/harness.ts), differenced and shingled.
const m = 2 * n + d + 1;
const { v } = synthetic(m, 0);
const rows = 2 * n;
const x = new Float64Array(rows * d);
for (let i = 0; i < rows; i++) for (let j = 0; j < d; j++) x[i * d + j] = v[i + j + 1] - v[i + j];

const f = new CutForest({ dimensions: d, numberOfTrees: T, sampleSize: S, seed: 1, threads });
let t0 = performance.now();
for (let i = 0; i < n; i++) f.scoreThenUpdate(x, i * d);
const warm = performance.now() - t0;
if (threads > 1) {
  t0 = performance.now();
  let c = 0;
  for (let i = n; i < rows; i++) c += f.scoreThenUpdate(x, i * d);
  const ms = performance.now() - t0;
  console.log(
    `d=${d} T=${T} S=${S} n=${n} threads=${threads}: stream ${(n / (ms / 1000)).toFixed(0)} pts/s; checksum ${c}`,
  );
  f.close();
  process.exit(0);
}
let sc = 0;
let up = 0;
let check = 0;
for (let i = n; i < rows; i++) {
  t0 = performance.now();
  check += f.score(x, i * d);
  const t1 = performance.now();
  f.update(x, i * d);
  const t2 = performance.now();
  sc += t1 - t0;
  up += t2 - t1;
}
const total = sc + up;
console.log(
  `d=${d} T=${T} S=${S} n=${n}: warm-up ${(n / (warm / 1000)).toFixed(0)} pts/s; stream ${(n / (total / 1000)).toFixed(0)} pts/s; score ${((sc * 1e3) / n).toFixed(2)} µs/pt, update ${((up * 1e3) / n).toFixed(2)} µs/pt; checksum ${check}`,
);
