/**
 * The calibrator's PCHIP curve keeps order across its knots in floating point, with no ulp allowance:
 * each segment's value is clamped between its two knots' values (rounding of the cubic could carry it an
 * ulp above the next knot's value just before that knot), so any raw score of one segment calibrates at
 * or below any raw score of a later segment, and the line beyond the last anchor starts at or above the
 * last anchor's value. Neighbouring doubles inside one segment can still calibrate one ulp apart in the
 * wrong order (calibrator-monotone.test.ts; docs/detectors.md, Post-processing).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnomScoreCalibrator } from '../../src/detectors/index.js';
import { prevDouble } from '../helpers/doubles.js';

/** The next double below / above x (x finite). */
const nextDown = prevDouble;
const nextUp = (x: number): number => -prevDouble(-x);

const gap = fc.oneof(
  fc.double({ min: 1.0000001e-8, max: 1e-6, noNaN: true }),
  fc.double({ min: 1e-6, max: 1e3, noNaN: true }),
);
const rise = fc.oneof(fc.double({ min: 1e-12, max: 10, noNaN: true }), fc.constant(1e-10));

describe('AnomScoreCalibrator: order across knots, in floating point', () => {
  for (const abs of [false, true]) {
    for (const tailScale of [0, 0.7]) {
      it(`the 20 doubles below every knot (the last anchor included) calibrate at or below the knot and the doubles above (absScore ${abs}, tailScale ${tailScale})`, () => {
        fc.assert(
          fc.property(
            fc.double({ min: 0, max: 1e6, noNaN: true }),
            fc.array(gap, { minLength: 1, maxLength: 7 }),
            fc.array(rise, { minLength: 7, maxLength: 7 }),
            fc.double({ min: 0, max: 1e6, noNaN: true }),
            (x0, gaps, rises, y0) => {
              const xs = [x0];
              for (const g of gaps) xs.push(xs[xs.length - 1] + g);
              const ys = [y0];
              for (let i = 1; i < xs.length; i++) ys.push(ys[i - 1] + rises[i - 1]);
              const c = new AnomScoreCalibrator(1e15, abs);
              c.setAnchorPoints(xs, ys);
              if (tailScale > 0) c.restore({ ...(c.toJSON() as object), tailScale }, 'state');
              // the calibrator's own knots (anchors closer than its de-duplication step are merged)
              const knots = (c.toJSON() as { anchorsX: number[] }).anchorsX;
              for (const knot of knots) {
                // the 20 doubles below the knot against the knot and the 19 doubles above: no ulp allowance
                let v = knot;
                let below = Number.NEGATIVE_INFINITY;
                for (let k = 0; k < 20; k++) {
                  v = nextDown(v);
                  below = Math.max(below, c.calibrateOne(v));
                }
                let above = Number.POSITIVE_INFINITY;
                v = knot;
                for (let k = 0; k < 20; k++, v = nextUp(v)) above = Math.min(above, c.calibrateOne(v));
                expect(below).toBeLessThanOrEqual(above);
                expect(c.calibrateOne(nextDown(knot))).toBeLessThanOrEqual(c.calibrateOne(knot));
              }
            },
          ),
          { numRuns: 1500, seed: 18 },
        );
      });
    }
  }

  it('any raw score of a segment calibrates at or below any raw score of a later segment', () => {
    fc.assert(
      fc.property(
        fc.array(gap, { minLength: 2, maxLength: 7 }),
        fc.array(rise, { minLength: 7, maxLength: 7 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.nat(),
        (gaps, rises, p, q, pick) => {
          const xs = [0];
          for (const g of gaps) xs.push(xs[xs.length - 1] + g);
          const ys = [0];
          for (let i = 1; i < xs.length; i++) ys.push(ys[i - 1] + rises[i - 1]);
          const c = new AnomScoreCalibrator(1e15, false);
          c.setAnchorPoints(xs, ys);
          const X = (c.toJSON() as { anchorsX: number[] }).anchorsX;
          fc.pre(X.length >= 3);
          const i = pick % (X.length - 2);
          const a = X[i] + p * (X[i + 1] - X[i]);
          const b = X[i + 1] + q * (X[i + 2] - X[i + 1]);
          expect(c.calibrateOne(Math.min(a, X[i + 1]))).toBeLessThanOrEqual(c.calibrateOne(b));
        },
      ),
      { numRuns: 3000, seed: 18 },
    );
  });
});
