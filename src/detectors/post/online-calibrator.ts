/**
 * A calibrator that keeps learning the score distribution while streaming (docs/ensemble.md, "Online
 * member calibration").
 *
 * `AnomScoreCalibrator` learns its anchors once, from the training scores: with NAB's 15 % probationary
 * part that is a few hundred scores, so the tail (what a score of 3 or 4 should mean) is barely known and a
 * member alarms on the first ordinary excursion longer than any in training. `OnlineCalibrator` keeps every
 * absolute score it has seen in a bounded log-bucket histogram (`TailSketch`, the DDSketch idea: bucket
 * `i` holds the scores in (γ^(i−1), γ^i], so any quantile is known to a relative error of (γ − 1)/2) and
 * refits its anchors from it every `REFIT_EVERY` scores: the anchor of target z is the quantile of level
 * `2Φ(z) − 1` for z = 0, 0.5, 1, …, as long as at least `TAIL_SUPPORT` scores lie beyond it, then the
 * `TAIL_SUPPORT`-th largest score at its own level; the PCHIP curve and the monotone straight-line
 * extrapolation beyond the last anchor are `AnomScoreCalibrator`'s. A score is calibrated with the
 * anchors fitted before it, then learnt: the same sequence of scores gives the same outputs however it is
 * cut into calls, and the histogram (counts per bucket) does not depend on the order of the scores it
 * holds. Memory is fixed (one count per bucket); the model file holds the non-empty buckets.
 *
 * Hand-written: the DDSketch packages on npm serialise to protobuf and allocate per insert, where this
 * needs a JSON state inside tsad's model files and no allocation per point.
 */
import { ModelFormatError } from '../../errors.js';
import { normalCdf, normalQuantile } from '../../math/normal.js';
import { decodeFloats, encodeFloats, field } from '../json.js';
import type { JsonValue } from '../types.js';
import { AnomScoreCalibrator } from './calibrator.js';

/** Relative bucket width of the sketch (quantiles to ±1 %). */
export const SKETCH_GAMMA = 1.02;
/** Scores at or below this count as 0 (bucket −∞). */
const TINY = 1e-9;
/** Largest bucketed score; larger ones share the top bucket (the exact maximum is kept apart). */
const HUGE = 1e12;
const LOG_G = Math.log(SKETCH_GAMMA);
const I_MIN = Math.ceil(Math.log(TINY) / LOG_G);
const I_MAX = Math.ceil(Math.log(HUGE) / LOG_G);
/** Bucket 0 holds the zeros; bucket k ≥ 1 is index I_MIN + k − 1. */
const BUCKETS = I_MAX - I_MIN + 2;

/** Anchors are refitted every this many scores (counted since training began). */
export const REFIT_EVERY = 128;
/** An anchor needs at least this many scores beyond it. */
export const TAIL_SUPPORT = 5;
/** At least this many of the largest scores fit the exponential tail. */
export const TAIL_FIT = 20;
/**
 * Floor of the tail scale, relative to the last anchor. For |N(0, 1)| scores the mean excess over the
 * 5th largest of a few hundred is ≈ 0.15 × that score, for exponential ones ≈ 0.2 ×: the floor only acts
 * on tails much shorter than either (bounded or degenerate scores).
 */
export const MIN_TAIL_SCALE = 0.1;
/** Target z-values of the anchors (each used while the data support it). */
const TARGETS = [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6];

/** Bounded log-bucket histogram of non-negative numbers (counts only: order does not matter). */
export class TailSketch {
  readonly counts = new Float64Array(BUCKETS);
  n = 0;

  static bucket(x: number): number {
    if (!(x > TINY)) return 0;
    if (x >= HUGE) return BUCKETS - 1;
    return Math.ceil(Math.log(x) / LOG_G) - I_MIN + 1;
  }

  /** The value a bucket stands for (the middle of its range, relative error ≤ (γ − 1)/2). */
  static value(k: number): number {
    if (k === 0) return 0;
    const i = k + I_MIN - 1;
    return (2 * SKETCH_GAMMA ** i) / (SKETCH_GAMMA + 1);
  }

  add(x: number): void {
    this.counts[TailSketch.bucket(x)]++;
    this.n++;
  }

  clear(): void {
    this.counts.fill(0);
    this.n = 0;
  }

  /**
   * The values at the given ranks (0-based, ascending ranks, each < n), written into `out`.
   */
  atRanks(ranks: ArrayLike<number>, out: Float64Array): void {
    let j = 0;
    let cum = 0;
    for (let k = 0; k < BUCKETS && j < ranks.length; k++) {
      cum += this.counts[k];
      while (j < ranks.length && ranks[j] < cum) out[j++] = TailSketch.value(k);
    }
    for (; j < ranks.length; j++) out[j] = Number.NaN;
  }

  /**
   * Mean excess of the largest scores over the smallest of them (the scale of an exponential tail fitted
   * to the top `max(TAIL_FIT, 2 %)` of the scores, peaks-over-threshold style); 0 when there are too few
   * scores or they are all equal.
   */
  meanExcess(): number {
    const k = Math.max(TAIL_FIT, Math.ceil(0.02 * this.n));
    if (this.n < 2 * k) return 0;
    // walk down from the top bucket until k scores are collected
    let got = 0;
    let sum = 0;
    let u = 0;
    for (let b = BUCKETS - 1; b >= 0 && got < k; b--) {
      const c = Math.min(this.counts[b], k - got);
      if (c <= 0) continue;
      const x = TailSketch.value(b);
      sum += c * x;
      got += c;
      u = x;
    }
    const excess = sum / k - u;
    return excess > 0 && Number.isFinite(excess) ? excess : 0;
  }

  /** Non-empty buckets as `[bucket, count, …]`. */
  toJSON(): JsonValue {
    const pairs: number[] = [];
    for (let k = 0; k < BUCKETS; k++) if (this.counts[k] > 0) pairs.push(k, this.counts[k]);
    return encodeFloats(pairs);
  }

  restore(state: unknown, path: string): void {
    const pairs = decodeFloats(state, path);
    if (pairs.length % 2 !== 0) {
      throw new ModelFormatError('bad_field', `${path}: expected [bucket, count] pairs`);
    }
    this.clear();
    let last = -1;
    for (let i = 0; i < pairs.length; i += 2) {
      const k = pairs[i];
      const c = pairs[i + 1];
      if (!(Number.isInteger(k) && k > last && k < BUCKETS && Number.isInteger(c) && c > 0 && c <= 1e15)) {
        throw new ModelFormatError(
          'bad_field',
          `${path}: buckets must be increasing integers in [0, ${BUCKETS - 1}] with positive integer counts ≤ 1e15 (pair ${i / 2})`,
        );
      }
      this.counts[k] = c;
      this.n += c;
      last = k;
    }
  }
}

/** An `AnomScoreCalibrator` whose anchors follow every score seen, training and stream alike. */
export class OnlineCalibrator {
  readonly sketch = new TailSketch();
  readonly cal: AnomScoreCalibrator;
  private readonly ranks = new Float64Array(TARGETS.length + 3);
  private readonly qs = new Float64Array(TARGETS.length + 3);

  /**
   * @param censor scores the current anchors calibrate to at least this are not learnt (peaks-over-
   *   threshold style: an alarm is not evidence of what is normal). Default ∞: every score is learnt.
   */
  constructor(
    maxScore: number,
    readonly censor = Number.POSITIVE_INFINITY,
  ) {
    this.cal = new AnomScoreCalibrator(maxScore, true);
  }

  get trained(): boolean {
    return this.cal.trained;
  }

  /** Learns from training scores (NaN ignored), fits the anchors, returns the calibrated scores. */
  train(x: Float64Array): Float64Array {
    this.sketch.clear();
    for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i])) this.sketch.add(Math.abs(x[i]));
    this.refit();
    return this.cal.calibrate(x);
  }

  /** Calibrates one score with the current anchors, then learns it (NaN passes through unlearnt). */
  push(v: number): number {
    const out = this.cal.calibrateOne(v);
    if (Number.isNaN(v) || Math.abs(out) >= this.censor) return out;
    this.sketch.add(Math.abs(v));
    if (this.sketch.n % REFIT_EVERY === 0) this.refit();
    return out;
  }

  /** Calibrates without learning. */
  peek(v: number): number {
    return this.cal.calibrateOne(v);
  }

  /** Fits the anchors from the histogram. */
  refit(): void {
    const n = this.sketch.n;
    if (n === 0) {
      this.cal.setAnchorPoints([], []);
      return;
    }
    const ys: number[] = [0];
    const rk: number[] = [0];
    for (const z of TARGETS) {
      const level = 2 * normalCdf(z) - 1;
      if (n * (1 - level) < TAIL_SUPPORT) break;
      ys.push(z);
      rk.push(Math.min(n - 1, Math.floor(level * (n - 1))));
    }
    if (n > TAIL_SUPPORT) {
      const zTop = normalQuantile(1 - TAIL_SUPPORT / (2 * n));
      if (zTop > ys[ys.length - 1]) {
        ys.push(zTop);
        rk.push(n - TAIL_SUPPORT);
      }
    }
    for (let i = 0; i < rk.length; i++) this.ranks[i] = rk[i];
    this.sketch.atRanks(this.ranks.subarray(0, rk.length), this.qs);
    const xs = Array.from(this.qs.subarray(0, rk.length));
    // the tail scale is at least MIN_TAIL_SCALE × the last anchor: a series whose scores hardly vary
    // (a constant or perfectly periodic signal) has a mean excess near 0, and an exponential tail that
    // steep would turn the next rounding-level wobble into an extreme score
    const beta = Math.max(this.sketch.meanExcess(), MIN_TAIL_SCALE * xs[xs.length - 1]);
    this.cal.setAnchorPoints(xs, ys, beta);
  }

  copy(): OnlineCalibrator {
    const c = new OnlineCalibrator(this.cal.maxScore, this.censor);
    c.sketch.counts.set(this.sketch.counts);
    c.sketch.n = this.sketch.n;
    c.cal.restore(this.cal.toJSON(), 'calibrator');
    return c;
  }

  /** The anchors in use (they were fitted at the last refit, not necessarily from every score held). */
  toJSON(): JsonValue {
    const cal = this.cal.toJSON() as { [k: string]: JsonValue };
    return { ...cal, online: this.sketch.toJSON() };
  }

  restore(state: unknown, path: string): void {
    this.cal.restore(state, path);
    this.sketch.restore(field(state, 'online', path), `${path}.online`);
  }
}
