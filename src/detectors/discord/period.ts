import { autocorrelation, primeAutocorrelation } from '../../math/autocorrelation.js';
import { sameBits } from '../../math/same-bits.js';

/**
 * The dominant period of a series, from its autocorrelation: the lag of the highest autocorrelation
 * peak after the function first drops below zero, if that peak reaches `minCorr`; else 0 (no period).
 * O(n · maxLag) once, at training.
 */
export function dominantPeriod(v: Float64Array, maxLag = 2000, minCorr = 0.3): number {
  const n = v.length;
  const L = Math.min(maxLag, Math.floor(n / 3));
  if (L < 4) return 0;
  const acf = autocorrelation(v, L);
  if (!acf) return 0;
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

/**
 * The period an autocorrelation function points to: after it first drops below zero, the first local
 * peak that reaches `near` × the highest peak (so a multiple of the period, which jitter and wander
 * can push a little above the period's own peak, does not win), if the highest reaches `minCorr`.
 * Returns the lag and its correlation ([0, 0] when none).
 */
function acfPeriod(acf: Float64Array, minCorr: number, near: number): [number, number] {
  const L = acf.length - 1;
  let k = 1;
  while (k <= L && acf[k] > 0) k++;
  const from = k;
  let top = 0;
  for (; k < L; k++) {
    if (acf[k] >= acf[k - 1] && acf[k] >= acf[k + 1] && acf[k] > top) top = acf[k];
  }
  if (top < minCorr) return [0, 0];
  // the first hump above near × top, and its highest lag (ripples on the hump's flank are not peaks)
  k = from;
  while (k < L && acf[k] < near * top) k++;
  let best = k;
  for (; k <= L && acf[k] >= near * top; k++) if (acf[k] > acf[best]) best = k;
  return best < L ? [best, acf[best]] : [0, 0];
}

/**
 * Whether a period found at lag `p` (correlation `c`) repeats: within 5 % of 2p the autocorrelation
 * reaches half of `c`. When 2p is beyond the lags computed, `needed` decides (the values' own view
 * keeps `dominantPeriod`'s behaviour; a band-passed view must show the repeat). A band-passed copy of aperiodic data (a
 * random walk, bursts) is a narrow-band noise whose estimated autocorrelation wiggles by about
 * √(band width / n), enough to make a lone peak above `minCorr` on a short training part; a true cycle
 * peaks again at twice its period.
 */
function repeats(acf: Float64Array, p: number, c: number, needed: boolean): boolean {
  const L = acf.length - 1;
  const lo = Math.floor(1.95 * p);
  if (lo > L) return !needed;
  const hi = Math.min(L, Math.ceil(2.05 * p));
  let top = Number.NEGATIVE_INFINITY;
  for (let k = lo; k <= hi; k++) if (acf[k] > top) top = acf[k];
  return top >= 0.5 * c;
}

/**
 * The dominant period with safeguards that `dominantPeriod` lacks, for series like those of the UCR
 * anomaly archive:
 *
 * - **Several views.** The autocorrelation of the values, and of band-passed copies: the change over
 *   `w` points of a moving average of width `w`, for w = 1 (first differences), 4, 16 and 64. Baseline
 *   wander (an ECG's breathing drift, a sensor's slow level) can hold most of a series' variance, so the
 *   values' autocorrelation follows the wander (or first drops below zero only after several cycles)
 *   and misses a cycle of narrow waves; a difference removes the wander. Plain first differences of a
 *   smooth cycle under heavy noise are mostly noise, and narrow waves (an R peak) that jitter from beat
 *   to beat by more than their width barely correlate at any fixed lag: the smoothed scales keep the
 *   cycle in both cases. The views are tried from the values to the narrowest band (w = 64, 16, 4, 1),
 *   and the first whose peak correlation reaches `enough` (0.7) decides, else the highest peak of all:
 *   a clearly periodic broad view is kept, so a small high-frequency tone (mains hum, say) that
 *   dominates the first differences does not replace the cycle that dominates the values.
 * - **First peak near the top.** Of the peaks after the first zero crossing, the first hump that
 *   reaches `near` (0.9) × the highest, not the highest itself (its highest lag: a ripple on the
 *   hump's flank is not a peak): with cycle-to-cycle jitter the peak at two or five periods can edge
 *   above the period's own.
 *
 * Uses at most the last `maxPoints` values. Returns 0 when no view has a peak of at least `minCorr`.
 * O(maxPoints · maxLag) per view, at training.
 */
export function robustPeriod(
  v: Float64Array,
  maxLag = 2000,
  minCorr = 0.3,
  near = 0.9,
  enough = 0.7,
  maxPoints = 40_000,
): number {
  return viewsPeriod(v, maxLag, minCorr, near, enough, maxPoints, false);
}

/**
 * `robustPeriod` (`checkedOnly` false) or `checkedPeriod` (true): the views, their candidates, and
 * the shortest period near the best correlation. With `checkedOnly`, a candidate that fails the
 * repeat check neither raises the bar nor stops the search.
 */
function viewsPeriod(
  v: Float64Array,
  maxLag: number,
  minCorr: number,
  near: number,
  enough: number,
  maxPoints: number,
  checkedOnly: boolean,
): number {
  const x = v.length > maxPoints ? v.subarray(v.length - maxPoints) : v;
  const n = x.length;
  const L = Math.min(maxLag, Math.floor(n / 3));
  if (L < 4) return 0;
  primeAutocorrelation();
  let bestCorr = 0;
  const found: [number, number][] = [];
  const consider = (y: Float64Array, band: boolean) => {
    if (bestCorr >= enough) return;
    const lags = Math.min(L, Math.floor(y.length / 3));
    if (lags < 4) return;
    const a = autocorrelation(y, lags);
    if (!a) return;
    const [p, c] = acfPeriod(a, minCorr, near);
    const checked = c > 0 && repeats(a, p, c, band);
    if (checked) found.push([p, c]);
    if ((checked || !checkedOnly) && c > bestCorr) bestCorr = c;
  };
  // prefix sums for the moving averages
  const cum = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) cum[i + 1] = cum[i] + x[i];
  consider(x, false);
  for (const w of [64, 16, 4, 1]) {
    if (4 * w > L) break;
    // y[j] = mean(x[j+w .. j+2w−1]) − mean(x[j .. j+w−1])
    const y = new Float64Array(n - 2 * w + 1);
    for (let j = 0; j < y.length; j++) y[j] = (cum[j + 2 * w] - 2 * cum[j + w] + cum[j]) / w;
    consider(y, true);
  }
  // across views too, the shortest period whose correlation is near the best one
  let best = 0;
  for (const [p, c] of found) if (c >= near * bestCorr && (best === 0 || p < best)) best = p;
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

/**
 * How strongly a series repeats at period `p` (points): the autocorrelation at lag `p` (the highest
 * within 2 % of it), in the view where it is highest among the values and the band-passed copies of
 * `robustPeriod` (the change over `w` points of a moving average of width `w`, w = 64, 16, 4, 1, each
 * where 4w ≤ the lags available). 1 = every cycle the same, about 0 = a lag that explains nothing. 0
 * when `p` is 0 or the series is too short (fewer than 3 cycles). Uses at most the last `maxPoints`
 * values. O(maxPoints · p / 50) per view.
 */
export function periodStrength(v: Float64Array, p: number, maxPoints = 40_000): number {
  const x = v.length > maxPoints ? v.subarray(v.length - maxPoints) : v;
  const n = x.length;
  if (!(p > 0) || n < 3 * p) return 0;
  const lo = Math.max(1, Math.floor(0.98 * p));
  const hi = Math.ceil(1.02 * p);
  const at = (y: Float64Array): number => {
    if (y.length < 3 * hi) return Number.NEGATIVE_INFINITY;
    let mean = 0;
    for (let i = 0; i < y.length; i++) mean += y[i];
    mean /= y.length;
    let var0 = 0;
    for (let i = 0; i < y.length; i++) var0 += (y[i] - mean) ** 2;
    if (!(var0 > 0)) return Number.NEGATIVE_INFINITY;
    let top = Number.NEGATIVE_INFINITY;
    for (let k = lo; k <= hi; k++) {
      let s = 0;
      for (let i = k; i < y.length; i++) s += (y[i] - mean) * (y[i - k] - mean);
      if (s / var0 > top) top = s / var0;
    }
    return top;
  };
  let best = at(x);
  const L = Math.floor(n / 3);
  const cum = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) cum[i + 1] = cum[i] + x[i];
  for (const w of [64, 16, 4, 1]) {
    if (4 * w > L) continue;
    const y = new Float64Array(n - 2 * w + 1);
    for (let j = 0; j < y.length; j++) y[j] = (cum[j + 2 * w] - 2 * cum[j + w] + cum[j]) / w;
    best = Math.max(best, at(y));
  }
  return Number.isFinite(best) ? Math.max(0, best) : 0;
}

/**
 * `robustPeriod` where only a candidate that passes the repeat check counts: one that fails it, or
 * whose twice-the-period lag lies beyond the lags a band-passed view computed (so its repeat cannot be
 * seen), neither raises the bar that other views' periods must reach (`near` × the best correlation)
 * nor stops the search at `enough`. In `robustPeriod` such a candidate does both: on a short training
 * part (six days of a daily cycle at 10-minute steps) the widest band finds the day at 0.78 but cannot
 * check it at two days, stops the search, and the values' own verified 0.67 falls below 0.9 × 0.78: no
 * period. Same arguments and views otherwise.
 */
export function checkedPeriod(
  v: Float64Array,
  maxLag = 2000,
  minCorr = 0.3,
  near = 0.9,
  enough = 0.7,
  maxPoints = 40_000,
): number {
  const x = v.length > maxPoints ? v.subarray(v.length - maxPoints) : v;
  const args = [maxLag, minCorr, near, enough];
  const last = lastChecked;
  if (
    last &&
    last.x.length === x.length &&
    last.args.every((a, i) => Object.is(a, args[i])) &&
    sameBits(last.x, x, x.length)
  )
    return last.period;
  const period = viewsPeriod(x, maxLag, minCorr, near, enough, maxPoints, true);
  lastChecked = { x: Float64Array.from(x), args, period };
  return period;
}

/**
 * The last `checkedPeriod` answer, with its values (a copy: at most `maxPoints`) and arguments. The
 * default detector's seasonal-change and level-drift members both look for the period of the same
 * training values, five autocorrelations of up to 2,000 lags each (≈ 20 M multiply-adds on NAB's
 * machine temperature); the second asks again and gets the same number without the work.
 */
let lastChecked: { readonly x: Float64Array; readonly args: number[]; readonly period: number } | null = null;
