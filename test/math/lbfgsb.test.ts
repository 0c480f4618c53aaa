import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { minimizeLbfgsb, numericGradient, projectedGradientNorm } from '../../src/internal.js';

const rosen = (x: Float64Array, g: Float64Array): number => {
  const a = 1 - x[0];
  const b = x[1] - x[0] * x[0];
  g[0] = -2 * a - 400 * x[0] * b;
  g[1] = 200 * b;
  return a * a + 100 * b * b;
};

describe('minimizeLbfgsb', () => {
  it('finds the Rosenbrock minimum without bounds', () => {
    const r = minimizeLbfgsb(rosen, [-1.2, 1], { pgtol: 1e-8, factr: 10 });
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 5);
    expect(r.x[1]).toBeCloseTo(1, 5);
  });

  it('stops on an active bound with the KKT sign conditions', () => {
    // min (x0-3)^2 + (x1+2)^2 + x0*x1 on [0,1]x[-1,5]: solution x0 = 1 (upper), x1 = -1 (lower)?
    const fg = (x: Float64Array, g: Float64Array): number => {
      g[0] = 2 * (x[0] - 3) + x[1];
      g[1] = 2 * (x[1] + 2) + x[0];
      return (x[0] - 3) ** 2 + (x[1] + 2) ** 2 + x[0] * x[1];
    };
    const lower = [0, -1];
    const upper = [1, 5];
    const r = minimizeLbfgsb(fg, [0.5, 2], { lower, upper });
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBe(1);
    expect(r.x[1]).toBe(-1);
    expect(projectedGradientNorm(r.x, r.grad, Float64Array.from(lower), Float64Array.from(upper))).toBe(0);
  });

  it('solves bounded Rosenbrock (x0 <= 0.5)', () => {
    const r = minimizeLbfgsb(rosen, [-1.2, 1], {
      upper: [0.5, Number.POSITIVE_INFINITY],
      pgtol: 1e-9,
      factr: 10,
    });
    expect(r.x[0]).toBe(0.5);
    expect(r.x[1]).toBeCloseTo(0.25, 6);
  });

  it('property: separable convex quadratics in a box reach the clamped centre', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            c: fc.double({ min: -10, max: 10, noNaN: true }),
            w: fc.double({ min: 0.1, max: 50, noNaN: true }),
            lo: fc.double({ min: -5, max: 0, noNaN: true }),
            width: fc.double({ min: 0.01, max: 8, noNaN: true }),
            x0: fc.double({ min: 0, max: 1, noNaN: true }),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        (vars) => {
          const n = vars.length;
          const lower = vars.map((v) => v.lo);
          const upper = vars.map((v) => v.lo + v.width);
          const fg = (x: Float64Array, g: Float64Array): number => {
            let f = 0;
            for (let i = 0; i < n; i++) {
              const d = x[i] - vars[i].c;
              f += vars[i].w * d * d;
              g[i] = 2 * vars[i].w * d;
            }
            return f;
          };
          const x0 = vars.map((v, i) => lower[i] + v.x0 * (upper[i] - lower[i]));
          const r = minimizeLbfgsb(fg, x0, { lower, upper, pgtol: 1e-10, factr: 1 });
          // optimality gap against the clamped centre, and feasibility
          let fStar = 0;
          const g = new Float64Array(n);
          for (let i = 0; i < n; i++) {
            const want = Math.min(upper[i], Math.max(lower[i], vars[i].c));
            fStar += vars[i].w * (want - vars[i].c) ** 2;
            expect(r.x[i]).toBeGreaterThanOrEqual(lower[i]);
            expect(r.x[i]).toBeLessThanOrEqual(upper[i]);
          }
          expect(fg(r.x, g) - fStar).toBeLessThan(1e-10 * (1 + fStar));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('works with numeric gradients (reversed step at an upper bound)', () => {
    const f = (x: Float64Array): number => (x[0] - 2) ** 2 + 3 * (x[1] - 0.5) ** 2 + 0.5 * x[0] * x[1];
    const lower = [0, 0];
    const upper = [1, 1];
    const fg = numericGradient(f, { lower, upper });
    const g = new Float64Array(2);
    fg(Float64Array.from([1, 0.5]), g);
    // at x0 = 1 (upper bound) the step goes backwards: derivative ≈ 2(1-2) + 0.25 = -1.75
    expect(g[0]).toBeCloseTo(-1.75, 6);
    const r = minimizeLbfgsb(fg, [0.5, 0.5], { lower, upper });
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBe(1);
    // d/dx1 = 6(x1 - 0.5) + 0.5 = 0 -> x1 = 0.41667
    expect(r.x[1]).toBeCloseTo(5 / 12, 4);
  });

  it('rejects inconsistent bounds and infeasible starts with a clear error', () => {
    expect(() => minimizeLbfgsb(rosen, [0, 0], { lower: [1, 0], upper: [0, 1] })).toThrow(/lower bound/);
    expect(() => minimizeLbfgsb(() => Number.NaN, [0])).toThrow(/not finite/);
  });
});

describe('minimizeLbfgsb follows scipy', () => {
  it('first iterates on the E2 AAdN objective match scipy 1.17.1 fmin_l_bfgs_b (approx_grad)', () => {
    // Iterates printed by scipy.optimize.fmin_l_bfgs_b(approx_grad=True, bounds as below) through a
    // callback, for the same objective (−llf/n of AAdN on spec example E2, internal parameters).
    const y = [
      10.5, 11.673, 12.191, 11.408, 10.25, 9.974, 10.548, 10.916, 10.662, 10.572, 11.305, 12.191, 12.038,
      10.841, 9.912, 10.178, 11.043, 11.369, 11.099, 11.155, 11.853, 12.269, 11.556, 10.315, 9.933, 10.77,
      11.738, 11.845, 11.46, 11.54, 12.057, 12.01, 11.021, 10.112, 10.422, 11.644, 12.418, 12.135, 11.598,
      11.673,
    ];
    const n = y.length;
    const obj = (x: Float64Array): number => {
      const [a, bs, phi] = x;
      let l = x[3];
      let b = x[4];
      let sse = 0;
      for (let t = 0; t < n; t++) {
        const yh = l + phi * b;
        const ln = a * y[t] + (1 - a) * yh;
        b = bs * (ln - l) + (1 - bs) * phi * b;
        l = ln;
        sse += (y[t] - yh) ** 2;
      }
      return ((n / 2) * (Math.log((2 * Math.PI * sse) / n) + 1)) / n;
    };
    const lower = [1e-4, 1e-4, 0.8, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
    const upper = [1 - 1e-4, 1 - 1e-4, 0.98, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
    const iterates: number[][] = [];
    minimizeLbfgsb(numericGradient(obj, { lower, upper }), [0.1, 0.1, 0.98, 11.3914, -0.094909], {
      lower,
      upper,
      maxIter: 3,
      onIteration: (x) => iterates.push(Array.from(x)),
    });
    const scipy = [
      [0.15201112, 0.13847629, 0.96959662, 11.38833526, -0.02617665],
      [0.13791975, 0.12944196, 0.96157319, 11.38735481, -0.03341694],
      [0.08595888, 0.11029201, 0.92933712, 11.37981721, -0.04277893],
    ];
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i < 5; i++) expect(Math.abs(iterates[k][i] - scipy[k][i])).toBeLessThan(5e-7);
    }
  });
});
