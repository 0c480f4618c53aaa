/**
 * The two-sample Kolmogorov–Smirnov test: the statistic D = sup |F₁ − F₂| over the two empirical CDFs,
 * and its two-sided p-value P(D ≥ d) under the null hypothesis that both samples come from one
 * continuous distribution.
 *
 * The p-value is exact while max(n, m) ≤ KS_EXACT_LIMIT (SciPy's default rule): the probability that a
 * uniformly random interleaving of the two samples reaches a CDF gap ≥ d, counted over lattice paths
 * that leave the band (see `ksExactPValuePaths`), or by the reflection formula when n = m.
 * Larger samples use the Kolmogorov limit distribution Q(λ) = 2 Σ (−1)^(k−1) e^(−2k²λ²) at
 * λ = (√nₑ + 0.12 + 0.11/√nₑ)·d with nₑ = nm/(n+m) (Stephens' small-sample correction).
 */
import { LifecycleError } from './errors.js';

/**
 * The p-value is exact while both sample sizes are at most this (SciPy's `ks_2samp` default,
 * `method='auto'`, uses the same limit), asymptotic when either is larger.
 */
export const KS_EXACT_LIMIT = 10_000;

export interface KsResult {
  /** sup |F₁(x) − F₂(x)|, in [0, 1]. */
  readonly d: number;
  /** Two-sided P(D ≥ d) under the null. */
  readonly pValue: number;
  /** How the p-value was computed. */
  readonly method: 'exact' | 'asymptotic';
}

/** Refuses an empty sample or one holding NaN (`what` names it in the message). @internal */
export function checkSample(x: ArrayLike<number>, what: string): void {
  if (x.length === 0) throw new LifecycleError('bad_sample', `${what} is empty; pass at least one value`);
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i])) {
      throw new LifecycleError('bad_sample', `${what}[${i}] is NaN; drop missing values before testing`);
    }
  }
}

function sorted(x: ArrayLike<number>): Float64Array {
  const s = Float64Array.from(x);
  s.sort();
  return s;
}

/** The KS statistic D of two samples (ties handled: both CDFs step past a tied value together). */
export function ksStatistic(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkSample(a, 'sample a');
  checkSample(b, 'sample b');
  return ksStatisticSorted(sorted(a), sorted(b));
}

function ksStatisticSorted(x: Float64Array, y: Float64Array): number {
  const n = x.length;
  const m = y.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const v = x[i] <= y[j] ? x[i] : y[j];
    while (i < n && x[i] === v) i++;
    while (j < m && y[j] === v) j++;
    const gap = Math.abs(i / n - j / m);
    if (gap > d) d = gap;
  }
  return d;
}

/** The Kolmogorov limit survival function Q(λ) = P(K > λ). */
export function kolmogorovQ(lambda: number): number {
  if (!(lambda > 0)) return 1;
  if (lambda < 0.2) return 1; // the series converges slowly here and the value is 1 to 1e-16
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    sum += k % 2 === 1 ? term : -term;
    if (term < 1e-17) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/** 2¹⁰⁰⁰: the exact computations carry probabilities multiplied by this, so none underflows (below). */
const SCALE = 2 ** 1000;
const UNSCALE = 2 ** -1000;
/** The exact p-value works on the lattice of multiples of 1/lcm(n, m); it stays in int32 below this. */
const LATTICE_MAX = 2 ** 31 - 1;

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/**
 * The statistic in lattice units: D only takes values h/lcm(n, m), and P(D ≥ d) = P(D ≥ h/lcm) for the
 * smallest such h ≥ d. The tolerance (1e-6 lattice units, far above the rounding of a d computed as
 * |i/n − j/m|, which is below 3e-7 units while lcm < 2³¹) keeps a d that is a lattice value up to
 * rounding on that value. @internal
 */
function latticeH(d: number, lcm: number): number {
  return Math.max(1, Math.ceil(d * lcm - 1e-6));
}

/**
 * P(D ≥ h/lcm) by counting the paths that leave the band (Hodges 1958's lattice-path view; computing the
 * probability of leaving rather than one minus that of staying is Viehmann 2021's remedy for the
 * cancellation). A random interleaving of the samples is a monotone path from (0, 0) to (n, m), all
 * C(n+m, n) equally likely; the path is at (i, j) after i points of the first sample and j of the second,
 * where the CDF gap is |i·m′ − j·n′|/lcm (n′ = n/g, m′ = m/g, g = gcd). Let A(i, j) be the probability
 * that a uniformly random path from the origin to (i, j) has touched a cell with gap ≥ h: A = 1 on such
 * cells, and inside the band A(i, j) = (i·A(i−1, j) + j·A(i, j−1)) / (i + j), the share of paths to
 * (i, j) whose last step comes from each side. Every value is a convex combination of non-negative ones,
 * so nothing cancels and a tiny p-value keeps its relative precision (error ≤ about 5(n+m) ulps); the
 * values are carried times 2¹⁰⁰⁰ so nothing underflows above p ≈ 1e-600 (a p-value below 2⁻¹⁰⁷⁴ then
 * rounds to 0 rather than to noise). One row buffer over the smaller sample, updated in place along the
 * band, whose ends only move right; the loop bounds are integers below 2³¹. Returns NaN when lcm(n, m)
 * ≥ 2³¹ (the lattice no longer fits int32 and d's rounding may cross a lattice step). @internal
 */
export function ksExactPValuePaths(d: number, n: number, m: number): number {
  if (n < m) return ksExactPValuePaths(d, m, n); // rows over the larger sample, the buffer over the smaller
  if (!(d > 0)) return 1;
  if (d > 1) return 0;
  const g = gcd(n, m);
  const ng = n / g;
  const mg = m / g;
  const lcm = ng * m;
  if (lcm > LATTICE_MAX) return Number.NaN;
  const h = latticeH(d, lcm);
  // gap at (i, j) in lattice units: |i·mg − j·ng|; inside the band while it is < h
  const a = new Float64Array(m + 1).fill(SCALE); // cells outside the band: every path there has left
  let hi = Math.min(m, Math.ceil(h / ng) - 1); // row 0: j·ng < h
  for (let j = 0; j <= hi; j++) a[j] = 0;
  for (let i = 1; i <= n; i++) {
    const c = i * mg;
    const lo = Math.max(0, Math.floor((c - h) / ng) + 1);
    hi = Math.min(m, Math.ceil((c + h) / ng) - 1);
    if (lo > hi) return 1; // the band is empty on this row: every path leaves it
    let left = lo === 0 ? 0 : SCALE; // A(i, lo − 1): outside (its weight is 0 when lo = 0)
    for (let j = lo; j <= hi; j++) {
      // (i·A(i−1, j) + j·A(i, j−1))/(i + j), written so that only one multiply-add depends on the
      // previous cell: the division and the other product overlap with it (2–3 times faster than
      // dividing last; two more roundings per cell, still a convex combination)
      const w = 1 / (i + j);
      left = i * w * a[j] + j * w * left;
      a[j] = left;
    }
  }
  return Math.min(1, a[m] * UNSCALE);
}

/**
 * Equal sizes: the reflection principle gives P(D ≥ h/n) = 2 Σ_{k≥1} (−1)^(k−1) C(2n, n−kh) / C(2n, n),
 * summed from the innermost term out as 2·B₁(1 − B₂(1 − B₃(…))) with Bₖ = C(2n, n−kh)/C(2n, n−(k−1)h),
 * each a product of h ratios below 1 (no alternating-sum cancellation, no large binomials). B₁ is carried
 * times 2¹⁰⁰⁰ like the lattice programme, so the result underflows only below p ≈ 1e-600.
 */
function ksExactPValueEqual(d: number, n: number): number {
  if (!(d > 0)) return 1;
  if (d > 1) return 0;
  const h = latticeH(d, n);
  let p = 0;
  for (let k = Math.floor(n / h); k >= 1; k--) {
    // Bₖ = Π_{t<h} (n − (k−1)h − t) / (n + (k−1)h + t + 1)
    const base = (k - 1) * h;
    let b = k === 1 ? SCALE : 1;
    for (let t = 0; t < h; t++) b = (b * (n - base - t)) / (n + base + t + 1);
    p = b * (1 - p);
  }
  return Math.min(1, 2 * p * UNSCALE);
}

/**
 * Exact two-sided P(D ≥ d) for sample sizes n and m (continuous null, no ties), accurate to about
 * 1e-12 relative however small the p-value (down to about 1e-300; smaller ones round to 0 or to a nearby
 * subnormal). Equal sizes use the reflection formula (O(n)); otherwise a lattice-path programme over
 * the band |i/n − j/m| < d (O(n·band) steps, n·m at most). NaN when lcm(n, m) ≥ 2³¹, where the lattice
 * no longer fits (not reached while max(n, m) ≤ `KS_EXACT_LIMIT`).
 */
export function ksExactPValue(d: number, n: number, m: number): number {
  if (n === m) return ksExactPValueEqual(d, n);
  return ksExactPValuePaths(d, n, m);
}

/** The asymptotic two-sided p-value (Kolmogorov distribution with Stephens' correction). */
export function ksAsymptoticPValue(d: number, n: number, m: number): number {
  const en = Math.sqrt((n * m) / (n + m));
  return kolmogorovQ((en + 0.12 + 0.11 / en) * d);
}

/**
 * The p-value of a KS statistic for sample sizes n and m, by SciPy's default rule (`ks_2samp`'s
 * `method='auto'`): exact when max(n, m) ≤ `KS_EXACT_LIMIT`, asymptotic above (and, though not reached
 * under that limit, wherever the exact value is NaN).
 */
export function ksPValue(
  d: number,
  n: number,
  m: number,
): { pValue: number; method: 'exact' | 'asymptotic' } {
  if (!Number.isInteger(n) || !Number.isInteger(m) || n < 1 || m < 1) {
    throw new LifecycleError('bad_sample', `sample sizes must be positive integers, got ${n} and ${m}`);
  }
  if (Number.isNaN(d))
    throw new LifecycleError('bad_sample', 'the KS statistic is NaN; pass a value in [0, 1]');
  if (Math.max(n, m) <= KS_EXACT_LIMIT) {
    const p = ksExactPValue(d, n, m);
    if (!Number.isNaN(p)) return { pValue: p, method: 'exact' };
  }
  return { pValue: ksAsymptoticPValue(d, n, m), method: 'asymptotic' };
}

/** The two-sample KS test: statistic, p-value and method. */
export function ksTest(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  const d = ksStatistic(a, b);
  return { d, ...ksPValue(d, a.length, b.length) };
}
