import { ModelFormatError } from '../../errors.js';
import { clampFinite } from '../../math/finite.js';
import { quantileSorted } from '../../math/quantile.js';
import { decodeFloats, encodeFloats, field } from '../json.js';
import type { JsonValue } from '../types.js';

/** Target z-values of the quantile anchors (docs/detectors.md, Post-processing: AnomScoreCalibrator). */
const TARGETS = [0, 0, 0.5, 1, 1.5, 2];
/** Their quantile levels 2·Φ(t) − 1, as the spec lists them. */
const LEVELS = [0, 0, 0.3829249225480262, 0.6826894921370859, 0.8663855974622838, 0.9544997361036416];

/**
 * The fewest train scores a calibrator learns from meaningfully: its top anchor is the quantile of level
 * `q` = 0.9545 (z = 2), which needs at least `⌈1 / (1 − q)⌉` = 22 scores for one score to lie above it;
 * with fewer, that anchor is the largest train score itself and the calibrated scale is set by one point.
 */
export const CALIBRATOR_MIN_SCORES = Math.ceil(1 / (1 - LEVELS[LEVELS.length - 1]));

/** √ε of float64: the relative resolution of a score computed through a cancelling difference. */
const SQRT_EPS = Math.sqrt(Number.EPSILON);

/**
 * The resolution below which `train()` takes the span of its quantile anchors (z = 0 … 2) as rounding noise
 * (docs/detectors.md, Post-processing: AnomScoreCalibrator, "Collapsed anchors"): √ε times the larger of
 * `maxScore` (the detector's declared score range) and the anchors' own magnitude, and at least the
 * 1e-8 by which neighbouring anchors are merged.
 */
export function collapseResolution(maxScore: number, lo: number, hi: number): number {
  return Math.max(1e-8, SQRT_EPS * Math.max(Math.abs(maxScore), Math.abs(lo), Math.abs(hi)));
}

/**
 * Beyond the last anchor: `'monotone'` (default) extends the curve by a straight line whose slope is the
 * PCHIP end derivative when that is positive, else the slope of the last anchor segment (always positive),
 * so scores keep increasing with the raw score; `'merlion'` uses the end derivative as it is, which PCHIP's
 * end formula sets to 0 when the last segment is much flatter than the one before (with more than about
 * 3,000 training scores every raw score above the last anchor then maps to one constant).
 */
export type CalibratorExtrapolation = 'monotone' | 'merlion';

/**
 * Merlion's `AnomScoreCalibrator`: maps raw anomaly scores to z-score-like units through
 * monotone PCHIP interpolation of learnt quantile anchors, with linear extrapolation beyond the
 * last anchor (see {@link CalibratorExtrapolation}). Untrained (or with < 2 anchors) it is the identity.
 */
export class AnomScoreCalibrator {
  maxScore: number;
  readonly absScore: boolean;
  extrapolation: CalibratorExtrapolation;
  /** Slope of the line beyond the last anchor. */
  private tail = 0;
  /**
   * Scale β of an exponential tail beyond the last anchor (0: the straight line). When set, a raw score
   * `x` above the last anchor `(X, Y)` maps to `√(Y² + 2(x − X)/β)`: the exceedance probability of an
   * exponential tail, `p(X)·e^{−(x − X)/β}`, put on the normal scale by the leading term of the Gaussian
   * tail (`ln P(|Z| > z) ≈ −z²/2`).
   */
  private tailScale = 0;
  /** Anchor inputs X (ascending) and targets Y; empty = identity. */
  private ax: Float64Array = new Float64Array(0);
  private ay: Float64Array = new Float64Array(0);
  /** PCHIP derivatives at the anchors. */
  private d: Float64Array = new Float64Array(0);

  constructor(maxScore: number, absScore = true, extrapolation: CalibratorExtrapolation = 'monotone') {
    this.maxScore = maxScore;
    this.absScore = absScore;
    this.extrapolation = extrapolation;
  }

  get trained(): boolean {
    return this.ax.length >= 2;
  }

  /** The anchors as `[x, y]` pairs (empty when the calibrator is the identity). */
  get anchors(): [number, number][] {
    return Array.from(this.ax, (x, i) => [x, this.ay[i]] as [number, number]);
  }

  /** The PCHIP derivatives at the anchors. */
  get derivatives(): Float64Array {
    return this.d.slice();
  }

  /**
   * Learns anchors from raw train scores (NaN scores are ignored) unless already trained and
   * `retrain` is false. Returns the calibrated scores. When the quantile anchors (z = 0 … 2) span no
   * more than `collapseResolution` (95.45% of the scores equal, or differing by rounding noise) they
   * collapse into one anchor and the calibrator is the identity.
   */
  train(x: Float64Array, retrain = false): Float64Array {
    if (this.trained && !retrain) return this.calibrate(x);
    let m = 0;
    for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i])) m++;
    const s = new Float64Array(m);
    let j = 0;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (!Number.isNaN(v)) s[j++] = this.absScore ? Math.abs(v) : v;
    }
    s.sort();
    const n = s.length;
    if (n === 0) {
      this.setAnchors([], []);
      return this.calibrate(x);
    }
    const xs: number[] = LEVELS.map((q) => quantileSorted(s, q));
    const ys: number[] = [...TARGETS];
    const ub = Math.sqrt(2 * Math.log(n));
    const xMax = s[n - 1];
    if (this.maxScore < xMax) this.maxScore = 2 * xMax;
    if (ub > 4) {
      xs.push(xMax, Math.min(this.maxScore, 2 * xMax));
      ys.push(ub, ub + 1);
    } else {
      xs.push(Math.min(this.maxScore, 2 * xMax));
      ys.push(5);
    }
    // the quantile anchors (z = 0 … 2): their span is the spread of the bulk of the scores
    const lo = xs[0];
    const hi = xs[LEVELS.length - 1];
    if (hi - lo <= collapseResolution(this.maxScore, lo, hi)) {
      // collapsed anchors: the bulk's spread is rounding noise, so only outliers would set the scale
      this.setAnchors([], []);
      return this.calibrate(x);
    }
    const kx = [xs[0]];
    const ky = [ys[0]];
    for (let i = 1; i < xs.length; i++) {
      if (Math.abs(xs[i] - xs[i - 1]) > 1e-8) {
        kx.push(xs[i]);
        ky.push(ys[i]);
      }
    }
    this.setAnchors(kx, ky);
    return this.calibrate(x);
  }

  /**
   * Sets the anchors directly (`xs` non-decreasing, `ys` increasing): an anchor whose input is within
   * 1e-8 of the previous one is dropped, as in `train()`; fewer than 2 anchors = the identity.
   */
  setAnchorPoints(xs: readonly number[], ys: readonly number[], tailScale = 0): void {
    if (!(tailScale >= 0 && tailScale <= 1e15)) {
      throw new ModelFormatError('bad_field', `tailScale must be in [0, 1e15], got ${tailScale}`);
    }
    const kx: number[] = [];
    const ky: number[] = [];
    for (let i = 0; i < xs.length; i++) {
      if (i === 0 || Math.abs(xs[i] - kx[kx.length - 1]) > 1e-8) {
        kx.push(xs[i]);
        ky.push(ys[i]);
      }
    }
    this.setAnchors(kx, ky);
    this.tailScale = kx.length >= 2 ? tailScale : 0;
  }

  /** β of the exponential tail beyond the last anchor (0: straight line). */
  get tailScaleOf(): number {
    return this.tailScale;
  }

  /** The calibrated value of `a` > the last anchor input. */
  private beyond(a: number, b: number, yK: number): number {
    const beta = this.tailScale;
    // (rounding of yK² can bring the root an ulp below yK: not below the last anchor's value)
    if (beta > 0) return Math.max(yK, Math.sqrt(yK * yK + (2 * (a - b)) / beta));
    return (a - b) * this.tail + yK;
  }

  private setAnchors(xs: number[], ys: number[]): void {
    if (xs.length < 2) {
      this.ax = new Float64Array(0);
      this.ay = new Float64Array(0);
      this.d = new Float64Array(0);
      this.tail = 0;
      return;
    }
    this.ax = Float64Array.from(xs);
    this.ay = Float64Array.from(ys);
    this.d = pchipDerivatives(this.ax, this.ay);
    const K = xs.length - 1;
    const end = this.d[K];
    const secant = (ys[K] - ys[K - 1]) / (xs[K] - xs[K - 1]);
    this.tail = this.extrapolation === 'merlion' || end > 0 || !(secant > 0) ? end : secant;
  }

  /** Slope of the straight line beyond the last anchor (0 when untrained). */
  get tailSlope(): number {
    return this.tail;
  }

  /**
   * Calibrates one raw score (NaN stays NaN). Below the first anchor (a raw score, or with `absScore` a
   * |score|, smaller than the smallest training score) the result is the first anchor's value, 0 for a
   * trained calibrator: Merlion extrapolates the cubic of the first interval there, which is not monotone
   * and, when that interval is narrow, reaches any size (1.85e4 for a ZMS score just under the training
   * minimum on NAB's art_load_balancer_spikes). In both extrapolation modes.
   */
  calibrateOne(v: number): number {
    const X = this.ax;
    const K = X.length - 1;
    if (K < 1) return v;
    const b = X[K];
    if (this.absScore) {
      const a = Math.abs(v);
      const sgn = Math.sign(v);
      if (a > b) return sgn * clampFinite(this.beyond(a, b, this.ay[K]));
      if (sgn === 0) return v; // ±0 stays as it is
      return sgn * Math.max(this.hermite(a), 0);
    }
    if (v > b) return clampFinite(this.beyond(v, b, this.ay[K]));
    return this.hermite(v);
  }

  calibrate(x: Float64Array): Float64Array {
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = this.calibrateOne(x[i]);
    return out;
  }

  /**
   * Evaluates the PCHIP curve at `v` ≤ the last anchor input; below the first anchor it is that anchor's
   * value (our departure: Merlion extrapolates the interval-0 cubic, see `calibrateOne`).
   */
  private hermite(v: number): number {
    const X = this.ax;
    const Y = this.ay;
    const K = X.length - 1;
    if (Number.isNaN(v)) return v;
    if (v <= X[0]) return Y[0];
    if (v === X[K]) return Y[K];
    // binary search for k with X_k <= v < X_{k+1} (k = 0 below X_0)
    let lo = 0;
    let hi = K - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (X[mid] <= v) lo = mid;
      else hi = mid - 1;
    }
    const k = lo;
    const h = X[k + 1] - X[k];
    const u = (v - X[k]) / h;
    const u2 = u * u;
    const u3 = u2 * u;
    const f =
      (2 * u3 - 3 * u2 + 1) * Y[k] +
      (u3 - 2 * u2 + u) * h * this.d[k] +
      (-2 * u3 + 3 * u2) * Y[k + 1] +
      (u3 - u2) * h * this.d[k + 1];
    // PCHIP's cubic stays between its knots' values in exact arithmetic; rounding can carry it an ulp
    // beyond (above the next knot's value just before that knot: a step back at the knot). Clamped, every
    // value of a segment is ordered against every value of the others (a value already between its knots'
    // values is unchanged, to the bit)
    const yLo = Y[k] < Y[k + 1] ? Y[k] : Y[k + 1];
    const yHi = Y[k] < Y[k + 1] ? Y[k + 1] : Y[k];
    return f < yLo ? yLo : f > yHi ? yHi : f;
  }

  toJSON(): JsonValue {
    const out: { [k: string]: JsonValue } = {
      maxScore: this.maxScore,
      anchorsX: encodeFloats(this.ax),
      anchorsY: encodeFloats(this.ay),
    };
    // written only when not the default, so model files of the default stay as they were
    if (this.extrapolation !== 'monotone') out.extrapolation = this.extrapolation;
    if (this.tailScale > 0) out.tailScale = this.tailScale;
    return out;
  }

  /**
   * Restores anchors saved by `toJSON()` (derivatives are recomputed, deterministically). Files written
   * before the extrapolation option existed carry none and load as `'monotone'`.
   */
  restore(state: unknown, path: string): void {
    const ms = field(state, 'maxScore', path);
    if (typeof ms !== 'number')
      throw new ModelFormatError('bad_field', `${path}.maxScore: expected a number`);
    const xs = decodeFloats(field(state, 'anchorsX', path), `${path}.anchorsX`);
    const ys = decodeFloats(field(state, 'anchorsY', path), `${path}.anchorsY`, xs.length);
    for (let i = 0; i < xs.length; i++) {
      const ok = Math.abs(xs[i]) <= 1e15 && Math.abs(ys[i]) <= 1e15 && (i === 0 || xs[i] - xs[i - 1] > 1e-8);
      if (!ok) {
        throw new ModelFormatError(
          'bad_field',
          `${path}.anchorsX: anchors must be at most 1e15 in size, with inputs increasing by more than 1e-8 (index ${i})`,
        );
      }
    }
    if (xs.length === 1) {
      throw new ModelFormatError('bad_field', `${path}.anchorsX: needs 0 or at least 2 anchors`);
    }
    const ex = (state as { extrapolation?: unknown }).extrapolation;
    if (ex !== undefined && ex !== 'monotone' && ex !== 'merlion') {
      throw new ModelFormatError('bad_field', `${path}.extrapolation: expected "monotone" or "merlion"`);
    }
    const ts = (state as { tailScale?: unknown }).tailScale;
    if (ts !== undefined && !(typeof ts === 'number' && ts > 0 && ts <= 1e15 && xs.length >= 2)) {
      throw new ModelFormatError(
        'bad_field',
        `${path}.tailScale: expected a number in (0, 1e15] (and at least 2 anchors), or no field`,
      );
    }
    this.maxScore = ms;
    this.extrapolation = ex ?? 'monotone';
    this.setAnchors(Array.from(xs), Array.from(ys));
    this.tailScale = typeof ts === 'number' ? ts : 0;
  }
}

/** scipy `PchipInterpolator` derivatives (shape-preserving, three-point end formula). */
export function pchipDerivatives(X: Float64Array, Y: Float64Array): Float64Array {
  const K = X.length - 1;
  const d = new Float64Array(K + 1);
  const h = new Float64Array(K);
  const del = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    h[k] = X[k + 1] - X[k];
    del[k] = (Y[k + 1] - Y[k]) / h[k];
  }
  if (K === 1) {
    d[0] = del[0];
    d[1] = del[0];
    return d;
  }
  for (let k = 1; k < K; k++) {
    const a = del[k - 1];
    const b = del[k];
    if (a === 0 || b === 0 || Math.sign(a) !== Math.sign(b)) d[k] = 0;
    else {
      const w1 = 2 * h[k] + h[k - 1];
      const w2 = h[k] + 2 * h[k - 1];
      d[k] = (w1 + w2) / (w1 / a + w2 / b);
    }
  }
  d[0] = endSlope(h[0], h[1], del[0], del[1]);
  d[K] = endSlope(h[K - 1], h[K - 2], del[K - 1], del[K - 2]);
  return d;
}

function endSlope(h0: number, h1: number, m0: number, m1: number): number {
  let d = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1);
  if (Math.sign(d) !== Math.sign(m0)) d = 0;
  else if (Math.sign(m0) !== Math.sign(m1) && Math.abs(d) > 3 * Math.abs(m0)) d = 3 * m0;
  return d;
}
