/**
 * Points and requests the in-process service tests share: a series of minute points (`pts`, the k-th
 * series' values from `value`), a POST of a batch through Fastify's inject, and the scores of an answer.
 */
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
