/**
 * `DiscordDetector`: shape anomalies (changed frequency, distorted cycles) as streaming left
 * matrix-profile discords at several subsequence lengths around the training data's dominant period
 * (core.ts; docs/detectors-quality.md). Each length's distance is divided by its own high quantile over
 * the training part, and the score is the largest of these ratios. Missing-data gaps (a step far longer
 * than the usual one) exclude the subsequences that span them. Online.
 */

import { z } from 'zod';
import { ModelFormatError } from '../../errors.js';
import { clampFinite } from '../../math/finite.js';
import { baseConfigShape } from '../base-config.js';
import { decodeFloat, encodeFloat, intField, jsonFloat } from '../json.js';
import { defineDetector, loadAs, type RowModel, SpecDetector, specLoader } from '../spec.js';
import type { Frame } from '../transforms.js';
import type { JsonObject } from '../types.js';
import { DiscordCore } from './core.js';
import { dominantPeriod, median } from './period.js';

export const discordConfigSchema = z.strictObject({
  ...baseConfigShape(1000),
  /** One fixed subsequence length; null = lengths from the dominant period of the training data. */
  m: z.number().int().min(4).max(1024).nullable().default(null),
  /** Subsequence lengths as multiples of the period (each clamped to [minLength, maxLength]). */
  lengths: z.array(z.number().min(0.05).max(8)).min(1).max(6).default([0.5, 1, 2]),
  /**
   * When the longest length would exceed `maxLength`, shrink all lengths together (keeping their
   * ratios, so a long period still gets several lengths) instead of clamping each one.
   */
  keepRatios: z.boolean().default(true),
  minLength: z.number().int().min(4).max(1024).default(8),
  maxLength: z.number().int().min(4).max(1024).default(96),
  /** How many past subsequences the nearest neighbour is searched among. */
  /**
   * How many past subsequences the nearest neighbour is searched among; null = 20 periods, at least
   * 2,048 and at most 8,192 (cost per point is proportional).
   */
  window: z.number().int().min(8).max(100_000).nullable().default(null),
  /**
   * z-normalisation divides by max(sd, noiseFloor × the training noise level): stretches no wider than
   * the noise stay nearly flat instead of being blown up into random shapes. 0 = plain z-normalisation.
   */
  noiseFloor: z.number().min(0).max(100).default(3),
  /**
   * Which distances score: `znorm` (shape: z-normalised), `euclid` (means removed, spreads kept: shape
   * and amplitude) or `both` (the larger of the two, each divided by its own training quantile).
   */
  views: z.enum(['znorm', 'euclid', 'both']).default('both'),
  /** How the lengths' scores combine: the largest, or their mean (a shape new at every length). */
  combine: z.enum(['max', 'mean']).default('max'),
  /** Each length's distances are divided by this quantile of its training distances (1 = the maximum). */
  scaleQuantile: z.number().min(0.5).max(1).default(0.99),
  /** A step longer than `gapFactor` × the median training step is a gap in the data. */
  gapFactor: z.number().min(1.01).max(1000).default(3),
});
export type DiscordConfig = z.infer<typeof discordConfigSchema>;
export type DiscordInput = z.input<typeof discordConfigSchema>;

const coreStateSchema = z.object({
  x: z.array(jsonFloat),
  mu: z.array(jsonFloat),
  sd: z.array(jsonFloat),
  qt: z.array(jsonFloat),
  num: z.array(jsonFloat),
});

/** The fitted state: the usual step and last time (gaps), and per length its core and scale. */
const discordStateSchema = z.object({
  step: jsonFloat,
  lastT: jsonFloat,
  members: z.array(
    z.object({
      m: z.number(),
      window: z.number(),
      scale: jsonFloat,
      scaleE: jsonFloat,
      core: coreStateSchema,
    }),
  ),
});
type DiscordState = z.infer<typeof discordStateSchema>;

/** Training noise level: the robust spread of first differences, / √2 (white noise of sd σ gives σ√2). */
function noiseLevel(v: Float64Array): number {
  if (v.length < 3) return 0;
  const d = new Float64Array(v.length - 1);
  for (let i = 1; i < v.length; i++) d[i - 1] = v[i] - v[i - 1];
  const med = median(d);
  for (let i = 0; i < d.length; i++) d[i] = Math.abs(d[i] - med);
  return (1.4826 * median(d)) / Math.SQRT2;
}

/** The q-quantile of x (sorted copy; NaN when empty). */
function quantile(x: Float64Array, q: number): number {
  if (x.length === 0) return Number.NaN;
  const s = Float64Array.from(x).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** The subsequence lengths for a period `p` (0 = none found: lengths around 32). */
export function discordLengths(c: DiscordConfig, p: number): number[] {
  if (c.m !== null) return [c.m];
  const lo = Math.min(c.minLength, c.maxLength);
  const hi = Math.max(c.minLength, c.maxLength);
  let base = p > 0 ? p : 32;
  const top = Math.max(...c.lengths);
  if (c.keepRatios && top * base > hi) base = hi / top;
  const out: number[] = [];
  for (const f of c.lengths) {
    const m = Math.min(hi, Math.max(lo, Math.round(f * base)));
    if (!out.includes(m)) out.push(m);
  }
  return out.sort((a, b) => a - b);
}

interface Member {
  readonly core: DiscordCore;
  /** Divisors of the z-normalised and the Euclidean distance (Infinity: that view is off). */
  scale: number;
  scaleE: number;
}

/**
 * The divisor of one view: a high quantile of its training distances after warm-up, at least `least`
 * (a series that repeats exactly has training distances of rounding size; dividing by them would turn
 * rounding into scores); `fallback` when training leaves fewer than 8 distances.
 */
function viewScale(seen: Float64Array, q: number, least: number, fallback: number): number {
  return seen.length >= 8 ? Math.max(quantile(seen, q), least) : fallback;
}

/** The raw model: one streaming left matrix-profile core per length (they learn as they score). */
class DiscordRaw implements RowModel<DiscordState> {
  constructor(
    private readonly config: DiscordConfig,
    public members: Member[],
    public step: number,
    public lastT: number,
  ) {}

  fit(frame: Frame): Float64Array {
    const c = this.config;
    const v = frame.x;
    const t = frame.t;
    const n = v.length;
    const p = dominantPeriod(v);
    const lengths = discordLengths(c, p);
    const window = c.window ?? Math.min(8192, Math.max(2048, 20 * p));
    let mean = 0;
    for (let i = 0; i < n; i++) mean += v[i];
    mean /= n;
    const dt = new Float64Array(Math.max(0, n - 1));
    for (let i = 1; i < n; i++) dt[i - 1] = t[i] - t[i - 1];
    this.step = dt.length ? median(dt) : 0;
    const floor = c.noiseFloor * noiseLevel(v);
    let spread = 0;
    for (let i = 0; i < n; i++) spread += (v[i] - mean) ** 2;
    spread = Math.sqrt(spread / n);
    const out = new Float64Array(n);
    const scores = new Float64Array(n);
    const eus = new Float64Array(n);
    this.members = [];
    for (const m of lengths) {
      const core = new DiscordCore(m, window);
      core.reset(mean, floor);
      for (let i = 0; i < n; i++) {
        if (i > 0 && this.isGap(t[i] - t[i - 1])) core.gap();
        scores[i] = core.push(v[i]);
        eus[i] = core.euclid;
      }
      // warm-up: until a subsequence has a neighbour one period back its nearest neighbour is out of
      // phase and its distance says nothing about the series; those scores would set the scale (and
      // teach the calibrator) that large distances are normal
      const warm = Math.min(n, m - 1 + Math.max(p, m));
      const w = Math.min(warm, n);
      const scale =
        c.views === 'euclid'
          ? Number.POSITIVE_INFINITY
          : viewScale(scores.subarray(w), c.scaleQuantile, 0.01, 1);
      const scaleE =
        c.views === 'znorm'
          ? Number.POSITIVE_INFINITY
          : viewScale(eus.subarray(w), c.scaleQuantile, 0.01 * spread || 1e-12, spread || 1);
      for (let i = w; i < n; i++) {
        const s = clampFinite(Math.max(scores[i] / scale, eus[i] / scaleE));
        if (c.combine === 'mean') out[i] += s / lengths.length;
        else if (s > out[i]) out[i] = s;
      }
      this.members.push({ core, scale, scaleE });
    }
    this.lastT = n ? t[n - 1] : Number.NaN;
    return out;
  }

  private isGap(dt: number): boolean {
    return this.step > 0 && dt > this.config.gapFactor * this.step;
  }

  scoreRow(row: Float64Array, t: number): number {
    const gap = Number.isFinite(this.lastT) && this.isGap(t - this.lastT);
    this.lastT = t;
    let best = 0;
    let sum = 0;
    for (const mb of this.members) {
      if (gap) mb.core.gap();
      const z = mb.core.push(row[0]) / mb.scale;
      const e = mb.core.euclid / mb.scaleE;
      // a distance over a scale near zero (a degenerate or edited model file) stays a finite score
      const s = clampFinite(z > e ? z : e);
      sum += s;
      if (s > best) best = s;
    }
    return this.config.combine === 'mean' ? clampFinite(sum / this.members.length) : best;
  }

  /** Scores without learning: on a copy. */
  peekRow(row: Float64Array, t: number): number {
    return this.copy().scoreRow(row, t);
  }

  /** Learns the row (the cores learn as they score). */
  learnRow(row: Float64Array, t: number): void {
    this.scoreRow(row, t);
  }

  /** The online cores are copied through their own state codec (untrained: nothing to copy). */
  copy(): DiscordRaw {
    return this.members.length ? discordFromState(this.config, this.toState(), 'state.model') : this;
  }

  toState(): DiscordState {
    return {
      step: encodeFloat(this.step),
      lastT: encodeFloat(this.lastT),
      members: this.members.map((mb) => ({
        m: mb.core.m,
        window: mb.core.window,
        scale: encodeFloat(mb.scale),
        scaleE: encodeFloat(mb.scaleE),
        core: mb.core.state(),
      })),
    } as DiscordState;
  }
}

function discordFromState(config: DiscordConfig, state: DiscordState, path: string): DiscordRaw {
  if (state.members.length < 1 || state.members.length > 6) {
    throw new ModelFormatError(
      'bad_field',
      `${path}.members: expected 1 to 6 lengths, got ${state.members.length}`,
    );
  }
  const step = decodeFloat(state.step, `${path}.step`);
  const lastT = decodeFloat(state.lastT, `${path}.lastT`);
  if (!(step >= 0 && Number.isFinite(step))) {
    throw new ModelFormatError('bad_field', `${path}.step: must be a finite number ≥ 0, got ${step}`);
  }
  const members = state.members.map((s, k) => {
    const p = `${path}.members[${k}]`;
    const m = intField(s, 'm', p, 4, 1024);
    const window = intField(s, 'window', p, 8, 100_000);
    if (config.window !== null && window !== config.window) {
      throw new ModelFormatError(
        'bad_field',
        `${p}.window: ${window} differs from config.window ${config.window}`,
      );
    }
    if (config.m !== null && m !== config.m) {
      throw new ModelFormatError('bad_field', `${p}.m: ${m} differs from config.m ${config.m}`);
    }
    const scale = decodeFloat(s.scale, `${p}.scale`);
    const scaleE = decodeFloat(s.scaleE, `${p}.scaleE`);
    if (!(scale > 0) || !(scaleE > 0) || (scale === Infinity && scaleE === Infinity)) {
      throw new ModelFormatError(
        'bad_field',
        `${p}: scale and scaleE must be numbers > 0 (Infinity turns a view off; not both)`,
      );
    }
    const core = new DiscordCore(m, window);
    core.restore(s.core, `${p}.core`);
    return { core, scale, scaleE };
  });
  return new DiscordRaw(config, members, step, lastT);
}

/** State version 2 (one length, no gaps, no noise floor) → 3: one member of scale 1, gaps off. */
function migrateOneLength(s: JsonObject, config: JsonObject): JsonObject {
  const model = s.model;
  if (model === null || typeof model !== 'object' || Array.isArray(model)) return { ...s, stateVersion: 3 };
  const core = model.core;
  const num =
    core !== null && typeof core === 'object' && !Array.isArray(core) && Array.isArray(core.num)
      ? [...core.num, 0, 0]
      : null;
  const newCore =
    num && core !== null && typeof core === 'object' && !Array.isArray(core) ? { ...core, num } : core;
  return {
    ...s,
    stateVersion: 3,
    model: {
      step: 0,
      lastT: 'NaN',
      members: [
        {
          m: model.m ?? null,
          window: config.window ?? 1024,
          scale: 1,
          scaleE: 'Infinity',
          core: newCore ?? null,
        },
      ],
    },
  };
}

/** The DiscordDetector spec (see docs/detectors.md). */
export const discordSpec = defineDetector({
  type: 'DiscordDetector',
  level: 'row',
  learnsPrev: true,
  config: discordConfigSchema,
  state: discordStateSchema,
  stateVersion: 3,
  migrations: { 2: migrateOneLength },
  minTrainRows: 16,
  create: (c) => new DiscordRaw(c, [], 0, Number.NaN),
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

  /** The middle subsequence length (the period's own, clamped, with the default lengths; null before training). */
  get length(): number | null {
    const ms = this.lengths;
    return ms.length ? ms[ms.length >> 1] : null;
  }

  /** Every subsequence length in use, shortest first (empty before training). */
  get lengths(): number[] {
    return this.raw.members.map((mb) => mb.core.m);
  }
}

/** Loads a `DiscordDetector` model file (see the registry in detectors/registry.ts). */
export const loadDiscordDetector = specLoader((c) => new DiscordDetector(c as DiscordInput));
