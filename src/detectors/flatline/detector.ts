/**
 * `FlatLineDetector`: a stuck sensor, as the run of near-constant values against the longest such run in
 * the series' own history (core.ts; docs/detectors-quality.md). Online.
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

export class FlatLineDetector extends BaseDetector<FlatLineConfig> {
  private core: FlatLineCore;

  constructor(cfg: FlatLineInput = {}) {
    super('FlatLineDetector', parseConfig(flatLineConfigSchema, cfg));
    this.core = new FlatLineCore(this.config.relTol);
  }

  protected override minTrainRows(): number {
    return 2;
  }

  protected override fitRows(frame: Frame): Float64Array {
    this.core = new FlatLineCore(this.config.relTol);
    return this.core.fit(frame.x);
  }

  protected override scoreRow(row: Float64Array): number {
    return this.core.scoreRow(row[0]);
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
