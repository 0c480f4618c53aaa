import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EtsSpec } from '../../../src/detectors/index.js';
import { type FilterSums, filter } from '../../../src/internal.js';

// Speed round 17: `filter` without forecast/residual outputs over the additive classes takes a loop
// per class (no class tests per point). With outputs it takes the general loop, which computes the
// same state and sums: the two must agree bit for bit (the optimiser's objective runs the first,
// the fitted model's residuals the second).
describe('ETS filter: the additive loops equal the general loop', () => {
  it('property: same level, trend, position, seasonal ring and sums (Object.is) for every additive class', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<EtsSpec['trend']>(null, 'add'),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 2, max: 12 }),
        fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }), { minLength: 2, maxLength: 80 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 14, maxLength: 14 }),
        (trend, seasonal, damped, period, ys, [alpha, beta, gamma, phi], init) => {
          const spec = {
            error: 'add',
            trend,
            damped: trend !== null && damped,
            seasonal: seasonal ? 'add' : null,
            period: seasonal ? period : 1,
          } as EtsSpec;
          const m = seasonal ? period : 1;
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
