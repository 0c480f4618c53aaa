export { Rng } from '../math/rng.js';
export { ArtDetector } from './art/detector.js';
export { BaseDetector } from './base.js';
export { type BaseDetectorConfig, baseConfigShape } from './base-config.js';
export * from './changepoint/detector.js';
export {
  alignTo,
  type CombineKind,
  combineMax,
  combineMean,
  combineMedian,
  metricWeights,
  RowCombiner,
  selectBest,
  targetGrid,
  unionGrid,
} from './combiners.js';
export { parseConfig } from './config.js';
export {
  DEFAULT_ALARM_RULE,
  DEFAULT_COUNT_POINTS,
  DEFAULT_DRIFT,
  DEFAULT_ETS_ALONE,
  DEFAULT_SEASONAL_FLOOR,
  DEFAULT_SEASONAL_LATE,
  DEFAULT_STRONG_THRESHOLD,
  type DefaultDetectorInput,
  defaultDetector,
  STRONG_THRESHOLD_12C,
} from './default.js';
export * from './discord/detector.js';
export { Ensemble, ensembleLoader } from './ensemble.js';
export {
  type CombinerConfig,
  type CombinerInput,
  type CombinerType,
  combinerSchema,
  ENSEMBLE_METRICS,
  type EnsembleConfig,
  type EnsembleInput,
  type EnsembleMember,
  type EnsembleMetric,
  type EnsembleOptions,
  type EnsembleWarning,
  type EnsembleWarningListener,
  ensembleConfigSchema,
  metricDirection,
  type SelectionMetric,
} from './ensemble-config.js';
export * from './ets/index.js';
export * from './flatline/detector.js';
export { checkLabels, checkSeries } from './input.js';
export {
  averagePathLength,
  IsolationForest,
  type IsolationForestConfig,
  type IsolationForestInput,
  IsolationForestModel,
  isolationForestConfigSchema,
} from './isolation-forest.js';
export { decodeFloats, decodeInts, encodeFloats, jsonAny, jsonFloat, jsonObject } from './json.js';
export * from './level-drift/detector.js';
export { asMember, ForeignMember, isDetector } from './member.js';
export { assertPlainJson, modelEnvelopeSchema } from './model.js';
export { NabStreamDetector } from './nab-stream/detector.js';
export * from './post/index.js';
export {
  CutForest,
  type CutForestOptions,
  CutTree,
  type CutTreeSpec,
  forestWorkerStatus,
  RandomCutForest,
  type RandomCutForestConfig,
  type RandomCutForestInput,
  randomCutForestConfigSchema,
  startForestWorker,
  stopForestWorker,
} from './rcf/index.js';
export {
  DETECTORS,
  type DetectorEntry,
  type DetectorLoader,
  loadModel,
  registerDetector,
  registeredTypes,
} from './registry.js';
export {
  RollingMad,
  type RollingMadConfig,
  type RollingMadInput,
  rollingMadConfigSchema,
} from './rolling-mad/detector.js';
export * from './seasonal-change/detector.js';
export {
  type DetectorSpec,
  defineDetector,
  loadAs as loadSpecAs,
  parseState,
  type RawModelOf,
  type RestoreContext,
  type RowDetectorSpec,
  type RowModel,
  type SeriesDetectorSpec,
  type SeriesModel,
  SpecDetector,
  specLoader,
} from './spec.js';
export { baseLoader, loadAs } from './state.js';
export type { RawStreamer, StreamCore } from './streaming.js';
export {
  type Frame,
  TransformPipeline,
  type TransformSpec,
  TransformStreamer,
  tailOf,
  transformSchema,
} from './transforms.js';
export type * from './types.js';
export { type ZmsConfig, ZmsDetector, type ZmsInput, zmsConfigSchema } from './zms.js';
export { fitZms, type ZmsState, zmsKernel, zmsLags, zmsScores } from './zms-core.js';
