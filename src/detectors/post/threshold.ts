import { z } from 'zod';
import { ConfigError, DetectorError, ModelFormatError } from '../../errors.js';
import { percentileSorted } from '../../math/quantile.js';
import type { TimeSeries } from '../../series/types.js';
import type { JsonValue } from '../types.js';
import { type AlarmMetric, revisedF1 } from './f1.js';

/** Options for training a threshold rule (docs/detectors.md, Post-processing: Threshold). Times in seconds. */
export interface ThresholdTrainOptions {
  /** Labels (non-zero = anomaly), on the train timestamps. The search runs only with ≥ 1 positive. */
  labels?: TimeSeries;
  /** The metric to maximise; default Merlion's revised point-adjusted F1. `null` disables the search. */
  metric?: AlarmMetric | null;
  unsupQuantile?: number | null;
  maxEarlySec?: number | null;
  maxDelaySec?: number | null;
  minAllowedScore?: number | null;
}

/** Applies a post-rule point by point (the rule's streaming form). Returns the post-rule value (0 = no alarm). */
export interface AlarmStreamer {
  push(t: number, score: number): number;
  /** The streamer's running state (null when it has none), for stream checkpoints. */
  save(): JsonValue;
  /** Restores `save()` output; throws ModelFormatError naming the field. */
  load(state: unknown, path: string): void;
}

/**
 * Why a rule's level cannot be used, or undefined: on absolute scores (`absScore`) the rule compares
 * |score| with it, so a level below 0 would make every point an alarm. The one check of both rule
 * schemas (`levelRefinement`) and of a rule built directly.
 */
export function levelProblem(almThreshold: number | null, absScore: boolean): string | undefined {
  if (almThreshold === null || !absScore || !(almThreshold < 0)) return undefined;
  return `${almThreshold} is below 0 while absScore is true: the rule compares |score| with it, so every point would alarm; give a level ≥ 0 (or null to learn one), or absScore: false to compare signed scores`;
}

/** The schemas' form of `levelProblem` (an issue on `almThreshold`). */
export const levelRefinement = (
  c: { almThreshold: number | null; absScore: boolean },
  ctx: z.RefinementCtx,
) => {
  const why = levelProblem(c.almThreshold, c.absScore);
  if (why) ctx.addIssue({ code: 'custom', path: ['almThreshold'], message: why });
};

export const thresholdConfigSchema = z
  .strictObject({
    type: z.literal('threshold'),
    almThreshold: z.number().nullable().default(null),
    absScore: z.boolean().default(true),
  })
  .superRefine(levelRefinement);
export type ThresholdConfig = z.infer<typeof thresholdConfigSchema>;

const PERCENTILES = [80, 90, 95, 98, 99, 99.5, 99.9];

/** numpy `linspace(a, b, num)`: `a + i·step`, last value exactly `b`. */
function linspace(a: number, b: number, num: number): number[] {
  const step = (b - a) / (num - 1);
  const out: number[] = [];
  for (let i = 0; i < num; i++) out.push(i * step + a);
  out[num - 1] = b;
  return out;
}

/** Merlion's `Threshold`: keeps scores with |s| ≥ threshold (or s ≥ threshold), zeroes the rest; NaN → 0. */
export class Threshold {
  almThreshold: number | null;
  readonly absScore: boolean;

  constructor(almThreshold: number | null = null, absScore = true) {
    if (almThreshold !== null && (typeof almThreshold !== 'number' || Number.isNaN(almThreshold))) {
      throw new ConfigError(
        'bad_config',
        `threshold: almThreshold must be a number or null, got ${String(almThreshold)}`,
      );
    }
    const why = levelProblem(almThreshold, absScore);
    if (why) throw new ConfigError('bad_config', `threshold config field almThreshold: ${why}`);
    this.almThreshold = almThreshold;
    this.absScore = absScore;
  }

  protected requireThreshold(): number {
    if (this.almThreshold === null) {
      throw new DetectorError('untrained_rule', 'the threshold has no value: train the post-rule first');
    }
    return this.almThreshold;
  }

  /** The plain threshold on one score. */
  thresholdOne(s: number, thr: number): number {
    if (Number.isNaN(s)) return 0;
    if (this.absScore) return Math.abs(s) >= thr ? s : 0;
    return s >= thr ? s : 0;
  }

  /** Applies the whole rule to a score series. */
  apply(scores: TimeSeries): TimeSeries {
    const thr = this.requireThreshold();
    const v = new Float64Array(scores.v.length);
    for (let i = 0; i < v.length; i++) v[i] = this.thresholdOne(scores.v[i], thr);
    return { t: scores.t, v };
  }

  /** A fresh streaming form of the rule. */
  streamer(): AlarmStreamer {
    const thr = this.requireThreshold();
    return {
      push: (_t, s) => this.thresholdOne(s, thr),
      save: () => null,
      load: (state, path) => {
        if (state !== null) throw new ModelFormatError('bad_field', `${path}: expected null`);
      },
    };
  }

  /** `max_early_sec` used by the search when none is given. */
  protected defaultMaxEarlySec(): number | null {
    return null;
  }

  /** The label search considers only thresholds below this (Infinity: all of them). */
  protected searchCeiling(): number {
    return Number.POSITIVE_INFINITY;
  }

  /** Trains the threshold (docs/detectors.md, Post-processing: Threshold) and returns the rule applied to the scores. */
  train(scores: TimeSeries, opts: ThresholdTrainOptions = {}): TimeSeries {
    const n = scores.v.length;
    const S = new Float64Array(n);
    for (let i = 0; i < n; i++) S[i] = this.absScore ? Math.abs(scores.v[i]) : scores.v[i];
    const sorted = Float64Array.from(S).sort();
    const uq = opts.unsupQuantile ?? null;
    const metric = opts.metric === undefined ? revisedF1 : opts.metric;
    let dflt: number | null = this.almThreshold;
    if (uq !== null) dflt = percentileSorted(sorted, 100 * uq);
    if (dflt === null) dflt = percentileSorted(sorted, 99);
    let hasPositive = false;
    if (opts.labels) for (const y of opts.labels.v) if (y !== 0) hasPositive = true;
    if (metric !== null && opts.labels && hasPositive && n > 0) {
      const labels = opts.labels;
      const maxEarly = opts.maxEarlySec ?? this.defaultMaxEarlySec();
      const maxDelay = opts.maxDelaySec ?? null;
      const cands = new Set<number>();
      for (const p of PERCENTILES) cands.add(percentileSorted(sorted, p));
      if (uq !== null) cands.add(percentileSorted(sorted, 100 * uq));
      for (const c of linspace(sorted[0], sorted[n - 1], 11)) cands.add(c);
      if (this.almThreshold !== null) cands.add(this.almThreshold);
      const ceiling = this.searchCeiling();
      const list = [...cands].filter((c) => !Number.isNaN(c) && c < ceiling).sort((a, b) => a - b);
      const saved = this.almThreshold;
      const evalAt = (c: number): number => {
        this.almThreshold = c;
        return metric(labels, this.apply(scores), maxEarly, maxDelay);
      };
      let best = Number.NEGATIVE_INFINITY;
      let bestT = dflt;
      for (const c of list) {
        const m = evalAt(c);
        if (m >= best) {
          best = m;
          bestT = c;
        }
      }
      const mDefault = evalAt(dflt);
      this.almThreshold = saved;
      let t = bestT;
      if (opts.minAllowedScore != null && best < opts.minAllowedScore) t = dflt;
      else if (best === mDefault) t = dflt;
      this.almThreshold = t;
    } else if (uq !== null) {
      this.almThreshold = percentileSorted(sorted, 100 * uq);
    } else if (this.almThreshold === null) {
      let mx = 0;
      for (let i = 0; i < n; i++) {
        const a = Math.abs(scores.v[i]);
        if (a > mx) mx = a;
      }
      this.almThreshold = mx + 1e-8;
    }
    return this.apply(scores);
  }

  toJSON(): JsonValue {
    return { almThreshold: this.almThreshold };
  }

  restore(state: unknown, path: string): void {
    const ok = state !== null && typeof state === 'object' && Object.hasOwn(state, 'almThreshold');
    const v = ok ? (state as { almThreshold: unknown }).almThreshold : undefined;
    if (!(v === null || (typeof v === 'number' && Number.isFinite(v)))) {
      throw new ModelFormatError('bad_field', `${path}.almThreshold: expected a finite number or null`);
    }
    // on absolute scores training keeps the configured threshold (≥ 0: levelProblem) or picks one ≥ 0
    // (a quantile or a level of |scores|); a negative one would make every point an alarm
    if (v !== null && v < 0 && this.absScore) {
      throw new ModelFormatError(
        'bad_field',
        `${path}.almThreshold: ${v} is below 0, but the rule compares absolute scores (absScore), so every point would alarm; no training writes it: train the model again, or restore the file as it was written`,
      );
    }
    this.almThreshold = v;
  }
}
