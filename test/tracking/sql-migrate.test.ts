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
    expect(versions.map((v) => Number(v.version))).toEqual([1, 2, 3]);
    expect(SQL_SCHEMA_VERSION).toBe(3);
    const idx = await sql(pg.uri, `SELECT indexname FROM pg_indexes WHERE schemaname = 'legacy'`);
    expect(idx.map((i) => i.indexname)).toContain('tsad_latest_metrics_key');
    // opening again applies nothing twice
    const again = openTracker(`${pg.uri}?schema=legacy`);
    expect((await again.searchRuns({ experiment: 'old-exp' })).map((x) => x.info.runName).sort()).toEqual([
      'new-run',
      'old-run',
    ]);
    await again.close();
    expect((await sql(pg.uri, `SELECT version FROM ${d.t('schema_version')}`)).length).toBe(3);
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
        expect(versions.map((v) => Number(v.version))).toEqual([1, 2, 3]);
      } finally {
        await Promise.all(clients.map((c) => c.end()));
      }
    }
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
