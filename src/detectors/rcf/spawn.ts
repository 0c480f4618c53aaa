/**
 * Starting the forest's worker thread (worker.ts), in a module of its own so that a command can
 * start the batch worker (`startForestWorker`) before it loads the forest and the rest of the
 * detectors: the thread boots (a Node worker takes tens of milliseconds) while the calling thread
 * compiles its modules and loads its data (`preStartForestWorker`). The bin starts it earlier still,
 * before the command line's bundle is even read (`startBinBatchWorker`, start-up round 28): the
 * bundle's copy of this module then adopts that worker instead of starting its own.
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
 * Where the bin leaves the batch worker it started (`startBinBatchWorker`): the bin and the command
 * line's bundle are two copies of this module (two module graphs in one thread), so the hand-over
 * goes through a registered symbol on the global object, set by the bin's call (never by an import).
 */
const BIN_SLOT = Symbol.for('tsad.forest.binBatchWorker');
type BinSlot = { [BIN_SLOT]?: EarlyBatchWorker };

/** A batch worker from `make` (given its worker data), with its ready flag; null if none can start. */
function newBatchWorker(
  make: (data: { batch: SharedArrayBuffer }) => Worker | null,
): EarlyBatchWorker | null {
  const ready = new Int32Array(new SharedArrayBuffer(4));
  const worker = make({ batch: ready.buffer as SharedArrayBuffer });
  return worker ? { worker, ready } : null;
}

/**
 * @internal The bin (dist/cli/main.js), for a command that will start the forest's batch worker
 * (`binStartsForestWorker`): starts it from the worker bundle `file` now, before the command line's
 * bundle is read and compiled, and leaves it for that bundle's `preStartForestWorker` to adopt. A
 * worker that fails to start, or fails before it is adopted, is dropped (the command starts its own
 * or stays on one thread). Returns whether a worker was started.
 */
export function startBinBatchWorker(file: string): boolean {
  const g = globalThis as BinSlot;
  if (g[BIN_SLOT]) return true;
  const e = newBatchWorker((data) => {
    try {
      return new Worker(file, { workerData: data, resourceLimits: WORKER_LIMITS });
    } catch {
      return null;
    }
  });
  if (!e) return false;
  e.worker.unref();
  e.worker.on('error', () => {
    if (g[BIN_SLOT] === e) delete g[BIN_SLOT];
  });
  g[BIN_SLOT] = e;
  return true;
}

/** The worker the bin left (`startBinBatchWorker`), taken over by this module (then gone from the slot). */
function takeBinBatchWorker(): EarlyBatchWorker | null {
  const g = globalThis as BinSlot;
  const e = g[BIN_SLOT];
  if (!e) return null;
  delete g[BIN_SLOT];
  return e;
}

/** Holds `e` as the early worker until `startForestWorker` adopts it (a failed one is dropped). */
function holdEarly(e: EarlyBatchWorker): void {
  // A worker whose start fails (its module does not load) emits 'error': with no listener that is
  // an uncaught exception in this thread. Until `startForestWorker` adopts it (and listens), a
  // failed one is dropped, so that the forests start a new one or stay on one thread.
  e.worker.on('error', () => {
    if (early === e) early = null;
  });
  early = e;
}

/**
 * Starts the batch worker of `startForestWorker` now, without loading the forest's code; the next
 * `startForestWorker()` adopts it. For a command that will call `startForestWorker()` anyway (a
 * worker nobody adopts is unreferenced: it does not keep the process alive). A worker the bin
 * started (`startBinBatchWorker`) is the one taken. Returns whether a worker runs or was started.
 */
export function preStartForestWorker(): boolean {
  if (early) return true;
  const e = takeBinBatchWorker() ?? newBatchWorker(spawnForestWorker);
  if (!e) return false;
  holdEarly(e);
  return true;
}

/**
 * @internal Whether a batch worker waits to be adopted: one `preStartForestWorker` started, or one
 * the bin started (`startBinBatchWorker`).
 */
export function earlyBatchWorkerWaiting(): boolean {
  return early !== null || (globalThis as BinSlot)[BIN_SLOT] !== undefined;
}

/** @internal Stops a batch worker waiting to be adopted (for a command that will not use it). */
export function dropEarlyBatchWorker(): Promise<void> {
  const e = takeEarlyBatchWorker();
  return e ? e.worker.terminate().then(() => undefined) : Promise.resolve();
}

/** The worker `preStartForestWorker` (or the bin) started, handed over once (then null). */
export function takeEarlyBatchWorker(): EarlyBatchWorker | null {
  const e = early ?? takeBinBatchWorker();
  early = null;
  return e;
}
