/**
 * Points and requests the in-process service tests share: a series of minute points (`pts`, the k-th
 * series' values from `value`), a POST of a batch through Fastify's inject, and the scores of an answer.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelJson } from '../../src/detectors/index.js';
import { RandomCutForest } from '../../src/index.js';
import type { Service } from '../../src/serve/index.js';

export const STEP = 60_000;
export const T0 = Date.parse('2024-03-01T00:00:00Z');
export const value = (i: number, k: number) => 5 + Math.sin(i / 7 + k) + (i % 97 === 50 ? 6 : 0);

/** Points `from`..`to` (exclusive) of series k, one a minute from T0, as [t, v]. */
export const pts = (k: number, from: number, to: number): [number, number][] =>
  Array.from({ length: to - from }, (_, j) => [T0 + (from + j) * STEP, value(from + j, k)]);

/** `POST /v1/series/:id/points` of a batch; the status and the JSON answer. */
export async function post(svc: Service, id: string, points: [number, number][]) {
  const res = await svc.app.inject({
    method: 'POST',
    url: `/v1/series/${id}/points`,
    payload: { points: points.map(([t, v]) => ({ t, v })) },
  });
  return { status: res.statusCode, body: res.json() };
}

/** The scores of a batch's answer (none for a refused one). */
export const scoresOf = (r: { body: { results?: { score: number }[] } }) =>
  (r.body.results ?? []).map((x) => x.score);

/**
 * A small Random Cut Forest with online updates (so each series' stream holds a forest of its own),
 * trained on series 0's 200 minutes before T0, written to `dir`/model.json: its file and its JSON.
 */
export function writeOnlineForest(dir: string): { file: string; model: ModelJson } {
  const n = 200;
  const rcf = new RandomCutForest({ nEstimators: 3, maxNSamples: 32, onlineUpdates: true });
  rcf.train({
    t: Float64Array.from({ length: n }, (_, i) => T0 - (n - i) * STEP),
    v: Float64Array.from({ length: n }, (_, i) => value(i, 0)),
  });
  const model = rcf.toJSON();
  const file = join(dir, 'model.json');
  writeFileSync(file, JSON.stringify(model));
  return { file, model };
}
