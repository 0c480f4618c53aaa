/**
 * `ZmsDetector`: Merlion's ZMS (multiple lagged z-scores, docs/ensemble.md, ZMS) as a detector.
 * Calibrator on (`maxScore` 1000), default rule `AggregateAlarms(3)`.
 */
import { z } from 'zod';
import { ModelFormatError } from '../errors.js';
import type { TimeSeries } from '../series/types.js';
import { baseConfigShape } from './base-config.js';
import { DailyHarmonic, symmetrize } from './daily-harmonic.js';
import { checkSafeValue, checkSafeValues, SAFE_VALUE_MAX } from './input.js';
import { decodeFloats, encodeFloat, encodeFloats, intField, jsonFloat, numberField } from './json.js';
import { gridStep } from './seasonal-change/core.js';
import {
  defineDetector,
  loadAs,
  type RestoreContext,
  type SeriesModel,
  SpecDetector,
  specLoader,
} from './spec.js';
import type { RawStreamer } from './streaming.js';
import type { TrainMinimum } from './types.js';
import {
  fitZms,
  MIN_SCALE,
  type ZmsKernel,
  type ZmsState,
  ZmsStreamCore,
  zmsKernel,
  zmsScores,
} from './zms-core.js';

export const zmsConfigSchema = z
  .strictObject({
    ...baseConfigShape(1000),
    /** Base of the lag scales `base^0 … base^(nLags−1)`. */
    base: z.number().int().min(2).max(1_000).default(2),
    /** Number of lags; `null` = `trunc(log_base(n))` of the training length. */
    nLags: z.number().int().min(0).max(20).nullable().default(null),
    /** Lag inflation `p ≥ 0`: the argmax compares `z_j / k_j^p` (signed, as the reference does). */
    lagInflation: z.number().min(0).max(100).default(1),
    /**
     * Half-life in points of an **adaptive level reference** (unset: the level z-score uses the training
     * mean and standard deviation forever, Merlion's ZMS). When set, every point learnt after training
     * moves the level's mean and variance towards it (exponentially weighted), and the level z-score is
     * taken against that reference, its scale never below the training standard deviation: a level that
     * persists stops being news. The lag columns keep their training statistics.
     */
    levelHalfLife: z.number().int().min(1).max(1e9).optional(),
    /**
     * With `levelHalfLife`: whether the level's variance adapts too (true) or the level z-score keeps the
     * training standard deviation as its scale (unset / false: only the reference mean moves).
     */
    levelAdaptScale: z.boolean().optional(),
    /**
     * An adaptive level reference that is the mean (and, with `levelAdaptScale`, the variance) of every
     * value seen, training included (an expanding window instead of `levelHalfLife`'s exponential one).
     */
    levelCumulative: z.boolean().optional(),
    /**
     * With `levelCumulative` (round 13c of docs/evaluation.md): the reference learns only until the
     * values behind it, training included, cover this many milliseconds (counted in points of the
     * training part's median step), then stays; a training part that already covers it keeps the
     * training statistics, as without any adaptive reference. `86_400_000` (a day) lets a series whose
     * training part is shorter than a day learn its level from one whole day, then freeze it.
     */
    levelCumulativeSpanMs: z.number().min(1).max(1e15).optional(),
    /**
     * Round 44 of docs/evaluation.md (in the default since harm45): the number K of **daily harmonics**
     * whose regression on the UTC time of day (`w₀ + Σ_{k≤K} a_k sin kωt + b_k cos kωt`, ω = 2π / day) is
     * fitted on the training part and updated by recursive least squares with every point learnt after
     * it (`DailyHarmonic`); the member sees the value less the fitted harmonic part (the intercept stays,
     * so it still sees the level). Unset: the value itself, Merlion's ZMS.
     */
    dailyHarmonics: z.number().int().min(1).max(6).optional(),
  })
  .refine((c) => c.levelCumulativeSpanMs === undefined || c.levelCumulative === true, {
    message: 'levelCumulativeSpanMs bounds the cumulative level reference: set levelCumulative: true with it',
    path: ['levelCumulativeSpanMs'],
  })
  .refine((c) => !(c.levelCumulative === true && c.levelHalfLife !== undefined), {
    message: 'levelCumulative and levelHalfLife are two kinds of adaptive level reference: set one of them',
    path: ['levelCumulative'],
  });
export type ZmsConfig = z.infer<typeof zmsConfigSchema>;
export type ZmsInput = z.input<typeof zmsConfigSchema>;

/** The fitted state: lags, normalisation statistics and the lags' context. */
const zmsStateSchema = z.object({
  lags: z.array(z.number()),
  lagInflation: jsonFloat,
  mean: z.array(jsonFloat),
  scale: z.array(jsonFloat),
  history: z.object({
    first: jsonFloat,
    seen: z.number(),
    recent: z.array(jsonFloat),
    /** The adaptive level reference (with `levelHalfLife` or `levelCumulative`). */
    level: z
      .object({
        mean: jsonFloat,
        variance: jsonFloat,
        count: z.number().optional(),
        until: z.number().optional(),
      })
      .optional(),
  }),
  /**
   * The daily harmonic (with `dailyHarmonics`): coefficients, the RLS matrix (row-major) and its switch.
   * Optional, so the state version stays 2: a file without it loads and saves back unchanged, and a file
   * with it names `dailyHarmonics` in its config, which a build without the option refuses (its config
   * schema is strict) rather than misreading the state.
   */
  harmonic: z
    .object({
      on: z.boolean(),
      w: z.array(jsonFloat),
      P: z.array(jsonFloat),
    })
    .optional(),
});
type ZmsStateJson = z.infer<typeof zmsStateSchema>;

/** The kind of adaptive level reference a config asks for (null: frozen, Merlion's). */
function levelMode(c: ZmsConfig): number | 'cumulative' | null {
  if (c.levelCumulative === true) return 'cumulative';
  return c.levelHalfLife ?? null;
}

/**
 * The number of points of the training part's median step (`gridStep`) in `spanMs` (at least 1): where a
 * cumulative level reference bounded by `levelCumulativeSpanMs` stops learning. An unknown step (fewer
 * than three points) gives 1, so the reference stays frozen.
 */
function spanPoints(t: Float64Array, spanMs: number): number {
  const { step } = gridStep(t);
  if (!(step > 0)) return 1;
  return Math.max(1, Math.min(Number.MAX_SAFE_INTEGER, Math.ceil(spanMs / step)));
}

const WHO = 'ZmsDetector (adaptive level reference)';
const WHO_HARMONIC = 'ZmsDetector (daily harmonics)';

/** Scores `v` at `t` as the next value, then learns it (the harmonic after the point is scored). */
function pushPoint(core: ZmsStreamCore, h: DailyHarmonic | null, t: number, v: number): number {
  if (h === null) return core.push(v);
  const r = core.push(v - h.cycle(t));
  h.learn(t, v);
  return r;
}

/** Learns `v` at `t` without scoring it. */
function learnPoint(core: ZmsStreamCore, h: DailyHarmonic | null, t: number, v: number): void {
  if (h === null) {
    core.learn(v);
    return;
  }
  core.learn(v - h.cycle(t));
  h.learn(t, v);
}

/**
 * The raw model: frozen statistics plus the last `maxLag` values seen (train, scored data, stream), and
 * with `dailyHarmonics` the daily harmonic whose residual the statistics are taken on.
 */
class ZmsRaw implements SeriesModel<ZmsStateJson> {
  constructor(
    private readonly config: ZmsConfig,
    public state: ZmsState | null = null,
    private kern: ZmsKernel | null = null,
    private history: ZmsStreamCore | null = null,
    private harmonic: DailyHarmonic | null = null,
  ) {}

  fit(ts: TimeSeries): TimeSeries {
    const c = this.config;
    const mode = levelMode(c);
    const until =
      c.levelCumulativeSpanMs === undefined
        ? Number.POSITIVE_INFINITY
        : spanPoints(ts.t, c.levelCumulativeSpanMs);
    const adaptive = mode !== null && ts.v.length < until;
    // the adaptive level reference keeps a variance (squares): values beyond ±1e150 are refused; so does
    // the daily harmonic's least-squares fit (sums of squares)
    if (adaptive) checkSafeValues(ts.v, ts.t, WHO);
    let x = ts.v;
    this.harmonic = null;
    if (c.dailyHarmonics !== undefined) {
      checkSafeValues(ts.v, ts.t, WHO_HARMONIC);
      const h = new DailyHarmonic(c.dailyHarmonics);
      h.fit(ts.t, ts.v);
      x = new Float64Array(ts.v.length);
      for (let i = 0; i < x.length; i++) x[i] = ts.v[i] - h.cycle(ts.t[i]);
      this.harmonic = h;
    }
    this.state = fitZms(x, { base: c.base, nLags: c.nLags, lagInflation: c.lagInflation });
    const kern = zmsKernel(this.state);
    this.kern = kern;
    this.history = new ZmsStreamCore(kern, x);
    if (adaptive) this.history.adaptLevel(mode, c.levelAdaptScale === true, undefined, x.length, until);
    return { t: ts.t, v: zmsScores(kern, x) };
  }

  score(ts: TimeSeries, prev?: TimeSeries, seen = Number.NEGATIVE_INFINITY): TimeSeries {
    const hm = this.harmonic;
    if (hm === null && this.history!.levelState() === null)
      return { t: ts.t, v: zmsScores(this.kern!, ts.v, prev?.v) };
    // adaptive reference or daily harmonic: score as a stream continuing from the model's state (a copy:
    // nothing learnt), after learning the rows of `prev` the model has not seen, as a stream would have
    // (so the result is the tail of `score(prev ++ ts)`); rows it has seen are in its state already
    const who = hm === null ? WHO : WHO_HARMONIC;
    if (prev) checkSafeValues(prev.v, prev.t, who);
    checkSafeValues(ts.v, ts.t, who);
    const core = this.history!.copy();
    const h = hm === null ? null : hm.copy();
    if (prev)
      for (let i = 0; i < prev.v.length; i++) if (prev.t[i] > seen) learnPoint(core, h, prev.t[i], prev.v[i]);
    const out = new Float64Array(ts.v.length);
    for (let i = 0; i < out.length; i++) out[i] = pushPoint(core, h, ts.t[i], ts.v[i]);
    return { t: ts.t, v: out };
  }

  copy(): ZmsRaw {
    return new ZmsRaw(
      this.config,
      this.state,
      this.kern,
      this.history ? this.history.copy() : null,
      this.harmonic ? this.harmonic.copy() : null,
    );
  }

  streamer(): RawStreamer {
    const h = this.history!;
    const hm = this.harmonic;
    if (hm === null && h.levelState() === null)
      return {
        check: () => false,
        pushRaw: (_t, v) => h.push(v),
        peekRaw: (_t, v) => h.peek(v),
        learnRaw: (_t, v) => h.learn(v),
      };
    // the adaptive level reference keeps a variance (squares), the daily harmonic sums of squares: values
    // beyond ±1e150 are refused (at the check, before anything changes)
    const who = hm === null ? WHO : WHO_HARMONIC;
    return {
      check: (t, v) => {
        checkSafeValue(v, t, who);
        return false;
      },
      pushRaw: (t, v) => {
        checkSafeValue(v, t, who);
        return pushPoint(h, hm, t, v);
      },
      peekRaw: (t, v) => {
        checkSafeValue(v, t, who);
        return h.peek(hm === null ? v : v - hm.cycle(t));
      },
      learnRaw: (t, v) => {
        checkSafeValue(v, t, who);
        learnPoint(h, hm, t, v);
      },
    };
  }

  toState(): ZmsStateJson {
    const s = this.state!;
    const h = this.history!.snapshot();
    const level = this.history!.levelState();
    const hm = this.harmonic;
    return {
      lags: s.lags.slice(),
      lagInflation: s.lagInflation,
      mean: encodeFloats(s.mean),
      scale: encodeFloats(s.scale),
      history: {
        first: encodeFloat(h.first),
        seen: h.seen,
        recent: encodeFloats(h.recent),
        ...(level
          ? {
              level: {
                mean: encodeFloat(level.mean),
                variance: encodeFloat(level.variance),
                ...(level.count === undefined ? {} : { count: level.count }),
                ...(level.until === undefined ? {} : { until: level.until }),
              },
            }
          : {}),
      },
      ...(hm ? { harmonic: { on: hm.on, w: encodeFloats(hm.w), P: encodeFloats(hm.P) } } : {}),
    } as ZmsStateJson;
  }
}

/**
 * The largest |entry| of a daily harmonic's RLS matrix in a model file: a fit's matrix is the inverse of
 * the cross-products plus a ridge of 1e-6 per training point on the harmonic terms, so its entries stay
 * below about K · 1e6 / n for n training points (3e6 for six harmonics on two points, the fewest ZMS
 * trains on), and recursive updates only shrink it. A larger one would let one streamed point move the
 * coefficients, and the residual, out of range.
 */
const HARMONIC_P_MAX = 1e9;

/** Whether the symmetric `d × d` matrix `P` is positive definite (Cholesky, positive pivots). */
function positiveDefinite(P: Float64Array, d: number): boolean {
  const L = new Float64Array(d * d);
  for (let a = 0; a < d; a++) {
    for (let c = 0; c <= a; c++) {
      let s = P[a * d + c];
      for (let k = 0; k < c; k++) s -= L[a * d + k] * L[c * d + k];
      if (a === c) {
        if (!(s > 0)) return false;
        L[a * d + a] = Math.sqrt(s);
      } else L[a * d + c] = s / L[c * d + c];
    }
  }
  return true;
}

/** The daily harmonic of a state (null without `dailyHarmonics`; a mismatch either way is bad_field). */
function harmonicFromState(state: ZmsStateJson, config: ZmsConfig, path: string): DailyHarmonic | null {
  const K = config.dailyHarmonics;
  const hp = `${path}.harmonic`;
  if (K === undefined) {
    if (state.harmonic !== undefined)
      throw new ModelFormatError(
        'bad_field',
        `${hp}: a daily harmonic, but the config has no dailyHarmonics (set it, or drop the harmonic)`,
      );
    return null;
  }
  if (state.harmonic === undefined)
    throw new ModelFormatError('bad_field', `${hp}: expected the daily harmonic (dailyHarmonics is ${K})`);
  const h = new DailyHarmonic(K);
  const w = decodeFloats(state.harmonic.w, `${hp}.w`, h.d);
  const P = decodeFloats(state.harmonic.P, `${hp}.P`, h.d * h.d);
  for (let j = 0; j < w.length; j++)
    if (!(Math.abs(w[j]) <= SAFE_VALUE_MAX))
      throw new ModelFormatError(
        'bad_field',
        `${hp}.w[${j}]: expected a finite number within ±${SAFE_VALUE_MAX}`,
      );
  for (let j = 0; j < P.length; j++)
    if (!(Math.abs(P[j]) <= HARMONIC_P_MAX))
      throw new ModelFormatError(
        'bad_field',
        `${hp}.P[${j}]: expected a finite number within ±${HARMONIC_P_MAX}`,
      );
  // the symmetric part: files written before rev47 carry the elimination's rounding-level asymmetry,
  // which the RLS update would keep while P shrinks (until P is indefinite); a hand-edited asymmetric
  // matrix is taken at its symmetric part, the one the positive-definite check judges
  symmetrize(P, h.d);
  if (!positiveDefinite(P, h.d))
    throw new ModelFormatError(
      'bad_field',
      `${hp}.P: expected a positive definite matrix (the inverse of the fit's cross-products); re-save the model with the tsad that trained it`,
    );
  h.w.set(w);
  h.P.set(P);
  h.on = state.harmonic.on;
  return h;
}

function zmsFromState(state: ZmsStateJson, ctx: RestoreContext<ZmsConfig>): ZmsRaw {
  const { path } = ctx;
  const lagsRaw = state.lags;
  if (lagsRaw.length > 20)
    throw new ModelFormatError('bad_field', `${path}.lags: expected an array of at most 20 lags`);
  const lags = lagsRaw.map((k, j) => {
    if (!Number.isInteger(k) || k < 1 || k > 1e6)
      throw new ModelFormatError('bad_field', `${path}.lags[${j}]: expected an integer in [1, 1e6]`);
    return k;
  });
  const lagInflation = numberField(state, 'lagInflation', path);
  if (!(lagInflation >= 0 && lagInflation <= 100))
    throw new ModelFormatError('bad_field', `${path}.lagInflation: expected a number in [0, 100]`);
  const mean = decodeFloats(state.mean, `${path}.mean`, lags.length + 1);
  const scale = decodeFloats(state.scale, `${path}.scale`, lags.length + 1);
  for (let j = 0; j < scale.length; j++) {
    if (!(Number.isFinite(mean[j]) && Number.isFinite(scale[j]) && scale[j] >= MIN_SCALE))
      throw new ModelFormatError(
        'bad_field',
        `${path}.scale[${j}]: expected a finite mean and a finite scale ≥ ${MIN_SCALE}`,
      );
  }
  const hp = `${path}.history`;
  const h = state.history;
  const first = numberField(h, 'first', hp);
  const seen = intField(h, 'seen', hp, 0, Number.MAX_SAFE_INTEGER);
  const recent = decodeFloats(h.recent, `${hp}.recent`);
  const s: ZmsState = { lags, lagInflation, mean: Array.from(mean), scale: Array.from(scale) };
  const kern = zmsKernel(s);
  if (recent.length !== Math.min(seen, Math.max(1, kern.maxLag)))
    throw new ModelFormatError('bad_field', `${hp}.recent: expected min(seen, max lag) values`);
  for (const v of recent)
    if (!Number.isFinite(v)) throw new ModelFormatError('bad_field', `${hp}.recent: values must be finite`);
  if (seen > 0 && !Number.isFinite(first))
    throw new ModelFormatError('bad_field', `${hp}.first: must be finite`);
  const core = ZmsStreamCore.restore(kern, { first, seen, recent: Array.from(recent) });
  const H = levelMode(ctx.config);
  // with levelCumulativeSpanMs, a training part that covered the span kept the frozen reference
  if (H !== null && !(ctx.config.levelCumulativeSpanMs !== undefined && h.level === undefined)) {
    const lp = `${hp}.level`;
    if (h.level === undefined)
      throw new ModelFormatError(
        'bad_field',
        `${lp}: expected the adaptive level reference (levelHalfLife is set)`,
      );
    const mean = numberField(h.level, 'mean', lp);
    const variance = numberField(h.level, 'variance', lp);
    if (!(Number.isFinite(mean) && Number.isFinite(variance) && variance >= 0))
      throw new ModelFormatError('bad_field', `${lp}: expected a finite mean and a finite variance ≥ 0`);
    let count: number | undefined;
    if (H === 'cumulative') count = intField(h.level, 'count', lp, 0, Number.MAX_SAFE_INTEGER);
    let until = Number.POSITIVE_INFINITY;
    if (ctx.config.levelCumulativeSpanMs !== undefined)
      until = intField(h.level, 'until', lp, 1, Number.MAX_SAFE_INTEGER);
    core.adaptLevel(H, ctx.config.levelAdaptScale === true, { mean, variance, count }, 0, until);
  }
  return new ZmsRaw(ctx.config, s, kern, core, harmonicFromState(state, ctx.config, path));
}

/**
 * The fewest training points of a ZMS config before its calibrator's (docs/detectors.md, Training
 * minimums): a standard deviation needs two values, so the level column needs 2 points and the column of
 * the largest fixed lag `base^(nLags−1)` needs that lag plus 2 (with `nLags: null` the lags follow the
 * training length and always fit).
 */
export function zmsMinTrainPoints(c: ZmsConfig): TrainMinimum {
  if (c.nLags === null || c.nLags === 0) return { points: 2, reason: 'a standard deviation needs 2 values' };
  const maxLag = c.base ** (c.nLags - 1);
  return {
    points: maxLag + 2,
    reason: `its largest lag ${maxLag} needs 2 lag differences for a standard deviation`,
  };
}

/** The ZmsDetector spec (see docs/detectors.md). */
export const zmsSpec = defineDetector({
  type: 'ZmsDetector',
  level: 'series',
  config: zmsConfigSchema,
  state: zmsStateSchema,
  minTrainPoints: zmsMinTrainPoints,
  create: (c) => new ZmsRaw(c),
  fromState: zmsFromState,
});

/**
 * Multi-scale lagged z-scores: the value and its lags `x_i − x_{i−k}` (k = 1, 2, 4, … by default)
 * are standardised with the training mean and standard deviation; the score is the (signed)
 * z-score of the column that wins the lag-inflated argmax. The column statistics are frozen at
 * training (Merlion's); the options that learn online are the adaptive level reference
 * (`levelHalfLife`, `levelCumulative`) and the daily harmonic (`dailyHarmonics`), whose state travels in
 * checkpoints. Batch and streaming scores are bit-identical.
 *
 * The reference resamples to the training granularity first; tsad expects data on a regular grid
 * already (the series layer's `resample()`), and scores the points it is given.
 */
export class ZmsDetector extends SpecDetector<ZmsConfig, ZmsRaw> {
  constructor(cfg: ZmsInput = {}) {
    super(zmsSpec, cfg);
  }

  /** Loads a ZmsDetector model file (any other type is a ModelFormatError). */
  static load(json: unknown): ZmsDetector {
    return loadAs(json, zmsSpec, ZmsDetector);
  }

  /** The trained lags and normalisation statistics (null before training). */
  get model(): ZmsState | null {
    return this.raw.state;
  }
}

/** The model-file loader of ZmsDetector (listed in registry.ts). */
export const loadZmsDetector = specLoader((c) => new ZmsDetector(c as ZmsInput));
