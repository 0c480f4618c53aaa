import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { autocorrelation } from '../../src/internal.js';

/** The textbook sums, written out independently of src/math (the oracle). */
function naive(v: number[], L: number): number[] | null {
  const n = v.length;
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const c = v.map((x) => x - mean);
  const c0 = c.reduce((a, x) => a + x * x, 0);
  if (!(c0 > 0)) return null;
  const out: number[] = [];
  for (let k = 0; k <= Math.min(L, n - 1); k++) {
    let s = 0;
    for (let i = 0; i + k < n; i++) s += c[i] * c[i + k];
    out.push(s / c0);
  }
  return out;
}

describe('autocorrelation', () => {
  it('property: equals the textbook sums on both routes (direct and FFT), r_0 = 1, |r_k| ≤ 1', {
    timeout: 60_000,
  }, () => {
    fc.assert(
      fc.property(
        // short series take the direct route; n ≥ 4,100 with most lags takes the FFT route (n·L > 2^24)
        fc.oneof(fc.integer({ min: 2, max: 3000 }), fc.integer({ min: 4100, max: 6000 })),
        fc.double({ min: 0.85, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (n, lagShare, seed) => {
          // a seasonal series with noise from a small LCG (the property's own data)
          let s = seed;
          const rnd = () => {
            s = (Math.imul(s, 1103515245) + 12345) >>> 0;
            return s / 2 ** 32 - 0.5;
          };
          const v = Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * i) / 37) * 3 + rnd());
          const L = Math.max(1, Math.floor(lagShare * (n - 1)));
          const got = autocorrelation(v, L);
          const want = naive(v, L);
          expect(got).not.toBeNull();
          expect(got!.length).toBe(want!.length);
          expect(got![0]).toBe(1);
          for (let k = 0; k < want!.length; k++) {
            expect(Math.abs(got![k] - want![k])).toBeLessThan(1e-12);
            expect(Math.abs(got![k])).toBeLessThanOrEqual(1 + 1e-12);
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('property: the direct route (four lags per pass, speed round 17) equals the one-lag-at-a-time sums bit for bit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 60 }),
        fc.integer({ min: 0, max: 70 }),
        (v, maxLag) => {
          const got = autocorrelation(v, maxLag);
          const want = naive(v, maxLag);
          if (want === null) {
            expect(got).toBeNull();
            return;
          }
          expect(got).not.toBeNull();
          // every lag count mod 4 and every start of the four-lag blocks; Object.is: the same bits
          expect(Array.from(got!).map((x, k) => Object.is(x, want[k]))).toEqual(want.map(() => true));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('is null for a constant series on both routes, and takes the FFT route for many lags', () => {
    expect(autocorrelation(new Float64Array(5000).fill(3), 2000)).toBeNull();
    expect(autocorrelation([2, 2, 2], 1)).toBeNull();
    expect(autocorrelation([1], 3)).toBeNull();
    // a pure cosine of period 50: r_50 close to 1 - 50/n on the FFT route (n·L = 20 M > 2^24)
    const v = Float64Array.from({ length: 10_000 }, (_, i) => Math.cos((2 * Math.PI * i) / 50));
    const r = autocorrelation(v, 2000)!;
    expect(r[50]).toBeCloseTo(1 - 50 / 10_000, 6);
    expect(r[25]).toBeCloseTo(-(1 - 25 / 10_000), 6);
    expect(autocorrelation(new Float64Array(10_000).fill(-1), 2000)).toBeNull();
  });
});
