/**
 * The raw model of the `nabStream` recipe: a sequence (context) model over value bins whose surprise, per
 * point, goes through `AnomalyLikelihoodPost` (anomaly likelihood, log scale, spatial and jump novelty,
 * rest period). See docs/nab-corpus.md for why each part is there.
 */
import { z } from 'zod';
import { ModelFormatError } from '../../errors.js';
import { erfcFast } from '../../math/erf.js';
import { parseConfig } from '../config.js';
import { decodeFloats, decodeInts, encodeFloat, field, intField, numberField } from '../json.js';
import {
  AnomalyLikelihoodPost,
  anomalyLikelihoodPostSchema,
  checkSeenValues,
  RollingStats,
} from '../post/anomaly-likelihood.js';
import type { JsonObject } from '../types.js';

export const nabStreamSchema = z.strictObject({
  ...anomalyLikelihoodPostSchema.shape,
  /** Value bins over the range seen until the bins freeze (values beyond extend at the same width). */
  bins: z.number().int().min(2).max(256).default(16),
  /** Points after which the bins freeze if training has not ended before. */
  binPeriod: z.number().int().min(2).max(1_000_000_000).default(300),
  /** Longest context (previous bins) the sequence model conditions on. */
  contextOrder: z.number().int().min(1).max(8).default(2),
  /** Surprise relative to the context's most likely bin (1 − p(b)/max p) instead of 1 − p(b). */
  relativeSurprise: z.boolean().default(true),
  /** Weight of the sequence surprise in the raw score (0 = off). */
  contextWeight: z.number().min(0).max(1).default(1),
  /** Weight of the z-score surprise of the value against a rolling window (0 = off). */
  zWeight: z.number().min(0).max(1).default(0),
  /** Weight of the z-score surprise of the first difference against a rolling window (0 = off). */
  diffWeight: z.number().min(0).max(1).default(0),
  /** Rolling window of the z-score surprises. */
  zWindow: z.number().int().min(2).max(1_000_000).default(2000),
});
export type NabStreamConfig = z.infer<typeof nabStreamSchema>;
export type NabStreamInput = z.input<typeof nabStreamSchema>;

export function parseNabStreamConfig(input: unknown): NabStreamConfig {
  return parseConfig(nabStreamSchema, input, 'nabStream config');
}

const TABLE = 1 << 18;
const MASK = TABLE - 1;
const FNV = 0x01000193;

/** 2Φ(|z|) − 1 of `x` against rolling statistics (0 until two points are known). */
function zSurprise(s: RollingStats, x: number): number {
  if (s.count < 2) return 0;
  const sd = Math.sqrt(s.variance);
  const z = sd > 0 ? Math.abs(x - s.mean) / sd : x === s.mean ? 0 : 10;
  const out = 1 - erfcFast(z / Math.SQRT2);
  // statistics of values near the float64 limit can overflow (Infinity / Infinity): no evidence
  return Number.isNaN(out) ? 0 : out;
}

/**
 * The streaming NAB scorer. Per point: the value's bin (bins of equal width over the range seen until
 * `endTraining()` or `binPeriod` points); for each context of the last 1…`contextOrder` bins, the surprise
 * of this bin after that context from transition counts (neighbouring bins count half; relative to the
 * context's most likely bin), the smallest over the orders (the best predictor wins); that raw surprise
 * (optionally with z-score surprises) goes through `AnomalyLikelihoodPost`; then the counts learn the
 * point. O(bins · contextOrder) per point, no allocation after construction; outputs depend on past and
 * current points only.
 */
export class NabStreamCore {
  readonly config: NabStreamConfig;
  private readonly post: AnomalyLikelihoodPost;
  private readonly vStats: RollingStats;
  private readonly dStats: RollingStats;
  private readonly ctxBins: Int32Array;
  private readonly counts: Float32Array;
  private count = 0;
  private prev = Number.NaN;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  private binLo = Number.NaN;
  private binW = Number.NaN;
  private binStart = 0;
  /** The last raw score (before the likelihood), for inspection. */
  lastRaw = 0;

  constructor(config: NabStreamInput = {}) {
    this.config = parseNabStreamConfig(config);
    const c = this.config;
    this.post = new AnomalyLikelihoodPost({
      averagingWindow: c.averagingWindow,
      historyWindow: c.historyWindow,
      learningPeriod: c.learningPeriod,
      minStd: c.minStd,
      minMean: c.minMean,
      spatialTolerance: c.spatialTolerance,
      jumpTolerance: c.jumpTolerance,
      jumpLevel: c.jumpLevel,
      alarmLevel: c.alarmLevel,
      restPeriod: c.restPeriod,
    });
    this.vStats = new RollingStats(c.zWindow);
    this.dStats = new RollingStats(c.zWindow);
    this.ctxBins = new Int32Array(c.contextOrder);
    this.counts = new Float32Array(c.contextWeight > 0 ? TABLE : 0);
  }

  /** Copies another core's state (same config), e.g. to score a series without learning it. */
  copyFrom(o: NabStreamCore): void {
    this.post.copyFrom(o.post);
    this.vStats.copyFrom(o.vStats);
    this.dStats.copyFrom(o.dStats);
    this.ctxBins.set(o.ctxBins);
    this.counts.set(o.counts);
    this.count = o.count;
    this.prev = o.prev;
    this.min = o.min;
    this.max = o.max;
    this.binLo = o.binLo;
    this.binW = o.binW;
    this.binStart = o.binStart;
    this.lastRaw = o.lastRaw;
  }

  /**
   * The whole online state as plain JSON: the transition counts sparsely (index, value pairs of
   * the non-zero cells, in index order), everything else as is.
   */
  toJSON(): JsonObject {
    const index: number[] = [];
    const value: number[] = [];
    const counts = this.counts;
    for (let i = 0; i < counts.length; i++) {
      if (counts[i] !== 0) {
        index.push(i);
        value.push(counts[i]);
      }
    }
    return {
      post: this.post.toJSON(),
      vStats: this.vStats.toJSON(),
      dStats: this.dStats.toJSON(),
      ctxBins: Array.from(this.ctxBins),
      counts: { index, value },
      count: this.count,
      prev: encodeFloat(this.prev),
      min: encodeFloat(this.min),
      max: encodeFloat(this.max),
      binLo: encodeFloat(this.binLo),
      binW: encodeFloat(this.binW),
      binStart: this.binStart,
      lastRaw: encodeFloat(this.lastRaw),
    };
  }

  /**
   * Restores `toJSON()` output of a core with the same config, checking every field (a
   * `ModelFormatError` names the bad one). Meant for a fresh core (the model loader builds one).
   */
  restore(state: unknown, path: string): void {
    const c = this.config;
    const bad = (name: string, what: string): never => {
      throw new ModelFormatError('bad_field', `${path}.${name}: expected ${what}`);
    };
    const count = intField(state, 'count', path, 0, Number.MAX_SAFE_INTEGER);
    const binStart = intField(state, 'binStart', path, 0, count);
    const prev = numberField(state, 'prev', path);
    const min = numberField(state, 'min', path);
    const max = numberField(state, 'max', path);
    const binLo = numberField(state, 'binLo', path);
    const binW = numberField(state, 'binW', path);
    const lastRaw = numberField(state, 'lastRaw', path);
    checkSeenValues(count, prev, min, max, path);
    if (
      Number.isNaN(binW)
        ? !Number.isNaN(binLo) || binStart !== 0
        : !(Number.isFinite(binLo) && binW > 0 && binW < Number.POSITIVE_INFINITY)
    ) {
      bad(
        'binW',
        '"NaN" (bins not frozen; binLo "NaN", binStart 0) or a finite width > 0 with a finite binLo',
      );
    }
    if (!(lastRaw >= 0 && lastRaw <= 1)) bad('lastRaw', 'a raw score in [0, 1]');
    const ctxBins = decodeInts(
      field(state, 'ctxBins', path),
      `${path}.ctxBins`,
      -c.bins,
      2 * c.bins,
      c.contextOrder,
    );
    const counts = field(state, 'counts', path);
    const index = decodeInts(
      field(counts, 'index', `${path}.counts`),
      `${path}.counts.index`,
      0,
      this.counts.length - 1,
    );
    const value = decodeFloats(
      field(counts, 'value', `${path}.counts`),
      `${path}.counts.value`,
      index.length,
    );
    for (let i = 0; i < index.length; i++) {
      if (i > 0 && !(index[i] > index[i - 1])) bad(`counts.index[${i}]`, 'indices in increasing order');
      const v = value[i];
      if (!(v > 0 && v < Number.POSITIVE_INFINITY && Math.fround(v) === v))
        bad(`counts.value[${i}]`, 'a positive float32 count');
    }
    this.post.restore(field(state, 'post', path), `${path}.post`);
    this.vStats.restore(field(state, 'vStats', path), `${path}.vStats`);
    this.dStats.restore(field(state, 'dStats', path), `${path}.dStats`);
    this.ctxBins.set(ctxBins);
    this.counts.fill(0);
    for (let i = 0; i < index.length; i++) this.counts[index[i]] = value[i];
    this.count = count;
    this.prev = prev;
    this.min = min;
    this.max = max;
    this.binLo = binLo;
    this.binW = binW;
    this.binStart = binStart;
    this.lastRaw = lastRaw;
  }

  /** Freezes the value bins on the range seen so far (end of the training data, or `binPeriod` points). */
  endTraining(): void {
    if (!Number.isNaN(this.binW) || this.count === 0) return;
    this.binLo = this.min;
    this.binW = this.max > this.min ? (this.max - this.min) / this.config.bins : 1;
    this.binStart = this.count;
  }

  private bin(v: number): number {
    const b = Math.floor((v - this.binLo) / this.binW);
    const B = this.config.bins;
    return b < -B ? -B : b > 2 * B ? 2 * B : b;
  }

  /** Count of bin `b` after context hash `h`, neighbouring bins at half weight. */
  private smoothed(h: number, b: number): number {
    const c0 = this.counts[Math.imul(h ^ (b + 5000), FNV) & MASK];
    const c1 = this.counts[Math.imul(h ^ (b + 4999), FNV) & MASK];
    const c2 = this.counts[Math.imul(h ^ (b + 5001), FNV) & MASK];
    return c0 + 0.5 * (c1 + c2);
  }

  /** Sequence surprise of bin `b` in [0, 1] (1 when no context has been seen), then learns it. */
  private contextSurprise(b: number): number {
    const K = this.config.contextOrder;
    const B = this.config.bins;
    const avail = Math.min(K, this.count - this.binStart);
    let best = 1;
    let h = 0x811c9dc5;
    for (let k = 0; k < avail; k++) {
      h = Math.imul(h ^ (this.ctxBins[k] + 1000), FNV);
      const hc = Math.imul(h ^ 0x5bd1e995, FNV) & MASK;
      const total = this.counts[hc];
      if (total > 0) {
        let norm = total;
        if (this.config.relativeSurprise) {
          norm = 0;
          for (let x = -B; x <= 2 * B; x++) {
            const q = this.smoothed(h, x);
            if (q > norm) norm = q;
          }
        }
        const s = 1 - Math.min(1, this.smoothed(h, b) / norm);
        if (s < best) best = s;
      }
      this.counts[hc] += 1;
      this.counts[Math.imul(h ^ (b + 5000), FNV) & MASK] += 1;
    }
    for (let k = K - 1; k > 0; k--) this.ctxBins[k] = this.ctxBins[k - 1];
    this.ctxBins[0] = b;
    return best;
  }

  /** Scores `v` against the past, then learns it. Returns the NAB anomaly score in [0, 1]. */
  push(v: number): number {
    const c = this.config;
    let raw = 0;
    if (c.contextWeight > 0) {
      if (Number.isNaN(this.binW) && this.count >= c.binPeriod) this.endTraining();
      if (!Number.isNaN(this.binW)) raw = c.contextWeight * this.contextSurprise(this.bin(v));
    }
    if (c.zWeight > 0) raw = Math.max(raw, c.zWeight * zSurprise(this.vStats, v));
    const d = v - this.prev;
    if (c.diffWeight > 0 && !Number.isNaN(d)) raw = Math.max(raw, c.diffWeight * zSurprise(this.dStats, d));
    this.lastRaw = raw;
    const out = this.post.push(raw, v);
    this.vStats.push(v);
    if (!Number.isNaN(d)) this.dStats.push(d);
    this.prev = v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    this.count++;
    return out;
  }
}
