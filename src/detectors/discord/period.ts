/**
 * The dominant period of a series, from its autocorrelation: the lag of the highest autocorrelation
 * peak after the function first drops below zero, if that peak reaches `minCorr`; else 0 (no period).
 * O(n · maxLag) once, at training.
 */
export function dominantPeriod(v: Float64Array, maxLag = 2000, minCorr = 0.3): number {
  const n = v.length;
  const L = Math.min(maxLag, Math.floor(n / 3));
  if (L < 4) return 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += v[i];
  mean /= n;
  let var0 = 0;
  for (let i = 0; i < n; i++) var0 += (v[i] - mean) ** 2;
  if (!(var0 > 0)) return 0;
  const acf = new Float64Array(L + 1);
  for (let k = 1; k <= L; k++) {
    let s = 0;
    for (let i = k; i < n; i++) s += (v[i] - mean) * (v[i - k] - mean);
    acf[k] = s / var0;
  }
  let k = 1;
  while (k <= L && acf[k] > 0) k++;
  let best = 0;
  let bestCorr = minCorr;
  for (; k < L; k++) {
    if (acf[k] > bestCorr && acf[k] >= acf[k - 1] && acf[k] >= acf[k + 1]) {
      best = k;
      bestCorr = acf[k];
    }
  }
  return best;
}

/** The median of a copy of `x` (NaN when empty). */
export function median(x: ArrayLike<number>): number {
  const s = Float64Array.from(x).sort();
  const n = s.length;
  if (n === 0) return Number.NaN;
  return n % 2 ? s[(n - 1) >> 1] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

/** One hour, one day and one week in milliseconds: the calendar periods of human-driven series. */
export const CALENDAR_PERIODS_MS: readonly number[] = [3_600_000, 86_400_000, 604_800_000];

/**
 * A period found in points, as a duration: snapped to an hour, a day or a week when it lies within
 * `tol` (relative) of one. An autocorrelation peak found on a few cycles is a few points off the true
 * period (141 or 146 points for a daily cycle at 10-minute steps); a profile indexed by that period
 * drifts out of phase by a few points a day, which a change-point test then reads as a change.
 */
export function calendarPeriodMs(periodPoints: number, stepMs: number, tol = 0.05): number {
  const ms = periodPoints * stepMs;
  for (const c of CALENDAR_PERIODS_MS) if (Math.abs(ms - c) <= tol * c && c >= 4 * stepMs) return c;
  return ms;
}
