/**
 * Stuck-value core (docs/detectors-quality.md): the length of the current run of near-constant values,
 * against the longest such run in the series' own history.
 *
 * Training sets the tolerance: a point continues the run when it is within `relTol` × (median absolute
 * step between consecutive training values, or 1e-9 × |median value| if the series rarely moves) of the
 * run's first value. The raw score of a point is `run / (longest + 1)`, where `run` counts the repeats
 * so far (0 when the value moved) and `longest` is the longest run seen in training and in every run that
 * has ended since, or twice the longest run expected by chance, whichever is larger: with `q` the share of
 * steps that repeat a value (counted since training began, with one pseudo-count each way) and `N` the
 * points seen, the longest run of repeats expected among N points is `ln N / ln(1/q)`, so a sensor that
 * often repeats (an idle or coarsely quantised one) needs a much longer run than one that never repeats.
 * A run still in progress when training ends was part of the reference: it scores 0 until it ends (a
 * series constant through training is not "stuck" for staying constant).
 */
import { ModelFormatError } from '../../errors.js';
import { median } from '../discord/period.js';
import { decodeFloats, encodeFloats, field } from '../json.js';
import type { JsonValue } from '../types.js';

/** Slots of the per-value run table. */
export const VALUE_SLOTS = 8;
/** Runs recorded at a value before its own reference applies. */
export const MIN_VALUE_RUNS = 3;
/** Fields per slot: value, runs, points, repeats, longest. */
const SLOT = 5;

export class FlatLineCore {
  private tol = 0;
  private anchor = Number.NaN;
  private run = 0;
  private longest = 0;
  /** Points seen and steps that repeated the previous value (within the tolerance). */
  private seen = 0;
  private repeats = 0;
  /** 1 while the run in progress began during training. */
  private inherited = 0;
  /** The per-value run table, `VALUE_SLOTS` × [value, runs, points, repeats, longest]; runs 0 = empty. */
  private slots: Float64Array = new Float64Array(VALUE_SLOTS * SLOT);
  /** The reference of the value of the run in progress (0 when it has none). */
  private valueRef = 0;
  /** The run and reference behind the last score (`run / (reference + 1)`); not state, recomputed per point. */
  lastRun = 0;
  lastReference = 0;

  constructor(readonly relTol: number) {}

  fit(v: Float64Array): Float64Array {
    const n = v.length;
    const d = new Float64Array(Math.max(0, n - 1));
    let moved = 0;
    for (let i = 1; i < n; i++) {
      d[moved] = Math.abs(v[i] - v[i - 1]);
      if (d[moved] > 0) moved++;
    }
    const typical = moved > 0 ? median(d.subarray(0, moved)) : 0;
    this.tol = Math.max(this.relTol * typical, 1e-9 * Math.abs(median(v)), Number.MIN_VALUE);
    this.anchor = Number.NaN;
    this.run = 0;
    this.longest = 0;
    this.seen = 0;
    this.repeats = 0;
    this.inherited = 0;
    this.slots.fill(0);
    this.valueRef = 0;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.scoreRow(v[i]);
    // the training history is the reference: its own longest run does not count against it
    for (let i = 0; i < n; i++) out[i] = Math.min(out[i], 1);
    this.inherited = this.run > 0 ? 1 : 0;
    return out;
  }

  scoreRow(v: number): number {
    this.seen++;
    if (Math.abs(v - this.anchor) <= this.tol) {
      this.run++;
      this.repeats++;
    } else {
      if (this.run > this.longest) this.longest = this.run;
      if (!Number.isNaN(this.anchor)) this.record(this.anchor, this.run);
      this.run = 0;
      this.anchor = v;
      this.inherited = 0;
      this.valueRef = this.referenceAt(v);
    }
    this.lastRun = this.run;
    if (this.inherited === 1) {
      this.lastReference = Number.POSITIVE_INFINITY;
      return 0;
    }
    const q = (this.repeats + 1) / (this.seen + 1);
    const chance = q < 1 ? Math.log(this.seen + 1) / -Math.log(q) : Number.POSITIVE_INFINITY;
    this.lastReference = Math.max(this.longest, 2 * chance, this.valueRef);
    return this.run / (this.lastReference + 1);
  }

  /** The slot holding `v` (within the tolerance), or −1. */
  private slotOf(v: number): number {
    const s = this.slots;
    for (let k = 0; k < VALUE_SLOTS; k++) {
      if (s[k * SLOT + 1] > 0 && Math.abs(s[k * SLOT] - v) <= this.tol) return k;
    }
    return -1;
  }

  /** Records a finished run of `run` repeats at `v` in the per-value table. */
  private record(v: number, run: number): void {
    const s = this.slots;
    let k = this.slotOf(v);
    if (k < 0) {
      // an empty slot, else the one holding the fewest points (the first of them)
      k = 0;
      for (let j = 0; j < VALUE_SLOTS; j++) {
        if (s[j * SLOT + 2] < s[k * SLOT + 2]) k = j;
        if (s[j * SLOT + 1] === 0) {
          k = j;
          break;
        }
      }
      const o = k * SLOT;
      s[o] = v;
      s[o + 1] = 0;
      s[o + 2] = 0;
      s[o + 3] = 0;
      s[o + 4] = 0;
    }
    const o = k * SLOT;
    s[o + 1] += 1;
    s[o + 2] += run + 1;
    s[o + 3] += run;
    if (run > s[o + 4]) s[o + 4] = run;
  }

  /** The reference of runs at `v` from its own history (0 without enough of it). */
  private referenceAt(v: number): number {
    const k = this.slotOf(v);
    if (k < 0) return 0;
    const o = k * SLOT;
    const runs = this.slots[o + 1];
    if (runs < MIN_VALUE_RUNS) return 0;
    const qv = (this.slots[o + 3] + 1) / (this.slots[o + 2] + 2);
    return Math.max(this.slots[o + 4], (2 * Math.log(runs + 1)) / -Math.log(qv));
  }

  state(): JsonValue {
    return {
      num: encodeFloats([
        this.tol,
        this.anchor,
        this.run,
        this.longest,
        this.seen,
        this.repeats,
        this.inherited,
      ]),
      byValue: encodeFloats(this.slots),
    };
  }

  restore(state: unknown, path: string): void {
    const [tol, anchor, run, longest, seen, repeats, inherited] = decodeFloats(
      field(state, 'num', path),
      `${path}.num`,
      7,
    );
    if (
      !(seen >= 0 && seen <= 1e15 && Number.isInteger(seen)) ||
      !(repeats >= 0 && repeats <= seen && Number.isInteger(repeats)) ||
      (inherited !== 0 && inherited !== 1) ||
      // the tolerance and the anchor are in the data's units (values near 1e16 have a tolerance near
      // 1e7 and an anchor near 1e16): finite is enough
      !(tol > 0 && tol <= Number.MAX_VALUE) ||
      !(run >= 0 && run <= 1e15) ||
      !(longest >= 0 && longest <= 1e15) ||
      Math.abs(anchor) > Number.MAX_VALUE
    ) {
      throw new ModelFormatError(
        'bad_field',
        `${path}.num: expected a finite tolerance > 0, run lengths in [0, 1e15], a finite anchor (or NaN), integer counts with repeats ≤ points seen, and a 0/1 flag`,
      );
    }
    // files written before the per-value table existed carry none: an empty table
    const hasTable =
      state !== null && typeof state === 'object' && (state as Record<string, unknown>).byValue !== undefined;
    const slots = hasTable
      ? decodeFloats(field(state, 'byValue', path), `${path}.byValue`, VALUE_SLOTS * SLOT)
      : new Float64Array(VALUE_SLOTS * SLOT);
    for (let k = 0; k < VALUE_SLOTS; k++) {
      const [value, runs, points, reps, long] = slots.subarray(k * SLOT, k * SLOT + SLOT);
      const ok =
        Math.abs(value) <= Number.MAX_VALUE &&
        Number.isInteger(runs) &&
        runs >= 0 &&
        runs <= seen &&
        Number.isInteger(points) &&
        points >= runs &&
        points <= seen &&
        Number.isInteger(reps) &&
        reps === points - runs &&
        Number.isInteger(long) &&
        long >= 0 &&
        long <= reps;
      if (!ok) {
        throw new ModelFormatError(
          'bad_field',
          `${path}.byValue: slot ${k} must hold a finite value and integer counts with runs ≤ points ≤ points seen, repeats = points − runs and longest ≤ repeats`,
        );
      }
    }
    this.tol = tol;
    this.anchor = anchor;
    this.run = run;
    this.longest = longest;
    this.seen = seen;
    this.repeats = repeats;
    this.inherited = inherited;
    this.slots = slots;
    this.valueRef = Number.isNaN(anchor) ? 0 : this.referenceAt(anchor);
  }
}
