/**
 * Worker thread of the forests: either of a two-threaded `CutForest` (attaches to the forest's
 * shared memory and takes chunks of trees of each published streaming step, see
 * `CutForest.scoreThenUpdate`), or the batch worker of `startForestWorker` (takes chunks of trees of
 * each `scoreThenUpdateRows` batch of any forest).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CutForest, type ForestMemory, serveBatchJobs } from './forest.js';

const data = workerData as ForestMemory | { batch: SharedArrayBuffer };
if ('batch' in data) {
  if (parentPort) serveBatchJobs(parentPort, data.batch);
} else new CutForest({ dimensions: 1 }, data).serveJobs();
