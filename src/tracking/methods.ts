/**
 * The method names of `Tracker`, for wrappers that forward them. No runtime imports: `openTracker`
 * loads this at start-up.
 */
import type { Tracker } from './tracker.js';

/**
 * Every method of `Tracker`, for wrappers that forward them (`openTracker`'s lazy tracker). The
 * compiler checks the list against the interface, so a new method fails to build until it is here.
 */
export const TRACKER_METHODS = [
  'run',
  'startRun',
  'getOrCreateExperiment',
  'getExperiment',
  'listExperiments',
  'getRun',
  'getMetricHistory',
  'listArtifacts',
  'readArtifact',
  'searchRuns',
  'deleteRun',
  'endRun',
  'registerModel',
  'setAlias',
  'deleteAlias',
  'setModelVersionTag',
  'getModelVersionTags',
  'getModelVersion',
  'listRegisteredModels',
  'listModelVersions',
  'loadModelJson',
  'loadModel',
  'close',
] as const satisfies readonly Exclude<keyof Tracker, 'uri'>[];

/** `true` only when `TRACKER_METHODS` names every method of `Tracker`. */
export const TRACKER_METHODS_COMPLETE: [
  Exclude<keyof Tracker, 'uri' | (typeof TRACKER_METHODS)[number]>,
] extends [never]
  ? true
  : never = true;
