/**
 * `defaultDetector()`: Merlion's univariate `DefaultDetector` recipe (detectors spec §2) in pure
 * Node: an `Ensemble` of
 *
 * 1. `EtsDetector` with AutoETS model selection, scored one step ahead with its state updated by
 *    every observation (tsad's streaming ETS; the reference forecasts the whole test span from
 *    the end of training), no calibrator;
 * 2. `RandomCutForest` (100 trees, 512 samples, difference → shingle(5), online updates,
 *    calibrated with `maxScore` 10), seeded;
 * 3. `ZmsDetector` with 3 lags, calibrated (`maxScore` 1000);
 *
 * members not thresholded, combined by the mean rule (absolute scores, median-of-signs), no
 * ensemble calibrator, and `AggregateAlarms(3.0, 2 alarms in 60 min, 120 min suppression)`.
 */
import type { EnsembleOptions } from './ensemble.js';
import { Ensemble } from './ensemble.js';
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
