/**
 * One model of a fixed retraining schedule (see `simulate({ trainIn })`): build the recipe, train it on
 * `t/v[0, split)` and, like the live deployment, score `t/v[split, end)` with a fresh stream of that
 * model. Run on a worker thread (train-worker.ts) or, while there are jobs left, on the calling thread.
 */
import { streamOnce } from '../detectors/stream-once.js';
import { makeDetector } from '../lab/recipes.js';

export interface TrainJob {
  readonly id: number;
  readonly recipe: string;
  readonly seed: number;
  /** Training slice followed by the period this model is live for. */
  readonly t: Float64Array;
  readonly v: Float64Array;
  /** Index of the first point the model scores (the training slice is [0, split)). */
  readonly split: number;
  /** Also send the trained model as JSON (for tracking). */
  readonly wantJson: boolean;
}

export type TrainReply =
  | {
      readonly id: number;
      readonly ok: true;
      /** Training time in ms. */
      readonly ms: number;
      /** Scores of [split, end), as `stream().push` gave them. */
      readonly scores: Float64Array;
      /** 1 where the stream raised an alarm. */
      readonly alarms: Uint8Array;
      readonly type: string;
      readonly config: unknown;
      readonly json?: unknown;
    }
  | { readonly id: number; readonly ok: false; readonly code: string; readonly message: string };

/** Runs one job; a failure becomes an `ok: false` reply with the error's code. */
export function runTrainJob(job: TrainJob): TrainReply {
  try {
    const det = makeDetector(job.recipe, { seed: job.seed });
    const t0 = performance.now();
    det.train({ t: job.t.subarray(0, job.split), v: job.v.subarray(0, job.split) });
    const ms = performance.now() - t0;
    const m = job.t.length - job.split;
    const scores = new Float64Array(m);
    const alarms = new Uint8Array(m);
    // the trained model's file before the stream takes the detector's state (this job's own: `streamOnce`)
    const json = job.wantJson ? det.toJSON() : undefined;
    const st = streamOnce(det);
    for (let i = 0; i < m; i++) {
      const r = st.push(job.t[job.split + i], job.v[job.split + i]);
      scores[i] = r.score;
      if (r.alarm) alarms[i] = 1;
    }
    return {
      id: job.id,
      ok: true,
      ms,
      scores,
      alarms,
      type: det.type,
      config: det.config,
      ...(json !== undefined ? { json } : {}),
    };
  } catch (err) {
    const e = err as Error & { code?: unknown };
    return {
      id: job.id,
      ok: false,
      code: typeof e.code === 'string' ? e.code : 'error',
      message: `${e.name}: ${e.message}`,
    };
  }
}
