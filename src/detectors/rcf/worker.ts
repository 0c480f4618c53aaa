/**
 * Worker thread of a two-threaded `CutForest`: attaches to the forest's shared memory and takes
 * chunks of trees of each published streaming step (see `CutForest.scoreThenUpdate`).
 */
import { workerData } from 'node:worker_threads';
import { CutForest, type ForestMemory } from './forest.js';

new CutForest({ dimensions: 1 }, workerData as ForestMemory).serveJobs();
