/**
 * Ensemble plumbing as pure functions (docs/ensemble.md, "Ensemble"): aligning member
 * score series to a common time grid, and the per-timestamp combiners over aligned columns.
 *
 * Combiners see `k` aligned columns (one per used member) and write one combined value per row.
 * A NaN entry counts as a missing output at that row: it is skipped and the weights of the
 * remaining members are renormalised (the reference has no rule for it; ours never returns NaN
 * unless every member is NaN at that row).
 */
import { DetectorError } from '../errors.js';
import type { TimeSeries } from '../series/types.js';

/** Sorted union of the timestamps of several series (each strictly increasing). */
export function unionGrid(series: readonly TimeSeries[]): Float64Array {
  let total = 0;
  for (const s of series) total += s.t.length;
  const out = new Float64Array(total);
  const pos = new Int32Array(series.length);
  let m = 0;
  for (;;) {
    let best = Number.POSITIVE_INFINITY;
    for (let j = 0; j < series.length; j++) {
      const tj = series[j].t;
      if (pos[j] < tj.length && tj[pos[j]] < best) best = tj[pos[j]];
    }
    if (best === Number.POSITIVE_INFINITY) break;
    out[m++] = best;
    for (let j = 0; j < series.length; j++) {
      const tj = series[j].t;
      if (pos[j] < tj.length && tj[pos[j]] === best) pos[j]++;
    }
  }
  return out.slice(0, m);
}

/**
 * The target's timestamps between the earliest member start and the latest member end
 * (both inclusive), the grid used when a target (labels, or the data being scored) is given.
 */
export function targetGrid(target: Float64Array, series: readonly TimeSeries[]): Float64Array {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const s of series) {
    if (s.t.length === 0) continue;
    if (s.t[0] < lo) lo = s.t[0];
    if (s.t[s.t.length - 1] > hi) hi = s.t[s.t.length - 1];
  }
  let a = 0;
  while (a < target.length && target[a] < lo) a++;
  let b = target.length;
  while (b > a && target[b - 1] > hi) b--;
  return target.slice(a, b);
}

/**
 * Re-indexes `s` to `grid`: values at timestamps of `s` are kept, others are linearly interpolated
 * in time between the neighbouring points of `s`, then forward-filled after its last point and
 * back-filled before its first (pandas `interpolate(method='time').ffill().bfill()`).
 * An empty `s` gives NaN everywhere.
 */
export function alignTo(
  grid: Float64Array,
  s: TimeSeries,
  out = new Float64Array(grid.length),
): Float64Array {
  const n = s.t.length;
  const t = s.t;
  const v = s.v;
  if (n === 0) {
    out.fill(Number.NaN);
    return out;
  }
  let j = 0; // first index with t[j] >= g
  for (let i = 0; i < grid.length; i++) {
    const g = grid[i];
    while (j < n && t[j] < g) j++;
    if (j < n && t[j] === g) out[i] = v[j];
    else if (j === 0) out[i] = v[0];
    else if (j === n) out[i] = v[n - 1];
    else {
      const t0 = t[j - 1];
      const t1 = t[j];
      out[i] = v[j - 1] + ((v[j] - v[j - 1]) * (g - t0)) / (t1 - t0);
    }
  }
  return out;
}

/**
 * numpy-style median of the first `k` entries of `buf` (none NaN; sorts them in place). An insertion
 * sort in the order of `TypedArray.prototype.sort` (ascending, −0 before +0), so the same bits as
 * sorting `buf.subarray(0, k)`, without the view and the built-in's call per row (k is the member
 * count, a handful).
 */
function medianInPlace(buf: Float64Array, k: number): number {
  for (let i = 1; i < k; i++) {
    const x = buf[i];
    let j = i - 1;
    // move up the entries after x: greater, or +0 where x is −0 (1 / ±0 = ±Infinity)
    while (j >= 0 && (buf[j] > x || (buf[j] === 0 && x === 0 && 1 / buf[j] > 1 / x))) {
      buf[j + 1] = buf[j];
      j--;
    }
    buf[j + 1] = x;
  }
  const h = k >> 1;
  return k % 2 === 1 ? buf[h] : (buf[h - 1] + buf[h]) / 2;
}

export type CombineKind = 'mean' | 'median' | 'max';

/**
 * One row's combination, shared by batch and streaming so both give the same bits. Holds its
 * scratch buffers: `row()` allocates nothing.
 *
 * * `mean`: weighted mean with Merlion's median-of-signs rule: with `absScore` and more than one
 *   member, `sign = median(sign(v_j))` (exactly 0 becomes −1; ±0.5 halves the result) and the result
 *   is `sign · Σ w_j |v_j|`; otherwise `Σ w_j v_j`. Weights default to equal and are normalised
 *   over the row's non-NaN entries (Σ (w_j / Σw) · v_j, as the reference sums it).
 * * `median`: `sign · median(|v|)` with the same sign rule; without abs `median(v)`.
 * * `max`: a real maximum. With `absScore`, the member value of largest magnitude keeping its own
 *   sign (first on ties); without, `max(v)`. (The reference's `Max` with `abs_score` returns the
 *   median of absolute values — a documented bug we do not reproduce.)
 */
export class RowCombiner {
  readonly k: number;
  private readonly w: Float64Array;
  private readonly signs: Float64Array;
  private readonly vals: Float64Array;

  /** `mean` only: per member, the |value| at which it alone reaches `aloneLevel` (0: never); or null. */
  private readonly aloneAt: Float64Array | null;
  private readonly aloneLevel: number;

  constructor(
    readonly kind: CombineKind,
    readonly absScore: boolean,
    k: number,
    weights?: ArrayLike<number> | null,
    alone?: { at: ArrayLike<number | null>; level: number } | null,
  ) {
    if (k < 1) throw new DetectorError('no_members', 'a combiner needs at least one member output');
    if (!primed) primeRowCombiners();
    this.k = k;
    this.w = new Float64Array(k);
    for (let j = 0; j < k; j++) this.w[j] = weights ? weights[j] : 1;
    this.signs = new Float64Array(k);
    this.vals = new Float64Array(k);
    this.aloneAt = null;
    this.aloneLevel = 0;
    if (alone && kind === 'mean') {
      this.aloneAt = new Float64Array(k);
      for (let j = 0; j < k; j++) this.aloneAt[j] = alone.at[j] ?? 0;
      this.aloneLevel = alone.level;
    }
  }

  /**
   * The mean's "alone" path: the member with the largest `level · |v_j| / at[j]` among those with
   * |v_j| ≥ at[j], if that beats |mean|; otherwise the mean unchanged.
   */
  private applyAlone(v: ArrayLike<number>, mean: number): number {
    const at = this.aloneAt as Float64Array;
    let out = mean;
    let mag = Math.abs(mean);
    for (let j = 0; j < this.k; j++) {
      const a = at[j];
      const x = v[j];
      if (a === 0 || Number.isNaN(x) || Math.abs(x) < a) continue;
      const c = (this.aloneLevel * Math.abs(x)) / a;
      if (c > mag) {
        mag = c;
        out = this.absScore ? Math.sign(x) * c : x < 0 ? -c : c;
      }
    }
    return out;
  }

  /** Combines the `k` member values of one row (NaN = missing). NaN only if all are missing. */
  row(v: ArrayLike<number>): number {
    const k = this.k;
    const signed = this.absScore && k > 1;
    if (this.kind === 'max') {
      let best = Number.NaN;
      let bestKey = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < k; j++) {
        const x = v[j];
        if (Number.isNaN(x)) continue;
        const key = this.absScore ? Math.abs(x) : x;
        if (key > bestKey || Number.isNaN(best)) {
          best = x;
          bestKey = key;
        }
      }
      return best;
    }
    let m = 0;
    let wsum = 0;
    for (let j = 0; j < k; j++) {
      const x = v[j];
      if (Number.isNaN(x)) continue;
      wsum += this.w[j];
      this.signs[m] = Math.sign(x);
      this.vals[m] = signed ? Math.abs(x) : x;
      m++;
    }
    if (m === 0) return Number.NaN;
    let out: number;
    if (this.kind === 'median') out = medianInPlace(this.vals, m);
    else {
      out = -0; // so a single −0 member stays −0 (−0 + x = x for every other x)
      for (let j = 0; j < k; j++) {
        const x = v[j];
        if (Number.isNaN(x)) continue;
        out += (this.w[j] / wsum) * (signed ? Math.abs(x) : x);
      }
    }
    if (!signed) return this.aloneAt ? this.applyAlone(v, out) : out;
    let sgn = medianInPlace(this.signs, m);
    if (sgn === 0) sgn = -1;
    return this.aloneAt ? this.applyAlone(v, sgn * out) : sgn * out;
  }

  /** Combines aligned columns row by row. */
  apply(cols: readonly Float64Array[]): Float64Array {
    const n = checkColumns(cols);
    if (cols.length !== this.k)
      throw new DetectorError('misaligned', `expected ${this.k} member outputs, got ${cols.length}`);
    const row = new Float64Array(this.k);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < this.k; j++) row[j] = cols[j][i];
      out[i] = this.row(row);
    }
    return out;
  }
}

let primed = false;

/**
 * Gives `RowCombiner.row` type feedback for every kind once (the maximum with and without absolute
 * scores, the mean signed and not, with its "alone" path, the median), on three short columns with a
 * missing value, before the first real combiner runs; the numbers are thrown away. Called by the
 * first combiner's constructor, not at import (importing tsad runs no code).
 *
 * Why: the default detector's inner mean combines its members' training scores first (3,489 rows on
 * NAB's machine temperature), so V8 optimises `row` for the mean alone; the outer maximum's first
 * row then bailed out ("insufficient type feedback for generic named access" on the maximum's
 * branch) and `row` was compiled again, a TurboFan compile on the two cores the command shares
 * with its forest worker and V8's compiler threads (docs/evaluation.md, Start-up round 44).
 */
function primeRowCombiners(): void {
  primed = true;
  const n = 64;
  const cols = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  for (let i = 0; i < n; i++) {
    cols[0][i] = ((i * 0.618034) % 1) - 0.3;
    cols[1][i] = i % 5 === 0 ? Number.NaN : ((i * 0.414214) % 1) * 2 - 1;
    cols[2][i] = ((i * 0.732051) % 1) * 3;
  }
  const alone = { at: [0.5, null, 2], level: 3 };
  for (let pass = 0; pass < 2; pass++) {
    for (const abs of [true, false]) {
      new RowCombiner('max', abs, 3).apply(cols);
      new RowCombiner('mean', abs, 3, [0.2, 0.3, 0.5], alone).apply(cols);
      new RowCombiner('mean', abs, 3).apply(cols);
      new RowCombiner('median', abs, 3).apply(cols);
    }
  }
}

function checkColumns(cols: readonly Float64Array[]): number {
  if (cols.length === 0) throw new DetectorError('no_members', 'a combiner needs at least one member output');
  const n = cols[0].length;
  for (const c of cols) {
    if (c.length !== n)
      throw new DetectorError(
        'misaligned',
        `member outputs have different lengths (${n} vs ${c.length}): align them to one grid first`,
      );
  }
  return n;
}

/** Mean combiner over aligned columns (see `RowCombiner`). */
export function combineMean(
  cols: readonly Float64Array[],
  opts: { absScore?: boolean; weights?: ArrayLike<number> } = {},
): Float64Array {
  checkColumns(cols);
  return new RowCombiner('mean', opts.absScore ?? true, cols.length, opts.weights).apply(cols);
}

/** Median combiner over aligned columns (see `RowCombiner`). */
export function combineMedian(
  cols: readonly Float64Array[],
  opts: { absScore?: boolean } = {},
): Float64Array {
  checkColumns(cols);
  return new RowCombiner('median', opts.absScore ?? true, cols.length).apply(cols);
}

/** Max combiner over aligned columns: a real maximum (see `RowCombiner`). */
export function combineMax(cols: readonly Float64Array[], opts: { absScore?: boolean } = {}): Float64Array {
  checkColumns(cols);
  return new RowCombiner('max', opts.absScore ?? true, cols.length).apply(cols);
}

/** Whether a smaller value of the named metric is better (mean time to detect). */
export type MetricDirection = 'higher' | 'lower';

/**
 * `ModelSelector`: the members whose metric equals the best value (ties keep several). Failed
 * members (metric `NaN`) never win. Without metric values (no target) every member is used.
 */
export function selectBest(values: readonly number[], direction: MetricDirection = 'higher'): number[] {
  // NaN keys below every number, -Infinity included (the key of a lower-is-better +Infinity: a member
  // that never detected ties only with others like it, never with a failed one)
  const keyed = values.map((v) => (Number.isNaN(v) ? Number.NaN : direction === 'higher' ? v : -v));
  let best = Number.NaN;
  for (const k of keyed) if (Number.isNaN(best) || k > best) best = k;
  const used: number[] = [];
  keyed.forEach((k, i) => {
    if (k === best || (Number.isNaN(best) && Number.isNaN(k))) used.push(i);
  });
  return used;
}

/**
 * `MetricWeightedMean` weights: `metric_i / Σ metric` (or `(1/metric_i) / Σ (1/metric)` when lower is
 * better; a lower-is-better `+Infinity`, a member that never detected, weighs 0). Falls back to equal
 * weights when the metrics give no usable weighting (all zero, any negative, NaN or other non-finite
 * value), and says so through `onFallback`.
 */
export function metricWeights(
  values: readonly number[],
  direction: MetricDirection = 'higher',
  onFallback?: (reason: string) => void,
): Float64Array {
  const k = values.length;
  const raw = new Float64Array(k);
  let ok = true;
  for (let i = 0; i < k; i++) {
    const v = values[i];
    // lower is better: +Infinity (never detected) weighs 0
    const finite = Number.isFinite(v) || (direction === 'lower' && v === Number.POSITIVE_INFINITY);
    if (!finite || v < 0 || (direction === 'lower' && v === 0)) ok = false;
    raw[i] = direction === 'higher' ? v : 1 / v;
  }
  let s = 0;
  for (const r of raw) s += r;
  if (!ok || !(s > 0)) {
    onFallback?.(`member metrics [${values.join(', ')}] give no usable weights; using equal weights instead`);
    return new Float64Array(k).fill(1 / k);
  }
  for (let i = 0; i < k; i++) raw[i] /= s;
  return raw;
}
