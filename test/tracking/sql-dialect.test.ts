/**
 * Statement-level tests of the SQL backend: the CrateDB dialect (no transactions,
 * REFRESH TABLE after writes before reads, no UNIQUE constraints, OBJECT columns) and
 * parameterisation for both dialects. A recording executor stands in for the server.
 */
import { describe, expect, it } from 'vitest';
import { parseSqlUri, SqlDialect, type SqlResult } from '../../src/internal.js';
import { normalizeQuery, type SqlExecutor, SqlTracker } from '../../src/tracking/index.js';

interface Stmt {
  text: string;
  values: readonly unknown[];
}

/** Records statements; answers the few reads the tracker needs to proceed. */
function recorder(): { executor: SqlExecutor; log: Stmt[] } {
  const log: Stmt[] = [];
  const experiments = new Map<string, Record<string, unknown>>();
  const runs = new Set<string>();
  const query = async (text: string, values: readonly unknown[] = []): Promise<SqlResult> => {
    log.push({ text, values });
    if (/^INSERT INTO \S+"tsad_experiments"/.test(text)) {
      experiments.set(String(values[0]), {
        experiment_id: values[0],
        name: values[1],
        creation_time: values[2],
      });
    }
    if (/^INSERT INTO \S+"tsad_runs"/.test(text)) runs.add(String(values[0]));
    if (/^SELECT experiment_id, name, creation_time FROM \S+ WHERE experiment_id = \$1/.test(text)) {
      const e = experiments.get(String(values[0]));
      return { rows: e ? [e] : [], rowCount: e ? 1 : 0 };
    }
    // an artifact read (registerModel reads the model's MLmodel first): an empty file
    if (/^SELECT content FROM \S+"tsad_artifacts"/.test(text))
      return { rows: [{ content: '' }], rowCount: 1 };
    if (/^SELECT run_id FROM \S+"tsad_runs" WHERE run_id = \$1/.test(text)) {
      return { rows: runs.has(String(values[0])) ? [{ run_id: values[0] }] : [], rowCount: 1 };
    }
    return { rows: [], rowCount: 1 };
  };
  return {
    log,
    executor: { query, tx: (fn) => fn(query), close: async () => undefined },
  };
}

const HOSTILE = "x'); DROP TABLE tsad_runs; --";

function tablesIn(text: string): string[] {
  return [...text.matchAll(/"tsad_([a-z_]+)"/g)].map((m) => m[1]);
}

describe('CrateDB dialect', () => {
  const d = new SqlDialect('crate', 'doc');

  it('DDL: no UNIQUE, no serial, OBJECT column for dataset inputs, text artifacts', () => {
    const ddl = d.ddl().join(';\n');
    expect(ddl).not.toMatch(/UNIQUE/i);
    expect(ddl).not.toMatch(/SERIAL|BYTEA|CREATE SCHEMA|CREATE INDEX/i);
    expect(ddl).toMatch(/input OBJECT\(DYNAMIC\)/);
    expect(ddl).toMatch(/"tsad_artifacts" \(.*content TEXT NOT NULL/);
    expect(d.ddl().every((s) => s.startsWith('CREATE TABLE IF NOT EXISTS "doc"."tsad_'))).toBe(true);
  });

  it('writes: no transactions, REFRESH TABLE before reading written tables, values only as parameters', async () => {
    const { executor, log } = recorder();
    const t = new SqlTracker('crate://db.example:5432/?schema=doc', { executor });
    const run = await t.startRun({ experiment: HOSTILE, name: 'crate-run', tags: { note: HOSTILE } });
    await run.logParams({ p: HOSTILE, n: 3 });
    await run.logBatch({
      metrics: [
        { key: 'loss', value: 0.5, step: 1, timestamp: 10 },
        { key: 'loss', value: Number.NaN, step: 2, timestamp: 11 },
      ],
    });
    await run.logDataset(
      { t: Float64Array.of(1, 2), v: Float64Array.of(3, 4) },
      { name: HOSTILE, context: 'training' },
    );
    await run.logArtifact({ name: 'model/model.json', bytes: '{}' });
    await run.end();
    await t.registerModel('m', run.id);
    await t.searchRuns({
      filter: `params.p = '${HOSTILE.replace(/'/g, "''")}'`,
      orderBy: 'metrics.loss DESC',
    });

    // no transactions, and no row locks (CrateDB has no SELECT ... FOR UPDATE: PostgreSQL's inputs lock the run's row)
    expect(log.some((s) => /^\s*(BEGIN|COMMIT|ROLLBACK|START TRANSACTION)/i.test(s.text))).toBe(false);
    expect(log.filter((s) => /\bFOR\s+(NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b/i.test(s.text))).toEqual(
      [],
    );
    // no value is ever spliced into SQL text
    for (const s of log) {
      expect(s.text).not.toContain('DROP TABLE');
      expect(s.text).not.toContain('crate-run');
    }
    expect(log.some((s) => s.values.includes(HOSTILE))).toBe(true);
    // every write is refreshed before its table is read, and all writes end refreshed
    const dirty = new Set<string>();
    for (const s of log) {
      const refresh = /^REFRESH TABLE "doc"\."tsad_([a-z_]+)"$/.exec(s.text);
      if (refresh) {
        dirty.delete(refresh[1]);
      } else if (/^(INSERT|UPDATE|DELETE)/.test(s.text)) {
        dirty.add(tablesIn(s.text)[0]);
      } else if (/^SELECT/.test(s.text)) {
        for (const table of tablesIn(s.text))
          expect(dirty.has(table), `${table} read before REFRESH: ${s.text}`).toBe(false);
      }
    }
    expect([...dirty]).toEqual([]);
    // dataset inputs go into the OBJECT column as one JSON document
    const input = log.find((s) => s.text.includes('"tsad_inputs" (run_id, idx, input)'));
    expect(input?.text).toContain('$3::OBJECT');
    expect(JSON.parse(String(input?.values[2]))).toMatchObject({
      name: HOSTILE,
      rows: 2,
      start_time: 1,
      end_time: 2,
    });
    // artifacts are base64 text
    const art = log.find((s) => s.text.startsWith('INSERT INTO "doc"."tsad_artifacts"'));
    expect(art?.values[3]).toBe(Buffer.from('{}').toString('base64'));
    // metrics: client-side sequence numbers, and the NaN stays a parameter
    const m = log.find((s) => s.text.startsWith('INSERT INTO "doc"."tsad_metrics"'));
    expect(m?.text).toContain('seq');
    expect(m?.values.some((v) => typeof v === 'number' && Number.isNaN(v))).toBe(true);
  });

  it('search SQL: NaN-safe metric comparison without PostgreSQL casts', () => {
    const s = d.searchRuns(
      normalizeQuery({ filter: 'metrics.f1 > 0.5', orderBy: 'metrics.f1 DESC', maxResults: 3 }),
    );
    expect(s.text).toContain('m.value = m.value');
    expect(s.text).not.toContain('::float8');
    expect(s.text).not.toContain('COLLATE');
    expect(s.values).toEqual(['f1', 0.5, 'f1', 3]);
  });

  it("a write of a run's data checks the run's row first (no lock: CrateDB has none); a run that is gone is not_found, nothing written", async () => {
    const { executor, log } = recorder();
    let gone = false;
    const guard = 'SELECT 1 FROM "doc"."tsad_runs" WHERE run_id = $1';
    const guarded: SqlExecutor = {
      ...executor,
      query: async (text, values) =>
        gone && text === guard ? { rows: [], rowCount: 0 } : executor.query(text, values),
      tx: (fn) => fn(guarded.query),
    };
    const t = new SqlTracker('crate://db.example:5432/?schema=doc', { executor: guarded });
    const run = await t.startRun({ experiment: 'e' });
    let n = 0; // new param keys each time (a param logged again with its value writes nothing)
    const writes: (() => Promise<unknown>)[] = [
      () => run.logParam(`p${n++}`, 1),
      () => run.setTag('t', 'v'),
      () => run.logMetric('m', 1),
      () =>
        run.logBatch({
          params: [{ key: 'q', value: '1' }],
          metrics: [{ key: 'n', value: 1, step: 0, timestamp: 0 }],
        }),
      () =>
        run.logInputs([
          { name: 'd', digest: 'a'.repeat(64), rows: 1, startTime: 0, endTime: 0, context: 'training' },
        ]),
      () => run.logArtifact({ name: 'a.txt', bytes: 'x' }),
    ];
    for (const write of writes) {
      log.length = 0;
      await write();
      const first = log.findIndex((s) => /^INSERT/.test(s.text));
      expect(log.findIndex((s) => s.text === guard)).toBeGreaterThanOrEqual(0);
      expect(log.findIndex((s) => s.text === guard)).toBeLessThan(first);
      expect(log.find((s) => s.text === guard)?.values).toEqual([run.id]);
    }
    gone = true;
    for (const write of writes) {
      log.length = 0;
      await expect(write()).rejects.toMatchObject({ code: 'not_found' });
      expect(log.filter((s) => /^(INSERT|UPDATE|DELETE)/.test(s.text))).toEqual([]);
    }
  });

  it("a write during which the run is deleted (no lock holds the deletion back): the run's row read again after it, the write's rows deleted, not_found", async () => {
    const { executor, log } = recorder();
    let deleted = false;
    const guard = 'SELECT 1 FROM "doc"."tsad_runs" WHERE run_id = $1';
    const racing: SqlExecutor = {
      ...executor,
      query: async (text, values) => {
        if (deleted && text === guard) {
          log.push({ text, values: values ?? [] });
          return { rows: [], rowCount: 0 };
        }
        const r = await executor.query(text, values);
        // the deletion runs while the write inserts (after its check found the run)
        if (/^INSERT/.test(text) && armed) deleted = true;
        return r;
      },
      tx: (fn) => fn(racing.query),
    };
    let armed = false;
    const t = new SqlTracker('crate://db.example:5432/?schema=doc', { executor: racing });
    const run = await t.startRun({ experiment: 'e' });
    const writes: [string[], () => Promise<unknown>][] = [
      [['params'], () => run.logParam('p', 1)],
      [['tags'], () => run.setTag('t', 'v')],
      [['metrics', 'latest_metrics'], () => run.logMetric('m', 1)],
      [
        ['params', 'metrics', 'latest_metrics'],
        () =>
          run.logBatch({
            params: [{ key: 'q', value: '1' }],
            metrics: [{ key: 'n', value: 1, step: 0, timestamp: 0 }],
          }),
      ],
      [
        ['inputs'],
        () =>
          run.logInputs([
            { name: 'd', digest: 'a'.repeat(64), rows: 1, startTime: 0, endTime: 0, context: 'training' },
          ]),
      ],
      [['artifacts'], () => run.logArtifact({ name: 'a.txt', bytes: 'x' })],
    ];
    for (const [tables, write] of writes) {
      log.length = 0;
      deleted = false;
      armed = true;
      await expect(write(), tables.join()).rejects.toMatchObject({ code: 'not_found' });
      armed = false;
      const lastInsert = log.findLastIndex((s) => /^INSERT/.test(s.text));
      const after = log.slice(lastInsert + 1);
      expect(after.findIndex((s) => s.text === guard)).toBeGreaterThanOrEqual(0);
      const deletes = after.filter((s) => /^DELETE/.test(s.text));
      expect(deletes.map((s) => tablesIn(s.text)[0]).sort(), tables.join()).toEqual([...tables].sort());
      for (const s of deletes) {
        expect(s.text).toMatch(/^DELETE FROM "doc"\."tsad_[a-z_]+" WHERE run_id = \$1$/);
        expect(s.values).toEqual([run.id]);
      }
      // refreshed after the deletes, so reads see the rows gone
      const lastDelete = log.findLastIndex((s) => /^DELETE/.test(s.text));
      expect(log.slice(lastDelete + 1).some((s) => /^REFRESH TABLE/.test(s.text))).toBe(true);
    }
  });

  it('a write whose re-read of the run fails (the connection lost after the write was stored): the write stands, nothing deleted, not reported as failed', async () => {
    // CrateDB has no transactions and tsad never sends its writes again: a stored write reported as a
    // failure ("backend failed to write") invites the caller to send it a second time, storing it twice
    const { executor, log } = recorder();
    const guard = 'SELECT 1 FROM "doc"."tsad_runs" WHERE run_id = $1';
    let inserted = false;
    const failing: SqlExecutor = {
      ...executor,
      query: async (text, values) => {
        if (inserted && text === guard) throw new Error('Connection terminated unexpectedly');
        const r = await executor.query(text, values);
        if (/^INSERT INTO "doc"\."tsad_metrics"/.test(text)) inserted = true;
        return r;
      },
      tx: (fn) => fn(failing.query),
    };
    const t = new SqlTracker('crate://db.example:5432/?schema=doc', { executor: failing });
    const run = await t.startRun({ experiment: 'e' });
    // the run still there: re-read after the write, nothing deleted
    log.length = 0;
    await run.setTag('t', 'v');
    const tagged = log.findIndex((s) => /^INSERT INTO "doc"\."tsad_tags"/.test(s.text));
    expect(tagged).toBeGreaterThanOrEqual(0);
    expect(log.slice(tagged + 1).some((s) => s.text === guard)).toBe(true);
    expect(log.some((s) => /^DELETE/.test(s.text))).toBe(false);
    // the re-read failing
    log.length = 0;
    await run.logMetric('m', 1);
    expect(inserted).toBe(true);
    expect(log.some((s) => /^DELETE/.test(s.text))).toBe(false);
  });

  it('a write whose REFRESH fails after it was stored (the connection lost): the write stands, not reported as failed', async () => {
    // the statements are stored when they return (CrateDB commits each one); the REFRESH only makes them
    // visible before CrateDB's own periodic refresh. Reported as "backend failed to write", the caller
    // would send the write again and store it twice
    const { executor, log } = recorder();
    let armed = false;
    let refreshes = 0;
    const failing: SqlExecutor = {
      ...executor,
      query: async (text, values) => {
        if (armed && /^REFRESH TABLE "doc"\."tsad_metrics"$/.test(text)) {
          refreshes++;
          throw new Error('Connection terminated unexpectedly');
        }
        return executor.query(text, values);
      },
      tx: (fn) => fn(failing.query),
    };
    const t = new SqlTracker('crate://db.example:5432/?schema=doc', { executor: failing });
    const run = await t.startRun({ experiment: 'e' });
    armed = true;
    log.length = 0;
    await run.logMetric('m', 1);
    expect(refreshes).toBe(1);
    // stored once, never sent again
    expect(log.filter((s) => /^INSERT INTO "doc"\."tsad_metrics"/.test(s.text))).toHaveLength(1);
    expect(log.some((s) => /^DELETE/.test(s.text))).toBe(false);
  });

  it('crate:// URIs connect with the PostgreSQL wire protocol (user crate, port 5432)', () => {
    const p = parseSqlUri('crate://db.example/?schema=tracking');
    expect(p).toEqual({
      dialect: 'crate',
      schema: 'tracking',
      connectionString: 'postgresql://crate@db.example:5432/',
      connectTimeoutMs: 10_000,
      statementTimeoutMs: 30_000,
    });
    expect(parseSqlUri('crate://db.example').schema).toBe('doc');
    // timeouts are taken out of the URI pg connects with
    expect(parseSqlUri('postgres://h/db?connect_timeout_ms=500&statement_timeout_ms=0')).toMatchObject({
      connectionString: 'postgresql://h/db',
      connectTimeoutMs: 500,
      statementTimeoutMs: 0,
    });
    expect(() => parseSqlUri('postgres://h/db?statement_timeout_ms=soon')).toThrow(/whole number/);
  });
});

describe('PostgreSQL dialect', () => {
  const d = new SqlDialect('postgres', 'public');

  it('search SQL is parameterised, byte-order collation, NaN-aware', () => {
    const q = normalizeQuery({
      experiment: ['a', HOSTILE],
      filter: [
        { entity: 'param', key: HOSTILE, op: 'LIKE', value: `%${HOSTILE}%` },
        { entity: 'metric', key: 'f1', op: '>=', value: 0.5 },
        { entity: 'attribute', key: 'status', op: '=', value: 'FINISHED' },
      ],
      orderBy: ['params.model', 'metrics.f1 DESC'],
    });
    const s = d.searchRuns(q);
    expect(s.text).not.toContain('DROP');
    expect(s.values).toEqual([['a', HOSTILE], HOSTILE, `%${HOSTILE}%`, 'f1', 0.5, 'FINISHED', 'model', 'f1']);
    expect(s.text).toContain(`m.value <> 'NaN'::float8`);
    expect(s.text).toContain('COLLATE "C"');
    expect(s.text).toMatch(/ORDER BY .* r\.start_time DESC, r\.run_id COLLATE "C" ASC$/);
  });

  it("writes of a run's data lock its row FOR KEY SHARE in the same statement, and store nothing without it", () => {
    const guard = 'SELECT 1 FROM "public"."tsad_runs" WHERE run_id = $1 FOR KEY SHARE';
    expect(d.runGuard()).toBe(guard);
    const m = d.metricsStatement('r1', [{ key: 'k', value: 1, step: 0, timestamp: 0 }], 'b1', ['old']);
    // the run's row first; the batch id (and so the points and the latest value) only from it; the
    // acknowledged ids pruned only once it is locked; one row answered when the run is there
    expect(
      m.text.startsWith(
        `WITH r AS (${guard}), b AS (INSERT INTO "public"."tsad_batches" (run_id, batch_id) SELECT $1, `,
      ),
    ).toBe(true);
    expect(m.text).toMatch(
      /SELECT \$1, \$\d+ FROM r ON CONFLICT \(run_id, batch_id\) DO NOTHING RETURNING 1\)/,
    );
    expect(m.text).toMatch(
      /p AS \(DELETE FROM "public"\."tsad_batches" WHERE .* AND EXISTS \(SELECT 1 FROM r\)\)/,
    );
    expect(m.text.endsWith(') SELECT 1 FROM r')).toBe(true);
    const tags = d.insertKv('tags', 'r1', [{ key: 't', value: HOSTILE }], true);
    expect(tags.text).toBe(
      `WITH r AS (${guard}) INSERT INTO "public"."tsad_tags" (run_id, key, value) SELECT v.run_id, v.key, v.value FROM (VALUES ($1, $2, $3)) AS v(run_id, key, value), r ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value`,
    );
    expect(tags.values).toEqual(['r1', 't', HOSTILE]);
    // CrateDB: a plain read, no lock clause, and no guarded statements
    const c = new SqlDialect('crate', 'doc');
    expect(c.runGuard()).toBe('SELECT 1 FROM "doc"."tsad_runs" WHERE run_id = $1');
    expect(c.insertKv('tags', 'r1', [{ key: 't', value: 'v' }], true).text).not.toContain('WITH');
  });

  it('schema names are validated identifiers', () => {
    expect(() => new SqlDialect('postgres', 'x"; DROP')).toThrow(/schema name/);
    expect(() => parseSqlUri('postgres://h/db?schema=Bad-Name')).not.toThrow();
    expect(() => new SqlTracker('postgres://h/db?schema=Bad-Name')).toThrow(/schema name/);
    expect(new SqlTracker('postgres://u:secret@h/db').uri).not.toContain('secret');
  });
});
