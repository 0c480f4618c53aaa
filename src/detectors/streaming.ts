/**
 * The stream contracts between detectors, their raw models and ensembles (`RawStreamer`,
 * `StreamCore`, `StreamingDetector`), the default row-level raw streamer, and the tail buffer
 * `BaseDetector` keeps as transform context for streams.
 */
import type { TimeSeries } from '../series/types.js';
import { type TransformStreamer, tailOf } from './transforms.js';
import type { Detector, StreamResult } from './types.js';

/**
 * The raw streaming scorer of a model (series level). A push is a transaction: the stream calls
 * `check(t, v)` (every member of an ensemble first), and only when nothing throws, `pushRaw` or
 * `learnRaw` for the same point. `check` must throw every TsadError the push would raise and
 * change nothing; `pushRaw`/`learnRaw` must then not throw.
 */
export interface RawStreamer {
  /**
   * Throws what a push of (t, v) would raise, changing nothing. Returns true when the point lies
   * beyond a gap the model cannot bridge: the next `pushRaw`/`learnRaw` then restarts the model's
   * time-dependent state at this point (gap policy `'reset'`).
   */
  check(t: number, v: number): boolean;
  /**
   * Undoes whatever a successful `check` prepared, when the point is not pushed after all (another
   * ensemble member rejected it, or the gap policy is `'error'`). Optional: a `check` that changes
   * nothing needs none.
   */
  abort?(): void;
  /** Scores the point, then learns from it. NaN = no score for this point. */
  pushRaw(t: number, v: number): number;
  /** Scores the point without learning from it (nothing changes). */
  peekRaw(t: number, v: number): number;
  /** Learns from the point without scoring it. */
  learnRaw(t: number, v: number): void;
}

/**
 * A detector an ensemble can hold: the `Detector` contract plus the in-place forms the ensemble
 * composes (every tsad detector: `BaseDetector` subclasses and `NabStreamDetector`).
 */
export interface StreamingDetector extends Detector {
  /** Calibrated train scores of the last `train()`. */
  readonly trainScores: TimeSeries | null;
  /** A copy whose online state is independent of this one. */
  cloneOnline(): StreamingDetector;
  /** `score()` on this object's own state (callers clone first). */
  scoreInPlace(ts: TimeSeries, prev?: TimeSeries): TimeSeries;
  /** The alarm rule on calibrated scores (what `detect()` adds to `score()`). */
  applyRule(scores: TimeSeries): TimeSeries;
  /** The stream machinery on this object's own state. */
  openStream(): StreamCore;
}

/** Whether `x` is a detector an ensemble can hold. */
export function isStreamingDetector(x: unknown): x is StreamingDetector {
  if (x === null || typeof x !== 'object') return false;
  const d = x as Record<string, unknown>;
  return [
    'train',
    'score',
    'detect',
    'stream',
    'toJSON',
    'cloneOnline',
    'scoreInPlace',
    'applyRule',
    'openStream',
  ].every((k) => typeof d[k] === 'function');
}

/** A stream on a detector's own state (what `stream()` runs on a copy). Internal to detectors. */
export interface StreamCore {
  /** Validates the point (throws a TsadError, nothing changes); true = beyond a gap (see RawStreamer). */
  check(t: number, v: number): boolean;
  /** Undoes a successful `check` whose point will not be pushed (see RawStreamer.abort). */
  abort(): void;
  /** Pushes a checked point. */
  commit(t: number, v: number, reset: boolean): StreamResult;
  /** Scores a checked point without changing anything. */
  peek(t: number, v: number): number;
  /** Learns from a checked point without scoring it. */
  learn(t: number, v: number): void;
}

/** Keeps the last `cap` raw points seen (ring buffer), as transform context for streams. */
export class TailBuffer {
  private readonly t: Float64Array;
  private readonly v: Float64Array;
  private head = 0;
  size = 0;
  constructor(readonly cap: number) {
    this.t = new Float64Array(Math.max(cap, 1));
    this.v = new Float64Array(Math.max(cap, 1));
  }
  clear(): void {
    this.head = 0;
    this.size = 0;
  }
  push(t: number, v: number): void {
    if (this.cap === 0) return;
    const i = (this.head + this.size) % this.cap;
    this.t[i] = t;
    this.v[i] = v;
    if (this.size < this.cap) this.size++;
    else this.head = (this.head + 1) % this.cap;
  }
  pushSeries(ts: TimeSeries): void {
    const s = tailOf(ts, this.cap);
    for (let i = 0; i < s.v.length; i++) this.push(s.t[i], s.v[i]);
  }
  copy(): TailBuffer {
    const c = new TailBuffer(this.cap);
    c.t.set(this.t);
    c.v.set(this.v);
    c.head = this.head;
    c.size = this.size;
    return c;
  }
  toSeries(): TimeSeries {
    const t = new Float64Array(this.size);
    const v = new Float64Array(this.size);
    for (let k = 0; k < this.size; k++) {
      t[k] = this.t[(this.head + k) % this.cap];
      v[k] = this.v[(this.head + k) % this.cap];
    }
    return { t, v };
  }
  get lastTime(): number {
    return this.size === 0 ? Number.NEGATIVE_INFINITY : this.t[(this.head + this.size - 1) % this.cap];
  }
}

/** The row-level hooks a `rowStreamer` drives (bound to one detector). */
export interface RowHooks {
  checkRow(row: Float64Array, t: number): void;
  scoreRow(row: Float64Array, t: number): number;
  peekRow(row: Float64Array, t: number): number;
  learnRow(row: Float64Array, t: number): void;
}

/** The default raw streamer of a row-level detector: its transforms' streamer, then its row hooks. */
export function rowStreamer(ts: TransformStreamer, hooks: RowHooks): RawStreamer {
  // Compute, then commit: check() pushes the point through the transforms once (with a one-step
  // undo mark) and keeps the row pending; the push, peek or learn of the same point that follows
  // uses that row, and abort() (or any other call) undoes it. Transforms run once per push.
  let pending = false;
  let pendingT = Number.NaN;
  let pendingRow: Float64Array | null = null;
  const settle = (t: number): boolean => {
    if (!pending) return false;
    pending = false;
    if (t === pendingT) return true;
    ts.rollback();
    return false;
  };
  return {
    check: (t, v) => {
      if (pending) {
        pending = false;
        ts.rollback();
      }
      ts.mark();
      let row: Float64Array | null;
      try {
        row = ts.push(v);
        if (row !== null) hooks.checkRow(row, t);
      } catch (e) {
        ts.rollback();
        throw e;
      }
      pending = true;
      pendingT = t;
      pendingRow = row;
      return false;
    },
    abort: () => {
      if (pending) {
        pending = false;
        ts.rollback();
      }
    },
    pushRaw: (t, v) => {
      const row = settle(t) ? pendingRow : ts.push(v);
      return row === null ? Number.NaN : hooks.scoreRow(row, t);
    },
    peekRaw: (t, v) => {
      if (settle(t)) {
        // the pending row is already pushed: score it, then undo the push
        try {
          return pendingRow === null ? Number.NaN : hooks.peekRow(pendingRow, t);
        } finally {
          ts.rollback();
        }
      }
      ts.mark();
      try {
        const row = ts.push(v);
        return row === null ? Number.NaN : hooks.peekRow(row, t);
      } finally {
        ts.rollback();
      }
    },
    learnRaw: (t, v) => {
      const row = settle(t) ? pendingRow : ts.push(v);
      if (row !== null) hooks.learnRow(row, t);
    },
  };
}
