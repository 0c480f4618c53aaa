/**
 * Round 12b of docs/evaluation.md: `defaultDetector()` with the level-drift member
 * (`LevelDriftDetector`, src/detectors/level-drift/) as one more part of its maximum.
 */

import { defaultDetector } from '../detectors/default.js';
import { BEFORE_12C } from './alarm-paths.js';
import type { Recipe } from './recipes.js';

/** The recipes of round 12b (registered in `RECIPES`, src/lab/recipes.ts). */
export const DRIFT_RECIPES: Readonly<Record<string, Recipe>> = Object.freeze({
  defaultDrift: {
    // pinned to the default it was measured beside (before round 12c's lone-alarm paths)
    build: (o) => defaultDetector({ seed: o.seed ?? 0, ...BEFORE_12C, drift: {} }),
    mapping: 'online',
    description:
      'candidate (round 12b): defaultDetector() + a CUSUM on the residual against the training seasonal profile (0 below the alarm level)',
  },
});
