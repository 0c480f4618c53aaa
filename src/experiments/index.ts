export {
  CORPUS_RECIPES,
  DETECTOR_RECIPES,
  FLOOR_RECIPE,
  makeDetector,
  RECIPES,
  type Recipe,
  type RecipeOptions,
  recipeMapping,
} from './detectors.js';
export {
  EXPERIMENT_NAME,
  formatDuration,
  formatMachineTemperature,
  MACHINE_TEMPERATURE_FILE,
  type MachineTemperatureOptions,
  type MachineTemperatureResult,
  REFERENCE,
  runMachineTemperature,
  SPLIT_TIME,
  TEST_WINDOWS,
} from './machine-temperature.js';
export {
  formatScoreboard,
  formatTimings,
  type NabCorpusOptions,
  type NabCorpusReport,
  type NabCorpusRow,
  NabRunError,
  publishedScores,
  runNabCorpus,
} from './nab-corpus.js';
export { nabResultPath } from './nab-corpus-file.js';
export { nabAnomalyScore, runNabStream } from './nab-stream.js';
