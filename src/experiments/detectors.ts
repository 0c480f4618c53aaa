import { IsolationForest } from '../detectors/index.js';
import type { Detector } from '../detectors/types.js';

export interface RecipeOptions {
  readonly seed?: number;
}

/**
 * Named detector recipes the benchmarks and the CLI can run: `default` (the default ensemble), each
 * single detector with its defaults, and the configurations designed for streaming NAB data.
 */
export const DETECTOR_RECIPES: Record<string, (o: RecipeOptions) => Detector> = {
  isolationForest: (o) => new IsolationForest({ seed: o.seed ?? 0 }),
};

/** Builds a recipe's detector; an unknown name is an error that lists the known ones. */
export function makeDetector(name: string, o: RecipeOptions = {}): Detector {
  const make = DETECTOR_RECIPES[name];
  if (!make)
    throw new Error(`unknown detector "${name}"; choose from ${Object.keys(DETECTOR_RECIPES).join(', ')}`);
  return make(o);
}
