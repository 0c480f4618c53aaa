/**
 * `defaultDetector()` as it was before round 44 of docs/evaluation.md was built into it (harm45): its ZMS
 * member on the value itself, no daily harmonic. The baseline round 44 was judged against (`today` in
 * bench/cycle44-sweep.ts), kept as the lab recipe `defaultBefore44`. Round 44's prototype (a wrapper that
 * fed ZMS the harmonic's residual, the recipes `defaultHarmonic44`, `defaultHarmonic44pi` and
 * `defaultHarmonic44short`) was retired in fix46: the built default streams what it streamed bit for bit
 * (test/detectors/zms-harmonic.test.ts keeps the checksum of its scores on NAB machine temperature).
 */
import { defaultDetector } from '../detectors/default.js';
import type { Ensemble } from '../detectors/ensemble.js';
import { BEFORE_44_ZMS } from './alarm-paths.js';
import type { Recipe } from './recipes.js';

/** `defaultDetector()` before round 44 was built into it (harm45): its ZMS member on the value. */
export function defaultBefore44(seed = 0): Ensemble {
  return defaultDetector({ seed, zms: BEFORE_44_ZMS });
}

/** The recipe of the default before round 44 (registered in `RECIPES`, src/lab/recipes.ts). */
export const BEFORE44_RECIPES: Readonly<Record<string, Recipe>> = Object.freeze({
  defaultBefore44: {
    build: (o) => defaultBefore44(o.seed ?? 0),
    mapping: 'onlinePeak',
    description:
      "defaultDetector() before round 44 was built in (harm45): its ZMS member on the value, no daily harmonic (`default`'s recipe until harm45)",
  },
});
