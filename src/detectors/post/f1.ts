import { lowerBound } from '../../series/ops.js';
import type { TimeSeries } from '../../series/types.js';

/**
 * A TSAD metric as the threshold search uses it: ground truth (non-zero = anomaly), predictions
 * (non-zero = alarm, possibly on another time grid), early/delay buffers in seconds (null = off).
 * Higher is better.
 */
export type AlarmMetric = (
  truth: TimeSeries,
  predict: TimeSeries,
  maxEarlySec: number | null,
  maxDelaySec: number | null,
) => number;

/**
 * Revised point-adjusted counts (Merlion `accumulate_tsad_score`, metrics spec §2–§5): each
 * anomaly segment is one TP or one FN, each flagged normal point one FP. Times in epoch ms.
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
    const P = ts[prevStart];
    let w0: number;
    let w1: number;
    if (anom) {
      w0 = E > 0 ? Math.max(P, T - E) : T;
      w1 = D > 0 && !last ? Math.min(N, T + D) : N;
    } else {
      w0 = D > 0 ? Math.min(T, P + D) : T;
      w1 = E > 0 ? Math.max(T, N - E) : N;
    }
    const j0 = lowerBound(tp, w0);
    const j1 = Math.min(Math.max(lowerBound(tp, w1), j0 + 1), m);
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

/** Merlion's default `TSADMetric.F1` (revised point-adjusted), with its zero-division rules. */
export const revisedF1: AlarmMetric = (truth, predict, maxEarlySec, maxDelaySec) => {
  const { tp, fn, fp } = revisedPointAdjustedCounts(truth, predict, maxEarlySec, maxDelaySec);
  const p = tp + fp === 0 ? 0 : tp / (tp + fp);
  const r = tp + fn === 0 ? 0 : tp / (tp + fn);
  return p === 0 || r === 0 ? 0 : (2 * p * r) / (p + r);
};
