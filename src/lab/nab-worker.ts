import { parentPort } from 'node:worker_threads';
import { type NabFileJob, runNabFile } from './nab-corpus-file.js';

/** Worker-thread entry: runs one NAB file per message and answers with its timing or error. */
parentPort?.on('message', async (job: NabFileJob) => {
  try {
    parentPort?.postMessage({ ok: true, result: await runNabFile(job) });
  } catch (err) {
    const e = err as Error;
    parentPort?.postMessage({ ok: false, file: job.file, error: `${e.name}: ${e.message}` });
  }
});
