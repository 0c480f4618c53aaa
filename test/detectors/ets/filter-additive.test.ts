import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EtsSpec } from '../../../src/detectors/index.js';
import { type FilterSums, filter, sseGradientAdditive } from '../../../src/internal.js';

/**
 * The arbitraries of an additive ETS class (trend null or additive, seasonal or not, damped or not, a
 * period of 2–12) and a series of 2–80 finite values, spread as the first arguments of a property.
 */
function additiveClassAndSeries(): [
  fc.Arbitrary<EtsSpec['trend']>,
  fc.Arbitrary<boolean>,
  fc.Arbitrary<boolean>,
  fc.Arbitrary<number>,
  fc.Arbitrary<number[]>,
] {
  return [
    fc.constantFrom<EtsSpec['trend']>(null, 'add'),
    fc.boolean(),
    fc.boolean(),
    fc.integer({ min: 2, max: 12 }),
    fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }), { minLength: 2, maxLength: 80 }),
  ];
}

/** The additive spec those arbitraries draw, and its season length m (1 without a season). */
function additiveSpec(
  trend: EtsSpec['trend'],
  seasonal: boolean,
  damped: boolean,
  period: number,
): { spec: EtsSpec; m: number } {
  const spec = {
    error: 'add',
    trend,
    damped: trend !== null && damped,
    seasonal: seasonal ? 'add' : null,
    period: seasonal ? period : 1,
  } as EtsSpec;
  return { spec, m: seasonal ? period : 1 };
}

// Speed round 17: `filter` without forecast/residual outputs over the additive classes takes a loop
// per class (no class tests per point). With outputs it takes the general loop, which computes the
// same state and sums: the two must agree bit for bit (the optimiser's objective runs the first,
// the fitted model's residuals the second).
describe('ETS filter: the additive loops equal the general loop', () => {
  it('property: same level, trend, position, seasonal ring and sums (Object.is) for every additive class', () => {
    fc.assert(
      fc.property(
        ...additiveClassAndSeries(),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 14, maxLength: 14 }),
        (trend, seasonal, damped, period, ys, [alpha, beta, gamma, phi], init) => {
          const { spec, m } = additiveSpec(trend, seasonal, damped, period);
          const y = Float64Array.from(ys);
          const run = (outputs: boolean) => {
            const st = { level: init[0], trend: trend ? init[1] : 0, pos: seasonal ? init.length % m : 0 };
            const sea = Float64Array.from(init.slice(2, 2 + m));
            const sums: FilterSums = { sse: -1, sumLogAbsYhat: -1 };
            const out = outputs ? [new Float64Array(y.length), new Float64Array(y.length)] : [null, null];
            filter(spec, alpha, beta, gamma, phi, st, sea, y, y.length, out[0], out[1], sums);
            return [st.level, st.trend, st.pos, sums.sse, sums.sumLogAbsYhat, ...sea];
          };
          const fast = run(false);
          const general = run(true);
          expect(fast.map((x, i) => Object.is(x, general[i]))).toEqual(general.map(() => true));
        },
      ),
      { numRuns: 500 },
    );
  });
});

// ETS gradient round 40: the fit's objective for the additive classes and its exact gradient
// (`sseGradientAdditive`: a forward pass recording the states, an adjoint pass back). Its sum must be
// `filter`'s bit for bit for every additive class (no trend: β* = 0, b = 0, φ = 1; no season: γ* = 0 and
// a zero ring of one), and its gradient that of `filter`'s sum: checked against central differences of
// `filter` (the forward recursion alone, not the adjoint).
describe('ETS filter: sseGradientAdditive, the sum of squares and its exact gradient', () => {
  /** The sum of squared one-step errors `filter` gives for class `spec` from these parameters. */
  function sseOf(spec: EtsSpec, q: ArrayLike<number>, ring: ArrayLike<number>, y: Float64Array): number {
    const sums: FilterSums = { sse: -1, sumLogAbsYhat: -1 };
    const st = { level: q[4], trend: q[5], pos: 0 };
    filter(spec, q[0], q[1], q[2], q[3], st, Float64Array.from(ring), y, y.length, null, null, sums);
    return sums.sse;
  }
  const params = fc.record({
    // α, β*, γ*, φ inside the optimiser's bounds, the initial level and trend, a seasonal ring
    p: fc.tuple(
      fc.double({ min: 0.05, max: 0.95, noNaN: true }),
      fc.double({ min: 0, max: 0.5, noNaN: true }),
      fc.double({ min: 0, max: 0.5, noNaN: true }),
      fc.double({ min: 0.8, max: 1, noNaN: true }),
    ),
    init: fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 14, maxLength: 14 }),
  });

  it('property: the sum is filter’s (Object.is) for every additive class', () => {
    fc.assert(
      fc.property(...additiveClassAndSeries(), params, (trend, seasonal, damped, period, ys, { p, init }) => {
        const { spec, m } = additiveSpec(trend, seasonal, damped, period);
        const y = Float64Array.from(ys);
        const q = Float64Array.from([
          p[0],
          trend ? p[1] : 0,
          seasonal ? p[2] : 0,
          spec.damped ? p[3] : 1,
          init[0],
          trend ? init[1] : 0,
        ]);
        const ring = seasonal ? Float64Array.from(init.slice(2, 2 + m)) : new Float64Array(1);
        const before = Float64Array.from(ring);
        const got = sseGradientAdditive(
          q,
          ring,
          m,
          y,
          y.length,
          new Float64Array(3 * y.length),
          new Float64Array(m),
          new Float64Array(6),
          new Float64Array(m),
        );
        expect(Object.is(got, sseOf(spec, q, before, y))).toBe(true);
        expect([...ring]).toEqual([...before]); // the initial ring is read only
      }),
      { numRuns: 500 },
    );
  });

  it('property: the gradient matches central differences of filter’s sum (every parameter, every ring slot)', () => {
    const spec: EtsSpec = { error: 'add', trend: 'add', damped: true, seasonal: 'add', period: 2 };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 2, maxLength: 60 }),
        params,
        (m, ys, { p, init }) => {
          const s = { ...spec, period: m };
          const y = Float64Array.from(ys);
          const q = Float64Array.from([...p, init[0], init[1]]);
          const ring = Float64Array.from(init.slice(2, 2 + m));
          const g = new Float64Array(6);
          const gRing = new Float64Array(m);
          const tape = new Float64Array(3 * y.length);
          sseGradientAdditive(q, ring, m, y, y.length, tape, new Float64Array(m), g, gRing);
          const exact = [...g, ...gRing];
          // central differences of the forward recursion, in each of the 6 + m coordinates
          const x = [...q, ...ring];
          const f = (v: number[]) => sseOf(s, v.slice(0, 6), v.slice(6), y);
          const numeric = x.map((xi, i) => {
            const h = 1e-5 * Math.max(1, Math.abs(xi));
            const up = x.slice();
            const down = x.slice();
            up[i] = xi + h;
            down[i] = xi - h;
            return (f(up) - f(down)) / (up[i] - down[i]);
          });
          const scale = 1 + Math.max(...numeric.map(Math.abs));
          for (let i = 0; i < x.length; i++)
            expect(Math.abs(exact[i] - numeric[i]) / scale).toBeLessThan(1e-6);
        },
      ),
      { numRuns: 300 },
    );
  });
});
