/**
 * AnomScoreCalibrator on degenerate training scores (docs/detectors.md, Post-processing:
 * AnomScoreCalibrator, "Collapsed anchors"): scores whose whole spread is rounding noise train no anchors
 * (the identity) instead of stretching the noise into a steep curve, and outputs stay finite and ordered.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnomScoreCalibrator, collapseResolution, DiscordDetector } from '../../src/detectors/index.js';

const T0 = Date.UTC(2020, 0, 1);
const STEP = 300_000;
function series(n: number, from: number, f: (i: number) => number) {
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = T0 + (from + i) * STEP;
    v[i] = f(from + i);
  }
  return { t, v };
}

describe('AnomScoreCalibrator with collapsed anchors', () => {
  it('rounding-noise scores (2/3 zeros, the rest about 1e-6) train no anchors; a real spread does', () => {
    const noise = new Float64Array(48);
    for (let i = 32; i < 48; i++) noise[i] = (i - 31) * 2e-7;
    const c = new AnomScoreCalibrator(1000);
    expect(Array.from(c.train(noise))).toEqual(Array.from(noise));
    expect(c.trained).toBe(false);
    expect(c.calibrateOne(1.5)).toBe(1.5);
    // the same shape at a scale of 1: a calibrator with anchors, as before
    const real = noise.map((v) => v * 5e6);
    const d = new AnomScoreCalibrator(1000);
    d.train(real);
    expect(d.anchors.length).toBeGreaterThanOrEqual(3);
    expect(d.calibrateOne(1.5)).not.toBe(1.5);
  });

  it('equal and nearly equal scores at any magnitude collapse; the resolution is √ε of the larger of maxScore and the scores', () => {
    for (const base of [0, 1e-9, 1, 1e6, 1e12, -3]) {
      const x = Float64Array.from({ length: 60 }, (_, i) => base * (1 + (i % 7) * Number.EPSILON));
      const c = new AnomScoreCalibrator(1000);
      c.train(x);
      expect(c.trained).toBe(false);
    }
    expect(collapseResolution(1000, 0, 1e-6)).toBe(Math.sqrt(Number.EPSILON) * 1000);
    expect(collapseResolution(1e-3, 0, 1e-9)).toBe(1e-8);
  });

  it('property: finite output for any finite input after training on any finite scores, incl. all-equal and nearly-equal', () => {
    const scores = fc.oneof(
      fc.array(fc.double({ min: -1e12, max: 1e12, noNaN: true }), { minLength: 1, maxLength: 80 }),
      fc
        .tuple(fc.double({ min: -1e12, max: 1e12, noNaN: true }), fc.integer({ min: 1, max: 80 }))
        .map(([v, n]) => Array.from({ length: n }, () => v)),
      fc
        .tuple(
          fc.double({ min: -1e12, max: 1e12, noNaN: true }),
          fc.array(fc.integer({ min: -4, max: 4 }), { minLength: 1, maxLength: 80 }),
        )
        .map(([v, ks]) => ks.map((k) => v + k * Math.abs(v) * Number.EPSILON)),
    );
    fc.assert(
      fc.property(
        scores,
        fc.double({ min: 1e-3, max: 1e6, noNaN: true }),
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 20 }),
        (train, maxScore, xs) => {
          const c = new AnomScoreCalibrator(maxScore);
          const out = c.train(Float64Array.from(train));
          for (const v of out) expect(Number.isFinite(v)).toBe(true);
          for (const v of xs) expect(Number.isFinite(c.calibrateOne(v))).toBe(true);
          const a = c.anchors;
          // trained: the anchors span more than the resolution; else the identity
          if (a.length >= 2) {
            expect(a[a.length - 1][0] - a[0][0]).toBeGreaterThan(
              collapseResolution(c.maxScore, a[0][0], a[a.length - 1][0]),
            );
          } else {
            for (const v of xs) expect(c.calibrateOne(v)).toBe(v);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: beyond the training range the output strictly increases, also on nearly collapsed scores', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 22, max: 400 }),
        fc.double({ min: 0.5, max: 0.95, noNaN: true }),
        fc.double({ min: 1e-5, max: 10, noNaN: true }),
        fc.double({ min: 1.001, max: 1e6, noNaN: true }),
        fc.double({ min: 1.001, max: 1e6, noNaN: true }),
        (n, zeroShare, scale, a, b) => {
          fc.pre(Math.abs(a - b) > 1e-9 * Math.max(a, b));
          const x = new Float64Array(n);
          const z = Math.floor(n * zeroShare);
          for (let i = z; i < n; i++) x[i] = ((i - z + 1) / (n - z)) * scale;
          const c = new AnomScoreCalibrator(1000);
          c.train(x);
          const top = c.trained ? c.anchors[c.anchors.length - 1][0] : scale;
          const fa = c.calibrateOne(a * top);
          const fb = c.calibrateOne(b * top);
          expect(Math.sign(fb - fa)).toBe(Math.sign(b - a));
          expect(Number.isFinite(fa) && Number.isFinite(fb)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('discord trained on a noise-free straight line (found scoring about 1e9 at a spike)', () => {
  for (const n of [48, 200, 1000, 3000]) {
    it(`${n} points: no calibrator anchors, no alarm on the continuation, the spike alarms with a finite score`, () => {
      const line = (i: number) => 10 + 0.05 * i;
      const train = series(n, 0, line);
      const det = new DiscordDetector({});
      det.train(train);
      const cal = (det.toJSON().state as { calibrator: { anchorsX: unknown[] } }).calibrator;
      expect(cal.anchorsX).toEqual([]);
      const normal = det.detect(series(200, n, line), { prev: train });
      expect(normal.alarms).toEqual([]);
      for (const v of normal.scores.v) expect(Math.abs(v)).toBeLessThan(1);
      const spiked = series(200, n, line);
      spiked.v[100] += 100;
      const s = det.detect(spiked, { prev: train });
      expect(s.alarms.length).toBeGreaterThan(0);
      for (const v of s.scores.v) expect(Number.isFinite(v)).toBe(true);
    });
  }
});
