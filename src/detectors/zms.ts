/**
 * `ZmsDetector`: Merlion's ZMS (multiple lagged z-scores, detectors spec §3) as a detector.
 * Calibrator on (`maxScore` 1000), default rule `AggregateAlarms(3)`.
 */
import { z } from 'zod';
import { ModelFormatError } from '../errors.js';
import type { TimeSeries } from '../series/types.js';
import { BaseDetector, baseConfigShape, baseLoader, loadAs, parseConfig, type RawStreamer } from './base.js';
import { decodeFloats, encodeFloats, field, intField, numberField } from './json.js';
import type { JsonValue } from './types.js';
import {
  fitZms,
  MIN_SCALE,
  type ZmsKernel,
  type ZmsState,
  ZmsStreamCore,
  zmsKernel,
  zmsScores,
} from './zms-core.js';

export const zmsConfigSchema = z.strictObject({
  ...baseConfigShape(1000),
  /** Base of the lag scales `base^0 … base^(nLags−1)`. */
  base: z.number().int().min(2).max(1_000).default(2),
  /** Number of lags; `null` = `trunc(log_base(n))` of the training length. */
  nLags: z.number().int().min(0).max(20).nullable().default(null),
  /** Lag inflation `p ≥ 0`: the argmax compares `z_j / k_j^p` (signed, as the reference does). */
  lagInflation: z.number().min(0).max(100).default(1),
});
export type ZmsConfig = z.infer<typeof zmsConfigSchema>;
export type ZmsInput = z.input<typeof zmsConfigSchema>;

/**
 * Multi-scale lagged z-scores: the value and its lags `x_i − x_{i−k}` (k = 1, 2, 4, … by default)
 * are standardised with the training mean and standard deviation; the score is the (signed)
 * z-score of the column that wins the lag-inflated argmax. No online updates: the statistics are
 * frozen at training. Batch and streaming scores are bit-identical.
 *
 * The reference resamples to the training granularity first; tsad expects data on a regular grid
 * already (the series layer's `resample()`), and scores the points it is given.
 */
export class ZmsDetector extends BaseDetector<ZmsConfig> {
  private state: ZmsState | null = null;
  private kern: ZmsKernel | null = null;
  /** The last `maxLag` values seen (train, scored data, stream), the lags' context. */
  private history: ZmsStreamCore | null = null;

  constructor(cfg: ZmsInput = {}) {
    super('ZmsDetector', parseConfig(zmsConfigSchema, cfg));
  }

  /** Loads a ZmsDetector model file (any other type is a ModelFormatError). */
  static load(json: unknown): ZmsDetector {
    return loadAs(json, ['ZmsDetector'], loadZmsDetector, ZmsDetector);
  }

  /** The trained lags and normalisation statistics (null before training). */
  get model(): ZmsState | null {
    return this.state;
  }

  private setState(s: ZmsState): void {
    this.state = s;
    this.kern = zmsKernel(s);
  }

  protected override rawTrain(ts: TimeSeries): TimeSeries {
    const c = this.config;
    this.setState(fitZms(ts.v, { base: c.base, nLags: c.nLags, lagInflation: c.lagInflation }));
    const kern = this.kern!;
    this.history = new ZmsStreamCore(kern, ts.v);
    return { t: ts.t, v: zmsScores(kern, ts.v) };
  }

  protected override rawScore(ts: TimeSeries, prev?: TimeSeries): TimeSeries {
    const kern = this.kern!;
    return { t: ts.t, v: zmsScores(kern, ts.v, prev?.v) };
  }

  protected override copyOnlineState(): void {
    if (this.history) this.history = this.history.copy();
  }

  protected override rawStreamer(): RawStreamer {
    const h = this.history!;
    return {
      check: () => false,
      pushRaw: (_t, v) => h.push(v),
      peekRaw: (_t, v) => h.peek(v),
      learnRaw: (_t, v) => h.learn(v),
    };
  }

  protected override modelState(): JsonValue {
    const s = this.state!;
    const h = this.history!.snapshot();
    return {
      lags: s.lags.slice(),
      lagInflation: s.lagInflation,
      mean: encodeFloats(s.mean),
      scale: encodeFloats(s.scale),
      history: { first: encodeFloats([h.first])[0], seen: h.seen, recent: encodeFloats(h.recent) },
    };
  }

  protected override restoreModel(state: unknown, path: string): void {
    const lagsRaw = field(state, 'lags', path);
    if (!Array.isArray(lagsRaw) || lagsRaw.length > 20)
      throw new ModelFormatError('bad_field', `${path}.lags: expected an array of at most 20 lags`);
    const lags = lagsRaw.map((k, j) => {
      if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > 1e6)
        throw new ModelFormatError('bad_field', `${path}.lags[${j}]: expected an integer in [1, 1e6]`);
      return k;
    });
    const lagInflation = numberField(state, 'lagInflation', path);
    if (!(lagInflation >= 0 && lagInflation <= 100))
      throw new ModelFormatError('bad_field', `${path}.lagInflation: expected a number in [0, 100]`);
    const mean = decodeFloats(field(state, 'mean', path), `${path}.mean`, lags.length + 1);
    const scale = decodeFloats(field(state, 'scale', path), `${path}.scale`, lags.length + 1);
    for (let j = 0; j < scale.length; j++) {
      if (!(Number.isFinite(mean[j]) && Number.isFinite(scale[j]) && scale[j] >= MIN_SCALE))
        throw new ModelFormatError(
          'bad_field',
          `${path}.scale[${j}]: expected a finite mean and a finite scale ≥ ${MIN_SCALE}`,
        );
    }
    const hp = `${path}.history`;
    const h = field(state, 'history', path);
    const first = numberField(h, 'first', hp);
    const seen = intField(h, 'seen', hp, 0, Number.MAX_SAFE_INTEGER);
    const recent = decodeFloats(field(h, 'recent', hp), `${hp}.recent`);
    const s: ZmsState = { lags, lagInflation, mean: Array.from(mean), scale: Array.from(scale) };
    const kern = zmsKernel(s);
    if (recent.length !== Math.min(seen, Math.max(1, kern.maxLag)))
      throw new ModelFormatError('bad_field', `${hp}.recent: expected min(seen, max lag) values`);
    for (const v of recent)
      if (!Number.isFinite(v)) throw new ModelFormatError('bad_field', `${hp}.recent: values must be finite`);
    if (seen > 0 && !Number.isFinite(first))
      throw new ModelFormatError('bad_field', `${hp}.first: must be finite`);
    this.state = s;
    this.kern = kern;
    this.history = ZmsStreamCore.restore(kern, { first, seen, recent: Array.from(recent) });
  }
}

/** The model-file loader of ZmsDetector (listed in registry.ts). */
export const loadZmsDetector = baseLoader((c) => new ZmsDetector(c as ZmsInput));
