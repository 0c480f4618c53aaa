/** Input checks shared by detectors: series (`toSeries`, `checkSeries`) and labels (`checkLabels`). */
import { DetectorError } from '../errors.js';
import { series } from '../series/series.js';
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
