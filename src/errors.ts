/**
 * Every error tsad throws on purpose is a `TsadError`. Subclasses name the layer and
 * carry a machine-readable `code`; messages say what is wrong and what to do about it.
 */
export class TsadError<C extends string = string> extends Error {
  /** Machine-readable reason; a subclass narrows it to its union (`class X extends TsadError<XCode>`). */
  readonly code: C;
  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The codes of `SeriesError` (snake_case; each is explained in docs/errors.md). */
export type SeriesErrorCode =
  | 'bad_csv'
  | 'bad_granularity'
  | 'bad_input'
  | 'bad_option'
  | 'bad_row'
  | 'bad_timestamp'
  | 'bad_value'
  | 'bad_window'
  | 'duplicate_timestamp'
  | 'empty'
  | 'epoch_seconds'
  | 'length_mismatch'
  | 'missing_column'
  | 'missing_header'
  | 'non_finite'
  | 'read_failed'
  | 'too_many_bins'
  | 'too_short'
  | 'unsorted';

/** Bad series input: empty, mismatched lengths, non-finite values, bad timestamps, duplicates. */
export class SeriesError extends TsadError<SeriesErrorCode> {}

/** The codes of `DatasetError` (snake_case; each is explained in docs/errors.md). */
export type DatasetErrorCode =
  | 'bad_labels'
  | 'download_failed'
  | 'sha256_mismatch'
  | 'unknown_file'
  | 'write_failed';

/** A dataset file could not be found, downloaded or verified. */
export class DatasetError extends TsadError<DatasetErrorCode> {}

/** A configuration object failed validation. */
export class ConfigError extends TsadError {}

/** A detector was used wrongly (e.g. scored before training) or got input it cannot handle. */
export class DetectorError extends TsadError {}

/** A model file failed its schema, names an unknown type, or has inconsistent state. */
export class ModelFormatError extends TsadError {}

/** The codes of `MetricsError` (snake_case; each is explained in docs/errors.md). */
export type MetricsErrorCode =
  | 'bad_input'
  | 'bad_label'
  | 'bad_option'
  | 'bad_profile'
  | 'bad_results'
  | 'bad_score'
  | 'bad_score_type'
  | 'bad_threshold'
  | 'bad_timestamp'
  | 'bad_window'
  | 'empty'
  | 'length_mismatch'
  | 'missing_labels'
  | 'missing_results'
  | 'missing_thresholds'
  | 'unknown_file'
  | 'unsorted_rows'
  | 'unsorted_timestamps';

/** Bad input to a metric (lengths, unsorted timestamps, labels outside {0,1}). */
export class MetricsError extends TsadError<MetricsErrorCode> {}

/** The codes of `NumericError` (snake_case; each is explained in docs/errors.md). */
export type NumericErrorCode = 'bad_bounds' | 'bad_probability' | 'not_finite';

/** Bad input to a numerical routine (optimiser bounds, a probability, a non-finite objective). */
export class NumericError extends TsadError<NumericErrorCode> {}

/** A tracking backend rejected an operation or could not be reached. */
export class TrackingError extends TsadError {}
