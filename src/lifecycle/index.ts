export {
  buildReadQuery,
  describeSqlSource,
  loadSeriesSql,
  MONITOR_TABLE,
  monitorDdl,
  PREDICTIONS_TABLE,
  type PredictionRows,
  predictionsDdl,
  type ReadSqlOptions,
  readSql,
  type SqlAggregate,
  type SqlDialect,
  type SqlSeries,
  type SqlSource,
  writeMonitorSql,
  writeSql,
} from '../datasets/sql.js';
export {
  DEFAULT_ALPHA,
  histogram,
  jensenShannon,
  psi,
  quantileEdges,
  type SmoothingOptions,
  sampleDivergence,
} from './divergence.js';
export { type Duration, parseDuration } from './duration.js';
export { LifecycleError } from './errors.js';
export {
  KS_EXACT_LIMIT,
  type KsResult,
  kolmogorovQ,
  ksAsymptoticPValue,
  ksExactPValue,
  ksPValue,
  ksStatistic,
  ksTest,
} from './ks.js';
export {
  type ChannelStats,
  type DriftCheck,
  type DriftThresholds,
  MONITOR_CHANNELS,
  Monitor,
  type MonitorChannel,
  type MonitorOptions,
  type MonitorRecord,
  monitorMetrics,
  monitorRecords,
} from './monitor.js';
export {
  type NabDriftFile,
  type NabDriftOptions,
  type NabDriftSurvey,
  nabDriftSurvey,
  renderNabDriftReport,
} from './nab-drift.js';
export {
  type Holdout,
  PROMOTION_TAGS,
  type PromoteOptions,
  type PromotionDecision,
  type PromotionMetric,
  promote,
  promotionHistory,
  rollback,
  VERSION_TAGS,
} from './promote.js';
export {
  type RetrainRecord,
  type SimulateOptions,
  type SimulationResult,
  type SimulationTracking,
  simulate,
  type TrainWindow,
} from './simulate.js';
