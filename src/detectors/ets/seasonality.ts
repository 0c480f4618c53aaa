import { DetectorError } from '../../errors.js';
import { autocorrelation } from '../../math/autocorrelation.js';
import { normalQuantile } from '../../math/normal.js';
import { type EtsModel, type EtsSpec, fitEts } from './model.js';

export type PeriodicityStrategy = 'acf' | 'min' | 'max' | 'all';

export interface SeasonalityOptions {
  /** Number of ACF lags; default `max(min(⌊10·log10 n⌋, n − 1), 40)`. */
  maxLag?: number | null;
  /** Significance level of the z-test. Default 0.05. */
  pval?: number;
  /** Which candidate(s) to return. Default 'acf' (the highest-scoring one). */
  strategy?: PeriodicityStrategy;
}

/** The additive Holt model (AAN) whose residuals `detectSeasonality` also searches. */
export const HOLT = { error: 'add', trend: 'add', damped: false, seasonal: null, period: 1 } as const;

/** Sample autocorrelations r_0…r_L (mean removed, sums divided by n; all 0 for a constant series). */
export function acf(x: ArrayLike<number>, maxLag: number): Float64Array {
  return autocorrelation(x, maxLag) ?? new Float64Array(Math.max(0, Math.min(maxLag, x.length - 1)) + 1);
}

/**
 * Detects seasonal periods from the autocorrelation function (docs/ets.md, What is implemented): local ACF maxima,
 * a harmonic filter and a Bartlett z-test, on the series and on the residuals of an additive
 * Holt (AAN) fit. Returns the candidate periods best first, or `[1]` if none.
 */
export function detectSeasonality(x: ArrayLike<number>, opts: SeasonalityOptions = {}): number[] {
  return seasonalityAndHolt(x, opts).periods;
}

/**
 * `detectSeasonality`, also giving the additive Holt (AAN) fit it makes on series of ten points or more
 * (null below), so that AutoETS, whose non-seasonal grid holds that very model, does not fit it twice.
 */
export function seasonalityAndHolt(
  x: ArrayLike<number>,
  opts: SeasonalityOptions = {},
): { periods: number[]; holt: EtsModel | null } {
  const n = x.length;
  if (n < 3) {
    throw new DetectorError('ets_too_short', `seasonality detection needs at least 3 points, got ${n}`);
  }
  const pval = opts.pval ?? 0.05;
  const zCrit = pval === 0.05 ? 1.959963984540054 : normalQuantile(1 - pval / 2);
  const series: ArrayLike<number>[] = [x];
  let holt: EtsModel | null = null;
  if (n >= 10) {
    holt = fitEts(x, HOLT);
    series.push(holt.resid);
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
  if (periods.length === 0) return { periods: [1], holt };
  switch (opts.strategy ?? 'acf') {
    case 'acf':
      return { periods: [periods[0]], holt };
    case 'min':
      return { periods: [Math.min(...periods)], holt };
    case 'max':
      return { periods: [Math.max(...periods)], holt };
    default:
      return { periods, holt };
  }
}

/** Whether an ETS spec is `HOLT` (the model `seasonalityAndHolt` has already fitted). */
export function isHolt(spec: EtsSpec): boolean {
  return spec.error === 'add' && spec.trend === 'add' && !spec.damped && spec.seasonal === null;
}
