import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACF_WASM_DOUBLES, autocorrelation, directAutocorrelation } from '../../src/internal.js';

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

describe('autocorrelation in WebAssembly', () => {
  /** `Object.is` on every lag: the same bits, NaN included (null when both are null). */
  const sameBits = (a: Float64Array | null, b: Float64Array | null): boolean =>
    a === null || b === null ? a === b : a.length === b.length && a.every((x, k) => Object.is(x, b[k]));

  it('property: the WebAssembly sums equal the JavaScript ones bit for bit (every lag count mod 16, tiny and huge values)', {
    timeout: 60_000,
  }, () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 2, max: 3000 })),
        fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 3000 })),
        fc.constantFrom(1, 1e-160, 1e-300, 1e150, 1e300),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.constantFrom('noise', 'seasonal', 'steps', 'signed zeros'),
        (n, maxLag, scale, seed, shape) => {
          let s = seed;
          const rnd = () => {
            s = (Math.imul(s, 1103515245) + 12345) >>> 0;
            return s / 2 ** 32 - 0.5;
          };
          const v = new Float64Array(n);
          for (let i = 0; i < n; i++) {
            const x =
              shape === 'noise'
                ? rnd()
                : shape === 'seasonal'
                  ? Math.sin((2 * Math.PI * i) / 37) + 0.1 * rnd()
                  : Math.floor(4 * rnd());
            v[i] = shape === 'signed zeros' ? (i % 2 ? -0 : 0) : x * scale;
          }
          if (shape === 'signed zeros') {
            // +0 at even indices, -0 at odd ones, one +x at an even index and one -x at an odd one: the
            // mean is +0 and every product of an odd lag is negative, almost all -0 (a sum that starts
            // from 0 is +0, one that starts from its first term -0)
            v[2 * Math.floor(((rnd() + 0.5) * (n - 1)) / 2)] = scale;
            v[2 * Math.floor(((rnd() + 0.5) * (n - 1)) / 2) + 1] = -scale;
          }
          const js = directAutocorrelation(v, maxLag, 'javascript');
          const wasm = directAutocorrelation(v, maxLag, 'webassembly');
          expect(sameBits(wasm, js)).toBe(true);
          // and `autocorrelation` (the WebAssembly route when the direct sums are taken)
          if (n * Math.min(maxLag, n - 1) <= 2 ** 24)
            expect(sameBits(autocorrelation(v, maxLag), js)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('takes every lag count mod 16 on a fixed series (a pass is eight lags; calls are 64)', () => {
    const v = Float64Array.from({ length: 300 }, (_, i) => Math.cos(i / 7) + ((i * 0.618034) % 1));
    for (let L = 0; L <= 150; L++) {
      const js = directAutocorrelation(v, L, 'javascript')!;
      const wasm = directAutocorrelation(v, L, 'webassembly')!;
      expect(wasm.length).toBe(L + 1);
      expect(Array.from(wasm).every((x, k) => Object.is(x, js[k]))).toBe(true);
    }
  });

  it('is null for a constant series, and refuses more than its memory holds (autocorrelation then sums in JavaScript)', () => {
    expect(directAutocorrelation(new Float64Array(1000).fill(7), 300, 'webassembly')).toBeNull();
    expect(directAutocorrelation([1e300, 1e300], 1, 'webassembly')).toBeNull();
    expect(directAutocorrelation([1], 3, 'webassembly')).toBeNull();
    const n = ACF_WASM_DOUBLES - 10;
    const v = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 11) + ((i * 0.618034) % 1));
    // n + L + 1 = 65,536 fits; one more lag does not
    const fits = directAutocorrelation(v, 9, 'webassembly')!;
    expect(fits.length).toBe(10);
    expect(() => directAutocorrelation(v, 10, 'webassembly')).toThrow(RangeError);
    const js = directAutocorrelation(v, 10, 'javascript')!;
    expect(sameBits(autocorrelation(v, 10), js)).toBe(true);
    expect(Array.from(fits).every((x, k) => Object.is(x, js[k]))).toBe(true);
  });
});
