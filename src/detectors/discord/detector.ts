/**
 * `DiscordDetector`: shape anomalies (changed frequency, distorted cycles) as a streaming left
 * matrix-profile discord (core.ts; docs/detectors-quality.md). The subsequence length is the training
 * data's dominant period (clamped to [minLength, maxLength]) unless set. Online.
 */
import { z } from 'zod';
import { ModelFormatError } from '../../errors.js';
import { baseConfigShape } from '../base-config.js';
import { intField, jsonFloat } from '../json.js';
import { defineDetector, loadAs, type RowModel, SpecDetector, specLoader } from '../spec.js';
import type { Frame } from '../transforms.js';
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

/** The fitted state: the subsequence length and the online core (see core.ts). */
const discordStateSchema = z.object({
  m: z.number(),
  core: z.object({
    x: z.array(jsonFloat),
    mu: z.array(jsonFloat),
    sd: z.array(jsonFloat),
    qt: z.array(jsonFloat),
    num: z.array(jsonFloat),
  }),
});
type DiscordState = z.infer<typeof discordStateSchema>;

/** The raw model: the streaming left matrix-profile core (it learns as it scores). */
class DiscordRaw implements RowModel<DiscordState> {
  constructor(
    private readonly config: DiscordConfig,
    public core: DiscordCore | null,
  ) {}

  fit(frame: Frame): Float64Array {
    const c = this.config;
    const v = frame.x;
    const lo = Math.min(c.minLength, c.maxLength);
    const hi = Math.max(c.minLength, c.maxLength);
    const p = c.m ?? dominantPeriod(v);
    const m = c.m ?? (p > 0 ? Math.min(hi, Math.max(lo, p)) : Math.min(hi, Math.max(lo, 32)));
    let mean = 0;
    for (let i = 0; i < v.length; i++) mean += v[i];
    mean /= v.length;
    const core = new DiscordCore(m, c.window);
    this.core = core;
    core.reset(mean);
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = core.push(v[i]);
    // warm-up: until a subsequence has a neighbour one period back (m can be clamped below the period)
    // its nearest neighbour is out of phase and its distance says nothing about the series; those
    // scores would teach the calibrator that large distances are normal
    const warm = Math.min(v.length, m - 1 + Math.max(p, m));
    out.fill(0, 0, warm);
    return out;
  }

  scoreRow(row: Float64Array): number {
    return this.core!.push(row[0]);
  }

  /** Scores without learning: on a copy. */
  peekRow(row: Float64Array): number {
    return this.copy().scoreRow(row);
  }

  /** Learns the row (the core learns as it scores). */
  learnRow(row: Float64Array): void {
    this.scoreRow(row);
  }

  /** The online core is copied through its own state codec (untrained: nothing to copy). */
  copy(): DiscordRaw {
    return this.core ? discordFromState(this.config, this.toState(), 'state.model') : this;
  }

  toState(): DiscordState {
    const core = this.core!;
    return { m: core.m, core: core.state() } as DiscordState;
  }
}

function discordFromState(config: DiscordConfig, state: DiscordState, path: string): DiscordRaw {
  const m = intField(state, 'm', path, 4, 1024);
  if (config.m !== null && m !== config.m) {
    throw new ModelFormatError('bad_field', `${path}.m: ${m} differs from config.m ${config.m}`);
  }
  const core = new DiscordCore(m, config.window);
  core.restore(state.core, `${path}.core`);
  return new DiscordRaw(config, core);
}

/** The DiscordDetector spec (see docs/detectors.md). */
export const discordSpec = defineDetector({
  type: 'DiscordDetector',
  level: 'row',
  learnsPrev: true,
  config: discordConfigSchema,
  state: discordStateSchema,
  minTrainRows: 16,
  create: (c) => new DiscordRaw(c, null),
  fromState: (s, { config, path }) => discordFromState(config, s, path),
});

export class DiscordDetector extends SpecDetector<DiscordConfig, DiscordRaw> {
  constructor(cfg: DiscordInput = {}) {
    super(discordSpec, cfg);
  }

  /** Loads a DiscordDetector model file (any other type is a ModelFormatError). */
  static load(json: unknown): DiscordDetector {
    return loadAs(json, discordSpec, DiscordDetector);
  }

  /** The subsequence length in use (null before training). */
  get length(): number | null {
    return this.raw.core?.m ?? null;
  }
}

/** Loads a `DiscordDetector` model file (see the registry in detectors/registry.ts). */
export const loadDiscordDetector = specLoader((c) => new DiscordDetector(c as DiscordInput));
