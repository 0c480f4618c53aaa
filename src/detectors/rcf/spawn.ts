/**
 * Starting the forest's worker thread (worker.ts), in a module of its own so that a command can
 * start the batch worker (`startForestWorker`) before it loads the forest and the rest of the
 * detectors: the thread boots (a Node worker takes tens of milliseconds) while the calling thread
 * compiles its modules and loads its data (`preStartForestWorker`).
 */
import { Worker } from 'node:worker_threads';

/** A thread running worker.js with `data`, or null if none can start here. */
export function spawnForestWorker(data: unknown): Worker | null {
  const url = import.meta.url;
  let w: Worker;
  try {
    w = url.endsWith('.ts')
      ? // Running from TypeScript sources (tsx, vitest): load the worker through tsx.
        new Worker(
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => m.tsImport(${JSON.stringify(new URL('./worker.js', url).href)}, ${JSON.stringify(url)}));`,
          { eval: true, workerData: data },
        )
      : new Worker(new URL('./worker.js', url), { workerData: data });
  } catch {
    return null;
  }
  w.unref();
  return w;
}

/** A batch worker started ahead of `startForestWorker`, with its ready flag. */
export interface EarlyBatchWorker {
  readonly worker: Worker;
  readonly ready: Int32Array;
}

let early: EarlyBatchWorker | null = null;

/**
 * Starts the batch worker of `startForestWorker` now, without loading the forest's code; the next
 * `startForestWorker()` adopts it. For a command that will call `startForestWorker()` anyway (a
 * worker nobody adopts is unreferenced: it does not keep the process alive). Returns whether a
 * worker runs or was started.
 */
export function preStartForestWorker(): boolean {
  if (early) return true;
  const ready = new Int32Array(new SharedArrayBuffer(4));
  const worker = spawnForestWorker({ batch: ready.buffer as SharedArrayBuffer });
  if (!worker) return false;
  early = { worker, ready };
  return true;
}

/** The worker `preStartForestWorker` started, handed over once (then null). */
export function takeEarlyBatchWorker(): EarlyBatchWorker | null {
  const e = early;
  early = null;
  return e;
}
