/**
 * Forest round 40 of docs/evaluation.md (issue 13 bar 5, issue 17 bar 5; pre-registered): the default
 * with fewer trees in its forest member. Every other part and setting is the default's; the forest keeps
 * its 512 samples on raw 5-shingles, so the count only changes how many trees' scores are averaged.
 */

import { defaultDetector } from '../detectors/default.js';
import type { Recipe } from './recipes.js';

function defaultTrees(nEstimators: number): Recipe {
  return {
    build: (o) => defaultDetector({ seed: o.seed ?? 0, rcf: { nEstimators } }),
    mapping: 'onlinePeak',
    description: `candidate (forest round 40): defaultDetector() with ${nEstimators} trees × 512 samples in its forest member`,
  };
}

/** The recipes of forest round 40 (registered in `RECIPES`, src/lab/recipes.ts). */
export const TREES40_RECIPES: Readonly<Record<string, Recipe>> = Object.freeze({
  defaultTrees16: defaultTrees(16),
  defaultTrees12: defaultTrees(12),
  defaultTrees10: defaultTrees(10),
});
