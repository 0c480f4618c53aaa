import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { numericGradient, numericGradientRows } from '../../src/internal.js';

// ETS fit round 29: the ETS fit evaluates its gradient's points in batches (`numericGradientRows`). Given
// an objective that values each point as `f` does, it must give numericGradient's value and gradient bit
// for bit: the same points (forward steps, backward steps at an upper bound, relative steps next to huge
// coordinates) and the same arithmetic.
describe('numericGradientRows', () => {
  const f = (x: Float64Array): number => {
    let v = 0;
    for (let i = 0; i < x.length; i++)
      v += Math.sin(x[i] * (i + 1)) * x[i] + 0.5 * x[i] * x[(i + 1) % x.length];
    return v;
  };
  const rowsOf =
    (seen: number[]) =>
    (rows: Float64Array, count: number, out: Float64Array): void => {
      const n = rows.length / count;
      seen.push(count);
      for (let r = 0; r < count; r++) out[r] = f(rows.subarray(r * n, (r + 1) * n));
    };

  it('property: the same value and gradient as numericGradient (Object.is), one call per gradient', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.double({ min: -5, max: 5, noNaN: true }), fc.constantFrom(1, 1 - 5e-9, 0, 1e12, -3e17)),
          { minLength: 1, maxLength: 9 },
        ),
        fc.boolean(),
        (xs, bounded) => {
          const n = xs.length;
          // bounded: [−5, 1] on even coordinates (a point at or just below 1 steps backwards)
          const lower = xs.map((_, i) => (bounded && i % 2 === 0 ? -5 : Number.NEGATIVE_INFINITY));
          const upper = xs.map((x, i) =>
            bounded && i % 2 === 0 ? Math.max(1, x) : Number.POSITIVE_INFINITY,
          );
          const seen: number[] = [];
          const g1 = new Float64Array(n);
          const g2 = new Float64Array(n);
          const x1 = Float64Array.from(xs);
          const x2 = Float64Array.from(xs);
          const f1 = numericGradient(f, { lower, upper })(x1, g1);
          const f2 = numericGradientRows(rowsOf(seen), { lower, upper })(x2, g2);
          expect(Object.is(f1, f2)).toBe(true);
          expect([...g2].map((v, i) => Object.is(v, g1[i]))).toEqual(xs.map(() => true));
          expect([...x2]).toEqual(xs); // the point is left as it was
          expect(seen).toEqual([n + 1]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('steps backwards at an upper bound and relatively next to a huge coordinate', () => {
    const rows: number[][] = [];
    const fg = numericGradientRows(
      (r, count, out) => {
        for (let k = 0; k < count; k++) {
          rows.push([r[2 * k], r[2 * k + 1]]);
          out[k] = 0;
        }
      },
      { lower: [0, Number.NEGATIVE_INFINITY], upper: [1, Number.POSITIVE_INFINITY] },
    );
    fg(Float64Array.of(1, 1e12), new Float64Array(2));
    expect(rows[0]).toEqual([1, 1e12]);
    expect(rows[1]).toEqual([1 - 1e-8, 1e12]);
    expect(rows[2][0]).toBe(1);
    expect(rows[2][1]).toBe(1e12 + 1e12 * 1.4901161193847656e-8);
  });
});
