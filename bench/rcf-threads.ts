/**
 * Experiment: does splitting the trees of a streaming forest over two threads pay on this
 * machine? The main thread and one worker each own a CutForest of T/2 trees (their own seeds);
 * per point, the main thread writes the shingle into shared memory, both score-then-update
 * their half, and the main thread spins until the worker's partial sum is there. Compared with
 * one thread running all T trees on the same points.
 *
 *   npx tsx bench/rcf-threads.ts [--n 30000] [--trees 100] [--samples 256] [--shingle 4]
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { CutForest } from '../src/detectors/rcf/forest.js';
import { synthetic } from './harness.js';

interface Params {
  n: number;
  T: number;
  S: number;
  d: number;
  ctrl?: SharedArrayBuffer;
  data?: SharedArrayBuffer;
}

/** Shingles of width `d` of the first differences of the throughput benches' synthetic series. */
function series(n: number, d: number): Float64Array {
  const { v } = synthetic(n + d + 1, 0);
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = v[i + j + 1] - v[i + j];
  return x;
}

function workerMain(p: Params): void {
  const ctrl = new Int32Array(p.ctrl!);
  const data = new Float64Array(p.data!);
  const f = new CutForest({ dimensions: p.d, numberOfTrees: p.T / 2, sampleSize: p.S, seed: 2 });
  let last = 0;
  parentPort!.postMessage('ready');
  for (;;) {
    let seq = Atomics.load(ctrl, 0);
    let spins = 0;
    while (seq === last) {
      if (++spins > 1 << 16) Atomics.wait(ctrl, 0, last, 1);
      seq = Atomics.load(ctrl, 0);
    }
    if (seq < 0) return;
    data[p.d] = f.scoreThenUpdate(data, 0);
    last = seq;
    Atomics.store(ctrl, 1, seq);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const get = (k: string, dflt: number) => {
    const i = args.indexOf(k);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const n = get('--n', 30_000);
  const T = get('--trees', 100);
  const S = get('--samples', 256);
  const d = get('--shingle', 4);
  const x = series(2 * n, d);

  const one = new CutForest({ dimensions: d, numberOfTrees: T, sampleSize: S, seed: 1 });
  for (let i = 0; i < n; i++) one.scoreThenUpdate(x, i * d);
  let t0 = performance.now();
  for (let i = n; i < 2 * n; i++) one.scoreThenUpdate(x, i * d);
  const single = n / ((performance.now() - t0) / 1000);

  const ctrl = new SharedArrayBuffer(8);
  const data = new SharedArrayBuffer(8 * (d + 1));
  const c = new Int32Array(ctrl);
  const buf = new Float64Array(data);
  // Worker threads do not inherit tsx's loader: register it in the worker, then load this file.
  const api = import.meta.resolve('tsx/esm/api');
  const me = JSON.stringify(import.meta.url);
  const boot = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${me}, ${me}));`;
  const w = new Worker(boot, { eval: true, workerData: { n, T, S, d, ctrl, data } });
  await new Promise((r) => w.once('message', r));
  const half = new CutForest({ dimensions: d, numberOfTrees: T / 2, sampleSize: S, seed: 1 });
  let seq = 0;
  let check = 0;
  const step = (i: number) => {
    for (let j = 0; j < d; j++) buf[j] = x[i * d + j];
    Atomics.store(c, 0, ++seq);
    const a = half.scoreThenUpdate(x, i * d);
    while (Atomics.load(c, 1) !== seq) {}
    check += (a + buf[d]) / 2;
  };
  for (let i = 0; i < n; i++) step(i);
  t0 = performance.now();
  for (let i = n; i < 2 * n; i++) step(i);
  const two = n / ((performance.now() - t0) / 1000);
  Atomics.store(c, 0, -1);
  Atomics.notify(c, 0);
  await w.terminate();
  console.log(
    `T=${T} S=${S} d=${d}: one thread ${single.toFixed(0)} points/s; two threads (T/2 each) ${two.toFixed(0)} points/s (${(two / single).toFixed(2)}×) [${check > 0}]`,
  );
}

if (isMainThread) await main();
else workerMain(workerData as Params);
