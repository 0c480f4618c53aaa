/** The scoring service in-process (Fastify inject): validation, scores, LRU + checkpoints, reload, metrics, training. */
import fs, {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { JsonValue } from '../../src/detectors/index.js';
import { loadModel, openTracker, RandomCutForest, type Tracker, ZmsDetector } from '../../src/index.js';
import { clearForestPool, setForestPoolMaxBytes } from '../../src/internal.js';
import {
  type CheckpointStore,
  createService,
  DirectoryCheckpointStore,
  type SeriesCheckpoint,
  type Service,
  type TrainInWorkerOptions,
  trainInWorker,
} from '../../src/serve/index.js';
import { gate } from '../helpers/gate.js';
import { post, pts, STEP, scoresOf, T0, value } from '../helpers/serve.js';

let dir: string;
let tracker: Tracker;

/**
 * Trains `det` (a ZMS detector by default) on the `n` minutes of series 0 before T0, shifted by `shift`,
 * logs it in a run and registers it as the next version of `name`, which it returns.
 */
async function trainAndRegister(
  name: string,
  shift: number,
  det: ZmsDetector | RandomCutForest = new ZmsDetector({}),
  n = 500,
): Promise<number> {
  det.train({
    t: Float64Array.from({ length: n }, (_, i) => T0 - (n - i) * STEP),
    v: Float64Array.from({ length: n }, (_, i) => value(i, 0) + shift),
  });
  const runId = await tracker.run({ experiment: 'serve-test' }, async (run) => {
    await run.logModel(det);
    return run.id;
  });
  return (await tracker.registerModel(name, runId)).version;
}

/** Scores of the registered model's own stream (what an uninterrupted series must get). */
async function direct(ref: string, points: [number, number][]): Promise<number[]> {
  const det = loadModel((await tracker.loadModelJson(ref)) as Parameters<typeof loadModel>[0]);
  const s = det.stream();
  return points.map(([t, v]) => s.push(t, v).score);
}

/** The checkpoint state tsad writes for a series that has taken no point yet. */
async function freshState(ref: string): Promise<JsonValue> {
  const stream = loadModel((await tracker.loadModelJson(ref)) as Parameters<typeof loadModel>[0]).stream();
  const own = stream as { toJSON?: () => JsonValue };
  return typeof own.toJSON === 'function'
    ? { kind: 'stream', state: own.toJSON() }
    : { kind: 'replay', t: [], v: [] };
}

/** The checkpoint of series `id` on `models:/temp/1` that has taken one point, at T0, in a fresh stream's state. */
async function onePointCheckpoint(id: string): Promise<SeriesCheckpoint> {
  return {
    format: 'tsad-serve-checkpoint',
    version: 1,
    id,
    model: 'models:/temp/1',
    points: 1,
    lastT: T0,
    alarms: [],
    state: await freshState('models:/temp/1'),
  };
}

/** A checkpoint store that passes every call to `inner`, except the ones given in `over`. */
function wrapStore(inner: CheckpointStore, over: Partial<CheckpointStore>): CheckpointStore {
  return {
    load: (id) => inner.load(id),
    save: (cp) => inner.save(cp),
    delete: (id) => inner.delete(id),
    list: () => inner.list(),
    ...over,
  };
}

/** The service on the `temp` champion with its checkpoints in the folder `cps`. */
function dirService(cps: string): Promise<Service> {
  return createService({
    model: 'models:/temp@champion',
    tracker,
    checkpoints: new DirectoryCheckpointStore(cps),
    defaultMetrics: false,
  });
}

/** The service on the `temp` champion holding one live series, checkpointing only on eviction and close. */
function oneSeriesService(checkpoints: CheckpointStore): Promise<Service> {
  return createService({
    model: 'models:/temp@champion',
    tracker,
    checkpoints,
    maxSeries: 1,
    checkpointEvery: 1_000_000,
    defaultMetrics: false,
  });
}

/** Series `id` given `points` and checkpointed into `store` by a service that is then closed. */
async function checkpointed(store: CheckpointStore, id: string, points: [number, number][]): Promise<void> {
  const svc = await oneSeriesService(store);
  try {
    expect((await post(svc, id, points)).status).toBe(200);
  } finally {
    await svc.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-serve-'));
  tracker = openTracker(`file:${join(dir, 'store')}`);
  await trainAndRegister('temp', 0);
  await tracker.setAlias('temp', 'champion', 1);
  await trainAndRegister('other', 1);
  await tracker.setAlias('other', 'champion', 1);
});

afterAll(async () => {
  await tracker.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('tsad serve (in-process)', () => {
  it('scores single points and batches like the model stream, refuses bad input without touching state', async () => {
    const svc = await createService({ model: 'models:/temp@champion', tracker, defaultMetrics: false });
    try {
      const first = await svc.app.inject({
        method: 'POST',
        url: '/v1/series/a/points',
        payload: { t: T0, v: value(0, 0) },
      });
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({ id: 'a', model: 'models:/temp/1', t: T0 });
      const batch = await post(svc, 'a', pts(0, 1, 120));
      expect(batch.status).toBe(200);
      const want = await direct('models:/temp/1', pts(0, 0, 120));
      expect([first.json().score, ...batch.body.results.map((r: { score: number }) => r.score)]).toEqual(
        want,
      );

      // out of order (second point of the batch goes back in time): 409, nothing pushed
      const bad = await post(svc, 'a', [pts(0, 120, 121)[0], pts(0, 10, 11)[0]]);
      expect(bad.status).toBe(409);
      expect(bad.body.error).toBe('out_of_order');
      const invalid = await svc.app.inject({
        method: 'POST',
        url: '/v1/series/a/points',
        payload: { t: T0, v: 'x' },
      });
      expect(invalid.statusCode).toBe(400);
      expect(invalid.json().error).toBe('invalid_request');
      const nan = await svc.app.inject({
        method: 'POST',
        url: '/v1/series/a/points',
        payload: '{"t":1,"v":NaN}',
        headers: { 'content-type': 'application/json' },
      });
      expect(nan.statusCode).toBe(400);
      // 1.8e308 is beyond the largest double: JSON reads it as Infinity, refused with a message that says so
      const huge = await svc.app.inject({
        method: 'POST',
        url: '/v1/series/a/points',
        payload: '{"t":1,"v":-1.8e308}',
        headers: { 'content-type': 'application/json' },
      });
      expect(huge.statusCode).toBe(400);
      expect(huge.json().message).toMatch(
        /at v: -Infinity: the number is beyond the largest double \(±1\.7976931348623157e308; JSON such as 1\.8e308 reads as Infinity\); send a finite number$/,
      );
      const state = (await svc.app.inject({ method: 'GET', url: '/v1/series/a' })).json();
      expect(state).toMatchObject({ id: 'a', points: 120, lastT: T0 + 119 * STEP });
      expect(Array.isArray(state.alarms)).toBe(true);
      const next = await post(svc, 'a', pts(0, 120, 130));
      expect(next.body.results.map((r: { score: number }) => r.score)).toEqual(
        (await direct('models:/temp/1', pts(0, 0, 130))).slice(120),
      );

      expect((await svc.app.inject({ method: 'GET', url: '/v1/series/nope' })).json().error).toBe(
        'series_not_found',
      );
      expect((await svc.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      expect((await svc.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      const m = (await svc.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(m).toMatch(/^tsad_points_scored_total 130$/m);
      expect(m).toMatch(/^tsad_live_series 1$/m);
      expect(m).toMatch(
        /tsad_request_duration_seconds_count\{route="\/v1\/series\/:id\/points",status="409"\} 1/,
      );
    } finally {
      await svc.close();
    }
  });

  it('a ZMS model: the largest finite doubles score finitely and alarm, like -7.37', async () => {
    const svc = await createService({ model: 'models:/temp@champion', tracker, defaultMetrics: false });
    try {
      for (const [id, x] of [
        ['small-neg', '-7.37'],
        ['huge-pos', '1.7976931348623157e308'],
        ['huge-neg', '-1.7976931348623157e308'],
      ]) {
        const r = await svc.app.inject({
          method: 'POST',
          url: `/v1/series/${id}/points`,
          payload: `{"t":${T0 + 500 * STEP},"v":${x}}`,
          headers: { 'content-type': 'application/json' },
        });
        expect(r.statusCode, r.body).toBe(200);
        expect(Number.isFinite(r.json().score)).toBe(true);
        expect(r.json().alarm).toBe(true);
      }
    } finally {
      await svc.close();
    }
  });

  it('reads point times as the series layer does: ISO 8601 (UTC without a zone) or epoch ms a Date can hold; anything else is 400 bad_time and leaves the series as it was', async () => {
    const svc = await dirService(mkdtempSync(join(dir, 'cp-time-')));
    const tz = process.env.TZ;
    try {
      process.env.TZ = 'America/New_York'; // the server's own zone must not move a time without one
      const first = await svc.app.inject({
        method: 'POST',
        url: '/v1/series/tm/points',
        payload: { t: '2024-03-01 00:05', v: value(5, 0) },
      });
      expect(first.statusCode).toBe(200);
      expect(first.json().t).toBe(Date.parse('2024-03-01T00:05:00Z'));
      const refusedTimes = [
        1e20, // beyond any Date: taking it would leave every later point of the series "out of order"
        -1e20,
        '2024-02-30T00:00:00Z', // no Feb 30 (Date.parse rolls it into March)
        '1', // Date.parse reads it as 2001-01-01
        'May 1 2024', // not ISO 8601
        '2024-03-01T10:00:00Z junk',
      ];
      for (const t of refusedTimes) {
        const res = await svc.app.inject({
          method: 'POST',
          url: '/v1/series/tm/points',
          payload: {
            points: [
              { t: T0 + 10 * STEP, v: 1 },
              { t, v: 1 },
            ],
          },
        });
        expect(res.statusCode, String(t)).toBe(400);
        expect(res.json().error, String(t)).toBe('bad_time');
        expect(res.json().message, String(t)).toMatch(/point 1/);
      }
      const huge = await svc.app.inject({
        method: 'POST',
        url: '/v1/series/tm/points',
        payload: { t: 1.7e18, v: 1 },
      });
      expect(huge.json().message).toMatch(/outside the range a Date can hold.*microseconds or nanoseconds/);
      const state = (await svc.app.inject({ method: 'GET', url: '/v1/series/tm' })).json();
      expect(state).toMatchObject({ points: 1, lastT: Date.parse('2024-03-01T00:05:00Z') });
      const next = await svc.app.inject({
        method: 'POST',
        url: '/v1/series/tm/points',
        payload: { t: '2024-03-01T00:06:00+00:00', v: value(6, 0) },
      });
      expect(next.statusCode).toBe(200);
    } finally {
      process.env.TZ = tz;
      if (tz === undefined) delete process.env.TZ;
      await svc.close();
    }
  });

  it('a point the model refuses mid-batch: the points before it are kept and answered, the series stays consistent', async () => {
    // a Random Cut Forest refuses a coordinate beyond ±1e299 (value_too_large) after accepting the
    // points before it; ZMS scores such a point, so this model is a forest
    const n = 300;
    const rcf = new RandomCutForest({ nEstimators: 5, maxNSamples: 64 });
    const ref = `models:/rcf/${await trainAndRegister('rcf', 0, rcf, n)}`;
    const svc = await createService({ model: ref, tracker, defaultMetrics: false });
    try {
      const good = pts(0, 0, 4);
      const refused = await post(svc, 'r', [good[0], good[1], [good[2][0], 1e300], good[3]]);
      expect(refused.status).toBe(422);
      expect(refused.body.error).toBe('point_refused');
      expect(refused.body.message).toMatch(
        /point 2 .*DetectorError \[value_too_large\].*resend from point 2/,
      );
      const want = await direct(ref, good);
      expect(refused.body.results.map((r: { score: number }) => r.score)).toEqual(want.slice(0, 2));
      const state = (await svc.app.inject({ method: 'GET', url: '/v1/series/r' })).json();
      expect(state).toMatchObject({ points: 2, lastT: good[1][0] });
      // resending from the refused point continues exactly like an uninterrupted stream
      const rest = await post(svc, 'r', good.slice(2));
      expect(rest.status).toBe(200);
      expect(rest.body.results.map((r: { score: number }) => r.score)).toEqual(want.slice(2));
      // a fresh series' first point at or before the model's last training point: 409, with a hint
      // when the number reads as epoch seconds
      const early = await post(svc, 'e', [[T0 - n * STEP, 1]]);
      expect(early.status).toBe(409);
      expect(early.body.error).toBe('out_of_order');
      expect(early.body.message).toMatch(/not after the model's last point.*nothing was pushed/);
      const seconds = await svc.app.inject({
        method: 'POST',
        url: '/v1/series/e/points',
        payload: { t: T0 / 1000, v: 1 },
      });
      expect(seconds.statusCode).toBe(409);
      expect(seconds.json().message).toMatch(/multiply epoch seconds by 1000/);
      const garbage = await svc.app.inject({
        method: 'POST',
        url: '/v1/series/g/points',
        payload: { t: 'yesterday', v: 1 },
      });
      expect(garbage.json().error).toBe('bad_time');
      // refused first requests leave no empty series behind
      for (const id of ['e', 'g'])
        expect((await svc.app.inject({ method: 'GET', url: `/v1/series/${id}` })).statusCode).toBe(404);
      expect(svc.liveCount()).toBe(1);
      expect((await post(svc, 'e', good.slice(0, 1))).status).toBe(200);
    } finally {
      await svc.close();
    }
  });

  it('answers every malformed request with a typed code and a message that names the field', async () => {
    const svc = await createService({ model: 'models:/temp@champion', tracker, defaultMetrics: false });
    try {
      const send = async (payload: string, type = 'application/json') => {
        const res = await svc.app.inject({
          method: 'POST',
          url: '/v1/series/m/points',
          payload,
          headers: { 'content-type': type },
        });
        return { status: res.statusCode, body: res.json() as { error: string; message: string } };
      };
      const missing = await send(`{"t":${T0}}`);
      expect(missing).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
      expect(missing.body.message).toMatch(/ at v: .*expected number/);
      const text = await send(`{"t":${T0},"v":"NaN"}`);
      expect(text.body.message).toMatch(/ at v: .*expected number, received string/);
      const inBatch = await send(`{"points":[{"t":${T0},"v":1},{"t":${T0 + STEP}}]}`);
      expect(inBatch).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
      expect(inBatch.body.message).toMatch(/ at points\.1\.v: /);
      const notJson = await send('not json');
      expect(notJson).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
      expect(notJson.body.message).toMatch(/not valid JSON/);
      const empty = await send('');
      expect(empty).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
      const plain = await send(`{"t":${T0},"v":1}`, 'text/plain');
      expect(plain).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
      // JSON sent as text/plain (curl -d without -H, fetch with a string body) is told the header to send
      expect(plain.body.message).toMatch(/sent as text\/plain.*content-type: application\/json/);
      const huge = await send(`{"points":[${' '.repeat(17 * 1024 * 1024)}]}`);
      expect(huge).toMatchObject({ status: 413, body: { error: 'batch_too_large' } });
      expect(huge.body.message).toMatch(/at most 10000 points per request/);
      expect((await svc.app.inject({ method: 'GET', url: '/v1/series/m' })).statusCode).toBe(404);
      // series ids up to the documented 256 characters are served; longer ones get the typed 400
      const at = (id: string) =>
        svc.app.inject({ method: 'POST', url: `/v1/series/${id}/points`, payload: { t: T0, v: 1 } });
      expect((await at('x'.repeat(256))).statusCode).toBe(200);
      const long = await at('x'.repeat(300));
      expect(long.statusCode).toBe(400);
      expect(long.json()).toMatchObject({ error: 'invalid_request' });
      expect(long.json().message).toMatch(/series id at id: .*256/);
      // beyond the router's 1024 characters too: the typed answer, not Fastify's (which echoed the path)
      const longer = await at('x'.repeat(5000));
      expect(longer.statusCode).toBe(414);
      expect(longer.json()).toEqual({
        error: 'invalid_request',
        message: expect.stringMatching(/over 1024 characters.*at most 256/),
      });
      expect(longer.body.length).toBeLessThan(400);
      // a malformed percent-encoding in the path: the router's other refusal, typed the same way
      const badUrl = await svc.app.inject({
        method: 'POST',
        url: '/v1/series/%E0%A4%A/points',
        payload: { t: T0, v: 1 },
      });
      expect(badUrl.statusCode).toBe(400);
      expect(badUrl.json()).toEqual({
        error: 'invalid_request',
        message: expect.stringMatching(/percent-encoding.*encodeURIComponent/),
      });
      // a route that does not exist (a typo, a method the route does not take): the typed 404 that
      // lists the routes, not Fastify's {message, error: "Not Found", statusCode}
      for (const [method, url] of [
        ['POST', '/v1/series/m/point'],
        ['PUT', '/v1/series/m'], // DELETE is a route since fix40
        ['GET', '/v1/series/m/points'],
      ] as const) {
        const res = await svc.app.inject({
          method,
          url,
          payload: method === 'POST' ? { t: T0, v: 1 } : undefined,
        });
        expect(res.statusCode).toBe(404);
        expect(res.json()).toEqual({
          error: 'route_not_found',
          message: expect.stringContaining(
            `no route ${method} ${url}; the routes are POST /v1/series/:id/points,`,
          ),
        });
      }
    } finally {
      await svc.close();
    }
  });

  it('a corrupt checkpoint file: a typed 500 naming the file, the file kept; deleting it restarts the series', async () => {
    const cps = join(dir, 'cp-corrupt');
    mkdirSync(cps, { recursive: true });
    writeFileSync(join(cps, 'bad.json'), '{"format":"tsad-serve-checkpoint","id":"ba');
    const svc = await dirService(cps);
    try {
      const r = await post(svc, 'bad', pts(0, 0, 3));
      expect(r.status).toBe(500);
      expect(r.body.error).toBe('checkpoint_unreadable');
      expect(r.body.message).toMatch(/bad\.json .*not valid JSON.*delete it to restart the series/);
      expect(readFileSync(join(cps, 'bad.json'), 'utf8')).toBe('{"format":"tsad-serve-checkpoint","id":"ba');
      rmSync(join(cps, 'bad.json'));
      expect((await post(svc, 'bad', pts(0, 0, 3))).status).toBe(200);
    } finally {
      await svc.close();
    }
  });

  it('a checkpoint holding a point time a Date cannot hold (an earlier tsad took 1e20): a typed 500 naming the series and the file; moving the file out restarts that series alone', async () => {
    // before bad_time (a stream now refuses such a time) a series could take t = 1e20 and checkpoint
    // it; since the state bounds such a checkpoint no longer restores. The user saw 422 bad_field
    // 'state.lastT …: train the model again' (or, for a replayed one, 422 bad_time as if the point
    // just sent were bad), naming neither the series nor the file, on every request of that series
    const cps = join(dir, 'cp-far-time');
    mkdirSync(cps, { recursive: true });
    const healthy = await dirService(cps);
    expect((await post(healthy, 'ok', pts(0, 0, 30))).status).toBe(200);
    await healthy.close();
    const stream = loadModel(
      (await tracker.loadModelJson('models:/temp/1')) as Parameters<typeof loadModel>[0],
    ).stream();
    for (const [t, v] of pts(1, 0, 10)) stream.push(t, v);
    const state = JSON.parse(JSON.stringify((stream as unknown as { toJSON(): JsonValue }).toJSON()));
    state.state.lastT = 1e20;
    const cp = (id: string, saved: JsonValue) => ({
      format: 'tsad-serve-checkpoint',
      version: 1,
      id,
      model: 'models:/temp/1',
      points: 11,
      lastT: 1e20,
      alarms: [{ t: 1e20, score: 9 }],
      state: saved,
    });
    const far = {
      own: cp('far', { kind: 'stream', state }),
      replay: cp('far-replay', {
        kind: 'replay',
        t: [...pts(1, 0, 10).map(([t]) => t), 1e20],
        v: [...pts(1, 0, 10).map(([, v]) => v), 1],
      }),
    };
    writeFileSync(join(cps, 'far.json'), JSON.stringify(far.own));
    // the time in the stream's own state only (the model refuses to restore it)
    const inner = { ...cp('far-state', { kind: 'stream', state }), lastT: pts(1, 9, 10)[0][0] };
    writeFileSync(join(cps, 'far-state.json'), JSON.stringify(inner));
    writeFileSync(join(cps, 'far-replay.json'), JSON.stringify(far.replay));
    const svc = await dirService(cps);
    try {
      for (const id of ['far', 'far-replay', 'far-state']) {
        for (const r of [
          await post(svc, id, pts(1, 10, 12)),
          await svc.app
            .inject({ method: 'GET', url: `/v1/series/${id}` })
            .then((x) => ({ status: x.statusCode, body: x.json() })),
        ]) {
          expect([id, r.status, r.body.error]).toEqual([id, 500, 'checkpoint_unreadable']);
          expect(r.body.message).toContain(`series "${id}"`);
          expect(r.body.message).toContain(join(cps, `${id}.json`));
          expect(r.body.message).toMatch(/outside the range a Date can hold/);
          expect(r.body.message).toMatch(
            /to restart the series from its model, move it out of the checkpoint folder /,
          );
          expect(r.body.message).not.toMatch(/train the model again/);
        }
      }
      // the other series keeps its state, in the same service
      const ok = await post(svc, 'ok', pts(0, 30, 40));
      expect(ok.status).toBe(200);
      expect(scoresOf(ok)).toEqual((await direct('models:/temp/1', pts(0, 0, 40))).slice(30));
      // the way out: move the file aside (kept, with its alarms); the series restarts from its model
      mkdirSync(join(dir, 'cp-far-time-kept'), { recursive: true });
      for (const id of ['far', 'far-replay', 'far-state']) {
        fs.renameSync(join(cps, `${id}.json`), join(dir, 'cp-far-time-kept', `${id}.json`));
        const r = await post(svc, id, pts(1, 0, 20));
        expect([id, r.status]).toEqual([id, 200]);
        expect(scoresOf(r)).toEqual(await direct('models:/temp/1', pts(1, 0, 20)));
      }
    } finally {
      await svc.close();
    }
  });

  it('evicts the least recently used series to checkpoints and resumes them with the same scores', async () => {
    const cps = join(dir, 'cp-lru');
    const svc = await createService({
      model: 'models:/temp@champion',
      tracker,
      checkpoints: new DirectoryCheckpointStore(cps),
      maxSeries: 2,
      checkpointEvery: 1_000_000,
      defaultMetrics: false,
    });
    const got: Record<string, number[]> = { s0: [], s1: [], s2: [] };
    for (const [from, to] of [
      [0, 40],
      [40, 90],
      [90, 140],
    ]) {
      for (let k = 0; k < 3; k++) {
        const r = await post(svc, `s${k}`, pts(k, from, to));
        expect(r.status).toBe(200);
        got[`s${k}`].push(...scoresOf(r));
      }
      expect(svc.liveCount()).toBe(2);
    }
    for (let k = 0; k < 3; k++) expect(got[`s${k}`]).toEqual(await direct('models:/temp/1', pts(k, 0, 140)));
    expect((await svc.app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(
      /^tsad_evictions_total 7$/m,
    );

    // graceful close checkpoints every live series; a new service resumes all three
    await svc.close();
    expect(readdirSync(cps).sort()).toEqual(['s0.json', 's1.json', 's2.json']);
    const again = await dirService(cps);
    try {
      for (let k = 0; k < 3; k++) {
        const r = await post(again, `s${k}`, pts(k, 140, 160));
        expect(scoresOf(r)).toEqual((await direct('models:/temp/1', pts(k, 0, 160))).slice(140));
      }
    } finally {
      await again.close();
    }
  });

  it('an eviction whose checkpoint write fails keeps the series in memory: its next points score as if never evicted', async () => {
    const cps = join(dir, 'cp-failing');
    const inner = new DirectoryCheckpointStore(cps);
    let failing = true;
    const svc = await oneSeriesService(
      wrapStore(inner, {
        save: async (cp) => {
          if (failing) throw new Error('ENOSPC: no space left on device');
          await inner.save(cp);
        },
      }),
    );
    try {
      const got: number[] = [];
      for (const [from, to] of [
        [0, 40],
        [40, 90],
        [90, 140],
      ]) {
        const r = await post(svc, 'keep', pts(0, from, to));
        expect(r.status).toBe(200);
        got.push(...scoresOf(r));
        expect((await post(svc, `other${from}`, pts(1, 0, 5))).status).toBe(200); // evicts 'keep': the write fails
        await new Promise((res) => setTimeout(res, 20));
      }
      expect(got).toEqual(await direct('models:/temp/1', pts(0, 0, 140)));
      failing = false;
      await svc.close(); // now every series kept in memory is written
      expect(readdirSync(cps).sort()).toContain('keep.json');
      expect((await inner.load('keep'))?.points).toBe(140);
    } finally {
      await svc.close();
    }
  });

  it('a series evicted before its first point is scored: its checkpoint (and one an older tsad wrote, lastT null) reloads', async () => {
    // two first requests whose checkpoint loads resolve together: the second one's series evicts the
    // first (maxSeries 1) before the first request has pushed anything; that request is then refused
    const cps = join(dir, 'cp-empty');
    const inner = new DirectoryCheckpointStore(cps);
    let waiting = 0;
    const both = gate();
    const svc = await oneSeriesService(
      wrapStore(inner, {
        load: async (id) => {
          const cp = await inner.load(id);
          if (++waiting === 2) both.open();
          await both.wait;
          return cp;
        },
      }),
    );
    const early = svc.app.inject({
      method: 'POST',
      url: '/v1/series/never/points',
      payload: { t: T0 - 10_000 * STEP, v: 1 }, // before the model's last training point: refused
    });
    const other = post(svc, 'scored', pts(0, 0, 5));
    expect((await early).statusCode).toBe(409);
    expect((await other).status).toBe(200);
    await svc.close(); // a restart: every file tsad wrote must load again
    expect(readdirSync(cps)).toEqual(['scored.json']); // a series without points is not written
    // a checkpoint written by tsad before this fix for a series with no point (lastT was -Infinity, null in JSON)
    writeFileSync(
      join(cps, 'legacy.json'),
      JSON.stringify({
        format: 'tsad-serve-checkpoint',
        version: 1,
        id: 'legacy',
        model: 'models:/temp/1',
        points: 0,
        lastT: null,
        alarms: [],
        state: await freshState('models:/temp/1'),
      }),
    );
    const again = await dirService(cps);
    try {
      for (const id of ['never', 'legacy']) {
        const r = await post(again, id, pts(3, 0, 20));
        expect([id, r.status]).toEqual([id, 200]);
        expect(scoresOf(r)).toEqual(await direct('models:/temp/1', pts(3, 0, 20)));
      }
    } finally {
      await again.close();
    }
  });

  it('a checkpoint write survives a crash: the file is fsynced, renamed, then its folder fsynced', async () => {
    // a power loss after a rename the folder was not fsynced for can undo the rename; what the disk
    // saw is not observable from a test, so the test records the file-system calls in their order
    const cps = join(dir, 'cp-durable');
    const calls: string[] = [];
    const realOpen = fs.promises.open;
    const realRename = fs.promises.rename;
    const openSpy = vi.spyOn(fs.promises, 'open').mockImplementation(async (...args) => {
      const fh = await realOpen(...args);
      const path = String(args[0]);
      const sync = fh.sync.bind(fh);
      fh.sync = async () => {
        calls.push(`sync ${path === cps ? 'folder' : 'file'}`);
        return sync();
      };
      return fh;
    });
    const renameSpy = vi.spyOn(fs.promises, 'rename').mockImplementation(async (from, to) => {
      calls.push(`rename to ${String(to).slice(cps.length + 1)}`);
      return realRename(from, to);
    });
    syncBuiltinESMExports(); // named imports of node:fs/promises see the spies too
    try {
      await new DirectoryCheckpointStore(cps).save(await onePointCheckpoint('d'));
    } finally {
      openSpy.mockRestore();
      renameSpy.mockRestore();
      syncBuiltinESMExports();
    }
    expect(calls).toEqual(['sync file', 'rename to d.json', 'sync folder']);
    expect((await new DirectoryCheckpointStore(cps).load('d'))?.points).toBe(1);
  });

  it('a checkpoint file gets the mode the umask allows, as any file the user creates (0o666 less the umask)', async () => {
    // a checkpoint holds the user's model state: who may read it is the umask's to say, as for a file
    // the service's user writes with any tool. Under umask 002 (a shared group) it is 0o664; a fixed
    // 0o644 would drop the group's write, and under umask 077 it is 0o600
    const cps = join(dir, 'cp-mode');
    const old = process.umask();
    try {
      for (const umask of [0o002, 0o077]) {
        process.umask(umask);
        const id = `m${umask.toString(8)}`;
        await new DirectoryCheckpointStore(cps).save(await onePointCheckpoint(id));
        expect(fs.statSync(join(cps, `${id}.json`)).mode & 0o777).toBe(0o666 & ~umask);
      }
    } finally {
      process.umask(old);
    }
  });

  it('a checkpoint file of another format or a newer version is refused (typed 500), not silently replaced', async () => {
    const cps = join(dir, 'cp-foreign');
    mkdirSync(cps, { recursive: true });
    const newer = {
      format: 'tsad-serve-checkpoint',
      version: 2,
      id: 'newer',
      model: 'x',
      points: 5,
      lastT: 0,
      alarms: [],
      state: {},
    };
    writeFileSync(join(cps, 'newer.json'), JSON.stringify(newer));
    writeFileSync(join(cps, 'foreign.json'), '{"hello":"world"}');
    writeFileSync(join(cps, 'partial.json'), '{"format":"tsad-serve-checkpoint","version":1,"id":"partial"}');
    writeFileSync(join(cps, 'zero.json'), JSON.stringify({ ...newer, id: 'zero', version: 0 }));
    const svc = await dirService(cps);
    try {
      const messages: Record<string, string> = {};
      for (const id of ['newer', 'foreign', 'partial', 'zero']) {
        const r = await post(svc, id, pts(0, 0, 3));
        expect([id, r.status, r.body.error]).toEqual([id, 500, 'checkpoint_unreadable']);
        expect(r.body.message).toContain(`${id}.json`);
        messages[id] = r.body.message;
      }
      // which version this tsad reads, and what to do: a later tsad's file needs an upgrade; a version
      // no tsad writes (usab28: 0) does not, and is never told to upgrade
      expect(messages.newer).toMatch(
        /has version 2, newer than this tsad reads \(version 1\): .*upgrade tsad/,
      );
      expect(messages.zero).toMatch(/has version 0, which no tsad writes \(this tsad reads version 1\)/);
      expect(messages.zero).not.toMatch(/upgrade/);
      await svc.close();
      expect(JSON.parse(readFileSync(join(cps, 'newer.json'), 'utf8'))).toEqual(newer); // kept as it was
      expect(readFileSync(join(cps, 'foreign.json'), 'utf8')).toBe('{"hello":"world"}');
    } finally {
      await svc.close();
    }
  });

  it('reloads when an alias moves: series of that model restart on the new version, the others keep their state', async () => {
    const svc = await createService({
      model: 'models:/temp@champion',
      groups: [{ prefix: 'o-', ref: 'models:/other@champion' }],
      tracker,
      checkpoints: new DirectoryCheckpointStore(join(dir, 'cp-reload')),
      defaultMetrics: false,
    });
    try {
      await post(svc, 't-1', pts(1, 0, 60));
      await post(svc, 'o-1', pts(2, 0, 60));
      expect(await svc.reload()).toEqual([]); // nothing moved
      const v2 = await trainAndRegister('temp', 0.5);
      await tracker.setAlias('temp', 'champion', v2);
      expect(await svc.reload()).toEqual(['models:/temp@champion']);
      const t1 = await post(svc, 't-1', pts(1, 60, 80));
      expect(t1.body.model).toBe(`models:/temp/${v2}`);
      expect(scoresOf(t1)).toEqual(await direct(`models:/temp/${v2}`, pts(1, 60, 80)));
      const o1 = await post(svc, 'o-1', pts(2, 60, 80));
      expect(o1.body.model).toBe('models:/other/1');
      expect(scoresOf(o1)).toEqual((await direct('models:/other/1', pts(2, 0, 80))).slice(60));
      expect((await svc.app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(
        /^tsad_model_reloads_total 3$/m,
      );
      await tracker.setAlias('temp', 'champion', 1);
    } finally {
      await svc.close();
    }
  });

  it('a reload whose registry cannot be reached says so (503, check the tracking server), not to point the alias elsewhere (fix30)', async () => {
    // the service's tracker is the real file store at start, then a real MLflow client whose server is
    // gone (a port nothing listens on, no retry): what a tracking server that went down looks like
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    const port = (gone.address() as AddressInfo).port;
    await new Promise((r) => gone.close(r));
    const saved = process.env.TSAD_MLFLOW_RETRY_SECONDS;
    process.env.TSAD_MLFLOW_RETRY_SECONDS = '0';
    const down = openTracker(`http://127.0.0.1:${port}`);
    let current: Tracker = tracker;
    const switching = new Proxy({} as Tracker, {
      get: (_, key) => {
        const v = (current as unknown as Record<string | symbol, unknown>)[key];
        return typeof v === 'function' ? v.bind(current) : v;
      },
    });
    const svc = await createService({
      model: 'models:/temp@champion',
      tracker: switching,
      defaultMetrics: false,
    });
    try {
      await post(svc, 't-1', pts(1, 0, 30));
      current = down;
      const err = await svc.reload().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'reload_failed', status: 503, reloaded: [] });
      const msg = (err as Error).message;
      expect(msg).toContain('models:/temp@champion keeps models:/temp/1 and its series');
      expect(msg).toMatch(/the tracking store cannot be reached \(MLflow .*ECONNREFUSED/);
      expect(msg).toMatch(
        /check that the tracking server runs and answers; the next poll \(or SIGHUP\) tries again/,
      );
      expect(msg).not.toMatch(/point the alias/i);
      // the loaded model keeps serving its series
      expect((await post(svc, 't-1', pts(1, 30, 31))).body.model).toBe('models:/temp/1');
      // a version that does not load still says to point the alias at one that does (500)
      current = tracker;
      const runId = await tracker.run({ experiment: 'serve-test' }, async (run) => {
        await run.logArtifact({ name: 'model/model.json', bytes: '{"not": "a model"}' });
        return run.id;
      });
      await tracker.setAlias('temp', 'champion', (await tracker.registerModel('temp', runId)).version);
      const bad = await svc.reload().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(bad).toMatchObject({ code: 'reload_failed', status: 500 });
      expect((bad as Error).message).toMatch(
        /the model does not load \(.*\); point the alias at a version that loads/,
      );
      expect((bad as Error).message).not.toMatch(/cannot be reached/);
    } finally {
      await svc.close();
      await down.close();
      if (saved === undefined) delete process.env.TSAD_MLFLOW_RETRY_SECONDS;
      else process.env.TSAD_MLFLOW_RETRY_SECONDS = saved;
      await tracker.setAlias('temp', 'champion', 1);
    }
  });

  it('a reference whose new version cannot load keeps its model and series; the other references still reload, and series of one that did restart on it', async () => {
    // a version registered from a run with no model under `model/` (it cannot be loaded)
    const broken = async (name: string): Promise<number> => {
      const runId = await tracker.run({ experiment: 'serve-test' }, async (run) => {
        await run.logArtifact({ name: 'model/model.json', bytes: '{"not": "a model"}' });
        return run.id;
      });
      return (await tracker.registerModel(name, runId)).version;
    };
    const svc = await createService({
      model: 'models:/temp@champion',
      groups: [{ prefix: 'o-', ref: 'models:/other@champion' }],
      tracker,
      defaultMetrics: false,
    });
    try {
      await post(svc, 't-1', pts(1, 0, 30));
      await post(svc, 'o-1', pts(2, 0, 30));
      // the default reference moves to a good version, the group's to one that cannot load
      const good = await trainAndRegister('temp', 0.25);
      await tracker.setAlias('temp', 'champion', good);
      const bad = await broken('other');
      await tracker.setAlias('other', 'champion', bad);
      const err = await svc.reload().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'reload_failed', reloaded: ['models:/temp@champion'] });
      expect((err as Error).message).toContain(`models:/other@champion (now models:/other/${bad})`);
      expect((err as Error).message).toContain('keeps models:/other/1');
      // the reloaded reference's series restart on its new version (before: t-1 stayed on version 1)
      const t1 = await post(svc, 't-1', pts(1, 30, 40));
      expect(t1.body.model).toBe(`models:/temp/${good}`);
      expect(scoresOf(t1)).toEqual(await direct(`models:/temp/${good}`, pts(1, 30, 40)));
      // the reference that failed keeps its model and its series' state
      const o1 = await post(svc, 'o-1', pts(2, 30, 40));
      expect(o1.body.model).toBe('models:/other/1');
      expect(scoresOf(o1)).toEqual((await direct('models:/other/1', pts(2, 0, 40))).slice(30));
      // now the default reference breaks and the group's is fixed: the group still reloads (before:
      // the default's failure stopped the loop before it)
      await tracker.setAlias('temp', 'champion', await broken('temp'));
      const fixed = await trainAndRegister('other', 2);
      await tracker.setAlias('other', 'champion', fixed);
      await expect(svc.reload()).rejects.toMatchObject({
        code: 'reload_failed',
        reloaded: ['models:/other@champion'],
      });
      expect((await post(svc, 'o-1', pts(2, 40, 41))).body.model).toBe(`models:/other/${fixed}`);
      expect((await post(svc, 't-1', pts(1, 40, 41))).body.model).toBe(`models:/temp/${good}`);
      const text = (await svc.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(text).toMatch(/^tsad_model_reload_errors_total 2$/m);
      expect(text).toMatch(/^tsad_model_reloads_total 4$/m); // two at start, one per failed reload
    } finally {
      await svc.close();
      await tracker.setAlias('temp', 'champion', 1);
      await tracker.setAlias('other', 'champion', 1);
    }
  });

  it("trainInWorker leaves the caller's arrays as they were, and an AbortSignal stops the training (usab29)", async () => {
    const n = 600;
    const t = Float64Array.from({ length: n + 100 }, (_, i) => T0 + i * STEP);
    const v = Float64Array.from({ length: n + 100 }, (_, i) => value(i, 4));
    const tCopy = t.slice();
    // before: the arrays' buffers were transferred to the worker, so the caller's whole series (the
    // part after the training slice too: subarrays share the buffer) was left with length 0
    const model = await trainInWorker('zms', 0, t.subarray(0, n), v.subarray(0, n));
    expect(model.type).toBe('ZmsDetector');
    expect(t.length).toBe(n + 100);
    expect(t).toEqual(tCopy);
    expect(v[n + 50]).toBe(value(n + 50, 4));
    // cancelled: the worker is ended and the promise rejects with training_cancelled
    const ctl = new AbortController();
    const long = trainInWorker('default', 0, t, v, { signal: ctl.signal });
    ctl.abort();
    await expect(long).rejects.toMatchObject({ code: 'training_cancelled' });
    const already = AbortSignal.abort();
    await expect(trainInWorker('zms', 0, t, v, { signal: already })).rejects.toMatchObject({
      code: 'training_cancelled',
    });
    expect(t).toEqual(tCopy);
    // the public function always copies: handing buffers over is the service's own internal shortcut
    // for arrays it made (rev29: usab29 had exposed it as a `transfer` option)
    const own = t.slice(0, n);
    await trainInWorker('zms', 0, own, v.subarray(0, n), { transfer: true } as TrainInWorkerOptions);
    expect(own.length).toBe(n);
  });

  it('trains a model in a worker thread and registers it', async () => {
    const svc = await createService({ model: 'models:/temp@champion', tracker, defaultMetrics: false });
    try {
      const n = 300;
      const res = await svc.app.inject({
        method: 'POST',
        url: '/v1/models/trained/versions',
        payload: {
          detector: 'zms',
          alias: 'candidate',
          points: {
            t: Array.from({ length: n }, (_, i) => T0 + i * STEP),
            v: Array.from({ length: n }, (_, i) => value(i, 3)),
          },
        },
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({ name: 'trained', version: 1, alias: 'candidate' });
      const det = await tracker.loadModel('models:/trained@candidate');
      expect(det.type).toBe('ZmsDetector');
      const bad = await svc.app.inject({
        method: 'POST',
        url: '/v1/models/trained/versions',
        payload: { detector: 'nope', points: { t: [1, 2], v: [1, 2] } },
      });
      expect(bad.statusCode).toBe(422);
      // an unknown recipe, an Object.prototype key too, is named with the list to choose from (as
      // tsad train says it), never a TypeError from the worker
      for (const detector of ['nope', 'toString']) {
        const unknown = await svc.app.inject({
          method: 'POST',
          url: '/v1/models/trained/versions',
          payload: { detector, points: { t: [T0, T0 + STEP], v: [1, 2] } },
        });
        expect(unknown.statusCode).toBe(422);
        expect(unknown.json().error).toBe('training_failed');
        expect(unknown.json().message).toMatch(
          new RegExp(
            `ConfigError \\[unknown_detector\\].*unknown detector "${detector}"; choose from default, `,
          ),
        );
      }
      // too few points for the recipe: 422 training_failed, the message naming the detector's code and counts
      const short = await svc.app.inject({
        method: 'POST',
        url: '/v1/models/trained/versions',
        payload: { detector: 'zms', points: { t: [T0, T0 + STEP, T0 + 2 * STEP], v: [1, 2, 3] } },
      });
      expect(short.statusCode).toBe(422);
      expect(short.json()).toMatchObject({ error: 'training_failed' });
      // a reserved alias (latest, v<n>) is refused before training: 400, and no version is registered
      const reserved = await svc.app.inject({
        method: 'POST',
        url: '/v1/models/reserved-alias/versions',
        payload: {
          detector: 'zms',
          alias: 'latest',
          points: {
            t: Array.from({ length: n }, (_, i) => T0 + i * STEP),
            v: Array.from({ length: n }, (_, i) => value(i, 3)),
          },
        },
      });
      expect(reserved.statusCode, reserved.body).toBe(400);
      expect(reserved.json()).toMatchObject({ error: 'invalid_request' });
      expect(reserved.json().message).toMatch(/alias "latest" is reserved/);
      expect((await tracker.listRegisteredModels()).map((m) => m.name)).not.toContain('reserved-alias');
      // a model or experiment name the registry refuses ("..", "@", a "/" in a model name) is refused
      // before training too: it used to train, record a FINISHED run, then fail to register (422)
      const runsBefore = (await tracker.searchRuns({})).length;
      for (const [url, experiment, pattern] of [
        ['/v1/models/a..b/versions', undefined, /model name "a\.\.b" contains "\.\."/],
        ['/v1/models/m%40x/versions', undefined, /model name "m@x" must not contain "@"/],
        ['/v1/models/fine/versions', '../up', /experiment name "\.\.\/up" contains "\.\."/],
      ] as const) {
        const res = await svc.app.inject({
          method: 'POST',
          url,
          payload: {
            detector: 'zms',
            ...(experiment ? { experiment } : {}),
            points: {
              t: Array.from({ length: n }, (_, i) => T0 + i * STEP),
              v: Array.from({ length: n }, (_, i) => value(i, 3)),
            },
          },
        });
        expect(res.statusCode, res.body).toBe(400);
        expect(res.json()).toMatchObject({ error: 'invalid_request' });
        expect(res.json().message).toMatch(pattern);
      }
      expect((await tracker.searchRuns({})).length).toBe(runsBefore);
      expect(short.json().message).toMatch(
        /DetectorError \[too_few_points\]: ZmsDetector needs at least 22 training points, got 3:/,
      );
    } finally {
      await svc.close();
    }
  });
});

/** The service listening on a loopback port (real HTTP): its base URL. */
async function listening(svc: Service): Promise<string> {
  return svc.app.listen({ host: '127.0.0.1', port: 0 });
}

/** A real HTTP request to the service at `base`: its status and its JSON body. */
async function http(
  base: string,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  points?: [number, number][],
): Promise<{ status: number; body: Record<string, unknown> & { results?: { score: number }[] } }> {
  const res = await fetch(`${base}${path}`, {
    method,
    ...(points
      ? {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ points: points.map(([t, v]) => ({ t, v })) }),
        }
      : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * `inner` whose next `load` after `hold()` waits at the gate `hold` returns (once); `seen` settles when
 * such a held load has been called.
 */
function heldLoads(inner: CheckpointStore) {
  let armed: ReturnType<typeof gate> | undefined;
  const seen = gate();
  const store = wrapStore(inner, {
    load: async (id) => {
      const g = armed;
      armed = undefined;
      if (g) {
        seen.open();
        await g.wait;
      }
      return inner.load(id);
    },
  });
  return { store, seen: seen.wait, hold: () => (armed = gate()) };
}

/**
 * `inner` whose saves, between `hold()` and `release()`, wait at the gate `hold` returns and then fail
 * with ENOSPC; `seen` settles when such a save has been called.
 */
function failingSaves(inner: CheckpointStore) {
  let armed: ReturnType<typeof gate> | undefined;
  const seen = gate();
  const store = wrapStore(inner, {
    save: async (cp) => {
      const g = armed;
      if (!g) return inner.save(cp);
      seen.open();
      await g.wait;
      throw new Error('ENOSPC: no space left on device');
    },
  });
  return {
    store,
    seen: seen.wait,
    hold: () => (armed = gate()),
    release: () => {
      armed = undefined;
    },
  };
}

describe('serving.md claims read against the code (fix40)', () => {
  it('a model-file reference: the file replaced on disk is loaded again at reload, and its series restart on it', async () => {
    const file = join(dir, 'file-model.json');
    const model = (shift: number) => {
      const det = new ZmsDetector({});
      det.train({
        t: Float64Array.from({ length: 300 }, (_, i) => T0 - (300 - i) * STEP),
        v: Float64Array.from({ length: 300 }, (_, i) => value(i, 0) + shift),
      });
      return det.toJSON();
    };
    const first = model(0);
    writeFileSync(file, JSON.stringify(first));
    const svc = await createService({ model: file, defaultMetrics: false });
    try {
      const stream = (json: unknown) => loadModel(json as Parameters<typeof loadModel>[0]).stream();
      const a = await post(svc, 'f-1', pts(1, 0, 20));
      const s1 = stream(first);
      expect(scoresOf(a)).toEqual(pts(1, 0, 20).map(([t, v]) => s1.push(t, v).score));
      expect(await svc.reload()).toEqual([]); // the same file: nothing to reload
      const second = model(2);
      writeFileSync(file, JSON.stringify(second));
      fs.utimesSync(file, new Date(Date.now() + 60_000), new Date(Date.now() + 60_000)); // a new mtime whatever the clock's grain
      expect(await svc.reload()).toEqual([file]);
      const b = await post(svc, 'f-1', pts(1, 20, 30));
      const s2 = stream(second);
      expect(scoresOf(b)).toEqual(pts(1, 20, 30).map(([t, v]) => s2.push(t, v).score));
      expect(String(b.body.model).startsWith(`${file}#`)).toBe(true); // the file and its mtime
    } finally {
      await svc.close();
    }
  });

  it('without checkpoints, an evicted series loses what it learned: its next point starts it again from its model', async () => {
    const svc = await createService({
      model: 'models:/temp@champion',
      tracker,
      maxSeries: 1,
      defaultMetrics: false,
    });
    try {
      await post(svc, 'm-a', pts(1, 0, 30));
      await post(svc, 'm-b', pts(2, 0, 5)); // evicts m-a, with nowhere to write it
      const again = await post(svc, 'm-a', pts(1, 30, 40));
      expect(scoresOf(again)).toEqual(await direct('models:/temp/1', pts(1, 30, 40)));
    } finally {
      await svc.close();
    }
  });
});

describe('DELETE /v1/series/:id (real HTTP on loopback)', () => {
  it('forgets a series: its live state and its checkpoint; the next point restarts it from its model; an unknown id is 404 series_not_found', async () => {
    const cps = join(dir, 'cp-delete');
    const svc = await createService({
      model: 'models:/temp@champion',
      tracker,
      checkpoints: new DirectoryCheckpointStore(cps),
      maxSeries: 2,
      checkpointEvery: 1_000_000,
      defaultMetrics: false,
    });
    try {
      const base = await listening(svc);
      for (const id of ['a', 'b'])
        expect((await http(base, 'POST', `/v1/series/${id}/points`, pts(1, 0, 30))).status).toBe(200);
      await svc.checkpointAll();
      expect(readdirSync(cps).sort()).toEqual(['a.json', 'b.json']);
      // a live series with a checkpoint
      const del = await http(base, 'DELETE', '/v1/series/a');
      expect(del).toEqual({ status: 200, body: { id: 'a', live: true, checkpoint: true } });
      expect(readdirSync(cps)).toEqual(['b.json']); // the other series keeps its checkpoint
      expect(svc.liveCount()).toBe(1);
      expect(await http(base, 'GET', '/v1/series/a')).toMatchObject({
        status: 404,
        body: { error: 'series_not_found' },
      });
      // its next points start it again from its model (scores of a fresh stream, points counted from 0)
      const again = await http(base, 'POST', '/v1/series/a/points', pts(1, 30, 50));
      expect(again.status).toBe(200);
      expect(scoresOf(again)).toEqual(await direct('models:/temp/1', pts(1, 30, 50)));
      expect((await http(base, 'GET', '/v1/series/a')).body).toMatchObject({ points: 20 });
      // an evicted series (only its checkpoint): c and d push b and a out
      for (const id of ['c', 'd']) await http(base, 'POST', `/v1/series/${id}/points`, pts(2, 0, 10));
      await svc.checkpointAll();
      expect(svc.liveCount()).toBe(2);
      expect(await http(base, 'DELETE', '/v1/series/b')).toEqual({
        status: 200,
        body: { id: 'b', live: false, checkpoint: true },
      });
      expect(readdirSync(cps)).not.toContain('b.json');
      expect((await http(base, 'POST', '/v1/series/b/points', pts(1, 30, 31))).body).toMatchObject({
        results: [{ score: (await direct('models:/temp/1', pts(1, 30, 31)))[0] }],
      });
      // a series whose checkpoint cannot be read is reset by DELETE too
      writeFileSync(join(cps, 'bad.json'), '{"torn');
      expect((await http(base, 'GET', '/v1/series/bad')).body).toMatchObject({
        error: 'checkpoint_unreadable',
      });
      expect(await http(base, 'DELETE', '/v1/series/bad')).toEqual({
        status: 200,
        body: { id: 'bad', live: false, checkpoint: true },
      });
      expect((await http(base, 'POST', '/v1/series/bad/points', pts(0, 0, 5))).status).toBe(200);
      // nothing by that id: 404 with the typed code; a malformed id: 400
      const none = await http(base, 'DELETE', '/v1/series/nobody');
      expect(none.status).toBe(404);
      expect(none.body).toMatchObject({ error: 'series_not_found' });
      expect(none.body.message).toMatch(/no series "nobody" here.*nothing deleted/);
      expect(await http(base, 'DELETE', `/v1/series/${'x'.repeat(300)}`)).toMatchObject({
        status: 400,
        body: { error: 'invalid_request' },
      });
      // the live-series gauge follows, and deletions are counted
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`^tsad_live_series ${svc.liveCount()}$`, 'm'));
      expect(metrics).toMatch(/^tsad_series_deleted_total 3$/m);
      expect(metrics).toMatch(
        /tsad_request_duration_seconds_count\{route="\/v1\/series\/:id",status="200"\}/,
      );
      // the 404 lists the new route
      const unknown = await fetch(`${base}/v1/x`, { method: 'PUT' });
      expect(((await unknown.json()) as { message: string }).message).toMatch(/DELETE \/v1\/series\/:id/);
    } finally {
      await svc.close();
    }
  });

  it('a DELETE while a POST restores the same series from its checkpoint: the POST comes wholly before it (and is forgotten) or after it (a fresh series), never the old state brought back', async () => {
    const cps = join(dir, 'cp-delete-race');
    const inner = new DirectoryCheckpointStore(cps);
    const { store, seen: loadSeen, hold } = heldLoads(inner);
    // the series has a checkpoint (30 points) and is not in memory: a POST has to restore it
    await checkpointed(store, 'r', pts(3, 0, 30));
    const svc = await oneSeriesService(store);
    try {
      const base = await listening(svc);
      const g = hold();
      const posting = http(base, 'POST', '/v1/series/r/points', pts(3, 30, 40));
      await loadSeen; // the POST is restoring the series from its checkpoint
      const deleting = http(base, 'DELETE', '/v1/series/r');
      await new Promise((r) => setTimeout(r, 50)); // the DELETE waits for the restore
      g.open();
      const [p, d] = await Promise.all([posting, deleting]);
      expect(d.status).toBe(200);
      expect(p.status).toBe(200);
      const state = await http(base, 'GET', '/v1/series/r');
      const continued = (await direct('models:/temp/1', pts(3, 0, 40))).slice(30);
      const fresh = await direct('models:/temp/1', pts(3, 30, 40));
      if (state.status === 404) {
        // the POST came first: it continued the old state, which the DELETE then forgot
        expect(scoresOf(p)).toEqual(continued);
        expect(existsSync(join(cps, 'r.json'))).toBe(false);
      } else {
        // the DELETE came first: the POST started the series again from its model
        expect(state.body).toMatchObject({ points: 10 });
        expect(scoresOf(p)).toEqual(fresh);
      }
      await svc.close();
      // never the old state after the DELETE: no checkpoint of 40 points
      const cp = await inner.load('r');
      expect(cp === undefined || cp.points === 10).toBe(true);
    } finally {
      await svc.close();
    }
  });

  it('a DELETE of a series whose eviction is still writing its checkpoint: a write that then fails does not bring it back', async () => {
    const cps = join(dir, 'cp-delete-evicting');
    const saves = failingSaves(new DirectoryCheckpointStore(cps));
    const svc = await oneSeriesService(saves.store);
    try {
      const base = await listening(svc);
      await http(base, 'POST', '/v1/series/e/points', pts(6, 0, 30));
      const g = saves.hold();
      await http(base, 'POST', '/v1/series/f/points', pts(6, 0, 5)); // evicts e: its write is held
      await saves.seen;
      const deleting = http(base, 'DELETE', '/v1/series/e');
      await new Promise((r) => setTimeout(r, 50));
      g.open(); // the eviction's write fails: before fix40's DELETE, e went back into memory
      expect(await deleting).toEqual({ status: 200, body: { id: 'e', live: true, checkpoint: false } });
      saves.release();
      expect(svc.liveCount()).toBe(1);
      expect((await http(base, 'GET', '/v1/series/e')).status).toBe(404);
      const next = await http(base, 'POST', '/v1/series/e/points', pts(6, 30, 35));
      expect(scoresOf(next)).toEqual(await direct('models:/temp/1', pts(6, 30, 35)));
    } finally {
      await svc.close();
    }
  });

  it('a reload that swaps the model while a POST restores its series: the series restarts on the new version, not the old one for good', async () => {
    const cps = join(dir, 'cp-reload-race');
    const { store, seen: loadSeen, hold } = heldLoads(new DirectoryCheckpointStore(cps));
    await checkpointed(store, 'w', pts(4, 0, 30));
    const svc = await oneSeriesService(store);
    try {
      const g = hold();
      const posting = post(svc, 'w', pts(4, 30, 40));
      await loadSeen;
      const v2 = await trainAndRegister('temp', 0.75);
      await tracker.setAlias('temp', 'champion', v2);
      expect(await svc.reload()).toEqual(['models:/temp@champion']);
      g.open();
      const p = await posting;
      expect(p.status).toBe(200);
      expect(p.body.model).toBe(`models:/temp/${v2}`);
      expect(scoresOf(p)).toEqual(await direct(`models:/temp/${v2}`, pts(4, 30, 40)));
      expect((await post(svc, 'w', pts(4, 40, 41))).body.model).toBe(`models:/temp/${v2}`);
    } finally {
      await svc.close();
      await tracker.setAlias('temp', 'champion', 1);
    }
  });

  it('a reload while a checkpoint write of a restarted series is in flight and then fails: no unhandled rejection, the series restarts on the new version', async () => {
    const cps = join(dir, 'cp-reload-failed-write');
    const saves = failingSaves(new DirectoryCheckpointStore(cps));
    const svc = await oneSeriesService(saves.store);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await post(svc, 'rw', pts(7, 0, 30));
      const g = saves.hold();
      const writing = svc.checkpointAll().catch((e: unknown) => e); // rw's write is held
      await saves.seen;
      const v2 = await trainAndRegister('temp', 0.5);
      await tracker.setAlias('temp', 'champion', v2);
      expect(await svc.reload()).toEqual(['models:/temp@champion']); // rw restarts: its checkpoint deleted after the write
      saves.release();
      g.open(); // the write fails
      expect(String(await writing)).toMatch(/ENOSPC/);
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
      const next = await post(svc, 'rw', pts(7, 30, 40));
      expect(next.body.model).toBe(`models:/temp/${v2}`);
      expect(scoresOf(next)).toEqual(await direct(`models:/temp/${v2}`, pts(7, 30, 40)));
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await svc.close();
      await tracker.setAlias('temp', 'champion', 1);
    }
  });

  it('a first POST while a GET of the same new id is still looking for its checkpoint: the POST creates the series (was a 500)', async () => {
    const cps = join(dir, 'cp-get-then-post');
    const { store, seen: loadSeen, hold } = heldLoads(new DirectoryCheckpointStore(cps));
    const svc = await oneSeriesService(store);
    try {
      const g = hold();
      const getting = svc.app.inject({ method: 'GET', url: '/v1/series/gp' });
      await loadSeen; // the GET's restore is reading the (missing) checkpoint
      const posting = post(svc, 'gp', pts(8, 0, 10));
      await new Promise((r) => setTimeout(r, 20));
      g.open();
      expect((await getting).statusCode).toBe(404);
      const p = await posting;
      expect(p.status).toBe(200);
      expect(scoresOf(p)).toEqual(await direct('models:/temp/1', pts(8, 0, 10)));
    } finally {
      await svc.close();
    }
  });

  it('a DELETE during a reload: answered, the series stays forgotten, and its next point starts it on the new version', async () => {
    let hold: ReturnType<typeof gate> | undefined;
    const lookup = gate();
    const slow = new Proxy({} as Tracker, {
      get: (_, key) => {
        const v = (tracker as unknown as Record<string | symbol, unknown>)[key];
        if (key === 'getModelVersion')
          return async (...args: unknown[]) => {
            const g = hold;
            if (g) {
              lookup.open();
              await g.wait;
            }
            return (v as (...a: unknown[]) => unknown).apply(tracker, args);
          };
        return typeof v === 'function' ? v.bind(tracker) : v;
      },
    });
    const cps = join(dir, 'cp-delete-reload');
    const svc = await createService({
      model: 'models:/temp@champion',
      tracker: slow,
      checkpoints: new DirectoryCheckpointStore(cps),
      defaultMetrics: false,
    });
    try {
      const base = await listening(svc);
      await http(base, 'POST', '/v1/series/z/points', pts(5, 0, 30));
      await svc.checkpointAll();
      const v2 = await trainAndRegister('temp', 1.5);
      await tracker.setAlias('temp', 'champion', v2);
      hold = gate();
      const g = hold;
      const reloading = svc.reload();
      await lookup.wait; // the reload is asking the registry
      expect(await http(base, 'DELETE', '/v1/series/z')).toEqual({
        status: 200,
        body: { id: 'z', live: true, checkpoint: true },
      });
      hold = undefined;
      g.open();
      expect(await reloading).toEqual(['models:/temp@champion']);
      expect((await http(base, 'GET', '/v1/series/z')).status).toBe(404);
      expect(existsSync(join(cps, 'z.json'))).toBe(false);
      const next = await http(base, 'POST', '/v1/series/z/points', pts(5, 30, 40));
      expect(next.body.model).toBe(`models:/temp/${v2}`);
      expect(scoresOf(next)).toEqual(await direct(`models:/temp/${v2}`, pts(5, 30, 40)));
    } finally {
      await svc.close();
      await tracker.setAlias('temp', 'champion', 1);
    }
  });
});

describe('DELETE /v1/series/:id and the checkpoint store (fix41)', () => {
  it('the directory store tells whether a checkpoint exists without reading it; DELETE asks that, not load', async () => {
    const cps = join(dir, 'cp-delete-has');
    const store = new DirectoryCheckpointStore(cps);
    expect(await store.has('h')).toBe(false); // no folder yet
    await checkpointed(store, 'h', pts(4, 0, 30));
    expect(await store.has('h')).toBe(true);
    expect(await store.has('other')).toBe(false);
    writeFileSync(join(cps, 'torn.json'), '{"torn');
    expect(await store.has('torn')).toBe(true); // there, unreadable or not
    const svc = await oneSeriesService(store);
    const load = vi.spyOn(store, 'load');
    try {
      for (const id of ['h', 'torn']) {
        const res = await svc.app.inject({ method: 'DELETE', url: `/v1/series/${id}` });
        expect({ status: res.statusCode, body: res.json() }).toEqual({
          status: 200,
          body: { id, live: false, checkpoint: true },
        });
      }
      expect((await svc.app.inject({ method: 'DELETE', url: '/v1/series/h' })).statusCode).toBe(404);
      expect(load).not.toHaveBeenCalled();
      expect(readdirSync(cps)).toEqual([]);
    } finally {
      load.mockRestore();
      await svc.close();
    }
  });

  it('a custom store that cannot be reached: 503 checkpoint_store_failed (was 404, or 200 with the checkpoint left), and the retry deletes it', async () => {
    const cps = join(dir, 'cp-delete-down');
    const inner = new DirectoryCheckpointStore(cps);
    let down = false;
    const refused = () =>
      Object.assign(new Error('connect ECONNREFUSED 10.0.0.9:6379'), { code: 'ECONNREFUSED' });
    const store = wrapStore(inner, {
      load: (id) => (down ? Promise.reject(refused()) : inner.load(id)),
      delete: (id) => (down ? Promise.reject(refused()) : inner.delete(id)),
    });
    await checkpointed(store, 'gone', pts(4, 0, 30));
    const svc = await oneSeriesService(store);
    try {
      await post(svc, 'live', pts(4, 0, 10));
      down = true;
      for (const [id, wasLive] of [
        ['gone', false],
        ['live', true],
      ] as const) {
        const res = await svc.app.inject({ method: 'DELETE', url: `/v1/series/${id}` });
        expect(res.statusCode).toBe(503);
        const body = res.json() as { error: string; message: string };
        expect(body.error).toBe('checkpoint_store_failed');
        expect(body.message).toContain(`series "${id}"`);
        expect(body.message).toContain('ECONNREFUSED');
        expect(body.message).toMatch(/retry the DELETE/);
        expect(body.message.includes('live state was dropped')).toBe(wasLive);
      }
      expect(existsSync(join(cps, 'gone.json'))).toBe(true);
      down = false;
      const again = await svc.app.inject({ method: 'DELETE', url: '/v1/series/gone' });
      expect(again.json()).toEqual({ id: 'gone', live: false, checkpoint: true });
      expect(existsSync(join(cps, 'gone.json'))).toBe(false);
    } finally {
      down = false;
      await svc.close();
    }
  });

  it('a custom store whose existence check fails, or whose delete fails after it: 503 checkpoint_store_failed', async () => {
    const cps = join(dir, 'cp-delete-has-down');
    const inner = new DirectoryCheckpointStore(cps);
    await inner.save(await onePointCheckpoint('k'));
    const load = vi.fn((id: string) => inner.load(id));
    for (const over of [
      { has: () => Promise.reject(new Error('timeout after 5000 ms')) },
      {
        has: (id: string) => inner.has(id),
        delete: () => Promise.reject(new Error('timeout after 5000 ms')),
      },
    ]) {
      const svc = await oneSeriesService(wrapStore(inner, { load, ...over }));
      try {
        const res = await svc.app.inject({ method: 'DELETE', url: '/v1/series/k' });
        expect(res.statusCode).toBe(503);
        expect(res.json()).toMatchObject({ error: 'checkpoint_store_failed' });
        expect((res.json() as { message: string }).message).toContain('timeout after 5000 ms');
      } finally {
        await svc.close();
      }
    }
    expect(load).not.toHaveBeenCalled();
    expect(existsSync(join(cps, 'k.json'))).toBe(true);
  });
});

describe('restoring a series from a checkpoint store that fails (fix42)', () => {
  it('a POST or GET whose restore finds the store unreachable, timed out or throwing: 503 checkpoint_store_failed (was 500 internal), no series left half-open, the next request restores it', async () => {
    const cps = join(dir, 'cp-restore-down');
    const inner = new DirectoryCheckpointStore(cps);
    await checkpointed(inner, 'r', pts(5, 0, 30));
    const saved = readFileSync(join(cps, 'r.json'), 'utf8');
    const failures: [string, () => Promise<never>][] = [
      [
        'ECONNREFUSED',
        () =>
          Promise.reject(
            Object.assign(new Error('connect ECONNREFUSED 10.0.0.9:6379'), { code: 'ECONNREFUSED' }),
          ),
      ],
      ['timeout after 5000 ms', () => Promise.reject(new Error('timeout after 5000 ms'))],
      [
        'client not connected',
        (): never => {
          throw new Error('client not connected');
        },
      ],
    ];
    for (const [why, fail] of failures) {
      let down = true;
      const store = wrapStore(inner, { load: (id) => (down ? fail() : inner.load(id)) });
      const svc = await oneSeriesService(store);
      try {
        for (const [method, id] of [
          ['POST', 'r'],
          ['GET', 'r'],
          ['POST', 'new'], // not created over a store that cannot tell whether it has a checkpoint
        ] as const) {
          const res = await svc.app.inject({
            method,
            url: method === 'POST' ? `/v1/series/${id}/points` : `/v1/series/${id}`,
            ...(method === 'POST' ? { payload: { points: [{ t: T0 + 30 * STEP, v: 5 }] } } : {}),
          });
          expect({ method, id, status: res.statusCode, error: res.json().error }).toEqual({
            method,
            id,
            status: 503,
            error: 'checkpoint_store_failed',
          });
          const message = (res.json() as { message: string }).message;
          expect(message).toContain(`series "${id}"`);
          expect(message).toContain(why);
          expect(message).toMatch(/retry the request once the store answers/);
          expect(message).not.toMatch(/DELETE/);
        }
        expect(svc.liveCount()).toBe(0);
        expect(readFileSync(join(cps, 'r.json'), 'utf8')).toBe(saved);
        // the store answers again: the same series is restored, as if the failed requests never came
        down = false;
        const r = await post(svc, 'r', pts(5, 30, 40));
        expect(r.status).toBe(200);
        expect(scoresOf(r)).toEqual((await direct('models:/temp/1', pts(5, 0, 40))).slice(30));
        expect((await svc.app.inject({ method: 'GET', url: '/v1/series/r' })).json()).toMatchObject({
          points: 40,
        });
      } finally {
        down = false;
        await svc.close();
      }
      writeFileSync(join(cps, 'r.json'), saved);
      rmSync(join(cps, 'new.json'), { force: true });
    }
  });

  it('requests that wait on one restore which then fails all answer 503, and the next one loads again', async () => {
    const cps = join(dir, 'cp-restore-down-shared');
    const inner = new DirectoryCheckpointStore(cps);
    await checkpointed(inner, 's', pts(6, 0, 20));
    const held = gate();
    let loads = 0;
    const seen = gate();
    const store = wrapStore(inner, {
      load: async (id) => {
        loads++;
        if (loads > 1) return inner.load(id);
        seen.open();
        await held.wait;
        throw new Error('timeout after 5000 ms');
      },
    });
    const svc = await oneSeriesService(store);
    try {
      const a = post(svc, 's', pts(6, 20, 25));
      await seen.wait;
      const b = svc.app.inject({ method: 'GET', url: '/v1/series/s' });
      const c = post(svc, 's', pts(6, 20, 25));
      // a few turns of the event loop: both reach the restore in flight (inject does no I/O); the count
      // of loads below says whether they did
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      held.open();
      const [ra, rb, rc] = await Promise.all([a, b, c]);
      expect([ra.status, rb.statusCode, rc.status]).toEqual([503, 503, 503]);
      expect([ra.body.error, rb.json().error, rc.body.error]).toEqual(
        Array(3).fill('checkpoint_store_failed'),
      );
      expect(loads).toBe(1);
      expect(svc.liveCount()).toBe(0);
      const r = await post(svc, 's', pts(6, 20, 25));
      expect(loads).toBe(2);
      expect(scoresOf(r)).toEqual((await direct('models:/temp/1', pts(6, 0, 25))).slice(20));
    } finally {
      await svc.close();
    }
  });
});

describe('a checkpoint store that rejects with no error object (rev42)', () => {
  it('load or delete rejecting with undefined, null or a string: 503 checkpoint_store_failed naming it, not 500 internal', async () => {
    const cps = join(dir, 'cp-reject-nothing');
    const inner = new DirectoryCheckpointStore(cps);
    await checkpointed(inner, 'q', pts(7, 0, 20));
    const saved = readFileSync(join(cps, 'q.json'), 'utf8');
    for (const [reason, shown] of [
      [undefined, 'Error: undefined'],
      [null, 'Error: null'],
      ['socket hang up', 'Error: socket hang up'],
    ] as const) {
      let down = true;
      const store = wrapStore(inner, {
        load: (id) => (down ? Promise.reject(reason) : inner.load(id)),
        delete: (id) => (down ? Promise.reject(reason) : inner.delete(id)),
      });
      const svc = await oneSeriesService(store);
      try {
        const restore = await svc.app.inject({
          method: 'POST',
          url: '/v1/series/q/points',
          payload: { points: [{ t: T0 + 20 * STEP, v: 5 }] },
        });
        expect([restore.statusCode, restore.json().error], String(reason)).toEqual([
          503,
          'checkpoint_store_failed',
        ]);
        expect(restore.json().message).toContain(`series "q" (${shown}); the series was not restored`);
        const del = await svc.app.inject({ method: 'DELETE', url: '/v1/series/q' });
        expect([del.statusCode, del.json().error], String(reason)).toEqual([503, 'checkpoint_store_failed']);
        expect(del.json().message).toContain(`series "q" (${shown}); its checkpoint may still be kept`);
        down = false;
        expect((await post(svc, 'q', pts(7, 20, 22))).status).toBe(200);
      } finally {
        down = false;
        await svc.close();
      }
      writeFileSync(join(cps, 'q.json'), saved); // as the set-up left it, for the next reason
    }
  });
});

describe('serving.md: a runs:/ model reference (fix41)', () => {
  it("serves a tracked run's model by runs:/RUN_ID/model; its version is the reference, so a reload never moves it", async () => {
    const mv = await tracker.getModelVersion('temp', 1);
    const ref = `runs:/${mv.runId}/model`;
    const svc = await createService({ model: ref, tracker, defaultMetrics: false });
    try {
      const r = await post(svc, 'run-series', pts(1, 0, 10));
      expect(r.status).toBe(200);
      expect(r.body.model).toBe(ref);
      expect(scoresOf({ body: r.body })).toEqual(await direct('models:/temp/1', pts(1, 0, 10)));
      expect(await svc.reload()).toEqual([]);
    } finally {
      await svc.close();
    }
  });
});

describe('DELETE /v1/series/:id and a store that throws at once (rev41)', () => {
  it('a has, load or delete that throws instead of rejecting is 503 checkpoint_store_failed too (was 500 internal), the checkpoint kept', async () => {
    const cps = join(dir, 'cp-delete-sync-throw');
    const inner = new DirectoryCheckpointStore(cps);
    await inner.save(await onePointCheckpoint('s'));
    const boom = (): never => {
      throw new Error('client not connected');
    };
    for (const over of [
      { has: boom },
      { load: boom }, // a store without has
      { has: (id: string) => inner.has(id), delete: boom },
      // a JavaScript store whose has() answers something else than a boolean
      { has: () => Promise.resolve('client not connected' as unknown as boolean) },
    ] as Partial<CheckpointStore>[]) {
      const svc = await oneSeriesService(wrapStore(inner, over));
      try {
        const res = await svc.app.inject({ method: 'DELETE', url: '/v1/series/s' });
        expect({ status: res.statusCode, error: (res.json() as { error: string }).error }).toEqual({
          status: 503,
          error: 'checkpoint_store_failed',
        });
        expect((res.json() as { message: string }).message).toContain('client not connected');
      } finally {
        await svc.close();
      }
    }
    expect(existsSync(join(cps, 's.json'))).toBe(true);
  });
});

describe('the forest memory limit (cap42): a new or restored series that cannot reserve its forest', () => {
  // V8 reserves ~10 GB of address space per WebAssembly memory, so a process holds ~12,900 forests
  // (docs/rcf.md, Round 6). Reaching that for real takes ~13,000 forests; a stand-in WebAssembly.Memory
  // refuses (as V8 does, with a RangeError) while the service holds `room` live series or more.
  type MemoryCtor = new (d: object) => object;
  const wasm = (globalThis as unknown as { WebAssembly: { Memory: MemoryCtor } }).WebAssembly;
  const RealMemory = wasm.Memory;
  let rcfRef: string;

  beforeAll(async () => {
    // online updates: each series' stream holds a forest of its own (without them, the streams of one
    // loaded model share its forest, read only, and a new series reserves no memory)
    const rcf = new RandomCutForest({ nEstimators: 3, maxNSamples: 32, onlineUpdates: true });
    rcfRef = `models:/rcf-cap/${await trainAndRegister('rcf-cap', 0, rcf, 200)}`;
  });

  /** While `full()` is true, every new WebAssembly memory is refused; `refusals` counts them. */
  function limitForests(full: () => boolean): { refusals: number; restore: () => void } {
    const out = { refusals: 0, restore: () => spy.mockRestore() };
    const spy = vi.spyOn(wasm, 'Memory').mockImplementation(
      class {
        constructor(d: object) {
          if (full()) {
            out.refusals++;
            throw new RangeError('WebAssembly.Memory(): could not allocate memory');
          }
          // biome-ignore lint/correctness/noConstructorReturn: the stand-in hands out a real memory
          return new RealMemory(d);
        }
      } as unknown as MemoryCtor,
    );
    return out;
  }

  function forestService(cps: string | undefined, maxSeries = 100): Promise<Service> {
    return createService({
      model: rcfRef,
      tracker,
      ...(cps ? { checkpoints: new DirectoryCheckpointStore(cps) } : {}),
      maxSeries,
      checkpointEvery: 1_000_000,
      defaultMetrics: false,
    });
  }

  it('a new series evicts least recently used series (checkpointed) and is served; every series resumes with the same scores', async () => {
    const cps = join(dir, 'cp-forest-limit');
    const svc = await forestService(cps);
    const got: Record<string, number[]> = {};
    let room = 4; // the process holds 4 forests at most
    const limit = limitForests(() => svc.liveCount() >= room);
    try {
      for (let k = 0; k < 6; k++) {
        const r = await post(svc, `f${k}`, pts(k, 0, 30));
        expect(r.status).toBe(200);
        got[`f${k}`] = scoresOf(r);
        expect(svc.liveCount()).toBeLessThanOrEqual(4);
      }
      expect(limit.refusals).toBeGreaterThan(0);
      // the evicted ones were written before the new forest was made, and resume from their checkpoints
      expect(readdirSync(cps).length).toBeGreaterThanOrEqual(2);
      room = 100;
      for (let k = 0; k < 6; k++) {
        const r = await post(svc, `f${k}`, pts(k, 30, 50));
        expect(r.status).toBe(200);
        got[`f${k}`].push(...scoresOf(r));
        expect(got[`f${k}`]).toEqual(await direct(rcfRef, pts(k, 0, 50)));
      }
      const metrics = (await svc.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/^tsad_forest_limit_evictions_total [1-9]\d*$/m);
      expect(metrics).toMatch(/^tsad_forest_limit_refusals_total 0$/m);
    } finally {
      limit.restore();
      await svc.close();
    }
  });

  it('a series restored from its checkpoint makes room the same way (not checkpoint_unreadable), with the same scores', async () => {
    const cps = join(dir, 'cp-forest-limit-restore');
    const first = await forestService(cps);
    try {
      expect((await post(first, 'r0', pts(0, 0, 30))).status).toBe(200);
    } finally {
      await first.close();
    }
    const svc = await forestService(cps);
    let full = false;
    const limit = limitForests(() => full && svc.liveCount() >= 2);
    try {
      for (let k = 1; k <= 2; k++) expect((await post(svc, `r${k}`, pts(k, 0, 10))).status).toBe(200);
      const want = (await direct(rcfRef, pts(0, 0, 40))).slice(30);
      full = true;
      const r = await post(svc, 'r0', pts(0, 30, 40));
      full = false;
      expect(r.status).toBe(200);
      expect(limit.refusals).toBeGreaterThan(0);
      expect(scoresOf(r)).toEqual(want);
      expect(existsSync(join(cps, 'r1.json'))).toBe(true); // evicted: written
    } finally {
      limit.restore();
      await svc.close();
    }
  });

  it('without checkpoints: a new series is served by evicting, and the evicted one starts again from its model', async () => {
    const svc = await forestService(undefined);
    const limit = limitForests(() => svc.liveCount() >= 2);
    try {
      for (const id of ['n0', 'n1', 'n2']) expect((await post(svc, id, pts(0, 0, 10))).status).toBe(200);
      expect(limit.refusals).toBeGreaterThan(0);
      expect(svc.liveCount()).toBe(2);
      expect((await svc.app.inject({ method: 'GET', url: '/v1/series/n0' })).statusCode).toBe(404);
    } finally {
      limit.restore();
      await svc.close();
    }
  });

  it('evictions whose checkpoint writes hang: 503 checkpoint_store_failed after storeTimeoutMs, not a request held for ever; served once they land', async () => {
    const cps = join(dir, 'cp-forest-hang');
    const inner = new DirectoryCheckpointStore(cps);
    const hold = gate();
    const svc = await createService({
      model: rcfRef,
      tracker,
      checkpoints: wrapStore(inner, {
        save: async (cp) => {
          await hold.wait;
          return inner.save(cp);
        },
      }),
      maxSeries: 100,
      checkpointEvery: 1_000_000,
      // long enough for the real directory store's fsync'd writes under load (close() in `finally`
      // checkpoints the live series with this bound; 200 ms failed once at load 5.5), short enough for a test
      storeTimeoutMs: 2_000,
      defaultMetrics: false,
    });
    const want = (await direct(rcfRef, pts(0, 0, 40))).slice(30); // before the stand-in refuses forests
    const limit = limitForests(() => svc.liveCount() >= 2); // the process holds 2 forests at most
    try {
      for (let k = 0; k < 2; k++) expect((await post(svc, `h${k}`, pts(k, 0, 30))).status).toBe(200);
      const r = await post(svc, 'h2', pts(2, 0, 30));
      expect([r.status, r.body.error]).toEqual([503, 'checkpoint_store_failed']);
      expect(r.body.message).toMatch(
        /did not answer within 2 s .*while writing the checkpoints of the series evicted to make room for series "h2".*nothing was scored or changed/,
      );
      hold.open(); // the writes land: h2 is served, and h0 (evicted) resumes from its checkpoint
      await vi.waitFor(() => expect(existsSync(join(cps, 'h0.json'))).toBe(true), { timeout: 10_000 });
      expect((await post(svc, 'h2', pts(2, 0, 30))).status).toBe(200);
      const h0 = await post(svc, 'h0', pts(0, 30, 40));
      expect(h0.status).toBe(200);
      expect(scoresOf(h0)).toEqual(want);
    } finally {
      hold.open();
      limit.restore();
      await svc.close();
    }
  });

  it('when eviction does not make room: 503 forest_limit telling the operator what to do; nothing scored, nothing lost', async () => {
    const cps = join(dir, 'cp-forest-limit-full');
    const svc = await forestService(cps);
    // the evicted series' forests are not kept for reuse (serve44's pool): as when other forests of
    // the process hold all the memory, eviction cannot make room
    const poolBytes = setForestPoolMaxBytes(0);
    try {
      for (let k = 0; k < 3; k++) expect((await post(svc, `x${k}`, pts(k, 0, 10))).status).toBe(200);
      const limit = limitForests(() => true); // the forests are held elsewhere in the process
      let res: Awaited<ReturnType<Service['app']['inject']>>;
      try {
        res = await svc.app.inject({
          method: 'POST',
          url: '/v1/series/new/points',
          payload: { t: T0, v: 1 },
        });
      } finally {
        limit.restore();
      }
      expect(res.statusCode).toBe(503);
      const b = res.json() as { error: string; message: string };
      expect(b.error).toBe('forest_limit');
      expect(b.message).toMatch(/--max-series/);
      expect(b.message).toMatch(/more instances/);
      // bounded: a few rounds of eviction (each a refused stream and a refused one-page probe), not an endless loop
      expect(limit.refusals).toBeGreaterThan(2);
      expect(limit.refusals).toBeLessThanOrEqual(8);
      const metrics = (await svc.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/^tsad_forest_limit_refusals_total 1$/m);
      // the series it evicted trying were written and resume; the refused one does not exist
      expect((await svc.app.inject({ method: 'GET', url: '/v1/series/new' })).statusCode).toBe(404);
      for (let k = 0; k < 3; k++) {
        const r = await post(svc, `x${k}`, pts(k, 10, 20));
        expect(scoresOf(r)).toEqual((await direct(rcfRef, pts(k, 0, 20))).slice(10));
      }
    } finally {
      setForestPoolMaxBytes(poolBytes);
      await svc.close();
    }
  });

  it("with the pool (serve44), one eviction makes room even when no new memory can be had: the new series takes the evicted series' forest memory", async () => {
    const cps = join(dir, 'cp-forest-limit-pool');
    const svc = await forestService(cps);
    clearForestPool();
    try {
      for (let k = 0; k < 3; k++) expect((await post(svc, `p${k}`, pts(k, 0, 10))).status).toBe(200);
      const want = await direct(rcfRef, pts(5, 0, 10));
      const limit = limitForests(() => true); // no memory at all from here
      try {
        const r = await post(svc, 'pnew', pts(5, 0, 10));
        expect(r.status).toBe(200);
        expect(scoresOf(r)).toEqual(want);
      } finally {
        limit.restore();
      }
      expect(limit.refusals).toBe(1); // the first try; the retry took the pooled memory
      expect(svc.liveCount()).toBe(3);
      const metrics = (await svc.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/^tsad_forest_limit_evictions_total 1$/m);
      // the evicted series resumes from its checkpoint with its scores
      const back = await post(svc, 'p0', pts(0, 10, 20));
      expect(scoresOf(back)).toEqual((await direct(rcfRef, pts(0, 0, 20))).slice(10));
    } finally {
      await svc.close();
    }
  });
});

describe('reloads one after another', () => {
  it('a reload asked for while another runs waits for it and then resolves the alias again: the service ends on the version the alias names last, not the one the slower reload read first', async () => {
    const v1 = await trainAndRegister('raced', 0);
    await tracker.setAlias('raced', 'champion', v1);
    // the registry's read of version 2 is held until the test lets it go
    const held = gate();
    let resolves = 0;
    const slow: Tracker = Object.create(tracker);
    slow.getModelVersion = (name, which) => {
      resolves++;
      return tracker.getModelVersion(name, which);
    };
    slow.loadModelJson = async (uri) => {
      if (uri === 'models:/raced/2') await held.wait;
      return tracker.loadModelJson(uri);
    };
    const svc = await createService({
      model: 'models:/raced@champion',
      tracker: slow,
      defaultMetrics: false,
    });
    let first: Promise<string[]> | undefined;
    let second: Promise<string[]> | undefined;
    try {
      const v2 = await trainAndRegister('raced', 2);
      const v3 = await trainAndRegister('raced', 4);
      expect([v2, v3]).toEqual([2, 3]);
      await tracker.setAlias('raced', 'champion', v2);
      resolves = 0;
      first = svc.reload(); // reads version 2: held
      await vi.waitFor(() => expect(resolves).toBe(1), { timeout: 10_000 });
      await tracker.setAlias('raced', 'champion', v3);
      second = svc.reload();
      // the second does not resolve the alias while the first is still loading what it read
      expect(resolves).toBe(1);
      held.open();
      expect(await first).toEqual(['models:/raced@champion']);
      expect(await second).toEqual(['models:/raced@champion']);
      expect(resolves).toBe(2);
      expect(svc.models.get('models:/raced@champion').version).toBe('models:/raced/3');
      const r = await post(svc, 'after', pts(0, 0, 20));
      expect(r.body.model).toBe('models:/raced/3');
      expect(scoresOf(r)).toEqual(await direct('models:/raced/3', pts(0, 0, 20)));
    } finally {
      held.open();
      await Promise.all([first, second].map((p) => p?.catch(() => undefined)));
      await svc.close();
    }
  });
});

describe('close() while a reload runs', () => {
  /**
   * A service of `name`@champion (version 1, series `a` live) on a real checkpoint folder, the alias moved
   * to version 2, whose registry read is held until `held` opens; `reads` counts alias resolutions.
   */
  async function reloadHeldAtClose(name: string, storeTimeoutMs: number) {
    await tracker.setAlias(name, 'champion', await trainAndRegister(name, 0));
    const held = gate();
    const count = { reads: 0 };
    const slow: Tracker = Object.create(tracker);
    slow.getModelVersion = (n, which) => {
      count.reads++;
      return tracker.getModelVersion(n, which);
    };
    slow.loadModelJson = async (uri) => {
      if (uri === `models:/${name}/2`) await held.wait;
      return tracker.loadModelJson(uri);
    };
    const store = new DirectoryCheckpointStore(mkdtempSync(join(dir, `${name}-cps-`)));
    const svc = await createService({
      model: `models:/${name}@champion`,
      tracker: slow,
      checkpoints: store,
      checkpointEvery: 1_000_000,
      storeTimeoutMs,
      defaultMetrics: false,
    });
    expect((await post(svc, 'a', pts(0, 0, 30))).status).toBe(200);
    expect(await trainAndRegister(name, 2)).toBe(2);
    await tracker.setAlias(name, 'champion', 2);
    count.reads = 0;
    return { svc, store, held, count };
  }

  it('close() waits for it (no checkpoint is deleted after close() resolved), and a reload asked for once closing is refused without reading the registry', async () => {
    const { svc, store, held, count } = await reloadHeldAtClose('closing', 10_000);
    const order: string[] = [];
    const running = svc.reload().then((changed) => {
      order.push('reload');
      return changed;
    });
    await vi.waitFor(() => expect(count.reads).toBe(1), { timeout: 10_000 });
    const closed = svc.close().then(() => order.push('close'));
    try {
      await expect(svc.reload()).rejects.toMatchObject({ code: 'shutting_down', status: 503 });
      expect(count.reads).toBe(1); // refused before reading the registry
      // time for close() to finish if it did not wait (a slow machine can only make this check miss)
      await new Promise((r) => setTimeout(r, 200));
      expect(order).toEqual([]);
    } finally {
      held.open();
    }
    await closed;
    expect(order).toEqual(['reload', 'close']);
    expect(await running).toEqual(['models:/closing@champion']);
    // the reload restarted a (its version-1 state and checkpoint dropped) before close() checkpointed
    expect(svc.liveCount()).toBe(0);
    expect(await store.has('a')).toBe(false);
  });

  it('past storeTimeoutMs, close() checkpoints without it and rejects reload_failed; the reload then ends changing nothing', async () => {
    const { svc, store, held, count } = await reloadHeldAtClose('closinglate', 1_000);
    const running = svc.reload();
    running.catch(() => undefined);
    await vi.waitFor(() => expect(count.reads).toBe(1), { timeout: 10_000 });
    try {
      await expect(svc.close()).rejects.toMatchObject({ code: 'reload_failed', status: 503 });
      expect(await store.has('a')).toBe(true); // written by close()
      const written = await store.load('a');
      held.open();
      await expect(running).rejects.toMatchObject({ code: 'shutting_down' });
      // the late reload restarted nothing and deleted nothing
      expect(svc.liveCount()).toBe(1);
      expect(await store.load('a')).toEqual(written);
    } finally {
      held.open();
    }
  });
});

describe('two references to one version (serve44)', () => {
  it('an alias and a pinned version that name the same version load it once; series of both score as the model; a reload that moves the alias loads the new version alone', async () => {
    const v1 = await trainAndRegister('twice', 0);
    await tracker.setAlias('twice', 'champion', v1);
    const fetched: string[] = [];
    const counting: Tracker = Object.create(tracker);
    counting.loadModelJson = (uri) => {
      fetched.push(uri);
      return tracker.loadModelJson(uri);
    };
    const svc = await createService({
      model: 'models:/twice@champion',
      groups: [{ prefix: 'pin-', ref: `models:/twice/${v1}` }],
      tracker: counting,
      defaultMetrics: false,
    });
    try {
      expect(fetched).toEqual([`models:/twice/${v1}`]); // was loaded once per reference
      const want = await direct(`models:/twice/${v1}`, pts(0, 0, 20));
      for (const id of ['a', 'pin-a']) {
        const r = await post(svc, id, pts(0, 0, 20));
        expect([id, r.body.model, scoresOf(r)]).toEqual([id, `models:/twice/${v1}`, want]);
      }
      const v2 = await trainAndRegister('twice', 3);
      await tracker.setAlias('twice', 'champion', v2);
      expect(await svc.reload()).toEqual(['models:/twice@champion']);
      expect(fetched).toEqual([`models:/twice/${v1}`, `models:/twice/${v2}`]);
      // the pinned series kept its state and version; the alias's series restart on the new one
      const pinned = await post(svc, 'pin-a', pts(0, 20, 30));
      expect(scoresOf(pinned)).toEqual((await direct(`models:/twice/${v1}`, pts(0, 0, 30))).slice(20));
      const moved = await post(svc, 'a', pts(0, 0, 10));
      expect([moved.body.model, scoresOf(moved)]).toEqual([
        `models:/twice/${v2}`,
        await direct(`models:/twice/${v2}`, pts(0, 0, 10)),
      ]);
    } finally {
      await svc.close();
    }
  });
});
