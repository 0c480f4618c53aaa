import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitZms, zmsKernel, zmsScores } from '../../src/detectors/index.js';
import { DetectorError } from '../../src/index.js';
import { ZmsStreamCore } from '../../src/internal.js';

// Worked example Z1, merlion-detectors.md §3.
const Z1_TRAIN = Float64Array.from([1, 2, 4, 7, 11, 16, 22, 29]);

describe('ZMS core: worked example Z1', () => {
  const state = fitZms(Z1_TRAIN, { base: 2, nLags: 3, lagInflation: 1 });
  const kern = zmsKernel(state);

  it('uses lags 1, 2, 4 and the spec means / standard deviations', () => {
    expect(state.lags).toEqual([1, 2, 4]);
    const means = [11.5, 3.5, 6.125, 9.25];
    const stds = [9.447221813845593, 2.29128784747792, 4.399928976699511, 7.628073151196179];
    for (let j = 0; j < 4; j++) {
      expect(state.mean[j]).toBeCloseTo(means[j], 13);
      expect(Math.abs(state.scale[j] - stds[j]) / stds[j]).toBeLessThan(1e-12);
    }
  });

  it('gives the spec train scores', () => {
    const want = [-1.212626, -1.081531, -0.819342, -0.426058, 0.218218, 0.654654, 1.111438, 1.852396];
    const got = zmsScores(kern, Z1_TRAIN);
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 6);
  });

  it('scores the test values 30, 45 with the training data as context', () => {
    const got = zmsScores(kern, Float64Array.from([30, 45]), Z1_TRAIN);
    expect(got[0]).toBeCloseTo(1.958248, 6);
    expect(got[1]).toBeCloseTo(5.019011, 6);
    // lag-1 wins: (15 − 3.5) / std(lag1)
    expect(got[1]).toBe((15 - 3.5) / state.scale[1]);
  });

  it('streams the same numbers continuing from the training data', () => {
    const s = new ZmsStreamCore(kern, Z1_TRAIN);
    expect(s.push(30)).toBe(zmsScores(kern, Float64Array.from([30, 45]), Z1_TRAIN)[0]);
    expect(s.push(45)).toBe(zmsScores(kern, Float64Array.from([30, 45]), Z1_TRAIN)[1]);
  });

  it('infers nLags = trunc(log_base n) when left open', () => {
    expect(fitZms(Z1_TRAIN, { base: 2, nLags: null, lagInflation: 1 }).lags).toEqual([1, 2, 4]);
  });
});

describe('ZMS core: properties', () => {
  it('rejects a spread below MIN_SCALE with a typed error instead of overflowing later', () => {
    expect(() => fitZms(Float64Array.from([0, 1e-155]), { base: 2, nLags: 1, lagInflation: 1 })).toThrow(
      /rescale the series/,
    );
  });
  const arrays = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 80 });
  /** Fits, or returns null for data whose spread is below MIN_SCALE (a typed error by design). */
  const fitOrNull = (x: Float64Array, nLags: number | null, p: number) => {
    try {
      return zmsKernel(fitZms(x, { base: 2, nLags, lagInflation: p }));
    } catch (e) {
      if (e instanceof DetectorError && e.code === 'tiny_scale') return null;
      throw e;
    }
  };
  it('batch scoring equals streaming bit for bit, with and without context', () => {
    fc.assert(
      fc.property(
        arrays,
        arrays,
        fc.integer({ min: 0, max: 5 }),
        fc.constantFrom(0, 0.5, 1, 2),
        (train, test, nLags, p) => {
          const tr = Float64Array.from(train);
          const te = Float64Array.from(test);
          const kern = fitOrNull(tr, nLags, p);
          if (kern === null) return;
          const batch = zmsScores(kern, te, tr);
          const s = new ZmsStreamCore(kern, tr);
          for (let i = 0; i < te.length; i++) expect(Object.is(s.push(te[i]), batch[i])).toBe(true);
          const cold = zmsScores(kern, te);
          const s2 = new ZmsStreamCore(kern);
          for (let i = 0; i < te.length; i++) expect(Object.is(s2.push(te[i]), cold[i])).toBe(true);
          // a snapshot resumes exactly
          const s3 = ZmsStreamCore.restore(kern, new ZmsStreamCore(kern, tr).snapshot());
          for (let i = 0; i < te.length; i++) expect(Object.is(s3.push(te[i]), batch[i])).toBe(true);
        },
      ),
    );
  });
  it('scores are finite for finite data', () => {
    fc.assert(
      fc.property(arrays, (train) => {
        const tr = Float64Array.from(train);
        const kern = fitOrNull(tr, null, 1);
        if (kern === null) return;
        for (const v of zmsScores(kern, tr)) expect(Number.isFinite(v)).toBe(true);
      }),
    );
  });
});
