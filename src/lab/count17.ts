/**
 * Round 17 of docs/evaluation.md (adopted: `defaultDetector()` since, so `defaultCount17` builds the same as
 * `default`): `defaultDetector()` whose alarm rule lets fewer lone raw alarms go: it
 * counts raw alarms over the last `DEFAULT_COUNT_POINTS` earlier points at least (`AggregateAlarms.countPoints`),
 * as well as over its 60 minutes, so that two raw alarms a few points apart count together at coarse steps
 * too (at a 30-minute step the 60-minute window holds two earlier points), and a raw alarm fires alone from
 * `DEFAULT_STRONG_THRESHOLD` (4.5) instead of round 12c's `STRONG_THRESHOLD_12C` (5.5). Every score is the default's; the number of
 * raw alarms needed and its relaxed form are Merlion's. Both settings chosen together by
 * leave-one-seed-group-out cross-validation over tuning seeds (round 17).
 */

import { DEFAULT_COUNT_POINTS, DEFAULT_STRONG_THRESHOLD, defaultDetector } from '../detectors/default.js';
import { BEFORE_17, BEFORE_44_ZMS } from './alarm-paths.js';
import type { Recipe } from './recipes.js';

/** The recipes of round 17 (registered in `RECIPES`, src/lab/recipes.ts). */
export const COUNT17_RECIPES: Readonly<Record<string, Recipe>> = Object.freeze({
  defaultCount17: {
    build: (o) =>
      defaultDetector({
        seed: o.seed ?? 0,
        threshold: { countPoints: DEFAULT_COUNT_POINTS, strongThreshold: DEFAULT_STRONG_THRESHOLD },
      }),
    mapping: 'onlinePeak',
    description: `round 17 (the default since): defaultDetector() whose alarm rule counts raw alarms over the last ${DEFAULT_COUNT_POINTS} points at least (as well as its 60 minutes) and lets one fire alone from ${DEFAULT_STRONG_THRESHOLD}`,
  },
  defaultBefore17: {
    build: (o) =>
      defaultDetector({
        seed: o.seed ?? 0,
        threshold: { ...BEFORE_17.threshold },
        drift: false,
        seasonal: { late: undefined },
        zms: BEFORE_44_ZMS,
      }),
    mapping: 'onlinePeak',
    description:
      'defaultDetector() before round 17: raw alarms counted over 60 minutes only, a raw alarm fires alone from 5.5 (round 12c)',
  },
});
