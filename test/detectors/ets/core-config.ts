import type { EtsCoreConfig } from '../../../src/detectors/index.js';

/**
 * An `EtsCore` config for the tests and benches that drive the core directly: the detector's own
 * defaults (additive error, additive damped trend, additive season of a period found in the data,
 * streaming), the structure fixed (`auto` false) unless `over` says otherwise.
 */
export function etsCoreConfig(over: Partial<EtsCoreConfig> = {}): EtsCoreConfig {
  return {
    error: 'add',
    trend: 'add',
    damped: true,
    seasonal: 'add',
    seasonalPeriods: null,
    auto: false,
    autoOptions: {},
    mode: 'stream',
    granularityMs: null,
    simulations: 1000,
    maxForecastSteps: null,
    seed: 0,
    ...over,
  };
}
