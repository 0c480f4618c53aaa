import { z } from 'zod';
import type { TimeSeries } from '../../series/types.js';
import type { AlarmEvent } from '../types.js';
import { AggregateAlarms, aggregateAlarmsConfigSchema } from './aggregate-alarms.js';
import { Threshold, thresholdConfigSchema } from './threshold.js';

/** The threshold rule of a detector's config: a plain `Threshold` or `AggregateAlarms`. */
export const thresholdRuleSchema = z.discriminatedUnion('type', [
  thresholdConfigSchema,
  aggregateAlarmsConfigSchema,
]);
export type ThresholdRuleConfig = z.infer<typeof thresholdRuleSchema>;
export type ThresholdRuleInput = z.input<typeof thresholdRuleSchema>;

/** Builds the rule object from its config. */
export function makeThresholdRule(cfg: ThresholdRuleConfig): Threshold {
  if (cfg.type === 'threshold') return new Threshold(cfg.almThreshold, cfg.absScore);
  return new AggregateAlarms(cfg);
}

/** Post-rule training settings (docs/detectors.md, Post-processing; times in seconds, null = off / not given). */
export const postRuleTrainSchema = z.strictObject({
  /** Unsupervised quantile for the threshold; `undefined` = the detector's default rule (docs/detectors.md, Post-processing). */
  unsupQuantile: z.number().min(0).max(1).nullable().optional(),
  maxEarlySec: z.number().nullable().default(null),
  maxDelaySec: z.number().nullable().default(null),
  minAllowedScore: z.number().nullable().default(null),
  retrainCalibrator: z.boolean().default(false),
});
export type PostRuleTrainConfig = z.infer<typeof postRuleTrainSchema>;

/** The alarms of rule-applied scores: one event per nonzero score (what every `detect` returns). */
export function alarmEvents(scores: TimeSeries): AlarmEvent[] {
  const alarms: AlarmEvent[] = [];
  for (let i = 0; i < scores.v.length; i++)
    if (scores.v[i] !== 0) alarms.push({ t: scores.t[i], score: scores.v[i] });
  return alarms;
}
