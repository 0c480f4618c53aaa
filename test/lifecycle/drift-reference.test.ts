/**
 * Drift statistics side by side with SciPy (ref42; docs/lifecycle.md, "Checked against SciPy").
 *
 * Every reference figure below was printed on 2026-12-07 by Python 3 in a venv with numpy 2.4.6 and
 * scipy 1.17.1, from the same samples: the generators `uniforms` / `noise` of test/helpers/reference-series.ts
 * were written once in Python (`x = (1664525·x + 1013904223) mod 2³²`, `u = x / 2³²`; the Python script's
 * `lcg` and `normalish`) and give the same doubles bit for bit (every operation is exact in float64, or one
 * IEEE addition in the same order). The calls are named beside each constant.
 */
import { describe, expect, it } from 'vitest';
import {
  histogram,
  jensenShannon,
  ksAsymptoticPValue,
  ksExactPValue,
  ksStatistic,
  ksTest,
  psi,
  sampleDivergence,
} from '../../src/lifecycle/index.js';
import { noise, uniforms } from '../helpers/reference-series.js';

/** `noise` as a plain array (the Python script's `normalish`). */
const normalish = (seed: number, k: number, shift = 0): number[] => Array.from(noise(seed, k, shift));
/** k uniforms as the Python script's `lcg` drew them, each mapped by `f`. */
const lcg = (seed: number, k: number, f: (u: number) => number): number[] => Array.from(uniforms(seed, k), f);

const samples: Record<string, [number[], number[]]> = {
  'ties 30 vs 25': [lcg(1, 30, (u) => Math.floor(u * 5)), lcg(2, 25, (u) => Math.floor(u * 6))],
  'unequal 40 vs 70': [normalish(3, 40), normalish(4, 70, 0.3)],
  'tiny 1 vs 2': [[1.5], [0.5, 2.5]],
  'tiny 2 vs 1': [[1, 2], [3]],
  'tiny 3 vs 4': [
    [0.1, 0.7, 0.9],
    [0.2, 0.3, 0.4, 0.5],
  ],
  'identical 20': [normalish(5, 20), normalish(5, 20)],
  'equal 100 vs 100': [normalish(6, 100), normalish(7, 100, 0.25)],
  'asymptotic 200 vs 300': [normalish(8, 200), normalish(9, 300, 0.15)],
  'asymptotic 1000 vs 800': [normalish(10, 1000), normalish(11, 800, 0.08)],
};

/**
 * `r = scipy.stats.ks_2samp(a, b, method=M)` for M = 'exact' and 'asymp': [r.statistic, exact p, asymp p].
 * (method='auto', SciPy's default, is 'exact' for every case here: it is exact while max(n, m) ≤ 10 000.)
 */
const SCIPY_KS: Record<string, [number, number, number]> = {
  'ties 30 vs 25': [0.26, 0.2657337502251275, 0.25280126359468935],
  'unequal 40 vs 70': [0.28214285714285714, 0.028194020856991776, 0.029729887161771495],
  'tiny 1 vs 2': [0.5, 1.0, 1.0],
  'tiny 2 vs 1': [1.0, 0.6666666666666666, 0.0],
  'tiny 3 vs 4': [0.6666666666666666, 0.39999999999999997, 0.22222222222222213],
  'identical 20': [0.0, 1.0, 1.0],
  'equal 100 vs 100': [0.28, 0.0007377026282063397, 0.0005850122324396745],
  'asymptotic 200 vs 300': [0.16, 0.0039250453637471525, 0.0037643809080160537],
  'asymptotic 1000 vs 800': [0.08825, 0.001850239114050034, 0.0018544670839177443],
};

const rel = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(b), 1e-300));

describe('two-sample KS against scipy.stats.ks_2samp (scipy 1.17.1)', () => {
  it('D equals scipy’s statistic to rounding, ties and unequal sizes included', () => {
    for (const [name, [a, b]] of Object.entries(samples)) {
      expect(ksStatistic(a, b), name).toBeCloseTo(SCIPY_KS[name][0], 14);
    }
  });

  it('the exact p-value equals scipy’s method="exact" to 1e-12 relative', () => {
    for (const [name, [a, b]] of Object.entries(samples)) {
      const d = ksStatistic(a, b);
      expect(rel(ksExactPValue(d, a.length, b.length), SCIPY_KS[name][1]), name).toBeLessThan(1e-12);
    }
  });

  it('ksTest is exact (scipy’s figure) while n·m ≤ 10 000, and its asymptotic p-value stays within 6 % of it above', () => {
    for (const [name, [a, b]] of Object.entries(samples)) {
      const r = ksTest(a, b);
      const exact = SCIPY_KS[name][1];
      if (a.length * b.length <= 10_000) {
        expect(r.method, name).toBe('exact');
        expect(rel(r.pValue, exact), name).toBeLessThan(1e-12);
      } else {
        // Stephens' approximation, not scipy's kstwo.sf(d, round(nm/(n+m))): 0.0037068 against scipy's exact
        // 0.0039250 (−5.6 %) and asymp 0.0037644 at 200 × 300; 0.0018143 against 0.0018502 (−1.9 %) at 1000 × 800
        expect(r.method, name).toBe('asymptotic');
        expect(rel(r.pValue, exact), name).toBeLessThan(0.06);
      }
    }
    expect(ksTest(...samples['asymptotic 200 vs 300']).pValue).toBeCloseTo(0.003706782774941792, 15);
  });

  it('tiny samples: scipy’s asymptotic p-value is far from the exact one, ours is not used there', () => {
    // 2 against 1 point, D = 1: exactly 2 of the 3 interleavings reach it; scipy's asymp says 0
    const [a, b] = samples['tiny 2 vs 1'];
    expect(ksTest(a, b)).toEqual({ d: 1, pValue: expect.closeTo(2 / 3, 15), method: 'exact' });
    expect(SCIPY_KS['tiny 2 vs 1'][2]).toBe(0);
    expect(ksAsymptoticPValue(1, 2, 1)).toBeGreaterThan(0.2);
  });
});

/**
 * p = (c + α) / (Σc + Bα) on each side; JS = `scipy.spatial.distance.jensenshannon(p, q, base=2) ** 2`,
 * PSI = `np.sum((q - p) * np.log(q / p))` (no library has PSI): [psi, js] for α = 0.5, 0, 1.
 */
const COUNTS: Record<string, [number[], number[]]> = {
  'half-half vs quarter': [
    [2, 2],
    [1, 3],
  ],
  'empty bin one side': [
    [10, 0, 5, 3],
    [4, 6, 0, 8],
  ],
  'unequal totals': [
    [120, 80, 40, 10, 0],
    [3, 9, 14, 30, 44],
  ],
  identical: [
    [7, 1, 0, 2],
    [7, 1, 0, 2],
  ],
  'single count': [
    [1, 0, 0],
    [0, 0, 1],
  ],
};
const REF_DIV: Record<string, Record<string, [number, number]>> = {
  'half-half vs quarter': {
    '0.5': [0.16945957207744072, 0.03030514483932229],
    '0': [0.2746530721670274, 0.048794940695398505],
    '1': [0.11552453009332421, 0.020720839623908173],
  },
  'empty bin one side': {
    '0.5': [1.8449737823044405, 0.28121838731018256],
    '0': [Number.POSITIVE_INFINITY, 0.40604032603389895],
    '1': [1.3372569765336098, 0.21810845365728707],
  },
  'unequal totals': {
    '0.5': [4.283489215002864, 0.5005369830038764],
    '0': [Number.POSITIVE_INFINITY, 0.5236916011308349],
    '1': [3.8489276170296955, 0.4805862639936715],
  },
  // numpy's formula gives nan with α = 0 (0·ln(0/0) in the bin empty on both sides); ours skips such a bin: 0
  identical: { '0.5': [0, 0], '0': [0, 0], '1': [0, 0] },
  // α = 0: numpy nan (0·ln(0/0) plus ∞); ours ∞ (a bin empty on one side only)
  'single count': {
    '0.5': [0.8788898309344876, 0.15097750043269367],
    '0': [Number.POSITIVE_INFINITY, 1.0],
    '1': [0.34657359027997264, 0.061278124459132846],
  },
};

describe('PSI and Jensen–Shannon against the formula and scipy.spatial.distance.jensenshannon', () => {
  it('agree to 1e-13 relative for α = 0.5 (default), 0 and 1, with empty bins and unequal totals', () => {
    for (const [name, [e, a]] of Object.entries(COUNTS)) {
      for (const alpha of [0.5, 0, 1]) {
        const [refPsi, refJs] = REF_DIV[name][String(alpha)];
        const p = psi(e, a, { alpha });
        const j = jensenShannon(e, a, { alpha });
        if (Number.isFinite(refPsi)) expect(rel(p, refPsi), `${name} α ${alpha} PSI`).toBeLessThan(1e-13);
        else expect(p, `${name} α ${alpha} PSI`).toBe(refPsi);
        expect(Math.abs(j - refJs), `${name} α ${alpha} JS`).toBeLessThan(1e-13 * Math.max(refJs, 1e-3));
      }
    }
  });

  /**
   * Pooled edges `np.unique(np.quantile(np.concatenate([a, b]), np.arange(1, 10) / 10))` (linear, type 7),
   * bins `np.searchsorted(edges, x, side='left')`, then PSI and JS of the two histograms with α = 0.5.
   */
  const REF_SAMPLES: Record<string, { edges: number; ha: number[]; hb: number[]; psi: number; js: number }> =
    {
      'ties 30 vs 25': {
        edges: 6,
        ha: [5, 10, 0, 6, 6, 3, 0],
        hb: [3, 4, 0, 7, 2, 7, 2],
        psi: 0.5000537992198948,
        js: 0.08586879952363707,
      },
      'unequal 40 vs 70': {
        edges: 9,
        ha: [5, 8, 2, 6, 5, 4, 3, 5, 1, 1],
        hb: [6, 3, 9, 5, 6, 7, 8, 6, 10, 10],
        psi: 0.661863997089348,
        js: 0.1118999720923947,
      },
      'equal 100 vs 100': {
        edges: 9,
        ha: [17, 13, 12, 10, 9, 8, 7, 10, 6, 8],
        hb: [3, 7, 8, 10, 11, 12, 13, 10, 14, 12],
        psi: 0.39061335977496725,
        js: 0.06623312155962216,
      },
      'asymptotic 200 vs 300': {
        edges: 9,
        ha: [30, 25, 20, 18, 22, 18, 18, 13, 17, 19],
        hb: [20, 25, 30, 32, 28, 32, 32, 37, 33, 31],
        psi: 0.13426170723499134,
        js: 0.0237875757020329,
      },
    };

  it('sampleDivergence: numpy’s pooled quantile edges and histograms, then the same PSI and JS', () => {
    for (const [name, ref] of Object.entries(REF_SAMPLES)) {
      const [a, b] = samples[name];
      const r = sampleDivergence(a, b);
      expect(r.edges.length, name).toBe(ref.edges);
      expect(Array.from(histogram(a, r.edges)), name).toEqual(ref.ha);
      expect(Array.from(histogram(b, r.edges)), name).toEqual(ref.hb);
      expect(rel(r.psi, ref.psi), name).toBeLessThan(1e-13);
      expect(rel(r.js, ref.js), name).toBeLessThan(1e-13);
    }
  });
});
