export {
  BaseRun,
  BaseTracker,
  datasetDigest,
  flattenParams,
  formatFilter,
  formatOrderBy,
  getModelLoader,
  LIMITS,
  type ModelLoader,
  type ModelUri,
  normalizeQuery,
  parseFilter,
  parseModelUri,
  parseOrderBy,
  setModelLoader,
  type ValidBatch,
} from './common.js';
export {
  COPYING_TAG,
  type ExportFailure,
  type ExportOptions,
  type ExportReport,
  exportRuns,
  SOURCE_RUN_TAG,
} from './export.js';
export { FileTracker, type FileTrackerOptions, type UnreadableRun } from './file.js';
export { MemoryTracker, openMemoryTracker } from './memory.js';
export {
  createMlflowTracker,
  MlflowApiError,
  MlflowTracker,
  type MlflowTrackerOptions,
} from './mlflow.js';
export { classifyUri, DEFAULT_TRACKING_URI, defaultTrackingUri, openTracker, redactUri } from './open.js';
export {
  type SqlDialectName,
  type SqlExecutor,
  SqlTracker,
  type SqlTrackerOptions,
} from './sql.js';
export type { PreparedRun, RegistryStore, RunIdentity, RunStore, Store } from './store.js';
export * from './tracker.js';
