/**
 * tsad: time-series anomaly detection with experiment tracking. The public API: what a user calls
 * (the data, the detectors, the metrics, the tracker) and the config, record and error types they
 * meet. At most 80 names (test/public-surface.test.ts); everything else is a subpath
 * (`tsad/detectors`, `tsad/metrics`, `tsad/series`, `tsad/datasets`, `tsad/tracking`, `tsad/lab`,
 * `tsad/report`, `tsad/serve`, `tsad/testing`, `tsad/adapters/danfo`; see docs/api.md).
 * Importing it runs no code beyond defining these names.
 */

// data
export { loadNab, type NabDataset } from './datasets/index.js';
// detectors
export { DEFAULT_ALARM_RULE, type DefaultDetectorInput, defaultDetector } from './detectors/default.js';
export { Ensemble, type EnsembleInput } from './detectors/ensemble.js';
export { EtsDetector, type EtsInput } from './detectors/ets/detector.js';
export { IsolationForest, type IsolationForestInput } from './detectors/isolation-forest.js';
export { NabStreamDetector } from './detectors/nab-stream/detector.js';
export { RandomCutForest, type RandomCutForestInput } from './detectors/rcf/detector.js';
export { loadModel } from './detectors/registry.js';
export { RollingMad, type RollingMadInput } from './detectors/rolling-mad/detector.js';
export type {
  AlarmEvent,
  Detector,
  ModelJson,
  ScoreOptions,
  StreamResult,
  StreamScorer,
  TrainOptions,
} from './detectors/types.js';
export { ZmsDetector, type ZmsInput } from './detectors/zms.js';
// errors
export {
  ConfigError,
  type ConfigErrorCode,
  DatasetError,
  DetectorError,
  type DetectorErrorCode,
  MetricsError,
  type MetricsErrorCode,
  ModelFormatError,
  type ModelFormatErrorCode,
  NumericError,
  type NumericErrorCode,
  SeriesError,
  type SeriesErrorCode,
  TrackingError,
  TsadError,
} from './errors.js';

// metrics
export { nabScore } from './metrics/nab.js';
export {
  type EvaluateInput,
  evaluate,
  type NabProfileName,
  type PrfScores,
  type ScoreType,
  type TsadReport,
} from './metrics/tsad.js';
// tracking
export { openTracker } from './open-tracker.js';
export {
  type DateBinOptions,
  dateBin,
  fromArrays,
  labelsFromWindows,
  type ReadCsvOptions,
  type ResampleOptions,
  readCsv,
  resample,
  type SeriesOptions,
  series,
  splitAt,
  type TimeInput,
  type TimeSeries,
  type Window,
} from './series/index.js';
export type {
  Experiment,
  MetricPoint,
  ModelVersion,
  ParamValue,
  RegisteredModel,
  Run,
  RunInfo,
  RunOptions,
  RunRecord,
  RunStatus,
  SearchRunsQuery,
  Tracker,
} from './tracking/tracker.js';
export {
  ParamConflictError,
  RunNotActiveError,
  TrackingNotFoundError,
  TrackingValidationError,
  UnsafePathError,
} from './tracking/tracker.js';
