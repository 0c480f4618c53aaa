/**
 * The recipe names and the check of a name against them, without any detector: the command line imports
 * them at start (help texts, a name checked before anything loads), src/lab/recipes.ts throws the same
 * error. In the lab, below the command line (src/cli/recipes.ts re-exports them).
 */
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
