/**
 * Round 12b of docs/evaluation.md: `defaultDetector()` with the level-drift member
 * (`LevelDriftDetector`, src/detectors/level-drift/) as one more part of its maximum. Round 13b: the same
 * member beside today's default, with alarm episodes (`DRIFT_13`). Round 18a: the same member with a decision
 * level of 4 × the training part's largest sum (`DRIFT_18A`), beside the default of round 17. Round 19a:
 * the same member, chosen again on ten tuning groups, met its rule on fresh seeds and is in
 * `defaultDetector()` since (`DEFAULT_DRIFT`); `defaultBefore19a` is the default before it. Round 21b: the
 * member calibrated on out-of-sample training residuals (`defaultCrossFit21`), and with a decision level that
 * grows with the stream as a CUSUM maximum does (`defaultQuiet21`, `DRIFT_21B`). Round 23: round 21b's
 * member armed late where the training part leaves it off (`defaultDriftLate23`, `DRIFT_LATE_23`). Round 24:
 * the same with tries that back off geometrically (`defaultDriftLate24`, `DRIFT_LATE_24`).
 */

import { DEFAULT_DRIFT, defaultDetector } from '../detectors/default.js';
import { BEFORE_12C, BEFORE_17, BEFORE_44_ZMS } from './alarm-paths.js';
import type { Recipe } from './recipes.js';

/**
 * Round 13b's member options, chosen on tuning seeds (`bench/drift-sweep.ts`): an alarm at the alarm level
 * opens an episode of 672 scored points (two weeks of 30-minute steps) in which only its first 2 points
 * keep their score; the profile stays the training one (the learning profile cost drifts there).
 */
export const DRIFT_13 = { refractory: 672, burst: 2 } as const;

/**
 * Round 18a's member options, chosen by leave-one-seed-group-out cross-validation over tuning seeds
 * 1201–1703 (`bench/drift18-sweep.ts`): round 13b's episodes, and a decision level of 4 (not 3) times the
 * largest sum the training part reaches.
 */
export const DRIFT_18A = { refractory: 672, burst: 2, ratio: 4 } as const;

/**
 * Round 21b's member options beside `DEFAULT_DRIFT` (no setting chosen by score): calibration on
 * out-of-sample training residuals, and a decision level that grows with log(points scored / training points)
 * at the rate the training residuals' autocorrelation implies.
 */
export const DRIFT_21B = { ...DEFAULT_DRIFT, crossFit: true, lengthGrowth: 1 } as const;

/**
 * Round 23's member options, chosen by leave-one-seed-group-out cross-validation over the 24 tuning groups
 * (`bench/drift23-sweep.ts`): round 21b's member, armed late (`lateDays` 7) where the training part spans
 * fewer than its 7 periods.
 */
export const DRIFT_LATE_23 = { ...DRIFT_21B, lateDays: 7 } as const;

/**
 * Round 24's member options (no setting chosen by score): round 23's, with tries that back off (`lateGrowth`
 * 2: after a failed try, the next waits until the points seen have doubled), so the fits made while waiting
 * cost at most 2 points per point seen on any series.
 */
export const DRIFT_LATE_24 = { ...DRIFT_LATE_23, lateGrowth: 2 } as const;

/** The recipes of round 12b (registered in `RECIPES`, src/lab/recipes.ts). */
export const DRIFT_RECIPES: Readonly<Record<string, Recipe>> = Object.freeze({
  defaultDrift: {
    // pinned to the default it was measured beside (before round 12c's lone-alarm paths)
    build: (o) => defaultDetector({ seed: o.seed ?? 0, ...BEFORE_12C, drift: {} }),
    mapping: 'online',
    description:
      'candidate (round 12b): defaultDetector() + a CUSUM on the residual against the training seasonal profile (0 below the alarm level)',
  },
  defaultDrift13: {
    build: (o) => defaultDetector({ seed: o.seed ?? 0, ...BEFORE_17, drift: { ...DRIFT_13 } }),
    mapping: 'online',
    description:
      'candidate (round 13b): defaultDetector() + the level-drift member with alarm episodes (two alarm-level points, then 672 points quiet)',
  },
  defaultDrift18a: {
    build: (o) => defaultDetector({ seed: o.seed ?? 0, drift: { ...DRIFT_18A } }),
    mapping: 'onlinePeak',
    description:
      'round 18a, adopted in round 19a (the default since): defaultDetector() + the level-drift member with alarm episodes and a decision level of 4 × the training maximum',
  },
  defaultCrossFit21: {
    build: (o) =>
      defaultDetector({
        seed: o.seed ?? 0,
        drift: { ...DEFAULT_DRIFT, crossFit: true },
        seasonal: { late: undefined },
      }),
    mapping: 'onlinePeak',
    description:
      "round 21b: defaultDetector() with the level-drift member calibrated on out-of-sample training residuals (each against the other periods' profile)",
  },
  defaultQuiet21: {
    build: (o) =>
      defaultDetector({ seed: o.seed ?? 0, drift: { ...DRIFT_21B }, seasonal: { late: undefined } }),
    mapping: 'onlinePeak',
    description:
      'candidate (round 21b): defaultCrossFit21 + a level-drift decision level that grows with log(points scored / training points) as a CUSUM maximum does',
  },
  defaultDriftLate23: {
    build: (o) => defaultDetector({ seed: o.seed ?? 0, drift: { ...DRIFT_LATE_23 } }),
    mapping: 'onlinePeak',
    description:
      'candidate (round 23): defaultDetector() with round 21b’s level-drift member, armed late (fitted on the stream once it spans 7 days) where training is too short',
  },
  defaultDriftLate24: {
    build: (o) => defaultDetector({ seed: o.seed ?? 0, drift: { ...DRIFT_LATE_24 } }),
    mapping: 'onlinePeak',
    description:
      'candidate (round 24): defaultDriftLate23 with tries that back off (the next after a failed fit waits until the points seen have doubled)',
  },
  defaultBefore19a: {
    build: (o) =>
      defaultDetector({ seed: o.seed ?? 0, drift: false, seasonal: { late: undefined }, zms: BEFORE_44_ZMS }),
    mapping: 'onlinePeak',
    description:
      'defaultDetector() before round 19a: no level-drift member (the mean, the flat-line and seasonal-change members, round 17 alarm rule)',
  },
});
