/** The Ensemble's config: metrics a combiner can select by, combiner and ensemble schemas, input and options. */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { TimeSeries } from '../series/types.js';
import { baseConfigShape } from './base-config.js';
import type { MetricDirection } from './combiners.js';
import { parseConfig } from './config.js';
import { isDetector } from './member.js';
import { postRuleTrainSchema } from './post/rule.js';
import type { StreamingDetector } from './streaming.js';
import type { Detector, JsonObject } from './types.js';

/** TSAD metrics a metric-driven combiner can use (computed by the metrics module's `evaluate`). */
export const ENSEMBLE_METRICS = [
  'f1',
  'precision',
  'recall',
  'f2',
  'f5',
  'pointwiseF1',
  'pointwisePrecision',
  'pointwiseRecall',
  'pointAdjustedF1',
  'pointAdjustedPrecision',
  'pointAdjustedRecall',
  'nabScore',
  'nabScoreLowFN',
  'nabScoreLowFP',
  'meanTimeToDetect',
] as const;
export type EnsembleMetric = (typeof ENSEMBLE_METRICS)[number];

/** Whether a larger value of the metric is better. */
export function metricDirection(m: EnsembleMetric): MetricDirection {
  return m === 'meanTimeToDetect' ? 'lower' : 'higher';
}

/**
 * How a metric-driven combiner (`modelSelector`, `metricWeightedMean`) scores a member's alarms
 * `pred` (non-zero = alarm) against the labels `truth`. The ensemble does not compute metrics
 * itself: pass one in `EnsembleOptions.metric`, e.g. tsad's `ensembleMetric` (metrics module).
 */
export type SelectionMetric = (name: EnsembleMetric, truth: TimeSeries, pred: TimeSeries) => number;

const metricSchema = z.enum(ENSEMBLE_METRICS).default('f1');

export const combinerSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('mean'),
    absScore: z.boolean().default(true),
    /**
     * Optional "alone" path (round 11 of docs/evaluation.md): per member read, the |score| at which it
     * reaches `level` on its own (`null`: never). Where |v_j| ≥ `at[j]` the combined magnitude is at least
     * `level · |v_j| / at[j]` (with v_j's sign); below, the mean alone. Absent: the plain mean.
     */
    alone: z
      .strictObject({ at: z.array(z.number().positive().nullable()), level: z.number().positive() })
      .optional(),
  }),
  z.strictObject({ type: z.literal('median'), absScore: z.boolean().default(true) }),
  z.strictObject({ type: z.literal('max'), absScore: z.boolean().default(true) }),
  z.strictObject({
    type: z.literal('modelSelector'),
    metric: metricSchema,
    absScore: z.boolean().default(false),
  }),
  z.strictObject({
    type: z.literal('metricWeightedMean'),
    metric: metricSchema,
    absScore: z.boolean().default(false),
  }),
]);
export type CombinerConfig = z.infer<typeof combinerSchema>;
export type CombinerType = CombinerConfig['type'];
/** A combiner by name (defaults for its fields) or as a full config object. */
export type CombinerInput = CombinerType | z.input<typeof combinerSchema>;

const memberDescriptor = z.strictObject({
  type: z.string().min(1).max(200),
  config: z.record(z.string(), z.unknown()),
});

export const MAX_MEMBERS = 64;

export const ensembleConfigSchema = z.strictObject({
  ...baseConfigShape(1000),
  /** The ensemble's own calibrator is off by default (members are calibrated). */
  enableCalibrator: z.boolean().default(false),
  /**
   * Post-rule training: like forecasters, an ensemble has no unsupervised-quantile default
   * (docs/detectors.md, Post-processing): without labels the threshold keeps its configured value.
   */
  postRuleTrain: postRuleTrainSchema.prefault({ unsupQuantile: null }),
  combiner: z.preprocess(
    (x) => (x === undefined ? { type: 'mean' } : typeof x === 'string' ? { type: x } : x),
    combinerSchema,
  ),
  /**
   * Fraction of the train data (by time, at the end) held out to train a metric-driven combiner
   * (`modelSelector`, `metricWeightedMean`); ignored by the other combiners. Needs labels.
   */
  validFrac: z.number().min(0).max(0.9).default(0),
  /**
   * Per member (same order as `members`): whether the ensemble passes that member's output through
   * a calibrator of its own (Merlion's `AnomScoreCalibrator`, trained on the member's train scores)
   * before combining. Meant for members without a calibrator (ETS scores in raw residual z-units), so
   * that every score the combiner reads is on the same calibrated scale. `null` (default): none.
   */
  calibrateMembers: z.array(z.boolean()).max(MAX_MEMBERS).nullable().default(null),
  /**
   * How the calibrators of `calibrateMembers` learn: absent or `'fixed'`, once from the member's train
   * scores (Merlion's); `'online'`, from every score seen, training and stream alike
   * (`OnlineCalibrator`: a bounded histogram of all scores, anchors refitted as it grows).
   */
  memberCalibration: z.enum(['fixed', 'online']).optional(),
  /**
   * With online calibration (members or combined): a score calibrated to at least this is not learnt
   * (an alarm is not evidence of what is normal). Absent: every score is learnt.
   */
  onlineCensor: z.number().min(1).max(1000).optional(),
  /**
   * `'online'`: the combined score goes through an `OnlineCalibrator` before the alarm rule, so the
   * alarm threshold is in units of the combined score's own distribution (training and stream). Absent:
   * no such calibrator.
   */
  combinedCalibration: z.enum(['online']).optional(),
  /** The members' types and configs (filled in from the member detectors; for the record). */
  members: z.array(memberDescriptor).min(1).max(MAX_MEMBERS),
});
export type EnsembleConfig = z.infer<typeof ensembleConfigSchema>;

/**
 * A member as the ensemble holds it: tsad's detectors as they are, any other `Detector` wrapped in a
 * `ForeignMember` (member.ts).
 */
export type EnsembleMember = StreamingDetector;

export interface EnsembleInput extends Omit<z.input<typeof ensembleConfigSchema>, 'members' | 'combiner'> {
  /**
   * The member detectors, untrained or trained (training the ensemble re-trains them): any object
   * implementing the public `Detector` interface, tsad's or a third party's.
   */
  members: readonly Detector[];
  /** `'mean'` (default), `'median'`, `'max'`, `'modelSelector'`, `'metricWeightedMean'`, or a config. */
  combiner?: CombinerInput;
}

/** Something an ensemble wants a person to know: a dropped member, a weighting fallback. */
export interface EnsembleWarning {
  readonly code: 'member_failed' | 'equal_weights';
  readonly message: string;
  /** Index of the member concerned, if any. */
  readonly member?: number;
  readonly memberType?: string;
  readonly cause?: unknown;
}
export type EnsembleWarningListener = (w: EnsembleWarning) => void;

/** Options that are not part of the model (not saved, not tracked). */
export interface EnsembleOptions {
  /** Called for each warning; without any listener, warnings go to `process.emitWarning`. */
  onWarning?: EnsembleWarningListener;
  /** The metric of metric-driven combiners trained with labels (e.g. tsad's `ensembleMetric`). */
  metric?: SelectionMetric;
}

export const TRAINABLE: ReadonlySet<CombinerType> = new Set(['modelSelector', 'metricWeightedMean']);

/** The ensemble's config from its input: the members checked and described, the rest parsed. */
export function buildConfig(input: EnsembleInput): EnsembleConfig {
  if (input === null || typeof input !== 'object' || !Array.isArray(input.members)) {
    throw new ConfigError('bad_config', 'config field members: pass an array of detectors');
  }
  const seen = new Set<Detector>();
  input.members.forEach((m, i) => {
    if (!isDetector(m)) {
      throw new ConfigError(
        'bad_config',
        `config field members.${i}: expected a detector (an object implementing Detector, e.g. new ZmsDetector()), got ${typeof m}`,
      );
    }
    if (seen.has(m))
      throw new ConfigError(
        'bad_config',
        `config field members.${i}: the same detector instance appears twice`,
      );
    seen.add(m);
  });
  const { members, ...rest } = input;
  const cfg = parseConfig(ensembleConfigSchema, {
    ...rest,
    members: members.map((m) => ({ type: m.type, config: m.config as JsonObject })),
  });
  if (cfg.calibrateMembers !== null && cfg.calibrateMembers.length !== members.length) {
    throw new ConfigError(
      'bad_config',
      `config field calibrateMembers: expected ${members.length} booleans (one per member), got ${cfg.calibrateMembers.length}`,
    );
  }
  return cfg;
}
