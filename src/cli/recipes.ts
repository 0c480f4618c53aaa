/**
 * The detector recipe names, for help texts: `tsad --help` must not load every detector to list them.
 * test/cli/recipes.test.ts checks these against `DETECTOR_RECIPES` and `CORPUS_RECIPES`.
 */
export const RECIPE_NAMES = [
  'default',
  'isolationForest',
  'randomCutForest',
  'zms',
  'autoEts',
  'zmsLikelihood',
  'rcfLikelihood',
  'nabStream',
  'defaultLikelihood',
  'etsLikelihood',
  'changePoint',
  'flatLine',
  'discord',
  'kinds',
  'defaultFlat',
  'defaultFlatLikelihood',
  'kindsLikelihood',
  'floorCdf',
  'floorLikelihood',
  'floorIdentity',
] as const;

export const CORPUS_RECIPE_NAMES = [
  'nabStream',
  'default',
  'defaultLikelihood',
  'isolationForest',
  'randomCutForest',
  'autoEts',
  'zms',
  'zmsLikelihood',
] as const;
