/**
 * `ChangePointDetector`: level shifts and drifts, as a robust two-sided CUSUM on seasonal residuals
 * (core.ts; method and sources in docs/detectors-quality.md). Online: every scored point updates the sums.
 *
 * The score is the CUSUM in units of its decision level, `ALARM_Z · S / h`: no calibrator (the CUSUM on
 * standardised residuals is calibrated by construction), so the default alarm threshold (3) fires exactly
 * when `S` passes `h`, the test's own decision rule. A calibrator trained on the short training part
 * ranked every excursion longer than the training ones as extreme, and alarmed on anomaly-free series.
 */
import { z } from 'zod';
import { BaseDetector, baseConfigShape, baseLoader, parseConfig } from '../base.js';
import type { Frame } from '../transforms.js';
import type { JsonValue } from '../types.js';
import { ChangePointCore } from './core.js';

export const changePointConfigSchema = z.strictObject({
  ...baseConfigShape(1000),
  /** CUSUM allowance, in residual standard deviations. */
  k: z.number().min(0).max(10).default(0.5),
  /** CUSUM decision level (re-anchors the level above it). */
  h: z.number().positive().max(1000).default(20),
  /** Clip of the standardised residual. */
  clip: z.number().positive().max(100).default(4),
  /** Seasonal period in points; null = learnt from the training data. */
  period: z.number().int().min(1).max(100_000).nullable().default(null),
});
export type ChangePointConfig = z.infer<typeof changePointConfigSchema>;
export type ChangePointInput = z.input<typeof changePointConfigSchema>;

/** The score at the CUSUM's decision level `h`: the default rule's alarm threshold. */
export const CHANGE_POINT_ALARM_Z = 3;

export class ChangePointDetector extends BaseDetector<ChangePointConfig> {
  private core: ChangePointCore;

  constructor(cfg: ChangePointInput = {}) {
    super('ChangePointDetector', parseConfig(changePointConfigSchema, cfg));
    this.core = this.newCore();
  }

  private newCore(): ChangePointCore {
    const c = this.config;
    return new ChangePointCore({ k: c.k, h: c.h, clip: c.clip, period: c.period });
  }

  protected override minTrainRows(): number {
    return 8;
  }

  protected override hasCalibrator(): boolean {
    return false;
  }

  protected override fitRows(frame: Frame): Float64Array {
    this.core = this.newCore();
    const s = this.core.fit(frame.t, frame.x);
    const f = CHANGE_POINT_ALARM_Z / this.config.h;
    for (let i = 0; i < s.length; i++) s[i] *= f;
    return s;
  }

  protected override scoreRow(row: Float64Array, t: number): number {
    return (CHANGE_POINT_ALARM_Z * this.core.scoreRow(t, row[0])) / this.config.h;
  }

  /** Streams and score() run on copies: the online core is copied through its own state codec. */
  protected override copyOnlineState(): void {
    if (this.trained) this.restoreModel(this.modelState(), 'state.model');
  }

  /** Scores without learning: on a copy of the detector. */
  protected override peekRow(row: Float64Array, t: number): number {
    return this.cloneOnline().scoreRow(row, t);
  }

  /** Learns the row (the core learns as it scores). */
  protected override learnRow(row: Float64Array, t: number): void {
    this.scoreRow(row, t);
  }

  protected override modelState(): JsonValue {
    return this.core.state();
  }

  protected override restoreModel(state: unknown, path: string): void {
    const core = this.newCore();
    core.restore(state, path);
    this.core = core;
  }
}

/** Loads a `ChangePointDetector` model file (see the registry in detectors/registry.ts). */
export const loadChangePointDetector = baseLoader((c) => new ChangePointDetector(c as ChangePointInput));
