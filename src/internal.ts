/**
 * White-box entry for tsad's own tests: the internals they exercise, re-exported in one place so a
 * move inside src/ rewrites this file, not the tests. NOT a public entry: it is not in package.json
 * `exports`, nothing under src/ imports it, and every name here may change in any release.
 * Maintained by scripts/test-imports.mjs (it adds what a rewritten test needs); sorted by module.
 */

export { registerBench } from './cli/bench.js';
export { codeCacheFile, commandKey } from './cli/code-cache.js';
export { alarmExceedances, singlePointLabelWarning } from './cli/data.js';
export { EXIT, exitCodeOf } from './cli/exit.js';
export { interruptLine } from './cli/interrupt.js';
export { labelWindows, registerModels } from './cli/models.js';
export { registerMonitor } from './cli/monitor.js';
export {
  buildRecipe,
  EXPERIMENT_NAME,
  MACHINE_TEMPERATURE_FILE,
  type MachineTemperatureResult,
  REFERENCE,
  runMachineTemperature,
  SPLIT_TIME,
  TEST_WINDOWS,
} from './cli/nab/machine-temperature.js';
export { loadMachineTemperature } from './cli/nab/machine-temperature-data.js';
export { formatScoreboard, runNabCorpus } from './cli/nab/nab-corpus.js';
export { type CachedSeries, cachedSeries, seriesCacheFile } from './cli/nab/series-cache.js';
export { registerNab } from './cli/nab.js';
export { writeOutputFile } from './cli/output.js';
export { commandDone, endIfDone } from './cli/process-end.js';
export { Stages } from './cli/progress.js';
export {
  CORPUS_RECIPE_NAMES,
  LOCATE_ONLY_NAMES,
  MAIN_RECIPE_NAMES,
  RECIPE_HELP,
  RECIPE_NAMES,
} from './cli/recipes.js';
export { reportCommand } from './cli/report.js';
export { registerRuns } from './cli/runs.js';
export { registerSimulate } from './cli/simulate.js';
export { registerSynth } from './cli/synth.js';
export { binStartsForestWorker } from './cli/threads.js';
export { loadNabRows } from './datasets/nab.js';
export { ART_CDIM, ArtCore, artGeometry, artReexpress } from './detectors/art/core.js';
export { artCausalRange } from './detectors/art/detector.js';
export { DailyHarmonic } from './detectors/daily-harmonic.js';
export { DiscordCore } from './detectors/discord/core.js';
export {
  calendarPeriodMs,
  checkedPeriod,
  dominantPeriod,
  periodStrength,
  robustPeriod,
} from './detectors/discord/period.js';
export { broaden, discordLocateScores, type TwoSidedOptions } from './detectors/discord/two-sided.js';
export { additiveGradient } from './detectors/ets/model.js';
export { type FilterSums, filter, logLik, sseGradientAdditive } from './detectors/ets/recursions.js';
export { toSeries } from './detectors/input.js';
export { packFloats, packInts, packInts32, unpackFloats, unpackInts } from './detectors/json.js';
export { LEVEL_DRIFT_DEFAULTS, LevelDriftCore } from './detectors/level-drift/core.js';
export { LevelDriftDetector } from './detectors/level-drift/detector.js';
export { AllocBudget } from './detectors/model.js';
export { NabStreamCore } from './detectors/nab-stream/core.js';
export { type AlarmPath, alarmPaths } from './detectors/post/aggregate-alarms.js';
export { RollingStats } from './detectors/post/anomaly-likelihood.js';
export { releaseForest } from './detectors/rcf/forest.js';
export { clearForestPool, forestPoolStats, setForestPoolMaxBytes } from './detectors/rcf/forest-pool.js';
export { rejectBound } from './detectors/rcf/index.js';
export {
  dropEarlyBatchWorker,
  earlyBatchWorkerWaiting,
  preStartForestWorker,
  startBinBatchWorker,
  takeEarlyBatchWorker,
} from './detectors/rcf/spawn.js';
export { NAV_BITS, NAV_MASK, NAV_MAX_DIM } from './detectors/rcf/tree.js';
export { releaseStream } from './detectors/release.js';
export {
  gridStep,
  SEASONAL_CHANGE_DEFAULTS,
  SEASONAL_LATE_DEFAULTS,
  SeasonalChangeCore,
  type SeasonalChangeSettings,
} from './detectors/seasonal-change/core.js';
export { SeasonalChangeDetector } from './detectors/seasonal-change/detector.js';
export { streamOnce } from './detectors/stream-once.js';
export { ZmsStreamCore } from './detectors/zms-core.js';
export { liveTemps, tmpName, writeFileAtomic, writeFileAtomicSync } from './fs-atomic.js';
export { makeDirs, makeDirsSync } from './fs-dirs.js';
export { defaultBefore44 } from './lab/before44.js';
export { checkCorpusData, kindColumnWidth, kindHeader, poolFailureError } from './lab/bench.js';
export {
  GatedShapeDetector,
  maxDetector,
  onlineMaxDetector,
  PeriodicShapeDetector,
  periodicShapeGate,
  shapeDefault,
} from './lab/candidates.js';
export {
  DAY_SUSTAIN_MINUTES,
  DailyProfileLevel,
  dayLevelDefault,
  dayProfile,
  daySustainDefault,
  KINDS_RECIPES,
  PROFILE_MIN_PER_BIN,
} from './lab/candidates-kinds.js';
export { MT_RECIPES, mtDetector, SustainedScore } from './lab/candidates-mt.js';
export { type NabFileJob, nabResultPath, runNabFile } from './lab/nab-corpus-file.js';
export { NabRunError } from './lab/nab-pool.js';
export { maxWithPartner, nabAnomalyScore, PEAK_SPAN_MS, peakScores, runNabStream } from './lab/nab-stream.js';
export {
  DETECTOR_RECIPES,
  FLOOR_RECIPE,
  makeDetector,
  makePartner,
  NAB_MAPPING,
  RECIPES,
  recipeMapping,
  SHAPE_8B_BUDGET,
} from './lab/recipes.js';
export { SEASONAL_RECIPES, seasonalDefault } from './lab/seasonal-change.js';
export { freqChangeSpan } from './lab/synth.js';
export { ksExactPValuePaths } from './lifecycle/ks.js';
export { pointAlias } from './lifecycle/promote.js';
export { ACF_WASM_DOUBLES, autocorrelation, directAutocorrelation } from './math/autocorrelation.js';
export { projectedGradientNorm } from './math/box.js';
export { finiteRange } from './math/finite.js';
export { minimizeLbfgsb } from './math/lbfgsb.js';
export { normalCdf, normalQuantile } from './math/normal.js';
export { numericGradient } from './math/numeric-gradient.js';
export { gaussOne, NormalRng } from './math/rng.js';
export { fillStreams, xoroshiroFloat } from './math/xoroshiro.js';
export { reloadTrigger } from './serve/main.js';
export {
  likeToRegExp,
  matchesFilter,
  newParams,
  normalizeMetricValue,
  validateArtifactPath,
  withRun,
} from './tracking/common.js';
export { decodeMetricLine, encodeMetricLine, experimentIdFor } from './tracking/file.js';
export { abandonWrites, acquireLock, createFileExclusive, releaseLock, withLock } from './tracking/fsutil.js';
export {
  authorizationHeader,
  chunkLogBatch,
  decodeMetricValue,
  encodeMetricValue,
  MLFLOW_BATCH_LIMITS,
  mlflowFilter,
  retryDelayMs,
} from './tracking/mlflow-wire.js';
export { mlmodelDoc, mlmodelText, mlmodelYaml } from './tracking/models.js';
export { parseSqlUri, SQL_SCHEMA_VERSION, SqlDialect, type SqlResult, SqlStore } from './tracking/sql.js';
export { connectionLost, migrate, POOL_SIZE, retryLost } from './tracking/sql-connect.js';
export type { SqlQuery } from './tracking/sql-dialect.js';
