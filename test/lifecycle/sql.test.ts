import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadNab } from '../../src/datasets/index.js';
import { runMachineTemperature, SPLIT_TIME } from '../../src/internal.js';
import {
  buildReadQuery,
  loadSeriesSql,
  readSql,
  writeMonitorSql,
  writeSql,
} from '../../src/lifecycle/index.js';
import '../../src/index.js';
import { LifecycleError, Monitor, monitorRecords } from '../../src/lifecycle/index.js';
import { dateBin, splitAt } from '../../src/series/index.js';
import { datasetDigest, openTracker } from '../../src/tracking/index.js';
import { freePort } from '../helpers/ports.js';
import { type PgServer, startPostgres } from '../tracking/pg-server.js';

const FILE = 'realKnownCause/machine_temperature_system_failure.csv';
let server: PgServer;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: server.uri });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('readSql / loadSeriesSql against a real PostgreSQL', () => {
  it('loads the CSV once; date_bin 5 min + max equals dateBin of the file, bit for bit', async () => {
    const ds = await loadNab(FILE, { onWarning: () => {} });
    expect(await loadSeriesSql(server.uri, 'mt_raw', ds.rows)).toEqual({ inserted: 22695, existing: 0 });
    expect(await loadSeriesSql(server.uri, 'mt_raw', ds.rows)).toEqual({ inserted: 0, existing: 22695 });
    const want = dateBin(ds.rows, { everyMs: 5 * 60_000, aggregate: 'max' });
    const { series, source } = await readSql(server.uri, { table: 'mt_raw', bin: '5m', aggregate: 'max' });
    expect(series.t).toEqual(want.t);
    expect(series.v).toEqual(want.v);
    expect(source).toMatchObject({ table: 'mt_raw', rows: 22683, binMs: 300_000, aggregate: 'max' });
    expect(source.digest).toBe(datasetDigest(want));
    expect(source.query).toMatch(/date_bin\(\$1::interval, "time", TIMESTAMPTZ '1970-01-01 00:00:00\+00'\)/);

    // a time range [from, to) is the same slice as splitAt
    const ranged = await readSql(server.uri, { table: 'mt_raw', bin: '5m', from: SPLIT_TIME });
    expect(ranged.series.t).toEqual(splitAt(want, SPLIT_TIME)[1].t);
    const head = await readSql(server.uri, { table: 'mt_raw', to: '2013-12-02T22:00:00Z' });
    expect(Array.from(head.series.t)).toEqual(
      Array.from(ds.rows.t.filter((t) => t < Date.UTC(2013, 11, 2, 22))),
    );
  });

  it('writes predictions beside the inputs and monitor statistics, and reads them back', async () => {
    const t = Float64Array.from([0, 1, 2, 3].map((k) => Date.UTC(2024, 0, 1, 0, 5 * k)));
    const n = await writeSql(server.uri, {
      series: 'demo',
      t,
      value: [1, 2, 3, 40],
      score: [0.1, 0.2, 0.3, 5],
      alarm: [0, 0, 0, 1],
      model: 'demo-model',
      modelVersion: 3,
      runId: 'abc',
    });
    expect(n).toBe(4);
    // upsert: writing again with another score replaces, never duplicates
    await writeSql(server.uri, {
      series: 'demo',
      t: t.subarray(3),
      value: [40],
      score: [6],
      alarm: [true],
      model: 'demo-model',
      modelVersion: 3,
      runId: 'abc',
    });
    const rows = await query(
      `SELECT (EXTRACT(EPOCH FROM time) * 1000)::float8 AS t, series, value, score, alarm, model, model_version, run_id FROM tsad_predictions ORDER BY time`,
    );
    expect(rows).toHaveLength(4);
    expect(rows[3]).toEqual({
      t: t[3],
      series: 'demo',
      value: 40,
      score: 6,
      alarm: true,
      model: 'demo-model',
      model_version: 3,
      run_id: 'abc',
    });

    const ref = Float64Array.from({ length: 200 }, (_, i) => Math.sin(i));
    const mon = new Monitor({ reference: { value: ref }, window: 50, series: 'demo', referenceRun: 'run1' });
    const records = [];
    for (let i = 0; i < 100; i++) {
      const c = mon.push(t[0] + i * 60_000, Math.sin(i) + (i > 50 ? 3 : 0));
      if (c) records.push(...monitorRecords(c));
    }
    expect(records.length).toBeGreaterThan(0);
    expect(await writeMonitorSql(server.uri, records)).toBe(records.length);
    const back = await query(
      `SELECT (EXTRACT(EPOCH FROM time) * 1000)::float8 AS timestamp, series, statistic, value, reference_run FROM tsad_monitor ORDER BY time, statistic`,
    );
    const want = [...records]
      .sort((a, b) => a.timestamp - b.timestamp || (a.statistic < b.statistic ? -1 : 1))
      .map((r) => ({ ...r, reference_run: r.referenceRun, referenceRun: undefined }))
      .map(({ referenceRun: _, ...r }) => r);
    expect(back).toEqual(want);
  });

  it('the machine-temperature experiment from the table gives the CSV’s figures and tracks the table and range', async () => {
    const fromFile = await runMachineTemperature({ trackingUri: false, reportPath: false, progress: null });
    const tracker = openTracker('memory:mt-sql');
    const fromDb = await runMachineTemperature({
      trackingUri: 'memory:mt-sql',
      reportPath: false,
      progress: null,
      data: `${server.uri}?table=nab_mt`,
    });
    for (const k of ['precision', 'recall', 'f1', 'meanTimeToDetectSec'] as const) {
      expect(fromDb.report[k]).toBe(fromFile.report[k]);
    }
    expect(fromDb.alarms).toEqual(fromFile.alarms);
    const run = await tracker.getRun(fromDb.runId as string);
    const train = run.inputs.find((d) => d.context === 'training');
    expect(train?.name).toBe('nab_mt[2013-12-02T21:15:00.000Z,2013-12-15T00:00:00.000Z)');
    expect(train?.source).toMatch(
      /#table=nab_mt&time=time&value=value&range=\[2013-12-02T21:15:00\.000Z,2013-12-15T00:00:00\.000Z\)&bin=300000ms&aggregate=max&rows=3/,
    );
    expect(train?.digest).toBe(datasetDigest(fromFile.train));
    expect(run.data.params.data_table).toBe('nab_mt');
    // the test part's scores and alarms are written back beside the inputs, under the tracked run
    expect(fromDb.predictionsWritten).toBe(fromFile.test.t.length);
    const [written] = await query(
      `SELECT COUNT(*)::int AS n, COUNT(*) FILTER (WHERE alarm)::int AS alarms, MIN(run_id) AS run, MAX(model_version) AS v FROM tsad_predictions WHERE series = 'nab_mt'`,
    );
    expect(written).toEqual({
      n: fromFile.test.t.length,
      alarms: fromFile.alarms.length,
      run: fromDb.runId,
      v: fromDb.modelVersion,
    });
    await tracker.close();
  });

  it('CrateDB dialect: DATE_BIN with an epoch-ms origin, epoch-ms bounds; identifiers are checked', () => {
    const q = buildReadQuery('crate', {
      table: 'doc.temps',
      time: 'ts',
      value: 'temp',
      from: 0,
      to: 1000,
      bin: '5m',
    });
    expect(q.text).toBe(
      'SELECT date_bin($3::interval, "ts", 0) AS t, (MAX("temp"))::float8 AS v FROM "doc"."temps" WHERE "ts" >= $1 AND "ts" < $2 GROUP BY date_bin($3::interval, "ts", 0) ORDER BY 1',
    );
    expect(q.params).toEqual([0, 1000, '300000 milliseconds']);
    expect(() => buildReadQuery('postgres', { table: 'x; DROP TABLE y' })).toThrow(/plain SQL identifier/);
    expect(() => buildReadQuery('postgres', { table: 't', from: 5, to: 5 })).toThrow(/before/);
  });
});

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(p: Promise<unknown>): Promise<LifecycleError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LifecycleError);
  return err as LifecycleError;
}

describe('database failures are typed (audit43)', () => {
  it('an unreachable server is db_unreachable naming where, for reads and writes; no password in the message', async () => {
    const port = await freePort();
    const uri = `postgres://u:s3cret@127.0.0.1:${port}/db`;
    // started one at a time: promises made up front reject before they are awaited (unhandled rejections)
    for (const start of [
      () => readSql(uri, { table: 'x' }),
      () => loadSeriesSql(uri, 'x', { t: [0], v: [1] }),
      () => writeSql(uri, { series: 's', t: [0], value: [1], score: [0], alarm: [0] }),
      () => writeMonitorSql(uri, []),
    ]) {
      const e = await rejection(start());
      expect(e.code).toBe('db_unreachable');
      expect(e.message).toContain(`127.0.0.1:${port}`);
      expect(e.message).toMatch(/nothing was read or written/);
      expect(e.message).not.toContain('s3cret');
    }
  });

  it('a server that accepts but never answers is db_unreachable after ?connect_timeout_ms= (was: waited for ever); a TLS file the URI names that is not there is db_unreachable too (was: a raw ENOENT, exit 1)', async () => {
    const net = await import('node:net');
    const silent = net.createServer(() => {});
    await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
    const { port } = silent.address() as { port: number };
    try {
      const e = await rejection(
        readSql(`postgres://u:s3cret@127.0.0.1:${port}/db?connect_timeout_ms=200`, { table: 'x' }),
      );
      expect(e.code).toBe('db_unreachable');
      expect(e.message).toContain(`127.0.0.1:${port}`);
      expect(e.message).not.toContain('s3cret');
    } finally {
      silent.close();
    }
    const f = await rejection(
      readSql(`postgres://u:s3cret@127.0.0.1:${port}/db?sslcert=no-such-dir-rev44/c.pem`, { table: 'x' }),
    );
    expect(f.code).toBe('db_unreachable');
    expect(f.message).toMatch(/no-such-dir-rev44/);
    const b = await rejection(
      readSql('postgres://u:s3cret@127.0.0.1:1/db?connect_timeout_ms=soon', { table: 'x' }),
    );
    expect(b.code).toBe('bad_uri');
    expect(b.message).not.toContain('s3cret');
  });

  it('a table or column that is not there is db_error naming it and what to check', async () => {
    const e = await rejection(readSql(server.uri, { table: 'no_such_table', bin: '5m' }));
    expect(e.code).toBe('db_error');
    expect(e.message).toMatch(/no_such_table/);
    expect(e.message).toMatch(/42P01/);
    await query('CREATE TABLE IF NOT EXISTS has_time (time timestamptz, v float8)');
    const c = await rejection(readSql(server.uri, { table: 'has_time' }));
    expect(c.code).toBe('db_error');
    expect(c.message).toMatch(/42703/);
  });
});

describe('loadSeriesSql loads all rows or none (audit43)', () => {
  const rows = (n: number) => ({
    t: Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * 60_000),
    v: Float64Array.from({ length: n }, (_, i) => Math.sin(i)),
  });
  const count = async (table: string) =>
    Number((await query(`SELECT COUNT(*)::int AS n FROM ${table}`))[0].n);

  it('a load that fails part-way leaves the table empty, so the next load fills it (was: the first chunks kept, and every later load saw a non-empty table and left it partial)', async () => {
    const r = rows(12_000);
    r.t[7_000] = 1e17; // year ~3 million: finite, but beyond PostgreSQL's timestamptz
    const e = await rejection(loadSeriesSql(server.uri, 'load_partial', r));
    expect(e.code).toBe('db_error');
    expect(e.message).toMatch(/22008/);
    // nothing of it is left, not even the table it created
    expect(await query(`SELECT to_regclass('load_partial') AS r`)).toEqual([{ r: null }]);
    const ok = rows(12_000);
    expect(await loadSeriesSql(server.uri, 'load_partial', ok)).toEqual({ inserted: 12_000, existing: 0 });
    expect((await readSql(server.uri, { table: 'load_partial' })).series.t).toEqual(ok.t);
  });

  it('a non-finite time or value is bad_sample before anything is written (a NaN value was stored, then refused by every readSql)', async () => {
    for (const [k, bad] of [
      ['v', Number.NaN],
      ['t', Number.POSITIVE_INFINITY],
    ] as const) {
      const r = rows(6_000);
      r[k][5_500] = bad;
      const e = await rejection(loadSeriesSql(server.uri, `load_bad_${k}`, r));
      expect(e.code).toBe('bad_sample');
      expect(e.message).toMatch(/row 5500/);
    }
    expect(await query(`SELECT to_regclass('load_bad_v') AS r`)).toEqual([{ r: null }]);
  });

  it('two loads of one table at once insert the rows once (was: both saw it empty and both inserted)', async () => {
    const r = rows(20_000);
    const both = await Promise.all([
      loadSeriesSql(server.uri, 'load_twice', r),
      loadSeriesSql(server.uri, 'load_twice', r),
    ]);
    expect(both.map((b) => b.inserted).sort((a, b) => a - b)).toEqual([0, 20_000]);
    expect(both.map((b) => b.existing).sort((a, b) => a - b)).toEqual([0, 20_000]);
    expect(await count('load_twice')).toBe(20_000);
  });
});

describe('concurrent writers of one table (rev44)', () => {
  const rows = (n: number, from: number) => ({
    t: Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + (from + i) * 60_000),
    v: Float64Array.from({ length: n }, (_, i) => Math.cos(from + i)),
  });

  it('two loads of one table spelled with and without its schema insert the rows once (was: two lock keys, both saw it empty)', async () => {
    await query('CREATE TABLE load_spelled ("time" timestamptz NOT NULL, "value" float8 NOT NULL)');
    const r = rows(20_000, 0);
    const both = await Promise.all([
      loadSeriesSql(server.uri, 'load_spelled', r),
      loadSeriesSql(server.uri, 'public.load_spelled', r),
    ]);
    expect(both.map((b) => b.inserted).sort((a, b) => a - b)).toEqual([0, 20_000]);
    expect(Number((await query('SELECT COUNT(*)::int AS n FROM load_spelled'))[0].n)).toBe(20_000);
  });

  it('two writers of predictions into a table neither has created both succeed (was: the second CREATE waited for the first transaction, then failed 23505)', async () => {
    const a = rows(20_000, 0);
    const b = rows(20_000, 20_000);
    const write = (r: { t: Float64Array; v: Float64Array }, series: string) =>
      writeSql(
        server.uri,
        { series, t: r.t, value: r.v, score: r.v, alarm: new Uint8Array(r.t.length) },
        { table: 'pred_race' },
      );
    expect(await Promise.all([write(a, 'a'), write(b, 'b')])).toEqual([20_000, 20_000]);
    expect(Number((await query('SELECT COUNT(*)::int AS n FROM pred_race'))[0].n)).toBe(40_000);
  });

  it('two writers of monitor records into a table neither has created both succeed', async () => {
    const recs = (series: string) =>
      Array.from({ length: 20_000 }, (_, i) => ({
        timestamp: Date.UTC(2024, 0, 1) + i * 60_000,
        series,
        statistic: 'psi',
        value: i,
        referenceRun: null,
      }));
    expect(
      await Promise.all([
        writeMonitorSql(server.uri, recs('a'), { table: 'mon_race' }),
        writeMonitorSql(server.uri, recs('b'), { table: 'mon_race' }),
      ]),
    ).toEqual([20_000, 20_000]);
  });
});

describe('the load lock has a wait bound (track44)', () => {
  it('a load or a write that waits past ?lock_timeout_ms= for the table lock is db_lock_timeout naming the table and what to do, nothing written; once the holder ends, the load goes through (was: waited for ever)', async () => {
    const pg = (await import('pg')).default;
    const holder = new pg.Client({ connectionString: server.uri });
    await holder.connect();
    try {
      // the lock another loader of `public.load_held` takes (a transaction whose connection was cut
      // holds it until the server notices, with TCP keepalive possibly hours)
      await holder.query('BEGIN');
      await holder.query(
        `SELECT pg_advisory_xact_lock(hashtext('tsad.table'), hashtext('public.load_held'))`,
      );
      const r = {
        t: Float64Array.from({ length: 100 }, (_, i) => Date.UTC(2024, 0, 1) + i * 60_000),
        v: new Float64Array(100).fill(1),
      };
      const uri = `${server.uri}?lock_timeout_ms=200`;
      const load = await rejection(loadSeriesSql(uri, 'load_held', r));
      expect(load.code).toBe('db_lock_timeout');
      expect(load.message).toMatch(/load_held/);
      expect(load.message).toMatch(/200 ms/);
      expect(load.message).toMatch(/lock_timeout_ms=/);
      expect(load.message).toMatch(/pg_terminate_backend/);
      expect(load.message).not.toMatch(/password/);
      const write = await rejection(
        writeSql(uri, { series: 's', t: r.t, value: r.v, score: r.v, alarm: r.v }, { table: 'load_held' }),
      );
      expect(write.code).toBe('db_lock_timeout');
      expect(await query(`SELECT to_regclass('load_held') AS r`)).toEqual([{ r: null }]);
      await holder.query('COMMIT');
      expect(await loadSeriesSql(uri, 'load_held', r)).toEqual({ inserted: 100, existing: 0 });
    } finally {
      await holder.end();
    }
  });

  it('?lock_timeout_ms= and ?connect_timeout_ms= must be whole numbers of milliseconds from 1 to 2^31 - 1 (a larger connect timeout fired at once: Node clamps such a timer to 1 ms)', async () => {
    for (const param of ['lock_timeout_ms', 'connect_timeout_ms']) {
      for (const bad of ['0', '-5', '1.5', 'soon', '2147483648']) {
        const e = await rejection(
          loadSeriesSql(`${server.uri}?${param}=${bad}`, 'never', { t: [1], v: [1] }),
        );
        expect(e.code).toBe('bad_uri');
        expect(e.message).toContain(`${param}=${bad}`);
      }
    }
    expect(await query(`SELECT to_regclass('never') AS r`)).toEqual([{ r: null }]);
  });
});

describe('readSql holds one page of rows at a time (track44)', () => {
  const minute = 60_000;
  const start = Date.UTC(2024, 0, 1);
  /** A raw table of `n` rows, one a minute, value i % 97 (made by the server: nothing to send). */
  const makeTable = (name: string, n: number) =>
    query(
      `CREATE TABLE ${name} AS SELECT to_timestamp((${start} + i * ${minute}) / 1000.0) AS "time", (i % 97)::float8 AS "value" FROM generate_series(0, ${n - 1}) AS i`,
    );
  const expected = (n: number) => ({
    t: Float64Array.from({ length: n }, (_, i) => start + i * minute),
    v: Float64Array.from({ length: n }, (_, i) => i % 97),
  });

  /** How many rows each statement `pg` answered during `fn` carried. */
  async function rowsPerAnswer(fn: () => Promise<unknown>): Promise<number[]> {
    const pg = (await import('pg')).default;
    const original = pg.Client.prototype.query;
    const sizes: number[] = [];
    const spy = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (
      this: unknown,
      ...args: unknown[]
    ) {
      const out = (original as (...a: unknown[]) => unknown).apply(this, args);
      if (out instanceof Promise) {
        out.then(
          (r: { rows?: unknown[] }) => sizes.push(r.rows?.length ?? 0),
          () => undefined,
        );
      }
      return out;
    } as typeof original);
    try {
      await fn();
    } finally {
      spy.mockRestore();
    }
    return sizes;
  }

  it('a table of 25,001 rows and one of exactly 20,000 read whole, bit for bit, no answer over 10,000 rows (was: one answer of every row)', async () => {
    for (const n of [25_001, 20_000]) {
      await makeTable(`paged_${n}`, n);
      let got: Awaited<ReturnType<typeof readSql>> | undefined;
      const sizes = await rowsPerAnswer(async () => {
        got = await readSql(server.uri, { table: `paged_${n}` });
      });
      expect(got?.series).toEqual(expected(n));
      expect(got?.source.rows).toBe(n);
      expect(got?.source.digest).toBe(datasetDigest(expected(n)));
      expect(Math.max(...sizes)).toBe(10_000);
      expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(n);
    }
    // binned reads page too: 25,001 one-minute rows in 2-minute bins are 12,501 bins
    const binned = await readSql(server.uri, { table: 'paged_25001', bin: '2m', aggregate: 'first' });
    expect(binned.series.t).toEqual(Float64Array.from({ length: 12_501 }, (_, i) => start + 2 * i * minute));
    expect(binned.series.v).toEqual(Float64Array.from({ length: 12_501 }, (_, i) => (2 * i) % 97));
  });

  /**
   * The CrateDB path (fix46), forced on this PostgreSQL server by its scheme: a `crate://` URI takes the
   * CrateDB dialect (no session time zone set, the CrateDB query text). For raw rows without time bounds
   * that text runs on PostgreSQL as well (`SELECT "time" AS t, …`: a timestamptz comes back as a Date, read
   * as epoch ms). CrateDB itself is not run here (CI has none).
   */
  const crateUri = () => server.uri.replace(/^postgres(ql)?:/, 'crate:');

  it('the CrateDB path pages too: 25,001 and 20,000 rows whole, no answer over 10,000 rows (was: one answer of every row)', async () => {
    for (const n of [25_001, 20_000]) {
      await makeTable(`crate_paged_${n}`, n);
      let got: Awaited<ReturnType<typeof readSql>> | undefined;
      const sizes = await rowsPerAnswer(async () => {
        got = await readSql(crateUri(), { table: `crate_paged_${n}` });
      });
      expect(got?.source.dialect).toBe('crate');
      expect(got?.source.query).toBe(
        `SELECT "time" AS t, "value"::float8 AS v FROM "crate_paged_${n}" ORDER BY 1`,
      );
      expect(got?.series).toEqual(expected(n));
      expect(got?.source.digest).toBe(datasetDigest(expected(n)));
      expect(Math.max(...sizes)).toBe(10_000);
    }
  });

  it('the CrateDB path: a repeated time across a page boundary is bad_sample; a refused cursor names the version that has one', async () => {
    await makeTable('crate_repeat', 25_000);
    await query(
      `UPDATE crate_repeat SET "time" = to_timestamp((${start} + 9999 * ${minute}) / 1000.0) WHERE "time" = to_timestamp((${start} + 10000 * ${minute}) / 1000.0)`,
    );
    const e = await rejection(readSql(crateUri(), { table: 'crate_repeat' }));
    expect(e.code).toBe('bad_sample');
    expect(e.message).toMatch(/row 10000 has a missing or repeated time/);
    // the server refuses the cursor's query (no such table): the message says what to check, and that
    // CrateDB has DECLARE … CURSOR from 5.1 on (an earlier CrateDB refuses the statement itself)
    const missing = await rejection(readSql(crateUri(), { table: 'crate_missing' }));
    expect(missing.code).toBe('db_error');
    expect(missing.message).toMatch(/CrateDB 5\.1/);
    expect(missing.message).toMatch(/SQLSTATE 42P01.*check the table name/);
  });

  it('a repeated time across a page boundary and a NULL in a later page are bad_sample naming the row or time', async () => {
    await makeTable('paged_repeat', 25_000);
    await query(
      `UPDATE paged_repeat SET "time" = to_timestamp((${start} + 9999 * ${minute}) / 1000.0) WHERE "time" = to_timestamp((${start} + 10000 * ${minute}) / 1000.0)`,
    );
    const e = await rejection(readSql(server.uri, { table: 'paged_repeat' }));
    expect(e.code).toBe('bad_sample');
    expect(e.message).toMatch(/row 10000 has a missing or repeated time/);
    await makeTable('paged_null', 25_000);
    await query(
      `UPDATE paged_null SET "value" = NULL WHERE "time" = to_timestamp((${start} + 21000 * ${minute}) / 1000.0)`,
    );
    const n = await rejection(readSql(server.uri, { table: 'paged_null' }));
    expect(n.code).toBe('bad_sample');
    expect(n.message).toContain(`value at ${new Date(start + 21_000 * minute).toISOString()} is null`);
  });

  /**
   * What a read sends and whether it lets go of its connection, recorded from `pg`'s Client (rev48):
   * each statement's text (its first word or two) with its outcome, and the clients ended. `failFetch`
   * makes that FETCH (1 = the first) reject as a server would, after the statement was sent.
   */
  async function readTrace(
    fn: () => Promise<unknown>,
    failFetch = 0,
  ): Promise<{ sent: string[]; ended: number; clients: number }> {
    const pg = (await import('pg')).default;
    const query = pg.Client.prototype.query;
    const end = pg.Client.prototype.end;
    const sent: string[] = [];
    const clients = new Set<unknown>();
    let ended = 0;
    let fetches = 0;
    const q = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (
      this: unknown,
      ...args: unknown[]
    ) {
      clients.add(this);
      const text = String(args[0]).split(' ').slice(0, 2).join(' ');
      const out = (query as (...a: unknown[]) => Promise<unknown>).apply(this, args);
      if (text.startsWith('FETCH') && ++fetches === failFetch) {
        sent.push(`${text} (failed)`);
        return out.then(() => {
          throw Object.assign(new Error('could not read block 7 in file "base/5/16384"'), {
            severity: 'ERROR',
            code: 'XX001',
          });
        });
      }
      return out.then(
        (r) => {
          sent.push(text);
          return r;
        },
        (e: unknown) => {
          sent.push(`${text} (failed)`);
          throw e;
        },
      );
    } as typeof query);
    const e = vi.spyOn(pg.Client.prototype, 'end').mockImplementation(function (this: unknown) {
      ended++;
      return (end as () => Promise<void>).apply(this);
    } as typeof end);
    try {
      await fn().catch(() => undefined);
    } finally {
      q.mockRestore();
      e.mockRestore();
    }
    return { sent, ended, clients: clients.size };
  }

  /** The server's sessions on this database other than the asking one, and any of them in a transaction. */
  async function otherSessions(): Promise<Record<string, unknown>[]> {
    return query(
      `SELECT pid, state FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
    );
  }

  it('a read that fails mid-way (bad_sample in page 2, a FETCH the server fails) rolls back, closing its cursor, and ends its connection; so does one that succeeds (rev48)', async () => {
    await makeTable('paged_fail', 25_000);
    await query(
      `UPDATE paged_fail SET "value" = NULL WHERE "time" = to_timestamp((${start} + 15000 * ${minute}) / 1000.0)`,
    );
    await makeTable('paged_ok', 25_000);
    for (const uri of [server.uri, crateUri()]) {
      const setTz = uri === server.uri ? ['SET TIME'] : [];
      // bad_sample found in the second page: no third FETCH, ROLLBACK, the client ended
      const bad = await readTrace(async () => {
        const err = await rejection(readSql(uri, { table: 'paged_fail' }));
        expect(err.code).toBe('bad_sample');
      });
      expect(bad).toEqual({
        sent: [...setTz, 'BEGIN', 'DECLARE tsad_read', 'FETCH FORWARD', 'FETCH FORWARD', 'ROLLBACK'],
        ended: 1,
        clients: 1,
      });
      // the second FETCH fails on the server: db_error, ROLLBACK, the client ended
      let failed: LifecycleError | undefined;
      const fetchFails = await readTrace(async () => {
        failed = await rejection(readSql(uri, { table: 'paged_ok' }));
      }, 2);
      expect(failed?.code).toBe('db_error');
      expect(failed?.message).toMatch(/refused to read paged_ok: could not read block 7.*SQLSTATE XX001/);
      expect(fetchFails).toEqual({
        sent: [...setTz, 'BEGIN', 'DECLARE tsad_read', 'FETCH FORWARD', 'FETCH FORWARD (failed)', 'ROLLBACK'],
        ended: 1,
        clients: 1,
      });
      // a read that succeeds commits (the cursor closes with its transaction) and ends its client
      const ok = await readTrace(() => readSql(uri, { table: 'paged_ok' }));
      expect(ok).toEqual({
        sent: [
          ...setTz,
          'BEGIN',
          'DECLARE tsad_read',
          'FETCH FORWARD',
          'FETCH FORWARD',
          'FETCH FORWARD',
          'COMMIT',
        ],
        ended: 1,
        clients: 1,
      });
    }
    // and the server holds no session of those reads (each ended before its promise settled; a server
    // backend may take a moment to go after its client's Terminate: waited for, bounded)
    let left = await otherSessions();
    for (let i = 0; i < 100 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      left = await otherSessions();
    }
    expect(left).toEqual([]);
  });
});
