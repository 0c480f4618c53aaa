/** Input checks shared by detectors: series (`toSeries`, `checkSeries`) and labels (`checkLabels`). */
import { DetectorError } from '../errors.js';
import { series, timeRangeProblem } from '../series/series.js';
import { MAX_TIME_MS } from '../series/time.js';
import type { TimeSeries } from '../series/types.js';
import type { SeriesLike } from './types.js';

/**
 * A detector's input as a TimeSeries: Float64Arrays are used as they are (and checked by
 * `checkSeries`); plain arrays go through the series layer's `series()`.
 */
export function toSeries(x: SeriesLike, what: string): TimeSeries {
  if (x !== null && typeof x === 'object' && x.t instanceof Float64Array && x.v instanceof Float64Array)
    return x as TimeSeries;
  if (x === null || typeof x !== 'object' || x.t == null || x.v == null)
    throw new DetectorError(
      'bad_series',
      `${what}: expected { t, v } (a TimeSeries, or arrays of times and values)`,
    );
  return series(x.t, x.v);
}

/** Checks a series: equal lengths, finite strictly increasing times, finite values. */
export function checkSeries(ts: TimeSeries, what: string): void {
  if (!ts || !(ts.t instanceof Float64Array) || !(ts.v instanceof Float64Array)) {
    throw new DetectorError(
      'bad_series',
      `${what}: expected a TimeSeries { t: Float64Array, v: Float64Array }`,
    );
  }
  const { t, v } = ts;
  if (t.length !== v.length) {
    throw new DetectorError('bad_series', `${what}: t has ${t.length} points but v has ${v.length}`);
  }
  for (let i = 0; i < t.length; i++) {
    if (!Number.isFinite(v[i])) {
      throw new DetectorError(
        'non_finite',
        `${what}: value at index ${i} is ${v[i]}; drop or interpolate non-finite values before detection`,
      );
    }
    if (Math.abs(t[i]) > MAX_TIME_MS && Number.isFinite(t[i]))
      throw new DetectorError('bad_time', `${what}: index ${i}: ${timeRangeProblem(t[i])}`);
    if (!Number.isFinite(t[i]) || (i > 0 && !(t[i] > t[i - 1]))) {
      throw new DetectorError(
        'bad_time',
        `${what}: timestamps must be finite and strictly increasing (index ${i})`,
      );
    }
  }
}

/** Labels: a TimeSeries of 0/1 values whose times overlap the data's span. */
export function checkLabels(labels: TimeSeries, data: TimeSeries): void {
  if (!labels || !(labels.t instanceof Float64Array) || !(labels.v instanceof Float64Array)) {
    throw new DetectorError('bad_labels', 'labels: expected a TimeSeries of 0/1 values');
  }
  if (labels.t.length !== labels.v.length)
    throw new DetectorError('bad_labels', 'labels: t and v lengths differ');
  for (let i = 0; i < labels.v.length; i++) {
    const x = labels.v[i];
    if (x !== 0 && x !== 1)
      throw new DetectorError(
        'bad_labels',
        `labels: value ${x} at index ${i} (t=${labels.t[i]}) is not 0 or 1; mark anomalies with 1 and the rest with 0`,
      );
  }
  const n = data.t.length;
  if (labels.t.length > 0 && n > 0) {
    const lo = data.t[0];
    const hi = data.t[n - 1];
    if (labels.t[labels.t.length - 1] < lo || labels.t[0] > hi)
      throw new DetectorError(
        'bad_labels',
        `labels: their times (${labels.t[0]}…${labels.t[labels.t.length - 1]}) do not overlap the data (${lo}…${hi}); pass labels on the training timestamps`,
      );
  }
}

/**
 * The largest |value| (after a detector's transforms) that the detectors whose state accumulates values
 * accept: the `nabStream` rolling statistics (sums of squares), the discord cores' subsequence sums of
 * squares and dot products, ZMS's adaptive level reference (a variance) and the level-drift CUSUM's
 * residual sums and re-anchored level. Squares of differences of such values (≤ 4e300) and their sums
 * over the longest window a config allows stay finite, so a trained model or a stream checkpoint always
 * loads (a model file's state must hold finite numbers). Ordinary data is far below.
 */
export const SAFE_VALUE_MAX = 1e150;

/**
 * Refuses (typed, `value_too_large`) a value beyond ±`SAFE_VALUE_MAX`, before anything learns it;
 * `t` (epoch ms) is named when known.
 */
export function checkSafeValue(v: number, t: number | null, who: string): void {
  if (Math.abs(v) <= SAFE_VALUE_MAX || Number.isNaN(v)) return;
  const at = t === null ? '' : ` at t=${formatTime(t)}`;
  throw new DetectorError(
    'value_too_large',
    `${who}: value ${v}${at} is beyond ±${SAFE_VALUE_MAX}, the largest whose squares and sums its model state can hold; rescale the series (divide it by a power of ten) before training or streaming`,
  );
}

/** An ISO time when the number is a valid date, else the number itself (never throws). */
export function formatTime(t: number): string {
  return Number.isFinite(t) && Math.abs(t) <= 8.64e15 ? new Date(t).toISOString() : String(t);
}

/**
 * A hint for a time that reads as epoch seconds: a numeric time before 1973-03-03 read as epoch ms is
 * almost surely epoch seconds (`''` for any other time, and for a string). Shared by stream `bad_time`
 * errors and `tsad serve`'s `out_of_order`.
 */
export function epochSecondsHint(t: number | string): string {
  return typeof t === 'number' && Math.abs(t) < 1e11
    ? `; ${t} reads as ${new Date(t).toISOString()}: t is epoch milliseconds, so multiply epoch seconds by 1000`
    : '';
}

/** `checkSafeValue` on every value of `v` (times from `t`). */
export function checkSafeValues(v: ArrayLike<number>, t: ArrayLike<number> | null, who: string): void {
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!(Math.abs(x) <= SAFE_VALUE_MAX) && !Number.isNaN(x)) checkSafeValue(x, t ? t[i] : null, who);
  }
}
