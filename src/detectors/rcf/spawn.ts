/**
 * Starting the forest's worker thread (worker.ts), in a module of its own so that a command can
 * start the batch worker (`startForestWorker`) before it loads the forest and the rest of the
 * detectors: the thread boots (a Node worker takes tens of milliseconds) while the calling thread
 * compiles its modules and loads its data (`preStartForestWorker`).
 */
import { Worker } from 'node:worker_threads';

/**
 * The worker's young generation, in MiB. Its work is on shared typed arrays and allocates little on
 * its own heap, and the default lets that heap grow to several MiB of fresh pages (each a page fault,
 * costly on virtual machines: ≈ 1,400 of the `nab machine-temperature` command's ≈ 24,000). Only the
 * garbage collector's schedule depends on it, never a number.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 2 };

/** A thread running worker.js with `data`, or null if none can start here. */
export function spawnForestWorker(data: unknown): Worker | null {
  const url = import.meta.url;
  let w: Worker;
  try {
    w = url.endsWith('.ts')
      ? // Running from TypeScript sources (tsx, vitest): load the worker through tsx.
        new Worker(
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => m.tsImport(${JSON.stringify(new URL('./worker.js', url).href)}, ${JSON.stringify(url)}));`,
          { eval: true, workerData: data, resourceLimits: WORKER_LIMITS },
        )
      : new Worker(new URL('./worker.js', url), { workerData: data, resourceLimits: WORKER_LIMITS });
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
  const e = { worker, ready };
  // A worker whose start fails (its module does not load) emits 'error': with no listener that is
  // an uncaught exception in this thread. Until `startForestWorker` adopts it (and listens), a
  // failed one is dropped, so that the forests start a new one or stay on one thread.
  worker.on('error', () => {
    if (early === e) early = null;
  });
  early = e;
  return true;
}

/** The worker `preStartForestWorker` started, handed over once (then null). */
export function takeEarlyBatchWorker(): EarlyBatchWorker | null {
  const e = early;
  early = null;
  return e;
}
