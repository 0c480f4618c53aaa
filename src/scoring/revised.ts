import { lowerBound } from '../series/ops.js';
import type { TimeSeries } from '../series/types.js';

/**
 * Merlion's revised point-adjusted counting, written once for the metrics module (`evaluate`) and
 * the detectors' threshold search (`revisedF1`).
 *
 * The truth splits into alternating normal and anomalous segments `[T, N)`. Each segment owns the
 * predictions in a window around it: an anomalous segment's window starts up to `early` before `T`
 * (not before the previous segment's start `P`) and, unless it is the last segment, ends `delay`
 * after `T` (not after `N`); a normal segment's window gives the first `delay` after `P` and the
 * last `early` before `N` to its anomalous neighbours. A window holds at least one prediction.
 * An anomalous segment with any alarm in its window is one true positive, else one false negative;
 * every alarm in a normal segment's window is a false positive. `early` and `delay` of 0 are off.
 * Times may be in any unit, as long as all of them are in the same one.
 */

/**
 * First time of the window a segment `[T, …)` owns (see the module comment).
 *
 * @example
 * revisedWindowStart(true, 0, 100, 30, 0); // => 70
 * revisedWindowStart(true, 90, 100, 30, 0); // => 90
 * revisedWindowStart(false, 0, 100, 0, 20); // => 20
 */
export function revisedWindowStart(
  anomalous: boolean,
  P: number,
  T: number,
  early: number,
  delay: number,
): number {
  if (anomalous) return early > 0 ? Math.max(P, T - early) : T;
  return delay > 0 ? Math.min(T, P + delay) : T;
}

/**
 * End (exclusive) of the window a segment `[T, N)` owns; `last` marks the final segment.
 *
 * @example
 * revisedWindowEnd(true, 100, 200, false, 0, 30); // => 130
 * revisedWindowEnd(true, 100, 200, true, 0, 30); // => 200
 * revisedWindowEnd(false, 100, 200, false, 30, 0); // => 170
 */
export function revisedWindowEnd(
  anomalous: boolean,
  T: number,
  N: number,
  last: boolean,
  early: number,
  delay: number,
): number {
  if (anomalous) return delay > 0 && !last ? Math.min(N, T + delay) : N;
  return early > 0 ? Math.max(T, N - early) : N;
}

/**
 * End index of a window's predictions `[j0, j1)` among `m`: at least one prediction (Merlion's rule),
 * never past the end.
 *
 * @example
 * windowStop(3, 3, 10); // => 4
 * windowStop(3, 6, 10); // => 6
 * windowStop(10, 10, 10); // => 10
 */
export function windowStop(j0: number, j1: number, m: number): number {
  return Math.min(Math.max(j1, j0 + 1), m);
}

/**
 * Revised point-adjusted TP / FN / FP of alarms `predict` (non-zero = alarm, on any time grid)
 * against labels `truth` (non-zero = anomaly); times in epoch ms, buffers in seconds (null = off).
 * The last segment ends one second after the last label.
 *
 * @example
 * const truth = { t: Float64Array.of(0, 1000, 2000, 3000), v: Float64Array.of(0, 1, 1, 0) };
 * const alarms = { t: truth.t, v: Float64Array.of(1, 0, 1, 0) };
 * JSON.stringify(revisedPointAdjustedCounts(truth, alarms)); // => "{\"tp\":1,\"fn\":0,\"fp\":1}"
 */
export function revisedPointAdjustedCounts(
  truth: TimeSeries,
  predict: TimeSeries,
  maxEarlySec: number | null = null,
  maxDelaySec: number | null = null,
): { tp: number; fn: number; fp: number } {
  const ts = truth.t;
  const y = truth.v;
  const tp = predict.t;
  const s = predict.v;
  const n = ts.length;
  const m = tp.length;
  const E = maxEarlySec !== null && maxEarlySec > 0 ? maxEarlySec * 1000 : 0;
  const D = maxDelaySec !== null && maxDelaySec > 0 ? maxDelaySec * 1000 : 0;
  let nTp = 0;
  let nFn = 0;
  let nFp = 0;
  if (n === 0) return { tp: 0, fn: 0, fp: 0 };
  let start = 0;
  let prevStart = 0;
  while (start < n) {
    const anom = y[start] !== 0;
    let end = start + 1;
    while (end < n && (y[end] !== 0) === anom) end++;
    const last = end >= n;
    const T = ts[start];
    const N = last ? ts[n - 1] + 1000 : ts[end];
    const w0 = revisedWindowStart(anom, ts[prevStart], T, E, D);
    const w1 = revisedWindowEnd(anom, T, N, last, E, D);
    const j0 = lowerBound(tp, w0);
    const j1 = windowStop(j0, lowerBound(tp, w1), m);
    let trues = 0;
    for (let j = j0; j < j1; j++) if (s[j] !== 0) trues++;
    if (anom) {
      if (trues > 0) nTp++;
      else nFn++;
    } else nFp += trues;
    prevStart = start;
    start = end;
  }
  return { tp: nTp, fn: nFn, fp: nFp };
}
