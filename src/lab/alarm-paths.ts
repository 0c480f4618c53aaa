/**
 * Round 11 of docs/evaluation.md: two alarm paths beside `defaultDetector()`'s scores, chosen on tuning
 * seeds 1–3 and 901–903 (`bench/combo-sweep.ts`).
 *
 * - the rule's **full window** (`fullWindow`): two raw alarms are needed within the window at every step
 *   (Merlion's relaxed requirement lets one raw alarm fire alone at 60-minute steps, where the 60-minute
 *   window holds one earlier point), and a **strong** raw alarm (|score| ≥ 3.5, `strongThreshold`) is
 *   emitted alone (a one-point spike or the first point of a jump the mean sees once);
 * - the **jump member alone** (`etsAlone: 4`): inside the mean, the ETS member's calibrated score reaches
 *   the alarm level on its own at 4 (the mean of three divides a jump only the forecast sees); below 4
 *   the mean is unchanged, so the NAB mode's ordinary scores are the default's.
 *
 * Round 12c: the same two lone-alarm paths at higher levels and without the full window
 * (`defaultStrong12`: strong single alarms at 5.5, the ETS member alone from 4.5), chosen by
 * leave-one-seed-group-out cross-validation over tuning seeds 1–3, 901–903, 1001–1003 and 1101–1103
 * (`bench/strong-sweep.ts`).
 */

import { defaultDetector, STRONG_THRESHOLD_12C } from '../detectors/default.js';
import type { Recipe } from './recipes.js';

/** The alarm rule of round 11's candidates: full window, strong single alarms at 3.5. */
export const RULE_11 = { fullWindow: true, strongThreshold: 3.5, countPoints: undefined } as const;

/** Round 12c's levels: a raw alarm of 5.5 fires alone; the ETS member alone reaches the alarm level at 4.5. */
export const STRONG_12 = { strongThreshold: 5.5, etsAlone: 4.5 } as const;

/**
 * `defaultDetector()` options that build the default of rounds 12c–16c (before round 17: raw alarms counted
 * over the 60 minutes only, strong single alarms at 5.5): recipes measured beside that default spread it.
 */
/**
 * The ZMS override of a recipe standing for a default before round 44 was built in (harm45): the level
 * member on the value, no daily harmonic (what `defaultBefore44` builds; the `defaultBefore…` recipes of
 * earlier rounds carry it so that they still build what they did).
 */
export const BEFORE_44_ZMS = { dailyHarmonics: undefined } as const;

export const BEFORE_17 = {
  threshold: { strongThreshold: STRONG_THRESHOLD_12C, countPoints: undefined },
  drift: false,
  seasonal: { late: undefined },
} as const;

/**
 * `defaultDetector()` options that leave out round 12c's two lone-alarm paths (the ETS member alone and
 * strong single alarms) and round 17's `countPoints`: recipes that stand for a default before round 12c
 * spread it.
 */
export const BEFORE_12C = {
  etsAlone: false,
  threshold: { strongThreshold: undefined, countPoints: undefined },
  drift: false,
  seasonal: { late: undefined },
} as const;

/** The recipes of rounds 11 and 12c (registered in `RECIPES`, src/lab/recipes.ts). */
export const ALARM_PATH_RECIPES: Readonly<Record<string, Recipe>> = Object.freeze({
  defaultRule11: {
    build: (o) =>
      defaultDetector({
        seed: o.seed ?? 0,
        threshold: RULE_11,
        etsAlone: false,
        drift: false,
        seasonal: { late: undefined },
      }),
    mapping: 'online',
    description:
      'candidate (round 11): defaultDetector() with the full-window rule and strong single alarms at 3.5',
  },
  defaultJump11: {
    build: (o) =>
      defaultDetector({
        seed: o.seed ?? 0,
        threshold: RULE_11,
        etsAlone: 4,
        drift: false,
        seasonal: { late: undefined },
      }),
    mapping: 'online',
    description:
      'candidate (round 11): defaultRule11 with the ETS member alone at the alarm level from 4 inside the mean',
  },
  defaultStrong12: {
    build: (o) =>
      defaultDetector({
        seed: o.seed ?? 0,
        threshold: { strongThreshold: STRONG_12.strongThreshold, countPoints: undefined },
        etsAlone: STRONG_12.etsAlone,
        drift: false,
        seasonal: { late: undefined },
      }),
    mapping: 'online',
    description:
      'candidate (round 12c): defaultDetector() with strong single alarms at 5.5 and the ETS member alone from 4.5 (Merlion window); the default from round 12c to round 17',
  },
  defaultBefore12c: {
    build: (o) => defaultDetector({ seed: o.seed ?? 0, ...BEFORE_12C, zms: BEFORE_44_ZMS }),
    mapping: 'online',
    description:
      'defaultDetector() before round 12c: the two-exceedance rule alone, the plain mean (no lone-alarm paths)',
  },
});
