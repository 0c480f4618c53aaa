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
import { ConfigError } from '../../errors.js';
import { parseConfig } from '../config.js';

export const anomalyLikelihoodPostSchema = z.strictObject({
  /** Short-term average of the raw scores that the likelihood compares with history. */
  averagingWindow: z.number().int().min(1).default(20),
  /** Averaged raw scores kept to estimate their normal distribution. */
  historyWindow: z.number().int().min(10).default(5000),
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

/** erfc through the Abramowitz–Stegun 7.1.26 rational approximation (|error| < 1.5e-7). */
export function erfc(x: number): number {
  const ax = Math.abs(x);
  const k = 1 / (1 + 0.3275911 * ax);
  const y = ((((1.061405429 * k - 1.453152027) * k + 1.421413741) * k - 0.284496736) * k + 0.254829592) * k;
  const r = y * Math.exp(-ax * ax);
  return x >= 0 ? r : 2 - r;
}

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
      const tail = 0.5 * erfc((x - mean) / std / Math.SQRT2);
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
