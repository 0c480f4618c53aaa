/** tsad: time-series anomaly detection with experiment tracking. The public API. */

import { type Detector, loadModel } from './detectors/index.js';
import { openTracker as openTrackerWith, type Tracker } from './tracking/index.js';

export * from './datasets/index.js';
export * from './detectors/index.js';
export * from './errors.js';
export * from './experiments/index.js';
export * from './lab/index.js';
export * from './lifecycle/index.js';
export * from './metrics/index.js';
export * from './report/html.js';
export * from './series/index.js';
export * from './tracking/index.js';

/**
 * Opens a tracker (see the tracking module's `openTracker`) whose `loadModel('models:/name@alias')`
 * turns the stored model file into a `Detector` through the detector registry.
 */
export function openTracker(uri?: string): Tracker<Detector> {
  return openTrackerWith(uri, { loadModel });
}
