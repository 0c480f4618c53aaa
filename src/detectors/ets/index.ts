export {
  type AutoEtsCandidate,
  type AutoEtsOptions,
  type AutoEtsResult,
  autoEts,
  candidateGrid,
  type InformationCriterion,
} from './auto.js';
export { EtsCore, type EtsCoreConfig } from './core.js';
export {
  autoEtsOptionsSchema,
  type EtsConfig,
  EtsDetector,
  type EtsInput,
  etsConfigSchema,
} from './detector.js';
export {
  forecastMean,
  forecastVariance,
  hasAnalyticVariance,
  VarianceSimulator,
  varianceFactor,
} from './forecast.js';
export {
  type EtsComponent,
  type EtsError,
  EtsModel,
  type EtsParams,
  type EtsSpec,
  type EtsState,
  type FitOptions,
  fitEts,
  initialStates,
  normalizeSpec,
  parameterCount,
  simulateEts,
  specName,
} from './model.js';
export { acf, detectSeasonality, type PeriodicityStrategy, type SeasonalityOptions } from './seasonality.js';
