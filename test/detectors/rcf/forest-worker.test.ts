import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  CutForest,
  forestWorkerStatus,
  startForestWorker,
  stopForestWorker,
} from '../../../src/detectors/index.js';
import { defaultDetector, Ensemble } from '../../../src/index.js';
import {
  dropEarlyBatchWorker,
  earlyBatchWorkerWaiting,
  preStartForestWorker,
  startBinBatchWorker,
  takeEarlyBatchWorker,
} from '../../../src/internal.js';
import { centredNoise } from '../../helpers/random.js';

/** The forest worker's bundle the bin starts (built by `npm run build`, as CI does first). */
const workerBundle = join(resolve(import.meta.dirname, '..', '..', '..'), 'dist', 'cli', 'forest-worker.mjs');

/** Deterministic pseudo-random rows (a tiny LCG, independent of the forest's generator). */
function rows(n: number, d: number, seed: number): Float64Array {
  const out = centredNoise(n * d, seed);
  for (let i = 0; i < out.length; i += 97) out[i] += 4;
  return out;
}

const opts = { dimensions: 3, numberOfTrees: 9, sampleSize: 64, seed: 5 };
const N = 3000; // 9 trees × 3000 rows: above the size where batches go to the worker

/** Two batches (the second continues the first), their scores and the model file. */
function twoBatches(f: CutForest, x: Float64Array, y: Float64Array): { s: number[]; json: unknown } {
  const a = new Float64Array(N);
  const b = new Float64Array(N);
  f.scoreThenUpdateRows(x, N, a);
  f.scoreThenUpdateRows(y, N, b);
  return { s: [...a, ...b], json: f.toJSON() };
}

/** `n` five-minute points of a cycle with a spike at 3,100: the first 2,000 train, the rest test. */
function cycleWithSpike(n: number) {
  const t = Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * 300_000);
  const v = Float64Array.from(
    { length: n },
    (_, i) => 50 + 10 * Math.sin(i / 40) + (i % 7) * 0.3 + (i === 3100 ? 30 : 0),
  );
  return {
    t,
    v,
    train: { t: t.subarray(0, 2000), v: v.subarray(0, 2000) },
    test: { t: t.subarray(2000), v: v.subarray(2000) },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startAndWait(): Promise<void> {
  expect(startForestWorker()).toBe(true);
  for (let k = 0; k < 300 && !forestWorkerStatus().ready; k++) await sleep(50);
  expect(forestWorkerStatus().ready).toBe(true);
}

describe('the forest worker (startForestWorker)', () => {
  afterAll(() => stopForestWorker());

  const x = rows(N, 3, 1);
  const y = rows(N, 3, 2);

  /** The started worker serves batches: the same numbers as one thread, some trees computed by it. */
  async function expectServesBatches(): Promise<void> {
    const one = twoBatches(new CutForest(opts), x, y);
    let taken = 0;
    for (let k = 0; k < 20 && taken === 0; k++) {
      CutForest.prefetchRows(opts, x, N);
      await sleep(100);
      const two = twoBatches(CutForest.takePrefetched(opts, x, N) as CutForest, x, y);
      taken = forestWorkerStatus().chunks;
      expect(two.s.every((v, i) => Object.is(v, one.s[i]))).toBe(true);
    }
    expect(taken).toBeGreaterThan(0);
  }

  it('batches on two threads give the scores and model file of one thread, bit for bit', async () => {
    const one = twoBatches(new CutForest(opts), x, y);
    await startAndWait();
    // a prefetched batch is joined after the worker has had time to take its trees, so that the
    // worker surely computes some of them even on a loaded machine
    let taken = 0;
    for (let k = 0; k < 20 && taken === 0; k++) {
      CutForest.prefetchRows(opts, x, N);
      await sleep(100);
      const f = CutForest.takePrefetched(opts, x, N);
      expect(f).not.toBeNull();
      const two = twoBatches(f as CutForest, x, y);
      taken = forestWorkerStatus().chunks;
      expect(two.s.every((v, i) => Object.is(v, one.s[i]))).toBe(true);
      expect(two.json).toEqual(one.json);
    }
    expect(taken).toBeGreaterThan(0);
    // without a prefetch (both threads claim as the batch runs), the same numbers too
    const again = twoBatches(new CutForest(opts), x, y);
    expect(again.s.every((v, i) => Object.is(v, one.s[i]))).toBe(true);
    expect(again.json).toEqual(one.json);
  });

  it('a worker started ahead of the forest code (preStartForestWorker) is the one startForestWorker adopts', async () => {
    await stopForestWorker();
    expect(forestWorkerStatus().started).toBe(false);
    expect(preStartForestWorker()).toBe(true);
    expect(preStartForestWorker()).toBe(true); // one early worker, not two
    await startAndWait();
    expect(takeEarlyBatchWorker()).toBeNull(); // adopted: nothing left to hand over
    await expectServesBatches();
  });

  it('a worker the bin started (startBinBatchWorker) is the one preStartForestWorker and startForestWorker adopt', async () => {
    await stopForestWorker();
    expect(earlyBatchWorkerWaiting()).toBe(false);
    const unref = vi.spyOn(Worker.prototype, 'unref');
    expect(startBinBatchWorker(workerBundle)).toBe(true);
    expect(startBinBatchWorker(workerBundle)).toBe(true); // one, not two
    expect(unref.mock.contexts).toHaveLength(1);
    const binWorker = unref.mock.contexts[0] as Worker;
    unref.mockRestore();
    expect(earlyBatchWorkerWaiting()).toBe(true);
    // the command's own early start takes the bin's worker instead of starting one
    const spawned = vi.spyOn(Worker.prototype, 'unref');
    expect(preStartForestWorker()).toBe(true);
    expect(spawned).not.toHaveBeenCalled();
    spawned.mockRestore();
    const early = takeEarlyBatchWorker();
    expect(early?.worker).toBe(binWorker);
    expect(earlyBatchWorkerWaiting()).toBe(false);
    // handed back through the bin's slot, startForestWorker adopts it and it serves batches
    await binWorker.terminate();
    expect(startBinBatchWorker(workerBundle)).toBe(true);
    await startAndWait();
    expect(earlyBatchWorkerWaiting()).toBe(false);
    await expectServesBatches();
  });

  it("a bin's worker that the command will not use is stopped (dropEarlyBatchWorker); one that fails is dropped", async () => {
    await stopForestWorker();
    const unref = vi.spyOn(Worker.prototype, 'unref');
    expect(startBinBatchWorker(workerBundle)).toBe(true);
    const w = unref.mock.contexts[0] as Worker;
    unref.mockRestore();
    const exited = new Promise<number>((r) => w.once('exit', r));
    await dropEarlyBatchWorker();
    await exited;
    expect(earlyBatchWorkerWaiting()).toBe(false);
    // a worker that fails before anyone adopts it leaves the slot (and no uncaught exception)
    const again = vi.spyOn(Worker.prototype, 'unref');
    expect(startBinBatchWorker(workerBundle)).toBe(true);
    const failed = again.mock.contexts[0] as Worker;
    again.mockRestore();
    expect(() => failed.emit('error', new Error('worker boot failed'))).not.toThrow();
    await failed.terminate();
    expect(earlyBatchWorkerWaiting()).toBe(false);
    expect(takeEarlyBatchWorker()).toBeNull();
  });

  it('an early worker that fails before startForestWorker adopts it does not crash the process and is not adopted', async () => {
    await stopForestWorker();
    expect(preStartForestWorker()).toBe(true);
    const early = takeEarlyBatchWorker();
    expect(early).not.toBeNull();
    const w = early!.worker;
    // what Node does when the worker's module fails to load: an 'error' event on the Worker (with
    // no listener, an uncaught exception in the calling thread)
    expect(() => w.emit('error', new Error('worker boot failed'))).not.toThrow();
    await w.terminate();
    // a failed early worker still waiting to be adopted is dropped: startForestWorker starts a new one
    const unref = vi.spyOn(Worker.prototype, 'unref');
    expect(preStartForestWorker()).toBe(true);
    const failed = unref.mock.contexts[0] as Worker;
    unref.mockRestore();
    failed.emit('error', new Error('worker boot failed'));
    await failed.terminate();
    expect(takeEarlyBatchWorker()).toBeNull();
    await startAndWait();
  });

  it('a prefetch is taken only by the same options and the same rows (bits, -0 included)', async () => {
    await startAndWait();
    const other = x.slice();
    other[7] += 1e-12;
    CutForest.prefetchRows(opts, x, N);
    expect(CutForest.takePrefetched(opts, other, N)).toBeNull();
    CutForest.prefetchRows(opts, x, N);
    expect(CutForest.takePrefetched({ ...opts, seed: 6 }, x, N)).toBeNull();
    CutForest.prefetchRows(opts, x, N);
    expect(CutForest.takePrefetched(opts, x, N - 1)).toBeNull();
    const zeros = new Float64Array(N * 3);
    const negZeros = zeros.map(() => -0);
    CutForest.prefetchRows(opts, zeros, N);
    expect(CutForest.takePrefetched(opts, negZeros, N)).toBeNull();
    // too small a batch, non-finite rows or two threads per step: no prefetch
    CutForest.prefetchRows(opts, x, 100);
    expect(CutForest.takePrefetched(opts, x, 100)).toBeNull();
    const bad = x.slice();
    bad[5] = Number.NaN;
    CutForest.prefetchRows(opts, bad, N);
    expect(CutForest.takePrefetched(opts, bad, N)).toBeNull();
    CutForest.prefetchRows({ ...opts, threads: 2 }, x, N);
    expect(CutForest.takePrefetched({ ...opts, threads: 2 }, x, N)).toBeNull();
    // an untaken prefetch changes nothing: a fresh forest gives the one-thread numbers
    CutForest.prefetchRows(opts, x, N);
    await stopForestWorker();
    expect(CutForest.takePrefetched(opts, x, N)).toBeNull();
  });

  it("a trained forest's next batch started early (prefetchBatch) gives the one-thread numbers", async () => {
    const trained = () => {
      const f = new CutForest(opts);
      f.scoreThenUpdateRows(x, N, new Float64Array(N));
      return f;
    };
    const one = trained();
    const oneScores = new Float64Array(N);
    one.scoreThenUpdateRows(y, N, oneScores);
    await startAndWait();
    let taken = 0;
    for (let k = 0; k < 20 && taken === 0; k++) {
      const f = trained();
      const before = forestWorkerStatus().chunks;
      expect(f.prefetchBatch(y, N)).toBe(true);
      // a second start while one is pending, or a small batch, starts nothing
      expect(f.prefetchBatch(y, N)).toBe(false);
      await sleep(100);
      const out = new Float64Array(N);
      f.scoreThenUpdateRows(y, N, out);
      taken = forestWorkerStatus().chunks - before;
      expect(out.every((v, i) => Object.is(v, oneScores[i]))).toBe(true);
      expect(f.toJSON()).toEqual(one.toJSON());
    }
    expect(taken).toBeGreaterThan(0);
    expect(trained().prefetchBatch(y, 100)).toBe(false);
    const bad = y.slice();
    bad[4] = Number.POSITIVE_INFINITY;
    expect(trained().prefetchBatch(bad, N)).toBe(false);
    // joined with other rows than it started with: an internal error, not silently wrong numbers
    const f = trained();
    expect(f.prefetchBatch(y, N)).toBe(true);
    const other = y.slice();
    other[10] += 1e-9;
    expect(() => f.scoreThenUpdateRows(other, N, new Float64Array(N))).toThrow(
      /other rows than its prefetch/,
    );
  });

  it('the default ensemble scores a long test part the same with its forest started early', async () => {
    const n = 3600; // 1,600 test rows × 20 trees: the forest's scoring starts on the worker
    const t = Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * 300_000);
    const v = Float64Array.from(
      { length: n },
      (_, i) => 50 + 10 * Math.sin(i / 40) + (i % 13) * 0.2 + (i === 3000 ? 40 : 0),
    );
    const train = { t: t.subarray(0, 2000), v: v.subarray(0, 2000) };
    const test = { t: t.subarray(2000), v: v.subarray(2000) };
    const det = defaultDetector({ seed: 2 });
    await stopForestWorker();
    det.train(train);
    const json = JSON.stringify(det.toJSON());
    const alone = Array.from(det.score(test, { prev: train }).v);
    await startAndWait();
    const started = vi.spyOn(CutForest.prototype, 'prefetchBatch');
    const parallel = Array.from(det.score(test, { prev: train }).v);
    expect(started.mock.results.some((r) => r.value === true)).toBe(true);
    started.mockRestore();
    expect(parallel).toEqual(alone);
    // the outer ensemble started its nested ensemble's forest first (Ensemble.prefetchScoreOnCopy),
    // so that it scored its other member (the flat-line one) while the batch ran
    const nested = vi.spyOn(Ensemble.prototype, 'prefetchScoreOnCopy');
    expect(Array.from(det.score(test, { prev: train }).v)).toEqual(alone);
    expect(nested.mock.results.some((r) => r.value === true)).toBe(true);
    nested.mockRestore();
    // scoring is pure: the detector (and its forest) unchanged, so a second score is the same
    expect(JSON.stringify(det.toJSON())).toBe(json);
    expect(Array.from(det.score(test, { prev: train }).v)).toEqual(alone);
  });

  it('a training started early on a worker stopped (or replaced) before train() joins it: the one-thread model, no wait', async () => {
    // 22,000 rows: the worker is still busy with the training batch when it is stopped; train() must
    // not wait for trees the stopped worker will never finish, and gives the one-thread model
    const { t, v } = cycleWithSpike(22_000);
    const ts = { t, v };
    await stopForestWorker();
    const ref = defaultDetector({ seed: 4 });
    ref.train(ts);
    const json = JSON.stringify(ref.toJSON());
    for (const restart of [false, true]) {
      await startAndWait();
      const det = defaultDetector({ seed: 4 });
      expect(det.prefetchTrain(ts)).toBe(true);
      await stopForestWorker();
      if (restart) await startAndWait();
      det.train(ts);
      expect(JSON.stringify(det.toJSON())).toBe(json);
    }
  }, 120_000);

  it('the default ensemble trains and scores the same with the worker as without', async () => {
    const n = 2600;
    const t = Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * 300_000);
    const v = Float64Array.from(
      { length: n },
      (_, i) => 50 + 10 * Math.sin(i / 40) + (i % 11) * 0.3 + (i === 2200 ? 40 : 0),
    );
    const train = { t: t.subarray(0, 2000), v: v.subarray(0, 2000) };
    const test = { t: t.subarray(2000), v: v.subarray(2000) };
    const run = () => {
      const det = defaultDetector({ seed: 3 });
      det.train(train);
      return { scores: Array.from(det.score(test, { prev: train }).v), json: JSON.stringify(det.toJSON()) };
    };
    const alone = run();
    await startAndWait();
    const before = forestWorkerStatus().chunks;
    // the outer ensemble starts its nested ensemble's forest first (Ensemble.prefetchTrain) and
    // trains its flat-line member meanwhile; the nested one does not start it a second time
    const nested = vi.spyOn(Ensemble.prototype, 'prefetchTrain');
    const rows = vi.spyOn(CutForest, 'prefetchRows');
    const parallel = run();
    expect(nested.mock.results.map((r) => r.value)).toEqual([true]);
    expect(rows).toHaveBeenCalledTimes(1);
    nested.mockRestore();
    rows.mockRestore();
    expect(parallel.scores).toEqual(alone.scores);
    expect(parallel.json).toBe(alone.json);
    // the forest's training was prefetched: the worker took trees of it
    expect(forestWorkerStatus().chunks).toBeGreaterThan(before);
  });
});
