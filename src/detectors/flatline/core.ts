/**
 * Stuck-value core (docs/detectors-quality.md): the length of the current run of near-constant values,
 * against the longest such run in the series' own history.
 *
 * Training sets the tolerance: a point continues the run when it is within `relTol` × (median absolute
 * step between consecutive training values, or 1e-9 × |median value| if the series rarely moves) of the
 * run's first value. The raw score of a point is `run / (longest + 1)`, where `run` counts the repeats
 * so far (0 when the value moved) and `longest` is the longest run seen in training and in every run that
 * has ended since. A sensor that repeats values by design (coarse quantisation) has long runs in its
 * history and scores low; one that never repeats scores high after a few identical points.
 */
import { ModelFormatError } from '../../errors.js';
import { median } from '../discord/period.js';
import { decodeFloats, encodeFloats, field } from '../json.js';
import type { JsonValue } from '../types.js';

export class FlatLineCore {
  private tol = 0;
  private anchor = Number.NaN;
  private run = 0;
  private longest = 0;

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
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.scoreRow(v[i]);
    // the training history is the reference: its own longest run does not count against it
    for (let i = 0; i < n; i++) out[i] = Math.min(out[i], 1);
    return out;
  }

  scoreRow(v: number): number {
    if (Math.abs(v - this.anchor) <= this.tol) this.run++;
    else {
      if (this.run > this.longest) this.longest = this.run;
      this.run = 0;
      this.anchor = v;
    }
    return this.run / (this.longest + 1);
  }

  state(): JsonValue {
    return { num: encodeFloats([this.tol, this.anchor, this.run, this.longest]) };
  }

  restore(state: unknown, path: string): void {
    const [tol, anchor, run, longest] = decodeFloats(field(state, 'num', path), `${path}.num`, 4);
    if (
      !(tol > 0 && tol <= 1e15) ||
      !(run >= 0 && run <= 1e15) ||
      !(longest >= 0 && longest <= 1e15) ||
      Math.abs(anchor) > 1e15
    ) {
      throw new ModelFormatError(
        'bad_field',
        `${path}.num: expected 0 < tolerance ≤ 1e15, run lengths in [0, 1e15], |anchor| ≤ 1e15 (or NaN)`,
      );
    }
    this.tol = tol;
    this.anchor = anchor;
    this.run = run;
    this.longest = longest;
  }
}
