/**
 * Rounds 10 and 10b of docs/evaluation.md: the seasonal-change member (`SeasonalChangeDetector`,
 * src/detectors/seasonal-change/) beside the default's parts, built the way the lab builds candidates
 * (`maxWithRule`). Round 10c put the member inside `defaultDetector()` itself (see there); round 12a's
 * `defaultSeasonalLate` is the default with the member's late arming on, and round 13a's
 * `defaultSeasonalLate13` today's default with late arming and a floor on the reference it learns late;
 * round 15a's `defaultSeasonalLate15` adds reference periods that skip the ones the member has flagged.
 */

import { DEFAULT_SEASONAL_LATE, defaultDetector } from '../detectors/default.js';
import { SeasonalChangeDetector, type SeasonalChangeInput } from '../detectors/seasonal-change/detector.js';
import { BEFORE_12C, BEFORE_17, BEFORE_44_ZMS } from './alarm-paths.js';
import { meanDefault } from './candidates.js';
import { flatLineOnset, maxWithRule, meanOfThree } from './candidates-kinds.js';
import type { Recipe } from './recipes.js';

/**
 * Round 10: `defaultDetector()`'s parts (the mean of ETS, RandomCutForest and ZMS; the flat-line onset
 * member) beside the seasonal-change member, by the maximum, the default alarm rule.
 */
export function seasonalDefault(seed = 0, settings: SeasonalChangeInput = {}) {
  return maxWithRule(
    [
      meanOfThree([...meanDefault({ seed }).members], seed),
      flatLineOnset(seed),
      new SeasonalChangeDetector({ enableThreshold: false, seed, ...settings }),
    ],
    seed,
  );
}

/**
 * Round 13a of docs/evaluation.md: the floor on the reference late arming learns (`late.refFloor`, a
 * fraction of the interquartile range of the history's values), chosen on the tuning seeds.
 */
export const LATE_REF_FLOOR_13A = 0.1;

/**
 * Round 15a of docs/evaluation.md: a member armed late compares with the first two unflagged periods
 * among the last 2 + `lookback` and keeps the smaller |r| of that and the recent periods' comparison
 * (`lookbackRule: 'either'`), with round 13a's floor; chosen on the tuning seeds.
 */
export const LATE_15A = { refFloor: LATE_REF_FLOOR_13A, lookback: 2, lookbackRule: 'either' } as const;

/**
 * Round 21a of docs/evaluation.md: a member armed late reports a changed cycle in alarm episodes of
 * `refractory` points of which the first `burst` keep their score; `defaultDetector()`'s since
 * (`DEFAULT_SEASONAL_LATE`).
 */
export const LATE_21A = DEFAULT_SEASONAL_LATE;

/** The recipes of round 10 (registered in `RECIPES`, src/lab/recipes.ts). */
export const SEASONAL_RECIPES: Readonly<Record<string, Recipe>> = Object.freeze({
  defaultSeasonal: {
    build: (o) => seasonalDefault(o.seed ?? 0),
    mapping: 'online',
    description:
      'candidate (round 10): default + a seasonal difference of lag-P/4 differences, median over a period, maximum',
  },
  defaultSeasonalAlarm: {
    build: (o) => seasonalDefault(o.seed ?? 0, { floor: 3 }),
    mapping: 'online',
    description: 'candidate (round 10b): defaultSeasonal with the member 0 below its alarm level 3',
  },
  defaultSeasonalShipped: {
    build: (o) => defaultDetector({ seed: o.seed ?? 0, seasonal: {} }),
    mapping: 'online',
    description:
      'round 10c: defaultDetector() with the seasonal-change member shipped inside it (floor 3); the default since',
  },
  defaultSeasonalLate: {
    // pinned to the default it was measured beside (before round 12c's lone-alarm paths)
    build: (o) => defaultDetector({ seed: o.seed ?? 0, ...BEFORE_12C, seasonal: { late: {} } }),
    mapping: 'online',
    description:
      'candidate (round 12a): the default with late arming: a member off at training looks for a period in the stream',
  },
  defaultSeasonalLate13: {
    build: (o) =>
      defaultDetector({
        seed: o.seed ?? 0,
        ...BEFORE_17,
        seasonal: { late: { refFloor: LATE_REF_FLOOR_13A } },
      }),
    mapping: 'online',
    description:
      'candidate (round 13a): the default with late arming, its stream-learnt reference at least 0.1 × the IQR of the values it armed on',
  },
  defaultSeasonalLate15: {
    build: (o) => defaultDetector({ seed: o.seed ?? 0, ...BEFORE_17, seasonal: { late: { ...LATE_15A } } }),
    mapping: 'online',
    description:
      'candidate (round 15a): defaultSeasonalLate13, and a member armed late stops taking the periods it has flagged as its only reference (lookback 2, the smaller |r| of both comparisons)',
  },
  defaultLate21a: {
    build: (o) => defaultDetector({ seed: o.seed ?? 0, seasonal: { late: { ...LATE_21A } } }),
    mapping: 'onlinePeak',
    description:
      'round 21a: defaultDetector() with late arming of the seasonal-change member, reported in alarm episodes (2 points kept per 576); the default since',
  },
  defaultBefore21a: {
    build: (o) => defaultDetector({ seed: o.seed ?? 0, seasonal: { late: undefined }, zms: BEFORE_44_ZMS }),
    mapping: 'onlinePeak',
    description:
      "defaultDetector() before round 21a: the seasonal-change member without late arming (round 19a's default)",
  },
  defaultLate21a12: {
    build: (o) => defaultDetector({ seed: o.seed ?? 0, seasonal: { late: {} } }),
    mapping: 'onlinePeak',
    description: "round 21a probe: defaultDetector() (round 19a's) with round 12a's late arming",
  },
  defaultBefore10c: {
    build: (o) => defaultDetector({ seed: o.seed ?? 0, ...BEFORE_12C, seasonal: false, zms: BEFORE_44_ZMS }),
    mapping: 'online',
    description:
      'defaultDetector() before round 10c: the mean and the flat-line member, no seasonal-change member',
  },
});
