/**
 * MLflow's limits, checked against the real servers: which keys the real MLflow server accepts
 * (its Python `\w` is Unicode-aware), lengths counted as Python counts them (code points), negative
 * timestamps; the same calls on the local store and PostgreSQL; and a PostgreSQL connection the
 * server ends in the middle of a run. The oracle for "MLflow accepts" is the real server's answer to
 * a raw REST request, never tsad's own validation.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackingError } from '../../src/index.js';
import {
  createMlflowTracker,
  MlflowApiError,
  openTracker,
  type Tracker,
  TrackingValidationError,
} from '../../src/tracking/index.js';
import { FakeModel } from '../conformance/tracker-suite.js';
import { type MlflowServer, startMlflow } from '../helpers/mlflow-server.js';
import { type PgServer, startPostgres } from './pg-server.js';

let sqlite: MlflowServer;
let file: MlflowServer;
let pgServer: PgServer;
let dir: string;
beforeAll(async () => {
  [sqlite, file, pgServer, dir] = await Promise.all([
    startMlflow({ backend: 'sqlite' }),
    startMlflow({ backend: 'file' }),
    startPostgres(),
    mkdtemp(join(tmpdir(), 'tsad-limits-')),
  ]);
}, 180_000);
afterAll(async () => {
  await Promise.all([sqlite?.close(), file?.close(), pgServer?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const mlflow = (s: MlflowServer): Tracker => createMlflowTracker(s.url, { env: {} as NodeJS.ProcessEnv });
const backends = (): [string, () => Tracker][] => [
  ['local store', () => openTracker(`file:${dir}/store`)],
  ['PostgreSQL', () => openTracker(`${pgServer.uri}?schema=limits`)],
  ['MLflow (sqlite)', () => mlflow(sqlite)],
  ['MLflow (file)', () => mlflow(file)],
];

/** The real server's own answer to one log-batch of one metric under `key` (no tsad code involved). */
async function serverAccepts(server: MlflowServer, runId: string, key: string): Promise<boolean> {
  const res = await fetch(`${server.url}/api/2.0/mlflow/runs/log-batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ run_id: runId, metrics: [{ key, value: 1, timestamp: 1, step: 0 }] }),
  });
  await res.text();
  if (res.status !== 200 && res.status !== 400) throw new Error(`server answered ${res.status} for ${key}`);
  return res.status === 200;
}

describe('keys: tsad accepts exactly the keys the real MLflow server accepts', () => {
  it('generated keys over ASCII, letters and digits of other scripts, combining marks, emoji and symbols', async () => {
    const tr = mlflow(sqlite);
    const run = await tr.startRun({ experiment: 'keys-oracle' });
    const raw = await tr.startRun({ experiment: 'keys-oracle' });
    const chars = [...'aZ09_-. :/é日Жß²٣\u0301😀€©+!'];
    const key = fc
      .array(fc.constantFrom(...chars), { minLength: 1, maxLength: 8 })
      .map((a) => a.join(''))
      // keys that are paths MLflow normalises are refused by both (tested elsewhere): keep to plain names
      .filter((k) => !k.startsWith('/') && !k.startsWith('.') && !/\/\/|\/$|\/\.|\.\//.test(k));
    const mismatches: string[] = [];
    await fc.assert(
      fc.asyncProperty(key, async (k) => {
        const server = await serverAccepts(sqlite, raw.id, k);
        let tsad = true;
        try {
          await run.logMetric(k, 1);
        } catch (err) {
          expect(err).toBeInstanceOf(TrackingValidationError);
          tsad = false;
        }
        if (tsad !== server) mismatches.push(`${JSON.stringify(k)}: server ${server}, tsad ${tsad}`);
      }),
      { numRuns: 150, seed: 16 }, // each one a request to the real server
    );
    expect(mismatches).toEqual([]);
    await Promise.all([run.end(), raw.end()]);
  });

  it.each(backends())(
    '%s: unicode keys and 4000-emoji values round-trip; search finds them',
    async (_, make) => {
      const tr = make();
      const experiment = `unicode-é-${Date.now()}`;
      const long = `a${'😀'.repeat(4000)}`; // 4001 characters for Python and PostgreSQL, 8001 UTF-16 units
      const id = await tr.run({ experiment, name: 'ünï' }, async (r) => {
        await r.logMetric('température', 21.5, { step: 3, timestamp: 1_700_000_000_000 });
        await r.logMetric('损失/阶段 1', 0.25);
        await r.logParams({ café: long, 'x²': 'naïve ✓ 日本' });
        await r.setTag('équipe', 'ops');
        return r.id;
      });
      const got = await tr.getRun(id);
      expect(got.data.params.café).toBe(long);
      expect(got.data.params['x²']).toBe('naïve ✓ 日本');
      expect(got.data.tags.équipe).toBe('ops');
      expect(got.data.metrics.température).toMatchObject({
        value: 21.5,
        step: 3,
        timestamp: 1_700_000_000_000,
      });
      expect((await tr.getMetricHistory(id, '损失/阶段 1')).map((p) => p.value)).toEqual([0.25]);
      const found = await tr.searchRuns({
        experiment,
        filter: "metrics.`température` > 20 and params.`x²` LIKE 'naïve%'",
      });
      expect(found.map((r) => r.info.runId)).toEqual([id]);
      const bare = await tr.searchRuns({ experiment, filter: "tags.équipe = 'ops'" });
      expect(bare.map((r) => r.info.runId)).toEqual([id]);
      await tr.close();
    },
  );

  it("MLflow reads back the unicode run as tsad logged it (MLflow's own Python client)", async () => {
    const tr = mlflow(sqlite);
    const experiment = `unicode-readback-${Date.now()}`;
    const long = '😀'.repeat(6000); // the param limit exactly, in Python's count
    await tr.run({ experiment }, async (r) => {
      await r.logMetric('température', 21.5, { step: 7, timestamp: 1_700_000_000_123 });
      await r.logParams({ café: long });
    });
    const dump = (await sqlite.readStore({ stable: false })) as {
      experiments: {
        name: string;
        runs: {
          params: Record<string, string>;
          metric_history: Record<string, { value: number; step: number; timestamp: number }[]>;
        }[];
      }[];
    };
    const runs = dump.experiments.find((e) => e.name === experiment)?.runs ?? [];
    expect(runs).toHaveLength(1);
    expect(runs[0].params.café).toBe(long);
    expect(runs[0].metric_history.température).toMatchObject([
      { value: 21.5, step: 7, timestamp: 1_700_000_000_123 },
    ]);
  });

  it.each(backends())(
    "%s: a key part over 255 UTF-8 bytes is refused before storing (a file name on MLflow's file backend)",
    async (_, make) => {
      const tr = make();
      const run = await tr.startRun({ experiment: 'long-unicode-key' });
      const err = await run.logMetric('é'.repeat(200), 1).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TrackingValidationError);
      expect((err as TrackingError).code).toBe('invalid_key');
      expect((err as Error).message).toMatch(/400 bytes in UTF-8.*255-byte/);
      await run.logMetric(`${'é'.repeat(120)}/${'é'.repeat(120)}`, 1); // split by "/": each part fits
      await run.end();
      await tr.close();
    },
  );
});

describe('values: lengths and timestamps as MLflow counts them', () => {
  it.each(backends())(
    '%s: 6000 characters of emoji are one param value; 6001 are refused',
    async (_, make) => {
      const tr = make();
      const run = await tr.startRun({ experiment: 'lengths' });
      await run.logParams({ ok: '😀'.repeat(6000) });
      await run.setTag('t', '😀'.repeat(8000));
      const err = await run.logParams({ over: '😀'.repeat(6001) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TrackingValidationError);
      expect((err as Error).message).toContain('6001 characters; the limit is 6000');
      await run.end();
      const got = await tr.getRun(run.id);
      expect(got.data.params.ok).toBe('😀'.repeat(6000));
      expect(got.data.tags.t).toBe('😀'.repeat(8000));
      await tr.close();
    },
  );

  it.each(backends())(
    '%s: a negative metric timestamp is refused the same way on every backend',
    async (_, make) => {
      const tr = make();
      const run = await tr.startRun({ experiment: 'timestamps' });
      const err = await run.logMetric('m', 1, { timestamp: -5 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TrackingValidationError);
      expect(err).not.toBeInstanceOf(MlflowApiError);
      expect((err as Error).message).toMatch(/0 or later/);
      await run.logMetric('m', 1, { timestamp: 0 });
      await run.end();
      expect((await tr.getMetricHistory(run.id, 'm')).map((p) => p.timestamp)).toEqual([0]);
      await tr.close();
    },
  );

  it.each(backends())(
    '%s: logModel truncates an over-long config value by characters, never splitting an emoji',
    async (_, make) => {
      const tr = make();
      const run = await tr.startRun({ experiment: 'model-params' });
      const fits = `a${'😀'.repeat(5999)}`; // 6000 characters: kept whole
      const over = '😀'.repeat(7000);
      await run.logModel(new FakeModel('fake', { fits, over }));
      await run.end();
      const got = await tr.getRun(run.id);
      expect(got.data.params['model.config.fits']).toBe(fits);
      const cut = got.data.params['model.config.over'];
      expect(cut.endsWith('...[truncated]')).toBe(true);
      expect([...cut]).toHaveLength(6000);
      await tr.close();
    },
  );
});

describe('PostgreSQL: the server ends the connections in the middle of a run', () => {
  async function terminateOthers(admin: pg.Client): Promise<void> {
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database()',
    );
  }

  it('transactions, reads and a metrics-only write (guarded by its batch id) are sent again on a fresh connection; nothing is doubled', async () => {
    const admin = new pg.Client({ connectionString: pgServer.uri });
    admin.on('error', () => undefined);
    await admin.connect();
    const tr = openTracker(`${pgServer.uri}?schema=dropped`);
    try {
      const run = await tr.startRun({ experiment: 'dropped' });
      for (let i = 0; i < 40; i++) {
        await terminateOthers(admin); // ends the pool's connections, idle since the last call
        // a transaction (params + tags + a metric): retried, so it always succeeds
        await run.logBatch({
          params: [{ key: `p${i}`, value: String(i) }],
          tags: [{ key: 'i', value: String(i) }],
          metrics: [{ key: 'tx', value: i, step: i, timestamp: 1_700_000_000_000 + i }],
        });
        await terminateOthers(admin);
        // a read: retried
        expect((await tr.getRun(run.id)).data.tags.i).toBe(String(i));
        await terminateOthers(admin);
        // one statement outside a transaction, sent again under its batch id: stored once
        await run.logMetric('single', i, { step: i });
      }
      await run.end();
      const tx = await tr.getMetricHistory(run.id, 'tx');
      expect(tx.map((p) => p.step)).toEqual(Array.from({ length: 40 }, (_, i) => i)); // each batch once
      const got = await tr.getRun(run.id);
      expect(Object.keys(got.data.params)).toHaveLength(40);
      const single = await tr.getMetricHistory(run.id, 'single');
      expect(single.map((p) => p.step)).toEqual(Array.from({ length: 40 }, (_, i) => i));
      expect(got.info.status).toBe('FINISHED');
    } finally {
      await tr.close();
      await admin.end();
    }
  });

  it('a tags-only write (one idempotent upsert) is sent again on a fresh connection', async () => {
    const admin = new pg.Client({ connectionString: pgServer.uri });
    admin.on('error', () => undefined);
    await admin.connect();
    const tr = openTracker(`${pgServer.uri}?schema=dropped_tags`);
    try {
      const run = await tr.startRun({ experiment: 'dropped-tags' });
      for (let i = 0; i < 10; i++) {
        await terminateOthers(admin); // every pooled connection is dead: the first send fails
        await run.setTags({ only: String(i), [`k${i}`]: 'x' });
        await run.setTag('only', String(i)); // the same value again: an upsert
      }
      await run.end();
      const got = await tr.getRun(run.id);
      expect(got.data.tags.only).toBe('9');
      expect(Object.keys(got.data.tags).filter((k) => /^k\d$/.test(k))).toHaveLength(10);
    } finally {
      await tr.close();
      await admin.end();
    }
  });
});
