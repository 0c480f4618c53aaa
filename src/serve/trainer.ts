/** Training off the event loop: one worker thread per training job, so scoring never stalls. */
import type { Worker } from 'node:worker_threads';
import type { ModelJson } from '../detectors/types.js';
import { startModuleWorker } from '../worker-thread.js';
import { ServeError } from './errors.js';

function startWorker(): Worker {
  return startModuleWorker(import.meta.url, 'train-worker');
}

type Reply = { ok: true; model: ModelJson } | { ok: false; name: string; code?: string; message: string };

/** Options of `trainInWorker`. */
export interface TrainInWorkerOptions {
  /** Stops the training: the worker is ended and the promise rejects with `training_cancelled`. */
  readonly signal?: AbortSignal;
}

/**
 * Trains `detector` (a recipe name, as `tsad train --detector`) with `seed` on the series `t`/`v` in a
 * worker thread, so the event loop keeps serving; resolves with the model JSON (`loadModel` it).
 * The arrays are copied to the worker and stay as they were. Training takes no
 * AbortSignal inside a detector: `signal` ends the worker thread. Rejects with `ServeError`
 * `training_failed` (the detector's error and code in the message) or `training_cancelled`.
 */
export function trainInWorker(
  detector: string,
  seed: number,
  t: Float64Array,
  v: Float64Array,
  opts: TrainInWorkerOptions = {},
): Promise<ModelJson> {
  return train(detector, seed, t.slice(), v.slice(), opts.signal);
}

/**
 * @internal `trainInWorker` for arrays made for this call (the service's): their buffers are handed to
 * the worker, not copied, and are detached here afterwards (length 0, with every array sharing them).
 */
export function trainOwnArrays(
  detector: string,
  seed: number,
  t: Float64Array,
  v: Float64Array,
): Promise<ModelJson> {
  return train(detector, seed, t, v, undefined);
}

/** The worker's job; `t` and `v` are transferred (the callers above decide whether they are copies). */
function train(
  detector: string,
  seed: number,
  t: Float64Array,
  v: Float64Array,
  signal: AbortSignal | undefined,
): Promise<ModelJson> {
  const cancelled = () =>
    new ServeError(
      'training_cancelled',
      `training of ${detector} was cancelled (its AbortSignal fired)`,
      503,
    );
  if (signal?.aborted) return Promise.reject(cancelled());
  return new Promise((resolve, reject) => {
    const w = startWorker();
    let done = false;
    const onAbort = () => finish(() => reject(cancelled()));
    const finish = (f: () => void) => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      void w.terminate();
      f();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    w.once('message', (r: Reply) =>
      finish(() =>
        r.ok
          ? resolve(r.model)
          : reject(
              new ServeError(
                'training_failed',
                `training failed: ${r.name}${r.code ? ` [${r.code}]` : ''}: ${r.message}`,
                422,
              ),
            ),
      ),
    );
    w.once('error', (err) =>
      finish(() => reject(new ServeError('training_failed', `training worker failed: ${err.message}`, 500))),
    );
    w.once('exit', (code) =>
      finish(() => reject(new ServeError('training_failed', `training worker exited (${code})`, 500))),
    );
    w.postMessage({ detector, seed, t, v }, [t.buffer, v.buffer] as ArrayBuffer[]);
  });
}
