import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  alignTo,
  combineMax,
  combineMean,
  combineMedian,
  metricWeights,
  RowCombiner,
  selectBest,
  targetGrid,
  unionGrid,
} from '../../src/detectors/index.js';

const f = (...x: number[]) => Float64Array.from(x);

describe('combineMean: worked example M1 (merlion-post-processing.md §6.5)', () => {
  const ets = f(0.5, -4.0, 2.0, 0.0);
  const rcf = f(1.0, 3.0, 2.5, 0.0);
  const zms = f(-0.2, -3.5, 0.0, 0.0);
  const out = combineMean([ets, rcf, zms], { absScore: true });
  it('reproduces every row', () => {
    expect(out[0]).toBeCloseTo(0.566667, 6);
    expect(Math.abs(out[0] - 1.7 / 3)).toBeLessThan(1e-15);
    // exact to floating-point rounding (≤ 1e-12, spec README): Σ (1/3)·|v| as the reference sums it
    expect(Math.abs(out[1] - -3.5)).toBeLessThan(1e-12);
    expect(Math.abs(out[2] - 1.5)).toBeLessThan(1e-12);
    expect(out[1]).toBe(-((1 / 3) * 4 + (1 / 3) * 3 + (1 / 3) * 3.5));
    expect(Object.is(out[3], -0)).toBe(true);
  });
  it('only t = 1 reaches |score| ≥ 3', () => {
    expect(Array.from(out, (v) => Math.abs(v) >= 3)).toEqual([false, true, false, false]);
  });
});

describe('combineMean quirks', () => {
  it('halves the result when the median sign is ±0.5 (even member count)', () => {
    expect(combineMean([f(2.0), f(0.0)])[0]).toBe(0.5);
  });
  it('two zeros and one positive give a negative result', () => {
    expect(combineMean([f(0), f(0), f(3)])[0]).toBe(-1);
  });
  it('a single member passes through (no sign rule)', () => {
    expect(Array.from(combineMean([f(-2, 0, 3)]))).toEqual([-2, 0, 3]);
  });
  it('without abs it is the plain weighted mean', () => {
    const out = combineMean([f(1, -3), f(3, 1)], { absScore: false, weights: [3, 1] });
    expect(out[0]).toBe(0.75 * 1 + 0.25 * 3);
    expect(out[1]).toBe(0.75 * -3 + 0.25 * 1);
  });
  it('skips NaN entries and renormalises the weights', () => {
    const out = combineMean([f(Number.NaN, Number.NaN), f(2, 4), f(4, Number.NaN)], { absScore: true });
    expect(out[0]).toBe(3);
    expect(out[1]).toBe(4);
  });
  it('rejects misaligned columns with a typed error', () => {
    expect(() => combineMean([f(1, 2), f(1)])).toThrow(/align/);
  });
});

describe("the mean combiner's alone path (round 11)", () => {
  it('a member past its level reaches the alarm level alone; below it the mean is untouched', () => {
    const c = new RowCombiner('mean', true, 3, null, { at: [4, null, null], level: 3 });
    const plain = new RowCombiner('mean', true, 3);
    // ETS −4.8 alone: 3 · 4.8 / 4 = 3.6 beats the mean 2.2, with ETS's sign
    expect(c.row([-4.8, 1.0, 0.8])).toBeCloseTo(-3.6, 12);
    // ETS 3.9 is below its level: the mean, bit for bit
    expect(c.row([3.9, 1.0, 0.8])).toBe(plain.row([3.9, 1.0, 0.8]));
    // a member without a level never speaks alone
    expect(c.row([0.1, 9.0, 0.2])).toBe(plain.row([0.1, 9.0, 0.2]));
  });
  it('property: |result| is max(|mean|, level·|v|/at over members past their level)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -12, max: 12, noNaN: true }), { minLength: 3, maxLength: 3 }),
        fc.double({ min: 1, max: 8, noNaN: true }),
        (v, at) => {
          const c = new RowCombiner('mean', true, 3, null, { at: [at, null, null], level: 3 });
          const mean = new RowCombiner('mean', true, 3).row(v);
          const alone = Math.abs(v[0]) >= at ? (3 * Math.abs(v[0])) / at : 0;
          const got = c.row(v);
          expect(Math.abs(got)).toBeCloseTo(Math.max(Math.abs(mean), alone), 12);
          if (alone <= Math.abs(mean)) expect(got).toBe(mean);
        },
      ),
      { numRuns: 300 },
    );
  });
  it('property (round 12c): raising the level at which a member speaks alone never raises |result|', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -12, max: 12, noNaN: true }), { minLength: 3, maxLength: 3 }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 6, noNaN: true }),
        (v, at, up) => {
          const low = new RowCombiner('mean', true, 3, null, { at: [at, null, null], level: 3 }).row(v);
          const high = new RowCombiner('mean', true, 3, null, { at: [at + up, null, null], level: 3 }).row(v);
          const mean = new RowCombiner('mean', true, 3).row(v);
          expect(Math.abs(high)).toBeLessThanOrEqual(Math.abs(low));
          expect(Math.abs(high)).toBeGreaterThanOrEqual(Math.abs(mean));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('combineMedian and combineMax', () => {
  it('median uses the median-of-signs rule', () => {
    expect(combineMedian([f(-4), f(3), f(-3.5)])[0]).toBe(-3.5);
    expect(combineMedian([f(1), f(5), f(9), f(-2)])[0]).toBe(3.5);
    expect(combineMedian([f(-4), f(3), f(-3.5)], { absScore: false })[0]).toBe(-3.5);
  });
  it('max is a real maximum of absolute values keeping the sign of the extreme member', () => {
    expect(combineMax([f(0.5), f(-4.0), f(2.0)])[0]).toBe(-4);
    expect(combineMax([f(0.5), f(1.0), f(-0.2)])[0]).toBe(1);
    expect(combineMax([f(0.5), f(-4.0), f(2.0)], { absScore: false })[0]).toBe(2);
  });
  it('max is never below the mean or the median in magnitude', () => {
    const col = fc.float64Array({ minLength: 5, maxLength: 5, noNaN: true, min: -1e6, max: 1e6 });
    fc.assert(
      fc.property(fc.array(col, { minLength: 1, maxLength: 6 }), (cols) => {
        const mx = combineMax(cols);
        const mean = combineMean(cols);
        const med = combineMedian(cols);
        for (let i = 0; i < 5; i++) {
          // relative slack for rounding, plus an absolute one: with subnormal inputs the weighted mean's
          // per-term rounding can exceed the max by a few units of 5e-324 (e.g. ±5.4e-323 → 6e-323)
          expect(Math.abs(mx[i])).toBeGreaterThanOrEqual(Math.abs(mean[i]) * (1 - 1e-12) - 1e-300);
          expect(Math.abs(mx[i])).toBeGreaterThanOrEqual(Math.abs(med[i]));
        }
      }),
    );
  });
});

describe('model selection and metric weights', () => {
  it('selects every member tied at the best value', () => {
    expect(selectBest([0.5, 0.8, 0.8])).toEqual([1, 2]);
    expect(selectBest([100, 50, Number.NaN], 'lower')).toEqual([1]);
    expect(selectBest([Number.NaN, 0.1])).toEqual([1]);
    // a member that never detected has mean time to detect +Infinity: it never wins on 'lower'
    expect(selectBest([Number.POSITIVE_INFINITY, 3600], 'lower')).toEqual([1]);
    // … and, when no member detected, ties with the others like it but never with a failed (NaN) one
    expect(selectBest([Number.POSITIVE_INFINITY, Number.NaN, Number.POSITIVE_INFINITY], 'lower')).toEqual([
      0, 2,
    ]);
    expect(selectBest([Number.NaN, Number.NaN])).toEqual([0, 1]);
  });
  it('weights by the metric, or by its inverse when lower is better', () => {
    expect(Array.from(metricWeights([1, 3]))).toEqual([0.25, 0.75]);
    const w = metricWeights([100, 300], 'lower');
    expect(w[0]).toBeCloseTo(0.75, 15);
    expect(w[1]).toBeCloseTo(0.25, 15);
    expect(Array.from(metricWeights([Number.POSITIVE_INFINITY, 300], 'lower'))).toEqual([0, 1]);
  });
  it('falls back to equal weights (and says so) when the metrics cannot weight', () => {
    const notes: string[] = [];
    expect(Array.from(metricWeights([0, 0], 'higher', (m) => notes.push(m)))).toEqual([0.5, 0.5]);
    expect(notes.length).toBe(1);
  });
});

describe('alignment', () => {
  const a = { t: f(0, 10, 20, 30), v: f(1, 2, 3, 4) };
  const b = { t: f(10, 25, 30, 40), v: f(5, 8, 6, 0) };
  it('the union grid is sorted and unique', () => {
    expect(Array.from(unionGrid([a, b]))).toEqual([0, 10, 20, 25, 30, 40]);
  });
  it('the target grid keeps target times between the earliest start and the latest end', () => {
    expect(Array.from(targetGrid(f(-5, 0, 5, 40, 45), [a, b]))).toEqual([0, 5, 40]);
  });
  it('interpolates in time, then forward- and back-fills', () => {
    const g = unionGrid([a, b]);
    expect(Array.from(alignTo(g, a))).toEqual([1, 2, 3, 3.5, 4, 4]);
    expect(Array.from(alignTo(g, b))).toEqual([5, 5, 7, 8, 6, 0]);
  });
  it('alignment to a series’ own timestamps is the identity', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 1e6 }), { minLength: 1, maxLength: 50 }), (ts) => {
        const t = Float64Array.from(ts.sort((x, y) => x - y));
        const v = t.map((x) => Math.sin(x));
        expect(Array.from(alignTo(t, { t, v }))).toEqual(Array.from(v));
      }),
    );
  });
});

describe("the combiners' median (speed round 19: an insertion sort instead of the built-in sort)", () => {
  // The reference is the code before the round: numpy's median of `Float64Array.prototype.sort`'s
  // order (ascending, −0 before +0). Values come from a small pool with ±0 and repeats, so ties
  // and signed zeros are common; NaN marks a missing member (skipped by the combiner).
  const refMedian = (xs: number[]): number => {
    const a = Float64Array.from(xs).sort();
    const h = a.length >> 1;
    return a.length % 2 === 1 ? a[h] : (a[h - 1] + a[h]) / 2;
  };
  const value = fc.oneof(
    fc.constantFrom(-0, 0, 1, -1, 2.5, -2.5, Number.NaN, 1e-300, -1e300),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  );
  it('median combiner without abs: the same bits as the built-in sort', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 9 }), (row) => {
        const c = new RowCombiner('median', false, row.length);
        const present = row.filter((x) => !Number.isNaN(x));
        const want = present.length === 0 ? Number.NaN : refMedian(present);
        expect(c.row(Float64Array.from(row))).toBe(want);
      }),
      { numRuns: 2000 },
    );
  });
  it('mean and median combiners with abs: the median-of-signs rule gives the same bits', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 2, maxLength: 9 }), (row) => {
        const present = row.filter((x) => !Number.isNaN(x));
        if (present.length === 0) return;
        let sgn = refMedian(present.map((x) => Math.sign(x)));
        if (sgn === 0) sgn = -1;
        let mean = -0;
        for (const x of present) mean += (1 / present.length) * Math.abs(x);
        expect(new RowCombiner('mean', true, row.length).row(Float64Array.from(row))).toBe(sgn * mean);
        const med = refMedian(present.map((x) => Math.abs(x)));
        expect(new RowCombiner('median', true, row.length).row(Float64Array.from(row))).toBe(sgn * med);
      }),
      { numRuns: 2000 },
    );
  });
});
