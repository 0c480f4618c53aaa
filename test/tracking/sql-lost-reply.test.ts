/**
 * A write whose reply is lost after the PostgreSQL server committed it (a proxy cuts the connection
 * at the server's ReadyForQuery, see pg-proxy.ts): the worst moment, as the client cannot tell a
 * stored write from a lost one. Every such write is sent again under the same batch id and is
 * stored exactly once: a metrics-only batch (one statement), a mixed batch lost during its COMMIT,
 * the run's end, an artifact, dataset inputs and a run's deletion. And two sends of the same batch at
 * once store it once.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlDialect } from '../../src/internal.js';
import { openTracker } from '../../src/tracking/index.js';
import { type PgProxy, startPgProxy } from './pg-proxy.js';
import { type PgServer, startPostgres } from './pg-server.js';

let server: PgServer;
let proxy: PgProxy;
beforeAll(async () => {
  server = await startPostgres();
  proxy = await startPgProxy(server.uri);
}, 60_000);
afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

const T0 = 1_700_000_000_000;
const points = (key: string, from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    key,
    value: (from + i) / 3,
    step: from + i,
    timestamp: T0 + from + i,
  }));

describe('PostgreSQL: the reply of a committed write is lost', () => {
  it('a metrics-only batch is sent again and its points are stored exactly once', async () => {
    const tr = openTracker(`${proxy.uri}?schema=lost_metrics`);
    try {
      const run = await tr.startRun({ experiment: 'lost-metrics' });
      await run.logBatch({ metrics: points('m', 0, 100) });
      const before = proxy.dropped;
      // the metric insert is the marker: the one statement of a metrics-only batch
      proxy.dropReplyAfter('tsad_metrics" (run_id');
      await run.logBatch({ metrics: points('m', 100, 150) });
      proxy.dropReplyAfter('tsad_metrics" (run_id');
      await run.logMetric('one', 42, { step: 7, timestamp: T0 });
      expect(proxy.dropped - before).toBe(2); // both replies were lost after the server stored the write
      await run.logBatch({ metrics: points('m', 250, 50) });
      await run.end();
      const m = await tr.getMetricHistory(run.id, 'm');
      expect(m.map((p) => p.step)).toEqual(points('m', 0, 300).map((p) => p.step));
      expect((await tr.getMetricHistory(run.id, 'one')).map((p) => [p.step, p.value])).toEqual([[7, 42]]);
      const got = await tr.getRun(run.id);
      expect(got.data.metrics.m?.step).toBe(299);
      expect(got.info.status).toBe('FINISHED');
    } finally {
      await tr.close();
    }
  });

  it('a mixed batch lost during its COMMIT, the run end and an artifact: each stored once, no error', async () => {
    const tr = openTracker(`${proxy.uri}?schema=lost_commit`);
    try {
      const run = await tr.startRun({ experiment: 'lost-commit' });
      const before = proxy.dropped;
      proxy.dropReplyAfter('COMMIT');
      await run.logBatch({
        params: [{ key: 'p', value: '1' }],
        tags: [{ key: 't', value: 'x' }],
        metrics: points('mixed', 0, 40),
      });
      proxy.dropReplyAfter('COMMIT');
      await run.logArtifact({ name: 'a.txt', bytes: 'hello' });
      proxy.dropReplyAfter('COMMIT');
      await run.end();
      expect(proxy.dropped - before).toBe(3);
      const got = await tr.getRun(run.id);
      expect([got.data.params.p, got.data.tags.t, got.info.status]).toEqual(['1', 'x', 'FINISHED']);
      const h = await tr.getMetricHistory(run.id, 'mixed');
      expect(h.map((p) => p.step)).toEqual(points('mixed', 0, 40).map((p) => p.step));
      expect(new TextDecoder().decode(await tr.readArtifact(run.id, 'a.txt'))).toBe('hello');
    } finally {
      await tr.close();
    }
  });

  it('creating an experiment and a run, registering a version, setting, moving and deleting aliases: each stored once, no error', async () => {
    const tr = openTracker(`${proxy.uri}?schema=lost_create`);
    const counter = new pg.Client({ connectionString: server.uri });
    await counter.connect();
    try {
      await tr.startRun({ experiment: 'warm-up' }).then((r) => r.end()); // tables made before any fault
      const before = proxy.dropped;
      // the experiment's insert (one statement), then the run's transaction (its COMMIT)
      proxy.dropReplyAfter('tsad_experiments" (experiment_id');
      proxy.dropReplyAfter('COMMIT');
      const run = await tr.startRun({ experiment: 'lost-create', name: 'once', tags: { k: 'v' } });
      expect(proxy.dropped - before).toBe(2);
      await run.logArtifact({ name: 'model/model.json', bytes: '{}' }); // registerModel needs a model
      await run.end();
      expect((await tr.listExperiments()).filter((e) => e.name === 'lost-create')).toHaveLength(1);
      const runs = await tr.searchRuns({ experiment: 'lost-create' });
      expect(runs.map((r) => [r.info.runId, r.info.runName, r.data.tags.k])).toEqual([[run.id, 'once', 'v']]);

      proxy.dropReplyAfter('COMMIT');
      const v1 = await tr.registerModel('lost-model', run.id);
      proxy.dropReplyAfter('COMMIT');
      const v2 = await tr.registerModel('lost-model', run.id);
      expect([v1.version, v2.version]).toEqual([1, 2]);
      expect((await tr.listModelVersions('lost-model')).map((v) => v.version)).toEqual([1, 2]);
      // an alias set, moved by compare-and-set (one statement each), tagged and deleted
      proxy.dropReplyAfter('tsad_model_aliases');
      await tr.setAlias('lost-model', 'champion', 1);
      proxy.dropReplyAfter('tsad_model_aliases');
      await tr.setAlias('lost-model', 'champion', 2, { expected: 1 });
      proxy.dropReplyAfter('tsad_model_aliases');
      await tr.setAlias('lost-model', 'fresh', 1, { expected: null });
      proxy.dropReplyAfter('tsad_model_version_tags');
      await tr.setModelVersionTag('lost-model', 2, 'why', 'better');
      proxy.dropReplyAfter('DELETE FROM');
      await tr.deleteAlias('lost-model', 'fresh');
      expect(proxy.dropped - before).toBe(9);
      expect((await tr.getModelVersion('lost-model', 'champion')).version).toBe(2);
      expect((await tr.listRegisteredModels()).find((m) => m.name === 'lost-model')?.aliases).toEqual({
        champion: 2,
      });
      expect(await tr.getModelVersionTags('lost-model', 2)).toEqual({ why: 'better' });
      // registrations at once (the pool's 4 connections): each number taken once, the losers retry
      const race = await Promise.all(Array.from({ length: 6 }, () => tr.registerModel('race', run.id)));
      expect(race.map((v) => v.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
      expect((await tr.listModelVersions('race')).map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6]);
      // the registrations' ids: the next registration deletes those of every one acknowledged before it
      // started, so after one more only its own two rows are left
      expect((await tr.registerModel('race', run.id)).version).toBe(7);
      const left = await counter.query(
        `SELECT batch_id FROM "lost_create"."tsad_batches" WHERE batch_id LIKE 'version:%'`,
      );
      expect(left.rows.map((r) => String(r.batch_id).replace(/[0-9a-f-]{36}/, 'ID')).sort()).toEqual([
        'version:ID',
        'version:ID=7',
      ]);
      // a compare-and-set that really lost still says so after a resend
      await expect(tr.setAlias('lost-model', 'champion', 1, { expected: 1 })).rejects.toMatchObject({
        code: 'alias_moved',
      });
    } finally {
      await counter.end();
      await tr.close();
    }
  });

  it('dataset inputs and deleting a run lost during their COMMIT: each input stored once, the run deleted, no error', async () => {
    const tr = openTracker(`${proxy.uri}?schema=lost_inputs`);
    const d = new SqlDialect('postgres', 'lost_inputs');
    const db = new pg.Client({ connectionString: server.uri });
    await db.connect();
    const ids = async (runId: string) =>
      (await db.query(`SELECT batch_id FROM ${d.t('batches')} WHERE run_id = $1`, [runId])).rows.length;
    const ts = { t: Float64Array.from([T0, T0 + 60_000]), v: Float64Array.from([1, 2]) };
    try {
      const run = await tr.startRun({ experiment: 'lost-inputs' });
      const gone = await tr.startRun({ experiment: 'lost-inputs' });
      await gone.logDataset(ts, { name: 'g', context: 'training' });
      await gone.end();
      const before = proxy.dropped;
      proxy.dropReplyAfter('COMMIT');
      await run.logDataset(ts, { name: 'train', context: 'training' });
      proxy.dropReplyAfter('COMMIT');
      await run.logDataset(ts, { name: 'test', context: 'testing' });
      proxy.dropReplyAfter('COMMIT');
      await tr.deleteRun(gone.id);
      expect(proxy.dropped - before).toBe(3);
      await run.end();
      const got = await tr.getRun(run.id);
      expect(got.inputs.map((i) => [i.name, i.context])).toEqual([
        ['train', 'training'],
        ['test', 'testing'],
      ]);
      expect(await ids(run.id)).toBe(0); // the inputs' ids went with the run's end
      await expect(tr.getRun(gone.id)).rejects.toMatchObject({ code: 'not_found' });
      const left = await db.query(`SELECT COUNT(*) AS n FROM ${d.t('inputs')} WHERE run_id = $1`, [gone.id]);
      expect(Number(left.rows[0].n)).toBe(0);
      // a run that is not there is still not found, also when the reply of that answer is lost
      await expect(tr.deleteRun(gone.id)).rejects.toMatchObject({ code: 'not_found' });
      proxy.dropReplyAfter('COMMIT');
      await expect(tr.deleteRun(gone.id)).rejects.toMatchObject({ code: 'not_found' });
    } finally {
      await db.end();
      await tr.close();
    }
  });

  it('a write not safe to repeat (a params-only batch): lost during its COMMIT, not sent again (sql_connection_lost, may or may not be stored); lost before it, sent again', async () => {
    const tr = openTracker(`${proxy.uri}?schema=lost_once`);
    try {
      const run = await tr.startRun({ experiment: 'lost-once' });
      const before = proxy.dropped;
      proxy.dropReplyAfter('COMMIT'); // one reply lost: a second send would go through and resolve
      const err = await run.logBatch({ params: [{ key: 'p', value: '1' }] }).catch((e: unknown) => e);
      expect(proxy.dropped - before).toBe(1);
      expect(err).toMatchObject({ code: 'sql_connection_lost' });
      expect((err as Error).message).toMatch(/may or may not be stored/);
      expect((await tr.getRun(run.id)).data.params.p).toBe('1'); // it was stored: the server committed
      // lost before its COMMIT (after its insert ran): nothing stored, so sent again, and it resolves
      proxy.dropReplyAfter('tsad_params" (run_id');
      await run.logBatch({ params: [{ key: 'q', value: '2' }] });
      expect(proxy.dropped - before).toBe(2);
      expect((await tr.getRun(run.id)).data.params).toEqual({ p: '1', q: '2' });
    } finally {
      await tr.close();
    }
  });

  it('a write sent again after its COMMIT was lost, whose resend cannot get through (the server restarting): sql_connection_lost, may or may not be stored', async () => {
    const tr = openTracker(`${proxy.uri}?schema=lost_refused`);
    try {
      const run = await tr.startRun({ experiment: 'lost-refused' });
      const before = proxy.dropped;
      // the COMMIT's reply lost after the server stored the batch, then the next connection refused
      proxy.dropReplyAfter('COMMIT', 1, 1);
      const err = await run
        .logBatch({ params: [{ key: 'p', value: '1' }], metrics: points('m', 0, 10) })
        .catch((e: unknown) => e);
      expect(proxy.dropped - before).toBe(1);
      // not `backend` ("failed to write") nor "not stored": a caller who logs it again stores it twice
      expect(err).toMatchObject({ code: 'sql_connection_lost' });
      expect((err as Error).message).toMatch(/may or may not be stored/);
      expect((await tr.getRun(run.id)).data.params.p).toBe('1');
      expect((await tr.getMetricHistory(run.id, 'm')).map((p) => p.step)).toEqual(
        points('m', 0, 10).map((p) => p.step),
      );
    } finally {
      await tr.close();
    }
  });

  it('tsad_batches keeps only the ids a send may still need: at most one acknowledged batch per run, after its end only that of the batch whose reply was lost', async () => {
    const tr = openTracker(`${proxy.uri}?schema=bounded`);
    const d = new SqlDialect('postgres', 'bounded');
    const db = new pg.Client({ connectionString: server.uri });
    await db.connect();
    const ids = async (runId: string) =>
      (await db.query(`SELECT batch_id FROM ${d.t('batches')} WHERE run_id = $1`, [runId])).rows.length;
    try {
      const run = await tr.startRun({ experiment: 'bounded' });
      for (let i = 0; i < 30; i++) {
        if (i % 2) await run.logBatch({ metrics: points('m', i * 10, 10) });
        else await run.logBatch({ params: [{ key: `p${i}`, value: '1' }], metrics: points('m', i * 10, 10) });
        expect(await ids(run.id)).toBe(1); // the last one's: earlier ones were pruned by the next
      }
      await run.logBatch({ tags: [{ key: 't', value: 'x' }] }); // no id: deletes none, adds none
      expect(await ids(run.id)).toBe(1);
      // a lost reply still stores its batch once; its id is kept (the unanswered send might still run on
      // the server, and would store the batch again if its id were gone: sql-deleted-run.test.ts)
      proxy.dropReplyAfter('tsad_metrics" (run_id');
      await run.logBatch({ metrics: points('m', 300, 10) });
      await Promise.all([0, 1, 2].map((k) => run.logBatch({ metrics: points(`c${k}`, 0, 5) })));
      expect(await ids(run.id)).toBeLessThanOrEqual(4);
      await run.end();
      expect(await ids(run.id)).toBe(1);
      const h = await tr.getMetricHistory(run.id, 'm');
      expect(h.map((p) => p.step)).toEqual(points('m', 0, 310).map((p) => p.step));
    } finally {
      await db.end();
      await tr.close();
    }
  });

  it('two sends of one batch at once (the first still running when the second arrives) store it once', async () => {
    const tr = openTracker(`${server.uri}?schema=twice`);
    const run = await tr.startRun({ experiment: 'twice' });
    await tr.close();
    const d = new SqlDialect('postgres', 'twice');
    const s = d.metricsStatement(run.id, points('k', 0, 20), 'batch-1');
    const a = new pg.Client({ connectionString: server.uri });
    const b = new pg.Client({ connectionString: server.uri });
    await Promise.all([a.connect(), b.connect()]);
    try {
      await a.query('BEGIN');
      await a.query(s.text, s.values); // stored, not yet committed
      const second = b.query(s.text, s.values); // waits on the batch id's key
      await new Promise((r) => setTimeout(r, 200));
      await a.query('COMMIT');
      await second;
      const rows = await a.query(`SELECT step FROM ${d.t('metrics')} WHERE run_id = $1 ORDER BY step`, [
        run.id,
      ]);
      expect(rows.rows.map((r) => Number(r.step))).toEqual(points('k', 0, 20).map((p) => p.step));
      // another id is another batch: the same points again are stored again (a caller's real repeat)
      const again = d.metricsStatement(run.id, points('k', 0, 20), 'batch-2');
      await b.query(again.text, again.values);
      const n = await a.query(`SELECT COUNT(*) AS n FROM ${d.t('metrics')} WHERE run_id = $1`, [run.id]);
      expect(Number(n.rows[0].n)).toBe(40);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });
});
