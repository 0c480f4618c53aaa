import { loadModel } from './detectors/registry.js';
import type { Detector } from './detectors/types.js';
import { openTracker as openTrackerWith } from './tracking/open.js';
import type { Tracker } from './tracking/tracker.js';

/**
 * Opens a tracker (see `tsad/tracking`'s `openTracker` for the URIs) whose
 * `loadModel('models:/name@alias')` turns the stored model file into a `Detector` through the
 * detector registry.
 */
export function openTracker(uri?: string): Tracker<Detector> {
  return openTrackerWith(uri, { loadModel });
}
