/**
 * A univariate time series: `t` holds epoch milliseconds (UTC), strictly increasing;
 * `v` holds the values. Both arrays have the same length.
 */
export interface TimeSeries {
  readonly t: Float64Array;
  readonly v: Float64Array;
}

/** An inclusive time window `[start, end]` in epoch milliseconds. */
export type Window = readonly [number, number];

export type NonFinitePolicy = 'error' | 'drop' | 'interpolate';
export type DuplicatePolicy = 'error' | 'first' | 'last' | 'max' | 'mean';
export type TimeInput = number | Date | string;
