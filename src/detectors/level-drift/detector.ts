/**
 * `LevelDriftDetector`: a slow level drift inside the daily range, as a one-sided CUSUM pair on the
 * residual against a seasonal profile learnt in training, calibrated by the same sums over the training
 * part (core.ts; method in docs/detectors-quality.md, measured in docs/evaluation.md round 12b). Online:
 * every scored point moves the sums; the profile stays the training one, the level re-anchors after a
 * change has been reported.
 *
 * The score is in units of the alarm level: 3 when a sum reaches its decision level, no calibrator.
 * With `floor: 3` (the default) every score below the alarm level is 0, so in a maximum the member only
 * ever adds alarms. Off (0 everywhere) without a checked period of at least `minPeriodPoints` points and
 * `minPeriods` whole periods of training data on a regular grid (unless `withoutPeriod`).
 */
import { z } from 'zod';
import { baseConfigShape } from '../base-config.js';
import { checkSafeValue, checkSafeValues } from '../input.js';
import { jsonAny, jsonFloat } from '../json.js';
import { defineDetector, loadAs, type RowModel, SpecDetector, specLoader } from '../spec.js';
import type { Frame } from '../transforms.js';
import type { JsonValue } from '../types.js';
import { LEVEL_DRIFT_DEFAULTS as D, LevelDriftCore, type LevelDriftSettings } from './core.js';

export const levelDriftConfigSchema = z
  .strictObject({
    ...baseConfigShape(1000),
    /** Phase bins of the seasonal profile per period (at most the period's points). */
    bins: z.number().int().min(1).max(10_000).default(D.bins),
    /** CUSUM allowance, in residual spreads (1.4826 · MAD of the training residuals). */
    k: z.number().min(0).max(100).default(D.k),
    /** Clip of the standardised residual (one outlier moves a sum by at most this). */
    clip: z.number().positive().max(1000).default(D.clip),
    /** The decision level is `ratio` × the largest sum over the training part (at least `minH`). */
    ratio: z.number().positive().max(1000).default(D.ratio),
    /** The least decision level, in residual spreads. */
    minH: z.number().positive().max(1e6).default(D.minH),
    /** A sum reaching `reanchor` × the decision level re-anchors the level (≥ 1). */
    reanchor: z.number().min(1).max(1000).default(D.reanchor),
    /** The least whole periods the training part must cover. */
    minPeriods: z.number().int().min(1).max(100).default(D.minPeriods),
    /** The least period in points. */
    minPeriodPoints: z.number().int().min(2).max(1_000_000).default(D.minPeriodPoints),
    /** Without a checked period: the training mean as the profile (true) or off (false). */
    withoutPeriod: z.boolean().default(D.withoutPeriod),
    /** Scores below this are 0 (3: the member speaks only at the alarm level; 0: never). */
    floor: z.number().min(0).max(1000).default(D.floor),
    /**
     * Round 13b: the seasonal profile keeps learning online, with this half-life in periods (0: frozen at
     * training). Frozen while a sum is at or above `relearnBelow` × the decision level.
     */
    relearnHalfLife: z.number().min(0).max(1e6).optional(),
    /** Round 13b: the profile learns only while both sums are below this fraction of the decision level. */
    relearnBelow: z.number().positive().max(1000).optional(),
    /**
     * Round 13b: a score at the alarm level opens an alarm episode of this many scored points, in which only
     * the first `burst` may score at the alarm level (0: no episodes). At most `burst` alarm-level scores
     * in any `refractory` consecutive points.
     */
    refractory: z.number().int().min(0).max(1_000_000).optional(),
    /** Round 13b: the points at the start of an episode that keep their score (1 to `refractory`). */
    burst: z.number().int().min(1).max(1_000_000).optional(),
    /**
     * Round 21b: calibrate the spread and the decision level on out-of-sample training residuals (each
     * point against the profile of the other periods) instead of in-sample ones (false, absent).
     */
    crossFit: z.boolean().optional(),
    /**
     * Round 21b: the decision level grows with the points scored since training, by this factor times the
     * training residuals' expected CUSUM growth per e-fold of stream length (1: that rate; 0, absent: fixed
     * at training).
     */
    lengthGrowth: z.number().min(0).max(100).optional(),
    /**
     * Round 23: late arming. A member the training part leaves off keeps the series it scores and fits
     * itself on it once it spans this many days (tried every 96 points, or on `lateGrowth`'s schedule; 0,
     * absent: off).
     */
    lateDays: z.number().min(0).max(10_000).optional(),
    /**
     * Round 24: with `lateDays`, the tries back off geometrically: after a failed try with N points seen
     * (training part included), the next waits until N × this many are seen, so the fits while waiting
     * total at most lateGrowth / (lateGrowth − 1) points per point seen (> 1; 0, absent: round 23's try
     * every 96 points).
     */
    lateGrowth: z.number().min(0).max(100).optional(),
  })
  // round 13b's four options and round 21b's two have no zod default (absent: D's values, see levelDriftSettings), so that a
  // config without them writes round 12b's model file byte for byte
  .refine((c) => !c.refractory || (c.burst ?? D.burst) <= c.refractory, {
    message: 'burst must be at most refractory (the points of an episode that keep their score)',
    path: ['burst'],
  })
  .refine((c) => !c.lateGrowth || c.lateGrowth > 1, {
    message: 'lateGrowth must be 0 (a try every 96 points) or above 1 (the factor between tries)',
    path: ['lateGrowth'],
  });
export type LevelDriftConfig = z.infer<typeof levelDriftConfigSchema>;
export type LevelDriftInput = z.input<typeof levelDriftConfigSchema>;

/** The core's settings in a detector config. */
export function levelDriftSettings(c: LevelDriftConfig): LevelDriftSettings {
  return {
    bins: c.bins,
    k: c.k,
    clip: c.clip,
    ratio: c.ratio,
    minH: c.minH,
    reanchor: c.reanchor,
    minPeriods: c.minPeriods,
    minPeriodPoints: c.minPeriodPoints,
    withoutPeriod: c.withoutPeriod,
    floor: c.floor,
    relearnHalfLife: c.relearnHalfLife ?? D.relearnHalfLife,
    relearnBelow: c.relearnBelow ?? D.relearnBelow,
    refractory: c.refractory ?? D.refractory,
    burst: c.burst ?? D.burst,
    crossFit: c.crossFit ?? D.crossFit,
    lengthGrowth: c.lengthGrowth ?? D.lengthGrowth,
    lateDays: c.lateDays ?? D.lateDays,
    lateGrowth: c.lateGrowth ?? D.lateGrowth,
  };
}

/** The fitted state: why it is off (or ''), its scalars and its profile (the core checks each field). */
const levelDriftStateSchema = z.object({
  off: jsonAny,
  num: z.array(jsonFloat),
  prof: z.array(jsonFloat),
  /** Points since the alarm episode opened (only with `refractory` > 0). */
  ep: jsonFloat.optional(),
  /** Round 21b's growth (only with `lengthGrowth`): h at training, growth per e-fold, training and scored points. */
  grow: z.array(jsonFloat).optional(),
  /** Round 23's kept series and points since the last try, or round 24's points seen and next try (only with `lateDays`). */
  late: jsonAny.optional(),
});
type LevelDriftState = z.infer<typeof levelDriftStateSchema>;

/** The raw model: the online core (it learns every point it scores). */
/** Its CUSUM keeps residual sums and re-anchors its level on them: values beyond ±1e150 are refused. */
const WHO = 'LevelDriftDetector';

class LevelDriftRaw implements RowModel<LevelDriftState> {
  constructor(private core: LevelDriftCore) {}

  fit(frame: Frame): Float64Array {
    this.core = new LevelDriftCore(this.core.s);
    checkSafeValues(frame.x, frame.t, WHO);
    return this.core.fit(frame.t, frame.x);
  }

  scoreRow(row: Float64Array, t: number): number {
    checkSafeValue(row[0], t, WHO);
    return this.core.scoreRow(t, row[0]);
  }

  /** A stream's check, before anything changes: a value beyond ±1e150 is refused (`SAFE_VALUE_MAX`). */
  checkRow(row: Float64Array, t: number): void {
    checkSafeValue(row[0], t, WHO);
  }

  peekRow(row: Float64Array, t: number): number {
    checkSafeValue(row[0], t, WHO);
    return this.core.peekRow(t, row[0]);
  }

  learnRow(row: Float64Array, t: number): void {
    checkSafeValue(row[0], t, WHO);
    this.core.scoreRow(t, row[0]);
  }

  copy(): LevelDriftRaw {
    return new LevelDriftRaw(this.core.clone());
  }

  toState(): LevelDriftState {
    return this.core.state() as LevelDriftState;
  }
}

/** The LevelDriftDetector spec (see docs/detectors.md). */
export const levelDriftSpec = defineDetector({
  type: 'LevelDriftDetector',
  level: 'row',
  learnsPrev: true,
  config: levelDriftConfigSchema,
  state: levelDriftStateSchema,
  calibrated: false,
  create: (c) => new LevelDriftRaw(new LevelDriftCore(levelDriftSettings(c))),
  fromState: (s, { config, path }) => {
    const core = new LevelDriftCore(levelDriftSettings(config));
    core.restore(s as JsonValue, path);
    return new LevelDriftRaw(core);
  },
});

export class LevelDriftDetector extends SpecDetector<LevelDriftConfig, LevelDriftRaw> {
  constructor(cfg: LevelDriftInput = {}) {
    super(levelDriftSpec, cfg);
  }

  /** Loads a LevelDriftDetector model file (any other type is a ModelFormatError). */
  static load(json: unknown): LevelDriftDetector {
    return loadAs(json, levelDriftSpec, LevelDriftDetector);
  }
}

/** Loads a `LevelDriftDetector` model file (see the registry in detectors/registry.ts). */
export const loadLevelDriftDetector = specLoader((c) => new LevelDriftDetector(c as LevelDriftInput));
