/**
 * Trains a list of (recipe, slice) jobs ahead of time on worker threads, for `simulate({ trainIn })`:
 * scheduled retrains do not depend on each other (each trains a fresh model on data known in advance),
 * so they can run in parallel while the main thread streams. Results are model JSON, in job order.
 */
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../worker-thread.js';
import { LifecycleError } from './errors.js';
import type { TrainJob, TrainReply } from './train-worker.js';

function startWorker(): Worker {
  return startModuleWorker(import.meta.url, 'train-worker');
}

export interface TrainPool {
  /** The reply of job `id` (resolves when that job is done). */
  result(id: number): Promise<TrainReply>;
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
    next();
  }
  return {
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
