/**
 * Connecting the SQL store: URI parsing, the `pg` pool executor, error wrapping, and bringing a
 * database to the current schema version (`migrate`).
 */
import { TrackingError } from '../errors.js';
import { redactUri } from './open.js';
import {
  SQL_SCHEMA_VERSION,
  type SqlDialect,
  type SqlDialectName,
  type SqlExecutor,
  type SqlQuery,
  type SqlResult,
} from './sql-dialect.js';

/** Parses a SQL tracking URI: dialect, schema (`?schema=`), and the URI `pg` connects with. */
export function parseSqlUri(uri: string): {
  dialect: SqlDialectName;
  schema: string;
  connectionString: string;
  /** `?connect_timeout_ms=` (default 10 s): how long connecting may take. */
  connectTimeoutMs: number;
  /** `?statement_timeout_ms=` (default 30 s): the longest statement; 0 = none. */
  statementTimeoutMs: number;
} {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    // no cause: URL's TypeError carries the whole input, password included
    throw new TrackingError(
      'invalid_uri',
      `cannot parse SQL tracking URI ${redactUri(uri)}: check the host, the port (1-65535) and brackets around IPv6 addresses`,
    );
  }
  const scheme = u.protocol.replace(/:$/, '');
  const dialect: SqlDialectName = scheme === 'crate' ? 'crate' : 'postgres';
  const schema = u.searchParams.get('schema') ?? (dialect === 'crate' ? 'doc' : 'public');
  u.searchParams.delete('schema');
  const rest = uri.slice(uri.indexOf(':'));
  let conn = `postgresql${rest}`;
  const c = new URL(conn);
  c.searchParams.delete('schema');
  const ms = (name: string, dflt: number): number => {
    const v = c.searchParams.get(name);
    c.searchParams.delete(name);
    if (v === null) return dflt;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new TrackingError(
        'invalid_uri',
        `SQL tracking URI: ${name}=${v} must be a whole number of milliseconds`,
      );
    }
    return n;
  };
  const connectTimeoutMs = ms('connect_timeout_ms', 10_000);
  const statementTimeoutMs = ms('statement_timeout_ms', 30_000);
  if (dialect === 'crate') {
    if (!c.username) c.username = 'crate';
    if (!c.port) c.port = '5432';
  }
  conn = c.toString();
  return { dialect, schema, connectionString: conn, connectTimeoutMs, statementTimeoutMs };
}

const ignore = (): void => undefined;

/** Connections in the pool; a call lost on a connection the server ended is sent again up to this many times (every idle one may be dead). */
export const POOL_SIZE = 4;

export async function pgExecutor(
  connectionString: string,
  transactions: boolean,
  timeouts: { connectTimeoutMs: number; statementTimeoutMs: number },
): Promise<SqlExecutor> {
  let pg: typeof import('pg');
  try {
    pg = await import('pg');
  } catch (err) {
    throw new TrackingError(
      'missing_dependency',
      `SQL tracking URIs need the "pg" package, an optional peer dependency of tsad: npm install pg (${(err as Error).message.split('\n')[0]})`,
    );
  }
  const Pool = pg.default.Pool;
  const pool = new Pool({
    connectionString,
    max: POOL_SIZE,
    connectionTimeoutMillis: timeouts.connectTimeoutMs,
    // the server ends a statement after this long; the client gives up a little later (a frozen server)
    ...(timeouts.statementTimeoutMs > 0
      ? { statement_timeout: timeouts.statementTimeoutMs, query_timeout: timeouts.statementTimeoutMs + 5000 }
      : {}),
  });
  pool.on('error', () => undefined); // idle client errors surface on the next query
  // where a connection that could not be opened was to go, for the message (`wrapDbError`)
  // as pg reads the URI: ?host= and ?port= before the URI's own, then PGHOST/PGPORT, then its defaults
  const u = new URL(connectionString);
  const host =
    u.searchParams.get('host') || decodeURIComponent(u.hostname) || process.env.PGHOST || 'localhost';
  const server = `${host}:${u.searchParams.get('port') || u.port || process.env.PGPORT || 5432}`;
  // the pool's open connections (connected, not yet removed): pg-pool's "timeout exceeded when trying to
  // connect" says only that no connection of the pool's POOL_SIZE came free; with fewer open, the call
  // waited on connections still being opened, a server that does not answer, not on busy ones
  const open = new Set<object>();
  pool.on('connect', (c) => open.add(c));
  pool.on('remove', (c) => open.delete(c));
  const noted = (err: unknown): unknown => {
    const kind = connectFailure(err);
    if (kind) {
      const opening = isPoolWait(err) ? Math.max(0, POOL_SIZE - open.size) : 0;
      failedConnect.set(err as object, { kind, server, ms: timeouts.connectTimeoutMs, opening });
    }
    return err;
  };
  const query: SqlQuery = async (text, values) => {
    try {
      const r = await pool.query(text, values as unknown[] | undefined);
      return { rows: r.rows as Record<string, unknown>[], rowCount: r.rowCount };
    } catch (err) {
      throw noted(err);
    }
  };
  return {
    query,
    async tx(fn) {
      if (!transactions) return fn(query);
      // One attempt: BEGIN, the statements, COMMIT. A connection the server ended (a restart,
      // `pg_terminate_backend`, a proxy's idle timeout) fails the first statement sent on it; before
      // COMMIT is sent nothing of the transaction is stored (`sql_connection_lost`, 'not_stored'), a
      // connection lost during COMMIT leaves the outcome unknown ('unknown'). The caller owns the resends
      // (SqlStore.write, migrate: one retryLost loop each; never after an unknown outcome unless the write
      // is idempotent), so a transaction goes out at most 1 + POOL_SIZE times.
      const client = await pool.connect().catch((err: unknown) => {
        throw noted(err);
      });
      // the socket can fail between two statements (the server ended the connection): `pg` then
      // emits 'error' on the checked-out client, which would end the process without a listener;
      // the failure reaches the caller through the next statement instead
      client.on('error', ignore);
      const q: SqlQuery = async (text, values) => {
        const r = await client.query(text, values as unknown[] | undefined);
        return { rows: r.rows as Record<string, unknown>[], rowCount: r.rowCount };
      };
      let out: Awaited<ReturnType<typeof fn>>;
      let committing = false;
      try {
        await client.query('BEGIN');
        out = await fn(q);
        committing = true;
        await client.query('COMMIT');
      } catch (err) {
        // a connection that cannot roll back is not given back to the pool
        const broken = await client.query('ROLLBACK').then(
          () => false,
          () => true,
        );
        if (!broken) client.off('error', ignore);
        client.release(broken);
        if (isConnectionLost(err)) throw connectionLost(err, committing ? 'unknown' : 'not_stored');
        throw err;
      }
      client.off('error', ignore);
      client.release();
      return out;
    },
    close: () => pool.end(),
  };
}

/**
 * The server ended the connection or could not be reached mid-call: PostgreSQL's classes 08
 * (connection exception) and 57P01/57P02 (operator intervention: terminated, shutting down), or
 * the socket closing under `pg`.
 */
export function isConnectionLost(err: unknown): boolean {
  // a connection that could not be opened in time was never there to lose (nor sent again: each
  // send would wait the whole connect timeout once more); nor one a server starting up turned away
  // (57P03: it takes seconds, so asking again at once only asks POOL_SIZE more times; a transaction's
  // connect never did, and reads now agree with it)
  if (err instanceof TrackingError || connectFailure(err) !== undefined) return false;
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (/^08/.test(code) || /^57P0[12]$/.test(code)) return true;
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNREFUSED') return true;
  const msg = typeof e.message === 'string' ? e.message : '';
  return /^Connection terminated|not queryable/.test(msg);
}

/**
 * Sends one statement, and again on another connection when the one it went out on was lost (each dead
 * one is dropped; at most POOL_SIZE more times): only for statements that may run twice, reads and
 * idempotent writes (an upsert of the same values).
 */
export function resend(ex: SqlExecutor, text: string, values?: readonly unknown[]): Promise<SqlResult> {
  return retryLost(() => ex.query(text, values), isConnectionLost);
}

/**
 * Calls `attempt(n)` (n = 0, 1, ...) until it returns, again after each failure `lost` accepts (a lost
 * connection: the pool drops the dead one, so the next call goes out on another), at most POOL_SIZE
 * more times; any other failure, or the last one, is thrown as it is. The one retry loop of the SQL
 * backend: callers choose what counts as lost and whether the call may run twice.
 */
export async function retryLost<T>(
  attempt: (n: number) => Promise<T>,
  lost: (err: unknown) => boolean,
): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (n >= POOL_SIZE || !lost(err)) throw err;
    }
  }
}

/** The `sql_connection_lost` errors whose write may have been stored (`connectionLost(…, 'unknown')`). */
const unknownOutcome = new WeakSet<TrackingError>();

/** `sql_connection_lost`: what happened to the write, and what to do. */
export function connectionLost(err: unknown, outcome: 'not_stored' | 'unknown'): TrackingError {
  const why = (err as { message?: string }).message ?? String(err);
  const what =
    outcome === 'not_stored'
      ? 'the write was not stored; call it again once the server is back'
      : 'the write may or may not be stored: read it back (getRun, getMetricHistory) before logging it again';
  const e = new TrackingError(
    'sql_connection_lost',
    `the connection to the SQL tracking server was lost (${why}); ${what}`,
    { cause: err },
  );
  if (outcome === 'unknown') unknownOutcome.add(e);
  return e;
}

/** A write `connectionLost` reported as maybe stored (its connection lost during COMMIT or a lone statement's reply). */
export function mayBeStored(err: unknown): boolean {
  return err instanceof TrackingError && unknownOutcome.has(err);
}

/**
 * The error to throw for a write whose last send failed with `err`: when an earlier send may have been
 * stored (`earlier`), `sql_connection_lost` "may or may not be stored" however the last one failed (lost
 * before its COMMIT, refused, timed out waiting on the first), so the caller reads the write back
 * instead of sending it a second time; otherwise `err` itself.
 */
export function lastFailure(err: unknown, earlier: boolean): unknown {
  if (!earlier || mayBeStored(err)) return err;
  return connectionLost(isLostWrite(err) ? (err as Error).cause : err, 'unknown');
}

/** A write `connectionLost` reported (`sql_connection_lost`), to be sent again when it is idempotent. */
export function isLostWrite(err: unknown): boolean {
  return err instanceof TrackingError && err.code === 'sql_connection_lost';
}

export const num = (x: unknown): number => (typeof x === 'number' ? x : Number(x));
export const numOrNull = (x: unknown): number | null => (x === null || x === undefined ? null : num(x));

/** Node's codes for a server that cannot be reached: nothing listens there, no such host, no route. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * A failure of opening a connection that says the server cannot take one now: no answer within the
 * connect timeout (`pg-pool`'s two messages for it, or the client's own timer), or a server still
 * starting up (57P03, sent only in answer to a new connection). Nothing was sent on it.
 */
function connectFailure(err: unknown): 'timeout' | 'starting' | undefined {
  if (err === null || typeof err !== 'object' || err instanceof TrackingError) return undefined;
  const e = err as { code?: unknown; message?: unknown };
  if (e.code === '57P03') return 'starting';
  const msg = typeof e.message === 'string' ? e.message : '';
  return /^(timeout exceeded when trying to connect|Connection terminated due to connection timeout|timeout expired)$/.test(
    msg,
  )
    ? 'timeout'
    : undefined;
}

/** pg-pool's failure of a call that waited the whole connect timeout for one of the pool's connections. */
const isPoolWait = (err: unknown): boolean =>
  (err as { message?: unknown }).message === 'timeout exceeded when trying to connect';

/**
 * Connection failures the executor saw, with the server and the timeout, for `wrapDbError`'s message;
 * `opening`: for a call that waited for a pool connection, how many of the pool's were still being
 * opened (not open) when it gave up.
 */
const failedConnect = new WeakMap<
  object,
  { kind: 'timeout' | 'starting'; server: string; ms: number; opening: number }
>();

/**
 * The connection a statement was to go out on could not be opened (refused, no such host, no route, no
 * answer within the connect timeout, a server still starting up): the statement never reached a server,
 * so nothing of it can be stored (`sql_unreachable`).
 */
export function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof TrackingError) return false;
  return (typeof code === 'string' && UNREACHABLE.has(code)) || connectFailure(err) !== undefined;
}

export function wrapDbError(err: unknown, what: string): unknown {
  if (err instanceof TrackingError) return err;
  const e = err as { message?: string; code?: string };
  const kind = connectFailure(err);
  if (kind) {
    const at = failedConnect.get(err as object);
    const where = at ? ` at ${at.server}` : '';
    // pg-pool's message when no connection of the pool came free for the whole timeout: busy with
    // earlier calls when all were open; otherwise some were still being opened, the server silent
    const busy = isPoolWait(err) && !at?.opening;
    const opening = at?.opening
      ? `, ${at.opening} of the tracker's ${POOL_SIZE} connections still being opened when this call gave up waiting for one`
      : '';
    const text = busy
      ? `none of the tracker's ${POOL_SIZE} connections to the SQL tracking server${where} came free within ${at ? `${at.ms} ms` : 'the connect timeout'} (${e.message}), the calls before it still running; nothing was sent, so nothing was stored: call again, send fewer calls at once, or give ?connect_timeout_ms= in the URI more time`
      : kind === 'starting'
        ? `the SQL tracking server${where} is starting up (57P03: ${e.message}); nothing was sent, so nothing was stored: call again in a few seconds, once it accepts connections`
        : `the SQL tracking server${where} did not answer a new connection within ${at ? `${at.ms} ms` : 'the connect timeout'} (${e.message}${opening}); nothing was sent, so nothing was stored: check the host and port in the tracking URI, that the PostgreSQL server is running and that no firewall drops the packets; a server that is only slow needs a longer ?connect_timeout_ms= in the URI`;
    return new TrackingError('sql_unreachable', text, { cause: err });
  }
  if (isUnreachable(err)) {
    // one address tried (or, for a name with several, the first one's failure: an AggregateError)
    const one = ((err as { errors?: unknown[] }).errors?.[0] ?? err) as {
      message?: string;
      address?: string;
      port?: number;
      hostname?: string;
    };
    const where = one.hostname ?? (one.address ? `${one.address}${one.port ? `:${one.port}` : ''}` : '');
    return new TrackingError(
      'sql_unreachable',
      `the SQL tracking server${where ? ` at ${where}` : ''} cannot be reached (${one.message || e.code}): check the host and port in the tracking URI, and that the PostgreSQL server is running and accepts TCP connections there`,
      { cause: err },
    );
  }
  return new TrackingError('backend', `SQL tracking backend failed to ${what}: ${e.message ?? String(err)}`, {
    cause: err,
  });
}

let seqCounter = 0n;
export function nextSeqBase(n: number): bigint {
  const base = BigInt(Date.now()) * 1_000_000n + seqCounter;
  seqCounter = (seqCounter + BigInt(n)) % 1_000_000n;
  return base;
}

/** Runs a DDL statement; a concurrent CREATE ... IF NOT EXISTS can still collide on the catalog. */
export async function ddl(q: SqlQuery, text: string): Promise<void> {
  try {
    await q(text);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== '23505' && code !== '42P07' && code !== '42P06') throw err;
  }
}

/**
 * Brings a database to `SQL_SCHEMA_VERSION`: reads the highest applied version (none: a fresh
 * database, or one written before versions were kept, which migration 1 adopts in place), runs
 * every later migration and records it. PostgreSQL serialises concurrent openers with an advisory
 * lock; a database newer than this tsad is refused.
 */
export async function migrate(ex: SqlExecutor, d: SqlDialect): Promise<number> {
  // CrateDB has no transactions or advisory locks: its DDL runs first, a collision tolerated by `ddl`
  if (d.crate) await ddl(ex.query, d.versionTable());
  const run = async (q: SqlQuery): Promise<number> => {
    if (!d.crate) {
      // PostgreSQL: the schema and the version table are created under the lock too (two openers
      // creating the same table at once collide on its row type: "type ... already exists")
      await q(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`tsad-migrate:${d.schema}`]);
      await q(`CREATE SCHEMA IF NOT EXISTS "${d.schema}"`);
      await q(d.versionTable());
    }
    if (d.crate) await q(`REFRESH TABLE ${d.t('schema_version')}`);
    const r = await q(`SELECT MAX(version) AS v FROM ${d.t('schema_version')}`);
    const current = Number(r.rows[0]?.v ?? 0);
    if (current > SQL_SCHEMA_VERSION) {
      throw new TrackingError(
        'schema_too_new',
        `the tracking database (schema "${d.schema}") has schema version ${current}, newer than this tsad's ${SQL_SCHEMA_VERSION}; upgrade tsad`,
      );
    }
    for (const m of d.migrations()) {
      if (m.version <= current) continue;
      for (const st of m.statements) await ddl(q, st);
      await ddl(
        q,
        `INSERT INTO ${d.t('schema_version')} (version, applied_at) VALUES (${m.version}, ${Date.now()})`,
      );
    }
    for (const st of d.refresh(['schema_version'])) await q(st);
    return Math.max(current, SQL_SCHEMA_VERSION);
  };
  // sent again after a lost connection, also one lost during its COMMIT: each send reads the applied
  // version under the lock first, so one after a COMMIT that went through applies nothing again (and the
  // caller, whose own statement was never sent, is not told that it may be stored)
  return retryLost(() => ex.tx(run), isLostWrite);
}
