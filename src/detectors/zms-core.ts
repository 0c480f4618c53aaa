/**
 * The raw ZMS model (multiple lagged z-scores, Merlion's `ZMS`; docs/ensemble.md, "ZMS"):
 * the value and its padded lags `x_i − x_{i−k}` at scales `k = base^j` are normalised by their
 * training mean and population standard deviation; the score is the z-score of the column that
 * wins a (signed) lag-inflated argmax.
 *
 * Everything here is pure arithmetic over typed arrays. Batch scoring and streaming use the same
 * per-point routine (`scorePoint`), so their numbers are identical bit for bit.
 */

import { DetectorError } from '../errors.js';
import { clampFinite } from '../math/finite.js';

/** Trained state of the raw ZMS model. `mean[0]`/`scale[0]` are the level's, `mean[j+1]` lag `lags[j]`'s. */
export interface ZmsState {
  readonly lags: readonly number[];
  readonly lagInflation: number;
  readonly mean: readonly number[];
  readonly scale: readonly number[];
}

export interface ZmsFitOptions {
  /** Base of the lag scales `base^j`. */
  base: number;
  /** Number of lags; `null` = `trunc(log_base(n))` of the training length (at least 0). */
  nLags: number | null;
  /** Lag inflation exponent `p ≥ 0`. */
  lagInflation: number;
}

const EPS = 2.220446049250313e-16;
/** Smallest standard deviation accepted (smaller ones make z-scores overflow on ordinary data). */
export const MIN_SCALE = 1e-150;

/** The lag scales `base^0 … base^(nLags−1)`. */
export function zmsLags(base: number, nLags: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < nLags; j++) out.push(base ** j);
  return out;
}

/** `nLags` when the config leaves it open: `trunc(log_base(n))`, never below 0. */
export function defaultLagCount(n: number, base: number): number {
  if (n <= 1) return 0;
  return Math.max(0, Math.trunc(Math.log(n) / Math.log(base)));
}

/**
 * The value of padded lag `k` at position `i` of `x` (`x_j = x_0` for `j < 0`): `x_i − x_{max(i−k, 0)}`.
 */
function lagAt(x: Float64Array, i: number, k: number): number {
  const j = i - k;
  return x[i] - x[Math.max(j, 0)];
}

/**
 * Mean and population standard deviation of a column, with scikit-learn's constant-column rule.
 * Sums run on the column divided by a power of two near its largest magnitude, so huge values do
 * not overflow; the scaling is exact, so ordinary data gets the plain formula's bits.
 */
function meanScale(col: Float64Array): [number, number] {
  const n = col.length;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(col[i]);
    if (a > amax) amax = a;
  }
  if (!Number.isFinite(amax)) {
    throw new DetectorError(
      'non_finite',
      'ZMS: the values or their lag differences overflow float64; rescale the series before training',
    );
  }
  // power of two: exact scaling; 1 for ordinary magnitudes (bit-identical to the plain formula)
  const M = amax > 2 ** 500 ? 2 ** Math.ceil(Math.log2(amax)) : 1;
  let s = 0;
  for (let i = 0; i < n; i++) s += col[i] / M;
  const mean = s / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = col[i] / M - mean;
    ss += d * d;
  }
  const variance = ss / n;
  const bound = n * EPS * variance + (n * mean * EPS) ** 2;
  const scale = variance <= bound ? 1 : Math.sqrt(variance) * M;
  if (scale < MIN_SCALE) {
    throw new DetectorError(
      'tiny_scale',
      `ZMS: a column's standard deviation (${scale}) is below ${MIN_SCALE}; rescale the series before training`,
    );
  }
  return [mean * M, scale];
}

/** Fits the normalisation statistics on the training values. */
export function fitZms(x: Float64Array, opts: ZmsFitOptions): ZmsState {
  const n = x.length;
  if (n === 0) throw new DetectorError('empty_train', 'ZMS needs at least one training point');
  const nLags = opts.nLags ?? defaultLagCount(n, opts.base);
  const lags = zmsLags(opts.base, nLags);
  const mean: number[] = [];
  const scale: number[] = [];
  const col = new Float64Array(n);
  col.set(x);
  let ms = meanScale(col);
  mean.push(ms[0]);
  scale.push(ms[1]);
  for (const k of lags) {
    for (let i = 0; i < n; i++) col[i] = lagAt(x, i, k);
    ms = meanScale(col);
    mean.push(ms[0]);
    scale.push(ms[1]);
  }
  return { lags, lagInflation: opts.lagInflation, mean, scale };
}

/** Precomputed per-model constants for the per-point routine. */
export interface ZmsKernel {
  readonly lags: Int32Array;
  readonly mean: Float64Array;
  readonly scale: Float64Array;
  /** `k_j^p` per lag (1 when not inflating). */
  readonly inflate: Float64Array;
  /** Signed lag-inflated argmax (true) or max |z| (false). */
  readonly signedArgmax: boolean;
  readonly maxLag: number;
}

export function zmsKernel(state: ZmsState): ZmsKernel {
  const L = state.lags.length;
  const p = state.lagInflation;
  const inflate = new Float64Array(L);
  for (let j = 0; j < L; j++) inflate[j] = state.lags[j] ** p;
  let maxLag = 0;
  for (const k of state.lags) if (k > maxLag) maxLag = k;
  return {
    lags: Int32Array.from(state.lags),
    mean: Float64Array.from(state.mean),
    scale: Float64Array.from(state.scale),
    inflate,
    signedArgmax: p > 0 && L > 1,
    maxLag,
  };
}

/**
 * The score of one point from its value `xi` and its lag differences `d[j] = xi − x_{i−k_j}`.
 * Shared by batch and stream, so both produce the same bits.
 */
export function scorePoint(
  kern: ZmsKernel,
  xi: number,
  d: Float64Array,
  levelMean = kern.mean[0],
  levelScale = kern.scale[0],
): number {
  // finite input, finite score: a z-score that overflows (a value near ±1e308) is clamped
  return clampFinite(scorePointRaw(kern, xi, d, levelMean, levelScale));
}

function scorePointRaw(
  kern: ZmsKernel,
  xi: number,
  d: Float64Array,
  levelMean: number,
  levelScale: number,
): number {
  const L = kern.lags.length;
  const z0 = (xi - levelMean) / levelScale;
  if (kern.signedArgmax) {
    // Signed argmax over (z0, z1/k0^p, …): first index on ties; a NaN entry wins (numpy argmax).
    if (Number.isNaN(z0)) return z0;
    let best = z0;
    let bestZ = z0;
    for (let j = 0; j < L; j++) {
      const z = (d[j] - kern.mean[j + 1]) / kern.scale[j + 1];
      const a = z / kern.inflate[j];
      if (Number.isNaN(a)) return z;
      if (a > best) {
        best = a;
        bestZ = z;
      }
    }
    return bestZ;
  }
  // max |z| ignoring NaN (NaN only when every column is NaN)
  let m = Math.abs(z0);
  for (let j = 0; j < L; j++) {
    const z = Math.abs((d[j] - kern.mean[j + 1]) / kern.scale[j + 1]);
    if (Number.isNaN(m) || z > m) m = z;
  }
  return m;
}

/**
 * Scores `x` given the values immediately before it (`prev`, may be empty): the lags are taken on
 * the concatenation `prev + x`, padded with its first value (docs/ensemble.md, ZMS).
 */
export function zmsScores(kern: ZmsKernel, x: Float64Array, prev?: Float64Array): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  const L = kern.lags.length;
  const d = new Float64Array(L);
  const p = prev ?? new Float64Array(0);
  const np = p.length;
  const first = np > 0 ? p[0] : x[0];
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    for (let j = 0; j < L; j++) {
      const idx = i - kern.lags[j];
      let past: number;
      if (idx >= 0) past = x[idx];
      else {
        const pi = np + idx;
        past = pi >= 0 ? p[pi] : first;
      }
      d[j] = xi - past;
    }
    out[i] = scorePoint(kern, xi, d);
  }
  return out;
}

/** State of the adaptive level reference of `ZmsStreamCore`. */
interface ZmsLevelReference {
  /** Weight of a new value (exponential mode). */
  readonly alpha: number;
  /** Values behind the reference in cumulative mode (−1: exponential mode). */
  count: number;
  /** Cumulative mode: the count at which the reference stops learning and stays (∞: never). */
  readonly until: number;
  /** Whether the variance adapts too (else it stays the training variance). */
  readonly adaptScale: boolean;
  mean: number;
  variance: number;
  /** The training variance: the scale never falls below it. */
  readonly floor: number;
}

/**
 * The streaming counterpart: keeps the last `maxLag` values (and the series' first value for
 * padding) in a ring buffer; `push` costs O(number of lags) and allocates nothing.
 */
export class ZmsStreamCore {
  private readonly kern: ZmsKernel;
  /**
   * The adaptive level reference (`levelHalfLife > 0`): exponentially weighted mean and variance of
   * the values scored so far, starting from the training mean and variance; null = frozen (Merlion's).
   */
  private level: ZmsLevelReference | null = null;
  private readonly ring: Float64Array;
  private readonly d: Float64Array;
  /** Number of values seen so far (capped use: only compared with lags). */
  private seen = 0;
  private head = 0;
  private first = Number.NaN;

  /** A core whose context is the concatenation of `history` (oldest first, any number of parts). */
  constructor(kern: ZmsKernel, ...history: (Float64Array | undefined)[]) {
    this.kern = kern;
    this.ring = new Float64Array(Math.max(1, kern.maxLag));
    this.d = new Float64Array(kern.lags.length);
    const parts = history.filter((h): h is Float64Array => h !== undefined && h.length > 0);
    let total = 0;
    for (const h of parts) total += h.length;
    if (total === 0) return;
    this.first = parts[0][0];
    // remember only the last ring-length values of the concatenation
    let skip = Math.max(0, total - this.ring.length);
    for (const h of parts) {
      const from = Math.min(skip, h.length);
      skip -= from;
      for (let i = from; i < h.length; i++) this.remember(h[i]);
    }
    this.seen = total;
  }

  private remember(v: number): void {
    this.ring[this.head] = v;
    this.head = (this.head + 1) % this.ring.length;
  }

  /** The value `k ≥ 1` steps back (padding with the first value before the start). */
  private back(k: number): number {
    if (k > this.seen) return this.first;
    const R = this.ring.length;
    return this.ring[(this.head - k + R * 2) % R];
  }

  /**
   * Makes the level reference adaptive: each learnt value moves it towards that value, with half-life
   * `halfLife` points (`'cumulative'`: the reference is the mean and variance of every value seen,
   * training included, `count` of them so far), its mean always and its variance with `adaptScale`,
   * from `start` (default: the training mean and variance); the scale never falls below the training
   * standard deviation. In cumulative mode `until` (default ∞) is the count at which the reference
   * stops learning: from then on it stays the mean and variance of the first `until` values.
   */
  adaptLevel(
    halfLife: number | 'cumulative',
    adaptScale: boolean,
    start?: { mean: number; variance: number; count?: number },
    count = 0,
    until = Number.POSITIVE_INFINITY,
  ): this {
    const s0 = this.kern.scale[0];
    this.level = {
      alpha: halfLife === 'cumulative' ? 0 : 1 - 2 ** (-1 / halfLife),
      count: halfLife === 'cumulative' ? (start?.count ?? count) : -1,
      until,
      adaptScale,
      mean: start?.mean ?? this.kern.mean[0],
      variance: start?.variance ?? s0 * s0,
      floor: s0 * s0,
    };
    return this;
  }

  /** The adaptive level reference's mean and variance (null when frozen). */
  levelState(): { mean: number; variance: number; count?: number; until?: number } | null {
    const r = this.level;
    if (r === null) return null;
    if (r.count < 0) return { mean: r.mean, variance: r.variance };
    return Number.isFinite(r.until)
      ? { mean: r.mean, variance: r.variance, count: r.count, until: r.until }
      : { mean: r.mean, variance: r.variance, count: r.count };
  }

  push(v: number): number {
    const s = this.peek(v);
    this.learn(v);
    return s;
  }

  /** Moves the adaptive level reference towards a learnt value (no-op when frozen or not finite). */
  private adapt(v: number): void {
    const r = this.level;
    if (r === null || !Number.isFinite(v) || r.count >= r.until) return;
    // cumulative: alpha = 1 / (count + 1) makes both updates Welford's (population variance)
    let alpha = r.alpha;
    if (r.count >= 0) alpha = 1 / ++r.count;
    const d = v - r.mean;
    r.mean += alpha * d;
    if (r.adaptScale) r.variance = (1 - alpha) * (r.variance + alpha * d * d);
  }

  /** The score of `v` as the next value, without remembering it. */
  peek(v: number): number {
    const L = this.kern.lags.length;
    const first = this.seen === 0 ? v : this.first;
    for (let j = 0; j < L; j++) {
      const k = this.kern.lags[j];
      this.d[j] = v - (k > this.seen ? first : this.back(k));
    }
    const r = this.level;
    if (r === null) return scorePoint(this.kern, v, this.d);
    return scorePoint(this.kern, v, this.d, r.mean, Math.sqrt(Math.max(r.variance, r.floor)));
  }

  /**
   * Remembers `v` as the next value (the lags' context), without scoring it; an adaptive level
   * reference learns it too.
   */
  learn(v: number): void {
    if (this.seen === 0) this.first = v;
    this.remember(v);
    this.seen++;
    this.adapt(v);
  }

  /** An independent copy. */
  copy(): ZmsStreamCore {
    const c = new ZmsStreamCore(this.kern);
    c.ring.set(this.ring);
    c.seen = this.seen;
    c.head = this.head;
    c.first = this.first;
    c.level = this.level ? { ...this.level } : null;
    return c;
  }

  /** The last `maxLag` values and the first value, enough to resume. */
  snapshot(): { first: number; seen: number; recent: number[] } {
    const R = this.ring.length;
    const m = Math.min(this.seen, R);
    const recent: number[] = [];
    for (let k = m; k >= 1; k--) recent.push(this.back(k));
    return { first: this.first, seen: this.seen, recent };
  }

  static restore(kern: ZmsKernel, snap: { first: number; seen: number; recent: number[] }): ZmsStreamCore {
    const s = new ZmsStreamCore(kern);
    s.first = snap.first;
    for (const v of snap.recent) s.remember(v);
    s.seen = snap.seen;
    return s;
  }
}
