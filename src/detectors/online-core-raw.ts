/**
 * The raw model of a detector whose whole state is one online core that scores each point before it
 * learns from it (`NabStreamDetector`, `ArtDetector`): training streams the points through a fresh core;
 * `score(ts, {prev})` first learns the points of `prev` after the last one learned, then scores and
 * learns `ts`, so it equals pushing the points into `stream()` one by one; a peek scores on a copy. The
 * state is the core's JSON and the time of the last point learned. The model has no time-dependent
 * state: gaps never reset it.
 */
import { z } from 'zod';
import type { TimeSeries } from '../series/types.js';
import { encodeFloat, jsonFloat, jsonObject } from './json.js';
import type { SeriesModel } from './spec.js';
import type { RawStreamer } from './streaming.js';
import type { JsonObject } from './types.js';

/** What the raw model needs of a core. */
export interface OnlineCore<C> {
  /** Scores `v`, then learns it. */
  push(v: number): number;
  /** Becomes a copy of `o` (same config). */
  copyFrom(o: C): void;
  toJSON(): JsonObject;
}

/** The state schema: the core (validated by the core's own `restore`) and its last learned time. */
export const onlineCoreStateSchema = z.object({ core: jsonObject, lastLearned: jsonFloat });
export type OnlineCoreState = z.infer<typeof onlineCoreStateSchema>;

export abstract class OnlineCoreRaw<C extends OnlineCore<C>> implements SeriesModel<OnlineCoreState> {
  private scratch: C | null = null;

  constructor(
    public core: C,
    /** Time of the last point learned (training, `update()`, a stream, `prev` context). */
    protected lastLearned = Number.NEGATIVE_INFINITY,
  ) {}

  /** A fresh core of this model's config. */
  protected abstract newCore(): C;
  /** This model's class around `core`. */
  protected abstract wrap(core: C, lastLearned: number): this;
  /** Before training streams `ts` through `core` (default: nothing). */
  protected beginFit(_core: C, _ts: TimeSeries): void {}
  /** After training streamed `ts` through `core` (default: nothing). */
  protected endFit(_core: C): void {}
  /**
   * Refuses (typed) a value the core cannot learn, before anything learns it; `t` is its time when
   * known (default: every finite value is accepted).
   */
  protected checkValue(_v: number, _t: number | null): void {}

  fit(ts: TimeSeries): TimeSeries {
    for (let i = 0; i < ts.v.length; i++) this.checkValue(ts.v[i], ts.t[i]);
    const core = this.newCore();
    this.beginFit(core, ts);
    const raw = new Float64Array(ts.v.length);
    for (let i = 0; i < ts.v.length; i++) raw[i] = core.push(ts.v[i]);
    this.endFit(core);
    this.core = core;
    this.lastLearned = ts.t.length ? ts.t[ts.t.length - 1] : Number.NEGATIVE_INFINITY;
    return { t: ts.t.slice(), v: raw };
  }

  /** Runs on the core: learns the points of `prev` it has not seen, then scores (and learns) `ts`. */
  score(ts: TimeSeries, prev?: TimeSeries): TimeSeries {
    if (prev) for (let i = 0; i < prev.v.length; i++) this.checkValue(prev.v[i], prev.t[i]);
    for (let i = 0; i < ts.v.length; i++) this.checkValue(ts.v[i], ts.t[i]);
    const core = this.core;
    if (prev) for (let i = 0; i < prev.v.length; i++) if (prev.t[i] > this.lastLearned) core.push(prev.v[i]);
    const out = new Float64Array(ts.v.length);
    for (let i = 0; i < ts.v.length; i++) out[i] = core.push(ts.v[i]);
    if (ts.t.length) this.lastLearned = Math.max(this.lastLearned, ts.t[ts.t.length - 1]);
    return { t: ts.t, v: out };
  }

  streamer(): RawStreamer {
    return {
      // no time-dependent state: gaps never reset; a value the core refuses is refused here, before any change
      check: (t, v) => {
        this.checkValue(v, t);
        return false;
      },
      pushRaw: (t, v) => {
        this.checkValue(v, t);
        this.lastLearned = t;
        return this.core.push(v);
      },
      peekRaw: (t, v) => {
        this.checkValue(v, t);
        this.scratch ??= this.newCore();
        this.scratch.copyFrom(this.core);
        return this.scratch.push(v);
      },
      learnRaw: (t, v) => {
        this.checkValue(v, t);
        this.core.push(v);
        this.lastLearned = t;
      },
    };
  }

  copy(): this {
    const core = this.newCore();
    core.copyFrom(this.core);
    return this.wrap(core, this.lastLearned);
  }

  toState(): OnlineCoreState {
    return { core: this.core.toJSON(), lastLearned: encodeFloat(this.lastLearned) } as OnlineCoreState;
  }
}
