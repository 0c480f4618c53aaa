/**
 * A checkpoint store that fails or hangs: the directory store's file-system errors (a real folder that
 * fails where one can be made to, EIO and the like through fs spies where none can) answer a typed
 * `checkpoint_store_failed` that says what to fix, and a store that never answers (a real peer on
 * loopback that accepts and keeps silent) is waited for at most `storeTimeoutMs`; no series loses its
 * live state or takes a stale one.
 */
import fs, { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ModelJson } from '../../src/detectors/index.js';
import { loadModel, ZmsDetector } from '../../src/index.js';
import {
  type CheckpointStore,
  createService,
  DirectoryCheckpointStore,
  type SeriesCheckpoint,
  type Service,
} from '../../src/serve/index.js';
import { gate } from '../helpers/gate.js';
import { post, pts, STEP, scoresOf, T0, value } from '../helpers/serve.js';

let dir: string;
let file: string;
let zms: ModelJson;

/** Scores of a stream of the model loaded on its own, as JSON carries them (-0 reads back as 0). */
function direct(points: [number, number][]): number[] {
  const s = loadModel(zms).stream();
  return JSON.parse(JSON.stringify(points.map(([t, v]) => s.push(t, v).score)));
}

const metric = async (svc: Service, name: string) =>
  Number(
    new RegExp(`^${name} (\\d+)$`, 'm').exec(
      (await svc.app.inject({ method: 'GET', url: '/metrics' })).body,
    )?.[1],
  );

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-store-failures-'));
  const det = new ZmsDetector({});
  det.train({
    t: Float64Array.from({ length: 300 }, (_, i) => T0 - (300 - i) * STEP),
    v: Float64Array.from({ length: 300 }, (_, i) => value(i, 0)),
  });
  zms = det.toJSON();
  file = join(dir, 'model.json');
  writeFileSync(file, JSON.stringify(zms));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function service(checkpoints: CheckpointStore, more: { maxSeries?: number; storeTimeoutMs?: number } = {}) {
  return createService({
    model: file,
    checkpoints,
    checkpointEvery: 1_000_000,
    defaultMetrics: false,
    ...more,
  });
}

describe('the directory store when its file system fails', () => {
  it('a file where the checkpoint folder should be: typed checkpoint_store_failed (500, say what to fix), nothing created; a folder there again, the series is served', async () => {
    const cps = join(dir, 'cp-a-file');
    writeFileSync(cps, 'a file where the checkpoint folder should be\n');
    const svc = await service(new DirectoryCheckpointStore(cps));
    try {
      for (const method of ['POST', 'GET'] as const) {
        const r = await svc.app.inject({
          method,
          url: method === 'GET' ? '/v1/series/c' : '/v1/series/c/points',
          ...(method === 'POST' ? { payload: { t: T0, v: 1 } } : {}),
        });
        expect([method, r.statusCode, r.json().error]).toEqual([method, 500, 'checkpoint_store_failed']);
        expect(r.json().message).toMatch(/cp-a-file\/c\.json.*ENOTDIR/);
        expect(r.json().message).toMatch(/is a file, not a folder: move that file away/);
        expect(r.json().message).toMatch(/nothing was scored or changed/);
      }
      expect(svc.liveCount()).toBe(0);
      rmSync(cps);
      mkdirSync(cps);
      const ok = await post(svc, 'c', pts(0, 0, 20));
      expect(ok.status).toBe(200);
      expect(scoresOf(ok)).toEqual(direct(pts(0, 0, 20)));
    } finally {
      await svc.close();
    }
  });

  it('a checkpoint write that fails (a folder where its file should be) keeps the series live, counts the failure, and close() says what to fix', async () => {
    const cps = join(dir, 'cp-write-fails');
    const svc = await service(new DirectoryCheckpointStore(cps), { maxSeries: 1 });
    let closed = false;
    try {
      expect((await post(svc, 'a', pts(1, 0, 30))).status).toBe(200);
      mkdirSync(join(cps, 'a.json', 'in-the-way'), { recursive: true }); // a's file cannot be put in place
      // b evicts a: its write fails, so a comes back into memory with everything it learned
      expect((await post(svc, 'b', pts(2, 0, 10))).status).toBe(200);
      await vi.waitFor(() => expect(svc.liveCount()).toBe(2), { timeout: 10_000 });
      expect(await metric(svc, 'tsad_checkpoint_failures_total')).toBe(1);
      const a = await post(svc, 'a', pts(1, 30, 40));
      expect(scoresOf(a)).toEqual(direct(pts(1, 0, 40)).slice(30));
      // shutdown cannot write it either: the error names the file and what to do (b is written)
      const err = await svc.close().then(
        () => undefined,
        (e: unknown) => e,
      );
      closed = true;
      expect(err).toMatchObject({ name: 'ServeError', code: 'checkpoint_store_failed', status: 500 });
      expect(String((err as Error).message)).toMatch(
        /cannot write the checkpoint .*cp-write-fails\/a\.json of series "a" \(EISDIR\).*a folder stands where the checkpoint file should be/,
      );
      expect(fs.existsSync(join(cps, 'b.json'))).toBe(true);
    } finally {
      if (!closed) await svc.close().catch(() => undefined);
    }
  });

  it("close() settles only once every series' write has: one write that fails does not cut short another still landing", async () => {
    // (rev46: checkpointAll's Promise.all rejected at the first failure, so close() answered while b's
    // write was still on its way: the test above read b.json missing once under load, and a process
    // that exits on that answer loses b's last points)
    const kept = new Map<string, SeriesCheckpoint>();
    const slow = gate();
    let failed = false;
    const store: CheckpointStore = {
      load: async (id) => kept.get(id),
      save: async (cp) => {
        if (cp.id === 'a') {
          failed = true;
          throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
        }
        await slow.wait;
        kept.set(cp.id, cp);
      },
      delete: async (id) => {
        kept.delete(id);
      },
      list: async () => [...kept.keys()],
    };
    const svc = await service(store, { maxSeries: 2 });
    expect((await post(svc, 'a', pts(1, 0, 10))).status).toBe(200);
    expect((await post(svc, 'b', pts(2, 0, 10))).status).toBe(200);
    let bWrittenWhenClosed: boolean | undefined;
    const closed = svc.close().then(
      () => undefined,
      (e: unknown) => {
        bWrittenWhenClosed = kept.has('b');
        return e;
      },
    );
    await vi.waitFor(() => expect(failed).toBe(true), { timeout: 10_000 });
    await new Promise((r) => setImmediate(r)); // a's failure has been seen by close() by now
    slow.open();
    const err = await closed;
    expect(String((err as Error).message)).toMatch(/EIO/); // a's failure, as the store gave it
    expect(bWrittenWhenClosed).toBe(true);
    expect(kept.get('b')?.points).toBe(10);
  });

  it('a checkpoint holds the alarms of its own points: a store that serialises late sees no alarm pushed after it was taken', async () => {
    // (rev46: the snapshot held the series' alarm list itself, so a store that serialises after an await,
    // as the directory store does after making its folder, wrote alarms of points the checkpoint lacks)
    const written: SeriesCheckpoint[] = [];
    const held = gate();
    const store: CheckpointStore = {
      load: async () => undefined,
      save: async (cp) => {
        await held.wait;
        written.push(JSON.parse(JSON.stringify(cp)));
      },
      delete: async () => undefined,
      list: async () => [],
    };
    const svc = await createService({
      model: file,
      checkpoints: store,
      checkpointEvery: 40,
      defaultMetrics: false,
    });
    try {
      expect((await post(svc, 's', pts(0, 0, 40))).status).toBe(200); // its periodic write is taken, held
      // a drop to -1000 at point 50: an alarm after the checkpoint was taken
      const later = await post(
        svc,
        's',
        pts(0, 40, 60).map(([t, v], j) => [t, j === 10 ? -1000 : v] as [number, number]),
      );
      expect(later.body.results.filter((r: { alarm: boolean }) => r.alarm).length).toBeGreaterThan(0);
      held.open();
      await vi.waitFor(() => expect(written.length).toBe(1), { timeout: 10_000 });
      expect(written[0].points).toBe(40);
      for (const a of written[0].alarms) expect(a.t).toBeLessThanOrEqual(written[0].lastT as number);
    } finally {
      held.open();
      await svc.close();
    }
  });

  it('a write queued behind one that fails is still tried (each write holds a newer state)', async () => {
    const kept = new Map<string, SeriesCheckpoint>();
    const first = gate();
    let saves = 0;
    const store: CheckpointStore = {
      load: async (id) => kept.get(id),
      save: async (cp) => {
        if (++saves === 1) {
          await first.wait;
          throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
        }
        kept.set(cp.id, cp);
      },
      delete: async (id) => {
        kept.delete(id);
      },
      list: async () => [...kept.keys()],
    };
    const svc = await createService({
      model: file,
      checkpoints: store,
      maxSeries: 1,
      checkpointEvery: 10,
      defaultMetrics: false,
    });
    try {
      expect((await post(svc, 'q', pts(8, 0, 10))).status).toBe(200); // its periodic write starts, held
      expect((await post(svc, 'r', pts(9, 0, 5))).status).toBe(200); // q's eviction queues a second write
      first.open(); // the first write fails; the second is tried and writes q's checkpoint
      await vi.waitFor(() => expect(kept.get('q')?.points).toBe(10), { timeout: 10_000 });
      expect(saves).toBe(2);
      expect(await metric(svc, 'tsad_checkpoint_failures_total')).toBe(1);
      const q = await post(svc, 'q', pts(8, 10, 20));
      expect(scoresOf(q)).toEqual(direct(pts(8, 0, 20)).slice(10));
    } finally {
      await svc.close();
    }
  });

  it('EIO, ENOSPC and the like answer 503 (retrying may help), EACCES and EROFS 500, each saying what to fix; the series is restored once the folder reads again', async () => {
    const cps = join(dir, 'cp-errno');
    const svc = await service(new DirectoryCheckpointStore(cps), { maxSeries: 1 });
    try {
      expect((await post(svc, 'e', pts(3, 0, 30))).status).toBe(200);
      expect((await post(svc, 'other', pts(4, 0, 5))).status).toBe(200); // e is evicted (checkpointed)
      await vi.waitFor(() => expect(fs.existsSync(join(cps, 'e.json'))).toBe(true), { timeout: 10_000 });
      const cases: [string, number, RegExp][] = [
        ['EIO', 503, /reported an I\/O error: check the disk or the network mount/],
        ['ENOSPC', 503, /is full/],
        ['EMFILE', 503, /too many open files/],
        ['ESTALE', 503, /retry/],
        ['EACCES', 500, /this user cannot read or write there: give it access/],
        ['EROFS', 500, /read-only/],
      ];
      const realReadFile = fs.promises.readFile;
      for (const [code, status, hint] of cases) {
        const spy = vi.spyOn(fs.promises, 'readFile').mockImplementation(async (path, ...rest) => {
          if (String(path).startsWith(cps))
            throw Object.assign(new Error(`${code}: failed, read '${String(path)}'`), { code });
          return realReadFile(path, ...(rest as [])) as never;
        });
        syncBuiltinESMExports();
        try {
          const r = await post(svc, 'e', pts(3, 30, 31));
          expect([code, r.status, r.body.error]).toEqual([code, status, 'checkpoint_store_failed']);
          expect(r.body.message).toMatch(hint);
          expect(r.body.message).toMatch(/e\.json/);
        } finally {
          spy.mockRestore();
          syncBuiltinESMExports();
        }
      }
      const r = await post(svc, 'e', pts(3, 30, 40));
      expect(r.status).toBe(200);
      expect(scoresOf(r)).toEqual(direct(pts(3, 0, 40)).slice(30));
    } finally {
      await svc.close();
    }
  });
});

/**
 * The bound the hanging-store tests give the service: long enough that a peer which does answer (a
 * loopback round trip on a loaded CI machine) is never taken for a silent one; each wait on a silent
 * peer costs it once.
 */
const BOUND_MS = 2000;

/**
 * A peer on loopback that accepts every request and answers those whose path `hangs` does not match;
 * the requests it holds are kept (`held`, by path) so a test can answer them late.
 */
async function peer(): Promise<{
  url: string;
  hangs: { on: RegExp };
  held: { path: string; res: ServerResponse }[];
  server: Server;
}> {
  const held: { path: string; res: ServerResponse }[] = [];
  const hangs = { on: /./ };
  const server = createServer((req, res) => {
    if (hangs.on.test(req.url ?? '')) held.push({ path: req.url ?? '', res });
    else res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, hangs, held, server };
}

/** One HTTP GET without a timeout of its own (a client that trusts its peer). */
function ask(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve(body));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

/**
 * A remote checkpoint store as a custom one might be written: every call first asks the peer, then
 * works on `kept`; a `load` the peer answers late may carry `late` (what a slow store would return).
 */
function remoteStore(url: string, kept: Map<string, SeriesCheckpoint>) {
  const late = new Map<string, SeriesCheckpoint>();
  const loads = { asked: 0, settled: 0 };
  const store: CheckpointStore = {
    async load(id) {
      loads.asked++;
      try {
        await ask(`${url}/load/${id}`);
        return late.get(id) ?? kept.get(id);
      } finally {
        loads.settled++;
      }
    },
    async has(id) {
      await ask(`${url}/has/${id}`);
      return kept.has(id);
    },
    async save(cp) {
      await ask(`${url}/save/${cp.id}`);
      kept.set(cp.id, cp);
    },
    async delete(id) {
      await ask(`${url}/delete/${id}`);
      kept.delete(id);
    },
    async list() {
      return [...kept.keys()];
    },
  };
  return { store, late, loads };
}

/** Answers the requests `p` holds whose path matches `which`. */
function answer(p: Awaited<ReturnType<typeof peer>>, which = /./): number {
  const now = p.held.filter((h) => which.test(h.path));
  for (const h of now) {
    p.held.splice(p.held.indexOf(h), 1);
    h.res.end('late');
  }
  return now.length;
}

/** Closes the peer (after the service that asks it). */
async function stop(p: Awaited<ReturnType<typeof peer>>): Promise<void> {
  p.server.closeAllConnections();
  await new Promise((r) => p.server.close(r));
}

describe('a checkpoint store that never answers', () => {
  it('a bound that is not a whole number of ms from 1 to 2^31 - 1 is refused at start (ConfigError bad_option)', async () => {
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
      await expect(
        service(new DirectoryCheckpointStore(join(dir, 'cp-bound')), { storeTimeoutMs: bad }),
      ).rejects.toMatchObject({
        name: 'ConfigError',
        code: 'bad_option',
        message: expect.stringMatching(
          /^storeTimeoutMs .* must be a whole number of milliseconds from 1 to 2147483647/,
        ),
      });
    }
  });

  it('a load is waited for at most storeTimeoutMs: typed 503, nothing created; a load answered late changes nothing', async () => {
    const p = await peer();
    const kept = new Map<string, SeriesCheckpoint>();
    const { store, late, loads } = remoteStore(p.url, kept);
    const svc = await service(store, { storeTimeoutMs: BOUND_MS });
    try {
      const r = await post(svc, 'h', pts(5, 0, 10));
      expect(r.status).toBe(503);
      expect(r.body.error).toBe('checkpoint_store_failed');
      expect(r.body.message).toMatch(
        /the checkpoint store did not answer within 2 s \(storeTimeoutMs; tsad serve --store-timeout-seconds\) while loading series "h"/,
      );
      expect(r.body.message).toMatch(/nothing was scored or changed/);
      const g = await svc.app.inject({ method: 'GET', url: '/v1/series/h' });
      expect([g.statusCode, g.json().error]).toEqual([503, 'checkpoint_store_failed']);
      const d = await svc.app.inject({ method: 'DELETE', url: '/v1/series/h' });
      expect([d.statusCode, d.json().error]).toEqual([503, 'checkpoint_store_failed']);
      expect(d.json().message).toMatch(/did not answer within 2 s .*while deleting series "h"/);
      expect(svc.liveCount()).toBe(0);
      // the peer answers again (first the DELETE it held, which finds no checkpoint): the series starts
      // from its model
      p.hangs.on = /^$/;
      expect(answer(p, /^\/has\//)).toBe(1);
      const ok = await post(svc, 'h', pts(5, 0, 30));
      expect(ok.status).toBe(200);
      expect(scoresOf(ok)).toEqual(direct(pts(5, 0, 30)));
      // the loads it held answer now, one with a checkpoint of another state: the live series is kept
      late.set('h', {
        format: 'tsad-serve-checkpoint',
        version: 1,
        id: 'h',
        model: svc.models.get(file).version, // a checkpoint this model would resume
        points: 999,
        lastT: T0 + 999 * STEP,
        alarms: [],
        state: { kind: 'replay', t: [], v: [] },
      });
      expect(answer(p, /^\/load\//)).toBe(2); // the POST's and the GET's
      await vi.waitFor(() => expect(loads.settled).toBe(loads.asked), { timeout: 10_000 });
      const state = (await svc.app.inject({ method: 'GET', url: '/v1/series/h' })).json();
      expect(state).toMatchObject({ id: 'h', points: 30, lastT: T0 + 29 * STEP });
      const more = await post(svc, 'h', pts(5, 30, 40));
      expect(scoresOf(more)).toEqual(direct(pts(5, 0, 40)).slice(30));
    } finally {
      p.hangs.on = /^$/;
      answer(p);
      await svc.close();
      await stop(p);
    }
  });

  it('an eviction whose write hangs: a request for that series answers 503 after the bound, the series keeps its state; close() does not wait for ever', async () => {
    const p = await peer();
    p.hangs.on = /^$/;
    const kept = new Map<string, SeriesCheckpoint>();
    const { store } = remoteStore(p.url, kept);
    const svc = await service(store, { maxSeries: 1, storeTimeoutMs: BOUND_MS });
    let closed = false;
    try {
      expect((await post(svc, 'w', pts(6, 0, 30))).status).toBe(200);
      p.hangs.on = /^\/save\//; // the next write (w's eviction) hangs
      expect((await post(svc, 'x', pts(7, 0, 5))).status).toBe(200);
      const r = await post(svc, 'w', pts(6, 30, 40));
      expect([r.status, r.body.error]).toEqual([503, 'checkpoint_store_failed']);
      expect(r.body.message).toMatch(
        /did not answer within 2 s .*while writing the checkpoint of series "w"/,
      );
      // the write completes: w is restored from it and continues as if never interrupted
      p.hangs.on = /^$/;
      expect(answer(p)).toBe(1);
      await vi.waitFor(() => expect(kept.has('w')).toBe(true), { timeout: 10_000 });
      const ok = await post(svc, 'w', pts(6, 30, 40));
      expect(ok.status).toBe(200);
      expect(scoresOf(ok)).toEqual(direct(pts(6, 0, 40)).slice(30));
      // shutdown's writes hang: close() gives up after the bound with the typed error
      p.hangs.on = /^\/save\//;
      const err = await svc.close().then(
        () => undefined,
        (e: unknown) => e,
      );
      closed = true;
      expect(err).toMatchObject({ code: 'checkpoint_store_failed', status: 503 });
    } finally {
      p.hangs.on = /^$/;
      answer(p);
      if (!closed) await svc.close().catch(() => undefined);
      await stop(p);
    }
  });
});
