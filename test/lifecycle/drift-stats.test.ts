import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ksExactPValuePaths } from '../../src/internal.js';
import {
  histogram,
  jensenShannon,
  kolmogorovQ,
  ksAsymptoticPValue,
  ksExactPValue,
  ksPValue,
  ksStatistic,
  ksTest,
  LifecycleError,
  psi,
  quantileEdges,
  sampleDivergence,
} from '../../src/lifecycle/index.js';

/** D of one interleaving: bit k of `mask` set = the k-th smallest value belongs to sample a. */
function pathD(mask: number, n: number, m: number): number {
  let i = 0;
  let j = 0;
  let d = 0;
  for (let k = 0; k < n + m; k++) {
    if (mask & (1 << k)) i++;
    else j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  return d;
}

/** P(D ≥ d) by enumerating every interleaving of n + m distinct values (the exact null distribution). */
function bruteForcePValue(d: number, n: number, m: number): number {
  let hit = 0;
  let all = 0;
  for (let mask = 0; mask < 1 << (n + m); mask++) {
    let bits = 0;
    for (let k = 0; k < n + m; k++) if (mask & (1 << k)) bits++;
    if (bits !== n) continue;
    all++;
    if (pathD(mask, n, m) >= d - 1e-9) hit++;
  }
  return hit / all;
}

describe('Kolmogorov–Smirnov', () => {
  it('hand-computed statistics and exact p-values', () => {
    expect(ksStatistic([1, 2, 3], [4, 5, 6])).toBe(1);
    // only the two orderings "all a first" and "all b first" reach D = 1: 2 of C(6,3) = 20
    expect(ksExactPValue(1, 3, 3)).toBeCloseTo(0.1, 12);
    expect(ksTest([1, 2, 3], [4, 5, 6])).toEqual({ d: 1, pValue: expect.closeTo(0.1, 12), method: 'exact' });
    // a a b and b a a give D = 1, a b a gives 1/2: P(D ≥ 1) = 2/3, P(D ≥ 1/2) = 1
    expect(ksStatistic([1, 2], [3])).toBe(1);
    expect(ksStatistic([1, 3], [2])).toBe(0.5);
    expect(ksExactPValue(1, 2, 1)).toBeCloseTo(2 / 3, 12);
    expect(ksExactPValue(0.5, 2, 1)).toBeCloseTo(1, 12);
    // ties: both CDFs pass a shared value together
    expect(ksStatistic([1, 1, 2], [1, 2, 2])).toBeCloseTo(1 / 3, 15);
    expect(ksStatistic([5, 5], [5])).toBe(0);
  });

  it('the exact p-value equals the enumerated null distribution for every small n, m and attainable d', () => {
    for (let n = 1; n <= 6; n++) {
      for (let m = 1; m <= 6; m++) {
        const ds = new Set<number>();
        for (let mask = 0; mask < 1 << (n + m); mask++) ds.add(Math.round(pathD(mask, n, m) * 1e9) / 1e9);
        for (const d of ds) {
          if (d === 0) continue;
          expect(ksExactPValue(d, n, m)).toBeCloseTo(bruteForcePValue(d, n, m), 12);
        }
      }
    }
  });

  it('the asymptotic p-value approaches the exact one for larger samples', () => {
    // the exact distribution has an atom at each attainable d, the limit is continuous: a few % apart
    for (const d of [0.1, 0.15, 0.2]) {
      const exact = ksExactPValue(d, 100, 100);
      expect(Math.abs(ksAsymptoticPValue(d, 100, 100) - exact)).toBeLessThan(0.03);
    }
    expect(Math.abs(ksAsymptoticPValue(0.1, 300, 500) - ksExactPValue(0.1, 300, 500))).toBeLessThan(0.002);
    expect(kolmogorovQ(0)).toBe(1);
    expect(kolmogorovQ(1.3581)).toBeCloseTo(0.05, 3); // the textbook 5% critical value of K
  });

  it('properties: identical samples give D = 0 and p = 1; D in [0, 1]; invariant under a monotone map', () => {
    const sample = fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 60 });
    fc.assert(
      fc.property(sample, (a) => {
        expect(ksStatistic(a, a)).toBe(0);
        expect(ksTest(a, a).pValue).toBe(1);
      }),
    );
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const d = ksStatistic(a, b);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(1);
        expect(ksStatistic(b, a)).toBe(d);
        const f = (x: number) => Math.exp(x / 300) + x ** 3; // strictly increasing
        expect(ksStatistic(a.map(f), b.map(f))).toBe(d);
      }),
    );
  });

  it('property: a sample against its own shift: D never decreases as the shift grows', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 2, maxLength: 50 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 300 }),
        (a, s1, s2) => {
          const [lo, hi] = s1 <= s2 ? [s1, s2] : [s2, s1];
          const dLo = ksStatistic(
            a,
            a.map((x) => x + lo),
          );
          const dHi = ksStatistic(
            a,
            a.map((x) => x + hi),
          );
          expect(dHi).toBeGreaterThanOrEqual(dLo);
        },
      ),
    );
  });

  it('property: the p-value is in [0, 1], non-increasing in d and symmetric in (n, m)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1, max: 120 }),
        fc.double({ min: -0.1, max: 1.1, noNaN: true }),
        fc.double({ min: -0.1, max: 1.1, noNaN: true }),
        (n, m, x, y) => {
          const [d1, d2] = x <= y ? [x, y] : [y, x];
          const p1 = ksPValue(d1, n, m);
          const p2 = ksPValue(d2, n, m);
          expect(p1.method).toBe('exact');
          for (const p of [p1.pValue, p2.pValue]) {
            expect(p).toBeGreaterThanOrEqual(0);
            expect(p).toBeLessThanOrEqual(1);
          }
          // two separate recursions over neighbouring bands: equal values may differ by rounding
          expect(p2.pValue).toBeLessThanOrEqual(p1.pValue * (1 + 1e-12));
          expect(ksPValue(d1, m, n)).toEqual(p1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: P(D ≥ 1) = 2 / C(n+m, n), and for n = m the reflection formula equals the lattice programme', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 400 }), (n, m) => {
        // 2 / C(n+m, n) = 2 Π_{k ≤ n} k / (m + k): only "all of a first" and "all of b first" reach D = 1
        let ref = 2;
        for (let k = 1; k <= n; k++) ref = (ref * k) / (m + k);
        if (n === 1 && m === 1) ref = 1; // 1 against 1 point: D is always 1
        const p = ksExactPValue(1, n, m);
        expect(Math.abs(p - ref) / ref).toBeLessThan(1e-12);
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, d) => {
        const lattice = ksExactPValuePaths(d, n, n);
        const reflection = ksExactPValue(d, n, n);
        if (reflection < 2 ** -1022) expect(Math.abs(lattice - reflection)).toBeLessThan(2 ** -1060);
        else expect(Math.abs(lattice - reflection) / reflection).toBeLessThan(1e-12);
      }),
      { numRuns: 300 },
    );
  });

  it('the lattice programme says NaN (and ksPValue would not use it) when lcm(n, m) ≥ 2³¹; a NaN d is refused', () => {
    expect(ksExactPValuePaths(0.1, 65537, 65539)).toBeNaN(); // coprime: lcm ≈ 4.3e9
    expect(ksPValue(0.1, 65537, 65539).method).toBe('asymptotic'); // above the 10 000 limit anyway
    expect(ksPValue(0.1, 10_000, 9_999).method).toBe('exact'); // the largest lcm under the limit
    expect(() => ksPValue(Number.NaN, 5, 7)).toThrow(LifecycleError);
  });

  it('rejects empty and NaN samples', () => {
    expect(() => ksStatistic([], [1])).toThrow(/empty/);
    expect(() => ksStatistic([1, Number.NaN], [1])).toThrow(/NaN/);
  });
});

describe('PSI and Jensen–Shannon', () => {
  it('hand-computed values', () => {
    // p = (½, ½), q = (¼, ¾): ¼ ln 2 + ¼ ln 1.5 = ¼ ln 3
    expect(psi([50, 50], [25, 75], { alpha: 0 })).toBeCloseTo(Math.log(3) / 4, 14);
    // smoothing ½: (0, 2) → (1/6, 5/6), (2, 0) → (5/6, 1/6): 2 · (4/6) · ln 5
    expect(psi([0, 2], [2, 0])).toBeCloseTo((4 / 3) * Math.log(5), 14);
    expect(psi([1, 0], [0, 1], { alpha: 0 })).toBe(Number.POSITIVE_INFINITY);
    expect(jensenShannon([1, 0], [0, 1], { alpha: 0 })).toBe(1);
    // (½, ½) against (1, 0): m = (¾, ¼)
    const js = 0.5 * (0.5 * Math.log2(2 / 3) + 0.5 * 1 + Math.log2(4 / 3));
    expect(jensenShannon([1, 1], [1, 0], { alpha: 0 })).toBeCloseTo(js, 14);
    expect(quantileEdges([1, 2, 3, 4, 5], 2)).toEqual(Float64Array.from([3]));
    expect(histogram([1, 2, 3, 4, 5], Float64Array.from([3]))).toEqual(Float64Array.from([3, 2]));
  });

  const counts = fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 2, maxLength: 12 });
  it('properties: symmetric, non-negative, zero on identical counts, JS ≤ 1 bit', () => {
    fc.assert(
      fc.property(counts, counts, (p0, q0) => {
        const k = Math.min(p0.length, q0.length);
        const p = p0.slice(0, k);
        const q = q0.slice(0, k);
        p[0] += 1; // non-empty
        q[0] += 1;
        const a = psi(p, q);
        expect(a).toBeGreaterThanOrEqual(0);
        expect(psi(q, p)).toBeCloseTo(a, 10);
        expect(psi(p, p)).toBe(0);
        const j = jensenShannon(p, q);
        expect(j).toBeGreaterThanOrEqual(0);
        expect(j).toBeLessThanOrEqual(1);
        expect(jensenShannon(q, p)).toBeCloseTo(j, 12);
        expect(jensenShannon(p, p)).toBe(0);
      }),
    );
  });

  it('properties on samples: identical samples give PSI = JS = 0; pooled bins make both symmetric', () => {
    const sample = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 80 });
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const same = sampleDivergence(a, a);
        expect(same.psi).toBe(0);
        expect(same.js).toBe(0);
        const ab = sampleDivergence(a, b);
        const ba = sampleDivergence(b, a);
        expect(ba.psi).toBeCloseTo(ab.psi, 10);
        expect(ba.js).toBeCloseTo(ab.js, 12);
        expect(ab.psi).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it('properties: moving mass from one bin to the other grows PSI and JS', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 500 }), fc.integer({ min: 0, max: 500 }), (n, k0) => {
        const k = Math.min(k0, n - 1);
        const ref = [n, 0];
        expect(psi(ref, [n - k - 1, k + 1])).toBeGreaterThan(psi(ref, [n - k, k]));
        expect(jensenShannon(ref, [n - k - 1, k + 1])).toBeGreaterThan(jensenShannon(ref, [n - k, k]));
      }),
    );
  });

  it('rejects mismatched or negative counts and bad smoothing', () => {
    expect(() => psi([1, 2], [1])).toThrow(/same/);
    expect(() => psi([1, -1], [1, 1])).toThrow(/≥ 0/);
    expect(() => jensenShannon([1, 1], [1, 1], { alpha: -1 })).toThrow(/alpha/);
    expect(() => quantileEdges([1], 1)).toThrow(/bins/);
  });

  it('refuses an empty sample and an empty side of the counts without smoothing (usab29: before, a number or NaN came back)', () => {
    // an empty sample has no distribution: before, sampleDivergence([], b) answered PSI 0.25 (the
    // smoothing's pseudo-counts against b), a "significant shift" made of nothing
    for (const [a, b] of [
      [[], [1, 2, 3]],
      [[1, 2, 3], []],
    ]) {
      expect(() => sampleDivergence(a, b)).toThrow(LifecycleError);
      expect(() => sampleDivergence(a, b)).toThrow(/sample (a|b) is empty/);
      expect(() => sampleDivergence(a, b, { edges: Float64Array.of(2) })).toThrow(/is empty/);
    }
    // NaN in a sample binned at given edges: before, it fell silently into the last bin
    expect(() => sampleDivergence([1, 2, 3], [1, Number.NaN], { edges: Float64Array.of(2) })).toThrow(
      /sample b\[1\] is NaN/,
    );
    // without smoothing, a side with no counts at all: before, NaN
    for (const f of [psi, jensenShannon]) {
      expect(() => f([0, 0], [1, 2], { alpha: 0 })).toThrow(/bin counts are all 0/);
      expect(() => f([1, 2], [0, 0], { alpha: 0 })).toThrow(/bin counts are all 0/);
      expect(f([0, 0], [1, 2])).toBeGreaterThan(0); // smoothed: defined
    }
  });
});
