import type { Worker } from 'node:worker_threads';
import { TsadError } from '../errors.js';
import { startModuleWorker } from '../worker-thread.js';
import type { NabFileJob, NabFileResult } from './nab-corpus-file.js';

/** The codes of `NabRunError` (snake_case; each is explained in docs/errors.md). */
export type NabRunErrorCode = 'worker_exit';

/** A corpus run that cannot finish: a worker died (a bad recipe name or worker count is a `ConfigError`, as in `tsad bench`). */
export class NabRunError extends TsadError<NabRunErrorCode> {}

/** A worker running nab-worker next to this module (compiled, or through tsx from the sources). */
function startWorker(): Worker {
  return startModuleWorker(import.meta.url, 'nab-worker');
}

/** A file a worker failed on: its error as text, with the error's class name and code when it had them. */
export interface NabFileFailure {
  readonly file: string;
  readonly error: string;
  readonly name?: string;
  readonly code?: string;
}

type WorkerReply = { ok: true; result: NabFileResult } | ({ ok: false } & NabFileFailure);

/** Sends one job to a worker and waits for its reply; a worker that errors or exits instead rejects. */
function ask(w: Worker, job: NabFileJob): Promise<WorkerReply> {
  return new Promise<WorkerReply>((res, rej) => {
    const done = () => {
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
    };
    const onMessage = (msg: WorkerReply) => {
      done();
      res(msg);
    };
    const onError = (err: Error) => {
      done();
      rej(err);
    };
    const onExit = (code: number) => {
      done();
      rej(
        new NabRunError(
          'worker_exit',
          `the worker running ${job.file} exited (code ${code}) without a result`,
        ),
      );
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    w.postMessage(job);
  });
}

/** Runs jobs over a pool of worker threads; `onDone` is called as each finishes. */
export async function runPool(
  jobs: NabFileJob[],
  workers: number,
  onDone: (r: NabFileResult) => void,
): Promise<{ results: NabFileResult[]; failures: NabFileFailure[] }> {
  const results: NabFileResult[] = [];
  const failures: NabFileFailure[] = [];
  if (jobs.length === 0) return { results, failures };
  const queue = [...jobs];
  const count = Math.max(1, Math.min(workers, jobs.length));
  await Promise.all(
    Array.from({ length: count }, async () => {
      const w = startWorker();
      try {
        for (let job = queue.shift(); job; job = queue.shift()) {
          const current = job;
          const msg = await ask(w, current);
          if (msg.ok) {
            results.push(msg.result);
            onDone(msg.result);
          } else failures.push({ file: msg.file, error: msg.error, name: msg.name, code: msg.code });
        }
      } finally {
        await w.terminate();
      }
    }),
  );
  return { results, failures };
}
