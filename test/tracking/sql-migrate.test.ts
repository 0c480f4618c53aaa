/**
 * Schema versions of the SQL backend on a real PostgreSQL server: a database written by the
 * schema tsad used before it kept versions (the version-1 tables, no schema_version) is upgraded
 * in place to the current version with its data intact; a database newer than this tsad is
 * refused; a frozen statement ends at the statement timeout as a typed error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrackingError } from '../../src/index.js';
import type { SqlQuery } from '../../src/internal.js';
import { migrate, SQL_SCHEMA_VERSION, SqlDialect } from '../../src/internal.js';
import type { SqlExecutor } from '../../src/tracking/index.js';
import { openTracker } from '../../src/tracking/index.js';
import { type PgServer, startPostgres } from './pg-server.js';

let pg: PgServer;
beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);
afterAll(async () => {
  await pg?.stop();
});

async function sql(uri: string, text: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
  const { default: pgmod } = await import('pg');
  const c = new pgmod.Client({ connectionString: uri });
  await c.connect();
  try {
    return (await c.query(text, values)).rows as Record<string, unknown>[];
  } finally {
    await c.end();
  }
}

describe('SQL schema versions', () => {
  it('upgrades a store written by the unversioned schema, keeping its data', async () => {
    const d = new SqlDialect('postgres', 'legacy');
    for (const st of d.ddl()) await sql(pg.uri, st);
    await sql(pg.uri, `INSERT INTO ${d.t('experiments')} VALUES ('e1', 'old-exp', 1)`);
    await sql(
      pg.uri,
      `INSERT INTO ${d.t('runs')} VALUES ('0123456789abcdef0123456789abcdef', 'e1', 'old-run', 'FINISHED', 1, 2)`,
    );
    await sql(pg.uri, `INSERT INTO ${d.t('params')} VALUES ('0123456789abcdef0123456789abcdef', 'k', 'v')`);

    const t = openTracker(`${pg.uri}?schema=legacy`);
    const r = await t.getRun('0123456789abcdef0123456789abcdef');
    expect([r.info.runName, r.experiment, r.data.params.k]).toEqual(['old-run', 'old-exp', 'v']);
    await t.run({ experiment: 'old-exp', name: 'new-run' }, (run) => run.logMetric('m', 1));
    await t.close();
    const versions = await sql(pg.uri, `SELECT version FROM ${d.t('schema_version')} ORDER BY version`);
    expect(versions.map((v) => Number(v.version))).toEqual([1, 2, 3, 4]);
    expect(SQL_SCHEMA_VERSION).toBe(4);
    const idx = await sql(pg.uri, `SELECT indexname FROM pg_indexes WHERE schemaname = 'legacy'`);
    expect(idx.map((i) => i.indexname)).toContain('tsad_latest_metrics_key');
    // opening again applies nothing twice
    const again = openTracker(`${pg.uri}?schema=legacy`);
    expect((await again.searchRuns({ experiment: 'old-exp' })).map((x) => x.info.runName).sort()).toEqual([
      'new-run',
      'old-run',
    ]);
    await again.close();
    expect((await sql(pg.uri, `SELECT version FROM ${d.t('schema_version')}`)).length).toBe(4);
  });

  it('many openers migrating a fresh schema at once all succeed (the version table is created under the lock)', async () => {
    // before the fix, connections creating schema_version at the same moment collided on its row type
    // ('type "tsad_schema_version" already exists', 42710), outside the advisory lock
    const { default: pgmod } = await import('pg');
    for (let round = 0; round < 5; round++) {
      const schema = `race${round}`;
      const clients = Array.from({ length: 12 }, () => new pgmod.Client({ connectionString: pg.uri }));
      await Promise.all(clients.map((c) => c.connect())); // every connection ready before the first statement
      try {
        const executors: SqlExecutor[] = clients.map((c) => {
          const query: SqlQuery = async (text, values) => {
            const r = await c.query(text, values as unknown[] | undefined);
            return { rows: r.rows as Record<string, unknown>[], rowCount: r.rowCount };
          };
          return {
            query,
            async tx(fn) {
              await c.query('BEGIN');
              try {
                const out = await fn(query);
                await c.query('COMMIT');
                return out;
              } catch (err) {
                await c.query('ROLLBACK');
                throw err;
              }
            },
            close: async () => undefined,
          };
        });
        const d = new SqlDialect('postgres', schema);
        const got = await Promise.allSettled(executors.map((ex) => migrate(ex, d)));
        expect(got.map((g) => (g.status === 'fulfilled' ? g.value : String(g.reason)))).toEqual(
          Array(12).fill(SQL_SCHEMA_VERSION),
        );
        const versions = await sql(pg.uri, `SELECT version FROM ${d.t('schema_version')} ORDER BY version`);
        expect(versions.map((v) => Number(v.version))).toEqual([1, 2, 3, 4]);
      } finally {
        await Promise.all(clients.map((c) => c.end()));
      }
    }
  });

  /** The tables of schema version 3 (the version before batch ids), as that tsad created them. */
  async function createV3Store(schema: string): Promise<void> {
    const t = (name: string) => `"${schema}"."tsad_${name}"`;
    const statements = [
      `CREATE SCHEMA "${schema}"`,
      `CREATE TABLE ${t('schema_version')} (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)`,
      `CREATE TABLE ${t('experiments')} (experiment_id TEXT PRIMARY KEY, name TEXT NOT NULL, creation_time BIGINT NOT NULL)`,
      `CREATE TABLE ${t('runs')} (run_id TEXT PRIMARY KEY, experiment_id TEXT NOT NULL, run_name TEXT NOT NULL, status TEXT NOT NULL, start_time BIGINT NOT NULL, end_time BIGINT)`,
      `CREATE TABLE ${t('params')} (run_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (run_id, key))`,
      `CREATE TABLE ${t('tags')} (run_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (run_id, key))`,
      `CREATE TABLE ${t('metrics')} (run_id TEXT NOT NULL, key TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, step BIGINT NOT NULL, "timestamp" BIGINT NOT NULL, seq BIGSERIAL)`,
      `CREATE TABLE ${t('latest_metrics')} (run_id TEXT NOT NULL, key TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, step BIGINT NOT NULL, "timestamp" BIGINT NOT NULL, PRIMARY KEY (run_id, key))`,
      `CREATE TABLE ${t('inputs')} (run_id TEXT NOT NULL, idx BIGINT NOT NULL, name TEXT NOT NULL, digest TEXT NOT NULL, "rows" BIGINT NOT NULL, start_time DOUBLE PRECISION, end_time DOUBLE PRECISION, context TEXT NOT NULL, source TEXT, PRIMARY KEY (run_id, idx))`,
      `CREATE TABLE ${t('artifacts')} (run_id TEXT NOT NULL, path TEXT NOT NULL, size BIGINT NOT NULL, content BYTEA NOT NULL, PRIMARY KEY (run_id, path))`,
      `CREATE TABLE ${t('registered_models')} (name TEXT PRIMARY KEY, creation_time BIGINT NOT NULL)`,
      `CREATE TABLE ${t('model_versions')} (name TEXT NOT NULL, version BIGINT NOT NULL, run_id TEXT NOT NULL, artifact_path TEXT NOT NULL, creation_time BIGINT NOT NULL, PRIMARY KEY (name, version))`,
      `CREATE TABLE ${t('model_aliases')} (name TEXT NOT NULL, alias TEXT NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (name, alias))`,
      `CREATE INDEX "tsad_metrics_run_key" ON ${t('metrics')} (run_id, key)`,
      `CREATE INDEX "tsad_runs_experiment" ON ${t('runs')} (experiment_id)`,
      `CREATE INDEX "tsad_latest_metrics_key" ON ${t('latest_metrics')} (key, value)`,
      `CREATE TABLE ${t('model_version_tags')} (name TEXT NOT NULL, version BIGINT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (name, version, key))`,
      `INSERT INTO ${t('schema_version')} VALUES (1, 1), (2, 2), (3, 3)`,
      `INSERT INTO ${t('experiments')} VALUES ('e3', 'v3-exp', 1)`,
      `INSERT INTO ${t('runs')} VALUES ('${RUN3}', 'e3', 'v3-run', 'FINISHED', 1, 2)`,
      `INSERT INTO ${t('metrics')} (run_id, key, value, step, "timestamp") VALUES ('${RUN3}', 'loss', 0.5, 0, 10), ('${RUN3}', 'loss', 0.25, 1, 11), ('${RUN3}', 'loss', 0.25, 1, 11)`,
      `INSERT INTO ${t('latest_metrics')} VALUES ('${RUN3}', 'loss', 0.25, 1, 11)`,
    ];
    for (const st of statements) await sql(pg.uri, st);
  }
  const RUN3 = 'fedcba9876543210fedcba9876543210';

  it('upgrades a version-3 store (no batch ids) in place: its metrics kept, new batches guarded', async () => {
    await createV3Store('v3store');
    const t = openTracker(`${pg.uri}?schema=v3store`);
    try {
      // the old points, a repeated one included, are all there
      const old = await t.getMetricHistory(RUN3, 'loss');
      expect(old.map((p) => [p.step, p.value])).toEqual([
        [0, 0.5],
        [1, 0.25],
        [1, 0.25],
      ]);
      await t.run({ experiment: 'v3-exp', name: 'after' }, async (run) => {
        await run.logBatch({ metrics: [{ key: 'loss', value: 1, step: 0, timestamp: 5 }] });
        // the batch was guarded: its id is stored (until the next batch or the run's end deletes it)
        const ids = await sql(pg.uri, `SELECT COUNT(*) AS n FROM "v3store"."tsad_batches"`);
        expect(Number(ids[0].n)).toBe(1);
        await run.logBatch({ metrics: [{ key: 'loss', value: 1, step: 0, timestamp: 5 }] }); // a real repeat
      });
      const runs = await t.searchRuns({ experiment: 'v3-exp' });
      const after = runs.find((r) => r.info.runName === 'after');
      expect(after && (await t.getMetricHistory(after.info.runId, 'loss')).length).toBe(2);
      expect((await t.getRun(RUN3)).data.metrics.loss?.value).toBe(0.25);
    } finally {
      await t.close();
    }
    const v = await sql(pg.uri, `SELECT version FROM "v3store"."tsad_schema_version" ORDER BY version`);
    expect(v.map((r) => Number(r.version))).toEqual([1, 2, 3, 4]);
    const ids = await sql(pg.uri, `SELECT COUNT(*) AS n FROM "v3store"."tsad_batches"`);
    expect(Number(ids[0].n)).toBe(0); // the ended run's acknowledged ids were deleted with its end
  });

  it('eight trackers (each its own connections) opening one version-3 store at once: upgraded once, data kept', async () => {
    await createV3Store('v3race');
    const trackers = Array.from({ length: 8 }, () => openTracker(`${pg.uri}?schema=v3race`));
    try {
      const got = await Promise.allSettled(trackers.map((t) => t.getMetricHistory(RUN3, 'loss')));
      expect(got.map((g) => (g.status === 'fulfilled' ? g.value.length : String(g.reason)))).toEqual(
        Array(8).fill(3),
      );
    } finally {
      await Promise.all(trackers.map((t) => t.close()));
    }
    const v = await sql(pg.uri, `SELECT version FROM "v3race"."tsad_schema_version" ORDER BY version`);
    expect(v.map((r) => Number(r.version))).toEqual([1, 2, 3, 4]);
  });

  it('refuses a database whose schema is newer than this tsad', async () => {
    const t = openTracker(`${pg.uri}?schema=future`);
    await t.listExperiments();
    await t.close();
    await sql(pg.uri, `INSERT INTO "future"."tsad_schema_version" VALUES (99, 0)`);
    const t2 = openTracker(`${pg.uri}?schema=future`);
    const err = await t2.listExperiments().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrackingError);
    expect((err as Error).message).toMatch(/schema version 99.*upgrade tsad/);
    await t2.close();
  });

  it('a statement that hangs ends at statement_timeout_ms as a typed error', async () => {
    const t = openTracker(`${pg.uri}?schema=frozen&statement_timeout_ms=300`);
    await t.listExperiments();
    // another session holds a lock the tracker's write needs
    const { default: pgmod } = await import('pg');
    const c = new pgmod.Client({ connectionString: pg.uri });
    await c.connect();
    try {
      await c.query('BEGIN');
      await c.query('LOCK TABLE "frozen"."tsad_experiments" IN ACCESS EXCLUSIVE MODE');
      const err = await t.getOrCreateExperiment('blocked').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TrackingError);
      expect(String((err as Error).message)).toMatch(/statement timeout|canceling statement/i);
    } finally {
      await c.query('ROLLBACK');
      await c.end();
      await t.close();
    }
  });
});
