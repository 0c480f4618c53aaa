import type { Worker } from 'node:worker_threads';
import { DetectorError, ModelFormatError } from '../../errors.js';
import { Rng } from '../../math/rng.js';
import { sameBits } from '../../math/same-bits.js';
import { xoroshiroFloat as draw, fillStreams } from '../../math/xoroshiro.js';
import { packFloats, packInts, packInts32, unpackFloats, unpackInts } from '../json.js';
import type { JsonObject } from '../types.js';
import { type ForestBuffers, poolForestBuffers, takeForestBuffers } from './forest-pool.js';
import { ForestStateSchema, zodError } from './forest-schema.js';
import { isArrayForm, packForestArrays } from './forest-v2.js';
import { spawnForestWorker, takeEarlyBatchWorker } from './spawn.js';
import { CutTree, type Uniform } from './tree.js';
import {
  forestLayout,
  forestPages,
  initForestMemory,
  sharedMemory,
  type WalkExports,
  walkInstance,
} from './wasm/walk-module.js';

/** Options of the forest core (feature vectors in, AWS RCF 1.0 scores out). */
export interface CutForestOptions {
  /** Coordinates per point (the shingle size for a univariate series). */
  dimensions: number;
  /** Number of trees. Default 100. */
  numberOfTrees?: number;
  /** Points kept per tree by its sampler. Default 256. */
  sampleSize?: number;
  /** Time decay of the samplers. Default `1 / (10 * sampleSize)`. */
  lambda?: number;
  /** Scores are 0 until this many updates have happened. Default `floor(sampleSize / 4)`. */
  outputAfter?: number;
  /** Seed of the forest's random generators. Default 0. */
  seed?: number;
  /**
   * Threads for `scoreThenUpdate` (1 or 2; default 1). With 2, a worker thread takes chunks of
   * trees while the calling thread takes the others; every tree's numbers are the same whoever
   * computes them, so results are identical to 1 thread. Not part of the model.
   */
  threads?: number;
}

/**
 * All of a forest's mutable state, in SharedArrayBuffers so that a worker thread can hold a
 * second view of the same forest. Passed to the worker once; never copied afterwards.
 */
export interface ForestMemory extends ForestBuffers {
  readonly d: number;
  readonly T: number;
  readonly S: number;
  readonly lambda: number;
  readonly outputAfter: number;
  readonly seed: number;
  /** Job exchange's control words (int32; its doubles are in `wasm`). */
  readonly ctl: SharedArrayBuffer;
}

/** The options that are part of the model (all but `threads`), read from a forest or from its file. */
function modelOptions(o: Required<Omit<CutForestOptions, 'threads'>>): CutForestOptions {
  const { dimensions, numberOfTrees, sampleSize, lambda, outputAfter, seed } = o;
  return { dimensions, numberOfTrees, sampleSize, lambda, outputAfter, seed };
}

/** Set while `clone()` builds its copy, which overwrites every buffer (no need to zero a reused one). */
let cloning = false;

/** What `releaseForest` does (set by the class's static block, which reaches its private state). */
let releaseOf: (f: CutForest) => boolean;

function newForestMemory(
  d: number,
  T: number,
  S: number,
  lambda: number,
  outputAfter: number,
  seed: number,
): ForestMemory {
  const sab = (bytes: number) => new SharedArrayBuffer(bytes);
  const ctl = sab(CTL_WORDS * 4);
  // a released forest's buffers of these sizes when the pool keeps one (forest-pool.ts): zeroed, but
  // for a clone, which overwrites every byte of them
  const reused = takeForestBuffers(d, T, S, !cloning);
  if (reused) return { d, T, S, lambda, outputAfter, seed, ...reused, ctl };
  const pages = forestPages(forestLayout(d, T, S));
  return {
    d,
    T,
    S,
    lambda,
    outputAfter,
    seed,
    wasm: sharedMemory(pages),
    weights: sab(T * S * 8),
    seqs: sab(T * S * 8),
    leaves: sab(T * S * 4),
    sizes: sab(T * 4),
    reject: sab(T * 8),
    bound: sab(T * 8),
    rs: sab(T * 16),
    ctl,
  };
}

/**
 * A streaming Random Cut Forest over fixed-width feature vectors (docs/rcf.md, Algorithm).
 *
 * Each tree has a time-decayed reservoir sampler: update `s` (a forest-wide counter) gets the
 * weight `-s·λ + ln(-ln U)` per tree; the `sampleSize` smallest weights are kept (a max-heap
 * holds the largest at its top), and an accepted point first evicts the largest weight's point
 * from the tree, then is inserted. Each tree draws from its own seeded xoroshiro128+ stream
 * (tree 0 from the library's `Rng(seed)` state, tree t from tree t-1's jumped 2^64 ahead), so a
 * seed reproduces a forest exactly, trees do not depend on each other's draws (which lets a
 * second thread update some of them: `threads: 2`), and `toJSON()` / `fromJSON()` continue every
 * stream where it stopped.
 */
export class CutForest {
  readonly dimensions: number;
  readonly numberOfTrees: number;
  readonly sampleSize: number;
  readonly lambda: number;
  readonly outputAfter: number;
  readonly seed: number;
  readonly trees: CutTree[];
  /** Replaced by `close()` (new control words), never its trees, samplers or generators. */
  private mem: ForestMemory;
  /** Job exchange with the worker: `[point (d), update number, tree scores (T)]`, at byte `jobAt`. */
  private readonly jobF: Float64Array;
  private readonly jobAt: number;
  /** The WebAssembly walks over this forest's memory (this thread's instance). */
  private readonly walk: WalkExports;
  /** This thread's query and tree scores (views of the memory) and their addresses, and the paths'. */
  private readonly query: Float64Array;
  private readonly queryAt: number;
  private readonly outAt: number;
  private readonly pathsAt: number;
  private ctl: Int32Array;
  private readonly chunks: number;
  private jobId = 0;
  private threadCount = 1;
  private worker: Worker | null = null;
  /** Steps to run without the worker (it was too slow lately), and the recent slow-step count. */
  private soloSteps = 0;
  private slowSteps = 0;
  /** Sampler slots in heap order, tree t at `[t * sampleSize, (t + 1) * sampleSize)`. */
  private readonly weights: Float64Array;
  private readonly seqs: Float64Array;
  private readonly leaves: Int32Array;
  private readonly sizes: Int32Array;
  /** Per tree: offers with `U <=` this are surely rejected, for sequence numbers up to `boundUntil`. */
  private readonly rejectAtOrBelow: Float64Array;
  private readonly boundUntil: Float64Array;
  /** Updates so far (the last sequence number used). */
  private updates = 0;
  /**
   * One xoroshiro128+ generator per tree (4 int32 each, pure-rand's state order): tree t draws
   * only from its own, so trees are independent of each other's draws (and could be updated in
   * any order or in parallel with the same result).
   */
  private readonly rs: Int32Array;
  private readonly blockAcc = new Float64Array(SCORE_BLOCK);
  /** Per-tree scores of the last `score` call. */
  private readonly treeScores: Float64Array;
  /** The first batch, started on the forest worker ahead of time (`prefetchRows`). */
  private pending: PendingBatch | null = null;
  /** Set once another thread was given this forest's memory (a forest worker, a batch): never pooled. */
  private shared = false;
  /** Set by `releaseForest`: every method refuses from then on (the memory may be another forest's). */
  private released = false;

  static {
    // Gives up forest `f` for good, by its only owner (a stream the service dropped): its memory goes to
    // the pool (forest-pool.ts) for the next forest of the same sizes, unless another thread was ever
    // given it (`threads: 2`, a batch on the forest worker), which may still hold it. From then on every
    // method refuses (`DetectorError` `internal`), and so must every user of `trees`: their views read
    // memory another forest may own. No method of the class does this (`releaseForest`, internal): a
    // caller of the public class may hold its `trees`, whose typed arrays no check guards.
    releaseOf = (f) => {
      if (f.released) return false;
      f.released = true;
      f.close();
      if (f.shared || f.pending) return false;
      const m = f.mem;
      return poolForestBuffers(m.d, m.T, m.S, m);
    };
  }

  constructor(opts: CutForestOptions, attach?: ForestMemory) {
    if (attach) {
      opts = {
        dimensions: attach.d,
        numberOfTrees: attach.T,
        sampleSize: attach.S,
        lambda: attach.lambda,
        outputAfter: attach.outputAfter,
        seed: attach.seed,
      };
    }
    const d = opts.dimensions;
    const T = opts.numberOfTrees ?? 100;
    const S = opts.sampleSize ?? 256;
    check(Number.isInteger(d) && d >= 1, 'dimensions', d, 'a positive integer');
    check(Number.isInteger(T) && T >= 1, 'numberOfTrees', T, 'a positive integer');
    check(Number.isInteger(S) && S >= 1, 'sampleSize', S, 'a positive integer');
    check(
      T * S * d <= MAX_CELLS,
      'numberOfTrees × sampleSize × dimensions',
      T * S * d,
      `at most ${MAX_CELLS}`,
    );
    const lambda = opts.lambda ?? 1 / (10 * S);
    const outputAfter = opts.outputAfter ?? Math.floor(0.25 * S);
    const seed = opts.seed ?? 0;
    check(Number.isFinite(lambda) && lambda >= 0, 'lambda', lambda, 'a finite number >= 0');
    check(Number.isInteger(outputAfter) && outputAfter >= 0, 'outputAfter', outputAfter, 'an integer >= 0');
    check(Number.isInteger(seed), 'seed', seed, 'an integer');
    this.dimensions = d;
    this.numberOfTrees = T;
    this.sampleSize = S;
    this.lambda = lambda;
    this.outputAfter = outputAfter;
    this.seed = seed;
    const L = forestLayout(d, T, S);
    check(forestPages(L) <= 65536, 'the forest memory (bytes)', L.bytes, 'at most 4 GiB');
    const m = attach ?? newForestMemory(d, T, S, lambda, outputAfter, seed);
    this.mem = m;
    this.trees = [];
    const buf = m.wasm.buffer;
    if (!attach) initForestMemory(m.wasm, L, T, S);
    // a worker thread (attached) has the second set of scratch
    const th = attach ? 1 : 0;
    this.walk = walkInstance(m.wasm, L, d, S);
    this.queryAt = L.q[th];
    this.query = new Float64Array(buf, this.queryAt, d);
    this.outAt = L.out[th];
    this.pathsAt = L.paths[th];
    for (let t = 0; t < T; t++) {
      this.trees.push(
        new CutTree(d, S, {
          memory: m.wasm,
          layout: L,
          walk: this.walk,
          t,
          th,
          attach: attach !== undefined,
        }),
      );
    }
    this.weights = new Float64Array(m.weights);
    this.seqs = new Float64Array(m.seqs);
    this.leaves = new Int32Array(m.leaves);
    this.sizes = new Int32Array(m.sizes);
    this.rejectAtOrBelow = new Float64Array(m.reject);
    this.boundUntil = new Float64Array(m.bound);
    this.rs = new Int32Array(m.rs);
    if (!attach) fillStreams(this.rs, new Rng(seed));
    this.jobAt = L.job;
    this.jobF = new Float64Array(buf, L.job, d + 1 + T);
    this.treeScores = new Float64Array(buf, this.outAt, T);
    this.ctl = new Int32Array(m.ctl);
    // An even number of chunks: when both threads keep up, each takes half of them from its end
    // and keeps the same trees from step to step. (With an odd count the middle chunk changes
    // threads from step to step, and fine chunks cost one contended compare-and-swap each:
    // 15 chunks of 7 trees ran at 40.7 k points/s where 6 chunks ran at 52–53 k.)
    this.chunks = T >= 2 * CHUNKS ? CHUNKS : T >= 2 ? 2 : 1;
    if (!attach) {
      // No job pending: no chunk left to claim (lo = hi = 0).
      this.ctl[CLAIM] = 0;
      this.threads = opts.threads ?? 1;
    }
  }

  /**
   * An independent copy of the forest (its memory copied; no worker thread shared): it continues
   * exactly like this forest would.
   */
  clone(): CutForest {
    this.requireLive();
    cloning = true;
    let f: CutForest;
    try {
      f = new CutForest(modelOptions(this));
    } finally {
      cloning = false;
    }
    const from = this.mem;
    const to = f.mem;
    const copy = (a: SharedArrayBuffer, b: SharedArrayBuffer) => new Uint8Array(b).set(new Uint8Array(a));
    copy(from.wasm.buffer as SharedArrayBuffer, to.wasm.buffer as SharedArrayBuffer);
    copy(from.weights, to.weights);
    copy(from.seqs, to.seqs);
    copy(from.leaves, to.leaves);
    copy(from.sizes, to.sizes);
    copy(from.reject, to.reject);
    copy(from.bound, to.bound);
    copy(from.rs, to.rs);
    f.updates = this.updates;
    f.threads = this.threadCount;
    return f;
  }

  /** Bytes of typed arrays a forest of these sizes allocates (its shared memory and scratch). */
  static memoryBytes(d: number, T: number, S: number): number {
    const wasm = forestPages(forestLayout(d, T, S)) * 65536;
    return wasm + T * S * 20 + T * (4 + 8 + 8 + 16) + CTL_WORDS * 4;
  }

  /** Threads used by `scoreThenUpdate` (1 or 2). Results do not depend on it. */
  get threads(): number {
    this.requireLive();
    return this.threadCount;
  }
  set threads(n: number) {
    this.requireLive();
    check(n === 1 || n === 2, 'threads', n, '1 or 2');
    this.threadCount = n;
    if (n === 1) this.close();
  }

  /** Whether a worker thread has started serving this forest's steps. */
  get workerReady(): boolean {
    this.requireLive();
    return Atomics.load(this.ctl, READY) === 1;
  }

  /** Chunks of trees the worker thread has computed so far (diagnostics). */
  get workerChunks(): number {
    this.requireLive();
    return Atomics.load(this.ctl, WORKER_CHUNKS);
  }

  /**
   * Stops the worker thread, if any (the forest keeps working on the calling thread; `threads = 2`
   * starts a new one).
   */
  close(): void {
    if (this.worker) {
      Atomics.store(this.ctl, STOP, 1);
      Atomics.notify(this.ctl, CLAIM);
      void this.worker.terminate();
      this.worker = null;
      // The stopped worker may run on until its termination lands (or start late and then see STOP):
      // a next worker gets control words of its own, with STOP and READY clear, so that the two can
      // never claim chunks of one step together (they would share the worker's scratch).
      const ctl = new Int32Array(new SharedArrayBuffer(CTL_WORDS * 4));
      ctl[WORKER_CHUNKS] = this.ctl[WORKER_CHUNKS];
      this.mem = { ...this.mem, ctl: ctl.buffer as SharedArrayBuffer };
      this.ctl = ctl;
    }
  }

  /** Throws once `releaseForest` gave this forest up. */
  private requireLive(): void {
    if (this.released)
      throw new DetectorError(
        'internal',
        'this random cut forest was released (its memory went to the pool for another forest), so it cannot be used again; this is a bug in tsad: please report it',
      );
  }

  /**
   * Throws a `DetectorError` unless `p[off .. off + dimensions)` are finite numbers (the tree
   * arithmetic, e.g. the branch-free min/max, assumes finite coordinates). Checked before any
   * change, so a bad point never reaches the trees.
   */
  private checkPoint(p: ArrayLike<number>, off: number): void {
    const d = this.dimensions;
    if (!(off >= 0 && off + d <= p.length)) {
      throw new DetectorError(
        'bad_point',
        `point at offset ${off} needs ${d} coordinates, input has ${p.length}`,
      );
    }
    for (let j = 0; j < d; j++) {
      const x = p[off + j];
      if (!Number.isFinite(x)) {
        throw new DetectorError(
          'non_finite',
          `coordinate ${j} of the point at offset ${off} is ${x}; pass finite numbers`,
        );
      }
    }
  }

  /** Number of updates so far. */
  get totalUpdates(): number {
    this.requireLive();
    return this.updates;
  }

  /** Points currently sampled by tree `t`. */
  samplerSize(t: number): number {
    this.requireLive();
    return this.sizes[t];
  }

  /** Whether enough updates have happened for non-zero scores. */
  isReady(): boolean {
    this.requireLive();
    return this.updates >= this.outputAfter;
  }

  /**
   * Anomaly score of the point `q[off .. off + dimensions)`: the mean over trees of the AWS
   * RCF score (docs/rcf.md, Algorithm), or 0 while fewer than `outputAfter` updates have happened.
   */
  score(q: ArrayLike<number>, off = 0): number {
    this.requireLive();
    this.checkPoint(q, off);
    return this.scoreChecked(q, off);
  }

  private scoreChecked(q: ArrayLike<number>, off: number): number {
    if (this.updates < this.outputAfter) return 0;
    const T = this.numberOfTrees;
    const out = this.treeScores;
    this.scoreTrees(q, off, 0, T);
    let sum = 0;
    for (let t = 0; t < T; t++) sum += out[t];
    return sum / T;
  }

  /**
   * Scores of trees `[a, b)` for the point `q[off ..)` into this thread's `treeScores[t]` (not divided
   * by the number of trees; no `outputAfter` check): the WebAssembly walks (wasm/walk.ts), four trees
   * at a time walking down in lockstep, the same doubles as `CutTree.score` tree by tree.
   */
  private scoreTrees(q: ArrayLike<number>, off: number, a: number, b: number): void {
    const query = this.query;
    for (let j = 0; j < this.dimensions; j++) query[j] = q[off + j];
    this.walk.scoreTrees(a, b, this.queryAt, this.outAt, this.pathsAt);
  }

  /**
   * Scores `n` rows of `x` (row-major, width `dimensions`) into `out` without updating: the
   * same numbers as `score` row by row (per row, tree scores are summed in the same tree order),
   * computed tree by tree over blocks of rows so that each tree stays in cache.
   */
  scoreRows(x: Float64Array, n: number, out: Float64Array): void {
    this.requireLive();
    for (let i = 0; i < n; i++) this.checkPoint(x, i * this.dimensions);
    if (this.updates < this.outputAfter) {
      out.fill(0, 0, n);
      return;
    }
    const d = this.dimensions;
    const trees = this.trees;
    const T = trees.length;
    const acc = this.blockAcc;
    for (let b = 0; b < n; b += SCORE_BLOCK) {
      const e = Math.min(n, b + SCORE_BLOCK);
      acc.fill(0);
      const ts = this.treeScores;
      for (let t = 0; t < T; t++) {
        for (let i = b; i < e; i++) {
          this.scoreTrees(x, i * d, t, t + 1);
          acc[i - b] += ts[t];
        }
      }
      for (let i = b; i < e; i++) out[i] = acc[i - b] / T;
    }
  }

  /** Offers the point `p[off .. off + dimensions)` to every tree's sampler (docs/rcf.md, Algorithm). */
  update(p: ArrayLike<number>, off = 0): void {
    this.requireLive();
    this.checkPoint(p, off);
    this.updateChecked(p, off);
  }

  private updateChecked(p: ArrayLike<number>, off: number): void {
    const seq = ++this.updates;
    this.updateTrees(p, off, seq, 0, this.numberOfTrees);
  }

  /** Offers the point as update number `seq` to the samplers of trees `[a, b)`. */
  private updateTrees(p: ArrayLike<number>, off: number, seq: number, a: number, b: number): void {
    for (let t = a; t < b; t++) this.offer(t, p, off, seq);
  }

  /** Offers the point as update number `seq` to the sampler of tree `t` (docs/rcf.md, Algorithm). */
  private offer(t: number, p: ArrayLike<number>, off: number, seq: number): void {
    const S = this.sampleSize;
    const lambda = this.lambda;
    const rs = this.rs;
    const weights = this.weights;
    let u = draw(rs, t << 2);
    while (u === 0) u = draw(rs, t << 2);
    const o = t * S;
    const size = this.sizes[t];
    if (size < S) {
      const w = -seq * lambda + Math.log(-Math.log(u));
      uniformRs = rs;
      uniformAt = t << 2;
      const leaf = this.trees[t].insert(p, off, uniform);
      this.heapPush(o, size, w, seq, leaf);
      this.sizes[t] = size + 1;
      return;
    }
    // Full sampler: most offers are rejected; a cached bound decides those without logarithms.
    const boundUntil = this.boundUntil;
    const rejectAtOrBelow = this.rejectAtOrBelow;
    if (seq > boundUntil[t]) {
      boundUntil[t] = seq + BOUND_STEPS;
      rejectAtOrBelow[t] = rejectBound(weights[o], seq + BOUND_STEPS, lambda);
    }
    if (u <= rejectAtOrBelow[t]) return;
    const w = -seq * lambda + Math.log(-Math.log(u));
    if (w < weights[o]) {
      const tree = this.trees[t];
      tree.deleteLeaf(this.leaves[o]);
      uniformRs = rs;
      uniformAt = t << 2;
      const leaf = tree.insert(p, off, uniform);
      this.heapReplaceTop(o, S, w, seq, leaf);
      boundUntil[t] = 0; // the largest weight changed
    }
  }

  /**
   * The streaming step over `n` rows of `x` (row-major, width `dimensions`): `out[i]` is what
   * `scoreThenUpdate(x, i · dimensions)` called row after row would return, and the forest ends in
   * the same state. Computed tree by tree over all rows (a tree's score and sampler depend only on
   * its own state and random stream), so each tree stays in cache; per row, tree scores are
   * summed in tree order as `scoreThenUpdate` does.
   */
  scoreThenUpdateRows(x: Float64Array, n: number, out: Float64Array): void {
    this.requireLive();
    primeForest();
    const d = this.dimensions;
    for (let i = 0; i < n; i++) this.checkPoint(x, i * d);
    if (this.threadCount === 2) {
      for (let i = 0; i < n; i++) out[i] = this.scoreThenUpdate(x, i * d);
      return;
    }
    const T = this.numberOfTrees;
    const first = this.updates;
    // rows before `ready` score 0 (fewer than outputAfter updates before them)
    const ready = Math.min(n, Math.max(0, this.outputAfter - first));
    out.fill(0, 0, n);
    const pending = this.pending;
    if (pending) this.joinPending(pending, x, n, first, out);
    else if (batchPool && T >= 2 && n * T >= BATCH_MIN_TREE_ROWS) {
      this.joinBatch(this.postBatch(x, n, first, ready), x, out);
    } else for (let t = 0; t < T; t++) this.treeRows(t, x, n, out, first, ready);
    for (let i = ready; i < n; i++) out[i] /= T;
    this.updates = first + n;
  }

  /** Joins the batch `prefetchBatch` started, refusing rows other than the prefetched ones. */
  private joinPending(
    pending: PendingBatch,
    x: Float64Array,
    n: number,
    first: number,
    out: Float64Array,
  ): void {
    this.pending = null;
    if (pending.job.n !== n || pending.job.first !== first || !sameBits(pending.xs, x, n * this.dimensions)) {
      throw new DetectorError('internal', 'a prefetched forest was given other rows than its prefetch');
    }
    this.joinBatch(pending, x, out);
  }

  /** Tree `t` over rows `[0, n)`: adds its scores (rows from `ready` on) to `out`, offers each row. */
  private treeRows(
    t: number,
    x: Float64Array,
    n: number,
    out: Float64Array,
    first: number,
    ready: number,
  ): void {
    const d = this.dimensions;
    const ts = this.treeScores;
    for (let i = 0; i < n; i++) {
      if (i >= ready) {
        this.scoreTrees(x, i * d, t, t + 1);
        out[i] += ts[t];
      }
      this.offer(t, x, i * d, first + i + 1);
    }
  }

  /**
   * `scoreThenUpdateRows` with the forest worker (`startForestWorker`): both threads claim chunks
   * of trees of the whole batch, the calling thread from the first chunk up (adding its trees'
   * scores to `out` in tree order), the worker from the last down (its trees' scores into a shared
   * buffer, one row of `n` per tree). The calling thread then adds the worker's trees in tree
   * order: per row the same sum in the same order as one thread, so the same numbers. A worker that
   * is not ready yet, or busy, just takes fewer (or no) chunks.
   */
  private postBatch(x: Float64Array, n: number, first: number, ready: number): PendingBatch {
    this.shared = true;
    const d = this.dimensions;
    const T = this.numberOfTrees;
    const C = Math.min(T, BATCH_CHUNKS);
    const xs = new Float64Array(new SharedArrayBuffer(n * d * 8));
    xs.set(x.subarray(0, n * d));
    const scores = new Float64Array(new SharedArrayBuffer(n * T * 8));
    const ctl = new Int32Array(new SharedArrayBuffer(B_WORDS * 4));
    ctl[B_CLAIM] = C; // chunks [0, C) unclaimed
    const job: BatchJob = {
      mem: this.mem,
      xs: xs.buffer as SharedArrayBuffer,
      scores: scores.buffer as SharedArrayBuffer,
      ctl: ctl.buffer as SharedArrayBuffer,
      n,
      first,
      ready,
      chunks: C,
    };
    const pool = batchPool!;
    pool.worker.postMessage(job);
    return { job, ctl, xs, scores, pool };
  }

  /** The calling thread's part of a posted batch: claims what is left, waits, sums in tree order. */
  private joinBatch(p: PendingBatch, x: Float64Array, out: Float64Array): void {
    const T = this.numberOfTrees;
    const { n, first, ready, chunks: C } = p.job;
    const ctl = p.ctl;
    let mine = 0; // chunks [0, mine) are this thread's
    for (;;) {
      const w = Atomics.load(ctl, B_CLAIM);
      const lo = (w >> 8) & 0xff;
      if (lo >= (w & 0xff)) break;
      if (Atomics.compareExchange(ctl, B_CLAIM, w, w + 256) !== w) continue;
      for (let t = Math.floor((lo * T) / C); t < Math.floor(((lo + 1) * T) / C); t++) {
        this.treeRows(t, x, n, out, first, ready);
      }
      mine = lo + 1;
      Atomics.add(ctl, B_DONE, 1);
    }
    // the worker finishes the chunks it claimed
    let done = Atomics.load(ctl, B_DONE);
    let waited = 0;
    while (done < C && Atomics.load(ctl, B_FAILED) === 0) {
      if (Atomics.wait(ctl, B_DONE, done, 1000) === 'timed-out' && ++waited >= BATCH_TIMEOUT_S) {
        throw new DetectorError('internal', `the forest worker thread made no progress for ${waited} s`);
      }
      done = Atomics.load(ctl, B_DONE);
    }
    if (Atomics.load(ctl, B_FAILED) !== 0) {
      throw new DetectorError(
        'internal',
        'the forest worker thread failed on its trees; the forest is no longer usable',
      );
    }
    const scores = p.scores;
    for (let t = Math.floor((mine * T) / C); t < T; t++) {
      const o = t * n;
      for (let i = ready; i < n; i++) out[i] += scores[o + i];
    }
    if (batchPool) batchPool.workerChunks += C - mine;
  }

  /** Worker side of a batch: claims chunks from the last down until none is left. */
  runBatchJob(job: BatchJob): void {
    const T = this.numberOfTrees;
    const C = job.chunks;
    const n = job.n;
    const ctl = new Int32Array(job.ctl);
    const x = new Float64Array(job.xs, 0, n * this.dimensions);
    const scores = new Float64Array(job.scores, 0, n * T);
    for (;;) {
      const w = Atomics.load(ctl, B_CLAIM);
      const lo = (w >> 8) & 0xff;
      const hi = w & 0xff;
      if (lo >= hi) return;
      if (Atomics.compareExchange(ctl, B_CLAIM, w, w - 1) !== w) continue;
      const c = hi - 1;
      try {
        for (let t = Math.floor((c * T) / C); t < Math.floor(((c + 1) * T) / C); t++) {
          this.treeRows(t, x, n, scores.subarray(t * n, (t + 1) * n), job.first, job.ready);
        }
      } catch (e) {
        Atomics.store(ctl, B_FAILED, 1);
        Atomics.notify(ctl, B_DONE);
        throw e;
      }
      Atomics.add(ctl, B_DONE, 1);
      Atomics.notify(ctl, B_DONE);
    }
  }

  /**
   * Starts this fresh forest's first batch (`x`, `n` rows) on the forest worker now; the
   * `scoreThenUpdateRows` call with the same rows joins it (see `prefetchForestRows`).
   */
  private prefetch(x: Float64Array, n: number): void {
    this.pending = this.postBatch(x, n, 0, Math.min(n, this.outputAfter));
  }

  /**
   * Starts this forest's next `scoreThenUpdateRows(x, n, …)` on the forest worker now, if the
   * worker runs (`startForestWorker`), this forest is on one thread with nothing pending, and the
   * batch is big enough: the worker takes its chunks of trees while the calling thread does other
   * work, and the `scoreThenUpdateRows` call that follows, with the same rows, joins it (same
   * numbers). Until then the forest must not be used otherwise: the worker is updating its trees.
   * Returns whether the batch started; rows that are not finite start nothing.
   */
  prefetchBatch(x: Float64Array, n: number): boolean {
    this.requireLive();
    const d = this.dimensions;
    const T = this.numberOfTrees;
    if (this.pending || !batchPool || this.threadCount !== 1 || T < 2 || n * T < BATCH_MIN_TREE_ROWS)
      return false;
    if (x.length < n * d) return false;
    for (let i = 0; i < n * d; i++) if (!Number.isFinite(x[i])) return false;
    const first = this.updates;
    this.pending = this.postBatch(x, n, first, Math.min(n, Math.max(0, this.outputAfter - first)));
    return true;
  }

  /** Whether this forest was built with `opts` (resolved as the constructor resolves them). */
  private builtWith(opts: CutForestOptions): boolean {
    const S = opts.sampleSize ?? 256;
    return (
      this.dimensions === opts.dimensions &&
      this.numberOfTrees === (opts.numberOfTrees ?? 100) &&
      this.sampleSize === S &&
      this.lambda === (opts.lambda ?? 1 / (10 * S)) &&
      this.outputAfter === (opts.outputAfter ?? Math.floor(0.25 * S)) &&
      this.seed === (opts.seed ?? 0) &&
      (opts.threads ?? 1) === 1
    );
  }

  /** A prefetched forest for exactly these options and rows (`prefetchForestRows`), or null. */
  static takePrefetched(opts: CutForestOptions, x: Float64Array, n: number): CutForest | null {
    const f = prefetched;
    prefetched = null;
    const p = f?.pending;
    // (a batch posted to a worker that has stopped or failed since is not joined: it may have left a
    // chunk of trees half done, which the join would wait for in vain)
    if (!f || !p || p.pool !== batchPool || p.job.n !== n || !f.builtWith(opts)) return null;
    return sameBits(p.xs, x, n * f.dimensions) ? f : null;
  }

  /**
   * Starts the first `scoreThenUpdateRows` batch of a forest built with `opts` on the forest worker
   * ahead of time, if the worker runs (`startForestWorker`) and the batch is big enough: the worker
   * takes its trees while the calling thread does other work (e.g. an ensemble's other members). A
   * forest built later with the same options for the same rows (`takePrefetched`) joins the batch;
   * otherwise the worker's work is simply thrown away. Results are the same either way. Asking
   * again for the batch already started keeps it. Returns whether a batch runs for these rows.
   */
  static prefetchRows(opts: CutForestOptions, x: Float64Array, n: number): boolean {
    // the same batch asked for again (an ensemble and its nested ensemble both prefetch): keep it
    const p = prefetched?.pending;
    if (
      prefetched &&
      p &&
      p.job.n === n &&
      prefetched.builtWith(opts) &&
      sameBits(p.xs, x, n * prefetched.dimensions)
    )
      return true;
    prefetched = null;
    if (!batchPool || (opts.threads ?? 1) !== 1) return false;
    const f = new CutForest({ ...opts, threads: 1 });
    if (f.numberOfTrees < 2 || n * f.numberOfTrees < BATCH_MIN_TREE_ROWS || x.length < n * f.dimensions)
      return false;
    for (let i = 0; i < n * f.dimensions; i++) if (!Number.isFinite(x[i])) return false;
    f.prefetch(x, n);
    prefetched = f;
    return true;
  }

  /** Scores the point, then updates the forest with it (the streaming step); returns the score. */
  scoreThenUpdate(p: ArrayLike<number>, off = 0): number {
    this.requireLive();
    this.checkPoint(p, off);
    if (this.threadCount === 1 || this.soloSteps > 0) {
      if (this.soloSteps > 0) this.soloSteps--;
      const s = this.scoreChecked(p, off);
      this.updateChecked(p, off);
      return s;
    }
    if (!this.worker) {
      this.startWorker();
      if (this.threadCount === 1) return this.scoreThenUpdate(p, off);
    }
    const d = this.dimensions;
    const T = this.numberOfTrees;
    const ready = this.updates >= this.outputAfter;
    const seq = ++this.updates;
    const job = this.jobF;
    const ctl = this.ctl;
    for (let j = 0; j < d; j++) job[j] = p[off + j];
    job[d] = seq;
    // Publish: the point is written before the claim word (a sequentially consistent store).
    Atomics.store(ctl, DONE, 0);
    this.jobId = (this.jobId + 1) & 0x7fff;
    Atomics.store(ctl, CLAIM, (this.jobId << 16) | this.chunks);
    Atomics.notify(ctl, CLAIM);
    this.runChunks(false);
    let spins = 0;
    while (Atomics.load(ctl, DONE) < this.chunks) spins++; // the worker finishes a chunk it claimed
    // When the worker keeps us waiting (its core is busy with other work), the calling thread
    // goes on alone for a while: same numbers, no spinning against a descheduled thread.
    if (spins > SLOW_SPINS) {
      if (++this.slowSteps >= SLOW_LIMIT) {
        this.slowSteps = 0;
        this.soloSteps = SOLO_STEPS;
      }
    } else if (this.slowSteps > 0) this.slowSteps--;
    if (!ready) return 0;
    let sum = 0;
    for (let t = 0; t < T; t++) sum += job[d + 1 + t];
    return sum / T;
  }

  /**
   * Claims chunks of trees of the published job until none is left; for each, scores its trees
   * (into the job's score slots), then offers the point to their samplers. The calling thread
   * claims from the first chunk up, the worker from the last down, so each thread mostly keeps
   * the same trees (and their cache lines) from one step to the next. The claim word is
   * `(job id << 16) | (lo << 8) | hi`: chunks `[lo, hi)` are unclaimed.
   */
  private runChunks(fromBack: boolean): void {
    const ctl = this.ctl;
    const job = this.jobF;
    const d = this.dimensions;
    const C = this.chunks;
    const T = this.numberOfTrees;
    for (;;) {
      const w = Atomics.load(ctl, CLAIM);
      const lo = (w >> 8) & 0xff;
      const hi = w & 0xff;
      if (lo >= hi) return;
      const c = fromBack ? hi - 1 : lo;
      if (Atomics.compareExchange(ctl, CLAIM, w, fromBack ? w - 1 : w + 256) !== w) continue;
      const a = Math.floor((c * T) / C);
      const b = Math.floor(((c + 1) * T) / C);
      this.walk.scoreTrees(a, b, this.jobAt, this.jobAt + (d + 1) * 8, this.pathsAt);
      this.updateTrees(job, 0, job[d], a, b);
      if (fromBack) Atomics.add(ctl, WORKER_CHUNKS, 1);
      Atomics.add(ctl, DONE, 1);
    }
  }

  /** Worker side: serves jobs until stopped (spins briefly between jobs, then sleeps). */
  serveJobs(): void {
    const ctl = this.ctl;
    Atomics.store(ctl, READY, 1);
    let spins = 0;
    for (;;) {
      const w = Atomics.load(ctl, CLAIM);
      if (((w >> 8) & 0xff) < (w & 0xff)) {
        this.runChunks(true);
        spins = 0;
        continue;
      }
      if (Atomics.load(ctl, STOP) !== 0) return;
      if (++spins < SPINS) continue;
      Atomics.wait(ctl, CLAIM, w);
      spins = 0;
    }
  }

  private startWorker(): void {
    this.shared = true;
    const w = spawnForestWorker(this.mem);
    if (!w) {
      // No worker here (e.g. loaded as CommonJS): stay on one thread; the numbers are the same.
      this.threadCount = 1;
      return;
    }
    w.on('error', () => {
      // The calling thread claims every chunk itself when no worker does.
      if (this.worker === w) this.worker = null;
    });
    workers.register(this, w);
    this.worker = w;
  }

  private heapPush(o: number, size: number, w: number, seq: number, leaf: number): void {
    const W = this.weights;
    let i = size;
    while (i > 0) {
      const par = (i - 1) >> 1;
      if (W[o + par] >= w) break;
      this.move(o + par, o + i);
      i = par;
    }
    W[o + i] = w;
    this.seqs[o + i] = seq;
    this.leaves[o + i] = leaf;
  }

  private heapReplaceTop(o: number, size: number, w: number, seq: number, leaf: number): void {
    const W = this.weights;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const r = l + 1;
      // the larger child, the left one on a tie: a 0/1 factor, not a coin-flip branch
      const c = r < size ? l + Number(W[o + r] > W[o + l]) : l;
      if (W[o + c] <= w) break;
      this.move(o + c, o + i);
      i = c;
    }
    W[o + i] = w;
    this.seqs[o + i] = seq;
    this.leaves[o + i] = leaf;
  }

  private move(from: number, to: number): void {
    this.weights[to] = this.weights[from];
    this.seqs[to] = this.seqs[from];
    this.leaves[to] = this.leaves[from];
  }

  /** Heap-order sampler slots of tree `t` (for tests and inspection). */
  samplerSlots(t: number): { weight: number; seq: number; leaf: number }[] {
    this.requireLive();
    const out: { weight: number; seq: number; leaf: number }[] = [];
    const o = t * this.sampleSize;
    for (let i = 0; i < this.sizes[t]; i++) {
      out.push({ weight: this.weights[o + i], seq: this.seqs[o + i], leaf: this.leaves[o + i] });
    }
    return out;
  }

  /**
   * The whole forest as plain JSON: options, update counter, generator state, a table of the
   * sampled points (each point stored once however many trees hold it: its sequence number and
   * coordinates), and per tree its cuts in preorder (`dims`: the cut dimension, −1 for a leaf;
   * `cuts`: the internal nodes' cut values; `leaves`: each leaf's point, an index into the table)
   * and its sampler's slots in heap order (`weights`, and `slots`: each slot's point). Arrays are
   * packed (`packFloats` / `packInts`: base64 of their exact bytes). Leaf masses and boxes are
   * derived on load, exactly.
   */
  toJSON(): JsonObject {
    this.requireLive();
    // Typed arrays and one pass per tree, packed from their bytes (`packInts32`, `packFloats`):
    // the same strings as `packInts` / `packFloats` of the same values, at a fraction of the work
    // (a one-shot command serialises its forest once, in code V8 has not optimised yet).
    const d = this.dimensions;
    const S = this.sampleSize;
    const T = this.numberOfTrees;
    const cap = 2 * S;
    const pointIndex = new Map<number, number>();
    const pointSeqs = new Float64Array(T * S);
    const coords = new Float64Array(T * S * d);
    let P = 0;
    const trees: JsonObject[] = [];
    const leafPoint = new Int32Array(cap);
    const dims = new Int32Array(cap);
    const cuts = new Float64Array(cap);
    const leaves = new Int32Array(cap);
    const stack = new Int32Array(cap + 1);
    for (let t = 0; t < T; t++) {
      const tree = this.trees[t];
      const f = tree.f;
      const I = tree.i;
      const st = tree.stride;
      const o = t * S;
      const size = this.sizes[t];
      // One point per leaf: the point of the first slot (in heap order) that refers to it.
      leafPoint.fill(-1);
      const slots = new Int32Array(size);
      for (let i = 0; i < size; i++) {
        const seq = this.seqs[o + i];
        const leaf = this.leaves[o + i];
        let pi = pointIndex.get(seq);
        if (pi === undefined) {
          pi = P++;
          pointIndex.set(seq, pi);
          pointSeqs[pi] = seq;
          const b = leaf * st + 4;
          for (let j = 0; j < d; j++) coords[pi * d + j] = f[b + 2 * j];
        }
        slots[i] = pi;
        if (leafPoint[leaf] < 0) leafPoint[leaf] = pi;
      }
      // preorder (node, left subtree, right subtree), as `CutTree.preorder` visits
      let nd = 0;
      let nc = 0;
      let nl = 0;
      let top = 0;
      if (tree.root >= 0) stack[top++] = tree.root;
      while (top > 0) {
        const n = stack[--top];
        const io = 2 * n * st;
        const left = I[io + 2];
        if (left < 0) {
          dims[nd++] = -1;
          leaves[nl++] = leafPoint[n];
        } else {
          dims[nd++] = I[io + 4];
          cuts[nc++] = f[n * st];
          stack[top++] = I[io + 3];
          stack[top++] = left;
        }
      }
      trees.push({
        dims: packInts32(dims.subarray(0, nd)),
        cuts: packFloats(cuts.subarray(0, nc)),
        leaves: packInts32(leaves.subarray(0, nl)),
        weights: packFloats(this.weights.subarray(o, o + size)),
        slots: packInts32(slots),
      });
    }
    return {
      dimensions: d,
      numberOfTrees: T,
      sampleSize: S,
      lambda: this.lambda,
      outputAfter: this.outputAfter,
      seed: this.seed,
      updates: this.updates,
      rng: Array.from(this.rs),
      points: { seqs: packInts(pointSeqs.subarray(0, P)), coords: packFloats(coords.subarray(0, P * d)) },
      trees,
    };
  }

  /**
   * Restores a forest saved by `toJSON()`, validating shape and consistency; throws
   * `ModelFormatError` naming the bad field. The result continues exactly like the original.
   * Forests saved with plain JSON arrays (tsad before packed arrays) load too (`packForestArrays`).
   * Every packed array's length is checked against the sizes already validated before it is decoded.
   */
  static fromJSON(json: unknown, path = 'state'): CutForest {
    const parsed = ForestStateSchema.safeParse(isArrayForm(json) ? packForestArrays(json, path) : json);
    if (!parsed.success) throw zodError(parsed.error, path);
    const s = parsed.data;
    const bad = (field: string, msg: string): never => {
      throw new ModelFormatError('bad_state', `${path}.${field}: ${msg}`);
    };
    if (s.trees.length !== s.numberOfTrees) {
      bad('trees', `has ${s.trees.length} entries, expected numberOfTrees = ${s.numberOfTrees}`);
    }
    let forest: CutForest;
    try {
      forest = new CutForest(modelOptions(s));
    } catch (e) {
      // the refusal stays the cause: a memory that cannot be reserved (docs/rcf.md, Round 6) is not the file's fault
      throw new ModelFormatError('bad_state', `${path}: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
      });
    }
    const d = s.dimensions;
    const S = s.sampleSize;
    const T = s.numberOfTrees;
    // every stored point is in some tree's sampler: at most T·S of them
    const pointSeqs = unpackInts(s.points.seqs, `${path}.points.seqs`, 1, s.updates, { max: T * S });
    const P = pointSeqs.length;
    const points = unpackFloats(s.points.coords, `${path}.points.coords`, P * d);
    for (let i = 0; i < points.length; i++) {
      if (!Number.isFinite(points[i])) bad(`points.coords[${i}]`, 'must be a finite number');
    }
    const seen = new Set<number>();
    for (let i = 0; i < P; i++) {
      if (seen.has(pointSeqs[i])) bad(`points.seqs[${i}]`, `sequence ${pointSeqs[i]} appears twice`);
      seen.add(pointSeqs[i]);
    }
    forest.updates = s.updates;
    let rng = s.rng;
    if (rng.length === 4 && T > 1) {
      // A model file from before per-tree generators (one forest-wide state): the trees' streams
      // are derived from it as from a seed's state (jumps), so it loads and continues validly.
      rng = new Array<number>(4 * T);
      fillStreams(rng, Rng.fromState(s.rng));
    }
    if (rng.length !== 4 * T) {
      bad('rng', `has ${s.rng.length} numbers, expected 4 per tree (${4 * T})`);
    }
    for (let t = 0; t < T; t++) {
      const b = 4 * t;
      if ((rng[b] | rng[b + 1] | rng[b + 2] | rng[b + 3]) === 0) {
        bad(`rng.${b}`, `generator state of tree ${t} is all zero (it would only ever draw 0)`);
      }
    }
    forest.rs.set(rng);
    for (let t = 0; t < T; t++) {
      const ts = s.trees[t];
      const where = `trees.${t}`;
      const tree = forest.trees[t];
      const weights = unpackFloats(ts.weights, `${path}.${where}.weights`, { max: S });
      const size = weights.length;
      const slots = unpackInts(ts.slots, `${path}.${where}.slots`, 0, P - 1, size);
      const dims = unpackInts(ts.dims, `${path}.${where}.dims`, -1, d - 1, { max: 2 * S - 1 });
      let nLeaves = 0;
      for (let k = 0; k < dims.length; k++) if (dims[k] === -1) nLeaves++;
      const cuts = unpackFloats(ts.cuts, `${path}.${where}.cuts`, dims.length - nLeaves);
      const leaves = unpackInts(ts.leaves, `${path}.${where}.leaves`, 0, P - 1, nLeaves);
      // per preorder node: the cut value, or the leaf's point
      const values = new Float64Array(dims.length);
      for (let k = 0, c = 0, l = 0; k < dims.length; k++)
        values[k] = dims[k] === -1 ? leaves[l++] : cuts[c++];
      const ok = tree.loadPreorder(dims, values, (k) => values[k], points);
      if (!ok) bad(`${where}.dims`, 'is not a valid preorder tree with finite cuts');
      if ((size === 0) !== tree.root < 0) bad(`${where}.dims`, 'tree and sampler disagree on being empty');
      const o = t * S;
      for (let i = 0; i < size; i++) {
        const w = weights[i];
        if (!Number.isFinite(w)) bad(`${where}.weights.${i}`, 'must be a finite number');
        if (i > 0 && weights[(i - 1) >> 1] < w) bad(`${where}.weights.${i}`, 'breaks the max-heap order');
        const pi = slots[i];
        const leaf = tree.findLeaf(points, pi * d);
        if (leaf < 0 || !tree.leafEquals(leaf, points, pi * d)) {
          bad(`${where}.slots.${i}`, 'its point does not reach an equal leaf by the tree cuts');
        }
        tree.addMass(leaf, 1);
        forest.weights[o + i] = w;
        forest.seqs[o + i] = pointSeqs[pi];
        forest.leaves[o + i] = leaf;
      }
      forest.sizes[t] = size;
      let orphan = false;
      tree.preorder((n, isLeaf) => {
        if (isLeaf && tree.mass(n) === 0) orphan = true;
      });
      if (orphan) bad(`${where}.dims`, 'has a leaf that no sampled point refers to');
      tree.refreshAll();
    }
    return forest;
  }
}

/** Control words of the job exchange. */
const CLAIM = 0; // (job id << 8) | next unclaimed chunk
const DONE = 1; // chunks finished in the current job
const STOP = 2; // set to end the worker
const WORKER_CHUNKS = 3; // chunks the worker has done (diagnostics)
const READY = 4; // 1 once the worker serves jobs
const CTL_WORDS = 8;
/** Polls of the done count after which a step counts as slow (the worker kept us waiting). */
const SLOW_SPINS = 1 << 17;
/** Chunks of trees per step with two threads (even; see the constructor). */
const CHUNKS = 6;
/** Net slow steps after which the calling thread runs `SOLO_STEPS` steps alone. */
const SLOW_LIMIT = 8;
const SOLO_STEPS = 2048;
/** Idle polls of the claim word before the worker sleeps in Atomics.wait. */
const SPINS = 20_000;

/** Control words of a batch shared with the forest worker (`startForestWorker`), one set per batch. */
const B_CLAIM = 0; // (lo << 8) | hi: chunks [lo, hi) of the batch are unclaimed
const B_DONE = 1; // chunks finished
const B_FAILED = 2; // set by the worker when it failed on a chunk
const B_WORDS = 4;
/** Chunks of trees per batch (one tree each up to this many trees). */
const BATCH_CHUNKS = 32;
/**
 * Batches smaller than this many tree-rows (trees × rows) stay on the calling thread: below it
 * the hand-over (copying the rows, a message, the worker's view of the forest) is not paid back.
 */
const BATCH_MIN_TREE_ROWS = 20_000;
/** Seconds without progress from the worker after which a batch fails (the worker is gone). */
const BATCH_TIMEOUT_S = 120;

/** One batch of `scoreThenUpdateRows` as the worker receives it. */
export interface BatchJob {
  readonly mem: ForestMemory;
  readonly xs: SharedArrayBuffer;
  readonly scores: SharedArrayBuffer;
  readonly ctl: SharedArrayBuffer;
  readonly n: number;
  readonly first: number;
  readonly ready: number;
  readonly chunks: number;
}

/** A batch posted to the worker, with the calling thread's views of its memory. */
interface PendingBatch {
  readonly job: BatchJob;
  readonly ctl: Int32Array;
  readonly xs: Float64Array;
  readonly scores: Float64Array;
  /** The forest worker it was posted to. */
  readonly pool: BatchPool;
}

/** The forest worker shared by all forests of this thread. */
class BatchPool {
  workerChunks = 0;
  constructor(
    readonly worker: Worker,
    readonly ready: Int32Array,
  ) {}
}

/** The forest whose first batch was started ahead of time (`CutForest.prefetchRows`). */
let prefetched: CutForest | null = null;
let batchPool: BatchPool | null = null;

/**
 * Starts the forest worker: from now on every forest of this thread runs big `scoreThenUpdateRows`
 * batches (at least 20,000 trees × rows: training, and scoring with online updates) on two threads,
 * the worker taking chunks of trees while the calling thread takes the others. The numbers are
 * exactly those of one thread. Start it ahead of need (it takes tens of milliseconds to start): until
 * it is ready the calling thread does all the work. It pays only with a free second core. The
 * worker is `unref()`'d (it does not keep the process alive); returns false if it cannot start
 * (e.g. when loaded as CommonJS), and the forests stay on one thread.
 */
export function startForestWorker(): boolean {
  if (batchPool) return true;
  // a worker started ahead of the forest's code (`preStartForestWorker`), else a new one
  const early = takeEarlyBatchWorker();
  const ready = early?.ready ?? new Int32Array(new SharedArrayBuffer(4));
  const w = early?.worker ?? spawnForestWorker({ batch: ready.buffer as SharedArrayBuffer });
  if (!w) return false;
  w.on('error', () => {
    if (batchPool?.worker === w) batchPool = null;
  });
  batchPool = new BatchPool(w, ready);
  return true;
}

/** Stops the forest worker of `startForestWorker` (forests go back to one thread). */
export async function stopForestWorker(): Promise<void> {
  prefetched = null;
  const pool = batchPool;
  batchPool = null;
  if (pool) await pool.worker.terminate();
}

/** Whether the forest worker has started, and the chunks of trees it has computed so far. */
export function forestWorkerStatus(): { started: boolean; ready: boolean; chunks: number } {
  return {
    started: batchPool !== null,
    ready: batchPool !== null && Atomics.load(batchPool.ready, 0) === 1,
    chunks: batchPool?.workerChunks ?? 0,
  };
}

/** Worker side of `startForestWorker`: serves batches (one message each) until terminated. */
export function serveBatchJobs(
  port: { on(ev: 'message', f: (job: BatchJob) => void): unknown },
  readyBuf: SharedArrayBuffer,
): void {
  primeForest();
  Atomics.store(new Int32Array(readyBuf), 0, 1);
  port.on('message', (job: BatchJob) => new CutForest({ dimensions: 1 }, job.mem).runBatchJob(job));
}

/** Terminates a forest's worker once the forest is garbage. */
const workers = new FinalizationRegistry<Worker>((w) => {
  void w.terminate();
});

/**
 * The uniform draws of a tree's insert: from the generator `uniformRs[uniformAt ..]` (set by `offer`
 * just before the insert). One function for every forest, so that the inserts' call to it stays
 * monomorphic (a closure per forest made the optimised insert code bail out when a second forest,
 * e.g. the copy a score runs on, started inserting).
 */
let uniformRs: Int32Array<ArrayBufferLike> = new Int32Array(4);
let uniformAt = 0;
const uniform: Uniform = () => draw(uniformRs, uniformAt);

let primed = false;

/**
 * Gives the streaming step type feedback for every branch once (a sampler filling up, then full:
 * offers rejected by the bound, rejected by the weight, accepted with a delete), on a tiny forest,
 * before the first real batch: otherwise the optimised code of a big batch, compiled while the
 * samplers were still filling, bails out when they fill up. Module state only (importing runs no
 * code); the tiny forest's numbers are thrown away.
 */
function primeForest(): void {
  if (primed) return;
  primed = true;
  const d = 2;
  const n = 96;
  const x = new Float64Array(n * d);
  for (let i = 0; i < x.length; i++) x[i] = (i * 0.618034) % 1;
  const f = new CutForest({ dimensions: d, numberOfTrees: 2, sampleSize: 8, outputAfter: 2, seed: 1 });
  f.scoreThenUpdateRows(x, n, new Float64Array(n));
}

/** Rows per block in batch scoring. */
const SCORE_BLOCK = 256;

/** How many updates a cached rejection bound stays valid. */
const BOUND_STEPS = 64;

/**
 * A value τ such that every `U <= τ` gives a weight `-s·λ + ln(-ln U) >= wMax` for all sequence
 * numbers `s <= sMax` (so the offer is rejected). Exactly: `ln(-ln U) >= c` with
 * `c = wMax + sMax·λ` iff `U <= exp(-exp(c))`; `c` is nudged up by a margin far above the
 * rounding error of the weight formula, which only makes the bound more conservative.
 */
export function rejectBound(wMax: number, sMax: number, lambda: number): number {
  const shift = sMax * lambda;
  const c = wMax + shift + 1e-9 * (1 + Math.abs(wMax) + Math.abs(shift));
  return Math.exp(-Math.exp(c));
}

/** Upper bound on trees × samples × dimensions (memory guard, also against hostile model files). */
const MAX_CELLS = 1 << 24;

function check(ok: boolean, name: string, value: unknown, what: string): void {
  if (!ok) throw new DetectorError('bad_config', `${name} must be ${what}, got ${String(value)}`);
}

/**
 * Gives up forest `f` for good, by its only owner (a stream `tsad serve` dropped: `releaseStream`): its
 * memory goes to the pool for the next forest of its sizes (see `CutForest`'s static block), and
 * every later method of `f` throws `DetectorError` `internal`. Internal: no entry point exports it, since
 * `f.trees` would still reach that memory. Returns whether the memory was pooled.
 */
export function releaseForest(f: CutForest): boolean {
  return releaseOf(f);
}
