/**
 * `FlatLineDetector`: a stuck sensor, as the run of near-constant values against the longest such run in
 * the series' own history (core.ts; docs/detectors-quality.md). Online.
 *
 * The score is `3 · run / (reference + 1)` with no calibrator: the default alarm threshold (3) fires when
 * the current run is longer than every run in the history and than twice the longest expected by chance.
 * A calibrator trained on the short training part ranked any run a little longer than the training
 * ones as extreme (on NAB's count series, two or three equal counts in a row).
 */
import { z } from 'zod';
import { BaseDetector, baseConfigShape, baseLoader, parseConfig } from '../base.js';
import type { Frame } from '../transforms.js';
import type { JsonValue } from '../types.js';
import { FlatLineCore } from './core.js';

export const flatLineConfigSchema = z.strictObject({
  ...baseConfigShape(1000),
  /** Tolerance as a fraction of the median absolute step of the training data. */
  relTol: z.number().min(0).max(10).default(0.01),
});
export type FlatLineConfig = z.infer<typeof flatLineConfigSchema>;
export type FlatLineInput = z.input<typeof flatLineConfigSchema>;

/** The score of a run as long as the reference + 1: the default rule's alarm threshold. */
export const FLAT_LINE_ALARM_Z = 3;

export class FlatLineDetector extends BaseDetector<FlatLineConfig> {
  private core: FlatLineCore;

  constructor(cfg: FlatLineInput = {}) {
    super('FlatLineDetector', parseConfig(flatLineConfigSchema, cfg));
    this.core = new FlatLineCore(this.config.relTol);
  }

  protected override minTrainRows(): number {
    return 2;
  }

  protected override hasCalibrator(): boolean {
    return false;
  }

  protected override fitRows(frame: Frame): Float64Array {
    this.core = new FlatLineCore(this.config.relTol);
    const s = this.core.fit(frame.x);
    for (let i = 0; i < s.length; i++) s[i] *= FLAT_LINE_ALARM_Z;
    return s;
  }

  protected override scoreRow(row: Float64Array): number {
    return FLAT_LINE_ALARM_Z * this.core.scoreRow(row[0]);
  }

  /** Streams and score() run on copies: the online core is copied through its own state codec. */
  protected override copyOnlineState(): void {
    if (this.trained) this.restoreModel(this.modelState(), 'state.model');
  }

  /** Scores without learning: on a copy of the detector. */
  protected override peekRow(row: Float64Array): number {
    return this.cloneOnline().scoreRow(row);
  }

  /** Learns the row (the core learns as it scores). */
  protected override learnRow(row: Float64Array): void {
    this.scoreRow(row);
  }

  protected override modelState(): JsonValue {
    return this.core.state();
  }

  protected override restoreModel(state: unknown, path: string): void {
    const core = new FlatLineCore(this.config.relTol);
    core.restore(state, path);
    this.core = core;
  }
}

/** Loads a `FlatLineDetector` model file (see the registry in detectors/registry.ts). */
export const loadFlatLineDetector = baseLoader((c) => new FlatLineDetector(c as FlatLineInput));
