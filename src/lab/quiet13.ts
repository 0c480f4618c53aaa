/**
 * Round 13c of docs/evaluation.md: `defaultDetector()` whose ZMS member, on a series whose training part
 * is shorter than a day, learns its level reference (mean and variance of every value seen) until it
 * has seen one day, then freezes it (`levelCumulativeSpanMs`); every longer training part keeps the
 * default's frozen ZMS, bit for bit.
 */

import { defaultDetector } from '../detectors/default.js';
import { BEFORE_17, BEFORE_44_ZMS } from './alarm-paths.js';
import type { Recipe } from './recipes.js';

/** One day in milliseconds: the span the round-13c ZMS level reference learns over. */
export const QUIET13_SPAN_MS = 86_400_000;

/** The ZMS overrides of round 13c's candidate. */
export const QUIET13_ZMS = Object.freeze({
  levelCumulative: true,
  levelAdaptScale: true,
  levelCumulativeSpanMs: QUIET13_SPAN_MS,
});

/** The recipes of round 13c (registered in `RECIPES`, src/lab/recipes.ts). */
export const QUIET13_RECIPES: Readonly<Record<string, Recipe>> = Object.freeze({
  defaultQuiet13: {
    build: (o) =>
      defaultDetector({ seed: o.seed ?? 0, ...BEFORE_17, zms: { ...QUIET13_ZMS, ...BEFORE_44_ZMS } }),
    mapping: 'online',
    description:
      'candidate (round 13c): defaultDetector() whose ZMS level reference, when training spans under a day, learns until it has seen a day, then stays',
  },
});
