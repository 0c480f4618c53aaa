export {
  type CsvRows,
  emitSeriesWarning,
  type ReadCsvOptions,
  readCsv,
  readCsvRows,
  validateCsvRows,
} from './csv.js';
export { inferGranularity, labelsFromWindows, lowerBound, splitAt, upperBound } from './ops.js';
export {
  type Aggregate,
  type DateBinOptions,
  dateBin,
  type FillPolicy,
  gridOrigin,
  type ResampleOptions,
  type Rows,
  resample,
} from './resample.js';
export {
  formatTime,
  fromArrays,
  parseTime,
  type SeriesOptions,
  type SeriesWarningCode,
  series,
} from './series.js';
export type { DuplicatePolicy, NonFinitePolicy, TimeInput, TimeSeries, Window } from './types.js';
