/**
 * `DiscordDetector`: shape anomalies (changed frequency, distorted cycles) as a streaming left
 * matrix-profile discord (core.ts; docs/detectors-quality.md). The subsequence length is the training
 * data's dominant period (clamped to [minLength, maxLength]) unless set. Online.
 */
import { z } from 'zod';
import { ModelFormatError } from '../../errors.js';
import { BaseDetector, baseConfigShape, baseLoader, parseConfig } from '../base.js';
import { field, intField } from '../json.js';
import type { Frame } from '../transforms.js';
import type { JsonValue } from '../types.js';
import { DiscordCore } from './core.js';
import { dominantPeriod } from './period.js';

export const discordConfigSchema = z.strictObject({
  ...baseConfigShape(1000),
  /** Subsequence length; null = the dominant period of the training data, clamped. */
  m: z.number().int().min(4).max(1024).nullable().default(null),
  minLength: z.number().int().min(4).max(1024).default(8),
  maxLength: z.number().int().min(4).max(1024).default(96),
  /** How many past subsequences the nearest neighbour is searched among. */
  window: z.number().int().min(8).max(100_000).default(1024),
});
export type DiscordConfig = z.infer<typeof discordConfigSchema>;
export type DiscordInput = z.input<typeof discordConfigSchema>;

export class DiscordDetector extends BaseDetector<DiscordConfig> {
  private core: DiscordCore | null = null;

  constructor(cfg: DiscordInput = {}) {
    super('DiscordDetector', parseConfig(discordConfigSchema, cfg));
  }

  /** The subsequence length in use (null before training). */
  get length(): number | null {
    return this.core?.m ?? null;
  }

  protected override minTrainRows(): number {
    return 16;
  }

  protected override fitRows(frame: Frame): Float64Array {
    const c = this.config;
    const v = frame.x;
    const lo = Math.min(c.minLength, c.maxLength);
    const hi = Math.max(c.minLength, c.maxLength);
    const p = c.m ?? dominantPeriod(v);
    const m = c.m ?? (p > 0 ? Math.min(hi, Math.max(lo, p)) : Math.min(hi, Math.max(lo, 32)));
    let mean = 0;
    for (let i = 0; i < v.length; i++) mean += v[i];
    mean /= v.length;
    this.core = new DiscordCore(m, c.window);
    this.core.reset(mean);
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.core.push(v[i]);
    // warm-up: until a subsequence has a neighbour one period back (m can be clamped below the period)
    // its nearest neighbour is out of phase and its distance says nothing about the series; those
    // scores would teach the calibrator that large distances are normal
    const warm = Math.min(v.length, m - 1 + Math.max(p, m));
    out.fill(0, 0, warm);
    return out;
  }

  protected override scoreRow(row: Float64Array): number {
    return this.core!.push(row[0]);
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
    const core = this.core!;
    return { m: core.m, core: core.state() };
  }

  protected override restoreModel(state: unknown, path: string): void {
    const m = intField(state, 'm', path, 4, 1024);
    if (this.config.m !== null && m !== this.config.m) {
      throw new ModelFormatError('bad_field', `${path}.m: ${m} differs from config.m ${this.config.m}`);
    }
    const core = new DiscordCore(m, this.config.window);
    core.restore(field(state, 'core', path), `${path}.core`);
    this.core = core;
  }
}

/** Loads a `DiscordDetector` model file (see the registry in detectors/registry.ts). */
export const loadDiscordDetector = baseLoader((c) => new DiscordDetector(c as DiscordInput));
