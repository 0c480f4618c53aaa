/**
 * The SQL statements of the tracking store, per dialect (PostgreSQL, CrateDB): tables, the
 * schema version and its forward migrations, metric upserts, inputs, artifacts and search.
 */
import { TrackingError } from '../errors.js';
import { isLater, isNumericAttribute } from './common.js';
import type { DatasetInput, FilterClause, MetricPoint, NormalizedQuery, Param, Tag } from './tracker.js';

export type SqlDialectName = 'postgres' | 'crate';

export interface SqlResult {
  rows: Record<string, unknown>[];
  rowCount: number | null;
}

/** Runs one parameterised statement. */
export type SqlQuery = (text: string, values?: readonly unknown[]) => Promise<SqlResult>;

/**
 * Executes statements; `tx` runs `fn` in a transaction where the dialect has them, once: a connection
 * lost fails it with `sql_connection_lost` (`connectionLost`), and the caller decides whether to send it again.
 */
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
  'model_version_tags',
  'batches',
  'schema_version',
] as const;
export type Table = (typeof TABLES)[number];

/** The schema version this tsad writes; `SqlDialect.migrations()` leads from 1 up to it. */
export const SQL_SCHEMA_VERSION = 4;

/** Statement builder for one dialect and schema: everything here is pure and testable. */
/**
 * Rows sorted by key, the order every upsert or insert of a run's keyed rows (latest values, params,
 * tags) takes them in: two writes of one run sent at once with the same keys then lock the rows in the
 * same order (in the order given, one could hold a row the other waits for while waiting for one the
 * other holds: PostgreSQL's "deadlock detected").
 */
function inKeyOrder<T extends { readonly key: string }>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

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
      {
        version: 3,
        // model-version tags (promotion decisions and reasons)
        statements: [
          `CREATE TABLE IF NOT EXISTS ${this.t('model_version_tags')} (name TEXT NOT NULL, version BIGINT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (name, version, key))`,
        ],
      },
      {
        version: 4,
        // the id of every stored batch that holds metrics (PostgreSQL): a batch whose connection was
        // lost after the server stored it is sent again under the same id and stores nothing twice
        statements: [
          `CREATE TABLE IF NOT EXISTS ${this.t('batches')} (run_id TEXT NOT NULL, batch_id TEXT NOT NULL, PRIMARY KEY (run_id, batch_id))`,
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
   * PostgreSQL: records the batch id, and only if it is new (`ON CONFLICT DO NOTHING ... RETURNING`)
   * inserts the points and upserts each key's latest point, in one statement (data-modifying CTEs):
   * a metrics-only batch needs no transaction, and sending it again under the same id stores nothing
   * twice (a concurrent second send waits on the id's unique key until the first commits or aborts).
   */
  metricsStatement(
    runId: string,
    points: readonly MetricPoint[],
    batchId: string,
    prune: readonly string[] = [],
  ): { text: string; values: unknown[] } {
    const ins = this.insertMetrics(runId, points, 0n);
    let del = '';
    if (prune.length) {
      ins.values.push([...prune]);
      // only once the run's row is locked (`r`): the ids may be those a concurrent batch of the run
      // deletes too, and one holding them while it waits behind a deletion for the run's row would deadlock
      del = `, p AS (${this.pruneBatchIds(`$${ins.values.length}`)} AND EXISTS (SELECT 1 FROM r))`;
    }
    ins.values.push(batchId);
    const b = `$${ins.values.length}`;
    const latest = new Map<string, MetricPoint>();
    for (const m of points) {
      const cur = latest.get(m.key);
      if (!cur || !isLater(cur, m)) latest.set(m.key, m);
    }
    const up = this.upsertLatest(runId, [...latest.values()], ins.values, 'EXISTS (SELECT 1 FROM b)');
    // `r`: the run's row, locked (FOR KEY SHARE) until the statement commits; no row (the run deleted,
    // also by a deletion it waited for), no batch id and so nothing stored. The statement answers one
    // row when the run is there, none when it is not
    return {
      text: `WITH r AS (${this.runGuard()}), b AS (INSERT INTO ${this.t('batches')} (run_id, batch_id) SELECT $1, ${b} FROM r ON CONFLICT (run_id, batch_id) DO NOTHING RETURNING 1)${del}, ins AS (${ins.text} WHERE EXISTS (SELECT 1 FROM b)), up AS (${up.text}) SELECT 1 FROM r`,
      values: up.values,
    };
  }

  /**
   * Reads run `$1`'s row: a write of the run's data runs it first and stores nothing when it finds no
   * row (the run deleted). PostgreSQL locks the row FOR KEY SHARE until the write commits: writers of
   * one run do not wait on each other (nor on the run's end, nor on inputs' FOR NO KEY UPDATE), but
   * `deleteRun`, whose first statement deletes this row, waits for them (and then deletes what they
   * stored), and a writer that comes during a deletion waits for it and then finds no row. CrateDB has
   * no row locks: the check catches a run deleted before the write, not one deleted during it.
   */
  runGuard(): string {
    return `SELECT 1 FROM ${this.t('runs')} WHERE run_id = $1${this.crate ? '' : ' FOR KEY SHARE'}`;
  }

  /**
   * Deletes batch ids of run `$1` (`param` a text array): those of writes already acknowledged, which
   * no resend will carry again (see SqlRun).
   */
  pruneBatchIds(param: string): string {
    return `DELETE FROM ${this.t('batches')} WHERE run_id = $1 AND batch_id = ANY(${param}::text[])`;
  }

  /** Records a batch id (`$1` the run id, `param` the id); a second insert of the same id stores nothing. */
  insertBatchId(param: string): string {
    return `INSERT INTO ${this.t('batches')} (run_id, batch_id) VALUES ($1, ${param}) ON CONFLICT (run_id, batch_id) DO NOTHING`;
  }

  /**
   * Upserts the latest point of each key (PostgreSQL: only if it is later than the stored one;
   * with `guard`, a SQL condition, only when it holds).
   */
  upsertLatest(
    runId: string,
    latest: readonly MetricPoint[],
    values: unknown[] = [runId],
    guard?: string,
  ): { text: string; values: unknown[] } {
    const rows: string[] = [];
    const text = guard ? '::text' : '';
    for (const p of inKeyOrder(latest)) {
      const b = values.length;
      values.push(p.key, p.value, p.step, p.timestamp);
      rows.push(`($1${text}, $${b + 1}${text}, $${b + 2}::float8, $${b + 3}::bigint, $${b + 4}::bigint)`);
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
    const source = guard
      ? `SELECT * FROM (VALUES ${rows.join(', ')}) AS v WHERE ${guard}`
      : `VALUES ${rows.join(', ')}`;
    return {
      text: `INSERT INTO ${t} (run_id, key, value, step, "timestamp") ${source} ON CONFLICT (run_id, key) DO UPDATE SET ${set} WHERE ${later}`,
      values,
    };
  }

  /**
   * Inserts key/value rows (params or tags). Params never overwrite; tags do. `guarded` (PostgreSQL):
   * only while run `$1`'s row is there (`runGuard`, in the same statement), so a statement that stores
   * nothing (`rowCount` 0) found no run.
   */
  insertKv(
    table: 'params' | 'tags',
    runId: string,
    kv: readonly (Param | Tag)[],
    guarded = false,
  ): { text: string; values: unknown[] } {
    const values: unknown[] = [runId];
    const rows: string[] = [];
    for (const p of inKeyOrder(kv)) {
      const b = values.length;
      values.push(p.key, p.value);
      rows.push(`($1, $${b + 1}, $${b + 2})`);
    }
    const conflict =
      table === 'params'
        ? 'ON CONFLICT (run_id, key) DO NOTHING'
        : 'ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value';
    if (guarded && !this.crate) {
      return {
        text: `WITH r AS (${this.runGuard()}) INSERT INTO ${this.t(table)} (run_id, key, value) SELECT v.run_id, v.key, v.value FROM (VALUES ${rows.join(', ')}) AS v(run_id, key, value), r ${conflict}`,
        values,
      };
    }
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
        const col = this.attribute(o.key);
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

  /** An attribute's column; the run name is its `mlflow.runName` tag when set (see `runNameOf`). */
  private attribute(key: string): string {
    if (key !== 'run_name') return `r.${key}`;
    return `COALESCE((SELECT NULLIF(nt.value, '') FROM ${this.t('tags')} nt WHERE nt.run_id = r.run_id AND nt.key = 'mlflow.runName'), r.run_name)`;
  }

  private clause(c: FilterClause, p: (v: unknown) => string): string {
    const op = c.op === '!=' ? '<>' : c.op;
    if (c.entity === 'attribute') {
      const col = this.attribute(c.key);
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
