import { z } from 'zod';
import { ConfigError } from '../errors.js';

/** erfc through the Abramowitz–Stegun 7.1.26 rational approximation (|error| < 1.5e-7). */
export function erfc(x: number): number {
  const ax = Math.abs(x);
  const k = 1 / (1 + 0.3275911 * ax);
  const y = ((((1.061405429 * k - 1.453152027) * k + 1.421413741) * k - 0.284496736) * k + 0.254829592) * k;
  const r = y * Math.exp(-ax * ax);
  return x >= 0 ? r : 2 - r;
}

/** Rolling mean / variance over the last `cap` values (ring buffer, O(1) per point, no allocation). */
export class RollingStats {
  private readonly buf: Float64Array;
  private sum = 0;
  private sumSq = 0;
  private n = 0;
  private head = 0;
  /** Shift subtracted before accumulating (the first value), to keep the sums well conditioned. */
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
    this.buf.set(o.buf);
    this.sum = o.sum;
    this.sumSq = o.sumSq;
    this.n = o.n;
    this.head = o.head;
    this.shift = o.shift;
  }
}

export const nabStreamSchema = z.strictObject({
  /** Points in the rolling window whose mean / std standardise the value. */
  valueWindow: z.number().int().min(2).default(2000),
  /** Points in the rolling window whose mean / std standardise the first difference. */
  diffWindow: z.number().int().min(2).default(2000),
  /** Weight of the difference feature (0 = values only). */
  diffWeight: z.number().min(0).max(1).default(0),
  /** Weight of the z-score surprise in the raw score (0 = off). */
  zWeight: z.number().min(0).max(1).default(0),
  /** Weight of the sequence (context) surprise in the raw score (0 = off). */
  contextWeight: z.number().min(0).max(1).default(1),
  /** Value bins over the range seen in the learning period (bins beyond it extend at the same width). */
  bins: z.number().int().min(2).max(256).default(16),
  /** Points after which the bins are frozen if training has not ended before. */
  binPeriod: z.number().int().min(2).default(300),
  /** Surprise relative to the most likely bin of the context (1 − p(b)/max p) instead of 1 − p(b). */
  relativeSurprise: z.boolean().default(true),
  /** Longest context (previous bins) the sequence model conditions on. */
  contextOrder: z.number().int().min(1).max(8).default(2),
  /** Short-term average of the raw scores (the likelihood compares this average with history). */
  averagingWindow: z.number().int().min(1).default(20),
  /** Averaged raw scores kept to estimate their normal distribution. */
  historyWindow: z.number().int().min(10).default(5000),
  /** Points seen before the likelihood is reported (0 until then). */
  learningPeriod: z.number().int().min(2).default(100),
  /** Floor of the likelihood's standard deviation (scores on [0, 1]). */
  minStd: z.number().positive().default(0.0173),
  /** Floor of the likelihood's mean. */
  minMean: z.number().min(0).default(0.03),
  /** Relative tolerance of the spatial-novelty check (fraction of the seen range); 0 disables it. */
  spatialTolerance: z.number().min(0).default(0.005),
  /** Relative tolerance of the jump-novelty check (|first difference| above the largest seen); 0 disables it. */
  diffTolerance: z.number().min(0).default(0.2),
  /** Output of a jump novelty. */
  diffLevel: z.number().min(0).max(1).default(0.999),
  /** Output level at or above which an alarm starts a rest period. */
  alarmLevel: z.number().min(0).max(1).default(0.35),
  /** Points after an alarm during which outputs are capped below `alarmLevel` (0 = none). */
  restPeriod: z.number().int().min(0).default(100),
});
export type NabStreamConfig = z.infer<typeof nabStreamSchema>;
export type NabStreamInput = z.input<typeof nabStreamSchema>;

export function parseNabStreamConfig(input: unknown): NabStreamConfig {
  const r = nabStreamSchema.safeParse(input ?? {});
  if (!r.success) {
    const iss = r.error.issues[0];
    throw new ConfigError(
      'BAD_CONFIG',
      `nabStream config field ${iss.path.map(String).join('.')}: ${iss.message}`,
    );
  }
  return r.data;
}

const TABLE = 1 << 18;
const MASK = TABLE - 1;
const LOG_DENOM = Math.log(1 - 0.9999999999);
/** Numenta's log scale for likelihoods: 0.5 → ~0.03, 0.999 → 0.3, 0.99999 → 0.5, 0.9999999999 → 1. */
export function logScale(likelihood: number): number {
  return Math.min(1, Math.max(0, Math.log(1.0000000001 - likelihood) / LOG_DENOM));
}

/**
 * The streaming NAB scorer: per point, a raw surprise in [0, 1] (standardised value and first difference
 * against rolling windows of the past, through 2Φ(|z|) − 1), its anomaly likelihood (short-term average
 * against the distribution of past averages), Numenta's log scale, spatial novelty (a value outside the
 * range seen so far, widened by `spatialTolerance`, scores 1) and a rest period after an alarm. Every
 * output depends on past and current points only. O(1) per point, no allocation after construction.
 */
export class NabStreamCore {
  readonly config: NabStreamConfig;
  private readonly vStats: RollingStats;
  private readonly dStats: RollingStats;
  private readonly hist: RollingStats;
  private readonly recent: Float64Array;
  private recentSum = 0;
  private count = 0;
  private prev = Number.NaN;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  private rest = 0;
  private maxAbsDiff = 0;
  private binLo = Number.NaN;
  private binW = Number.NaN;
  private binStart = 0;
  private readonly ctxBins: Int32Array;
  private readonly counts: Float32Array;
  /** Last raw score (for inspection). */
  lastRaw = 0;

  constructor(config: NabStreamInput = {}) {
    this.config = parseNabStreamConfig(config);
    const c = this.config;
    this.vStats = new RollingStats(c.valueWindow);
    this.dStats = new RollingStats(c.diffWindow);
    this.hist = new RollingStats(c.historyWindow);
    this.recent = new Float64Array(c.averagingWindow);
    this.ctxBins = new Int32Array(c.contextOrder);
    this.counts = new Float32Array(c.contextWeight > 0 ? TABLE : 0);
  }

  private bin(v: number): number {
    const b = Math.floor((v - this.binLo) / this.binW);
    const B = this.config.bins;
    return b < -B ? -B : b > 2 * B ? 2 * B : b;
  }

  /** Sequence surprise of bin `b` after the stored contexts, in [0, 1]; then learns the transition. */
  /** Count of bin `b` after context hash `h`, with half weight for the neighbouring bins. */
  private smoothed(h: number, b: number): number {
    const c0 = this.counts[Math.imul(h ^ (b + 5000), 0x01000193) & MASK];
    const c1 = this.counts[Math.imul(h ^ (b + 4999), 0x01000193) & MASK];
    const c2 = this.counts[Math.imul(h ^ (b + 5001), 0x01000193) & MASK];
    return c0 + 0.5 * (c1 + c2);
  }

  private contextSurprise(b: number, learn = true): number {
    const K = this.config.contextOrder;
    const avail = Math.min(K, this.count - this.binStart);
    let best = 1;
    let h = 0x811c9dc5;
    for (let k = 0; k < avail; k++) {
      h = Math.imul(h ^ (this.ctxBins[k] + 1000), 0x01000193);
      const hc = Math.imul(h ^ 0x5bd1e995, 0x01000193) & MASK;
      const total = this.counts[hc];
      if (total > 0) {
        const p = this.smoothed(h, b);
        let norm = total;
        if (this.config.relativeSurprise) {
          norm = 0;
          const B = this.config.bins;
          for (let x = -B; x <= 2 * B; x++) {
            const q = this.smoothed(h, x);
            if (q > norm) norm = q;
          }
        }
        const sur = 1 - Math.min(1, p / norm);
        if (sur < best) best = sur;
      }
      if (learn) {
        this.counts[hc] += 1;
        this.counts[Math.imul(h ^ (b + 5000), 0x01000193) & MASK] += 1;
      }
    }
    for (let k = K - 1; k > 0; k--) this.ctxBins[k] = this.ctxBins[k - 1];
    this.ctxBins[0] = b;
    return best;
  }

  /** Copies another core's state (same config) into this one, e.g. to score a series without learning it. */
  copyFrom(o: NabStreamCore): void {
    this.vStats.copyFrom(o.vStats);
    this.dStats.copyFrom(o.dStats);
    this.hist.copyFrom(o.hist);
    this.recent.set(o.recent);
    this.ctxBins.set(o.ctxBins);
    this.counts.set(o.counts);
    this.recentSum = o.recentSum;
    this.count = o.count;
    this.prev = o.prev;
    this.min = o.min;
    this.max = o.max;
    this.rest = o.rest;
    this.maxAbsDiff = o.maxAbsDiff;
    this.binLo = o.binLo;
    this.binW = o.binW;
    this.binStart = o.binStart;
    this.lastRaw = o.lastRaw;
  }

  /**
   * Freezes the value bins of the sequence model on the range seen so far (called at the end of the
   * training data, or automatically after `binPeriod` points).
   */
  endTraining(): void {
    if (!Number.isNaN(this.binW) || this.count === 0) return;
    this.binLo = this.min;
    this.binW = this.max > this.min ? (this.max - this.min) / this.config.bins : 1;
    this.binStart = this.count;
  }

  /** Scores `v` against the past, then learns it. Returns the NAB anomaly score in [0, 1]. */
  push(v: number): number {
    const c = this.config;
    const i = this.count;
    // raw surprise of v against the past
    let raw = 0;
    if (c.contextWeight > 0 && Number.isNaN(this.binW) && i >= c.binPeriod) this.endTraining();
    if (c.contextWeight > 0 && !Number.isNaN(this.binW)) {
      const b = this.bin(v);
      raw = c.contextWeight * this.contextSurprise(b);
    }
    if (c.zWeight > 0 && this.vStats.count >= 2) {
      const sd = Math.sqrt(this.vStats.variance);
      const z = sd > 0 ? Math.abs(v - this.vStats.mean) / sd : v === this.vStats.mean ? 0 : 10;
      raw = Math.max(raw, c.zWeight * (1 - erfc(z / Math.SQRT2)));
    }
    const d = v - this.prev;
    if (c.diffWeight > 0 && this.dStats.count >= 2) {
      const sd = Math.sqrt(this.dStats.variance);
      const z = sd > 0 ? Math.abs(d - this.dStats.mean) / sd : d === this.dStats.mean ? 0 : 10;
      raw = Math.max(raw, c.diffWeight * (1 - erfc(z / Math.SQRT2)));
    }
    this.lastRaw = raw;
    // likelihood of the short-term average against the history of averages
    const a = c.averagingWindow;
    this.recentSum += raw - (i >= a ? this.recent[i % a] : 0);
    this.recent[i % a] = raw;
    const avg = this.recentSum / Math.min(i + 1, a);
    let out = 0;
    if (i >= c.learningPeriod && this.hist.count >= 2) {
      const mean = Math.max(this.hist.mean, c.minMean);
      const std = Math.max(Math.sqrt(this.hist.variance), c.minStd);
      const x = avg < mean ? 2 * mean - avg : avg;
      const tail = 0.5 * erfc((x - mean) / std / Math.SQRT2);
      out = logScale(avg < mean ? tail : 1 - tail);
    }
    // spatial novelty
    if (c.spatialTolerance > 0 && i >= c.learningPeriod && this.max > this.min) {
      const tol = (this.max - this.min) * c.spatialTolerance;
      if (v > this.max + tol || v < this.min - tol) out = 1;
    }
    // jump novelty
    if (c.diffTolerance > 0 && i >= c.learningPeriod && this.maxAbsDiff > 0) {
      if (Math.abs(d) > this.maxAbsDiff * (1 + c.diffTolerance)) out = Math.max(out, c.diffLevel);
    }
    // rest period after an alarm
    if (this.rest > 0) {
      this.rest--;
      if (out >= c.alarmLevel * 0.5) out = c.alarmLevel * 0.5;
    } else if (out >= c.alarmLevel && c.restPeriod > 0) this.rest = c.restPeriod;
    // learn
    this.hist.push(avg);
    this.vStats.push(v);
    if (!Number.isNaN(this.prev)) {
      this.dStats.push(d);
      if (Math.abs(d) > this.maxAbsDiff) this.maxAbsDiff = Math.abs(d);
    }
    this.prev = v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    this.count++;
    return out;
  }
}
