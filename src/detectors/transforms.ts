import { z } from 'zod';
import { ModelFormatError } from '../errors.js';
import type { TimeSeries } from '../series/types.js';
import { decodeFloats, encodeFloats, field } from './json.js';
import type { JsonValue } from './types.js';

/**
 * Transforms the detectors apply before their model (docs/detectors.md, Transforms): difference,
 * shingle, lag and mean/variance normalisation. Every transform is a causal filter over rows, so
 * one implementation serves batch and streaming: a pipeline pushes points one at a time through
 * its stages. Scoring with `prev` context feeds the tail of `prev` first and keeps the rows of the
 * new points, which is exactly "transform the concatenation, keep the part from x's first time".
 */
export const transformSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('difference') }),
  z.strictObject({ type: z.literal('shingle'), size: z.number().int().min(1).max(4096) }),
  z.strictObject({ type: z.literal('lag'), k: z.number().int().min(1).max(1_000_000) }),
  z.strictObject({ type: z.literal('meanVarNormalize') }),
]);
export type TransformSpec = z.infer<typeof transformSchema>;

/** Row-major transformed data: `n` rows of width `d`, row i at time `t[i]`. */
export interface Frame {
  readonly t: Float64Array;
  readonly x: Float64Array;
  readonly n: number;
  readonly d: number;
}

interface Stage {
  readonly dIn: number;
  readonly dOut: number;
  /** Number of earlier input rows this stage needs for a padding-free output. */
  readonly context: number;
  readonly out: Float64Array;
  /** Consumes one input row; returns false when there is no output row (difference's first point). */
  push(row: Float64Array): boolean;
  /** Saves the state `push` changes into fixed scratch space (an undo log of one step). */
  mark(): void;
  /** Restores the state saved by the last `mark()`. */
  rollback(): void;
  /** A stage with the same parameters and an independent copy of the state. */
  copy(): Stage;
}

class Difference implements Stage {
  readonly dOut: number;
  readonly context = 1;
  readonly out: Float64Array;
  private readonly last: Float64Array;
  private has = false;
  private readonly savedLast: Float64Array;
  private savedHas = false;
  constructor(readonly dIn: number) {
    this.dOut = dIn;
    this.out = new Float64Array(dIn);
    this.last = new Float64Array(dIn);
    this.savedLast = new Float64Array(dIn);
  }
  mark(): void {
    for (let j = 0; j < this.dIn; j++) this.savedLast[j] = this.last[j];
    this.savedHas = this.has;
  }
  rollback(): void {
    for (let j = 0; j < this.dIn; j++) this.last[j] = this.savedLast[j];
    this.has = this.savedHas;
  }
  copy(): Stage {
    const c = new Difference(this.dIn);
    c.last.set(this.last);
    c.has = this.has;
    return c;
  }
  push(row: Float64Array): boolean {
    const d = this.dIn;
    if (!this.has) {
      for (let j = 0; j < d; j++) this.last[j] = row[j];
      this.has = true;
      return false;
    }
    for (let j = 0; j < d; j++) {
      this.out[j] = row[j] - this.last[j];
      this.last[j] = row[j];
    }
    return true;
  }
}

/** Shingle of a univariate input: `[x_{i−s+1}, …, x_i]`, left-padded with the first value. */
class Shingle implements Stage {
  readonly dOut: number;
  readonly context: number;
  readonly out: Float64Array;
  private started = false;
  private readonly savedOut: Float64Array;
  private savedStarted = false;
  constructor(
    readonly dIn: number,
    private readonly size: number,
  ) {
    // Skipped (identity) on multivariate input, as in the reference.
    this.dOut = dIn === 1 ? size : dIn;
    this.context = dIn === 1 ? size - 1 : 0;
    this.out = new Float64Array(this.dOut);
    this.savedOut = new Float64Array(this.dOut);
  }
  // Element loops rather than `set` / `copyWithin` / `fill`: the rows are a few values long, and
  // the built-ins' call overhead (`copyWithin` goes through the runtime) is most of their cost.
  mark(): void {
    const o = this.out;
    const so = this.savedOut;
    for (let j = 0; j < o.length; j++) so[j] = o[j];
    this.savedStarted = this.started;
  }
  rollback(): void {
    const o = this.out;
    const so = this.savedOut;
    for (let j = 0; j < o.length; j++) o[j] = so[j];
    this.started = this.savedStarted;
  }
  copy(): Stage {
    const c = new Shingle(this.dIn, this.size);
    c.out.set(this.out);
    c.started = this.started;
    return c;
  }
  push(row: Float64Array): boolean {
    const o = this.out;
    if (this.dIn !== 1) {
      for (let j = 0; j < this.dIn; j++) o[j] = row[j];
      return true;
    }
    const v = row[0];
    const s = this.size;
    if (!this.started) {
      for (let j = 0; j < s; j++) o[j] = v;
      this.started = true;
      return true;
    }
    for (let j = 1; j < s; j++) o[j - 1] = o[j];
    o[s - 1] = v;
    return true;
  }
}

/** `x_i − x_{i−k}`, with `x_j = x_0` for j < 0 (per column). */
class Lag implements Stage {
  readonly dOut: number;
  readonly context: number;
  readonly out: Float64Array;
  private readonly ring: Float64Array;
  private count = 0;
  private savedCount = 0;
  private readonly savedSlot: Float64Array;
  constructor(
    readonly dIn: number,
    private readonly k: number,
  ) {
    this.dOut = dIn;
    this.context = k;
    this.out = new Float64Array(dIn);
    this.ring = new Float64Array(k * dIn);
    this.savedSlot = new Float64Array(dIn);
  }
  mark(): void {
    this.savedCount = this.count;
    // the first push fills the whole ring, but then count is 0 and rollback restores count 0
    const slot = (this.count % this.k) * this.dIn;
    for (let j = 0; j < this.dIn; j++) this.savedSlot[j] = this.ring[slot + j];
  }
  rollback(): void {
    this.count = this.savedCount;
    const slot = (this.count % this.k) * this.dIn;
    for (let j = 0; j < this.dIn; j++) this.ring[slot + j] = this.savedSlot[j];
  }
  copy(): Stage {
    const c = new Lag(this.dIn, this.k);
    c.ring.set(this.ring);
    c.count = this.count;
    return c;
  }
  push(row: Float64Array): boolean {
    const d = this.dIn;
    const k = this.k;
    if (this.count === 0)
      for (let i = 0; i < k; i++) for (let j = 0; j < d; j++) this.ring[i * d + j] = row[j];
    const slot = (this.count % k) * d; // holds x_{i−k}
    for (let j = 0; j < d; j++) {
      this.out[j] = row[j] - this.ring[slot + j];
      this.ring[slot + j] = row[j];
    }
    this.count++;
    return true;
  }
}

/** Per-column `(x − mean)/scale`; scale 1 for (numerically) constant columns (scikit-learn rule). */
class MeanVarNormalize implements Stage {
  readonly dOut: number;
  readonly context = 0;
  readonly out: Float64Array;
  constructor(
    readonly dIn: number,
    readonly mean: Float64Array,
    readonly scale: Float64Array,
  ) {
    this.dOut = dIn;
    this.out = new Float64Array(dIn);
  }
  push(row: Float64Array): boolean {
    for (let j = 0; j < this.dIn; j++) this.out[j] = (row[j] - this.mean[j]) / this.scale[j];
    return true;
  }
  mark(): void {}
  rollback(): void {}
  copy(): Stage {
    return new MeanVarNormalize(this.dIn, this.mean, this.scale);
  }

  static fit(f: Frame): { mean: Float64Array; scale: Float64Array } {
    const { n, d, x } = f;
    const mean = new Float64Array(d);
    const scale = new Float64Array(d).fill(1);
    for (let j = 0; j < d; j++) {
      let s = 0;
      let c = 0;
      for (let i = 0; i < n; i++) {
        const v = x[i * d + j];
        if (!Number.isNaN(v)) {
          s += v;
          c++;
        }
      }
      const m = c > 0 ? s / c : 0;
      let ss = 0;
      for (let i = 0; i < n; i++) {
        const v = x[i * d + j];
        if (!Number.isNaN(v)) ss += (v - m) * (v - m);
      }
      const variance = c > 0 ? ss / c : 0;
      const eps = Number.EPSILON;
      const bound = c * eps * variance + (c * m * eps) ** 2;
      mean[j] = m;
      scale[j] = variance <= bound || !Number.isFinite(variance) ? 1 : Math.sqrt(variance);
    }
    return { mean, scale };
  }
}

/** Pushes raw points through a chain of stages. Not reusable across independent passes. */
export class TransformStreamer {
  private readonly input = new Float64Array(1);
  constructor(private readonly stages: Stage[]) {}

  /** Width of the output rows. */
  get d(): number {
    return this.stages.length ? this.stages[this.stages.length - 1].dOut : 1;
  }

  /** Saves the state of every stage, so that `rollback()` can undo the next `push`. */
  mark(): void {
    for (const s of this.stages) s.mark();
  }

  /** Undoes the pushes since the last `mark()` (at most one: the undo log holds one step). */
  rollback(): void {
    for (const s of this.stages) s.rollback();
  }

  /** An independent copy (same parameters, same state). */
  copy(): TransformStreamer {
    return new TransformStreamer(this.stages.map((s) => s.copy()));
  }

  /** Pushes one raw value; returns the output row (a reused buffer: copy it to keep it) or null. */
  push(v: number): Float64Array | null {
    this.input[0] = v;
    let row: Float64Array = this.input;
    for (const s of this.stages) {
      if (!s.push(row)) return null;
      row = s.out;
    }
    return row;
  }
}

/** A trained chain of transforms for univariate input. */
export class TransformPipeline {
  readonly specs: readonly TransformSpec[];
  /** Fitted normalisation parameters, by stage index. */
  private fitted = new Map<number, { mean: Float64Array; scale: Float64Array }>();

  constructor(specs: readonly TransformSpec[]) {
    this.specs = specs;
  }

  private makeStages(): Stage[] {
    const stages: Stage[] = [];
    let d = 1;
    for (let k = 0; k < this.specs.length; k++) {
      const sp = this.specs[k];
      let st: Stage;
      switch (sp.type) {
        case 'difference':
          st = new Difference(d);
          break;
        case 'shingle':
          st = new Shingle(d, sp.size);
          break;
        case 'lag':
          st = new Lag(d, sp.k);
          break;
        case 'meanVarNormalize': {
          // unfitted normalisation (never trained) is the identity
          const p = this.fitted.get(k) ?? { mean: new Float64Array(d), scale: new Float64Array(d).fill(1) };
          st = new MeanVarNormalize(d, p.mean, p.scale);
          break;
        }
      }
      stages.push(st);
      d = st.dOut;
    }
    return stages;
  }

  /** Output width. */
  get d(): number {
    let d = 1;
    for (const sp of this.specs) if (sp.type === 'shingle' && d === 1) d = sp.size;
    return d;
  }

  /** Raw points of context needed before a point for its row to be padding-free. */
  get context(): number {
    let d = 1;
    let c = 0;
    for (const sp of this.specs) {
      if (sp.type === 'difference') c += 1;
      else if (sp.type === 'lag') c += sp.k;
      else if (sp.type === 'shingle' && d === 1) {
        c += sp.size - 1;
        d = sp.size;
      }
    }
    return c;
  }

  /** Fits the trainable stages (normalisation) on `ts` and returns the transformed training frame. */
  fit(ts: TimeSeries): Frame {
    this.fitted.clear();
    for (let k = 0; k < this.specs.length; k++) {
      if (this.specs[k].type !== 'meanVarNormalize') continue;
      // the input of stage k = the output of the stages before it
      const head = new TransformPipeline(this.specs.slice(0, k));
      head.fitted = this.fitted;
      const f = head.apply(ts);
      this.fitted.set(k, MeanVarNormalize.fit(f));
    }
    return this.apply(ts);
  }

  /** A streamer primed with `tail` (the last raw points seen, oldest first). */
  streamer(tail?: TimeSeries): TransformStreamer {
    const s = new TransformStreamer(this.makeStages());
    if (tail) for (let i = 0; i < tail.v.length; i++) s.push(tail.v[i]);
    return s;
  }

  /** Transforms `ts`, with the (tail of the) preceding `prev` as context (docs/detectors.md, Transforms). */
  apply(ts: TimeSeries, prev?: TimeSeries): Frame {
    const s = this.streamer(prev ? tailOf(prev, this.context) : undefined);
    const n = ts.v.length;
    const d = s.d;
    const t = new Float64Array(n);
    const x = new Float64Array(n * d);
    let m = 0;
    for (let i = 0; i < n; i++) {
      const row = s.push(ts.v[i]);
      if (row === null) continue;
      t[m] = ts.t[i];
      x.set(row, m * d);
      m++;
    }
    return { t: m === n ? t : t.slice(0, m), x: m === n ? x : x.slice(0, m * d), n: m, d };
  }

  toJSON(): JsonValue {
    const out: JsonValue[] = [];
    for (const [k, p] of [...this.fitted].sort((a, b) => a[0] - b[0])) {
      out.push({ stage: k, mean: encodeFloats(p.mean), scale: encodeFloats(p.scale) });
    }
    return out;
  }

  restore(state: unknown, path: string): void {
    if (!Array.isArray(state)) throw new ModelFormatError('bad_field', `${path}: expected an array`);
    this.fitted.clear();
    state.forEach((e, i) => {
      const p = `${path}[${i}]`;
      const k = field(e, 'stage', p);
      if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= this.specs.length) {
        throw new ModelFormatError(
          'bad_field',
          `${p}.stage: expected a stage index below ${this.specs.length}`,
        );
      }
      if (this.specs[k].type !== 'meanVarNormalize') {
        throw new ModelFormatError('bad_field', `${p}.stage: stage ${k} is not a meanVarNormalize transform`);
      }
      const width = dimBefore(this.specs, k);
      const mean = decodeFloats(field(e, 'mean', p), `${p}.mean`, width);
      const scale = decodeFloats(field(e, 'scale', p), `${p}.scale`, width);
      this.fitted.set(k, { mean, scale });
    });
  }
}

function dimBefore(specs: readonly TransformSpec[], k: number): number {
  let d = 1;
  for (let i = 0; i < k; i++) {
    const sp = specs[i];
    if (sp.type === 'shingle' && d === 1) d = sp.size;
  }
  return d;
}

/** The last `k` points of a series (a view, no copy). */
export function tailOf(ts: TimeSeries, k: number): TimeSeries {
  const n = ts.v.length;
  const s = Math.max(0, n - k);
  return { t: ts.t.subarray(s), v: ts.v.subarray(s) };
}
