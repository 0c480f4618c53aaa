/**
 * The two-sample Kolmogorov–Smirnov test: the statistic D = sup |F₁ − F₂| over the two empirical CDFs,
 * and its two-sided p-value P(D ≥ d) under the null hypothesis that both samples come from one
 * continuous distribution.
 *
 * The p-value is exact for small samples (`n·m ≤ KS_EXACT_LIMIT`): the probability that a uniformly
 * random interleaving of the two samples keeps every prefix's CDF gap below d, counted as lattice paths
 * (a dynamic programme over the (n+1)×(m+1) grid, carried as probabilities so nothing overflows).
 * Larger samples use the Kolmogorov limit distribution Q(λ) = 2 Σ (−1)^(k−1) e^(−2k²λ²) at
 * λ = (√nₑ + 0.12 + 0.11/√nₑ)·d with nₑ = nm/(n+m) (Stephens' small-sample correction).
 */
import { LifecycleError } from './errors.js';

/** Above this product of sample sizes the p-value is asymptotic. */
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

/**
 * Exact two-sided P(D ≥ d) for sample sizes n and m (continuous null, no ties): one minus the
 * probability that a random interleaving keeps |i/n − j/m| < d at every step.
 */
export function ksExactPValue(d: number, n: number, m: number): number {
  if (!(d > 0)) return 1;
  if (d > 1) return 0;
  // D takes values k/lcm(n, m); compare on that lattice with a tolerance so d itself counts as "≥ d".
  const tol = 1e-9;
  const inside = (i: number, j: number) => Math.abs(i / n - j / m) < d - tol;
  // p[j] = probability that a random path reaches (i, j) having stayed inside so far.
  const p = new Float64Array(m + 1);
  p[0] = 1;
  for (let j = 1; j <= m; j++) p[j] = inside(0, j) ? p[j - 1] : 0;
  for (let i = 1; i <= n; i++) {
    p[0] = inside(i, 0) ? p[0] : 0;
    for (let j = 1; j <= m; j++) {
      // (i, j) is reached from (i−1, j) with probability i/(i+j) and from (i, j−1) with j/(i+j)
      p[j] = inside(i, j) ? (p[j] * i + p[j - 1] * j) / (i + j) : 0;
    }
  }
  return Math.min(1, Math.max(0, 1 - p[m]));
}

/** The asymptotic two-sided p-value (Kolmogorov distribution with Stephens' correction). */
export function ksAsymptoticPValue(d: number, n: number, m: number): number {
  const en = Math.sqrt((n * m) / (n + m));
  return kolmogorovQ((en + 0.12 + 0.11 / en) * d);
}

/** The p-value of a KS statistic for sample sizes n and m: exact when n·m ≤ KS_EXACT_LIMIT. */
export function ksPValue(
  d: number,
  n: number,
  m: number,
): { pValue: number; method: 'exact' | 'asymptotic' } {
  if (!Number.isInteger(n) || !Number.isInteger(m) || n < 1 || m < 1) {
    throw new LifecycleError('bad_sample', `sample sizes must be positive integers, got ${n} and ${m}`);
  }
  if (n * m <= KS_EXACT_LIMIT) return { pValue: ksExactPValue(d, n, m), method: 'exact' };
  return { pValue: ksAsymptoticPValue(d, n, m), method: 'asymptotic' };
}

/** The two-sample KS test: statistic, p-value and method. */
export function ksTest(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  const d = ksStatistic(a, b);
  return { d, ...ksPValue(d, a.length, b.length) };
}
