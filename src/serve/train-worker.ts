/** Worker thread of the service: trains one detector recipe on the posted series, returns its model JSON. */
import { parentPort } from 'node:worker_threads';
import { ConfigError } from '../errors.js';
import { DETECTOR_RECIPES, isRecipe } from '../lab/recipes.js';

interface Job {
  detector: string;
  seed: number;
  t: Float64Array;
  v: Float64Array;
}

parentPort?.on('message', (job: Job) => {
  try {
    // own keys only (`toString` is no recipe); the same error and message as tsad train's
    if (!isRecipe(job.detector)) {
      throw new ConfigError(
        'unknown_detector',
        `unknown detector "${job.detector}"; choose from ${Object.keys(DETECTOR_RECIPES).join(', ')}`,
      );
    }
    const det = DETECTOR_RECIPES[job.detector]({ seed: job.seed });
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
