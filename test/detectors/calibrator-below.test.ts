/**
 * AnomScoreCalibrator below its first anchor (docs/detectors.md, Post-processing: AnomScoreCalibrator,
 * "Below the first anchor"): a raw score smaller than the smallest training score maps to the first
 * anchor's value (0 for a trained calibrator), not to the interval-0 cubic extrapolated, which on NAB's
 * art_load_balancer_spikes turned a ZMS score just under the training minimum into 1.85e4.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnomScoreCalibrator } from '../../src/detectors/index.js';

/**
 * The ZMS member's calibrator of `defaultDetector()` trained on the probationary part of NAB's
 * art_load_balancer_spikes (anchors read off the trained model): 86% of the training |z| lie within 1e-8
 * of 0.18303775572407255, so the first interval is only 2.9e-4 wide.
 */
const LB_X = [0.18274387944000667, 0.18303775572407255, 0.700213907537952, 21.52566794078166];
const LB_Y = [0, 0.5, 2, 5];

function lbCalibrator(absScore = true): AnomScoreCalibrator {
  const c = new AnomScoreCalibrator(1000, absScore);
  c.setAnchorPoints(LB_X, LB_Y);
  return c;
}

describe('AnomScoreCalibrator below the first anchor', () => {
  it('the streamed ZMS score of art_load_balancer_spikes under the training minimum maps to 0 (was 1.85e4)', () => {
    const c = lbCalibrator();
    // the raw score seen on the stream (|z| = 0.17302903562138458 < the first anchor 0.18274387944000667)
    expect(c.calibrateOne(0.17302903562138458)).toBe(0);
    expect(c.calibrateOne(-0.17302903562138458)).toBe(-0);
    expect(c.calibrateOne(0)).toBe(0);
    // at and above the first anchor nothing changes
    expect(c.calibrateOne(LB_X[0])).toBe(0);
    expect(c.calibrateOne(LB_X[1])).toBe(0.5);
  });

  it('signed scores (absScore false) below the first anchor map to its value, however far below', () => {
    const c = new AnomScoreCalibrator(1000, false);
    c.setAnchorPoints([-2, 0, 1, 3], [-3, 0, 1, 4]);
    expect(c.calibrateOne(-2)).toBe(-3);
    expect(c.calibrateOne(-2.5)).toBe(-3);
    expect(c.calibrateOne(-1e12)).toBe(-3);
    // a trained signed calibrator: the first anchor is the training minimum with value 0
    const t = new AnomScoreCalibrator(1000, false);
    const train = Float64Array.from({ length: 200 }, (_, i) => Math.sin(i) * (1 + (i % 7)));
    t.train(train);
    const [x0, y0] = t.anchors[0];
    expect(y0).toBe(0);
    expect(t.calibrateOne(x0 - 1)).toBe(0);
    expect(t.calibrateOne(x0 - 1e9)).toBe(0);
  });

  it('C1 (Merlion worked example): every score at or above the first anchor keeps its value', () => {
    const x = Float64Array.from([0, 0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.8, 1.0, 2.0]);
    const c = new AnomScoreCalibrator(1000);
    const out = c.train(x);
    const want = [
      0, 0.13359210470464394, -0.27718016593707145, 0.4295149461441758, 0.5926419551850864,
      -0.7730902213297515, 0.9518511817162781, 1.282182059148695, 1.541784465983434, 2.3997430653297895,
    ];
    for (let i = 0; i < want.length; i++) expect(out[i]).toBeCloseTo(want[i], 12);
  });

  const anchorsArb = fc
    .record({
      x0: fc.double({ min: -1e3, max: 1e3, noNaN: true }),
      gaps: fc.array(fc.double({ min: 1e-6, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 7 }),
      steps: fc.array(fc.double({ min: 1e-3, max: 10, noNaN: true }), { minLength: 7, maxLength: 7 }),
      y0: fc.double({ min: -5, max: 5, noNaN: true }),
      absScore: fc.boolean(),
    })
    .map(({ x0, gaps, steps, y0, absScore }) => {
      const xs = [absScore ? Math.abs(x0) : x0];
      const ys = [absScore ? Math.abs(y0) : y0];
      for (let i = 0; i < gaps.length; i++) {
        xs.push(xs[i] + gaps[i] + 1e-7);
        ys.push(ys[i] + steps[i]);
      }
      return { xs, ys, absScore };
    });
  const real = fc.oneof(
    fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    fc.double({ min: -10, max: 10, noNaN: true }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  );

  it('property: monotone over the whole real line (anchors of any shape, both sign modes)', () => {
    fc.assert(
      fc.property(anchorsArb, real, real, ({ xs, ys, absScore }, a, b) => {
        const c = new AnomScoreCalibrator(1e6, absScore);
        c.setAnchorPoints(xs, ys);
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const ca = c.calibrateOne(lo);
        const cb = c.calibrateOne(hi);
        expect(Number.isFinite(ca) && Number.isFinite(cb)).toBe(true);
        // up to rounding of the cubic inside an interval (its four terms can cancel: the order of two
        // raw scores that differ in the last digits may flip by about 1e-10 of the curve's scale);
        // below the first anchor the old extrapolated cubic broke order by the curve's whole size
        const tol = 1e-9 * (Math.abs(ys[0]) + Math.abs(ys[ys.length - 1]) + Math.abs(ca) + Math.abs(cb));
        expect(ca).toBeLessThanOrEqual(cb + tol);
      }),
      { numRuns: 3000 },
    );
  });

  it('property: below the first anchor |calibrated| never exceeds the first anchor value', () => {
    fc.assert(
      fc.property(anchorsArb, fc.double({ min: 0, max: 1, noNaN: true }), ({ xs, ys, absScore }, f) => {
        const c = new AnomScoreCalibrator(1e6, absScore);
        c.setAnchorPoints(xs, ys);
        const x0 = xs[0];
        // a point between 0 (abs mode: |v| ≥ 0) or x0 − 1e6 (signed) and the first anchor
        const from = absScore ? 0 : x0 - 1e6;
        const v = from + f * (x0 - from);
        if (!(v < x0)) return;
        for (const s of absScore ? [v, -v] : [v]) {
          expect(Math.abs(c.calibrateOne(s))).toBeLessThanOrEqual(Math.abs(ys[0]));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('property: a trained calibrator maps every score below its training minimum to 0', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 30, maxLength: 120 }),
        fc.boolean(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (raw, absScore, f) => {
          const c = new AnomScoreCalibrator(1e6, absScore);
          c.train(Float64Array.from(raw));
          if (!c.trained) return;
          const x0 = c.anchors[0][0];
          const v = absScore ? f * x0 : x0 - 1 - f * 1e6;
          if (!(v < x0)) return;
          expect(Math.abs(c.calibrateOne(v))).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });
});
