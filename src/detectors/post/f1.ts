import { revisedPointAdjustedCounts } from '../../scoring/revised.js';
import type { TimeSeries } from '../../series/types.js';

export { revisedPointAdjustedCounts };

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

/** Merlion's default `TSADMetric.F1` (revised point-adjusted), with its zero-division rules. */
export const revisedF1: AlarmMetric = (truth, predict, maxEarlySec, maxDelaySec) => {
  const { tp, fn, fp } = revisedPointAdjustedCounts(truth, predict, maxEarlySec, maxDelaySec);
  const p = tp + fp === 0 ? 0 : tp / (tp + fp);
  const r = tp + fn === 0 ? 0 : tp / (tp + fn);
  return p === 0 || r === 0 ? 0 : (2 * p * r) / (p + r);
};
