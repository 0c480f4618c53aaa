/** Worker thread of the service: trains one detector recipe on the posted series, returns its model JSON. */
import { parentPort } from 'node:worker_threads';
import { makeDetector } from '../lab/recipes.js';

interface Job {
  detector: string;
  seed: number;
  t: Float64Array;
  v: Float64Array;
}

parentPort?.on('message', (job: Job) => {
  try {
    // an unknown name (`toString` included) is the same ConfigError as tsad train's
    const det = makeDetector(job.detector, { seed: job.seed });
    det.train({ t: job.t, v: job.v });
    parentPort?.postMessage({ ok: true, model: det.toJSON() });
  } catch (err) {
    parentPort?.postMessage({
      ok: false,
      name: (err as Error).name,
      code: (err as { code?: string }).code,
      message: (err as Error).message,
    });
  }
});
