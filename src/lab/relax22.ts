/**
 * Round 22 of docs/evaluation.md (a lab recipe; `defaultDetector()` is unchanged): the default whose alarm
 * rule applies Merlion's relaxed requirement (one raw alarm fires alone while the window holds fewer
 * earlier points than `minAlmInWindow`) to the earlier points of its whole counting window, the last 60
 * minutes or the last `DEFAULT_COUNT_POINTS` points (`AggregateAlarms.relaxByCount`), so at steps of an
 * hour or more a lone raw alarm below the strong level no longer fires alone after the stream's first
 * points. Every score is the default's.
 */

import { DEFAULT_COUNT_POINTS, defaultDetector } from '../detectors/default.js';
import type { Recipe } from './recipes.js';

/** The recipes of round 22 (registered in `RECIPES`, src/lab/recipes.ts). */
export const RELAX22_RECIPES: Readonly<Record<string, Recipe>> = Object.freeze({
  defaultRelax22: {
    build: (o) => defaultDetector({ seed: o.seed ?? 0, threshold: { relaxByCount: true } }),
    mapping: 'onlinePeak',
    description: `round 22: defaultDetector() whose alarm rule relaxes its two-raw-alarm requirement only while its whole counting window (60 minutes or the last ${DEFAULT_COUNT_POINTS} points) holds fewer than two earlier points`,
  },
});
