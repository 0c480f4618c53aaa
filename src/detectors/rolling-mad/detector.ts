/**
 * `RollingMad`: a robust rolling z-score. Each point is compared with the last `window` values
 * before it: score = (x − median) / (1.4826 · MAD), the median absolute deviation scaled to a
 * standard deviation for normal data (a floor keeps the scale positive on flat stretches). Online:
 * the window slides in streams and `update()`. docs/detectors.md walks through this file as the
 * example of writing a detector.
 */
import { z } from 'zod';
import { ModelFormatError } from '../../errors.js';
import type { TimeSeries } from '../../series/types.js';
import { BaseDetector, baseConfigShape, baseLoader, loadAs, parseConfig, type RawStreamer } from '../base.js';
import { decodeFloats, encodeFloats, field } from '../json.js';
import type { JsonValue } from '../types.js';

export const rollingMadConfigSchema = z.strictObject({
  ...baseConfigShape(1000),
  /** Number of past values each point is compared with. */
  window: z.number().int().min(3).max(100_000).default(100),
  /** Smallest scale, relative to 1 + |median| (flat stretches would divide by zero). */
  minRelScale: z.number().positive().max(1).default(1e-6),
});
export type RollingMadConfig = z.infer<typeof rollingMadConfigSchema>;
export type RollingMadInput = z.input<typeof rollingMadConfigSchema>;

/** The sliding window: a ring of the last `cap` values and sort scratch (no allocation per point). */
class MadWindow {
  readonly ring: Float64Array;
  size = 0;
  head = 0;
  private readonly sorted: Float64Array;
  private readonly dev: Float64Array;

  constructor(readonly cap: number) {
    this.ring = new Float64Array(cap);
    this.sorted = new Float64Array(cap);
    this.dev = new Float64Array(cap);
  }

  copy(): MadWindow {
    const c = new MadWindow(this.cap);
    c.ring.set(this.ring);
    c.size = this.size;
    c.head = this.head;
    return c;
  }

  learn(v: number): void {
    this.ring[(this.head + this.size) % this.cap] = v;
    if (this.size < this.cap) this.size++;
    else this.head = (this.head + 1) % this.cap;
  }

  /** The robust z-score of `v` against the window (0 before two values have been seen). */
  score(v: number, minRelScale: number): number {
    const n = this.size;
    if (n < 2) return 0;
    const s = this.sorted.subarray(0, n);
    for (let i = 0; i < n; i++) s[i] = this.ring[(this.head + i) % this.cap];
    s.sort();
    const med = median(s);
    const d = this.dev.subarray(0, n);
    for (let i = 0; i < n; i++) d[i] = Math.abs(s[i] - med);
    d.sort();
    const raw = Math.max(1.4826 * median(d), minRelScale * (1 + Math.abs(med)));
    const scale = raw <= Number.MAX_VALUE ? raw : Number.MAX_VALUE;
    const z = (v - med) / scale;
    // finite input, finite score
    return z > Number.MAX_VALUE ? Number.MAX_VALUE : z < -Number.MAX_VALUE ? -Number.MAX_VALUE : z;
  }

  /** The window's values, oldest first. */
  values(): Float64Array {
    const out = new Float64Array(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.ring[(this.head + i) % this.cap];
    return out;
  }
}

function median(sorted: Float64Array): number {
  const n = sorted.length;
  const h = n >> 1;
  return n % 2 === 1 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
}

export class RollingMad extends BaseDetector<RollingMadConfig> {
  private win: MadWindow | null = null;

  constructor(cfg: RollingMadInput = {}) {
    super('RollingMad', parseConfig(rollingMadConfigSchema, cfg));
  }

  /** Loads a RollingMad model file (any other type is a ModelFormatError). */
  static load(json: unknown): RollingMad {
    return loadAs(json, ['RollingMad'], loadRollingMad, RollingMad);
  }

  protected override rawTrain(ts: TimeSeries): TimeSeries {
    const w = new MadWindow(this.config.window);
    const out = new Float64Array(ts.v.length);
    for (let i = 0; i < ts.v.length; i++) {
      out[i] = w.score(ts.v[i], this.config.minRelScale);
      w.learn(ts.v[i]);
    }
    this.win = w;
    return { t: ts.t, v: out };
  }

  /** Scores on a copy of the detector (see BaseDetector.score): the window may slide. */
  protected override rawScore(ts: TimeSeries, prev?: TimeSeries): TimeSeries {
    const w = this.win!;
    if (prev) for (let i = 0; i < prev.v.length; i++) w.learn(prev.v[i]);
    const out = new Float64Array(ts.v.length);
    for (let i = 0; i < ts.v.length; i++) {
      out[i] = w.score(ts.v[i], this.config.minRelScale);
      w.learn(ts.v[i]);
    }
    return { t: ts.t, v: out };
  }

  protected override copyOnlineState(): void {
    if (this.win) this.win = this.win.copy();
  }

  protected override rawStreamer(): RawStreamer {
    const w = this.win!;
    const k = this.config.minRelScale;
    return {
      check: () => false,
      pushRaw: (_t, v) => {
        const s = w.score(v, k);
        w.learn(v);
        return s;
      },
      peekRaw: (_t, v) => w.score(v, k),
      learnRaw: (_t, v) => w.learn(v),
    };
  }

  protected override modelState(): JsonValue {
    return { window: encodeFloats(this.win!.values()) };
  }

  protected override restoreModel(state: unknown, path: string): void {
    const raw = field(state, 'window', path);
    // checked against the config before anything is allocated
    if (!Array.isArray(raw) || raw.length > this.config.window)
      throw new ModelFormatError(
        'bad_field',
        `${path}.window: expected at most ${this.config.window} values`,
      );
    const vals = decodeFloats(raw, `${path}.window`);
    const w = new MadWindow(this.config.window);
    for (const v of vals) {
      if (!Number.isFinite(v))
        throw new ModelFormatError('bad_field', `${path}.window: values must be finite`);
      w.learn(v);
    }
    this.win = w;
  }
}

/** The model-file loader of RollingMad (listed in registry.ts). */
export const loadRollingMad = baseLoader((c) => new RollingMad(c as RollingMadInput));
