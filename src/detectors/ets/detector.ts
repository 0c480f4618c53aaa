/**
 * `EtsDetector`: exponential-smoothing residual detector (detectors spec §4), with AutoETS model
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
import { BaseDetector, baseConfigShape, baseLoader, loadAs, parseConfig, type RawStreamer } from '../base.js';
import type { JsonValue } from '../types.js';
import { EtsCore } from './core.js';
import type { EtsModel } from './model.js';

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

export class EtsDetector extends BaseDetector<EtsConfig> {
  private core: EtsCore | null = null;

  constructor(cfg: EtsInput = {}) {
    super('EtsDetector', parseConfig(etsConfigSchema, cfg));
  }

  /** Loads an EtsDetector model file (any other type is a ModelFormatError). */
  static load(json: unknown): EtsDetector {
    return loadAs(json, ['EtsDetector'], loadEtsDetector, EtsDetector);
  }

  protected override hasCalibrator(): boolean {
    return false;
  }

  /** The fitted model and its running state (null before training). */
  get model(): EtsCore | null {
    return this.core;
  }

  private newCore(): EtsCore {
    const c = this.config;
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

  protected override rawTrain(ts: TimeSeries): TimeSeries {
    const core = this.newCore();
    const scores = core.train(ts);
    this.core = core;
    return scores;
  }

  protected override rawScore(ts: TimeSeries, prev?: TimeSeries): TimeSeries {
    return this.core!.score(ts, prev);
  }

  protected override copyOnlineState(): void {
    if (this.core) this.core = this.core.copy();
  }

  protected override rawStreamer(): RawStreamer {
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

  protected override modelState(): JsonValue {
    return this.core!.toJSON();
  }

  protected override restoreModel(state: unknown, path: string): void {
    const core = this.newCore();
    core.restore(state, path);
    this.core = core;
  }
}

export type { EtsModel };

/** The model-file loader of EtsDetector (listed in registry.ts). */
export const loadEtsDetector = baseLoader((c) => new EtsDetector(c as EtsInput));
