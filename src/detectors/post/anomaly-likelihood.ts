/**
 * `AnomalyLikelihoodPost`: turns a stream of raw anomaly scores on [0, 1] into NAB-ready anomaly scores on
 * [0, 1] that are comparable across streams, so that one threshold can serve a whole corpus.
 *
 * Per point (all O(1), no allocation after construction; every output depends on past and current points
 * only):
 * 1. **Anomaly likelihood** (after Ahmad et al. 2017, Numenta's `anomaly_likelihood`): the average of the
 *    last `averagingWindow` raw scores is compared with a normal distribution fitted to the averages of the
 *    last `historyWindow` points (mean floored at `minMean`, std at `minStd`, as Numenta does); the
 *    likelihood is one minus its upper tail probability (values below the mean are reflected, so they give
 *    likelihoods below one half).
 * 2. **Log scale**: `log(1.0000000001 − L) / log(1 − 0.9999999999)` spreads the interesting end of the
 *    likelihood over [0, 1] (0.5 → 0.03, 0.999 → 0.3, 0.99999 → 0.5).
 * 3. **Spatial novelty**: a value outside the range of the values seen so far, widened on both sides by
 *    `spatialTolerance` of that range, scores 1 (as Numenta's NAB detector does).
 * 4. **Jump novelty**: a first difference larger in size than every one seen so far by the factor
 *    `1 + jumpTolerance` scores `jumpLevel`.
 * 5. **Rest period**: after an output at or above `alarmLevel`, the next `restPeriod` outputs are capped at
 *    `alarmLevel / 2` (NAB counts only the first detection in a window, and every detection outside one
 *    costs).
 * Nothing is reported (0) for the first `learningPeriod` points.
 */
import { z } from 'zod';
import { ConfigError, ModelFormatError } from '../../errors.js';
import { erfcFast } from '../../math/erf.js';
import { parseConfig } from '../config.js';
import { decodeFloats, encodeFloat, encodeFloats, field, intField, numberField } from '../json.js';
import type { JsonObject } from '../types.js';

export const anomalyLikelihoodPostSchema = z.strictObject({
  /** Short-term average of the raw scores that the likelihood compares with history. */
  averagingWindow: z.number().int().min(1).max(1_000_000).default(20),
  /** Averaged raw scores kept to estimate their normal distribution. */
  historyWindow: z.number().int().min(10).max(1_000_000).default(5000),
  /** Points seen before anything is reported (0 until then). */
  learningPeriod: z.number().int().min(2).default(100),
  /** Floor of the fitted standard deviation (raw scores on [0, 1]); Numenta's variance floor 0.0003. */
  minStd: z.number().positive().default(0.0173),
  /** Floor of the fitted mean (Numenta's 0.03). */
  minMean: z.number().min(0).default(0.03),
  /** Spatial novelty tolerance, a fraction of the range seen so far; 0 disables it. */
  spatialTolerance: z.number().min(0).default(0.005),
  /** Jump novelty tolerance (relative to the largest |first difference| seen); 0 disables it. */
  jumpTolerance: z.number().min(0).default(0.2),
  /** Output of a jump novelty. */
  jumpLevel: z.number().min(0).max(1).default(0.999),
  /** Output at or above which a rest period starts. */
  alarmLevel: z.number().min(0).max(1).default(0.35),
  /** Points after an alarm whose outputs are capped at `alarmLevel / 2` (0 = no rest period). */
  restPeriod: z.number().int().min(0).default(100),
});
export type AnomalyLikelihoodPostConfig = z.infer<typeof anomalyLikelihoodPostSchema>;
export type AnomalyLikelihoodPostInput = z.input<typeof anomalyLikelihoodPostSchema>;

const LOG_DENOM = Math.log(1 - 0.9999999999);
/** Numenta's log scale for likelihoods: 0.5 → ~0.03, 0.999 → 0.3, 0.99999 → 0.5, 0.9999999999 → 1. */
export function logLikelihood(likelihood: number): number {
  return Math.min(1, Math.max(0, Math.log(1.0000000001 - likelihood) / LOG_DENOM));
}

/** Rolling mean / population variance of the last `cap` values (ring buffer, O(1) per point). */
export class RollingStats {
  private readonly buf: Float64Array;
  private sum = 0;
  private sumSq = 0;
  private n = 0;
  private head = 0;
  /** Subtracted before accumulating (the first value), to keep the sums well conditioned. */
  private shift = Number.NaN;

  constructor(readonly cap: number) {
    this.buf = new Float64Array(cap);
  }

  get count(): number {
    return this.n;
  }

  get mean(): number {
    return this.n === 0 ? 0 : this.shift + this.sum / this.n;
  }

  get variance(): number {
    if (this.n < 2) return 0;
    const m = this.sum / this.n;
    return Math.max(0, this.sumSq / this.n - m * m);
  }

  push(x: number): void {
    if (Number.isNaN(this.shift)) this.shift = x;
    const y = x - this.shift;
    if (this.n === this.cap) {
      const old = this.buf[this.head];
      this.sum -= old;
      this.sumSq -= old * old;
    } else this.n++;
    this.buf[this.head] = y;
    this.head = (this.head + 1) % this.cap;
    this.sum += y;
    this.sumSq += y * y;
  }

  /** The whole state, as plain JSON (floats exact, see `encodeFloats`). */
  toJSON(): JsonObject {
    return {
      buf: encodeFloats(this.buf),
      sum: encodeFloat(this.sum),
      sumSq: encodeFloat(this.sumSq),
      n: this.n,
      head: this.head,
      shift: encodeFloat(this.shift),
    };
  }

  /**
   * Restores `toJSON()` output (same capacity). Everything is checked before anything changes:
   * a bad state throws a `ModelFormatError` naming the field and leaves this object as it was.
   * `[lo, hi]` is the range the pushed values can have (e.g. [0, 1] for raw scores): the first
   * value and the buffered differences must fit it.
   */
  restore(state: unknown, path: string, lo = Number.NEGATIVE_INFINITY, hi = Number.POSITIVE_INFINITY): void {
    const buf = decodeFloats(field(state, 'buf', path), `${path}.buf`, this.cap);
    const n = intField(state, 'n', path, 0, this.cap);
    const head = intField(state, 'head', path, 0, this.cap - 1);
    const sum = numberField(state, 'sum', path);
    const sumSq = numberField(state, 'sumSq', path);
    const shift = numberField(state, 'shift', path);
    const finite = (x: number, name: string) => {
      if (!Number.isFinite(x))
        throw new ModelFormatError('bad_field', `${path}.${name}: expected a finite number`);
    };
    for (let i = 0; i < buf.length; i++) finite(buf[i], `buf[${i}]`);
    finite(sum, 'sum');
    finite(sumSq, 'sumSq');
    if (n > 0) {
      finite(shift, 'shift');
      if (!(shift >= lo - 1e-9 && shift <= hi + 1e-9)) {
        throw new ModelFormatError('bad_field', `${path}.shift: expected a value in [${lo}, ${hi}]`);
      }
      for (let i = 0; i < n; i++) {
        // (a running average can overshoot its range by a few ulps)
        if (!(Math.abs(buf[i]) <= (hi - lo) * (1 + 1e-9))) {
          throw new ModelFormatError(
            'bad_field',
            `${path}.buf[${i}]: outside the range of differences of values in [${lo}, ${hi}]`,
          );
        }
      }
    } else if (!Number.isNaN(shift))
      throw new ModelFormatError('bad_field', `${path}.shift: expected "NaN" while n is 0`);
    if (n < this.cap && head !== n) {
      throw new ModelFormatError(
        'bad_field',
        `${path}.head: is ${head}, but a buffer not yet full has head = n = ${n}`,
      );
    }
    // The running sums carry their own rounding, so they are stored, not recomputed; they must
    // still agree with the buffer (a forged sum would turn later statistics into NaN).
    let s1 = 0;
    let s2 = 0;
    let a1 = 0;
    for (let i = 0; i < n; i++) {
      s1 += buf[i];
      s2 += buf[i] * buf[i];
      a1 += Math.abs(buf[i]);
    }
    if (!(Math.abs(sum - s1) <= 1e-6 * (a1 + 1))) {
      throw new ModelFormatError('bad_field', `${path}.sum: does not match the buffer (sum ${s1})`);
    }
    if (!(Math.abs(sumSq - s2) <= 1e-6 * (s2 + 1))) {
      throw new ModelFormatError(
        'bad_field',
        `${path}.sumSq: does not match the buffer (sum of squares ${s2})`,
      );
    }
    this.buf.set(buf);
    this.sum = sum;
    this.sumSq = sumSq;
    this.n = n;
    this.head = head;
    this.shift = shift;
  }

  copyFrom(o: RollingStats): void {
    if (o.cap !== this.cap) throw new ConfigError('bad_config', 'RollingStats.copyFrom: capacities differ');
    this.buf.set(o.buf);
    this.sum = o.sum;
    this.sumSq = o.sumSq;
    this.n = o.n;
    this.head = o.head;
    this.shift = o.shift;
  }
}

/**
 * Checks the "values seen so far" fields of a restored state: before any value, `prev` is NaN and
 * `min`/`max` are ±Infinity; after, all are finite with `min <= max`. Throws a `ModelFormatError`
 * naming the field.
 */
export function checkSeenValues(count: number, prev: number, min: number, max: number, path: string): void {
  const none = count === 0;
  if (none ? !Number.isNaN(prev) : !Number.isFinite(prev)) {
    throw new ModelFormatError(
      'bad_field',
      `${path}.prev: expected ${none ? '"NaN" while count is 0' : 'a finite number'}`,
    );
  }
  const ok = none
    ? min === Number.POSITIVE_INFINITY && max === Number.NEGATIVE_INFINITY
    : Number.isFinite(min) && Number.isFinite(max) && min <= max;
  if (!ok) {
    throw new ModelFormatError(
      'bad_field',
      `${path}.min: expected ${none ? '"Infinity" (and max "-Infinity") while count is 0' : 'finite min <= max'}`,
    );
  }
}

export class AnomalyLikelihoodPost {
  readonly config: AnomalyLikelihoodPostConfig;
  private readonly hist: RollingStats;
  private readonly recent: Float64Array;
  private recentSum = 0;
  private count = 0;
  private prev = Number.NaN;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  private maxAbsDiff = 0;
  private rest = 0;

  constructor(config: AnomalyLikelihoodPostInput = {}) {
    this.config = parseConfig(anomalyLikelihoodPostSchema, config, 'anomaly likelihood config');
    this.hist = new RollingStats(this.config.historyWindow);
    this.recent = new Float64Array(this.config.averagingWindow);
  }

  /**
   * One point: its raw anomaly score (on [0, 1]; NaN counts as 0) and its value (for the novelty checks).
   * Returns the NAB anomaly score in [0, 1], then learns the point.
   */
  push(rawScore: number, value: number): number {
    const c = this.config;
    const i = this.count;
    const raw = Number.isNaN(rawScore) ? 0 : Math.min(1, Math.max(0, rawScore));
    const a = c.averagingWindow;
    this.recentSum += raw - (i >= a ? this.recent[i % a] : 0);
    this.recent[i % a] = raw;
    const avg = this.recentSum / Math.min(i + 1, a);
    let out = 0;
    if (i >= c.learningPeriod && this.hist.count >= 2) {
      const mean = Math.max(this.hist.mean, c.minMean);
      const std = Math.max(Math.sqrt(this.hist.variance), c.minStd);
      // values below the mean are reflected: unusually low raw scores are not anomalies
      const x = avg < mean ? 2 * mean - avg : avg;
      const tail = 0.5 * erfcFast((x - mean) / std / Math.SQRT2);
      out = logLikelihood(avg < mean ? tail : 1 - tail);
    }
    const d = value - this.prev;
    if (i >= c.learningPeriod) {
      if (c.spatialTolerance > 0 && this.max > this.min) {
        const tol = (this.max - this.min) * c.spatialTolerance;
        if (value > this.max + tol || value < this.min - tol) out = 1;
      }
      if (
        c.jumpTolerance > 0 &&
        this.maxAbsDiff > 0 &&
        Math.abs(d) > this.maxAbsDiff * (1 + c.jumpTolerance)
      ) {
        out = Math.max(out, c.jumpLevel);
      }
    }
    if (this.rest > 0) {
      this.rest--;
      if (out >= c.alarmLevel * 0.5) out = c.alarmLevel * 0.5;
    } else if (out >= c.alarmLevel && c.restPeriod > 0) this.rest = c.restPeriod;
    // learn
    this.hist.push(avg);
    if (!Number.isNaN(this.prev) && Math.abs(d) > this.maxAbsDiff) this.maxAbsDiff = Math.abs(d);
    this.prev = value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    this.count++;
    return out;
  }

  /** The whole state, as plain JSON (the config is not included). */
  toJSON(): JsonObject {
    return {
      hist: this.hist.toJSON(),
      recent: encodeFloats(this.recent),
      recentSum: encodeFloat(this.recentSum),
      count: this.count,
      prev: encodeFloat(this.prev),
      min: encodeFloat(this.min),
      max: encodeFloat(this.max),
      maxAbsDiff: encodeFloat(this.maxAbsDiff),
      rest: this.rest,
    };
  }

  /**
   * Restores `toJSON()` output of a post-processor with the same config. A bad state throws a
   * `ModelFormatError` naming the field and leaves this object as it was.
   */
  restore(state: unknown, path: string): void {
    const c = this.config;
    const recent = decodeFloats(field(state, 'recent', path), `${path}.recent`, c.averagingWindow);
    const recentSum = numberField(state, 'recentSum', path);
    const count = intField(state, 'count', path, 0, Number.MAX_SAFE_INTEGER);
    const prev = numberField(state, 'prev', path);
    const min = numberField(state, 'min', path);
    const max = numberField(state, 'max', path);
    const maxAbsDiff = numberField(state, 'maxAbsDiff', path);
    const rest = intField(state, 'rest', path, 0, c.restPeriod);
    const bad = (name: string, what: string): never => {
      throw new ModelFormatError('bad_field', `${path}.${name}: expected ${what}`);
    };
    for (let i = 0; i < recent.length; i++)
      if (!(recent[i] >= 0 && recent[i] <= 1)) bad(`recent[${i}]`, 'a raw score in [0, 1]');
    let r = 0;
    for (let i = 0; i < Math.min(count, recent.length); i++) r += recent[i];
    if (!(Math.abs(recentSum - r) <= 1e-6 * (r + 1)))
      bad('recentSum', `the sum of the recent raw scores (${r})`);
    if (!(maxAbsDiff >= 0 && maxAbsDiff < Number.POSITIVE_INFINITY))
      bad('maxAbsDiff', 'a finite number >= 0');
    checkSeenValues(count, prev, min, max, path);
    // the history holds averages of raw scores, which are in [0, 1]
    this.hist.restore(field(state, 'hist', path), `${path}.hist`, 0, 1);
    this.recent.set(recent);
    this.recentSum = recentSum;
    this.count = count;
    this.prev = prev;
    this.min = min;
    this.max = max;
    this.maxAbsDiff = maxAbsDiff;
    this.rest = rest;
  }

  /** Copies another post-processor's state (same config). */
  copyFrom(o: AnomalyLikelihoodPost): void {
    this.hist.copyFrom(o.hist);
    this.recent.set(o.recent);
    this.recentSum = o.recentSum;
    this.count = o.count;
    this.prev = o.prev;
    this.min = o.min;
    this.max = o.max;
    this.maxAbsDiff = o.maxAbsDiff;
    this.rest = o.rest;
  }
}
