/**
 * `EtsDetector`: exponential-smoothing residual detector (docs/ets.md, What is implemented), with AutoETS model
 * selection as an option. Score = (observed − forecast) / forecast standard deviation.
 *
 * tsad scores **one step ahead and updates the state with every observation** (mode 'stream', the
 * default): a streaming service's behaviour, so late anomalies are scored as sharply as early
 * ones. Mode 'reference' reproduces Merlion: every point is forecast from the end of training
 * (h = grid steps since then) with the h-step variance, and the state never moves.
 * Training scores are the in-sample one-step residuals over their standard deviation (not the
 * reference's `(y − ŷ)·1e8` quirk). No calibrator; default rule AggregateAlarms(3).
 */
import { z } from 'zod';
import type { TimeSeries } from '../../series/types.js';
import { baseConfigShape } from '../base-config.js';
import { jsonAny, jsonObject } from '../json.js';
import { defineDetector, loadAs, type SeriesModel, SpecDetector, specLoader } from '../spec.js';
import type { RawStreamer } from '../streaming.js';
import type { TrainMinimum } from '../types.js';
import { EtsCore } from './core.js';
import { type EtsModel, parameterCount } from './model.js';

const component = z.enum(['add', 'mul']).nullable();

export const autoEtsOptionsSchema = z.strictObject({
  /** Detect the seasonal period from the ACF (else use `seasonalPeriods`). */
  seasonality: z.boolean().default(true),
  /** Search the error type (else use `error`). */
  error: z.boolean().default(true),
  /** Search the trend (else use `trend`). */
  trend: z.boolean().default(true),
  /** Search the seasonal type (else use `seasonal`). */
  seasonal: z.boolean().default(true),
  /** Search damping (else use `damped`). */
  damped: z.boolean().default(true),
  strategy: z.enum(['acf', 'min', 'max']).default('acf'),
  ic: z.enum(['aic', 'aicc', 'bic']).default('aic'),
  additiveOnly: z.boolean().default(false),
  allowMultiplicativeTrend: z.boolean().default(false),
  restrict: z.boolean().default(true),
  pval: z.number().gt(0).lt(1).default(0.05),
  maxLag: z.number().int().min(2).max(100_000).nullable().default(null),
});

export const etsConfigSchema = z.strictObject({
  ...baseConfigShape(1),
  error: z.enum(['add', 'mul']).default('add'),
  trend: component.default('add'),
  damped: z.boolean().default(true),
  seasonal: component.default('add'),
  /** Seasonal period; null = non-seasonal (unless `auto` detects one). */
  seasonalPeriods: z.number().int().min(2).max(100_000).nullable().default(null),
  /** Choose the model with AutoETS (seasonality detection + AIC over the candidate grid). */
  auto: z.boolean().default(false),
  autoOptions: autoEtsOptionsSchema.prefault({}),
  /** 'stream': one step ahead, state updated with each point; 'reference': Merlion's scoring. */
  mode: z.enum(['stream', 'reference']).default('stream'),
  /** Grid step in ms; null = the most common gap of the training data. */
  granularityMs: z.number().positive().nullable().default(null),
  /** Simulated paths for forecast variances without a closed form (reference mode). */
  simulations: z.number().int().min(2).max(100_000).default(1000),
  /** Reference mode: longest forecast horizon allowed; null = any. */
  maxForecastSteps: z.number().int().positive().nullable().default(null),
});
export type EtsConfig = z.infer<typeof etsConfigSchema>;
export type EtsInput = z.input<typeof etsConfigSchema>;

/** The fitted state (`EtsCore.toJSON()`); `EtsCore.restore` validates every field. */
const etsStateSchema = z.object({
  spec: jsonObject,
  params: jsonObject,
  mse: jsonAny,
  nobs: jsonAny,
  llf: jsonAny,
  aic: jsonAny,
  aicc: jsonAny,
  bic: jsonAny,
  granularityMs: jsonAny,
  candidates: z.array(jsonObject),
  trainEnd: jsonObject,
  live: jsonObject,
  /** The floor σ̂ was raised to (docs/ets.md, Scoring: "Near-exact fits"); absent when not set. */
  sigmaFloor: jsonAny.optional(),
});
type EtsStateJson = z.infer<typeof etsStateSchema>;

function newCore(c: EtsConfig): EtsCore {
  return new EtsCore({
    error: c.error,
    trend: c.trend,
    damped: c.damped,
    seasonal: c.seasonal,
    seasonalPeriods: c.seasonalPeriods,
    auto: c.auto,
    autoOptions: c.autoOptions,
    mode: c.mode,
    granularityMs: c.granularityMs,
    simulations: c.simulations,
    maxForecastSteps: c.maxForecastSteps,
    seed: c.seed,
  });
}

/** The raw model: the fitted ETS model and its running state (null before training). */
class EtsRaw implements SeriesModel<EtsStateJson> {
  constructor(
    private readonly config: EtsConfig,
    public core: EtsCore | null = null,
  ) {}

  fit(ts: TimeSeries): TimeSeries {
    const core = newCore(this.config);
    const scores = core.train(ts);
    this.core = core;
    return scores;
  }

  score(ts: TimeSeries, prev?: TimeSeries): TimeSeries {
    return this.core!.score(ts, prev);
  }

  copy(): EtsRaw {
    return new EtsRaw(this.config, this.core ? this.core.copy() : null);
  }

  streamer(): RawStreamer {
    const core = this.core!;
    // set by check(): the point checked last lies beyond a gap (reset before using it)
    let gap = false;
    return {
      check: (t, v) => {
        gap = core.gapTooLong(t);
        // the dry run only when the step could overflow (or bridges a gap): pushes stay cheap
        if (gap || !core.surelyFinite(t, v)) core.peek(t, v, gap);
        return gap;
      },
      pushRaw: (t, v) => {
        if (gap) core.skipGap(t);
        gap = false;
        return core.push(t, v);
      },
      peekRaw: (t, v) => core.peek(t, v, gap),
      learnRaw: (t, v) => {
        if (gap) core.skipGap(t);
        gap = false;
        // reference mode forecasts from the end of training: its state never moves
        if (core.config.mode === 'stream') core.absorb(t, v);
      },
    };
  }

  toState(): EtsStateJson {
    return this.core!.toJSON() as EtsStateJson;
  }
}

/**
 * The fewest training points of an ETS config (docs/detectors.md, Training minimums): its richest
 * model (with `auto`, the richest non-seasonal candidate AutoETS may pick: seasonal candidates fall back
 * when the data is short) has k parameters (`parameterCount`) and a noise variance, df = k + 1; n ≥ k + 3
 * leaves n − df − 1 ≥ 1, where the AICc is defined and the residual variance is more than a fit of its
 * own parameters. A fixed seasonal model also needs two full cycles (`initialStates`).
 */
export function etsMinTrainPoints(c: EtsConfig): TrainMinimum {
  const o = c.autoOptions;
  const trend = c.auto ? o.trend || c.trend !== null : c.trend !== null;
  const damped = trend && (c.auto ? o.damped || c.damped : c.damped);
  const period = !c.auto && c.seasonal !== null && c.seasonalPeriods !== null ? c.seasonalPeriods : 1;
  const k = parameterCount({
    error: c.error,
    trend: trend ? 'add' : null,
    damped,
    seasonal: period > 1 ? c.seasonal : null,
    period,
  });
  const what = c.auto ? 'the richest non-seasonal AutoETS candidate' : 'its ETS model';
  const points = Math.max(k + 3, 2 * period);
  return {
    points,
    reason:
      points === k + 3
        ? `${what} has ${k} parameters and a noise variance, and needs n ≥ ${k} + 3 for a residual variance (and AICc) with a degree of freedom left`
        : `its seasonal ETS model needs two full cycles of ${period} points`,
  };
}

/** The EtsDetector spec (see docs/detectors.md). No calibrator: scores are in forecast-sd units. */
export const etsSpec = defineDetector({
  type: 'EtsDetector',
  level: 'series',
  config: etsConfigSchema,
  state: etsStateSchema,
  calibrated: false,
  minTrainPoints: etsMinTrainPoints,
  create: (c) => new EtsRaw(c),
  fromState: (s, { config, path }) => {
    const core = newCore(config);
    core.restore(s, path);
    return new EtsRaw(config, core);
  },
});

export class EtsDetector extends SpecDetector<EtsConfig, EtsRaw> {
  constructor(cfg: EtsInput = {}) {
    super(etsSpec, cfg);
  }

  /** Loads an EtsDetector model file (any other type is a ModelFormatError). */
  static load(json: unknown): EtsDetector {
    return loadAs(json, etsSpec, EtsDetector);
  }

  /** The fitted model and its running state (null before training). */
  get model(): EtsCore | null {
    return this.raw.core;
  }
}

export type { EtsModel };

/** The model-file loader of EtsDetector (listed in registry.ts). */
export const loadEtsDetector = specLoader((c) => new EtsDetector(c as EtsInput));
