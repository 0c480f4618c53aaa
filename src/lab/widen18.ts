/**
 * Round 18b of docs/evaluation.md (met its rule, not adopted: on NAB the own alarm rule finds 87/116
 * windows against the default's 92): `defaultDetector()` whose alarm levels are 1.3 times
 * higher while the series has been seen for less than a whole week (`AggregateAlarms.widen`), on series
 * whose training part already spans two whole days (the daily cycle seen twice, the weekly one not once).
 * Every score is the default's; only the alarm rule reads the widening. The factor chosen by
 * leave-one-seed-group-out cross-validation over tuning seeds (round 18b).
 */

import { defaultDetector } from '../detectors/default.js';
import type { Recipe } from './recipes.js';

const DAY_MS = 86_400_000;

/** Round 18b's widening: levels × 1.3 until a week after the first training point, when training spans ≥ 2 days. */
export const WIDEN18 = Object.freeze({ untilMs: 7 * DAY_MS, afterTrainMs: 2 * DAY_MS, factor: 1.3 });

/** The recipes of round 18b (registered in `RECIPES`, src/lab/recipes.ts). */
export const WIDEN18_RECIPES: Readonly<Record<string, Recipe>> = Object.freeze({
  defaultWiden18: {
    build: (o) =>
      defaultDetector({
        seed: o.seed ?? 0,
        threshold: { widen: { ...WIDEN18 } },
        drift: false,
        seasonal: { late: undefined },
      }),
    mapping: 'onlinePeak',
    description:
      'round 18b (not adopted: 5 fewer NAB windows found by the own alarm rule): defaultDetector() whose alarm levels are 1.3 times higher until a whole week has been seen, on series whose training part spans two days or more',
  },
});
