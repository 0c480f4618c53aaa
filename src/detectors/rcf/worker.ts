/**
 * The worker thread of two-threaded `CutForest`s (see `startForestWorker`): waits for a forest's
 * shared memory, attaches to it and takes chunks of trees of each published job (a streaming step
 * or a block of rows) until that forest stops being served, then waits for the next one.
 */
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { CutForest, type ForestMemory } from './forest.js';

const port = parentPort as MessagePort;
const bell = new Int32Array((workerData as { bell: SharedArrayBuffer }).bell);
for (;;) {
  // read the bell before looking for a message: one posted after the look rings it again
  const rung = Atomics.load(bell, 0);
  const msg = receiveMessageOnPort(port);
  if (msg) new CutForest({ dimensions: 1 }, msg.message as ForestMemory).serveJobs();
  else Atomics.wait(bell, 0, rung);
}
