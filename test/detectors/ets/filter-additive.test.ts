import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EtsSpec } from '../../../src/detectors/index.js';
import { type FilterSums, filter, filterAdditiveLanes, LANES } from '../../../src/internal.js';

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

// ETS fit round 29: the optimiser's gradient runs LANES objective filters at once. Each lane must give
// the sum `filter` gives for its own arguments, bit for bit, for every additive class (the classes
// without trend take the lanes' loop without trend, the classes without season run with γ* = 0 and a zero ring of one).
describe('ETS filter: filterAdditiveLanes equals filter in every lane', () => {
  it('property: each lane’s sum of squared errors is filter’s (Object.is), lanes independent', () => {
    fc.assert(
      fc.property(
        ...additiveClassAndSeries(),
        fc.array(
          fc.record({
            // α, β*, γ*, φ as the optimiser bounds them, and the initial states
            p: fc.array(fc.double({ min: 1e-4, max: 1 - 1e-4, noNaN: true }), { minLength: 4, maxLength: 4 }),
            init: fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 14, maxLength: 14 }),
          }),
          { minLength: LANES, maxLength: LANES },
        ),
        (trend, seasonal, damped, period, ys, lanes) => {
          const { spec, m } = additiveSpec(trend, seasonal, damped, period);
          const y = Float64Array.from(ys);
          const p = new Float64Array(6 * LANES);
          const ring = new Float64Array(LANES * m);
          const expected: number[] = [];
          lanes.forEach(({ p: [alpha, beta, gamma, phi0], init }, k) => {
            const phi = spec.damped ? phi0 : 1;
            const bs = trend ? beta : 0;
            const gs = seasonal ? gamma : 0;
            const level = init[0];
            const b = trend ? init[1] : 0;
            p.set([alpha, bs, gs, phi, level, b], 6 * k);
            const sea = seasonal ? Float64Array.from(init.slice(2, 2 + m)) : new Float64Array(1);
            for (let j = 0; j < m; j++) ring[LANES * j + k] = sea[j];
            const sums: FilterSums = { sse: -1, sumLogAbsYhat: -1 };
            filter(spec, alpha, bs, gs, phi, { level, trend: b, pos: 0 }, sea, y, y.length, null, null, sums);
            expected.push(sums.sse);
          });
          const out = new Float64Array(LANES).fill(-1);
          filterAdditiveLanes(trend !== null, p, ring, m, y, y.length, out);
          expect([...out].map((x, k) => Object.is(x, expected[k]))).toEqual(expected.map(() => true));
        },
      ),
      { numRuns: 500 },
    );
  });
});
