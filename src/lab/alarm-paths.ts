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
 */

import { defaultDetector } from '../detectors/default.js';
import type { Recipe } from './recipes.js';

/** The alarm rule of round 11's candidates: full window, strong single alarms at 3.5. */
export const RULE_11 = { fullWindow: true, strongThreshold: 3.5 } as const;

/** The recipes of round 11 (registered in `RECIPES`, src/lab/recipes.ts). */
export const ALARM_PATH_RECIPES: Readonly<Record<string, Recipe>> = Object.freeze({
  defaultRule11: {
    build: (o) => defaultDetector({ seed: o.seed ?? 0, threshold: RULE_11 }),
    mapping: 'online',
    description:
      'candidate (round 11): defaultDetector() with the full-window rule and strong single alarms at 3.5',
  },
  defaultJump11: {
    build: (o) => defaultDetector({ seed: o.seed ?? 0, threshold: RULE_11, etsAlone: 4 }),
    mapping: 'online',
    description:
      'candidate (round 11): defaultRule11 with the ETS member alone at the alarm level from 4 inside the mean',
  },
});
