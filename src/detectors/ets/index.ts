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
  type EtsComponent,
  type EtsError,
  EtsModel,
  type EtsParams,
  type EtsSpec,
  type EtsState,
  type FitOptions,
  fitEts,
  forecastMean,
  forecastVariance,
  hasAnalyticVariance,
  initialStates,
  normalizeSpec,
  parameterCount,
  simulateEts,
  specName,
  VarianceSimulator,
  varianceFactor,
} from './model.js';
export { acf, detectSeasonality, type PeriodicityStrategy, type SeasonalityOptions } from './seasonality.js';
