/**
 * `defaultDetector()`: tsad's univariate default. Its parts, combined by the **maximum** of their scores,
 * with the alarm rule `AggregateAlarms(3.0, 2 alarms in 60 min or the last 8 points, 120 min suppression)`
 * plus a lone alarm wherever a raw alarm reaches 4.5 (rounds 12c and 17, below; see docs/ensemble.md and
 * docs/evaluation.md for the measurements behind each choice):
 *
 * - the **mean of three members** (Merlion's `DefaultDetector` recipe, with members that look at three
 *   different things instead of three views of the first difference):
 *   1. `EtsDetector`, AutoETS over the additive-error candidates, scored one step ahead with its state
 *      updated by every observation (the **jump** view: forecast residual z-scores). Its raw residual
 *      z-scores go through a calibrator owned by the ensemble (`calibrateMembers`), so that they are on
 *      the same scale as the other members' before the mean (uncalibrated, one-step ETS z-scores of
 *      10–25 at every sudden jump dominated the mean);
 *   2. `RandomCutForest` on **raw** 5-value shingles (the **shape/novelty** view: recent trajectories
 *      unlike anything in the forest's sample, levels included), 20 trees × 512 samples, online
 *      updates, calibrated (`maxScore` 10). Merlion's forest works on differences (it then sees jumps
 *      only); the AWS library it wraps is normally fed raw shingles. 512 samples (Merlion's) set what
 *      the forest knows as normal; the tree count only averages out noise, and 20 trees gave the same
 *      results as 100 over seeds 0–5 on machine temperature and on the NAB corpus, at a fifth of the cost;
 *   3. `ZmsDetector` with no lags (the **level** view: the value's z-score against the training mean
 *      and standard deviation), calibrated (`maxScore` 1000), on the value less **one daily harmonic**
 *      (`dailyHarmonics: 1`, round 44 of docs/evaluation.md, the default since harm45): a regression on
 *      the UTC time of day fitted on the training part and updated by recursive least squares with every
 *      point after it is scored, so a daily trough the training part only half showed is expected from the
 *      curve's shape (on fresh seeds 2701–2703: 113/120 windows against 107, the same 15/24 anomaly-free
 *      files quiet, no kind lower). `zms: { dailyHarmonics: undefined }` builds the default before it;
 *
 *   members not thresholded, mean rule (absolute scores, median-of-signs), no calibrator;
 * - `FlatLineDetector` in **onset** mode (`onsetPoints: 2`): the **stuck-value** view, which none of the
 *   three sees (a stall is quiet to a forecaster and inside the level range). It scores 3–6 on the first
 *   two points after a run of repeated values beats the series' own history of runs (and twice what
 *   chance explains), and 0 everywhere else, so in the maximum it adds one alarm per stall and leaves
 *   every other score of the mean untouched (a flat-line member that kept scoring for the whole run
 *   raised long stretches of top scores on NAB's idle or first-ever outages).
 *
 * - `SeasonalChangeDetector` with `floor: 3`: the **changed-cycle** view (a frequency or seasonality
 *   change inside the normal range, which the mean averages away): the median over a period of a
 *   seasonal difference of lag-P/4 differences against its training level, off without a checked period
 *   of at least 24 points and two whole periods of training data; below the alarm level it scores 0, so
 *   in the maximum it only adds alarms (round 10c of docs/evaluation.md).
 *
 * - two **lone-alarm paths** (round 12c of docs/evaluation.md): inside the mean, where the ETS member's
 *   calibrated |score| reaches `DEFAULT_ETS_ALONE` (4.5) the mean's magnitude is at least
 *   3 · |ETS| / 4.5 (a jump only the forecast sees is no longer divided by three); and in the alarm rule
 *   a raw alarm of `DEFAULT_STRONG_THRESHOLD` or more fires alone (`strongThreshold`), where the
 *   two-exceedance rule would wait for a second one. Levels chosen by cross-validation over tuning seeds
 *   (5.5 in round 12c, 4.5 since round 17).
 *
 * - the rule **counts raw alarms over the last `DEFAULT_COUNT_POINTS` (8) points** as well as its 60
 *   minutes (`countPoints`, round 17 of docs/evaluation.md): at steps coarser than 7.5 minutes two raw
 *   alarms a few points apart count together (at a 30-minute step the hour holds two earlier points); the
 *   number needed and its relaxed form stay Merlion's, and no score changes. On fresh seeds 1801–1803
 *   round 17's rule (this and the strong level 4.5, chosen together) found 106/120 windows against 104
 *   with the same 19/24 anomaly-free files quiet, NAB and machine temperature unchanged. `threshold: { strongThreshold: STRONG_THRESHOLD_12C, countPoints: undefined }`
 *   builds the default before round 17;
 *   `etsAlone: false, threshold: { strongThreshold: undefined, countPoints: undefined }`
 *   the default before round 12c.
 *
 * - round 18b's widening of the alarm levels until a whole week has been seen (`AggregateAlarms.widen`)
 *   met its pre-registered rule but is not in the default: on NAB the own alarm rule found 87/116
 *   windows against 92 (docs/evaluation.md, round 18b, the coordinator's decision); lab recipe
 *   `defaultWiden18`.
 *
 * - `LevelDriftDetector` (the **slow-drift** view, round 19a of docs/evaluation.md): Page's CUSUM on the
 *   residual against the training part's seasonal profile, as the last part of the maximum, with alarm
 *   episodes and a decision level of 4 × the training maximum (`DEFAULT_DRIFT`). It is on only where the
 *   training part covers 7 whole checked periods (a daily cycle: a week of training), off (score 0,
 *   nothing stored per point) elsewhere, and below the alarm level it scores 0, so it only adds alarms. On
 *   fresh seeds 2201–2203 it found 109/120 windows against 107 with the same 20/24 quiet files (round
 *   18a's held-out seeds 2001–2003 had shown no gain); NAB standard 59.42 against 59.65, its own alarm
 *   rule's 92/116 windows unchanged. `drift: false` builds the default before round 19a.
 *
 * - the seasonal-change member's **late arming** (round 21a of docs/evaluation.md, `DEFAULT_SEASONAL_LATE`):
 *   where the training part shows no period, the member looks for one in the stream and arms once the
 *   stream holds three whole periods (a daily cycle at 5-minute steps arms after about three days), and a
 *   member armed late reports in alarm episodes (2 points kept per 576), so a changed stretch costs two
 *   alarms, not its whole length. On fresh seeds 2301–2303 it found 108/120 windows against 105
 *   (frequency changes 11/15 against 8) with the same 16/24 quiet files; NAB standard 60.41 against
 *   59.42, its own alarm rule's windows 94/116 against 92. `seasonal: { late: undefined }` builds the
 *   default before round 21a; `seasonal: { late: {} }` is round 12a's arming without episodes.
 *
 * On held-out synthetic corpora the flat-line member finds every flat-line (30/30, the mean alone 7/30)
 * with the same anomaly-free files quiet; on NAB and machine temperature it scores as the mean alone or
 * better (docs/evaluation.md, round 5). The seasonal-change member finds 10 of 15 frequency changes of
 * fresh seeds 901–903 against 2, with no kind lower and the same quiet files (round 10c). Every part's
 * settings can be overridden (`ets`, `rcf`, `zms`, `flatLine`, `seasonal`); `seasonal: false` builds
 * the default before round 10c (with `drift: false`), and `flatLine: false, seasonal: false, drift: false` the
 * three-member mean alone (the default before round 5); model files of both still load with `loadModel` and score as they did. Merlion's own members: `defaultDetector({ rcf: {
 * nEstimators: 100, transforms: [{ type: 'difference' }, { type: 'shingle', size: 5 }] }, zms: { nLags:
 * 3 }, ets: { autoOptions: { additiveOnly: false } } })` (the ensemble still calibrates ETS).
 */

import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { jsonForMessage } from '../series/series.js';
import { didYouMean, parseConfig } from './config.js';
import { Ensemble } from './ensemble.js';
import type { EnsembleOptions } from './ensemble-config.js';
import { EtsDetector, type EtsInput } from './ets/detector.js';
import { FlatLineDetector, type FlatLineInput } from './flatline/detector.js';
import { LevelDriftDetector, type LevelDriftInput } from './level-drift/detector.js';
import { type AggregateAlarmsConfig, aggregateAlarmsConfigSchema } from './post/aggregate-alarms.js';
import { RandomCutForest, type RandomCutForestInput } from './rcf/detector.js';
import { SeasonalChangeDetector, type SeasonalChangeInput } from './seasonal-change/detector.js';
import type { Detector } from './types.js';
import { ZmsDetector, type ZmsInput } from './zms.js';

export interface DefaultDetectorInput {
  /** Seed of every random choice (the forest). Default 0. */
  seed?: number;
  /** Overrides of the ensemble's alarm rule (`AggregateAlarms`; defaults 3.0 / 2 / 60 / 120, `strongThreshold` 4.5 and `countPoints` 8 since round 17; before it `strongThreshold` 5.5 from round 12c and no `countPoints`; `undefined` for either: none). */
  threshold?: Partial<Omit<AggregateAlarmsConfig, 'type'>>;
  /** Overrides of the ETS member's config. */
  ets?: EtsInput;
  /** Overrides of the Random Cut Forest member's config. */
  rcf?: RandomCutForestInput;
  /** Overrides of the ZMS member's config (`{ dailyHarmonics: undefined }`: the member before round 44, harm45). */
  zms?: ZmsInput;
  /**
   * Overrides of the flat-line member's config (default `{ onsetPoints: 2 }`), or `false` to leave it
   * out (with `seasonal: false` too: the three-member mean alone, the default before round 5).
   */
  flatLine?: FlatLineInput | false;
  /**
   * Overrides of the seasonal-change member's config (default `{ floor: 3, late: DEFAULT_SEASONAL_LATE }`,
   * each key replacing the default's whole: `late: undefined` leaves late arming out, `late: { … }` replaces
   * the episodes too), or `false` to leave the member out (the default detector before round 10c of
   * docs/evaluation.md).
   */
  seasonal?: SeasonalChangeInput | false;
  /**
   * The ETS member's calibrated |score| at which it alone reaches the alarm level inside the mean (the
   * mean's `alone` path, round 11 of docs/evaluation.md); default `DEFAULT_ETS_ALONE` (4.5, round 12c),
   * `false`: the plain mean (the default before round 12c).
   */
  etsAlone?: number | false;
  /**
   * The level-drift member (`LevelDriftDetector`, round 12b of docs/evaluation.md), the last part of the
   * maximum. Absent: `DEFAULT_DRIFT` (round 19a); an object: the member with these overrides of its own
   * defaults (`{}`: round 12b's member, 0 below the alarm level); `false`: no such part (the default
   * before round 19a, bit for bit).
   */
  drift?: LevelDriftInput | false;
}

/**
 * Round 44 of docs/evaluation.md (built in harm45): the ZMS member's number of daily harmonics
 * (`ZmsDetector`'s `dailyHarmonics`).
 */
const DEFAULT_DAILY_HARMONICS = 1;

/** The flat-line member's onset length: the least the default alarm rule needs (2 raw alarms in 60 min). */
export const DEFAULT_FLAT_LINE_ONSET_POINTS = 2;

/** The seasonal-change member's floor: it speaks only at the alarm level (below it, 0). */
export const DEFAULT_SEASONAL_FLOOR = 3;

/**
 * Round 21a of docs/evaluation.md: the seasonal-change member's late arming in the default. Where the
 * training part shows no period, the member looks for one in the stream (round 12a's arming) and, once
 * armed, reports in alarm episodes: a score at the alarm level opens an episode of 576 scored points of
 * which only the first 2 keep their score. A member on from training is unchanged. `seasonal: { late:
 * undefined }` builds the default before round 21a.
 */
export const DEFAULT_SEASONAL_LATE = Object.freeze({ refractory: 576, burst: 2 });

/**
 * A raw alarm of the default at or above this |score| fires alone (`AggregateAlarms.strongThreshold`),
 * beside the two-exceedance rule of `DEFAULT_ALARM_RULE`: 4.5 since round 17 of docs/evaluation.md (5.5
 * from round 12c to round 17, `STRONG_THRESHOLD_12C`).
 */
export const DEFAULT_STRONG_THRESHOLD = 4.5;

/** Round 12c's strong level (the default's from round 12c to round 17). */
export const STRONG_THRESHOLD_12C = 5.5;

/**
 * Round 17 of docs/evaluation.md: the default's alarm rule counts raw alarms over the last 60 minutes or
 * the last this many earlier points, whichever reaches further back (`AggregateAlarms.countPoints`).
 */
export const DEFAULT_COUNT_POINTS = 8;

/**
 * Round 19a of docs/evaluation.md: the level-drift member's settings in the default (round 18a's
 * `DRIFT_18A`, chosen again by leave-one-seed-group-out cross-validation over ten tuning groups): alarm
 * episodes of 672 scored points in which only the first 2 keep their score, and a decision level of 4 ×
 * the largest sum the training part reaches. The member is on only where the training part covers 7 whole
 * checked periods (its `minPeriods`), off (score 0) everywhere else.
 */
export const DEFAULT_DRIFT = Object.freeze({ refractory: 672, burst: 2, ratio: 4 });

/**
 * Round 12c of docs/evaluation.md: the ETS member's calibrated |score| at which it alone reaches the
 * alarm level inside the mean (`etsAlone`).
 */
export const DEFAULT_ETS_ALONE = 4.5;

/**
 * The default detector's two-exceedance alarm rule (Merlion's); the default adds `strongThreshold:
 * DEFAULT_STRONG_THRESHOLD` (round 12c) and `countPoints: DEFAULT_COUNT_POINTS` (round 17) to it.
 * Lab recipes that spread it keep the rule without them.
 */
export const DEFAULT_ALARM_RULE = {
  type: 'aggregateAlarms',
  almThreshold: 3,
  absScore: true,
  minAlmInWindow: 2,
  almWindowMinutes: 60,
  almSuppressMinutes: 120,
} as const;

/**
 * @internal The alarm rule `defaultDetector()` builds before its `threshold` overrides: `DEFAULT_ALARM_RULE`
 * with `strongThreshold: DEFAULT_STRONG_THRESHOLD` (round 12c) and `countPoints: DEFAULT_COUNT_POINTS`
 * (round 17). The one definition: bench/ scripts replay this rule over cached scores.
 */
export const DEFAULT_DETECTOR_RULE = Object.freeze({
  ...DEFAULT_ALARM_RULE,
  strongThreshold: DEFAULT_STRONG_THRESHOLD,
  countPoints: DEFAULT_COUNT_POINTS,
} as const);

/** The keys `defaultDetector` reads; any other is a typo (refused, as every detector's schema does). */
const DEFAULT_INPUT_KEYS: readonly (keyof DefaultDetectorInput)[] = [
  'seed',
  'threshold',
  'ets',
  'rcf',
  'zms',
  'flatLine',
  'seasonal',
  'etsAlone',
  'drift',
];

/** The alarm-rule fields `threshold` may override. */
const THRESHOLD_KEYS = Object.keys(aggregateAlarmsConfigSchema.shape).filter((k) => k !== 'type');

/**
 * The message of a strict object's own issue (below): `notObject` when the value is not an object,
 * `unknown(key)` for its first unknown key; other issues keep zod's message.
 */
function strictIssue(
  iss: { code: string; input?: unknown; keys?: readonly string[] },
  notObject: string,
  unknown: (key: string) => string,
): string | undefined {
  if (iss.code === 'invalid_type') return `${notObject}, got ${jsonForMessage(iss.input)}`;
  if (iss.code === 'unrecognized_keys' && iss.keys?.length) return unknown(iss.keys[0]);
  return undefined;
}

/**
 * The top level of `defaultDetector`'s input, a strict object: only known keys, and a `threshold` that
 * is a strict object of the alarm rule's fields. The values themselves are checked by the member or the
 * alarm rule they reach (so a bad field is named as the user wrote it, not as the inner part it would
 * reach first); an unknown key names the closest known one.
 */
const defaultInputSchema = z.strictObject(
  {
    ...Object.fromEntries(DEFAULT_INPUT_KEYS.map((k) => [k, z.unknown().optional()])),
    threshold: z
      .strictObject(Object.fromEntries(THRESHOLD_KEYS.map((k) => [k, z.unknown().optional()])), {
        error: (iss) =>
          strictIssue(
            iss,
            `defaultDetector: threshold must be an object of alarm-rule overrides such as { almThreshold: 4 } (fields ${THRESHOLD_KEYS.join(', ')})`,
            (key) =>
              `defaultDetector: unknown threshold field "${key}"${didYouMean(key, THRESHOLD_KEYS)}; the fields are ${THRESHOLD_KEYS.join(', ')}`,
          ),
      })
      .optional(),
  },
  {
    error: (iss) =>
      strictIssue(
        iss,
        'defaultDetector: the config must be an object of overrides such as { seed: 1 } (or nothing, for the defaults)',
        (key) =>
          `defaultDetector: unknown config key "${key}"${didYouMean(key, DEFAULT_INPUT_KEYS)}; the keys are ${DEFAULT_INPUT_KEYS.join(', ')}`,
      ),
  },
);

/**
 * `defaultDetector`'s input checked by `defaultInputSchema` before anything is built (an unknown
 * top-level key is reported before a bad `threshold`), then `threshold`'s values by the alarm rule's
 * own schema, merged over the default rule.
 */
function checkDefaultInput(cfg: unknown): DefaultDetectorInput {
  if (cfg === undefined) return {};
  const r = defaultInputSchema.safeParse(cfg);
  if (!r.success) {
    const issues = r.error.issues;
    const iss = issues.find((i) => i.code === 'unrecognized_keys' && i.path.length === 0) ?? issues[0];
    throw new ConfigError('bad_config', iss.message);
  }
  const th = (cfg as DefaultDetectorInput).threshold;
  if (th !== undefined) {
    parseConfig(aggregateAlarmsConfigSchema, { ...DEFAULT_ALARM_RULE, ...th }, 'defaultDetector: threshold');
  }
  return cfg as DefaultDetectorInput;
}

/**
 * A fresh, untrained default detector: an `Ensemble` of [the mean of ETS, RandomCutForest and ZMS (the ETS
 * member alone reaching the alarm level from `etsAlone`), the flat-line member, the seasonal-change member,
 * and the level-drift member (`DEFAULT_DRIFT`, or the `drift` given)] by their maximum (any of the last
 * three left out with `false`; the mean alone when all three are), under
 * `DEFAULT_ALARM_RULE` with `strongThreshold: DEFAULT_STRONG_THRESHOLD` and `countPoints:
 * DEFAULT_COUNT_POINTS`; its model file loads with `loadModel`.
 */
export function defaultDetector(input: DefaultDetectorInput = {}, opts: EnsembleOptions = {}): Ensemble {
  const cfg = checkDefaultInput(input);
  const seed = cfg.seed ?? 0;
  const members = [
    new EtsDetector({
      auto: true,
      autoOptions: { additiveOnly: true },
      mode: 'stream',
      enableThreshold: false,
      seed,
      ...cfg.ets,
    }),
    new RandomCutForest({
      nEstimators: 20,
      maxNSamples: 512,
      onlineUpdates: true,
      transforms: [{ type: 'shingle', size: 5 }],
      enableCalibrator: true,
      enableThreshold: false,
      seed,
      ...cfg.rcf,
    }),
    new ZmsDetector({
      nLags: 0,
      enableCalibrator: true,
      enableThreshold: false,
      dailyHarmonics: DEFAULT_DAILY_HARMONICS,
      seed,
      ...cfg.zms,
    }),
  ];
  const threshold = { ...DEFAULT_DETECTOR_RULE, ...cfg.threshold };
  const { almThreshold: alm, strongThreshold: strong } = threshold;
  if (typeof alm === 'number' && typeof strong === 'number' && strong <= alm) {
    // at or below the alarm level every raw alarm would fire alone: the two-exceedance rule would be
    // gone without a word (e.g. an almThreshold raised above the default strongThreshold of 4.5)
    throw new ConfigError(
      'bad_config',
      `threshold.strongThreshold (${strong}${cfg.threshold?.strongThreshold === undefined ? ', the default' : ''}) must be above threshold.almThreshold (${alm}), else every raw alarm fires alone: raise strongThreshold, set it to undefined for the two-exceedance rule alone, or set minAlmInWindow: 1 for single alarms`,
    );
  }
  const ea = cfg.etsAlone === undefined ? DEFAULT_ETS_ALONE : cfg.etsAlone;
  if (ea !== false && !(typeof ea === 'number' && ea > 0 && Number.isFinite(ea))) {
    throw new ConfigError(
      'bad_config',
      `etsAlone must be a finite number > 0 (the ETS member's calibrated |score| at which it alone reaches the alarm level, default ${DEFAULT_ETS_ALONE}), got ${String(ea)}; use false for the plain mean`,
    );
  }
  const mean = {
    members,
    combiner: {
      type: 'mean' as const,
      absScore: true,
      ...(ea === false ? {} : { alone: { at: [ea, null, null], level: threshold.almThreshold ?? 3 } }),
    },
    calibrateMembers: [true, false, false],
    enableCalibrator: false,
    seed,
  };
  const parts: Detector[] = [];
  if (cfg.flatLine !== false) {
    parts.push(
      new FlatLineDetector({
        onsetPoints: DEFAULT_FLAT_LINE_ONSET_POINTS,
        enableThreshold: false,
        seed,
        ...cfg.flatLine,
      }),
    );
  }
  if (cfg.seasonal !== false) {
    parts.push(
      new SeasonalChangeDetector({
        floor: DEFAULT_SEASONAL_FLOOR,
        late: { ...DEFAULT_SEASONAL_LATE },
        enableThreshold: false,
        seed,
        ...cfg.seasonal,
      }),
    );
  }
  if (cfg.drift === undefined) {
    parts.push(new LevelDriftDetector({ enableThreshold: false, seed, ...DEFAULT_DRIFT }));
  } else if (cfg.drift !== null && cfg.drift !== false) {
    parts.push(new LevelDriftDetector({ enableThreshold: false, seed, ...cfg.drift }));
  }
  if (parts.length === 0) return new Ensemble({ ...mean, threshold }, opts);
  return new Ensemble(
    {
      members: [new Ensemble({ ...mean, enableThreshold: false }, opts), ...parts],
      combiner: { type: 'max', absScore: true },
      enableCalibrator: false,
      threshold,
      seed,
    },
    opts,
  );
}
