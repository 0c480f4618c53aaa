import { SeriesError } from '../errors.js';
import { badTimestamp, formatTime, parseTime, timeRangeProblem } from './series.js';
import type { TimeInput, TimeSeries, Window } from './types.js';

/** Number of elements of the sorted array `a` strictly less than `x`. */
export function lowerBound(a: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of elements of the sorted array `a` less than or equal to `x`. */
export function upperBound(a: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function toMs(x: TimeInput, what: string): number {
  const ms = parseTime(x);
  if (!Number.isFinite(ms)) throw badTimestamp(what, x);
  const problem = timeRangeProblem(ms);
  if (problem) throw new SeriesError('bad_timestamp', `${what}: ${problem}; give it in epoch milliseconds`);
  return ms;
}

/**
 * Splits a series at `time`: the left part holds the points with `t < time`, the right part those with
 * `t >= time`. Either part may be empty. The parts are views (`subarray`) on the input's arrays.
 */
export function splitAt(ts: TimeSeries, time: TimeInput): [TimeSeries, TimeSeries] {
  const ms = toMs(time, 'splitAt');
  const k = lowerBound(ts.t, ms);
  return [
    { t: ts.t.subarray(0, k), v: ts.v.subarray(0, k) },
    { t: ts.t.subarray(k), v: ts.v.subarray(k) },
  ];
}

/**
 * 0/1 labels for sorted timestamps `t`: 1 where `start <= t[i] <= end` for some window (inclusive at
 * both ends, as NAB windows are). Window ends may be epoch ms, Dates or ISO strings.
 * Cost: O(windows · log n + labelled points).
 */
export function labelsFromWindows(
  t: ArrayLike<number>,
  windows: readonly (Window | readonly [TimeInput, TimeInput])[],
): Uint8Array {
  const n = t.length;
  const out = new Uint8Array(n);
  for (let w = 0; w < windows.length; w++) {
    const start = toMs(windows[w][0], `window ${w} start`);
    const end = toMs(windows[w][1], `window ${w} end`);
    if (end < start) {
      throw new SeriesError(
        'bad_window',
        `window ${w}: end ${formatTime(end)} is before start ${formatTime(start)}; windows are [start, end]`,
      );
    }
    const lo = lowerBound(t, start);
    const hi = upperBound(t, end);
    out.fill(1, lo, hi);
  }
  return out;
}

/**
 * Infers the sampling granularity (ms) of sorted timestamps, following Merlion: with exactly two
 * timestamps their difference; when every gap is equal, that gap; otherwise the most common gap
 * (the smallest on ties). Calendar frequencies (month starts/ends) are not recognised: a monthly
 * series gets its most common gap (e.g. 31 days). Throws `SeriesError` with fewer than 2 timestamps.
 */
export function inferGranularity(t: ArrayLike<number>): number {
  const n = t.length;
  if (n < 2) {
    throw new SeriesError(
      'too_short',
      `cannot infer a granularity from ${n} timestamp(s): pass at least 2, or give granularityMs explicitly`,
    );
  }
  const g0 = t[1] - t[0];
  let regular = true;
  for (let i = 2; i < n; i++) {
    if (t[i] - t[i - 1] !== g0) {
      regular = false;
      break;
    }
  }
  if (regular) {
    if (!(g0 > 0)) {
      throw new SeriesError('unsorted', `timestamps are not strictly increasing (gap ${g0} ms at row 1)`);
    }
    return g0;
  }
  const counts = new Map<number, number>();
  // runs of equal gaps are counted without touching the map
  let runGap = Number.NaN;
  let run = 0;
  for (let i = 1; i < n; i++) {
    const d = t[i] - t[i - 1];
    if (d === runGap) {
      run++;
      continue;
    }
    if (!(d > 0)) {
      throw new SeriesError(
        'unsorted',
        `row ${i}: timestamps are not strictly increasing (${formatTime(t[i - 1])} then ${formatTime(t[i])}); build the series with series() first`,
      );
    }
    if (run > 0) counts.set(runGap, (counts.get(runGap) ?? 0) + run);
    runGap = d;
    run = 1;
  }
  counts.set(runGap, (counts.get(runGap) ?? 0) + run);
  let best = Number.POSITIVE_INFINITY;
  let bestCount = 0;
  for (const [d, c] of counts) {
    if (c > bestCount || (c === bestCount && d < best)) {
      best = d;
      bestCount = c;
    }
  }
  return best;
}
