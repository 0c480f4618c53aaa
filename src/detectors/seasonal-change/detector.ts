/**
 * `SeasonalChangeDetector`: a changed cycle (a frequency or seasonality change), as the median over a
 * period of a seasonal difference of lag-P/4 differences, against its own training level (core.ts;
 * method and sources in docs/detectors-quality.md). Online: every scored point enters the rings.
 *
 * The score is in units of the alarm level: 3 when the statistic is `ratio` times its typical training
 * value, no calibrator (a calibrator trained on the short training part would rank every stretch a
 * little above the training ones as extreme). `floor: 3` (what `defaultDetector()` uses) makes every
 * score below the alarm level 0, so in a maximum the member only ever adds alarms. Off (0 everywhere)
 * without a checked period of at least `minPeriodPoints` points and `minPeriods` whole periods of
 * training data on a regular grid.
 */
import { z } from 'zod';
import { baseConfigShape } from '../base-config.js';
import { jsonAny, jsonFloat } from '../json.js';
import { defineDetector, loadAs, type RowModel, SpecDetector, specLoader } from '../spec.js';
import type { Frame } from '../transforms.js';
import type { JsonValue } from '../types.js';
import {
  SEASONAL_CHANGE_DEFAULTS as D,
  SEASONAL_LATE_DEFAULTS as L,
  SeasonalChangeCore,
  type SeasonalChangeSettings,
} from './core.js';

export const seasonalChangeConfigSchema = z
  .strictObject({
    ...baseConfigShape(1000),
    /** The lag L as a fraction of the period (L = max(1, round(P · lagFrac))); 0: L = 1. */
    lagFrac: z.number().min(0).max(1).default(D.lagFrac),
    /** The window W as a fraction of the period (W = max(minWindow, round(P · windowFrac))). */
    windowFrac: z.number().positive().max(10).default(D.windowFrac),
    /** The least window, in points. */
    minWindow: z.number().int().min(1).max(1_000_000).default(D.minWindow),
    /** The quantile of |r| over the window (0.5: the median). */
    quantile: z.number().min(0).max(1).default(D.quantile),
    /** The statistic at `ratio` × its typical (median) training value scores 3, the alarm level. */
    ratio: z.number().positive().max(1000).default(D.ratio),
    /** The least whole periods the training part must cover. */
    minPeriods: z.number().int().min(1).max(100).default(D.minPeriods),
    /** The least period in points (the lag and the window are fractions of it). */
    minPeriodPoints: z.number().int().min(2).max(1_000_000).default(D.minPeriodPoints),
    /** The training reference: the statistic's median (`median`) or its maximum (`max`). */
    reference: z.enum(['median', 'max']).default(D.reference),
    /** The window statistic: the quantile (`quantile`) or the mean of the values below it (`trimmed`). */
    stat: z.enum(['quantile', 'trimmed']).default(D.stat),
    /** Periods back the reference difference averages over (the ones that exist). */
    periods: z.number().int().min(1).max(10).default(D.periods),
    /** Scores below this are 0 (3: the member speaks only at the alarm level; 0: never). */
    floor: z.number().min(0).max(1000).default(D.floor),
    /**
     * Late arming (round 12a of docs/evaluation.md; absent: off): when the training part shows no period,
     * keep the last (minPeriods + 1) × maxPeriod slots of the stream and look for one every `every` points
     * (at most `checks` times); arm with a calendar period (an hour, a day, a week) of at most `maxPeriod`
     * points once the history spans `minPeriods` whole periods, its scale learnt from that history.
     */
    late: z
      .strictObject({
        maxPeriod: z.number().int().min(4).max(2000).default(L.maxPeriod),
        minPeriods: z.number().int().min(3).max(10).default(L.minPeriods),
        every: z.number().int().min(1).max(1_000_000).default(L.every),
        checks: z.number().int().min(1).max(10_000).default(L.checks),
        /**
         * Round 13a (absent: none): the reference learnt at arming is at least refFloor × the
         * interquartile range of the history's values, so a near-noiseless cycle does not make every
         * small departure an alarm. 0 is none.
         */
        refFloor: z.number().min(0).max(10).optional(),
        /**
         * Round 15a (absent: none): a member armed late flags the window of every point it scores at or
         * above 3 and compares with the first `periods` unflagged periods among the last `periods +
         * lookback`, so a changed stretch it has flagged is not the reference a period and two later. 0 is none.
         */
        lookback: z.number().int().min(0).max(10).optional(),
        /**
         * Round 15a, with `lookback`: `clean` (absent) compares with unflagged periods only; `either`
         * keeps the smaller of that and the recent periods' comparison (a point alarms only if it departs
         * from both).
         */
        lookbackRule: z.enum(['clean', 'either']).optional(),
        /**
         * Round 21a (absent: none): a member armed late reports in alarm episodes of `refractory` scored
         * points, opened by a score at the alarm level; only the first `burst` points of an episode keep
         * their scores. 0 is none.
         */
        refractory: z.number().int().min(0).max(1_000_000).optional(),
        /** Round 21a, with `refractory`: the points at the start of an episode that keep their score (default 1). */
        burst: z.number().int().min(1).max(1_000_000).optional(),
      })
      .refine((l) => !l.refractory || (l.burst ?? 1) <= l.refractory, {
        message:
          'late.burst must be at most late.refractory (the points of an episode that keep their score)',
        path: ['burst'],
      })
      .optional(),
  })
  .refine((c) => c.late === undefined || c.late.maxPeriod >= c.minPeriodPoints, {
    message:
      'late.maxPeriod is below minPeriodPoints, so late arming could never arm (a period must be at least minPeriodPoints and at most late.maxPeriod points): raise late.maxPeriod or lower minPeriodPoints',
    path: ['late', 'maxPeriod'],
  });
export type SeasonalChangeConfig = z.infer<typeof seasonalChangeConfigSchema>;
export type SeasonalChangeInput = z.input<typeof seasonalChangeConfigSchema>;

/** The core's settings in a detector config. */
export function seasonalChangeSettings(c: SeasonalChangeConfig): SeasonalChangeSettings {
  return {
    lagFrac: c.lagFrac,
    windowFrac: c.windowFrac,
    minWindow: c.minWindow,
    quantile: c.quantile,
    ratio: c.ratio,
    minPeriods: c.minPeriods,
    minPeriodPoints: c.minPeriodPoints,
    reference: c.reference,
    stat: c.stat,
    periods: c.periods,
    floor: c.floor,
    late: c.late ?? null,
  };
}

/** The fitted state: why it is off (or ''), its numbers and its rings (the core checks each field). */
const seasonalChangeStateSchema = z.object({
  off: jsonAny,
  num: z.array(jsonFloat),
  vals: z.array(jsonFloat),
  slots: z.array(jsonFloat),
  win: z.array(jsonFloat),
  /** Late arming's history while it waits (absent otherwise, and in every model before round 12a). */
  late: z.object({ num: z.array(jsonFloat), hist: z.array(jsonFloat) }).optional(),
  /** Round 15a: the flags of a member armed late with a lookback (absent otherwise, and before 15a). */
  skip: z.object({ upTo: jsonFloat, flags: z.array(z.number()) }).optional(),
  /** Round 21a: the alarm episode's position in a member armed late with a refractory period (absent otherwise). */
  ep: z.number().optional(),
});
type SeasonalChangeState = z.infer<typeof seasonalChangeStateSchema>;

/** The raw model: the online core (it learns every point it scores). */
class SeasonalChangeRaw implements RowModel<SeasonalChangeState> {
  constructor(private core: SeasonalChangeCore) {}

  fit(frame: Frame): Float64Array {
    this.core = new SeasonalChangeCore(this.core.s);
    return this.core.fit(frame.t, frame.x);
  }

  scoreRow(row: Float64Array, t: number): number {
    return this.core.scoreRow(t, row[0]);
  }

  /** `scoreRow` row by row, without a view per row. */
  scoreRows(frame: Frame): Float64Array {
    const { n, d, x, t } = frame;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.core.scoreRow(t[i], x[i * d]);
    return out;
  }

  /** The score without learning: the core saves and restores what it touches (no copy per point). */
  peekRow(row: Float64Array, t: number): number {
    return this.core.peekRow(t, row[0]);
  }

  learnRow(row: Float64Array, t: number): void {
    this.core.scoreRow(t, row[0]);
  }

  copy(): SeasonalChangeRaw {
    return new SeasonalChangeRaw(this.core.clone());
  }

  toState(): SeasonalChangeState {
    return this.core.state() as SeasonalChangeState;
  }
}

/** The SeasonalChangeDetector spec (see docs/detectors.md). */
export const seasonalChangeSpec = defineDetector({
  type: 'SeasonalChangeDetector',
  level: 'row',
  learnsPrev: true,
  config: seasonalChangeConfigSchema,
  state: seasonalChangeStateSchema,
  calibrated: false,
  create: (c) => new SeasonalChangeRaw(new SeasonalChangeCore(seasonalChangeSettings(c))),
  fromState: (s, { config, path }) => {
    const core = new SeasonalChangeCore(seasonalChangeSettings(config));
    core.restore(s as JsonValue, path);
    return new SeasonalChangeRaw(core);
  },
});

export class SeasonalChangeDetector extends SpecDetector<SeasonalChangeConfig, SeasonalChangeRaw> {
  constructor(cfg: SeasonalChangeInput = {}) {
    super(seasonalChangeSpec, cfg);
  }

  /** Loads a SeasonalChangeDetector model file (any other type is a ModelFormatError). */
  static load(json: unknown): SeasonalChangeDetector {
    return loadAs(json, seasonalChangeSpec, SeasonalChangeDetector);
  }
}

/** Loads a `SeasonalChangeDetector` model file (see the registry in detectors/registry.ts). */
export const loadSeasonalChangeDetector = specLoader(
  (c) => new SeasonalChangeDetector(c as SeasonalChangeInput),
);
