/** Training off the event loop: one worker thread per training job, so scoring never stalls. */
import type { Worker } from 'node:worker_threads';
import type { ModelJson } from '../detectors/types.js';
import { startModuleWorker } from '../worker-thread.js';
import { ServeError } from './errors.js';

function startWorker(): Worker {
  return startModuleWorker(import.meta.url, 'train-worker');
}

type Reply = { ok: true; model: ModelJson } | { ok: false; name: string; code?: string; message: string };

/** Trains `detector` (a recipe name) on the series in a worker thread; resolves with the model JSON. */
export function trainInWorker(
  detector: string,
  seed: number,
  t: Float64Array,
  v: Float64Array,
): Promise<ModelJson> {
  return new Promise((resolve, reject) => {
    const w = startWorker();
    let done = false;
    const finish = (f: () => void) => {
      if (done) return;
      done = true;
      void w.terminate();
      f();
    };
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
