import { describe, expect, it } from 'vitest';
import { numericGradient } from '../../src/internal.js';

// The forward-difference gradient (the ETS fit's for its multiplicative classes; `fitEts`'s additive
// classes take the exact gradient since ETS gradient round 40): the points it evaluates.
describe('numericGradient', () => {
  it('steps backwards at an upper bound and relatively next to a huge coordinate', () => {
    const rows: number[][] = [];
    const fg = numericGradient(
      (x) => {
        rows.push([x[0], x[1]]);
        return 0;
      },
      { lower: [0, Number.NEGATIVE_INFINITY], upper: [1, Number.POSITIVE_INFINITY] },
    );
    const x = Float64Array.of(1, 1e12);
    fg(x, new Float64Array(2));
    expect(rows[0]).toEqual([1, 1e12]);
    expect(rows[1]).toEqual([1 - 1e-8, 1e12]);
    expect(rows[2][0]).toBe(1);
    expect(rows[2][1]).toBe(1e12 + 1e12 * 1.4901161193847656e-8);
    expect([...x]).toEqual([1, 1e12]); // the point is left as it was
  });
});
