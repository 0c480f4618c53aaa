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
  ksPValue,
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

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

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

  it('ksTest is exact and equals scipy’s default (exact) p-value to 1e-12 on all nine pairs (max(n, m) ≤ 10 000)', () => {
    // before ks42 the p-value was asymptotic above n·m = 10 000: 0.0037068 at 200 × 300 (−5.6 %), 0.0018143 at 1000 × 800
    for (const [name, [a, b]] of Object.entries(samples)) {
      const r = ksTest(a, b);
      expect(r.method, name).toBe('exact');
      expect(rel(r.pValue, SCIPY_KS[name][1]), name).toBeLessThan(1e-12);
    }
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
 * ks42: `r = scipy.stats.ks_2samp(a, b)` (default `method='auto'`; scipy 1.17.1, numpy 2.4.6, 2026-12-07)
 * with `a = normalish(seed, n)`, `b = normalish(seed + 1, m, shift)`: [n, m, seed, [[shift, r.statistic,
 * r.pvalue], …]]. Python printed each line of the table from that call; seeds 20, 22, … per size pair:
 *
 *     seed = 20
 *     for n, m in sizes:                      # the 8 pairs below, in order
 *         for s in [0.0, 0.05, 0.2, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]:
 *             r = ks_2samp(normalish(seed, n), normalish(seed + 1, m, s)); print(s, r.statistic, r.pvalue)
 *         seed += 2
 *
 * scipy answered every pair in at most 17 ms of CPU, 10 000 × 10 000 included (it has the reflection
 * formula for equal sizes too).
 */
const SCIPY_AUTO: [number, number, number, [number, number, number][]][] = [
  [
    5,
    7,
    20,
    [
      [0.0, 0.5142857142857142, 0.3282828282828283],
      [0.05, 0.5142857142857142, 0.3282828282828283],
      [0.2, 0.37142857142857144, 0.7373737373737375],
      [0.5, 0.2, 0.9974747474747474],
      [1.0, 0.5142857142857142, 0.3282828282828283],
      [1.5, 0.8, 0.030303030303030304],
      [2.0, 1.0, 0.0025252525252525255],
      [2.5, 1.0, 0.0025252525252525255],
      [3.0, 1.0, 0.0025252525252525255],
    ],
  ],
  [
    50,
    50,
    22,
    [
      [0.0, 0.18, 0.3959398631708505],
      [0.05, 0.14, 0.7166468440414822],
      [0.2, 0.2, 0.2719135601522248],
      [0.5, 0.38, 0.0013147736033165794],
      [1.0, 0.7, 5.022006049995235e-12],
      [1.5, 0.86, 3.173227767377155e-19],
      [2.0, 0.98, 1.9823306042836677e-27],
      [2.5, 1.0, 1.9823306042836678e-29],
      [3.0, 1.0, 1.9823306042836678e-29],
    ],
  ],
  [
    200,
    300,
    24,
    [
      [0.0, 0.08166666666666667, 0.3860788403506925],
      [0.05, 0.10833333333333334, 0.11366524662811625],
      [0.2, 0.20166666666666666, 9.997396120730601e-5],
      [0.5, 0.3983333333333333, 1.7431114307539226e-17],
      [1.0, 0.725, 1.4233923366186979e-61],
      [1.5, 0.905, 2.039347145432049e-105],
      [2.0, 0.9766666666666667, 2.7018798490865695e-132],
      [2.5, 0.9916666666666667, 3.1612974360574143e-140],
      [3.0, 1.0, 3.9565179860795375e-145],
    ],
  ],
  [
    1000,
    800,
    26,
    [
      [0.0, 0.02175, 0.9816618389617093],
      [0.05, 0.058, 0.09679871610171457],
      [0.2, 0.16975, 1.2048155461414971e-11],
      [0.5, 0.38425, 5.3142732691304064e-59],
      // biome-ignore lint/suspicious/noApproximativeNumericConstant: scipy's statistic 693/1000, not ln 2
      [1.0, 0.693, 9.301970409781858e-205],
      [1.5, 0.871, 1.53e-322],
      [2.0, 0.961, 0.0],
      [2.5, 0.998, 0.0],
      [3.0, 1.0, 0.0],
    ],
  ],
  [
    1000,
    1000,
    28,
    [
      [0.0, 0.029, 0.7946637387576738],
      [0.05, 0.045, 0.26347172719864703],
      [0.2, 0.141, 4.38875271454814e-9],
      [0.5, 0.343, 1.5193815153747912e-52],
      [1.0, 0.667, 3.077566159393644e-211],
      [1.5, 0.856, 0.0],
      [2.0, 0.968, 0.0],
      [2.5, 0.997, 0.0],
      [3.0, 1.0, 0.0],
    ],
  ],
  [
    288,
    10000,
    30,
    [
      [0.0, 0.04895555555555556, 0.49763932086274815],
      [0.05, 0.06343333333333333, 0.20106247121098939],
      [0.2, 0.17633888888888888, 4.384937263540851e-8],
      [0.5, 0.3904388888888889, 6.553305559309025e-39],
      [1.0, 0.68645, 4.0237443599546403e-131],
      [1.5, 0.8615444444444444, 1.5321759835200884e-236],
      [2.0, 0.9590666666666666, 4.84e-322],
      [2.5, 0.9973, 1.5e-323],
      [3.0, 1.0, 1e-323],
    ],
  ],
  [
    10000,
    10000,
    32,
    [
      [0.0, 0.0066, 0.9813865022115018],
      [0.05, 0.0371, 2.100314609257551e-6],
      [0.2, 0.148, 6.723830063159681e-96],
      [0.5, 0.3612, 0.0],
      [1.0, 0.6667, 0.0],
      [1.5, 0.8596, 0.0],
      [2.0, 0.957, 0.0],
      [2.5, 0.9953, 0.0],
      [3.0, 1.0, 0.0],
    ],
  ],
  [
    10001,
    288,
    34,
    [
      [0.0, 0.06364189969891898, 0.19816070695237198],
      [0.05, 0.05922845215478453, 0.2689484384232549],
      [0.2, 0.1541189631036896, 2.8385210760419864e-6],
      [0.5, 0.37102470308524704, 4.274504506302219e-35],
      [1.0, 0.6967178282171783, 1.6527604903612186e-136],
      [1.5, 0.8908949382839493, 9.719435684869219e-270],
      [2.0, 0.9675581053005811, 0.0],
      [2.5, 0.9983001699830018, 0.0],
      [3.0, 1.0, 0.0],
    ],
  ],
];

/**
 * The same P(D ≥ h/lcm) as an exact rational: Python integers count the paths that stay inside the band
 * (`row[j] += row[j − 1]` over the whole grid, 0 outside), then `float(Fraction(C(n+m, n) − inside,
 * C(n+m, n)))`, correctly rounded, subnormals included. [n, m, h, p]. No floating point before the last
 * rounding, so this is an oracle independent of both scipy's and our recursions.
 */
const RATIONAL: [number, number, number, number][] = [
  [200, 300, 121, 9.997396120730598e-5],
  [200, 300, 543, 2.039347145432049e-105],
  [1000, 800, 2772, 9.301970409781854e-205],
  [1000, 800, 3200, 7.042271324970422e-285],
  [1000, 800, 3280, 2.59100386419142e-302],
  [1000, 800, 3300, 8.135158346107328e-307],
  [1000, 800, 3320, 2.220751943974e-311], // subnormal: 13 significant digits left
  [1000, 800, 3340, 5.25102084e-316], // subnormal: 9 digits
  [1000, 800, 3484, 0], // d = 0.871: scipy says 1.53e-322 (below)
  [288, 10000, 155078, 1.5321759835200888e-236],
  [288, 10000, 172632, 0], // d = 0.95907: scipy 4.84e-322
  [288, 10000, 179514, 0], // d = 0.9973: scipy 1.5e-323
  [288, 10000, 180000, 0], // d = 1, exactly 2 / C(10288, 288) ≈ 1e-572: scipy 1e-323
];

/** The smallest positive normal double: below it a p-value keeps fewer than 16 digits. */
const MIN_NORMAL = 2 ** -1022;

describe('ksTest against scipy.stats.ks_2samp’s default (ks42)', () => {
  it('exact while max(n, m) ≤ 10 000, equal to scipy to 1e-10 relative down to p ≈ 1e-236', () => {
    let compared = 0;
    let worst = 0;
    for (const [n, m, seed, rows] of SCIPY_AUTO) {
      for (const [shift, d, p] of rows) {
        const r = ksTest(normalish(seed, n), normalish(seed + 1, m, shift));
        const what = `${n} × ${m}, shift ${shift}`;
        expect(r.d, what).toBeCloseTo(d, 14);
        if (Math.max(n, m) > 10_000) {
          expect(r.method, what).toBe('asymptotic');
          continue;
        }
        expect(r.method, what).toBe('exact');
        if (p >= MIN_NORMAL || p === 0) {
          // scipy's value is a normal double (or 0): it and ours are then both accurate, and agree
          expect(rel(r.pValue, p), what).toBeLessThan(1e-10);
          worst = Math.max(worst, rel(r.pValue, p));
          compared++;
        } else {
          // scipy's subnormal values are rounding residue (its probabilities are not scaled): the exact
          // rational answer is 0 in all four cases (RATIONAL), and so is ours
          expect(r.pValue, what).toBe(0);
        }
      }
    }
    expect(compared).toBe(59); // 63 exact cases, 4 of them scipy subnormals
    expect(worst).toBeLessThan(1e-10); // 3.0e-15 on 2026-12-07 (288 × 10 000); equal sizes bit-identical
  });

  it('the p-value that used to cancel: tiny p-values keep their digits (before ks42, 1 − P(inside) gave 0)', () => {
    // scipy: 200 × 300, d = 0.905 → 2.039347145432049e-105; 50 × 50, d = 0.98 → 1.9823306042836677e-27
    expect(rel(ksExactPValue(0.905, 200, 300), 2.039347145432049e-105)).toBeLessThan(1e-12);
    expect(rel(ksExactPValue(0.98, 50, 50), 1.9823306042836677e-27)).toBeLessThan(1e-12);
    expect(ksPValue(0.905, 200, 300).method).toBe('exact');
  });

  it('equals the exact rational answer to 1e-12 relative (normal range) and to the subnormal’s last digit', () => {
    for (const [n, m, h, p] of RATIONAL) {
      const lcm = (n * m) / gcd(n, m);
      const ours = ksExactPValue(h / lcm, n, m);
      if (p >= MIN_NORMAL) expect(rel(ours, p), `${n} × ${m}, h ${h}`).toBeLessThan(1e-12);
      else expect(Math.abs(ours - p), `${n} × ${m}, h ${h}`).toBeLessThanOrEqual(4 * 2 ** -1074);
    }
  });

  it('above max(n, m) = 10 000 both are asymptotic, by different formulas: within 3.5 % while p ≥ 1e-6, ours larger in the tail', () => {
    // scipy: kstwo.sf(d, round(nm/(n+m))), the one-sample exact law at n ≈ 280; ours: Stephens' Kolmogorov
    // limit. 10 001 × 288: 0.19990 vs 0.19816 (+0.9 %), 0.27164 vs 0.26895 (+1.0 %), 2.7404e-6 vs
    // 2.8385e-6 (−3.5 %); at p ≈ 1e-35 ours is 4.9 times scipy's, at 1e-136 1.8e16 times (both far from
    // the truth there, which neither computes).
    const [n, m, seed, rows] = SCIPY_AUTO[SCIPY_AUTO.length - 1];
    for (const [shift, , p] of rows) {
      const r = ksTest(normalish(seed, n), normalish(seed + 1, m, shift));
      if (p >= 1e-6) expect(rel(r.pValue, p), `shift ${shift}`).toBeLessThan(0.035);
      else expect(r.pValue, `shift ${shift}`).toBeGreaterThan(p);
    }
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
