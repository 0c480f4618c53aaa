import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dateBin, resample, SeriesError, type TimeSeries } from '../../src/index.js';
import { type Aggregate, type FillPolicy, gridOrigin, inferGranularity } from '../../src/series/index.js';

const ts = (t: number[], v: number[]): TimeSeries => ({ t: Float64Array.from(t), v: Float64Array.from(v) });

function agg(xs: number[], a: Aggregate): number {
  switch (a) {
    case 'mean':
      return xs.reduce((s, x) => s + x, 0) / xs.length;
    case 'sum':
      return xs.reduce((s, x) => s + x, 0);
    case 'max':
      return Math.max(...xs);
    case 'min':
      return Math.min(...xs);
    case 'first':
      return xs[0];
    case 'last':
      return xs[xs.length - 1];
  }
}

/**
 * Straightforward model of Merlion's TemporalResample (rules in docs/series.md, resample), O(points × bins): bins from the first
 * label ≥ t0 through the first label ≥ tf, aggregate, fill, then keep labels ≤ tf.
 */
function naiveResample(s: TimeSeries, g: number, origin: number, a: Aggregate, fill: FillPolicy): TimeSeries {
  const t = Array.from(s.t);
  const v = Array.from(s.v);
  const tf = t[t.length - 1];
  const labels: number[] = [];
  for (
    let k = Math.ceil((t[0] - origin) / g) - 2;
    labels.length === 0 || labels[labels.length - 1] < tf;
    k++
  ) {
    if (origin + k * g >= t[0]) labels.push(origin + k * g);
  }
  const vals = labels.map((L) => {
    const xs = v.filter((_, i) => t[i] > L - g && t[i] <= L);
    return xs.length ? agg(xs, a) : Number.NaN;
  });
  const known = vals.map((x, i) => [i, x]).filter(([, x]) => !Number.isNaN(x));
  const filled = vals.map((x, i) => {
    if (!Number.isNaN(x) || fill === 'none') return x;
    const before = known.filter(([j]) => j < i).pop();
    const after = known.find(([j]) => j > i);
    if (!before) return after![1];
    if (!after) return before[1];
    if (fill === 'ffill') return before[1];
    if (fill === 'bfill') return after[1];
    return before[1] + ((after[1] - before[1]) * (i - before[0])) / (after[0] - before[0]);
  });
  const keep = labels.map((L, i) => L <= tf && !Number.isNaN(filled[i]));
  return ts(
    labels.filter((_, i) => keep[i]),
    filled.filter((_, i) => keep[i]),
  );
}

const AGGS: Aggregate[] = ['mean', 'max', 'min', 'first', 'last', 'sum'];
const FILLS: FillPolicy[] = ['interpolate', 'ffill', 'bfill', 'none'];

/** Strictly increasing integer timestamps with irregular gaps. */
const irregular = fc
  .tuple(
    fc.integer({ min: -1e12, max: 2e12 }),
    fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 120 }),
  )
  .chain(([t0, gaps]) => {
    const t = [t0];
    for (const d of gaps) t.push(t[t.length - 1] + d);
    return fc
      .array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: t.length, maxLength: t.length })
      .map((v) => ts(t, v));
  });

describe('resample (Merlion TemporalResample)', () => {
  it('hand-checked example: right-closed, right-labelled bins, mean, interpolation', () => {
    // g = 10, default origin = 3 + (37 mod 10) = 10; bins (0,10] (10,20] (20,30] (30,40]
    const s = ts([3, 7, 15, 40], [1, 3, 5, 8]);
    expect(gridOrigin(s.t, 10)).toBe(10);
    const r = resample(s, { granularityMs: 10 });
    expect(Array.from(r.t)).toEqual([10, 20, 30, 40]);
    expect(Array.from(r.v)).toEqual([2, 5, 6.5, 8]);
    expect(Array.from(resample(s, { granularityMs: 10, fill: 'ffill' }).v)).toEqual([2, 5, 5, 8]);
    expect(Array.from(resample(s, { granularityMs: 10, fill: 'bfill' }).v)).toEqual([2, 5, 8, 8]);
    expect(Array.from(resample(s, { granularityMs: 10, fill: 'none' }).t)).toEqual([10, 20, 40]);
    expect(Array.from(resample(s, { granularityMs: 10, aggregate: 'max' }).v)).toEqual([3, 5, 6.5, 8]);
  });
  it('drops bins labelled after the last timestamp (user origin), which still anchor the fill', () => {
    const r = resample(ts([0, 5, 10], [1, 2, 3]), { granularityMs: 10, originMs: 3 });
    expect(Array.from(r.t)).toEqual([3]);
    expect(Array.from(r.v)).toEqual([1]);
    // origin 5, g 5: labels 0 (0), 5 (empty), 10 (empty); the bin labelled 15 (> tf = 14) holds 14 → 7
    const s = resample(ts([0, 14], [1, 7]), { granularityMs: 5, originMs: 5 });
    expect(Array.from(s.t)).toEqual([0, 5, 10]);
    expect(Array.from(s.v)).toEqual([1, 3, 5]);
    expect(
      Array.from(resample(ts([0, 14], [1, 7]), { granularityMs: 5, originMs: 5, fill: 'bfill' }).v),
    ).toEqual([1, 7, 7]);
  });
  it('rejects bad options with typed errors', () => {
    expect(() => resample(ts([0, 1], [1, 2]), { granularityMs: 0 })).toThrow(SeriesError);
    expect(() => resample(ts([0], [1]))).toThrow(/at least 2/);
    expect(() => resample(ts([], []))).toThrow(SeriesError);
  });

  it('property: a regular series resampled at its own granularity is the identity', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e12, max: 2e12 }),
        fc.integer({ min: 1, max: 86_400_000 }),
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 2, maxLength: 200 }),
        (t0, g, v) => {
          const s = ts(
            v.map((_, i) => t0 + i * g),
            v,
          );
          expect(inferGranularity(s.t)).toBe(g);
          const r = resample(s);
          expect(r.t).toEqual(s.t);
          expect(r.v).toEqual(s.v);
        },
      ),
    );
  });

  it('property: output is strictly increasing, on the grid and inside [t0, tf]', () => {
    fc.assert(
      fc.property(
        irregular,
        fc.integer({ min: 1, max: 20_000 }),
        fc.option(fc.integer({ min: -1e6, max: 1e6 }), { nil: undefined }),
        fc.constantFrom(...AGGS),
        fc.constantFrom(...FILLS),
        (s, g, originMs, aggregate, fill) => {
          const r = resample(s, { granularityMs: g, originMs, aggregate, fill });
          const origin = originMs ?? gridOrigin(s.t, g);
          // one plain pass (up to ~600k output points), then one assertion naming the first bad point
          let bad = -1;
          for (let i = 0; i < r.t.length && bad < 0; i++) {
            const ok =
              (r.t[i] - origin) % g === 0 &&
              r.t[i] >= s.t[0] &&
              r.t[i] <= s.t[s.t.length - 1] &&
              (i === 0 || r.t[i] > r.t[i - 1]) &&
              Number.isFinite(r.v[i]);
            if (!ok) bad = i;
          }
          expect(bad < 0 ? null : { i: bad, t: r.t[bad], prev: r.t[bad - 1], v: r.v[bad] }).toBeNull();
          if (originMs === undefined) expect(r.t[r.t.length - 1]).toBe(s.t[s.t.length - 1]);
        },
      ),
    );
  });

  it('property: agrees with a naive model of the Merlion rules (default and user origins)', () => {
    fc.assert(
      fc.property(
        irregular,
        fc.integer({ min: 1, max: 20_000 }),
        fc.option(fc.integer({ min: -1e6, max: 1e6 }), { nil: undefined }),
        fc.constantFrom(...AGGS),
        fc.constantFrom(...FILLS),
        (s, g, originMs, aggregate, fill) => {
          const origin = originMs ?? gridOrigin(s.t, g);
          const r = resample(s, { granularityMs: g, originMs, aggregate, fill });
          const want = naiveResample(s, g, origin, aggregate, fill);
          expect(r.t).toEqual(want.t);
          expect(r.v.length).toBe(want.v.length);
          // toBeCloseTo(x, 6) per point, as one pass and one assertion naming the first miss
          const bad = r.v.findIndex((x, i) => !(Math.abs(x - want.v[i]) < 5e-7));
          expect(bad < 0 ? null : { i: bad, got: r.v[bad], want: want.v[bad] }).toBeNull();
        },
      ),
    );
  });
});

describe('dateBin (SQL DATE_BIN + GROUP BY)', () => {
  it('hand-checked example: left-closed bins labelled by start, any row order, duplicates', () => {
    const rows = { t: [12, 3, 10, 0, 29, 10], v: [4, 1, 7, 2, 5, 9] };
    // bins of 10 from 0: [0,10) → rows 1,3 ; [10,20) → rows 0,2,5 ; [20,30) → row 4
    expect(dateBin(rows, { everyMs: 10, aggregate: 'max' })).toEqual(ts([0, 10, 20], [2, 9, 5]));
    expect(Array.from(dateBin(rows, { everyMs: 10, aggregate: 'first' }).v)).toEqual([1, 4, 5]);
    expect(Array.from(dateBin(rows, { everyMs: 10, aggregate: 'last' }).v)).toEqual([2, 9, 5]);
    expect(Array.from(dateBin(rows, { everyMs: 10, aggregate: 'sum' }).v)).toEqual([3, 20, 5]);
    expect(Array.from(dateBin(rows, { everyMs: 10, aggregate: 'mean', originMs: 5 }).t)).toEqual([-5, 5, 25]);
  });
  it('a fractional bin width (rows sorted by comparison, not by integer keys): same rules', () => {
    const rows = { t: [6, 0.5, 5.5, 2, 2.4, 0], v: [4, 1, 7, 2, 5, 9] };
    // bins of 2.5 from 0: [0,2.5) → rows 1,3,4,5 ; [5,7.5) → rows 0,2
    expect(dateBin(rows, { everyMs: 2.5, aggregate: 'first' })).toEqual(ts([0, 5], [1, 4]));
    expect(Array.from(dateBin(rows, { everyMs: 2.5, aggregate: 'last' }).v)).toEqual([9, 7]);
  });
  it('rejects non-finite values and mismatched rows, naming the row', () => {
    expect(() => dateBin({ t: [0, 1], v: [1, Number.NaN] }, { everyMs: 10, aggregate: 'max' })).toThrow(
      /row 1/,
    );
    expect(() => dateBin({ t: [0, 1], v: [1] }, { everyMs: 10, aggregate: 'max' })).toThrow(SeriesError);
    expect(() => dateBin({ t: [], v: [] }, { everyMs: 10, aggregate: 'max' })).toThrow(SeriesError);
  });
  // wide timestamps: the rows sort by integer keys; narrow ones (at most 4 n + 1024 bins): by counting
  it.each([
    ['wide', 1e9, 1e8],
    ['narrow', 3000, 40],
  ] as const)(
    'property: equals a GROUP BY over floor((t − origin)/every) (%s range)',
    (_, span, maxEvery) => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.integer({ min: -span, max: span }), fc.integer({ min: -1000, max: 1000 })), {
            minLength: 1,
            maxLength: 150,
          }),
          fc.integer({ min: 1, max: maxEvery }),
          fc.integer({ min: -span, max: span }),
          fc.constantFrom(...AGGS),
          (pairs, every, originMs, aggregate) => {
            const groups = new Map<number, number[]>();
            for (const [t, v] of pairs) {
              const b = originMs + Math.floor((t - originMs) / every) * every;
              groups.set(b, [...(groups.get(b) ?? []), v]);
            }
            const keys = [...groups.keys()].sort((a, b) => a - b);
            const r = dateBin(
              { t: pairs.map((p) => p[0]), v: pairs.map((p) => p[1]) },
              { everyMs: every, aggregate, originMs },
            );
            expect(Array.from(r.t)).toEqual(keys);
            keys.forEach((k, i) => {
              expect(r.v[i]).toBeCloseTo(agg(groups.get(k)!, aggregate), 9);
            });
          },
        ),
      );
    },
  );
});
