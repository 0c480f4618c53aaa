import { defaultDetector } from '../detectors/default.js';
import { EtsDetector, IsolationForest, RandomCutForest } from '../detectors/index.js';
import { NabStreamDetector } from '../detectors/nab-stream/detector.js';
import type { Detector } from '../detectors/types.js';
import { ZmsDetector } from '../detectors/zms.js';
import { ConfigError } from '../errors.js';
import type { NabScoreMapping } from './nab-stream.js';

export interface RecipeOptions {
  readonly seed?: number;
}

/**
 * Named detector recipes the benchmarks and the CLI can run: `default` (the default ensemble), each
 * single detector with its defaults, and the configurations designed for streaming NAB data.
 */
export const DETECTOR_RECIPES: Record<string, (o: RecipeOptions) => Detector> = {
  default: (o) => defaultDetector({ seed: o.seed ?? 0 }),
  isolationForest: (o) => new IsolationForest({ seed: o.seed ?? 0 }),
  randomCutForest: (o) => new RandomCutForest({ seed: o.seed ?? 0 }),
  zms: (o) => new ZmsDetector({ seed: o.seed ?? 0 }),
  autoEts: (o) => new EtsDetector({ seed: o.seed ?? 0, auto: true }),
  zmsLikelihood: (o) => new ZmsDetector({ seed: o.seed ?? 0 }),
  rcfLikelihood: (o) => new RandomCutForest({ seed: o.seed ?? 0 }),
  nabStream: () => new NabStreamDetector(),
  defaultLikelihood: (o) => defaultDetector({ seed: o.seed ?? 0 }),
  etsLikelihood: (o) => new EtsDetector({ seed: o.seed ?? 0, auto: true }),
};

/**
 * What `tsad nab run` runs when no recipe is named: the stronger streaming configuration, the default
 * ensemble, each single detector, and the likelihood-mapped variants of ZMS and the default ensemble.
 */
export const CORPUS_RECIPES: readonly string[] = [
  'nabStream',
  'default',
  'defaultLikelihood',
  'isolationForest',
  'randomCutForest',
  'autoEts',
  'zms',
  'zmsLikelihood',
];

/** How each recipe's scores map to NAB's [0, 1] (default `cdf`). */
export const NAB_MAPPING: Record<string, NabScoreMapping> = {
  zmsLikelihood: 'likelihood',
  rcfLikelihood: 'likelihood',
  nabStream: 'identity',
  defaultLikelihood: 'likelihood',
  etsLikelihood: 'likelihood',
};

/** Whether `name` is a recipe (own keys only: `toString` or `constructor` are not recipes). */
export function isRecipe(name: string): boolean {
  return Object.hasOwn(DETECTOR_RECIPES, name);
}

/** Builds a recipe's detector; an unknown name is an error that lists the known ones. */
export function makeDetector(name: string, o: RecipeOptions = {}): Detector {
  const make = isRecipe(name) ? DETECTOR_RECIPES[name] : undefined;
  if (!make) {
    throw new ConfigError(
      'unknown_detector',
      `unknown detector "${name}"; choose from ${Object.keys(DETECTOR_RECIPES).join(', ')}`,
    );
  }
  return make(o);
}
