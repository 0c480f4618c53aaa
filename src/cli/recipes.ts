/**
 * The detector recipe names, for help texts: `tsad --help` must not load every detector to list them.
 * test/cli/cli-units.test.ts checks `RECIPE_NAMES` against `DETECTOR_RECIPES`.
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
  'defaultFlatChange',
  'defaultFlatChangeLikelihood',
  'kindsLikelihood',
  'maxFlat',
  'maxFlatDiscord',
  'maxFlatDiscordChange',
  'defaultFlatDiscord',
  'maxFlatDiscordCal',
  'maxFlat5',
  'maxFlat5Likelihood',
  'maxCalFlat',
  'blend',
  'blendLikelihood',
  'maxShape',
  'floorCdf',
  'floorLikelihood',
  'floorIdentity',
] as const;

/**
 * What `tsad nab run` runs when no recipe is named: the stronger streaming configuration, the default
 * ensemble, each single detector, and the likelihood-mapped variants of ZMS and the default ensemble.
 */
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
