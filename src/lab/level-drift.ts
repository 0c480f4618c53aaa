/**
 * Round 12b of docs/evaluation.md: `defaultDetector()` with the level-drift member
 * (`LevelDriftDetector`, src/detectors/level-drift/) as one more part of its maximum.
 */

import { defaultDetector } from '../detectors/default.js';
import type { Recipe } from './recipes.js';

/** The recipes of round 12b (registered in `RECIPES`, src/lab/recipes.ts). */
export const DRIFT_RECIPES: Readonly<Record<string, Recipe>> = Object.freeze({
  defaultDrift: {
    build: (o) => defaultDetector({ seed: o.seed ?? 0, drift: {} }),
    mapping: 'online',
    description:
      'candidate (round 12b): defaultDetector() + a CUSUM on the residual against the training seasonal profile (0 below the alarm level)',
  },
});
