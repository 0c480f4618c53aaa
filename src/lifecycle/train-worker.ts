/** Worker-thread entry of `simulate({ trainIn })`: one message = one job of train-job.ts. */
import { parentPort } from 'node:worker_threads';
import { runTrainJob, type TrainJob } from './train-job.js';

parentPort?.on('message', (job: TrainJob) => {
  const reply = runTrainJob(job);
  parentPort?.postMessage(
    reply,
    reply.ok ? [reply.scores.buffer as ArrayBuffer, reply.alarms.buffer as ArrayBuffer] : [],
  );
});
