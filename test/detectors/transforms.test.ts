import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TransformPipeline, type TransformSpec } from '../../src/detectors/index.js';
import type { TimeSeries } from '../../src/series/index.js';

const ts = (v: number[]): TimeSeries => ({
  t: Float64Array.from(v, (_, i) => 1000 * (i + 1)),
  v: Float64Array.from(v),
});
const rows = (f: { x: Float64Array; n: number; d: number }) =>
  Array.from({ length: f.n }, (_, i) => Array.from(f.x.subarray(i * f.d, (i + 1) * f.d)));

describe('transforms (docs/detectors.md, Transforms)', () => {
  const x = ts([1, 4, 9, 16, 25]);
  it('difference drops the first timestamp', () => {
    const f = new TransformPipeline([{ type: 'difference' }]).fit(x);
    expect(Array.from(f.t)).toEqual([2000, 3000, 4000, 5000]);
    expect(rows(f)).toEqual([[3], [5], [7], [9]]);
  });
  it('shingle pads with the first value', () => {
    const f = new TransformPipeline([{ type: 'shingle', size: 3 }]).fit(x);
    expect(rows(f)).toEqual([
      [1, 1, 1],
      [1, 1, 4],
      [1, 4, 9],
      [4, 9, 16],
      [9, 16, 25],
    ]);
  });
  it('difference → shingle(2) is Merlion IsolationForest’s row [d_{t−1}, d_t]', () => {
    const f = new TransformPipeline([{ type: 'difference' }, { type: 'shingle', size: 2 }]).fit(x);
    expect(rows(f)).toEqual([
      [3, 3],
      [3, 5],
      [5, 7],
      [7, 9],
    ]);
  });
  it('lag pads with x_0', () => {
    const f = new TransformPipeline([{ type: 'lag', k: 2 }]).fit(x);
    expect(rows(f)).toEqual([[0], [3], [8], [12], [16]]);
  });
  it('meanVarNormalize uses the population std, scale 1 when constant', () => {
    const p = new TransformPipeline([{ type: 'meanVarNormalize' }]);
    const f = p.fit(ts([1, 2, 3]));
    const sd = Math.sqrt(2 / 3);
    expect(rows(f)).toEqual([[-1 / sd], [0], [1 / sd]]);
    expect(rows(new TransformPipeline([{ type: 'meanVarNormalize' }]).fit(ts([5, 5, 5])))).toEqual([
      [0],
      [0],
      [0],
    ]);
    const q = new TransformPipeline([{ type: 'meanVarNormalize' }]);
    q.restore(JSON.parse(JSON.stringify(p.toJSON())), 'state');
    expect(rows(q.apply(ts([4])))).toEqual(rows(p.apply(ts([4]))));
  });

  const specArb: fc.Arbitrary<TransformSpec[]> = fc.array(
    fc.oneof(
      fc.constant<TransformSpec>({ type: 'difference' }),
      fc.integer({ min: 1, max: 5 }).map((size): TransformSpec => ({ type: 'shingle', size })),
      fc.integer({ min: 1, max: 4 }).map((k): TransformSpec => ({ type: 'lag', k })),
      fc.constant<TransformSpec>({ type: 'meanVarNormalize' }),
    ),
    { maxLength: 4 },
  );
  it('property: with prev = transform the concatenation, keep the part of x; streaming = batch', () => {
    fc.assert(
      fc.property(
        specArb,
        fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 40 }),
        (specs, vals, cut) => {
          const all = ts(vals);
          const k = Math.min(cut, vals.length - 1);
          const prev = { t: all.t.slice(0, k), v: all.v.slice(0, k) };
          const cur = { t: all.t.slice(k), v: all.v.slice(k) };
          const p = new TransformPipeline(specs);
          p.fit(all);
          const whole = p.apply(all);
          const part = p.apply(cur, prev);
          const keep = Array.from(whole.t.keys()).filter((i) => whole.t[i] >= cur.t[0]);
          expect(Array.from(part.t)).toEqual(keep.map((i) => whole.t[i]));
          expect(rows(part)).toEqual(keep.map((i) => rows(whole)[i]));
          // a streamer primed with prev gives the same rows
          const s = p.streamer(prev);
          const got: number[][] = [];
          for (const v of cur.v) {
            const r = s.push(v);
            if (r) got.push(Array.from(r));
          }
          expect(got).toEqual(rows(part));
        },
      ),
      { numRuns: 300 },
    );
  });
});
