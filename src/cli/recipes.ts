import { RECIPE_NAMES } from '../lab/recipe-names.js';

// the names, and the check of a name against them, live in the lab (below the command line, which
// imports them from there); re-exported for the commands and their tests
export { assertRecipeName, RECIPE_NAMES, unknownRecipe } from '../lab/recipe-names.js';

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
