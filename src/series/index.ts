export { formatTime, fromArrays, parseTime, type SeriesOptions, series } from './series.js';
export type { DuplicatePolicy, NonFinitePolicy, TimeInput, TimeSeries, Window } from './types.js';
