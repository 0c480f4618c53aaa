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

/** The codes of `ConfigError` (snake_case; each is explained in docs/errors.md). */
export type ConfigErrorCode =
  | 'alias_without_register'
  | 'bad_config'
  | 'bad_corpus'
  | 'bad_margin'
  | 'bad_option'
  | 'bad_results'
  | 'bad_synth_option'
  | 'bad_train_fraction'
  | 'bad_workers'
  | 'empty_corpus'
  | 'file_failed'
  | 'invalid_option'
  | 'output_failed'
  | 'output_not_empty'
  | 'register_without_tracking'
  | 'results_busy'
  | 'unknown_detector'
  | 'unknown_file';

/** A configuration object failed validation. */
export class ConfigError extends TsadError<ConfigErrorCode> {}

/** The codes of `DetectorError` (snake_case; each is explained in docs/errors.md). */
export type DetectorErrorCode =
  | 'bad_capacity'
  | 'bad_config'
  | 'bad_dimension'
  | 'bad_event'
  | 'bad_labels'
  | 'bad_option'
  | 'bad_point'
  | 'bad_series'
  | 'bad_time'
  | 'empty_train'
  | 'ets_bad_period'
  | 'ets_empty_grid'
  | 'ets_fit_failed'
  | 'ets_gap_too_long'
  | 'ets_horizon'
  | 'ets_non_finite'
  | 'ets_non_finite_score'
  | 'ets_non_positive'
  | 'ets_too_short'
  | 'gap'
  | 'internal'
  | 'member_failed'
  | 'misaligned'
  | 'needs_labels'
  | 'needs_metric'
  | 'no_members'
  | 'no_train_scores'
  | 'non_finite'
  | 'non_finite_score'
  | 'not_implemented'
  | 'not_trained'
  | 'tiny_scale'
  | 'too_few_points'
  | 'tree_full'
  | 'unsupported'
  | 'untrained_rule'
  | 'value_too_large';

/** A detector was used wrongly (e.g. scored before training) or got input it cannot handle. */
export class DetectorError extends TsadError<DetectorErrorCode> {}

/**
 * The codes with which `train()` refuses its data rather than fails: too few points for the detector's
 * minimum, or (ETS) an exact fit that leaves no error scale. Runners that train on slices they did not
 * choose (the NAB runner, `simulate`'s retrains, locate mode) skip such a slice instead of stopping.
 */
const TRAIN_REFUSALS: ReadonlySet<string> = new Set<DetectorErrorCode>(['too_few_points', 'tiny_scale']);

/** Whether `code` (a `DetectorError`'s, or one sent back by a worker) is a refusal of the training data. */
export function isTrainRefusalCode(code: unknown): boolean {
  return typeof code === 'string' && TRAIN_REFUSALS.has(code);
}

/** Whether `e` is a `DetectorError` refusing the training data (`isTrainRefusalCode`). */
export function isTrainRefusal(e: unknown): boolean {
  return e instanceof DetectorError && isTrainRefusalCode(e.code);
}

/** The codes of `ModelFormatError` (snake_case; each is explained in docs/errors.md). */
export type ModelFormatErrorCode =
  | 'bad_config'
  | 'bad_field'
  | 'bad_json'
  | 'bad_rng_state'
  | 'bad_state'
  | 'duplicate_type'
  | 'forbidden_key'
  | 'missing_field'
  | 'model_unreadable'
  | 'newer_state'
  | 'too_deep'
  | 'too_large'
  | 'unknown_type'
  | 'unsupported_version'
  | 'wrong_type';

/** A model file failed its schema, names an unknown type, or has inconsistent state. */
export class ModelFormatError extends TsadError<ModelFormatErrorCode> {}

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

/**
 * The codes of `TrackingError` and its subclasses (snake_case; each is explained in docs/errors.md).
 * `MlflowServerErrorCode` is the MLflow server's own `error_code` in lower case.
 */
export type TrackingErrorCode =
  | 'alias_moved'
  | 'artifact_conflict'
  | 'backend'
  | 'bad_model_loader'
  | 'bad_store_path'
  | 'corrupt_store'
  | 'export_artifacts_refused'
  | 'export_incomplete'
  | 'export_stopped'
  | 'invalid_alias'
  | 'invalid_artifact_path'
  | 'invalid_dataset'
  | 'invalid_key'
  | 'invalid_mlmodel'
  | 'invalid_model'
  | 'invalid_model_json'
  | 'invalid_model_uri'
  | 'invalid_name'
  | 'invalid_params'
  | 'invalid_query'
  | 'invalid_run_options'
  | 'invalid_status'
  | 'invalid_text'
  | 'invalid_uri'
  | 'invalid_value'
  | 'invalid_version'
  | 'lock_timeout'
  | 'missing_dependency'
  | 'mlflow_artifacts_not_proxied'
  | 'mlflow_bad_response'
  | 'mlflow_connection_lost'
  | 'mlflow_experiment_deleted'
  | 'mlflow_response_too_large'
  | 'mlflow_runs_pending'
  | 'mlflow_timeout'
  | 'mlflow_unreachable'
  | 'mlflow_unsupported_name'
  | 'no_model_loader'
  | 'no_report'
  | 'not_a_tsad_model'
  | 'not_found'
  | 'param_changed'
  | 'run_not_active'
  | 'run_registered'
  | 'same_store'
  | 'schema_too_new'
  | 'sql_connection_lost'
  | 'sql_unreachable'
  | 'storage_denied'
  | 'storage_full'
  | 'store_not_found'
  | 'unsafe_path'
  | 'unsupported_store'
  | 'unsupported_uri'
  | MlflowServerErrorCode;

/**
 * An error an MLflow server answered with (`MlflowApiError`): `mlflow_` and the server's
 * `error_code` in lower case (`mlflow_invalid_parameter_value`, `mlflow_resource_already_exists`,
 * `mlflow_permission_denied`, ...), or `mlflow_http_<status>` when the answer names none.
 */
export type MlflowServerErrorCode = `mlflow_${string}`;

/** A tracking backend rejected an operation or could not be reached. */
export class TrackingError extends TsadError<TrackingErrorCode> {}
