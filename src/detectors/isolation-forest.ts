import { z } from 'zod';
import { ModelFormatError } from '../errors.js';
import { Rng } from '../math/rng.js';
import { baseConfigShape } from './base-config.js';
import { decodeFloats, decodeInts, encodeFloats, intField, jsonFloat } from './json.js';
import { defineDetector, loadAs, type RowModel, SpecDetector, specLoader } from './spec.js';
import { type Frame, transformSchema } from './transforms.js';
import type { JsonValue } from './types.js';

const EULER_GAMMA = 0.5772156649015329;

/** Average path length of an unsuccessful BST search among k points: scikit-learn's c(k). */
export function averagePathLength(k: number): number {
  if (k <= 1) return 0;
  if (k === 2) return 1;
  return 2.0 * (Math.log(k - 1.0) + EULER_GAMMA) - (2.0 * (k - 1.0)) / k;
}

/** Rows per block in batch scoring: trees run over a block of rows that stays in cache. */
const BLOCK = 512;

/**
 * A trained isolation forest, trees stored as flat typed arrays (struct of arrays): node `i` is a
 * leaf when `feature[i] < 0`, and then `value[i]` is its path length `depth + c(n_leaf)`; otherwise
 * `value[i]` is the split threshold, rows with `x[feature] ≤ value` go to `left[i]`, the others to
 * `left[i] + 1`. Tree `k` starts at node `roots[k]`.
 */
export class IsolationForestModel {
  constructor(
    /** Subsample size ψ (the c(ψ) normaliser). */
    readonly psi: number,
    /** Row width. */
    readonly d: number,
    readonly roots: Int32Array,
    readonly feature: Int32Array,
    readonly value: Float64Array,
    readonly left: Int32Array,
  ) {}

  get nTrees(): number {
    return this.roots.length;
  }

  /** Normalising denominator T·c(ψ) (scikit-learn divides the summed depths once). */
  private get denom(): number {
    return this.nTrees * averagePathLength(this.psi);
  }

  /** Summed path lengths h(x) over all trees for the row starting at `off` in `x`. */
  pathLengthSum(x: Float64Array, off: number): number {
    const { roots, feature, value, left } = this;
    let sum = 0;
    for (let k = 0; k < roots.length; k++) {
      let node = roots[k];
      let f = feature[node];
      while (f >= 0) {
        node = x[off + f] <= value[node] ? left[node] : left[node] + 1;
        f = feature[node];
      }
      sum += value[node];
    }
    return sum;
  }

  /** Anomaly score 2^(−E[h]/c(ψ)) of one row (0.5 when c(ψ) = 0). */
  scoreRow(x: Float64Array, off = 0): number {
    const den = this.denom;
    const lut = this.getLut();
    const sum = lut ? lut.pathLengthSum(x, off, this) : this.pathLengthSum(x, off);
    return den === 0 ? 0.5 : 2 ** (-sum / den);
  }

  /** Scores `n` rows of `x` (row-major, width d) into `out`; same arithmetic as `scoreRow`. */
  scoreInto(x: Float64Array, n: number, out: Float64Array): void {
    const den = this.denom;
    const lut = this.getLut();
    if (lut) {
      for (let i = 0; i < n; i++) {
        const sum = lut.pathLengthSum(x, i * this.d, this);
        out[i] = den === 0 ? 0.5 : 2 ** (-sum / den);
      }
      return;
    }
    const { roots, feature, value, left, d } = this;
    const acc = new Float64Array(Math.min(BLOCK, n));
    for (let b = 0; b < n; b += BLOCK) {
      const e = Math.min(n, b + BLOCK);
      acc.fill(0);
      for (let k = 0; k < roots.length; k++) {
        const root = roots[k];
        for (let i = b; i < e; i++) {
          const off = i * d;
          let node = root;
          let f = feature[node];
          while (f >= 0) {
            node = x[off + f] <= value[node] ? left[node] : left[node] + 1;
            f = feature[node];
          }
          acc[i - b] += value[node];
        }
      }
      for (let i = b; i < e; i++) out[i] = den === 0 ? 0.5 : 2 ** (-acc[i - b] / den);
    }
  }

  private lut: RankLut | null | undefined;

  /** The rank lookup tables (built on first use; null when the forest does not qualify). */
  private getLut(): RankLut | null {
    if (this.lut === undefined) this.lut = RankLut.build(this);
    return this.lut;
  }

  /**
   * Grows `nTrees` trees (docs/detectors.md, IsolationForest): each on ψ rows drawn without replacement, depth limit
   * ⌈log2 max(ψ, 2)⌉, split feature uniform among the node's non-constant features, threshold
   * uniform in [min, max).
   */
  static build(frame: Frame, nTrees: number, maxSamples: number, rng: Rng): IsolationForestModel {
    const { n, d, x } = frame;
    const psi = Math.min(maxSamples, n);
    const maxDepth = Math.ceil(Math.log2(Math.max(psi, 2)));
    const perTree = 2 * psi - 1;
    const feature = new Int32Array(nTrees * perTree);
    const value = new Float64Array(nTrees * perTree);
    const left = new Int32Array(nTrees * perTree);
    const roots = new Int32Array(nTrees);
    const pool = new Int32Array(n);
    for (let i = 0; i < n; i++) pool[i] = i;
    const idx = new Int32Array(psi);
    const mins = new Float64Array(d);
    const maxs = new Float64Array(d);
    const cand = new Int32Array(d);
    // explicit stack of (node, lo, hi, depth)
    const stack = new Int32Array(4 * (maxDepth + 2) * 2);
    let next = 0;
    for (let k = 0; k < nTrees; k++) {
      // partial Fisher–Yates: the first psi entries of pool become a uniform sample
      for (let i = 0; i < psi; i++) {
        const j = rng.int(i, n - 1);
        const tmp = pool[i];
        pool[i] = pool[j];
        pool[j] = tmp;
        idx[i] = pool[i];
      }
      roots[k] = next;
      let sp = 0;
      stack[sp++] = next++;
      stack[sp++] = 0;
      stack[sp++] = psi;
      stack[sp++] = 0;
      while (sp > 0) {
        const depth = stack[--sp];
        const hi = stack[--sp];
        const lo = stack[--sp];
        const node = stack[--sp];
        const size = hi - lo;
        let nc = 0;
        if (depth < maxDepth && size >= 2) {
          mins.fill(Number.POSITIVE_INFINITY);
          maxs.fill(Number.NEGATIVE_INFINITY);
          for (let i = lo; i < hi; i++) {
            const off = idx[i] * d;
            for (let j = 0; j < d; j++) {
              const v = x[off + j];
              if (v < mins[j]) mins[j] = v;
              if (v > maxs[j]) maxs[j] = v;
            }
          }
          for (let j = 0; j < d; j++) if (maxs[j] > mins[j] + 1e-7) cand[nc++] = j;
        }
        if (nc === 0) {
          feature[node] = -1;
          value[node] = depth + 1 + averagePathLength(size) - 1.0;
          left[node] = -1;
          continue;
        }
        const f = cand[nc === 1 ? 0 : rng.int(0, nc - 1)];
        const lo_ = mins[f];
        const hi_ = maxs[f];
        let thr = lo_ + rng.float() * (hi_ - lo_);
        if (thr >= hi_ || !Number.isFinite(thr)) thr = lo_;
        // partition idx[lo..hi) by x[f] <= thr
        let a = lo;
        let b = hi - 1;
        while (a <= b) {
          if (x[idx[a] * d + f] <= thr) a++;
          else {
            const tmp = idx[a];
            idx[a] = idx[b];
            idx[b] = tmp;
            b--;
          }
        }
        feature[node] = f;
        value[node] = thr;
        const l = next;
        next += 2;
        left[node] = l;
        stack[sp++] = l + 1;
        stack[sp++] = a;
        stack[sp++] = hi;
        stack[sp++] = depth + 1;
        stack[sp++] = l;
        stack[sp++] = lo;
        stack[sp++] = a;
        stack[sp++] = depth + 1;
      }
    }
    return new IsolationForestModel(
      psi,
      d,
      roots,
      feature.slice(0, next),
      value.slice(0, next),
      left.slice(0, next),
    );
  }

  toJSON(): JsonValue {
    return {
      psi: this.psi,
      d: this.d,
      roots: Array.from(this.roots),
      feature: Array.from(this.feature),
      value: encodeFloats(this.value),
      left: Array.from(this.left),
    };
  }

  /** Reads `toJSON()` output, checking that every tree is a finite, well-formed binary tree. */
  static fromJSON(s: unknown, path: string, expectD: number): IsolationForestModel {
    const psi = intField(s, 'psi', path, 1, 2 ** 30);
    const d = intField(s, 'd', path, 1, 1 << 20);
    if (d !== expectD)
      throw new ModelFormatError('bad_field', `${path}.d: is ${d}, the transforms give ${expectD}`);
    const obj = s as Record<string, unknown>;
    const roots = decodeInts(obj.roots, `${path}.roots`, 0, 2 ** 31 - 1);
    const feature = decodeInts(obj.feature, `${path}.feature`, -1, d - 1);
    const m = feature.length;
    const value = decodeFloats(obj.value, `${path}.value`, m);
    const left = decodeInts(obj.left, `${path}.left`, -1, 2 ** 31 - 1, m);
    if (roots.length === 0)
      throw new ModelFormatError('bad_field', `${path}.roots: a forest needs at least one tree`);
    for (let k = 0; k < roots.length; k++) {
      const start = roots[k];
      const end = k + 1 < roots.length ? roots[k + 1] : m;
      if (start >= end || (k === 0 && start !== 0)) {
        throw new ModelFormatError(
          'bad_field',
          `${path}.roots[${k}]: trees must be stored consecutively from node 0`,
        );
      }
      for (let i = start; i < end; i++) {
        if (feature[i] < 0) {
          if (left[i] !== -1 || !(value[i] >= 0 && value[i] <= 1e4)) {
            throw new ModelFormatError(
              'bad_field',
              `${path}.value[${i}]: a leaf needs left = -1 and a path length in [0, 1e4]`,
            );
          }
        } else if (!(left[i] > i && left[i] + 1 < end) || Number.isNaN(value[i])) {
          // children after their parent, inside the tree: traversal always terminates
          throw new ModelFormatError('bad_field', `${path}.left[${i}]: child index out of its tree`);
        }
      }
    }
    return new IsolationForestModel(psi, d, roots, feature, value, left);
  }
}

export const isolationForestConfigSchema = z.strictObject({
  ...baseConfigShape(1),
  nEstimators: z.number().int().min(1).max(10_000).default(100),
  /** ψ = min(maxSamples, n) rows per tree (scikit-learn "auto" = 256). */
  maxSamples: z.number().int().min(1).max(1_000_000).default(256),
  /** Merlion's default: difference, then shingle of size 2. */
  transforms: z
    .array(transformSchema)
    .max(16)
    .default([{ type: 'difference' }, { type: 'shingle', size: 2 }]),
});
export type IsolationForestConfig = z.infer<typeof isolationForestConfigSchema>;
export type IsolationForestInput = z.input<typeof isolationForestConfigSchema>;

/** The fitted forest's state (`IsolationForestModel.toJSON()`); `fromJSON` checks the trees. */
const isolationForestStateSchema = z.object({
  psi: z.number(),
  d: z.number(),
  roots: z.array(z.number()),
  feature: z.array(z.number()),
  value: z.array(jsonFloat),
  left: z.array(z.number()),
});
type IsolationForestState = z.infer<typeof isolationForestStateSchema>;

/** The raw model: a forest that never changes after `fit` (copies share it). */
class IsolationForestRaw implements RowModel<IsolationForestState> {
  constructor(
    private readonly config: IsolationForestConfig,
    /** The trained forest (null before training). */
    public model: IsolationForestModel | null,
  ) {}

  fit(frame: Frame): Float64Array {
    const c = this.config;
    this.model = IsolationForestModel.build(frame, c.nEstimators, c.maxSamples, new Rng(c.seed));
    return this.scoreRows(frame);
  }

  scoreRow(row: Float64Array): number {
    return this.model!.scoreRow(row, 0);
  }

  scoreRows(frame: Frame): Float64Array {
    const out = new Float64Array(frame.n);
    this.model!.scoreInto(frame.x, frame.n, out);
    return out;
  }

  toState(): IsolationForestState {
    return this.model!.toJSON() as IsolationForestState;
  }
}

/** The IsolationForest spec (see docs/detectors.md). */
export const isolationForestSpec = defineDetector({
  type: 'IsolationForest',
  aliases: ['isolationForest'],
  level: 'row',
  config: isolationForestConfigSchema,
  state: isolationForestStateSchema,
  transforms: (c) => c.transforms,
  minTrainRows: 2,
  create: (c) => new IsolationForestRaw(c, null),
  fromState: (s, { config, path, d }) =>
    new IsolationForestRaw(config, IsolationForestModel.fromJSON(s, path, d)),
});

/**
 * Isolation Forest (Liu et al. 2008) with scikit-learn's semantics (docs/detectors.md, IsolationForest) and
 * Merlion's defaults: difference → shingle(2), calibrator maxScore 1, AggregateAlarms(3).
 * Unlike the Merlion wrapper, each tree is grown on ψ = min(256, n) rows drawn without
 * replacement. Batch and streaming scores are bit-identical.
 */
export class IsolationForest extends SpecDetector<IsolationForestConfig, IsolationForestRaw> {
  constructor(cfg: IsolationForestInput = {}) {
    super(isolationForestSpec, cfg);
  }

  /** Loads an IsolationForest model file (any other type is a ModelFormatError). */
  static load(json: unknown): IsolationForest {
    return loadAs(json, isolationForestSpec, IsolationForest);
  }

  /** The trained forest (null before training). */
  get forest(): IsolationForestModel | null {
    return this.raw.model;
  }
}

/** The model-file loader of IsolationForest (listed in registry.ts). */
export const loadIsolationForest = specLoader((c) => new IsolationForest(c as IsolationForestInput));

/**
 * #{a_i < v} in an ascending array, branch-free (the comparison becomes a mask), which is about
 * three times faster than a branchy binary search on unpredictable queries.
 */
function lowerBound(a: Float64Array, v: number): number {
  let len = a.length;
  if (len === 0) return 0;
  let base = 0;
  while (len > 1) {
    const half = len >>> 1;
    base += half & -(a[base + half - 1] < v);
    len -= half;
  }
  return base + (a[base] < v ? 1 : 0);
}

const MAX_LUT_BYTES = 64 * 1024 * 1024;

/**
 * Scoring by rank lookup, for forests on rows of width ≤ 2 (the default transform's rows). A tree's
 * leaf depends on x only through, per feature, the number of the tree's thresholds below x. With
 * U_f = all thresholds of feature f in the forest (sorted, unique) and r_f = #{U_f < x_f} (one
 * binary search per row and feature), tree k's cell is `loc0[r_0·T + k] + loc1[r_1·T + k]` and
 * holds the leaf's path length. So a row costs two binary searches plus three table reads per tree
 * instead of a dependent walk down each tree (tables are built once, lazily; ≤ 64 MiB or skipped).
 * The leaf values are the tree's own, summed in tree order: bit-identical to walking the trees.
 */
class RankLut {
  private constructor(
    private readonly u0: Float64Array,
    private readonly u1: Float64Array,
    /** loc0[r·T + k] = offset of tree k's cell row for feature-0 rank r (cellOff_k + loc·W_k). */
    private readonly loc0: Int32Array,
    /** loc1[r·T + k] = tree k's local feature-1 bucket for rank r. */
    private readonly loc1: Uint8Array,
    /** Leaf path length per cell. */
    private readonly cells: Float64Array,
  ) {}

  pathLengthSum(x: Float64Array, off: number, m: IsolationForestModel): number {
    const x0 = x[off];
    const x1 = m.d > 1 ? x[off + 1] : 0;
    if (Number.isNaN(x0) || Number.isNaN(x1)) return m.pathLengthSum(x, off);
    const T = m.roots.length;
    const b0 = lowerBound(this.u0, x0) * T;
    const b1 = m.d > 1 ? lowerBound(this.u1, x1) * T : 0;
    const { loc0, loc1, cells } = this;
    let sum = 0;
    for (let k = 0; k < T; k++) sum += cells[loc0[b0 + k] + loc1[b1 + k]];
    return sum;
  }

  static build(m: IsolationForestModel): RankLut | null {
    const { d, roots, feature, value, left } = m;
    if (d > 2) return null;
    const T = roots.length;
    const nodes = feature.length;
    const perTree: { l0: Float64Array; l1: Float64Array; start: number }[] = [];
    let cellTotal = 0;
    for (let k = 0; k < T; k++) {
      const start = roots[k];
      const end = k + 1 < T ? roots[k + 1] : nodes;
      const a: number[] = [];
      const b: number[] = [];
      for (let i = start; i < end; i++) {
        if (feature[i] === 0) a.push(value[i]);
        else if (feature[i] === 1) b.push(value[i]);
      }
      const l0 = uniqueSorted(a);
      const l1 = uniqueSorted(b);
      if (l1.length > 255) return null;
      cellTotal += (l0.length + 1) * (l1.length + 1);
      perTree.push({ l0, l1, start });
    }
    const u0 = uniqueSorted(perTree.flatMap((p) => Array.from(p.l0)));
    const u1 = uniqueSorted(perTree.flatMap((p) => Array.from(p.l1)));
    if (cellTotal * 8 + (u0.length + 1) * T * 4 + (u1.length + 1) * T > MAX_LUT_BYTES) return null;
    const loc0 = new Int32Array((u0.length + 1) * T);
    const loc1 = new Uint8Array((u1.length + 1) * T);
    const cells = new Float64Array(cellTotal);
    let co = 0;
    for (let k = 0; k < T; k++) {
      const { l0, l1, start } = perTree[k];
      const w = l1.length + 1;
      fillLoc(loc0, u0, l0, k, T, co, w);
      fillLoc(loc1, u1, l1, k, T, 0, 1);
      // one representative per cell: the bucket's upper threshold (or +∞ above them all)
      for (let i0 = 0; i0 <= l0.length; i0++) {
        const r0 = i0 < l0.length ? l0[i0] : Number.POSITIVE_INFINITY;
        for (let i1 = 0; i1 <= l1.length; i1++) {
          const r1 = i1 < l1.length ? l1[i1] : Number.POSITIVE_INFINITY;
          let node = start;
          let f = feature[node];
          while (f >= 0) {
            node = (f === 0 ? r0 : r1) <= value[node] ? left[node] : left[node] + 1;
            f = feature[node];
          }
          cells[co++] = value[node];
        }
      }
    }
    return new RankLut(u0, u1, loc0, loc1, cells);
  }
}

function uniqueSorted(a: ArrayLike<number>): Float64Array {
  const s = Float64Array.from(a).sort();
  let m = 0;
  for (let i = 0; i < s.length; i++) if (i === 0 || s[i] !== s[m - 1]) s[m++] = s[i];
  return s.slice(0, m);
}

/** loc[r·T + k] = base + scale·#{l ∈ L : l < U[r]} (count |L| for r = |U|). */
function fillLoc(
  loc: Int32Array | Uint8Array,
  U: Float64Array,
  L: Float64Array,
  k: number,
  T: number,
  base: number,
  scale: number,
): void {
  let j = 0;
  for (let r = 0; r < U.length; r++) {
    while (j < L.length && L[j] < U[r]) j++;
    loc[r * T + k] = base + scale * j;
  }
  loc[U.length * T + k] = base + scale * L.length;
}
