import { ConfigError } from '../errors.js';

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
  'art',
  'artClamp',
  'artNab',
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
  'onlineMax',
  'onlineMaxCal',
  'onlineMaxDiscord',
  'onlineMaxDiscordCal',
  'onlineMaxAllCal',
  'maxFlat45',
  'maxFlat45Likelihood',
  'onlineMax45',
  'onlineMax45Likelihood',
  'onlineMax45Censor',
  'defaultAdapt300',
  'defaultAdaptVar300',
  'defaultCumVar',
  'shapePeriodic',
  'shapePeriodic20',
  'shapePeriodicL35',
  'shapePeriodic20L35',
  'shapePeriodic20L4',
  'defaultForest10',
  'shapeDefault',
  'shapeGated',
  'shapeLevel4',
  'defaultSmallForest',
  'defaultOnline',
  'defaultFlatOnline',
  'zmsOnline',
  'defaultOnlineCal',
  'defaultFlatOnlineCal',
  'defaultOnlineFlat',
  'defaultOnlineFlatLikelihood',
  'floorCdf',
  'floorLikelihood',
  'floorIdentity',
  'floorOnline',
  'defaultPeak',
  'defaultAlarmMap',
  'floorOnlinePeak',
  'floorOnlineAlarm',
  'peakMaxArt',
  'peakMaxArtPeak',
  'floorPeakMax',
  'floorPeakMaxPeak',
  'mtAdapt1000',
  'mtSustain',
  'mtAdaptSustain',
  'defaultDayLevel',
  'defaultWeekLevel',
  'defaultWeekSustain',
  'defaultDaySustain',
  'defaultSeasonal',
  'defaultSeasonalAlarm',
  'defaultSeasonalShipped',
  'defaultSeasonalLate',
  'defaultSeasonalLate13',
  'defaultSeasonalLate15',
  'defaultLate21a',
  'defaultBefore21a',
  'defaultLate21a12',
  'defaultBefore10c',
  'defaultRule11',
  'defaultJump11',
  'defaultStrong12',
  'defaultBefore12c',
  'defaultDrift',
  'defaultDrift13',
  'defaultDrift18a',
  'defaultCrossFit21',
  'defaultQuiet21',
  'defaultDriftLate23',
  'defaultDriftLate24',
  'defaultBefore19a',
  'defaultQuiet13',
  'defaultCount17',
  'defaultBefore17',
  'defaultWiden18',
  'defaultRelax22',
] as const;

/**
 * The error of an unknown recipe name, listing the names (`assertRecipe` of src/lab/recipes.ts throws it
 * too): built from this list, so a command can check a name before it loads any detector.
 */
export function unknownRecipe(name: string): ConfigError {
  return new ConfigError(
    'unknown_detector',
    `unknown detector "${name}"; choose from ${RECIPE_NAMES.join(', ')}`,
  );
}

/** Checks a recipe name against `RECIPE_NAMES` alone (no detector loaded): `unknownRecipe` if it is none. */
export function assertRecipeName(name: string): void {
  if (!(RECIPE_NAMES as readonly string[]).includes(name)) throw unknownRecipe(name);
}

/**
 * The recipes a help text names: the default, its likelihood-mapped form, NAB's tuned stream, and each
 * single detector. The rest of `RECIPE_NAMES` are lab recipes measured in docs/evaluation.md's rounds:
 * every command still accepts them, and an unknown name lists them all.
 */
export const MAIN_RECIPE_NAMES = [
  'default',
  'defaultLikelihood',
  'nabStream',
  'isolationForest',
  'randomCutForest',
  'autoEts',
  'zms',
  'changePoint',
  'flatLine',
  'discord',
] as const;

/** The help text's list of recipes: the main ones and a pointer to the lab recipes. */
export const RECIPE_HELP = `${MAIN_RECIPE_NAMES.join(', ')}, or one of ${RECIPE_NAMES.length - MAIN_RECIPE_NAMES.length} lab recipes (docs/evaluation.md; an unknown name lists them all)`;

/**
 * Recipes for `tsad bench --locate` only (offline scorers that look ahead; `LOCATE_RECIPES` in
 * src/lab/locate.ts, checked against this list by test/cli/cli-units.test.ts).
 */
export const LOCATE_ONLY_NAMES = ['discordTwoSided', 'discordTwoSidedBroad', 'discordMultiScale'] as const;

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
