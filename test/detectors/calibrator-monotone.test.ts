/**
 * The calibrator's PCHIP curve is monotone for any increasing anchors (Fritsch–Carlson derivatives,
 * end slopes limited to 3Δ), up to the rounding of its cubic: x1 < x2 gives f(x1) ≤ f(x2) + 8 ulps of
 * the largest anchor value. Exact monotonicity under rounding is not claimed: on ordinary anchors
 * neighbouring doubles can step down by an ulp (docs/detectors.md, Post-processing), and evaluating the
 * cubic otherwise would change the last bits of every calibrated model file.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnomScoreCalibrator } from '../../src/detectors/index.js';

const gap = fc.oneof(
  fc.double({ min: 1.0000001e-8, max: 1e-6, noNaN: true }),
  fc.double({ min: 1e-6, max: 1e3, noNaN: true }),
);
const rise = fc.oneof(fc.double({ min: 1e-12, max: 10, noNaN: true }), fc.constant(1e-10));

describe('AnomScoreCalibrator: monotone interpolation', () => {
  for (const abs of [false, true]) {
    it(`any increasing anchors, any x1 < x2: f(x1) ≤ f(x2) up to 8 ulps (absScore ${abs})`, () => {
      fc.assert(
        fc.property(
          fc.double({ min: 0, max: 1e6, noNaN: true }),
          fc.array(gap, { minLength: 1, maxLength: 7 }),
          fc.array(rise, { minLength: 7, maxLength: 7 }),
          fc.double({ min: -0.1, max: 1.2, noNaN: true }),
          fc.double({ min: -0.1, max: 1.2, noNaN: true }),
          (x0, gaps, rises, p, q) => {
            const xs = [x0];
            for (const g of gaps) xs.push(xs[xs.length - 1] + g);
            const ys = [0];
            for (let i = 1; i < xs.length; i++) ys.push(ys[i - 1] + rises[i - 1]);
            const c = new AnomScoreCalibrator(1e15, abs);
            c.setAnchorPoints(xs, ys);
            const lo = xs[0];
            const span = xs[xs.length - 1] - lo;
            const a = lo + span * Math.min(p, q);
            const b = lo + span * Math.max(p, q);
            const tol = 8 * Number.EPSILON * Math.max(1, ys[ys.length - 1]);
            expect(c.calibrateOne(a)).toBeLessThanOrEqual(c.calibrateOne(b) + tol);
          },
        ),
        { numRuns: 3000, seed: 7 },
      );
    });
  }
});
