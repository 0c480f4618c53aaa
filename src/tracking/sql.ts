/**
 * SQL backend (`postgres://`, `postgresql://`, `crate://`) over `pg`.
 *
 * The tracker creates its tables on first use (in the schema named by `?schema=`, default
 * `public` on PostgreSQL and `doc` on CrateDB). Every value travels as a statement
 * parameter; identifiers (the schema) are validated and quoted. Two dialects:
 *
 * - **postgres**: transactions for multi-statement writes, `ON CONFLICT` upserts,
 *   `BYTEA` artifacts, `BIGSERIAL` insertion order, `unnest` bulk inserts.
 * - **crate** (CrateDB): no transactions (each statement stands alone; writes are ordered
 *   so a crash leaves a readable run), `REFRESH TABLE` after every write so later reads
 *   see it, no UNIQUE constraints (primary keys only, experiment ids derived from names),
 *   `OBJECT(DYNAMIC)` columns for dataset inputs, base64 `TEXT` artifacts, client-side
 *   insertion order.
 */
import { TrackingError } from '../errors.js';
import {
  BaseRun,
  BaseTracker,
  isLater,
  isNumericAttribute,
  newParams,
  normalizeQuery,
  prepareRunOptions,
  resolveVersionArg,
  type ValidBatch,
  validateAlias,
  validateArtifactPath,
  validateExperimentName,
  validateModelName,
  validateRunId,
  validateVersion,
} from './common.js';
import { experimentIdFor } from './file.js';
import { redactUri } from './open.js';
import {
  type ArtifactInfo,
  type DatasetInput,
  type Experiment,
  type FilterClause,
  type MetricPoint,
  type ModelVersion,
  type NormalizedQuery,
  type Param,
  type RegisteredModel,
  type Run,
  type RunOptions,
  type RunRecord,
  type RunStatus,
  type SearchRunsQuery,
  type Tag,
  TrackingNotFoundError,
} from './tracker.js';

export type SqlDialectName = 'postgres' | 'crate';

export interface SqlResult {
  rows: Record<string, unknown>[];
  rowCount: number | null;
}

/** Runs one parameterised statement. */
export type SqlQuery = (text: string, values?: readonly unknown[]) => Promise<SqlResult>;

/** Executes statements; `tx` runs `fn` in a transaction where the dialect has them. */
export interface SqlExecutor {
  query: SqlQuery;
  tx<T>(fn: (q: SqlQuery) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface SqlTrackerOptions {
  /** Replaces the `pg` pool (statement-level tests record statements with it). */
  executor?: SqlExecutor;
}

const TABLES = [
  'experiments',
  'runs',
  'params',
  'tags',
  'metrics',
  'latest_metrics',
  'inputs',
  'artifacts',
  'registered_models',
  'model_versions',
  'model_aliases',
  'schema_version',
] as const;
type Table = (typeof TABLES)[number];

/** The schema version this tsad writes; `SqlDialect.migrations()` leads from 1 up to it. */
export const SQL_SCHEMA_VERSION = 2;

/** Statement builder for one dialect and schema: everything here is pure and testable. */
export class SqlDialect {
  readonly crate: boolean;
  private readonly q: string;

  constructor(
    readonly name: SqlDialectName,
    readonly schema: string,
  ) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      throw new TrackingError(
        'invalid_uri',
        `SQL schema name ${JSON.stringify(schema)} must be lowercase letters, digits and "_"`,
      );
    }
    this.crate = name === 'crate';
    this.q = `"${schema}".`;
  }

  t(table: Table): string {
    return `${this.q}"tsad_${table}"`;
  }

  /** CREATE statements (idempotent). */
  ddl(): string[] {
    const bytes = this.crate ? 'TEXT' : 'BYTEA';
    const seq = this.crate ? 'seq BIGINT NOT NULL' : 'seq BIGSERIAL';
    const input = this.crate
      ? 'input OBJECT(DYNAMIC) AS (name TEXT, digest TEXT, "rows" BIGINT, start_time DOUBLE PRECISION, end_time DOUBLE PRECISION, context TEXT, source TEXT)'
      : 'name TEXT NOT NULL, digest TEXT NOT NULL, "rows" BIGINT NOT NULL, start_time DOUBLE PRECISION, end_time DOUBLE PRECISION, context TEXT NOT NULL, source TEXT';
    const out = this.crate ? [] : [`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`];
    out.push(
      `CREATE TABLE IF NOT EXISTS ${this.t('experiments')} (experiment_id TEXT PRIMARY KEY, name TEXT NOT NULL, creation_time BIGINT NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS ${this.t('runs')} (run_id TEXT PRIMARY KEY, experiment_id TEXT NOT NULL, run_name TEXT NOT NULL, status TEXT NOT NULL, start_time BIGINT NOT NULL, end_time BIGINT)`,
      `CREATE TABLE IF NOT EXISTS ${this.t('params')} (run_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (run_id, key))`,
      `CREATE TABLE IF NOT EXISTS ${this.t('tags')} (run_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (run_id, key))`,
      `CREATE TABLE IF NOT EXISTS ${this.t('metrics')} (run_id TEXT NOT NULL, key TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, step BIGINT NOT NULL, "timestamp" BIGINT NOT NULL, ${seq})`,
      `CREATE TABLE IF NOT EXISTS ${this.t('latest_metrics')} (run_id TEXT NOT NULL, key TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, step BIGINT NOT NULL, "timestamp" BIGINT NOT NULL, PRIMARY KEY (run_id, key))`,
      `CREATE TABLE IF NOT EXISTS ${this.t('inputs')} (run_id TEXT NOT NULL, idx BIGINT NOT NULL, ${input}, PRIMARY KEY (run_id, idx))`,
      `CREATE TABLE IF NOT EXISTS ${this.t('artifacts')} (run_id TEXT NOT NULL, path TEXT NOT NULL, size BIGINT NOT NULL, content ${bytes} NOT NULL, PRIMARY KEY (run_id, path))`,
      `CREATE TABLE IF NOT EXISTS ${this.t('registered_models')} (name TEXT PRIMARY KEY, creation_time BIGINT NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS ${this.t('model_versions')} (name TEXT NOT NULL, version BIGINT NOT NULL, run_id TEXT NOT NULL, artifact_path TEXT NOT NULL, creation_time BIGINT NOT NULL, PRIMARY KEY (name, version))`,
      `CREATE TABLE IF NOT EXISTS ${this.t('model_aliases')} (name TEXT NOT NULL, alias TEXT NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (name, alias))`,
    );
    if (!this.crate) {
      out.push(
        `CREATE INDEX IF NOT EXISTS "tsad_metrics_run_key" ON ${this.t('metrics')} (run_id, key)`,
        `CREATE INDEX IF NOT EXISTS "tsad_runs_experiment" ON ${this.t('runs')} (experiment_id)`,
      );
    }
    return out;
  }

  /** The table recording which migrations a database has had. */
  versionTable(): string {
    return `CREATE TABLE IF NOT EXISTS ${this.t('schema_version')} (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)`;
  }

  /**
   * Forward migrations, in order. Version 1 is the schema tsad wrote before it kept a version
   * (every statement idempotent, so a store of that schema is upgraded in place); later
   * versions only add. Each migration's statements must be safe to run again.
   */
  migrations(): { version: number; statements: string[] }[] {
    return [
      { version: 1, statements: this.ddl() },
      {
        version: 2,
        // metric filters look latest values up by key
        statements: this.crate
          ? []
          : [
              `CREATE INDEX IF NOT EXISTS "tsad_latest_metrics_key" ON ${this.t('latest_metrics')} (key, value)`,
            ],
      },
    ];
  }

  /** Statements to run after writing `tables` (CrateDB: make the writes visible). */
  refresh(tables: readonly Table[]): string[] {
    return this.crate ? [...new Set(tables)].map((t) => `REFRESH TABLE ${this.t(t)}`) : [];
  }

  /** A float that is not NaN (PostgreSQL treats NaN = NaN as true and NaN as the largest value). */
  notNaN(col: string): string {
    return this.crate ? `${col} = ${col}` : `${col} <> 'NaN'::float8`;
  }

  /** Bulk insert of metric points; `seqBase` gives CrateDB rows their logging order. */
  insertMetrics(
    runId: string,
    points: readonly MetricPoint[],
    seqBase: bigint,
  ): { text: string; values: unknown[] } {
    if (!this.crate) {
      return {
        text: `INSERT INTO ${this.t('metrics')} (run_id, key, value, step, "timestamp") SELECT $1, k, v, s, t FROM unnest($2::text[], $3::float8[], $4::bigint[], $5::bigint[]) AS u(k, v, s, t)`,
        values: [
          runId,
          points.map((p) => p.key),
          points.map((p) => p.value),
          points.map((p) => p.step),
          points.map((p) => p.timestamp),
        ],
      };
    }
    const values: unknown[] = [runId];
    const rows: string[] = [];
    points.forEach((p, i) => {
      const b = values.length;
      values.push(p.key, p.value, p.step, p.timestamp, String(seqBase + BigInt(i)));
      rows.push(`($1, $${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5})`);
    });
    return {
      text: `INSERT INTO ${this.t('metrics')} (run_id, key, value, step, "timestamp", seq) VALUES ${rows.join(', ')}`,
      values,
    };
  }

  /**
   * PostgreSQL: inserts the points and upserts each key's latest point in one statement
   * (a data-modifying CTE), so a metrics-only batch needs no transaction.
   */
  metricsStatement(runId: string, points: readonly MetricPoint[]): { text: string; values: unknown[] } {
    const ins = this.insertMetrics(runId, points, 0n);
    const latest = new Map<string, MetricPoint>();
    for (const m of points) {
      const cur = latest.get(m.key);
      if (!cur || !isLater(cur, m)) latest.set(m.key, m);
    }
    const up = this.upsertLatest(runId, [...latest.values()], ins.values);
    return { text: `WITH ins AS (${ins.text}) ${up.text}`, values: up.values };
  }

  /** Upserts the latest point of each key (PostgreSQL: only if it is later than the stored one). */
  upsertLatest(
    runId: string,
    latest: readonly MetricPoint[],
    values: unknown[] = [runId],
  ): { text: string; values: unknown[] } {
    const rows: string[] = [];
    for (const p of latest) {
      const b = values.length;
      values.push(p.key, p.value, p.step, p.timestamp);
      rows.push(`($1, $${b + 1}, $${b + 2}::float8, $${b + 3}::bigint, $${b + 4}::bigint)`);
    }
    const t = this.t('latest_metrics');
    const set = `value = excluded.value, step = excluded.step, "timestamp" = excluded."timestamp"`;
    if (this.crate) {
      return {
        text: `INSERT INTO ${t} (run_id, key, value, step, "timestamp") VALUES ${rows.join(', ')} ON CONFLICT (run_id, key) DO UPDATE SET ${set}`,
        values,
      };
    }
    const low = (c: string) => `(CASE WHEN ${c} = 'NaN'::float8 THEN '-Infinity'::float8 ELSE ${c} END)`;
    const later = `(excluded.step > ${t}.step OR (excluded.step = ${t}.step AND (excluded."timestamp" > ${t}."timestamp" OR (excluded."timestamp" = ${t}."timestamp" AND ${low('excluded.value')} >= ${low(`${t}.value`)}))))`;
    return {
      text: `INSERT INTO ${t} (run_id, key, value, step, "timestamp") VALUES ${rows.join(', ')} ON CONFLICT (run_id, key) DO UPDATE SET ${set} WHERE ${later}`,
      values,
    };
  }

  /** Inserts key/value rows (params or tags). Params never overwrite; tags do. */
  insertKv(
    table: 'params' | 'tags',
    runId: string,
    kv: readonly (Param | Tag)[],
  ): { text: string; values: unknown[] } {
    const values: unknown[] = [runId];
    const rows: string[] = [];
    for (const p of kv) {
      const b = values.length;
      values.push(p.key, p.value);
      rows.push(`($1, $${b + 1}, $${b + 2})`);
    }
    const conflict =
      table === 'params'
        ? 'ON CONFLICT (run_id, key) DO NOTHING'
        : 'ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value';
    return {
      text: `INSERT INTO ${this.t(table)} (run_id, key, value) VALUES ${rows.join(', ')} ${conflict}`,
      values,
    };
  }

  insertInput(runId: string, idx: number, d: DatasetInput): { text: string; values: unknown[] } {
    if (this.crate) {
      const obj = {
        name: d.name,
        digest: d.digest,
        rows: d.rows,
        start_time: d.startTime,
        end_time: d.endTime,
        context: d.context,
        source: d.source ?? null,
      };
      return {
        text: `INSERT INTO ${this.t('inputs')} (run_id, idx, input) VALUES ($1, $2, $3::OBJECT)`,
        values: [runId, idx, JSON.stringify(obj)],
      };
    }
    return {
      text: `INSERT INTO ${this.t('inputs')} (run_id, idx, name, digest, "rows", start_time, end_time, context, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      values: [runId, idx, d.name, d.digest, d.rows, d.startTime, d.endTime, d.context, d.source ?? null],
    };
  }

  selectInputs(): string {
    const cols = this.crate
      ? `run_id, idx, input['name'] AS name, input['digest'] AS digest, input['rows'] AS "rows", input['start_time'] AS start_time, input['end_time'] AS end_time, input['context'] AS context, input['source'] AS source`
      : `run_id, idx, name, digest, "rows", start_time, end_time, context, source`;
    return `SELECT ${cols} FROM ${this.t('inputs')} WHERE run_id = ANY($1) ORDER BY run_id, idx`;
  }

  putArtifact(runId: string, path: string, bytes: Uint8Array): { text: string; values: unknown[] } {
    const content = this.crate ? Buffer.from(bytes).toString('base64') : Buffer.from(bytes);
    return {
      text: `INSERT INTO ${this.t('artifacts')} (run_id, path, size, content) VALUES ($1, $2, $3, $4) ON CONFLICT (run_id, path) DO UPDATE SET size = excluded.size, content = excluded.content`,
      values: [runId, path, bytes.byteLength, content],
    };
  }

  decodeArtifact(content: unknown): Uint8Array {
    if (typeof content === 'string') return new Uint8Array(Buffer.from(content, 'base64'));
    if (content instanceof Uint8Array) return new Uint8Array(content);
    throw new TrackingError('corrupt_store', 'artifact content has an unexpected type');
  }

  /** The run-id query for a search; every value is a parameter. */
  searchRuns(q: NormalizedQuery): { text: string; values: unknown[] } {
    const values: unknown[] = [];
    const p = (v: unknown): string => {
      values.push(v);
      return `$${values.length}`;
    };
    const where: string[] = [];
    const joins: string[] = [];
    const order: string[] = [];
    if (q.experiments) where.push(`e.name = ANY(${p([...q.experiments])})`);
    q.filter.forEach((c) => {
      where.push(this.clause(c, p));
    });
    const coll = this.crate ? '' : ' COLLATE "C"';
    q.orderBy.forEach((o, i) => {
      const dir = o.direction === 'DESC' ? 'DESC' : 'ASC';
      if (o.entity === 'attribute') {
        const col = `r.${o.key}`;
        const isNum = isNumericAttribute(o.key);
        order.push(`(CASE WHEN ${col} IS NULL THEN 1 ELSE 0 END) ASC`, `${col}${isNum ? '' : coll} ${dir}`);
        return;
      }
      const alias = `o${i}`;
      const table = o.entity === 'metric' ? 'latest_metrics' : o.entity === 'param' ? 'params' : 'tags';
      joins.push(
        `LEFT JOIN ${this.t(table)} ${alias} ON ${alias}.run_id = r.run_id AND ${alias}.key = ${p(o.key)}`,
      );
      if (o.entity === 'metric') {
        const ok = this.notNaN(`${alias}.value`);
        order.push(
          `(CASE WHEN ${alias}.value IS NOT NULL AND ${ok} THEN 0 ELSE 1 END) ASC`,
          `(CASE WHEN ${ok} THEN ${alias}.value END) ${dir}`,
        );
      } else {
        order.push(
          `(CASE WHEN ${alias}.value IS NULL THEN 1 ELSE 0 END) ASC`,
          `${alias}.value${coll} ${dir}`,
        );
      }
    });
    order.push('r.start_time DESC', `r.run_id${coll} ASC`);
    let text = `SELECT r.run_id FROM ${this.t('runs')} r JOIN ${this.t('experiments')} e ON e.experiment_id = r.experiment_id`;
    if (joins.length) text += ` ${joins.join(' ')}`;
    if (where.length) text += ` WHERE ${where.join(' AND ')}`;
    text += ` ORDER BY ${order.join(', ')}`;
    if (q.maxResults !== null) text += ` LIMIT ${p(q.maxResults)}`;
    return { text, values };
  }

  private clause(c: FilterClause, p: (v: unknown) => string): string {
    const op = c.op === '!=' ? '<>' : c.op;
    if (c.entity === 'attribute') {
      const col = `r.${c.key}`;
      if (isNumericAttribute(c.key)) return `${col} ${op} ${p(c.value)}`;
      return `${col} ${op} ${p(c.value)}`;
    }
    if (c.entity === 'metric') {
      const t = this.t('latest_metrics');
      return `EXISTS (SELECT 1 FROM ${t} m WHERE m.run_id = r.run_id AND m.key = ${p(c.key)} AND ${this.notNaN('m.value')} AND m.value ${op} ${p(c.value)})`;
    }
    const t = this.t(c.entity === 'param' ? 'params' : 'tags');
    return `EXISTS (SELECT 1 FROM ${t} x WHERE x.run_id = r.run_id AND x.key = ${p(c.key)} AND x.value ${op} ${p(c.value)})`;
  }
}

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

async function pgExecutor(
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
    max: 4,
    connectionTimeoutMillis: timeouts.connectTimeoutMs,
    // the server ends a statement after this long; the client gives up a little later (a frozen server)
    ...(timeouts.statementTimeoutMs > 0
      ? { statement_timeout: timeouts.statementTimeoutMs, query_timeout: timeouts.statementTimeoutMs + 5000 }
      : {}),
  });
  pool.on('error', () => undefined); // idle client errors surface on the next query
  const query: SqlQuery = async (text, values) => {
    const r = await pool.query(text, values as unknown[] | undefined);
    return { rows: r.rows as Record<string, unknown>[], rowCount: r.rowCount };
  };
  return {
    query,
    async tx(fn) {
      if (!transactions) return fn(query);
      const client = await pool.connect();
      const q: SqlQuery = async (text, values) => {
        const r = await client.query(text, values as unknown[] | undefined);
        return { rows: r.rows as Record<string, unknown>[], rowCount: r.rowCount };
      };
      let out: Awaited<ReturnType<typeof fn>>;
      try {
        await client.query('BEGIN');
        out = await fn(q);
        await client.query('COMMIT');
      } catch (err) {
        // a connection that cannot roll back is not given back to the pool
        const broken = await client.query('ROLLBACK').then(
          () => false,
          () => true,
        );
        client.release(broken);
        throw err;
      }
      client.release();
      return out;
    },
    close: () => pool.end(),
  };
}

const num = (x: unknown): number => (typeof x === 'number' ? x : Number(x));
const numOrNull = (x: unknown): number | null => (x === null || x === undefined ? null : num(x));

function wrapDbError(err: unknown, what: string): unknown {
  if (err instanceof TrackingError) return err;
  const e = err as { message?: string; code?: string };
  return new TrackingError('backend', `SQL tracking backend failed to ${what}: ${e.message ?? String(err)}`, {
    cause: err,
  });
}

let seqCounter = 0n;
function nextSeqBase(n: number): bigint {
  const base = BigInt(Date.now()) * 1_000_000n + seqCounter;
  seqCounter = (seqCounter + BigInt(n)) % 1_000_000n;
  return base;
}

class SqlRun extends BaseRun {
  constructor(
    private readonly tracker: SqlTracker,
    info: { runId: string; experimentId: string; experiment: string; runName: string; startTime: number },
  ) {
    super(info.runId, info.experimentId, info.experiment, info.runName, info.startTime);
  }

  protected async writeBatch(b: ValidBatch): Promise<void> {
    await this.tracker.writeBatch(this.id, b);
  }

  protected async writeInputs(inputs: readonly DatasetInput[]): Promise<void> {
    await this.tracker.writeInputs(this.id, inputs);
  }

  protected async writeArtifact(path: string, bytes: Uint8Array): Promise<void> {
    await this.tracker.write(['artifacts'], async (q, d) => {
      const s = d.putArtifact(this.id, path, bytes);
      await q(s.text, s.values);
    });
  }

  protected async writeEnd(status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void> {
    await this.tracker.write(['runs'], async (q, d) => {
      await q(`UPDATE ${d.t('runs')} SET status = $1, end_time = $2 WHERE run_id = $3`, [
        status,
        endTime,
        this.id,
      ]);
    });
  }
}

/** Runs a DDL statement; a concurrent CREATE ... IF NOT EXISTS can still collide on the catalog. */
async function ddl(q: SqlQuery, text: string): Promise<void> {
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
  if (!d.crate) await ddl(ex.query, `CREATE SCHEMA IF NOT EXISTS "${d.schema}"`);
  await ddl(ex.query, d.versionTable());
  const run = async (q: SqlQuery): Promise<number> => {
    if (!d.crate) await q(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`tsad-migrate:${d.schema}`]);
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
  return ex.tx(run);
}

export class SqlTracker extends BaseTracker {
  readonly uri: string;
  readonly dialect: SqlDialect;
  private readonly connectionString: string;
  private readonly timeouts: { connectTimeoutMs: number; statementTimeoutMs: number };
  private exec: Promise<SqlExecutor> | undefined;
  private readonly injected: SqlExecutor | undefined;

  constructor(uri: string, opts: SqlTrackerOptions = {}) {
    super();
    const p = parseSqlUri(uri);
    this.dialect = new SqlDialect(p.dialect, p.schema);
    this.connectionString = p.connectionString;
    this.timeouts = { connectTimeoutMs: p.connectTimeoutMs, statementTimeoutMs: p.statementTimeoutMs };
    this.injected = opts.executor;
    this.uri = redactUri(uri);
  }

  private executor(): Promise<SqlExecutor> {
    if (!this.exec) {
      this.exec = (async () => {
        const ex =
          this.injected ?? (await pgExecutor(this.connectionString, !this.dialect.crate, this.timeouts));
        try {
          await migrate(ex, this.dialect);
        } catch (err) {
          await ex.close().catch(() => undefined);
          throw wrapDbError(err, 'create or upgrade its tables');
        }
        return ex;
      })();
      this.exec.catch(() => {
        this.exec = undefined;
      });
    }
    return this.exec;
  }

  private async query(text: string, values?: readonly unknown[]): Promise<SqlResult> {
    const ex = await this.executor();
    try {
      return await ex.query(text, values);
    } catch (err) {
      throw wrapDbError(err, 'query');
    }
  }

  /** Runs writes (in a transaction on PostgreSQL), then the dialect's refreshes. */
  async write<T>(
    tables: readonly Table[],
    fn: (q: SqlQuery, d: SqlDialect) => Promise<T>,
    opts: { single?: boolean } = {},
  ): Promise<T> {
    const ex = await this.executor();
    let out: T;
    try {
      // one statement is atomic by itself: no BEGIN/COMMIT round trips
      out = opts.single ? await fn(ex.query, this.dialect) : await ex.tx((q) => fn(q, this.dialect));
      for (const s of this.dialect.refresh(tables)) await ex.query(s);
    } catch (err) {
      throw wrapDbError(err, 'write');
    }
    return out;
  }

  async writeBatch(runId: string, b: ValidBatch): Promise<void> {
    if (!this.dialect.crate && b.params.length === 0 && b.tags.length === 0 && b.metrics.length <= 20_000) {
      const s = this.dialect.metricsStatement(runId, b.metrics);
      await this.write(['metrics', 'latest_metrics'], (q) => q(s.text, s.values), { single: true });
      return;
    }
    if (b.params.length === 0 && b.metrics.length === 0) {
      const dedup = new Map(b.tags.map((t) => [t.key, t]));
      const s = this.dialect.insertKv('tags', runId, [...dedup.values()]);
      await this.write(['tags'], (q) => q(s.text, s.values), { single: true });
      return;
    }
    const tables: Table[] = [];
    if (b.params.length) tables.push('params');
    if (b.tags.length) tables.push('tags');
    if (b.metrics.length) tables.push('metrics', 'latest_metrics');
    await this.write(tables, async (q, d) => {
      if (b.params.length) {
        const keys = b.params.map((p) => p.key);
        const sel = `SELECT key, value FROM ${d.t('params')} WHERE run_id = $1 AND key = ANY($2)`;
        const existing = new Map<string, string>();
        for (const row of (await q(sel, [runId, keys])).rows)
          existing.set(String(row.key), String(row.value));
        const fresh = newParams(runId, existing, b.params);
        if (fresh.length) {
          const s = d.insertKv('params', runId, fresh);
          await q(s.text, s.values);
          if (d.crate) await q(`REFRESH TABLE ${d.t('params')}`);
          // a concurrent writer may have won the race for a key: check what is stored now
          const now = new Map<string, string>();
          for (const row of (await q(sel, [runId, keys])).rows) now.set(String(row.key), String(row.value));
          newParams(runId, now, b.params);
        }
      }
      if (b.tags.length) {
        const dedup = new Map(b.tags.map((t) => [t.key, t]));
        const s = d.insertKv('tags', runId, [...dedup.values()]);
        await q(s.text, s.values);
      }
      if (b.metrics.length) {
        const CHUNK = d.crate ? 2000 : 20_000;
        for (let i = 0; i < b.metrics.length; i += CHUNK) {
          const part = b.metrics.slice(i, i + CHUNK);
          const s = d.insertMetrics(runId, part, nextSeqBase(part.length));
          await q(s.text, s.values);
        }
        const latest = new Map<string, MetricPoint>();
        for (const m of b.metrics) {
          const cur = latest.get(m.key);
          if (!cur || !isLater(cur, m)) latest.set(m.key, m);
        }
        if (d.crate) {
          // no conditional upsert: compare with the stored point first
          const keys = [...latest.keys()];
          const rows = (
            await q(
              `SELECT key, value, step, "timestamp" FROM ${d.t('latest_metrics')} WHERE run_id = $1 AND key = ANY($2)`,
              [runId, keys],
            )
          ).rows;
          for (const row of rows) {
            const stored: MetricPoint = {
              key: String(row.key),
              value: num(row.value),
              step: num(row.step),
              timestamp: num(row.timestamp),
            };
            const mine = latest.get(stored.key);
            if (mine && isLater(stored, mine)) latest.delete(stored.key);
          }
        }
        if (latest.size) {
          const s = d.upsertLatest(runId, [...latest.values()]);
          await q(s.text, s.values);
        }
      }
    });
  }

  async writeInputs(runId: string, inputs: readonly DatasetInput[]): Promise<void> {
    await this.write(['inputs'], async (q, d) => {
      const r = await q(`SELECT COUNT(*) AS n FROM ${d.t('inputs')} WHERE run_id = $1`, [runId]);
      let idx = num(r.rows[0]?.n ?? 0);
      for (const inp of inputs) {
        const s = d.insertInput(runId, idx++, inp);
        await q(s.text, s.values);
      }
    });
  }

  async getOrCreateExperiment(name: string): Promise<Experiment> {
    validateExperimentName(name);
    const id = experimentIdFor(name);
    const found = await this.getExperiment(name);
    if (found) return found;
    await this.write(['experiments'], async (q, d) => {
      await q(
        `INSERT INTO ${d.t('experiments')} (experiment_id, name, creation_time) VALUES ($1, $2, $3) ON CONFLICT (experiment_id) DO NOTHING`,
        [id, name, Date.now()],
      );
    });
    const e = await this.getExperiment(name);
    if (!e) throw new TrackingError('backend', `experiment "${name}" was created but cannot be read back`);
    return e;
  }

  async getExperiment(name: string): Promise<Experiment | undefined> {
    validateExperimentName(name);
    const r = await this.query(
      `SELECT experiment_id, name, creation_time FROM ${this.dialect.t('experiments')} WHERE experiment_id = $1`,
      [experimentIdFor(name)],
    );
    const row = r.rows[0];
    if (!row || row.name !== name) return undefined;
    return {
      experimentId: String(row.experiment_id),
      name: String(row.name),
      creationTime: num(row.creation_time),
    };
  }

  async listExperiments(): Promise<Experiment[]> {
    const r = await this.query(
      `SELECT experiment_id, name, creation_time FROM ${this.dialect.t('experiments')} ORDER BY experiment_id`,
    );
    return r.rows.map((row) => ({
      experimentId: String(row.experiment_id),
      name: String(row.name),
      creationTime: num(row.creation_time),
    }));
  }

  async startRun(opts: RunOptions): Promise<Run> {
    const o = prepareRunOptions(opts);
    const exp = await this.getOrCreateExperiment(o.experiment);
    await this.write(['runs', 'tags'], async (q, d) => {
      await q(
        `INSERT INTO ${d.t('runs')} (run_id, experiment_id, run_name, status, start_time, end_time) VALUES ($1, $2, $3, $4, $5, $6)`,
        [o.runId, exp.experimentId, o.name, 'RUNNING', o.startTime, null],
      );
      if (o.tags.length) {
        const s = d.insertKv('tags', o.runId, o.tags);
        await q(s.text, s.values);
      }
    });
    return new SqlRun(this, {
      runId: o.runId,
      experimentId: exp.experimentId,
      experiment: exp.name,
      runName: o.name,
      startTime: o.startTime,
    });
  }

  private async records(ids: readonly string[]): Promise<RunRecord[]> {
    if (ids.length === 0) return [];
    const d = this.dialect;
    const list = [...ids];
    const [runs, params, tags, metrics, inputs] = await Promise.all([
      this.query(
        `SELECT r.run_id, r.experiment_id, e.name AS experiment, r.run_name, r.status, r.start_time, r.end_time FROM ${d.t('runs')} r JOIN ${d.t('experiments')} e ON e.experiment_id = r.experiment_id WHERE r.run_id = ANY($1)`,
        [list],
      ),
      this.query(`SELECT run_id, key, value FROM ${d.t('params')} WHERE run_id = ANY($1)`, [list]),
      this.query(`SELECT run_id, key, value FROM ${d.t('tags')} WHERE run_id = ANY($1)`, [list]),
      this.query(
        `SELECT run_id, key, value, step, "timestamp" FROM ${d.t('latest_metrics')} WHERE run_id = ANY($1)`,
        [list],
      ),
      this.query(d.selectInputs(), [list]),
    ]);
    const by = new Map<
      string,
      {
        row: Record<string, unknown>;
        params: Record<string, string>;
        tags: Record<string, string>;
        metrics: Record<string, MetricPoint>;
        inputs: DatasetInput[];
      }
    >();
    for (const row of runs.rows)
      by.set(String(row.run_id), { row, params: {}, tags: {}, metrics: {}, inputs: [] });
    for (const r of params.rows) {
      const x = by.get(String(r.run_id));
      if (x) x.params[String(r.key)] = String(r.value);
    }
    for (const r of tags.rows) {
      const x = by.get(String(r.run_id));
      if (x) x.tags[String(r.key)] = String(r.value);
    }
    for (const r of metrics.rows) {
      const x = by.get(String(r.run_id));
      if (x) {
        x.metrics[String(r.key)] = {
          key: String(r.key),
          value: num(r.value),
          step: num(r.step),
          timestamp: num(r.timestamp),
        };
      }
    }
    for (const r of inputs.rows) {
      const x = by.get(String(r.run_id));
      if (x) {
        x.inputs.push({
          name: String(r.name),
          digest: String(r.digest),
          rows: num(r.rows),
          startTime: numOrNull(r.start_time),
          endTime: numOrNull(r.end_time),
          context: String(r.context),
          ...(r.source === null || r.source === undefined ? {} : { source: String(r.source) }),
        });
      }
    }
    const out: RunRecord[] = [];
    for (const id of ids) {
      const x = by.get(id);
      if (!x) continue;
      out.push({
        info: {
          runId: id,
          experimentId: String(x.row.experiment_id),
          runName: String(x.row.run_name),
          status: String(x.row.status) as RunStatus,
          startTime: num(x.row.start_time),
          endTime: numOrNull(x.row.end_time),
        },
        experiment: String(x.row.experiment),
        data: { params: x.params, metrics: x.metrics, tags: x.tags },
        inputs: x.inputs,
      });
    }
    return out;
  }

  async getRun(runId: string): Promise<RunRecord> {
    validateRunId(runId);
    const [r] = await this.records([runId]);
    if (!r) throw new TrackingNotFoundError(`no run with id ${runId} in ${this.uri}`);
    return r;
  }

  private async assertRun(runId: string): Promise<void> {
    validateRunId(runId);
    const r = await this.query(`SELECT run_id FROM ${this.dialect.t('runs')} WHERE run_id = $1`, [runId]);
    if (r.rows.length === 0) throw new TrackingNotFoundError(`no run with id ${runId} in ${this.uri}`);
  }

  async getMetricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    await this.assertRun(runId);
    const r = await this.query(
      `SELECT key, value, step, "timestamp" FROM ${this.dialect.t('metrics')} WHERE run_id = $1 AND key = $2 ORDER BY step, "timestamp", seq`,
      [runId, key],
    );
    return r.rows.map((row) => ({
      key: String(row.key),
      value: num(row.value),
      step: num(row.step),
      timestamp: num(row.timestamp),
    }));
  }

  async listArtifacts(runId: string): Promise<ArtifactInfo[]> {
    await this.assertRun(runId);
    const r = await this.query(`SELECT path, size FROM ${this.dialect.t('artifacts')} WHERE run_id = $1`, [
      runId,
    ]);
    return r.rows
      .map((row) => ({ path: String(row.path), size: num(row.size) }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async readArtifact(runId: string, path: string): Promise<Uint8Array> {
    validateArtifactPath(path);
    await this.assertRun(runId);
    const r = await this.query(
      `SELECT content FROM ${this.dialect.t('artifacts')} WHERE run_id = $1 AND path = $2`,
      [runId, path],
    );
    const row = r.rows[0];
    if (!row) throw new TrackingNotFoundError(`run ${runId} has no artifact "${path}"`);
    return this.dialect.decodeArtifact(row.content);
  }

  async deleteRun(runId: string): Promise<void> {
    validateRunId(runId);
    const children = ['params', 'tags', 'metrics', 'latest_metrics', 'inputs', 'artifacts'] as const;
    const found = await this.write(['runs', ...children], async (q, d) => {
      // the run row goes first, so a concurrent reader never sees a run without its data
      const r = await q(`DELETE FROM ${d.t('runs')} WHERE run_id = $1`, [runId]);
      if (!r.rowCount) return false;
      for (const t of children) await q(`DELETE FROM ${d.t(t)} WHERE run_id = $1`, [runId]);
      return true;
    });
    if (!found) throw new TrackingNotFoundError(`no run with id ${runId} in ${this.uri}`);
  }

  async searchRuns(query?: SearchRunsQuery): Promise<RunRecord[]> {
    const q = normalizeQuery(query);
    if (q.maxResults === 0) return [];
    const s = this.dialect.searchRuns(q);
    const r = await this.query(s.text, s.values);
    return this.records(r.rows.map((row) => String(row.run_id)));
  }

  // --- registry -------------------------------------------------------------------------

  private async aliases(name: string): Promise<Record<string, number>> {
    const r = await this.query(
      `SELECT alias, version FROM ${this.dialect.t('model_aliases')} WHERE name = $1`,
      [name],
    );
    const out: Record<string, number> = {};
    for (const row of r.rows) out[String(row.alias)] = num(row.version);
    return out;
  }

  private async versions(name: string): Promise<ModelVersion[]> {
    const r = await this.query(
      `SELECT name, version, run_id, artifact_path, creation_time FROM ${this.dialect.t('model_versions')} WHERE name = $1 ORDER BY version`,
      [name],
    );
    const aliases = await this.aliases(name);
    return r.rows.map((row) => {
      const version = num(row.version);
      const runId = String(row.run_id);
      const artifactPath = String(row.artifact_path);
      return {
        name,
        version,
        runId,
        artifactPath,
        source: `runs:/${runId}/${artifactPath}`,
        creationTime: num(row.creation_time),
        aliases: Object.entries(aliases)
          .filter(([, v]) => v === version)
          .map(([a]) => a)
          .sort(),
      };
    });
  }

  private async assertModel(name: string): Promise<void> {
    const r = await this.query(`SELECT name FROM ${this.dialect.t('registered_models')} WHERE name = $1`, [
      name,
    ]);
    if (r.rows.length === 0) {
      throw new TrackingNotFoundError(`no registered model named "${name}"; register one with registerModel`);
    }
  }

  async registerModel(
    name: string,
    runId: string,
    opts: { artifactPath?: string } = {},
  ): Promise<ModelVersion> {
    validateModelName(name);
    const artifactPath = validateArtifactPath(opts.artifactPath ?? 'model');
    await this.assertRun(runId);
    const now = Date.now();
    for (let attempt = 0; attempt < 50; attempt++) {
      const version = await this.write(['registered_models', 'model_versions'], async (q, d) => {
        await q(
          `INSERT INTO ${d.t('registered_models')} (name, creation_time) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
          [name, now],
        );
        const m = await q(`SELECT MAX(version) AS v FROM ${d.t('model_versions')} WHERE name = $1`, [name]);
        const next = numOrNull(m.rows[0]?.v) ?? 0;
        const ins = await q(
          `INSERT INTO ${d.t('model_versions')} (name, version, run_id, artifact_path, creation_time) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name, version) DO NOTHING`,
          [name, next + 1, runId, artifactPath, now],
        );
        return ins.rowCount === 1 ? next + 1 : null;
      });
      if (version !== null) {
        return {
          name,
          version,
          runId,
          artifactPath,
          source: `runs:/${runId}/${artifactPath}`,
          creationTime: now,
          aliases: [],
        };
      }
      await new Promise((r) => setTimeout(r, Math.random() * 10));
    }
    throw new TrackingError(
      'backend',
      `could not allocate a version of model "${name}" (too much contention)`,
    );
  }

  async setAlias(name: string, alias: string, version: number): Promise<void> {
    validateModelName(name);
    validateAlias(alias, true);
    validateVersion(version);
    await this.assertModel(name);
    const v = await this.query(
      `SELECT version FROM ${this.dialect.t('model_versions')} WHERE name = $1 AND version = $2`,
      [name, version],
    );
    if (v.rows.length === 0) throw new TrackingNotFoundError(`model "${name}" has no version ${version}`);
    await this.write(['model_aliases'], async (q, d) => {
      await q(
        `INSERT INTO ${d.t('model_aliases')} (name, alias, version) VALUES ($1, $2, $3) ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version`,
        [name, alias, version],
      );
    });
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    validateModelName(name);
    validateAlias(alias, true);
    await this.assertModel(name);
    const n = await this.write(['model_aliases'], async (q, d) => {
      const r = await q(`DELETE FROM ${d.t('model_aliases')} WHERE name = $1 AND alias = $2`, [name, alias]);
      return r.rowCount;
    });
    if (n === 0) throw new TrackingNotFoundError(`model "${name}" has no alias "${alias}"`);
  }

  async getModelVersion(name: string, versionOrAlias: number | string): Promise<ModelVersion> {
    validateModelName(name);
    await this.assertModel(name);
    const all = await this.versions(name);
    const latest = all.length ? all[all.length - 1].version : null;
    const v = resolveVersionArg(name, versionOrAlias, await this.aliases(name), latest);
    const mv = all.find((x) => x.version === v);
    if (!mv) throw new TrackingNotFoundError(`model "${name}" has no version ${v}`);
    return mv;
  }

  async listRegisteredModels(): Promise<RegisteredModel[]> {
    const d = this.dialect;
    const [models, versions, aliases] = await Promise.all([
      this.query(`SELECT name, creation_time FROM ${d.t('registered_models')}`),
      this.query(`SELECT name, MAX(version) AS v FROM ${d.t('model_versions')} GROUP BY name`),
      this.query(`SELECT name, alias, version FROM ${d.t('model_aliases')}`),
    ]);
    const latest = new Map(versions.rows.map((r) => [String(r.name), num(r.v)]));
    const al = new Map<string, Record<string, number>>();
    for (const r of aliases.rows) {
      const n = String(r.name);
      const a = al.get(n) ?? {};
      a[String(r.alias)] = num(r.version);
      al.set(n, a);
    }
    return models.rows
      .map((r) => {
        const name = String(r.name);
        return {
          name,
          creationTime: num(r.creation_time),
          aliases: al.get(name) ?? {},
          latestVersion: latest.get(name) ?? null,
        };
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async listModelVersions(name: string): Promise<ModelVersion[]> {
    validateModelName(name);
    await this.assertModel(name);
    return this.versions(name);
  }

  async close(): Promise<void> {
    const ex = this.exec;
    this.exec = undefined;
    if (ex) await (await ex).close();
  }
}
