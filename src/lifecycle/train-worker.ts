/** Worker-thread entry of `simulate({ trainIn })`: trains one recipe on one slice per message. */
import { parentPort } from 'node:worker_threads';
import { makeDetector } from '../lab/recipes.js';

export interface TrainJob {
  readonly id: number;
  readonly recipe: string;
  readonly seed: number;
  readonly t: Float64Array;
  readonly v: Float64Array;
}

export type TrainReply =
  | { readonly id: number; readonly ok: true; readonly json: unknown; readonly ms: number }
  | { readonly id: number; readonly ok: false; readonly code: string; readonly message: string };

parentPort?.on('message', (job: TrainJob) => {
  try {
    const det = makeDetector(job.recipe, { seed: job.seed });
    const t0 = performance.now();
    det.train({ t: job.t, v: job.v });
    const ms = performance.now() - t0;
    parentPort?.postMessage({ id: job.id, ok: true, json: det.toJSON(), ms } satisfies TrainReply);
  } catch (err) {
    const e = err as Error & { code?: unknown };
    parentPort?.postMessage({
      id: job.id,
      ok: false,
      code: typeof e.code === 'string' ? e.code : 'error',
      message: `${e.name}: ${e.message}`,
    } satisfies TrainReply);
  }
});
