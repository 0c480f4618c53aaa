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
import { baseConfigShape } from '../base-config.js';
import { decodeFloats, encodeFloats, jsonFloat } from '../json.js';
import { defineDetector, loadAs, type SeriesModel, SpecDetector, specLoader } from '../spec.js';
import type { RawStreamer } from '../streaming.js';

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

/** The fitted state: the window's values, oldest first. */
const rollingMadStateSchema = z.object({ window: z.array(jsonFloat) });
type RollingMadState = z.infer<typeof rollingMadStateSchema>;

/** The raw model: the sliding window, learning as it scores. */
class MadModel implements SeriesModel<RollingMadState> {
  constructor(
    private readonly config: RollingMadConfig,
    private win: MadWindow,
  ) {}

  private run(w: MadWindow, v: Float64Array): Float64Array {
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) {
      out[i] = w.score(v[i], this.config.minRelScale);
      w.learn(v[i]);
    }
    return out;
  }

  fit(ts: TimeSeries): TimeSeries {
    this.win = new MadWindow(this.config.window);
    return { t: ts.t, v: this.run(this.win, ts.v) };
  }

  /** Runs on a copy of the detector (see BaseDetector.score): the window may slide. */
  score(ts: TimeSeries, prev?: TimeSeries): TimeSeries {
    const w = this.win;
    if (prev) for (let i = 0; i < prev.v.length; i++) w.learn(prev.v[i]);
    return { t: ts.t, v: this.run(w, ts.v) };
  }

  streamer(): RawStreamer {
    const w = this.win;
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

  copy(): MadModel {
    return new MadModel(this.config, this.win.copy());
  }

  toState(): RollingMadState {
    return { window: encodeFloats(this.win.values()) as RollingMadState['window'] };
  }
}

/** The RollingMad spec: config, state, and raw model (see docs/detectors.md). */
export const rollingMadSpec = defineDetector({
  type: 'RollingMad',
  level: 'series',
  config: rollingMadConfigSchema,
  state: rollingMadStateSchema,
  create: (config) => new MadModel(config, new MadWindow(config.window)),
  fromState: (state, { config, path }) => {
    // checked against the config before anything is allocated
    if (state.window.length > config.window)
      throw new ModelFormatError('bad_field', `${path}.window: expected at most ${config.window} values`);
    const vals = decodeFloats(state.window, `${path}.window`);
    const w = new MadWindow(config.window);
    for (const v of vals) {
      if (!Number.isFinite(v))
        throw new ModelFormatError('bad_field', `${path}.window: values must be finite`);
      w.learn(v);
    }
    return new MadModel(config, w);
  },
});

export class RollingMad extends SpecDetector<RollingMadConfig, MadModel> {
  constructor(cfg: RollingMadInput = {}) {
    super(rollingMadSpec, cfg);
  }

  /** Loads a RollingMad model file (any other type is a ModelFormatError). */
  static load(json: unknown): RollingMad {
    return loadAs(json, rollingMadSpec, RollingMad);
  }
}

/** The model-file loader of RollingMad (listed in registry.ts). */
export const loadRollingMad = specLoader((c) => new RollingMad(c as RollingMadInput));
