/**
 * A `SavableStream` whose `release()` throws, or returns a promise that rejects (fix46). The service calls
 * it when it drops a stream for good: the LRU's eviction once the checkpoint landed, DELETE, a reload's
 * restart, close(). Its failure is the stream's own: counted (`tsad_stream_release_failures_total`) and
 * logged as `ServeError` `release_failed`, never an unhandled rejection (Node 20 ends the process on
 * one), and it changes nothing else: the checkpoint written before it stays, the DELETE deletes, the
 * reload restarts every series, close() resolves, the LRU holds what it held.
 *
 * The streams are the model's real streams (`streamFactory`'s), wrapped so that their `release()` first
 * releases the real one and then fails; the service's model resolver hands out the wrapped factory.
 */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ModelJson } from '../../src/detectors/index.js';
import { loadModel } from '../../src/index.js';
import {
  createService,
  DirectoryCheckpointStore,
  type SavableStream,
  ServeError,
  type Service,
} from '../../src/serve/index.js';
import { post, pts, STEP, scoresOf, T0, writeOnlineForest } from '../helpers/serve.js';

let dir: string;
let file: string;
let model: ModelJson;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-serve-release-fail-'));
  ({ file, model } = writeOnlineForest(dir));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every unhandled rejection while a test runs: the test fails on any. */
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => {
  unhandled.push(reason);
};
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  // Node reports a rejection left unhandled once the microtasks have drained: one macrotask later
  await new Promise((r) => setImmediate(r));
  process.off('unhandledRejection', onUnhandled);
  vi.restoreAllMocks();
  expect(unhandled).toEqual([]);
});

/** How the wrapped streams' `release()` fails. */
type Failing = 'throws' | 'rejects';

/** A real stream of the model whose `release()` releases it and then fails as `how` says. */
function failing(inner: SavableStream, how: Failing, calls: string[], id: () => string): SavableStream {
  return {
    push: (t, v) => inner.push(t, v),
    save: () => inner.save(),
    release() {
      inner.release?.();
      calls.push(id());
      if (how === 'throws') throw new Error(`release of ${id()} failed`);
      return Promise.reject(new Error(`release of ${id()} failed`)) as unknown as undefined;
    },
  };
}

/**
 * The service of `opts` whose every stream's `release()` fails as `how` says; `calls` gets the id of each
 * series released (a stream learns its series from its first point's time, `ptsOf`).
 */
async function serviceWithFailingRelease(
  how: Failing,
  opts: { maxSeries: number; checkpoints?: boolean; model?: string; logger?: boolean },
) {
  const svc = await createService({
    model: opts.model ?? file,
    maxSeries: opts.maxSeries,
    ...(opts.checkpoints
      ? { checkpoints: new DirectoryCheckpointStore(mkdtempSync(join(dir, 'cps-'))) }
      : {}),
    checkpointEvery: 1_000_000,
    defaultMetrics: false,
    logger: opts.logger ?? false,
  });
  const calls: string[] = [];
  const get = svc.models.get.bind(svc.models);
  vi.spyOn(svc.models, 'get').mockImplementation((ref) => {
    const m = get(ref);
    const wrap = (s: SavableStream) => {
      let first: number | undefined;
      const w = failing(
        s,
        how,
        calls,
        () => `s${first === undefined ? '?' : Math.floor((first - T0) / STEP / 1000)}`,
      );
      return {
        ...w,
        push: (t: number, v: number) => {
          first ??= t;
          return w.push(t, v);
        },
      };
    };
    return {
      ...m,
      streams: { create: () => wrap(m.streams.create()), restore: (j) => wrap(m.streams.restore(j)) },
    };
  });
  return { svc, calls };
}

/** Points of series k: `pts` shifted by 1,000 k minutes, so that a stream tells its series by its first point's time. */
const ptsOf = (k: number, from: number, to: number): [number, number][] =>
  pts(k, from + 1000 * k, to + 1000 * k);

/** Scores of series k's points `from`..`to` on a stream of the model alone, as JSON carries them. */
function direct(k: number, from: number, to: number): number[] {
  const s = loadModel(model).stream();
  const all = ptsOf(k, 0, to).map(([t, v]) => s.push(t, v).score);
  return JSON.parse(JSON.stringify(all.slice(from)));
}

async function failures(svc: Service): Promise<number> {
  const m = await svc.metrics.registry.getSingleMetricAsString('tsad_stream_release_failures_total');
  return Number(/ (\d+)$/m.exec(m)?.[1]);
}

describe.each(['throws', 'rejects'] as const)('a stream whose release() %s', (how) => {
  it('evicted by the LRU: its checkpoint stays, the failure is counted, the series resumes from it', async () => {
    const { svc, calls } = await serviceWithFailingRelease(how, { maxSeries: 1, checkpoints: true });
    try {
      expect((await post(svc, 's0', ptsOf(0, 0, 10))).status).toBe(200);
      expect((await post(svc, 's1', ptsOf(1, 0, 10))).status).toBe(200); // evicts s0
      await svc.checkpointAll(); // s0's write settled, and its release after it
      await new Promise((r) => setImmediate(r));
      expect(calls).toEqual(['s0']);
      expect(await failures(svc)).toBe(1);
      expect(svc.liveCount()).toBe(1);
      // s0 comes back from the checkpoint its eviction wrote, as if never interrupted
      const r = await post(svc, 's0', ptsOf(0, 10, 20));
      expect(scoresOf(r)).toEqual(direct(0, 10, 20));
      expect(svc.liveCount()).toBe(1);
      const got = await svc.app.inject({ method: 'GET', url: '/v1/series/s1' });
      expect(got.json().points).toBe(10); // s1 (evicted in turn, its release failing too) is intact
      await svc.checkpointAll();
      await new Promise((r) => setImmediate(r));
      expect(calls).toEqual(['s0', 's1', 's0']);
      expect(await failures(svc)).toBe(3);
    } finally {
      await svc.close();
    }
  });

  it('DELETE: the series is forgotten and its checkpoint deleted all the same', async () => {
    const { svc, calls } = await serviceWithFailingRelease(how, { maxSeries: 10, checkpoints: true });
    try {
      expect((await post(svc, 's0', ptsOf(0, 0, 10))).status).toBe(200);
      await svc.checkpointAll();
      const del = await svc.app.inject({ method: 'DELETE', url: '/v1/series/s0' });
      expect([del.statusCode, del.json()]).toEqual([200, { id: 's0', live: true, checkpoint: true }]);
      await new Promise((r) => setImmediate(r));
      expect(calls).toEqual(['s0']);
      expect(await failures(svc)).toBe(1);
      expect((await svc.app.inject({ method: 'GET', url: '/v1/series/s0' })).statusCode).toBe(404);
    } finally {
      await svc.close();
    }
  });

  it("a reload's restart: every series of the moved model restarts, however many releases fail", async () => {
    const own = join(dir, `reloaded-${how}.json`);
    writeFileSync(own, JSON.stringify(model));
    const { svc, calls } = await serviceWithFailingRelease(how, { maxSeries: 10, model: own });
    try {
      for (let k = 0; k < 3; k++) expect((await post(svc, `s${k}`, ptsOf(k, 0, 10))).status).toBe(200);
      utimesSync(own, new Date(), new Date(Date.now() + 60_000)); // a new version of the file
      expect(await svc.reload()).toHaveLength(1);
      await new Promise((r) => setImmediate(r));
      expect(calls.sort()).toEqual(['s0', 's1', 's2']);
      expect(await failures(svc)).toBe(3);
      expect(svc.liveCount()).toBe(0);
      for (let k = 0; k < 3; k++)
        expect((await svc.app.inject({ method: 'GET', url: `/v1/series/s${k}` })).statusCode).toBe(404);
    } finally {
      await svc.close();
    }
  });

  it('close(): every live series is checkpointed and close() resolves; each failure counted', async () => {
    const { svc, calls } = await serviceWithFailingRelease(how, { maxSeries: 10, checkpoints: true });
    for (let k = 0; k < 3; k++) expect((await post(svc, `s${k}`, ptsOf(k, 0, 10))).status).toBe(200);
    await expect(svc.close()).resolves.toBeUndefined();
    await new Promise((r) => setImmediate(r));
    expect(calls.sort()).toEqual(['s0', 's1', 's2']);
    expect(await failures(svc)).toBe(3);
  });
});

it('with a logger, the failure is logged as ServeError release_failed naming the series, its cause kept', async () => {
  const { svc } = await serviceWithFailingRelease('throws', { maxSeries: 10, logger: true });
  const logged: unknown[] = [];
  vi.spyOn(svc.app.log, 'error').mockImplementation((x: unknown) => {
    logged.push(x);
  });
  expect((await post(svc, 's0', ptsOf(0, 0, 10))).status).toBe(200);
  expect((await svc.app.inject({ method: 'DELETE', url: '/v1/series/s0' })).statusCode).toBe(200);
  await svc.close();
  expect(logged).toHaveLength(1);
  const e = logged[0] as ServeError;
  expect(e).toBeInstanceOf(ServeError);
  expect(e.code).toBe('release_failed');
  expect(e.message).toContain('"s0"');
  expect((e.cause as Error).message).toBe('release of s0 failed');
});
