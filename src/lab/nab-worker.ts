import { parentPort } from 'node:worker_threads';
import { TsadError } from '../errors.js';
import { type NabFileJob, runNabFile } from './nab-corpus-file.js';

/** Worker-thread entry: runs one NAB file per message and answers with its timing or error. */
parentPort?.on('message', async (job: NabFileJob) => {
  try {
    parentPort?.postMessage({ ok: true, result: await runNabFile(job) });
  } catch (err) {
    const e = err as Error;
    // the class name and code cross the thread too: the caller tells a data file it cannot read from a bug
    const code = err instanceof TsadError ? String(err.code) : undefined;
    parentPort?.postMessage({
      ok: false,
      file: job.file,
      error: `${e.name}: ${e.message}`,
      name: e.name,
      code,
    });
  }
});
