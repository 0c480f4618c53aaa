/**
 * `defaultDetector()`: tsad's univariate default, Merlion's `DefaultDetector` recipe (docs/ensemble.md:
 * AutoETS + RandomCutForest + ZMS, mean combiner, `AggregateAlarms(3.0, 2 alarms in 60 min,
 * 120 min suppression)`) with three members that look at three different things instead of three
 * views of the first difference (see docs/ensemble.md for the measurements behind each choice):
 *
 * 1. `EtsDetector`, AutoETS over the additive-error candidates, scored one step ahead with its state
 *    updated by every observation (the **jump** view: forecast residual z-scores). Its raw residual
 *    z-scores go through a calibrator owned by the ensemble (`calibrateMembers`), so that they are on
 *    the same scale as the other members' before the mean (uncalibrated, one-step ETS z-scores of
 *    10–25 at every sudden jump dominated the mean);
 * 2. `RandomCutForest` on **raw** 5-value shingles (the **shape/novelty** view: recent trajectories
 *    unlike anything in the forest's sample, levels included), 20 trees × 512 samples, online
 *    updates, calibrated (`maxScore` 10). Merlion's forest works on differences (it then sees jumps
 *    only); the AWS library it wraps is normally fed raw shingles. 512 samples (Merlion's) set what the
 *    forest knows as normal; the tree count only averages out noise, and 20 trees gave the same
 *    results as 100 over seeds 0–5 on machine temperature and on the NAB corpus, at a fifth of the cost;
 * 3. `ZmsDetector` with no lags (the **level** view: the value's z-score against the training mean
 *    and standard deviation), calibrated (`maxScore` 1000);
 *
 * members not thresholded, combined by the mean rule (absolute scores, median-of-signs), no
 * ensemble calibrator, and `AggregateAlarms(3.0, 2 alarms in 60 min, 120 min suppression)`.
 * Every member's settings can be overridden (`ets`, `rcf`, `zms`), e.g. Merlion's own members:
 * `defaultDetector({ rcf: { nEstimators: 100, transforms: [{ type: 'difference' }, { type: 'shingle',
 * size: 5 }] }, zms: { nLags: 3 }, ets: { autoOptions: { additiveOnly: false } } })` (the ensemble
 * still calibrates ETS).
 */

import { Ensemble } from './ensemble.js';
import type { EnsembleOptions } from './ensemble-config.js';
import { EtsDetector, type EtsInput } from './ets/detector.js';
import type { AggregateAlarmsConfig } from './post/aggregate-alarms.js';
import { RandomCutForest, type RandomCutForestInput } from './rcf/detector.js';
import { ZmsDetector, type ZmsInput } from './zms.js';

export interface DefaultDetectorInput {
  /** Seed of every random choice (the forest). Default 0. */
  seed?: number;
  /** Overrides of the ensemble's alarm rule (`AggregateAlarms`; defaults 3.0 / 2 / 60 / 120). */
  threshold?: Partial<Omit<AggregateAlarmsConfig, 'type'>>;
  /** Overrides of the ETS member's config. */
  ets?: EtsInput;
  /** Overrides of the Random Cut Forest member's config. */
  rcf?: RandomCutForestInput;
  /** Overrides of the ZMS member's config. */
  zms?: ZmsInput;
}

/** The default alarm rule of the default detector. */
export const DEFAULT_ALARM_RULE = {
  type: 'aggregateAlarms',
  almThreshold: 3,
  absScore: true,
  minAlmInWindow: 2,
  almWindowMinutes: 60,
  almSuppressMinutes: 120,
} as const;

/** A fresh, untrained default detector (an `Ensemble`; its model file loads with `loadModel`). */
export function defaultDetector(cfg: DefaultDetectorInput = {}, opts: EnsembleOptions = {}): Ensemble {
  const seed = cfg.seed ?? 0;
  const members = [
    new EtsDetector({
      auto: true,
      autoOptions: { additiveOnly: true },
      mode: 'stream',
      enableThreshold: false,
      seed,
      ...cfg.ets,
    }),
    new RandomCutForest({
      nEstimators: 20,
      maxNSamples: 512,
      onlineUpdates: true,
      transforms: [{ type: 'shingle', size: 5 }],
      enableCalibrator: true,
      enableThreshold: false,
      seed,
      ...cfg.rcf,
    }),
    new ZmsDetector({ nLags: 0, enableCalibrator: true, enableThreshold: false, seed, ...cfg.zms }),
  ];
  return new Ensemble(
    {
      members,
      combiner: { type: 'mean', absScore: true },
      calibrateMembers: [true, false, false],
      enableCalibrator: false,
      threshold: { ...DEFAULT_ALARM_RULE, ...cfg.threshold },
      seed,
    },
    opts,
  );
}
