/** tsad: time-series anomaly detection with experiment tracking. The public API. */

export * from './datasets/index.js';
export * from './detectors/index.js';
export * from './errors.js';
export * from './metrics/index.js';
export * from './report/html.js';
export * from './series/index.js';
export * from './tracking/index.js';
