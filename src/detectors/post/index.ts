export {
  AggregateAlarms,
  type AggregateAlarmsConfig,
  aggregateAlarmsConfigSchema,
} from './aggregate-alarms.js';
export {
  AnomalyLikelihoodPost,
  type AnomalyLikelihoodPostConfig,
  type AnomalyLikelihoodPostInput,
  anomalyLikelihoodPostSchema,
  logLikelihood,
} from './anomaly-likelihood.js';
export { AnomScoreCalibrator, collapseResolution, pchipDerivatives } from './calibrator.js';
export { type AlarmMetric, revisedF1, revisedPointAdjustedCounts } from './f1.js';
export { OnlineCalibrator, REFIT_EVERY, SKETCH_GAMMA, TailSketch } from './online-calibrator.js';
export {
  makeThresholdRule,
  type PostRuleTrainConfig,
  postRuleTrainSchema,
  type ThresholdRuleConfig,
  type ThresholdRuleInput,
  thresholdRuleSchema,
} from './rule.js';
export {
  type AlarmStreamer,
  Threshold,
  type ThresholdConfig,
  type ThresholdTrainOptions,
  thresholdConfigSchema,
} from './threshold.js';
