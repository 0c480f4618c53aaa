/**
 * Series in SQL databases: PostgreSQL (`postgres://`, `postgresql://`) and CrateDB's dialect
 * (`crate://`, over the PostgreSQL wire protocol). `pg` is loaded only when a function here runs.
 *
 * - `readSql` reads a time range of an append-only table with a time-bucketed query
 *   (`date_bin(interval, time, origin)` + an aggregate, the way the tutorials query their raw data),
 *   and returns the series together with its source: table, columns, time range, the SQL text and its
 *   parameters, row count and digest (the same sha256 as `run.logDataset`), so a run can record where
 *   its data came from and be reproduced from the database. The rows come through a cursor, a page at
 *   a time, so memory is the series it returns (see `readSql`; CrateDB 5.1 or later).
 * - `loadSeriesSql` creates an input table `(time timestamptz, value double precision)` and fills it
 *   once, all rows or none (an existing, non-empty table is left alone).
 * - `writeSql` writes predictions (value, score, alarm, model version, run) beside the inputs, in a
 *   table keyed by (series, time, run_id); `writeMonitorSql` writes monitor statistics
 *   `(time, series, statistic, value, reference_run)`. Both create their tables if needed and upsert.
 *   Writing is implemented for PostgreSQL; CrateDB is supported for reading.
 *
 * Times are epoch milliseconds on our side and `timestamptz` in the database (sessions run in UTC).
 * Bins are left-closed and labelled by their start, from the Unix epoch: `dateBin()` of the series module
 * gives the same buckets.
 */

import { type Duration, parseDuration } from '../lifecycle/duration.js';
import { LifecycleError } from '../lifecycle/errors.js';
import type { MonitorRecord } from '../lifecycle/monitor.js';
import { parseTime } from '../series/series.js';
import type { TimeInput, TimeSeries } from '../series/types.js';
import { datasetDigest } from '../tracking/common.js';
import { redactUri } from '../tracking/open.js';
import { isUnreachable } from '../tracking/sql-connect.js';

export type SqlDialect = 'postgres' | 'crate';
export type SqlAggregate = 'max' | 'min' | 'mean' | 'sum' | 'count' | 'first' | 'last';
const AGGREGATES: readonly SqlAggregate[] = ['max', 'min', 'mean', 'sum', 'count', 'first', 'last'];

export interface ReadSqlOptions {
  /** Table name (`name` or `schema.name`). */
  readonly table: string;
  /** Time column (default `time`). */
  readonly time?: string;
  /** Value column (default `value`). */
  readonly value?: string;
  /** Only rows whose `column` equals `value` (e.g. a series-name column of a long table). */
  readonly where?: { readonly column: string; readonly equals: string | number };
  /** Time range [from, to): inclusive start, exclusive end. Open-ended when omitted. */
  readonly from?: TimeInput;
  readonly to?: TimeInput;
  /** Bucket width (`'5m'`, ms…); omitted = raw rows. */
  readonly bin?: Duration;
  /** Aggregate per bucket (default `max` when binning). */
  readonly aggregate?: SqlAggregate;
}

/** Where a series read with `readSql` came from. */
export interface SqlSource {
  /** The URI without password. */
  readonly uri: string;
  readonly dialect: SqlDialect;
  readonly table: string;
  readonly time: string;
  readonly value: string;
  readonly from: number | null;
  readonly to: number | null;
  readonly binMs: number | null;
  readonly aggregate: SqlAggregate | null;
  /** The SQL text and its parameters. */
  readonly query: string;
  readonly params: readonly (string | number)[];
  readonly rows: number;
  /** sha256 of the series (as `run.logDataset` computes it). */
  readonly digest: string;
}

export interface SqlSeries {
  readonly series: TimeSeries;
  readonly source: SqlSource;
}

interface Conn {
  dialect: SqlDialect;
  connectionString: string;
  display: string;
  /** `?connect_timeout_ms=` (default 10 s, as the SQL tracking store): how long connecting may take. */
  connectTimeoutMs: number;
  /** `?lock_timeout_ms=` (default 60 s): how long a load or write waits for its table's lock. */
  lockTimeoutMs: number;
}

/**
 * Removes `?name=` from `c` and returns it as a whole number of milliseconds from 1 to 2^31 - 1 (the
 * most a Node timer and PostgreSQL's `lock_timeout` take), or `fallback`.
 */
function msParam(c: URL, name: string, fallback: number, uri: string): number {
  const raw = c.searchParams.get(name);
  c.searchParams.delete(name);
  const ms = raw === null ? fallback : Number(raw);
  if (!Number.isSafeInteger(ms) || ms < 1 || ms > 2_147_483_647) {
    throw new LifecycleError(
      'bad_uri',
      `${name}=${raw} in ${JSON.stringify(redactUri(uri))} must be a whole number of milliseconds from 1 to 2147483647`,
    );
  }
  return ms;
}

function parseUri(uri: string): Conn {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    throw new LifecycleError(
      'bad_uri',
      `not a database URI: ${JSON.stringify(redactUri(uri))}; use postgres://… or crate://…`,
    );
  }
  const scheme = u.protocol.replace(/:$/, '');
  if (!['postgres', 'postgresql', 'crate'].includes(scheme)) {
    throw new LifecycleError(
      'bad_uri',
      `unsupported database scheme "${scheme}:"; use postgres://… or crate://…`,
    );
  }
  const dialect: SqlDialect = scheme === 'crate' ? 'crate' : 'postgres';
  const c = new URL(`postgresql${uri.slice(uri.indexOf(':'))}`);
  if (dialect === 'crate') {
    if (!c.username) c.username = 'crate';
    if (!c.port) c.port = '5432';
  }
  c.searchParams.delete('schema');
  const connectTimeoutMs = msParam(c, 'connect_timeout_ms', 10_000, uri);
  const lockTimeoutMs = msParam(c, 'lock_timeout_ms', LOCK_TIMEOUT_MS, uri);
  return {
    dialect,
    connectionString: c.toString(),
    display: redactUri(uri),
    connectTimeoutMs,
    lockTimeoutMs,
  };
}

/** How long a load or write waits for its table's lock by default (`?lock_timeout_ms=`). */
const LOCK_TIMEOUT_MS = 60_000;

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** A double-quoted identifier, or a schema-qualified one; anything else is refused (no injection). */
export function quoteIdent(name: string, what: string): string {
  const parts = typeof name === 'string' ? name.split('.') : [];
  if (parts.length < 1 || parts.length > 2 || !parts.every((p) => IDENT.test(p))) {
    throw new LifecycleError(
      'bad_identifier',
      `${what} ${JSON.stringify(name)} is not a plain SQL identifier (letters, digits, _; optionally schema.name)`,
    );
  }
  return parts.map((p) => `"${p}"`).join('.');
}

/** Writing is PostgreSQL-only for now: CrateDB has neither to_timestamp nor typed UNNEST casts. */
function writableConn(uri: string): Conn {
  const conn = parseUri(uri);
  if (conn.dialect !== 'postgres') {
    throw new LifecycleError(
      'unsupported',
      'writing tables is implemented for PostgreSQL only; CrateDB (crate://) is supported by readSql',
    );
  }
  return conn;
}

function sqlAggregate(a: SqlAggregate, col: string, time: string, dialect: SqlDialect): string {
  switch (a) {
    case 'max':
      return `MAX(${col})`;
    case 'min':
      return `MIN(${col})`;
    case 'mean':
      return `AVG(${col})`;
    case 'sum':
      return `SUM(${col})`;
    case 'count':
      return `COUNT(${col})`;
    case 'first':
      return dialect === 'crate' ? `MIN_BY(${col}, ${time})` : `(ARRAY_AGG(${col} ORDER BY ${time} ASC))[1]`;
    case 'last':
      return dialect === 'crate' ? `MAX_BY(${col}, ${time})` : `(ARRAY_AGG(${col} ORDER BY ${time} DESC))[1]`;
  }
}

function optTime(x: TimeInput | undefined, what: string): number | null {
  if (x === undefined) return null;
  const ms = parseTime(x);
  if (!Number.isFinite(ms))
    throw new LifecycleError('bad_option', `${what}: not a time: ${JSON.stringify(x)}`);
  return ms;
}

/** The query `readSql` runs, for a dialect (exported for tests and docs). */
export function buildReadQuery(
  dialect: SqlDialect,
  opts: ReadSqlOptions,
): { text: string; params: (string | number)[]; binMs: number | null; aggregate: SqlAggregate | null } {
  const table = quoteIdent(opts.table, 'table');
  const time = quoteIdent(opts.time ?? 'time', 'time column');
  const value = quoteIdent(opts.value ?? 'value', 'value column');
  const from = optTime(opts.from, 'from');
  const to = optTime(opts.to, 'to');
  if (from !== null && to !== null && !(from < to)) {
    throw new LifecycleError('bad_option', `from (${new Date(from).toISOString()}) must be before to`);
  }
  const binMs = opts.bin === undefined ? null : parseDuration(opts.bin, 'bin');
  const aggregate = binMs === null ? null : (opts.aggregate ?? 'max');
  if (aggregate !== null && !AGGREGATES.includes(aggregate)) {
    throw new LifecycleError(
      'bad_option',
      `aggregate must be one of ${AGGREGATES.join(', ')}, got ${JSON.stringify(aggregate)}`,
    );
  }
  const params: (string | number)[] = [];
  const p = (x: string | number) => {
    params.push(x);
    return `$${params.length}`;
  };
  // Time bounds and bins as epoch ms: PostgreSQL converts with to_timestamp, CrateDB compares ms directly.
  const ts = (ms: number) => (dialect === 'crate' ? `${p(ms)}` : `to_timestamp(${p(ms / 1000)}::float8)`);
  const epochMs = (e: string) => (dialect === 'crate' ? e : `(EXTRACT(EPOCH FROM ${e}) * 1000)::float8`);
  const where: string[] = [];
  if (from !== null) where.push(`${time} >= ${ts(from)}`);
  if (to !== null) where.push(`${time} < ${ts(to)}`);
  if (opts.where) where.push(`${quoteIdent(opts.where.column, 'where column')} = ${p(opts.where.equals)}`);
  const whereSql = where.length ? ` WHERE ${where.join(' AND ')}` : '';
  let text: string;
  if (binMs === null) {
    text = `SELECT ${epochMs(time)} AS t, ${value}::float8 AS v FROM ${table}${whereSql} ORDER BY 1`;
  } else {
    const interval = `${p(`${binMs} milliseconds`)}::interval`;
    const origin = dialect === 'crate' ? '0' : `TIMESTAMPTZ '1970-01-01 00:00:00+00'`;
    const bucket = `date_bin(${interval}, ${time}, ${origin})`;
    const agg = sqlAggregate(aggregate as SqlAggregate, value, time, dialect);
    text = `SELECT ${epochMs(bucket)} AS t, (${agg})::float8 AS v FROM ${table}${whereSql} GROUP BY ${bucket} ORDER BY 1`;
  }
  return { text, params, binMs, aggregate };
}

type PgClient = {
  connect(): Promise<void>;
  query(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
  end(): Promise<void>;
};

/** `host:port` of a connection, for messages (no user, no password). */
function serverOf(conn: Conn): string {
  const u = new URL(conn.connectionString);
  return `${u.hostname || 'localhost'}:${u.port || '5432'}`;
}

/** What to check for a few SQLSTATEs a user meets first. */
const HINTS: Readonly<Record<string, string>> = {
  '42P01': 'check the table name (the table option; ?table= in a command-line URI) and the schema',
  '42703': 'check the time and value column names (the time and value options)',
  '28P01': 'check the user and password in the URI',
  '28000': 'check the user in the URI and that pg_hba.conf lets it connect from here',
  '3D000': 'check the database name in the URI',
  '22008': "a time is outside PostgreSQL's timestamptz range (4713 BC to 294276 AD)",
};

/**
 * A failure of `pg` as a LifecycleError: `db_unreachable` when no connection could be opened (nothing
 * was sent), `db_error` when the server refused a statement (SQLSTATE and what to check) or the
 * connection broke meanwhile. Writes here are one transaction each, so a refused one stored nothing.
 */
function dbError(err: unknown, conn: Conn, what: string, connected: boolean): unknown {
  if (err instanceof LifecycleError) return err;
  const e = (err ?? {}) as { message?: unknown; code?: unknown; severity?: unknown };
  const msg = typeof e.message === 'string' && e.message ? e.message : String(err);
  const where = serverOf(conn);
  if (!connected && (isUnreachable(err) || typeof e.severity !== 'string')) {
    return new LifecycleError(
      'db_unreachable',
      `the database server at ${where} cannot be reached to ${what} (${msg}); nothing was read or written: check the host and port in ${conn.display} and that PostgreSQL is running and accepts TCP connections there`,
      { cause: err },
    );
  }
  if (typeof e.severity === 'string' && typeof e.code === 'string') {
    const hint = HINTS[e.code];
    return new LifecycleError(
      'db_error',
      `the database at ${where} refused to ${what}: ${msg} (SQLSTATE ${e.code})${what.startsWith('read ') ? '' : '; nothing was written'}${hint ? `: ${hint}` : ''}`,
      { cause: err },
    );
  }
  return new LifecycleError(
    'db_error',
    `the connection to the database at ${where} failed while trying to ${what} (${msg}); a write may or may not have been stored as a whole (never in part): run it again (loading and upserting again is harmless)`,
    { cause: err },
  );
}

/** One connection for `fn`; `pg`'s errors become LifecycleError `db_unreachable` / `db_error`. */
async function withClient<T>(conn: Conn, what: string, fn: (c: PgClient) => Promise<T>): Promise<T> {
  const pg = (await import('pg')).default;
  let client: PgClient | undefined;
  try {
    // the constructor reads files the URI names (sslcert=, sslkey=, sslrootcert=)
    client = new pg.Client({
      connectionString: conn.connectionString,
      connectionTimeoutMillis: conn.connectTimeoutMs,
    }) as unknown as PgClient;
    await client.connect();
  } catch (err) {
    await client?.end().catch(() => {});
    throw dbError(err, conn, what, false);
  }
  try {
    if (conn.dialect === 'postgres') await client.query(`SET TIME ZONE 'UTC'`);
    return await fn(client);
  } catch (err) {
    throw dbError(err, conn, what, true);
  } finally {
    await client.end().catch(() => {});
  }
}

/** `fn` in one transaction: every row or none (a failure rolls back what was sent). */
async function inTransaction<T>(c: PgClient, fn: () => Promise<T>): Promise<T> {
  await c.query('BEGIN');
  try {
    const out = await fn();
    await c.query('COMMIT');
    return out;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/**
 * Takes the transaction-scoped advisory lock of `table` (released at COMMIT or ROLLBACK, and by the
 * server when the connection ends). The key is the table's schema-qualified name as the server
 * resolves it, so `x` and `public.x` take one lock; two tables whose names hash alike (32 bits) only
 * wait for each other. The wait is bounded by `conn.lockTimeoutMs` (PostgreSQL's `lock_timeout`, set
 * for this statement only): past it, `db_lock_timeout`, and the transaction rolls back.
 */
async function lockTable(c: PgClient, conn: Conn, table: string): Promise<void> {
  const parts = table.split('.');
  const schema = parts.length === 2 ? parts[0] : null;
  const name = parts[parts.length - 1];
  await c.query(`SET LOCAL lock_timeout = ${conn.lockTimeoutMs}`);
  try {
    await c.query(
      `SELECT pg_advisory_xact_lock(hashtext('tsad.table'), hashtext(coalesce($1::text, (SELECT n.nspname FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace WHERE r.oid = to_regclass($3)), current_schema(), '') || '.' || $2))`,
      [schema, name, quoteIdent(table, 'table')],
    );
  } catch (err) {
    if ((err as { code?: unknown }).code !== '55P03') throw err;
    throw new LifecycleError(
      'db_lock_timeout',
      `waited ${conn.lockTimeoutMs} ms for the lock of table ${table} at ${serverOf(conn)} (tsad's advisory lock: another load or write of that table holds it, or a session whose connection was cut and which the server has not yet ended); nothing was written: run it again once that one ends, give it longer with ?lock_timeout_ms= in the URI, or find the holder with SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted and end it with SELECT pg_terminate_backend(pid)`,
      { cause: err },
    );
  }
  // the rest of the transaction keeps the server's setting
  await c.query('SET LOCAL lock_timeout TO DEFAULT');
}

/**
 * Creates a table if it is not there, in a short transaction of its own under the table's lock: two
 * writers' `CREATE TABLE IF NOT EXISTS` at once would otherwise fail one of them (23505) once the
 * other commits, and writes are long transactions.
 */
async function ensureTable(c: PgClient, conn: Conn, table: string, ddl: string): Promise<void> {
  await inTransaction(c, async () => {
    await lockTable(c, conn, table);
    await c.query(ddl);
  });
}

/** Refuses a non-finite time or value before anything is sent (bad_sample naming the row). */
function checkFinite(what: string, a: ArrayLike<number>): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) {
      throw new LifecycleError(
        'bad_sample',
        `${what} at row ${i} is ${a[i]}: every time and value must be a finite number; nothing was written`,
      );
    }
  }
}

/** Elements [from, to) of an array-like as a plain array (what `pg` binds as float8[]). */
function chunk<T>(a: ArrayLike<T>, from: number, to: number): T[] {
  return Array.from({ length: to - from }, (_, k) => a[from + k]);
}

/** Rows a read fetches at a time (a server-side cursor), so `pg` holds one page of row objects. */
const PAGE = 10_000;

/**
 * The rows of a read, checked as they come (a missing or repeated time, a NULL or non-finite value is
 * `bad_sample` at once, before the rest is fetched) and kept as typed arrays, one pair per page.
 */
class ReadRows {
  private readonly ts: Float64Array[] = [];
  private readonly vs: Float64Array[] = [];
  private last = Number.NEGATIVE_INFINITY;
  n = 0;

  constructor(private readonly table: string) {}

  add(rows: readonly Record<string, unknown>[]): void {
    const m = rows.length;
    const t = new Float64Array(m);
    const v = new Float64Array(m);
    for (let k = 0; k < m; k++) {
      // a NULL is NaN here, not Number(null)'s 0
      t[k] = rows[k].t === null ? Number.NaN : Number(rows[k].t);
      v[k] = rows[k].v === null ? Number.NaN : Number(rows[k].v);
      if (!Number.isFinite(t[k]) || !(t[k] > this.last)) {
        throw new LifecycleError(
          'bad_sample',
          `${this.table}: row ${this.n + k} has a missing or repeated time; bin the query (bin: '5m') or deduplicate the table`,
        );
      }
      if (!Number.isFinite(v[k])) {
        throw new LifecycleError(
          'bad_sample',
          `${this.table}: value at ${new Date(t[k]).toISOString()} is ${rows[k].v}; filter NULLs`,
        );
      }
      this.last = t[k];
    }
    this.ts.push(t);
    this.vs.push(v);
    this.n += m;
  }

  /** The series (the pages copied into one pair of arrays, the pages then dropped). */
  series(): TimeSeries {
    const join = (parts: Float64Array[]) => {
      const out = new Float64Array(this.n);
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      parts.length = 0;
      return out;
    };
    return { t: join(this.ts), v: join(this.vs) };
  }
}

/**
 * Reads a (time-bucketed) series from a table; see the file comment. The rows come through a
 * server-side cursor (`DECLARE … CURSOR` in a transaction, then `FETCH FORWARD`), `PAGE` at a time, on
 * PostgreSQL and on CrateDB (5.1 or later: earlier versions have no `DECLARE`): memory is the returned
 * series (16 bytes a row), twice that while the pages are joined, plus one page of `pg` row objects.
 */
export async function readSql(uri: string, opts: ReadSqlOptions): Promise<SqlSeries> {
  const conn = parseUri(uri);
  const q = buildReadQuery(conn.dialect, opts);
  const read = new ReadRows(opts.table);
  await withClient(conn, `read ${opts.table}`, async (c) => {
    await inTransaction(c, async () => {
      try {
        await c.query(`DECLARE tsad_read NO SCROLL CURSOR FOR ${q.text}`, q.params);
      } catch (err) {
        // a CrateDB before 5.1 refuses the statement itself: the message says which version reads
        if (conn.dialect !== 'crate') throw err;
        throw dbError(
          err,
          conn,
          `read ${opts.table} through a cursor (DECLARE … CURSOR, which CrateDB 5.1 and later have)`,
          true,
        );
      }
      for (;;) {
        const { rows } = await c.query(`FETCH FORWARD ${PAGE} FROM tsad_read`);
        read.add(rows);
        if (rows.length < PAGE) break;
      }
    });
  });
  const n = read.n;
  const series = read.series();
  return {
    series,
    source: {
      uri: conn.display,
      dialect: conn.dialect,
      table: opts.table,
      time: opts.time ?? 'time',
      value: opts.value ?? 'value',
      from: optTime(opts.from, 'from'),
      to: optTime(opts.to, 'to'),
      binMs: q.binMs,
      aggregate: q.aggregate,
      query: q.text,
      params: q.params,
      rows: n,
      digest: datasetDigest(series),
    },
  };
}

/** A one-line description of a SQL source for `run.logDataset({ source })`. */
export function describeSqlSource(s: SqlSource): string {
  const u = new URL(s.uri);
  u.search = '';
  const range = `${s.from === null ? '-inf' : new Date(s.from).toISOString()},${s.to === null ? '+inf' : new Date(s.to).toISOString()}`;
  const bin = s.binMs === null ? '' : `&bin=${s.binMs}ms&aggregate=${s.aggregate}`;
  return `${u.toString()}#table=${s.table}&time=${s.time}&value=${s.value}&range=[${range})${bin}&rows=${s.rows}`;
}

const CHUNK = 5000;

/**
 * Creates `table (time timestamptz NOT NULL, value double precision NOT NULL)` and inserts the rows,
 * unless the table already has rows (then nothing is written). Returns how many rows were inserted.
 * All rows or none: one transaction, one load of a table at a time (a second waits, then finds the rows);
 * a non-finite time or value is refused (`bad_sample`) before anything is sent.
 */
export async function loadSeriesSql(
  uri: string,
  table: string,
  rows: { readonly t: ArrayLike<number>; readonly v: ArrayLike<number> },
): Promise<{ inserted: number; existing: number }> {
  const conn = writableConn(uri);
  const tbl = quoteIdent(table, 'table');
  if (rows.t.length !== rows.v.length) {
    throw new LifecycleError('bad_sample', `t has ${rows.t.length} rows but v has ${rows.v.length}`);
  }
  checkFinite('time', rows.t);
  checkFinite('value', rows.v);
  return withClient(conn, `load rows into ${table}`, (c) =>
    inTransaction(c, async () => {
      // one load of a table at a time: a second waits here, then finds the rows the first committed
      await lockTable(c, conn, table);
      await c.query(
        `CREATE TABLE IF NOT EXISTS ${tbl} ("time" TIMESTAMP WITH TIME ZONE NOT NULL, "value" DOUBLE PRECISION NOT NULL)`,
      );
      const existing = Number((await c.query(`SELECT COUNT(*) AS n FROM ${tbl}`)).rows[0].n);
      if (existing > 0) return { inserted: 0, existing };
      for (let i = 0; i < rows.t.length; i += CHUNK) {
        const j = Math.min(rows.t.length, i + CHUNK);
        await c.query(
          `INSERT INTO ${tbl} ("time", "value") SELECT to_timestamp(x / 1000.0), y FROM UNNEST($1::float8[], $2::float8[]) AS u(x, y)`,
          [chunk(rows.t, i, j), chunk(rows.v, i, j)],
        );
      }
      return { inserted: rows.t.length, existing: 0 };
    }),
  );
}

/** Predictions of one model on one series, one row per scored time. */
export interface PredictionRows {
  readonly series: string;
  readonly t: ArrayLike<number>;
  /** The input values at `t`. */
  readonly value: ArrayLike<number>;
  /** Calibrated anomaly scores. */
  readonly score: ArrayLike<number>;
  /** Alarm (non-zero / true = alarm). */
  readonly alarm: ArrayLike<number | boolean>;
  readonly model?: string;
  readonly modelVersion?: number;
  readonly runId?: string;
}

export const PREDICTIONS_TABLE = 'tsad_predictions';
export const MONITOR_TABLE = 'tsad_monitor';

/** The DDL of the prediction table (see docs/lifecycle.md). */
export function predictionsDdl(table = PREDICTIONS_TABLE): string {
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(table, 'table')} ("time" TIMESTAMP WITH TIME ZONE NOT NULL, "series" TEXT NOT NULL, "value" DOUBLE PRECISION, "score" DOUBLE PRECISION, "alarm" BOOLEAN NOT NULL, "model" TEXT, "model_version" INTEGER, "run_id" TEXT NOT NULL DEFAULT '', PRIMARY KEY ("series", "time", "run_id"))`;
}

/** The DDL of the monitoring table (see docs/lifecycle.md). */
export function monitorDdl(table = MONITOR_TABLE): string {
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(table, 'table')} ("time" TIMESTAMP WITH TIME ZONE NOT NULL, "series" TEXT NOT NULL, "statistic" TEXT NOT NULL, "value" DOUBLE PRECISION, "reference_run" TEXT NOT NULL DEFAULT '', PRIMARY KEY ("series", "statistic", "time", "reference_run"))`;
}

/** Writes predictions beside the inputs (upsert on series, time, run_id). Returns the row count. */
export async function writeSql(
  uri: string,
  rows: PredictionRows,
  opts: { table?: string } = {},
): Promise<number> {
  const conn = writableConn(uri);
  const table = opts.table ?? PREDICTIONS_TABLE;
  const tbl = quoteIdent(table, 'table');
  const n = rows.t.length;
  for (const [k, a] of [
    ['value', rows.value],
    ['score', rows.score],
    ['alarm', rows.alarm],
  ] as const) {
    if (a.length !== n) throw new LifecycleError('bad_sample', `${k} has ${a.length} rows but t has ${n}`);
  }
  return withClient(conn, `write predictions to ${table}`, async (c) => {
    await ensureTable(c, conn, table, predictionsDdl(table));
    return inTransaction(c, async () => {
      for (let i = 0; i < n; i += CHUNK) {
        const j = Math.min(n, i + CHUNK);
        const ts: number[] = [];
        const vs: number[] = [];
        const ss: number[] = [];
        const as: boolean[] = [];
        for (let k = i; k < j; k++) {
          ts.push(rows.t[k] / 1000);
          vs.push(rows.value[k]);
          ss.push(rows.score[k]);
          as.push(Boolean(rows.alarm[k]));
        }
        const conflict =
          'ON CONFLICT ("series", "time", "run_id") DO UPDATE SET "value" = EXCLUDED."value", "score" = EXCLUDED."score", "alarm" = EXCLUDED."alarm", "model" = EXCLUDED."model", "model_version" = EXCLUDED."model_version"';
        await c.query(
          `INSERT INTO ${tbl} ("time", "series", "value", "score", "alarm", "model", "model_version", "run_id") SELECT to_timestamp(x), $5, v, s, a, $6, $7, $8 FROM UNNEST($1::float8[], $2::float8[], $3::float8[], $4::boolean[]) AS u(x, v, s, a) ${conflict}`,
          [ts, vs, ss, as, rows.series, rows.model ?? null, rows.modelVersion ?? null, rows.runId ?? ''],
        );
      }
      return n;
    });
  });
}

/** Writes monitor records `(time, series, statistic, value, reference_run)` (upsert). Returns the row count. */
export async function writeMonitorSql(
  uri: string,
  records: readonly MonitorRecord[],
  opts: { table?: string } = {},
): Promise<number> {
  const conn = writableConn(uri);
  const table = opts.table ?? MONITOR_TABLE;
  const tbl = quoteIdent(table, 'table');
  return withClient(conn, `write monitor records to ${table}`, async (c) => {
    await ensureTable(c, conn, table, monitorDdl(table));
    return inTransaction(c, async () => {
      for (let i = 0; i < records.length; i += CHUNK) {
        const part = records.slice(i, i + CHUNK);
        await c.query(
          `INSERT INTO ${tbl} ("time", "series", "statistic", "value", "reference_run") SELECT to_timestamp(x), s, k, v, r FROM UNNEST($1::float8[], $2::text[], $3::text[], $4::float8[], $5::text[]) AS u(x, s, k, v, r) ON CONFLICT ("series", "statistic", "time", "reference_run") DO UPDATE SET "value" = EXCLUDED."value"`,
          [
            part.map((r) => r.timestamp / 1000),
            part.map((r) => r.series),
            part.map((r) => r.statistic),
            part.map((r) => r.value),
            part.map((r) => r.referenceRun ?? ''),
          ],
        );
      }
      return records.length;
    });
  });
}
