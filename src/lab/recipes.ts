import { ArtDetector } from '../detectors/art/detector.js';
import { ChangePointDetector } from '../detectors/changepoint/detector.js';
import { defaultDetector } from '../detectors/default.js';
import { DiscordDetector } from '../detectors/discord/detector.js';
import { FlatLineDetector } from '../detectors/flatline/detector.js';
import { EtsDetector, IsolationForest, RandomCutForest } from '../detectors/index.js';
import { NabStreamDetector } from '../detectors/nab-stream/detector.js';
import type { Detector } from '../detectors/types.js';
import { ZmsDetector } from '../detectors/zms.js';
import { ConfigError } from '../errors.js';
import { ALARM_PATH_RECIPES, BEFORE_12C } from './alarm-paths.js';
import { BEFORE44_RECIPES } from './before44.js';
import {
  blendDetector,
  defaultFlatChangeDetector,
  defaultFlatDetector,
  defaultFlatDiscordDetector,
  defaultOnlineFlatDetector,
  GatedShapeDetector,
  kindsDetector,
  maxCalFlatDetector,
  maxDetector,
  meanDefault,
  onlineCalibrated,
  onlineMaxDetector,
  PeriodicShapeDetector,
  shapeDefault7,
} from './candidates.js';
import { KINDS_RECIPES } from './candidates-kinds.js';
import { MT_RECIPES } from './candidates-mt.js';
import { COUNT17_RECIPES } from './count17.js';
import { DRIFT_RECIPES } from './level-drift.js';
import type { NabScoreMapping } from './nab-stream.js';
import { QUIET13_RECIPES } from './quiet13.js';
import { unknownRecipe } from './recipe-names.js';
import { RELAX22_RECIPES } from './relax22.js';
import { SEASONAL_RECIPES } from './seasonal-change.js';
import { TREES40_RECIPES } from './trees40.js';
import { WIDEN18_RECIPES } from './widen18.js';
import { ZeroDetector } from './zero.js';

/**
 * Round 8b of docs/evaluation.md: the gated discord's budget, the largest of 800 / 500 / 300 / 200 at
 * which `bench/throughput.ts` streams the candidate at 100 k points per CPU-second or more.
 */
export const SHAPE_8B_BUDGET = 200;

export interface RecipeOptions {
  readonly seed?: number;
  /**
   * The whole file's [min, max], which NAB's rules let every detector know (NAB's runner hands each
   * detector the file's inputMin/inputMax). Only the NAB corpus runner (`runNabFile`) fills it, and
   * only the `artNab` recipe reads it.
   */
  readonly range?: readonly [number, number];
}

/** A named recipe: how to build the detector and how its scores map to NAB's [0, 1]. */
export interface Recipe {
  readonly build: (o: RecipeOptions) => Detector;
  /** The score mapping the benchmarks apply to this recipe's scores (`NabScoreMapping`). */
  readonly mapping: NabScoreMapping;
  readonly description: string;
  /**
   * A second detector whose NAB score a partner mapping (`peakMax`, `peakMaxPeak`) combines with this
   * recipe's (round 27's composites). Only the NAB-score path builds it (`makePartner`); the detector's
   * alarms and every other command use `build` alone.
   */
  readonly partner?: (o: RecipeOptions) => Detector;
}

/**
 * Named detector recipes the benchmarks and the CLI can run: `default` (the default ensemble), each
 * single detector with its defaults, and the configurations designed for streaming NAB data. Each recipe
 * carries its own score mapping: `zms` and `zmsLikelihood` build the same detector but are different
 * recipes (`cdf` vs `likelihood`).
 */
export const RECIPES: Readonly<Record<string, Recipe>> = Object.freeze({
  default: {
    build: (o) => defaultDetector({ seed: o.seed ?? 0 }),
    mapping: 'onlinePeak',
    description:
      "defaultDetector() + onlinePeak mapping (its score calibrated again online, 2Φ(|z|)−1, kept on each excursion's rising front; round 16c)",
  },
  isolationForest: {
    build: (o) => new IsolationForest({ seed: o.seed ?? 0 }),
    mapping: 'cdf',
    description: 'IsolationForest',
  },
  randomCutForest: {
    build: (o) => new RandomCutForest({ seed: o.seed ?? 0 }),
    mapping: 'cdf',
    description: 'RandomCutForest',
  },
  zms: { build: (o) => new ZmsDetector({ seed: o.seed ?? 0 }), mapping: 'cdf', description: 'ZMS' },
  autoEts: {
    build: (o) => new EtsDetector({ seed: o.seed ?? 0, auto: true }),
    mapping: 'cdf',
    description: 'AutoETS',
  },
  zmsLikelihood: {
    build: (o) => new ZmsDetector({ seed: o.seed ?? 0 }),
    mapping: 'likelihood',
    description: 'ZMS + likelihood mapping',
  },
  rcfLikelihood: {
    build: (o) => new RandomCutForest({ seed: o.seed ?? 0 }),
    mapping: 'likelihood',
    description: 'RandomCutForest + likelihood mapping',
  },
  nabStream: { build: () => new NabStreamDetector(), mapping: 'identity', description: 'NabStreamDetector' },
  art: {
    build: () => new ArtDetector(),
    mapping: 'identity',
    description:
      "ArtDetector (ARTime's method; causal range: the training part's, widened, growing as values leave it)",
  },
  artClamp: {
    build: () => new ArtDetector({ rangeMode: 'clamp' }),
    mapping: 'identity',
    description: "ArtDetector, causal range clamping values outside it (round 16's art)",
  },
  artNab: {
    build: (o) => {
      if (!o.range) {
        throw new ConfigError(
          'bad_option',
          "the artNab recipe needs the file's [min, max], which only the NAB corpus runner provides (tsad bench, tsad nab run); use the art recipe elsewhere",
        );
      }
      return new ArtDetector({ range: [o.range[0], o.range[1]], rangeMode: 'clamp' });
    },
    mapping: 'identity',
    description: "ArtDetector with the file's min/max as its range (as NAB allows every detector)",
  },
  defaultLikelihood: {
    build: (o) => defaultDetector({ seed: o.seed ?? 0 }),
    mapping: 'likelihood',
    description: 'defaultDetector() + likelihood mapping',
  },
  etsLikelihood: {
    build: (o) => new EtsDetector({ seed: o.seed ?? 0, auto: true }),
    mapping: 'likelihood',
    description: 'AutoETS + likelihood mapping',
  },
  changePoint: {
    build: (o) => new ChangePointDetector({ seed: o.seed ?? 0 }),
    mapping: 'cdf',
    description: 'ChangePointDetector (robust CUSUM on seasonal residuals)',
  },
  flatLine: {
    build: (o) => new FlatLineDetector({ seed: o.seed ?? 0 }),
    mapping: 'cdf',
    description: 'FlatLineDetector (stuck values)',
  },
  discord: {
    build: (o) => new DiscordDetector({ seed: o.seed ?? 0 }),
    mapping: 'cdf',
    description: 'DiscordDetector (streaming left matrix-profile discord)',
  },
  kinds: {
    build: (o) => kindsDetector(o.seed ?? 0),
    mapping: 'cdf',
    description:
      'candidate: the mean default (before round 5) + flat-line + change-point + discord, max combiner',
  },
  defaultFlat: {
    build: (o) => defaultFlatDetector(o.seed ?? 0),
    mapping: 'cdf',
    description: 'candidate (round 4): the mean default + flat-line scoring whole runs, max combiner',
  },
  defaultFlatLikelihood: {
    build: (o) => defaultFlatDetector(o.seed ?? 0),
    mapping: 'likelihood',
    description: 'candidate `defaultFlat` + likelihood mapping',
  },
  defaultFlatChange: {
    build: (o) => defaultFlatChangeDetector(o.seed ?? 0),
    mapping: 'cdf',
    description: 'candidate: the mean default (before round 5) + flat-line + change-point, max combiner',
  },
  defaultFlatChangeLikelihood: {
    build: (o) => defaultFlatChangeDetector(o.seed ?? 0),
    mapping: 'likelihood',
    description: 'candidate `defaultFlatChange` + likelihood mapping',
  },
  kindsLikelihood: {
    build: (o) => kindsDetector(o.seed ?? 0),
    mapping: 'likelihood',
    description: 'candidate `kinds` + likelihood mapping',
  },
  maxFlat: {
    build: (o) => maxDetector(o.seed ?? 0),
    mapping: 'cdf',
    description: 'candidate: ETS + RCF + ZMS + flat-line, max of calibrated member scores',
  },
  maxFlatDiscord: {
    build: (o) => maxDetector(o.seed ?? 0, { discord: true }),
    mapping: 'cdf',
    description: 'candidate: ETS + RCF + ZMS + flat-line + discord, max of calibrated member scores',
  },
  maxFlatDiscordChange: {
    build: (o) => maxDetector(o.seed ?? 0, { discord: true, change: true }),
    mapping: 'cdf',
    description: 'candidate: ETS + RCF + ZMS + flat-line + discord + change-point, max combiner',
  },
  defaultFlatDiscord: {
    build: (o) => defaultFlatDiscordDetector(o.seed ?? 0),
    mapping: 'cdf',
    description: 'candidate: the mean default (before round 5) + flat-line + discord, max combiner',
  },
  maxFlatDiscordCal: {
    build: (o) => maxDetector(o.seed ?? 0, { discord: true, calibrate: true }),
    mapping: 'cdf',
    description: 'candidate: maxFlatDiscord with the ensemble calibrator on the maximum',
  },
  maxFlat5: {
    build: (o) => maxDetector(o.seed ?? 0, { almThreshold: 5 }),
    mapping: 'cdf',
    description: 'candidate: ETS + RCF + ZMS + flat-line, max of calibrated member scores, alarm threshold 5',
  },
  maxFlat5Likelihood: {
    build: (o) => maxDetector(o.seed ?? 0, { almThreshold: 5 }),
    mapping: 'likelihood',
    description: 'candidate `maxFlat5` + likelihood mapping',
  },
  maxCalFlat: {
    build: (o) => maxCalFlatDetector(o.seed ?? 0),
    mapping: 'cdf',
    description: 'candidate: max of ETS, RCF, ZMS calibrated again, then max with flat-line',
  },
  blend: {
    build: (o) => blendDetector(o.seed ?? 0),
    mapping: 'cdf',
    description: 'candidate: mean of defaultDetector() and maxFlatDiscord',
  },
  blendLikelihood: {
    build: (o) => blendDetector(o.seed ?? 0),
    mapping: 'likelihood',
    description: 'candidate `blend` + likelihood mapping',
  },
  maxShape: {
    build: (o) => maxDetector(o.seed ?? 0, { discord: true, zms: false, rcfDiff: true }),
    mapping: 'cdf',
    description: 'candidate: ETS + RCF on differences + flat-line + discord, max of calibrated scores',
  },
  onlineMax: {
    build: (o) => onlineMaxDetector(o.seed ?? 0),
    mapping: 'cdf',
    description: 'candidate: ETS + RCF + ZMS (online calibrators) + flat-line, max',
  },
  onlineMaxCal: {
    build: (o) => onlineMaxDetector(o.seed ?? 0, { combined: true }),
    mapping: 'cdf',
    description: 'candidate: onlineMax with the maximum calibrated again online',
  },
  onlineMaxDiscord: {
    build: (o) => onlineMaxDetector(o.seed ?? 0, { discord: true }),
    mapping: 'cdf',
    description: 'candidate: onlineMax + discord (online calibrator)',
  },
  onlineMaxDiscordCal: {
    build: (o) => onlineMaxDetector(o.seed ?? 0, { discord: true, combined: true }),
    mapping: 'cdf',
    description: 'candidate: onlineMaxDiscord with the maximum calibrated again online',
  },
  onlineMaxAllCal: {
    build: (o) => onlineMaxDetector(o.seed ?? 0, { discord: true, change: true, combined: true }),
    mapping: 'cdf',
    description: 'candidate: onlineMaxDiscord + change-point, the maximum calibrated again online',
  },
  maxFlat45: {
    build: (o) => maxDetector(o.seed ?? 0, { almThreshold: 4.5 }),
    mapping: 'cdf',
    description: 'candidate: maxFlat with alarm threshold 4.5 (chosen on synthetic seeds 1–3)',
  },
  maxFlat45Likelihood: {
    build: (o) => maxDetector(o.seed ?? 0, { almThreshold: 4.5 }),
    mapping: 'likelihood',
    description: 'candidate `maxFlat45` + likelihood mapping',
  },
  onlineMax45: {
    build: (o) => onlineMaxDetector(o.seed ?? 0, { almThreshold: 4.5 }),
    mapping: 'cdf',
    description: 'candidate: onlineMax with alarm threshold 4.5 (chosen on synthetic seeds 1–3)',
  },
  onlineMax45Likelihood: {
    build: (o) => onlineMaxDetector(o.seed ?? 0, { almThreshold: 4.5 }),
    mapping: 'likelihood',
    description: 'candidate `onlineMax45` + likelihood mapping',
  },
  onlineMax45Censor: {
    build: (o) => onlineMaxDetector(o.seed ?? 0, { almThreshold: 4.5, censor: 4.5 }),
    mapping: 'cdf',
    description: 'candidate: onlineMax45 whose calibrators do not learn scores at the alarm level',
  },
  defaultAdapt300: {
    build: (o) =>
      defaultDetector({ seed: o.seed ?? 0, zms: { levelHalfLife: 300 }, ...BEFORE_12C, seasonal: false }),
    mapping: 'online',
    description:
      "candidate (round 6): defaultDetector() with ZMS's level mean adapting (half-life 300 points)",
  },
  defaultAdaptVar300: {
    build: (o) =>
      defaultDetector({
        seed: o.seed ?? 0,
        zms: { levelHalfLife: 300, levelAdaptScale: true },
        ...BEFORE_12C,
        seasonal: false,
      }),
    mapping: 'online',
    description:
      "candidate (round 6): defaultDetector() with ZMS's level mean and variance adapting (half-life 300 points)",
  },
  defaultCumVar: {
    build: (o) =>
      defaultDetector({
        seed: o.seed ?? 0,
        zms: { levelCumulative: true, levelAdaptScale: true },
        ...BEFORE_12C,
        seasonal: false,
      }),
    mapping: 'online',
    description:
      "candidate (round 6): defaultDetector() with ZMS's level mean and variance over everything seen",
  },
  shapePeriodic: {
    build: (o) => new PeriodicShapeDetector({ seed: o.seed ?? 0 }),
    mapping: 'online',
    description:
      'candidate (round 8): the default (forest 10 × 512) and a discord (budget 800) that scores only when the training part repeats a shape (lab only)',
  },
  shapePeriodic20: {
    build: (o) => new PeriodicShapeDetector({ seed: o.seed ?? 0, base: {} }),
    mapping: 'online',
    description:
      "round 8: shapePeriodic with the default's forest (20 × 512): too slow for the default, a diagnosis row",
  },
  shapePeriodicL35: {
    build: (o) => new PeriodicShapeDetector({ seed: o.seed ?? 0, level: 3.5 }),
    mapping: 'online',
    description:
      'round 8, second look (after the decision): shapePeriodic with the discord alarming at level 3.5',
  },
  shapePeriodic20L35: {
    build: (o) => new PeriodicShapeDetector({ seed: o.seed ?? 0, base: {}, level: 3.5 }),
    mapping: 'online',
    description:
      "round 8, second look (after the decision): the gated discord at level 3.5 beside the default's own 20 × 512 forest",
  },
  shapePeriodic20L4: {
    build: (o) =>
      new PeriodicShapeDetector({ seed: o.seed ?? 0, base: {}, level: 4, paaBudget: SHAPE_8B_BUDGET }),
    mapping: 'online',
    description:
      "candidate (round 8b): the default (20 × 512 forest) and round 8's gated discord alarming at level 4, its budget the largest that keeps the speed bar",
  },
  defaultForest10: {
    build: (o) =>
      defaultDetector({ seed: o.seed ?? 0, rcf: { nEstimators: 10 }, ...BEFORE_12C, seasonal: false }),
    mapping: 'online',
    description:
      "round 8: defaultDetector() with shapePeriodic's forest (10 trees × 512 samples), no discord",
  },
  shapeDefault: {
    build: (o) => shapeDefault7(o.seed ?? 0),
    mapping: 'online',
    description:
      'candidate (round 7): defaultDetector() (forest 10×256) + DiscordDetector (budget 800), max, online mapping',
  },
  shapeGated: {
    build: (o) => new GatedShapeDetector({ seed: o.seed ?? 0, gate: 1 }),
    mapping: 'online',
    description:
      'candidate (round 7): shapeDefault with the discord counted only where the default scores ≥ 1 (lab only)',
  },
  shapeLevel4: {
    build: (o) => new GatedShapeDetector({ seed: o.seed ?? 0, gate: 0, level: 4 }),
    mapping: 'online',
    description:
      'candidate (round 7): shapeDefault with the discord alarming at calibrated level 4 (lab only)',
  },
  defaultSmallForest: {
    build: (o) =>
      defaultDetector({
        seed: o.seed ?? 0,
        rcf: { nEstimators: 10, maxNSamples: 256 },
        ...BEFORE_12C,
        seasonal: false,
      }),
    mapping: 'online',
    description:
      'round 7: defaultDetector() with the forest of shapeDefault (10 trees × 256 samples), no discord',
  },
  defaultOnline: {
    build: (o) => defaultDetector({ seed: o.seed ?? 0 }),
    mapping: 'online',
    description:
      "defaultDetector() + online mapping (2Φ(|z|)−1 on every row): `default`'s mapping from round 4 to round 16c",
  },
  defaultFlatOnline: {
    build: (o) => defaultFlatDetector(o.seed ?? 0),
    mapping: 'online',
    description: 'candidate `defaultFlat` + online mapping',
  },
  zmsOnline: {
    build: (o) => new ZmsDetector({ seed: o.seed ?? 0 }),
    mapping: 'online',
    description: 'ZMS + online mapping',
  },
  defaultOnlineCal: {
    build: (o) => onlineCalibrated(meanDefault({ seed: o.seed ?? 0 }), o.seed ?? 0),
    mapping: 'cdf',
    description:
      'the default before round 5 (mean of ETS, RCF, ZMS, no flat-line member) calibrated again online, 2Φ(|s|)−1',
  },
  defaultFlatOnlineCal: {
    build: (o) => onlineCalibrated(defaultFlatDetector(o.seed ?? 0), o.seed ?? 0),
    mapping: 'cdf',
    description: 'candidate NAB mode: defaultFlat calibrated again online, 2Φ(|s|)−1',
  },
  defaultOnlineFlat: {
    build: (o) => defaultOnlineFlatDetector(o.seed ?? 0),
    mapping: 'cdf',
    description: 'candidate: mean of ETS, RCF, ZMS (online calibrators), max with flat-line',
  },
  defaultOnlineFlatLikelihood: {
    build: (o) => defaultOnlineFlatDetector(o.seed ?? 0),
    mapping: 'likelihood',
    description: 'candidate `defaultOnlineFlat` + likelihood mapping',
  },
  floorCdf: {
    build: () => new ZeroDetector(),
    mapping: 'cdf',
    description: 'floor: zeros through 2Φ(|s|)−1',
  },
  floorLikelihood: {
    build: () => new ZeroDetector(),
    mapping: 'likelihood',
    description: 'floor: zeros through the likelihood mapping',
  },
  floorIdentity: { build: () => new ZeroDetector(), mapping: 'identity', description: 'floor: zeros' },
  floorOnline: {
    build: () => new ZeroDetector(),
    mapping: 'online',
    description: 'floor: zeros through the online-calibrated 2Φ(|z|)−1',
  },
  defaultPeak: {
    build: (o) => defaultDetector({ seed: o.seed ?? 0 }),
    mapping: 'onlinePeak',
    description: 'the same as `default` since round 16c (round 13d named it)',
  },
  defaultAlarmMap: {
    build: (o) => defaultDetector({ seed: o.seed ?? 0 }),
    mapping: 'onlineAlarm',
    description:
      'round 13d: defaultDetector() + onlineAlarm mapping (online, kept where its alarm rule fires)',
  },
  floorOnlinePeak: {
    build: () => new ZeroDetector(),
    mapping: 'onlinePeak',
    description: 'floor: zeros through the onlinePeak mapping',
  },
  floorOnlineAlarm: {
    build: () => new ZeroDetector(),
    mapping: 'onlineAlarm',
    description: 'floor: zeros through the onlineAlarm mapping',
  },
  peakMaxArt: {
    build: (o) => defaultDetector({ seed: o.seed ?? 0 }),
    partner: () => new ArtDetector(),
    mapping: 'peakMax',
    description:
      "composite (round 27): defaultDetector()'s alarms; NAB score the larger of its onlinePeak score and the art recipe's",
  },
  peakMaxArtPeak: {
    build: (o) => defaultDetector({ seed: o.seed ?? 0 }),
    partner: () => new ArtDetector(),
    mapping: 'peakMaxPeak',
    description:
      "composite (round 27): defaultDetector()'s alarms; NAB score the larger of its onlinePeak score and the art recipe's kept on its rising fronts",
  },
  floorPeakMax: {
    build: () => new ZeroDetector(),
    mapping: 'peakMax',
    description: 'floor: zeros through the peakMax mapping (no partner: zeros)',
  },
  floorPeakMaxPeak: {
    build: () => new ZeroDetector(),
    mapping: 'peakMaxPeak',
    description: 'floor: zeros through the peakMaxPeak mapping (no partner: zeros)',
  },
  ...MT_RECIPES,
  ...KINDS_RECIPES,
  ...SEASONAL_RECIPES,
  ...ALARM_PATH_RECIPES,
  ...DRIFT_RECIPES,
  ...QUIET13_RECIPES,
  ...COUNT17_RECIPES,
  ...WIDEN18_RECIPES,
  ...RELAX22_RECIPES,
  ...TREES40_RECIPES,
  ...BEFORE44_RECIPES,
});

/** The floor recipe of each mapping: the same post-processing fed a detector that always outputs 0. */
export const FLOOR_RECIPE: Readonly<Record<NabScoreMapping, string>> = Object.freeze({
  cdf: 'floorCdf',
  online: 'floorOnline',
  onlinePeak: 'floorOnlinePeak',
  onlineAlarm: 'floorOnlineAlarm',
  peakMax: 'floorPeakMax',
  peakMaxPeak: 'floorPeakMaxPeak',
  likelihood: 'floorLikelihood',
  identity: 'floorIdentity',
});

/** Recipe builders by name (kept for callers of the older table). */
export const DETECTOR_RECIPES: Record<string, (o: RecipeOptions) => Detector> = Object.fromEntries(
  Object.entries(RECIPES).map(([k, r]) => [k, r.build]),
);

/** How each recipe's scores map to NAB's [0, 1] (from `RECIPES`). */
export const NAB_MAPPING: Record<string, NabScoreMapping> = Object.fromEntries(
  Object.entries(RECIPES).map(([k, r]) => [k, r.mapping]),
);

/** The score mapping of a recipe (an unknown name is an error that lists the known ones). */
export function recipeMapping(name: string): NabScoreMapping {
  assertRecipe(name);
  return RECIPES[name].mapping;
}

/**
 * Throws `ConfigError` `unknown_detector`, listing the recipes, unless `name` is one (own keys only): the
 * one check of a recipe name (tsad train, bench, nab run, the service's training worker).
 */
export function assertRecipe(name: string): void {
  // the message lists RECIPE_NAMES, the same names as RECIPES (test/cli/cli-units.test.ts)
  if (!isRecipe(name)) throw unknownRecipe(name);
}

/** Whether `name` is a recipe (own keys only: `toString` or `constructor` are not recipes). */
export function isRecipe(name: string): boolean {
  return Object.hasOwn(RECIPES, name);
}

/** Builds a recipe's detector; an unknown name is an error that lists the known ones. */
export function makeDetector(name: string, o: RecipeOptions = {}): Detector {
  assertRecipe(name);
  return RECIPES[name].build(o);
}

/** The recipe's partner detector for its NAB score (`Recipe.partner`), or undefined when it has none. */
export function makePartner(name: string, o: RecipeOptions = {}): Detector | undefined {
  assertRecipe(name);
  return RECIPES[name].partner?.(o);
}
