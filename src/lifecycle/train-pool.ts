/**
 * Runs the models of a fixed retraining schedule on worker threads, for `simulate({ trainIn })`: each
 * model trains on data known in advance and is live over a period known in advance, scored by a fresh
 * stream, so the jobs do not depend on each other and run in parallel. Replies: scores, alarm flags
 * (and the model JSON when tracked), read with `result(id)`; the calling thread can `take()` jobs that
 * no worker has started and run them itself.
 */
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../worker-thread.js';
import { LifecycleError } from './errors.js';
import type { TrainJob, TrainReply } from './train-job.js';

function startWorker(): Worker {
  return startModuleWorker(import.meta.url, 'train-worker');
}

export interface TrainPool {
  /** The reply of job `id` (resolves when that job is done). */
  result(id: number): Promise<TrainReply>;
  /** Takes the last job no worker has been given yet (the caller then runs it itself), if any. */
  take(): TrainJob | undefined;
  close(): Promise<void>;
}

export function startTrainPool(jobs: readonly TrainJob[], workers: number): TrainPool {
  const waiters = new Map<number, { res: (r: TrainReply) => void; rej: (e: Error) => void }>();
  const promises = new Map<number, Promise<TrainReply>>();
  for (const j of jobs) {
    promises.set(
      j.id,
      new Promise<TrainReply>((res, rej) => {
        waiters.set(j.id, { res, rej });
      }),
    );
    promises.get(j.id)?.catch(() => {}); // failures surface through result()
  }
  const queue = [...jobs];
  const pool: Worker[] = [];
  const count = Math.max(1, Math.min(workers, jobs.length));
  const fail = (err: Error) => {
    for (const w of waiters.values()) w.rej(err);
    waiters.clear();
  };
  for (let k = 0; k < count && jobs.length > 0; k++) {
    const w = startWorker();
    pool.push(w);
    const next = () => {
      const job = queue.shift();
      if (job) w.postMessage(job);
    };
    w.on('message', (r: TrainReply) => {
      waiters.get(r.id)?.res(r);
      waiters.delete(r.id);
      next();
    });
    w.on('error', (e) => fail(e));
    w.on('exit', (code) => {
      if (waiters.size > 0 && code !== 0) {
        fail(new LifecycleError('worker_exit', `a training worker exited (code ${code}) before finishing`));
      }
    });
    next(); // two jobs per worker: the next one is waiting when a worker finishes, even if
    next(); // the main thread is busy running a job of its own
  }
  return {
    take() {
      const job = queue.pop();
      if (job) waiters.delete(job.id);
      return job;
    },
    result(id) {
      const p = promises.get(id);
      if (!p) throw new LifecycleError('bad_option', `no training job ${id}`);
      return p;
    },
    async close() {
      waiters.clear();
      await Promise.all(pool.map((w) => w.terminate()));
    },
  };
}
