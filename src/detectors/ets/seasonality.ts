import { DetectorError } from '../../errors.js';
import { normalQuantile } from '../../math/normal.js';
import { fitEts } from './model.js';

export type PeriodicityStrategy = 'acf' | 'min' | 'max' | 'all';

export interface SeasonalityOptions {
  /** Number of ACF lags; default `max(min(⌊10·log10 n⌋, n − 1), 40)`. */
  maxLag?: number | null;
  /** Significance level of the z-test. Default 0.05. */
  pval?: number;
  /** Which candidate(s) to return. Default 'acf' (the highest-scoring one). */
  strategy?: PeriodicityStrategy;
}

/** Sample autocorrelations r_0…r_L (mean removed, sums divided by n; NaN → 0). */
export function acf(x: ArrayLike<number>, maxLag: number): Float64Array {
  const n = x.length;
  const L = Math.min(maxLag, n - 1);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = x[i] - mean;
  const r = new Float64Array(L + 1);
  let c0 = 0;
  for (let i = 0; i < n; i++) c0 += d[i] * d[i];
  for (let k = 0; k <= L; k++) {
    let c = 0;
    for (let i = 0; i + k < n; i++) c += d[i] * d[i + k];
    const v = c / c0;
    r[k] = Number.isNaN(v) ? 0 : v;
  }
  return r;
}

/**
 * Detects seasonal periods from the autocorrelation function (docs/ets.md, What is implemented): local ACF maxima,
 * a harmonic filter and a Bartlett z-test, on the series and on the residuals of an additive
 * Holt (AAN) fit. Returns the candidate periods best first, or `[1]` if none.
 */
export function detectSeasonality(x: ArrayLike<number>, opts: SeasonalityOptions = {}): number[] {
  const n = x.length;
  if (n < 3) {
    throw new DetectorError('ets_too_short', `seasonality detection needs at least 3 points, got ${n}`);
  }
  const pval = opts.pval ?? 0.05;
  const zCrit = pval === 0.05 ? 1.959963984540054 : normalQuantile(1 - pval / 2);
  const series: ArrayLike<number>[] = [x];
  if (n >= 10) {
    const fit = fitEts(x, { error: 'add', trend: 'add', damped: false, seasonal: null });
    series.push(fit.resid);
  }
  const L = opts.maxLag ?? Math.max(Math.min(Math.floor(10 * Math.log10(n)), n - 1), 40);
  const scores = new Map<number, number>();
  for (const v of series) {
    const full = acf(v, L);
    const r = full.subarray(0, Math.min(full.length, Math.ceil(n / 2)));
    const cand: number[] = [];
    for (let k = 1; k + 1 < r.length; k++) {
      if (r[k] > 0 && r[k - 1] < r[k] && r[k] > r[k + 1]) cand.push(k);
    }
    let kept = cand;
    if (cand.length >= 2) {
      kept = [];
      const q = cand.length;
      if (r[cand[0]] > r[cand[1]]) kept.push(cand[0]);
      for (let i = 1; i < q - 1; i++) {
        if (r[cand[i]] > r[cand[i - 1]] && r[cand[i]] > r[cand[i + 1]]) kept.push(cand[i]);
      }
      if (r[cand[q - 1]] > r[cand[q - 2]]) kept.push(cand[q - 1]);
    }
    for (const c of kept) {
      let s = 1;
      for (let j = 1; j < c; j++) s += 2 * r[j] * r[j];
      const z = r[c] / Math.sqrt(s / n);
      if (z > zCrit) scores.set(c, Math.max(scores.get(c) ?? Number.NEGATIVE_INFINITY, z));
    }
  }
  const ranked = [...scores.entries()];
  // Array.prototype.sort is stable: ties keep first-seen order.
  ranked.sort((a, b) => b[1] - a[1]);
  const periods = ranked.map(([k]) => k);
  if (periods.length === 0) return [1];
  switch (opts.strategy ?? 'acf') {
    case 'acf':
      return [periods[0]];
    case 'min':
      return [Math.min(...periods)];
    case 'max':
      return [Math.max(...periods)];
    default:
      return periods;
  }
}
