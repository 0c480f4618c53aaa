/** tsad: time-series anomaly detection with experiment tracking. The public API. */

import { loadModel } from './detectors/index.js';
import { setModelLoader } from './tracking/index.js';

export * from './datasets/index.js';
export * from './detectors/index.js';
export * from './errors.js';
export * from './experiments/index.js';
export * from './lab/index.js';
export * from './metrics/index.js';
export * from './report/html.js';
export * from './series/index.js';
export * from './tracking/index.js';

// `tracker.loadModel('models:/name@alias')` turns model files into detectors through the registry.
setModelLoader(loadModel);
