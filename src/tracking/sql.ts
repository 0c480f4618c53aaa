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
import { randomUUID } from 'node:crypto';
import { TrackingError } from '../errors.js';
import {
  BaseTracker,
  experimentIdFor,
  isLater,
  newParams,
  newRunInfo,
  type PreparedRun,
  runNameOf,
  type ValidBatch,
} from './common.js';
import { redactUri } from './open.js';
import {
  connectionLost,
  isConnectionLost,
  isLostWrite,
  isUnreachable,
  lastFailure,
  mayBeStored,
  migrate,
  nextSeqBase,
  num,
  numOrNull,
  parseSqlUri,
  pgExecutor,
  resend,
  retryLost,
  wrapDbError,
} from './sql-connect.js';
import {
  SqlDialect,
  type SqlExecutor,
  type SqlQuery,
  type SqlResult,
  type SqlTrackerOptions,
  type Table,
} from './sql-dialect.js';
import { SqlRegistry } from './sql-registry.js';
import type { RunIdentity, RunStore, Store } from './store.js';
import {
  type ArtifactInfo,
  type DatasetInput,
  type Experiment,
  type MetricPoint,
  type ModelVersion,
  type NormalizedQuery,
  RunNotActiveError,
  type RunRecord,
  type RunStatus,
  TrackingNotFoundError,
} from './tracker.js';

class SqlRun implements RunStore {
  private readonly id: string;
  /**
   * Ids of this run's batches whose write was acknowledged: no resend carries them again, so the next
   * batch (or the run's end) deletes them from `tsad_batches` in its own statement or transaction.
   * Each id is handed to one write at a time (`take`): two writes of the run sent at once never delete
   * the same rows, whose row locks, taken in different orders, would deadlock them. A write that fails
   * gives its ids back (deleting them again deletes nothing); a write without an id of its own (no
   * metrics) takes none. The id of a write that failed is never added, nor that of a lone statement
   * (a metrics-only batch) acknowledged after a send of it went unanswered: that send may still run on
   * the server and, finding its id deleted, store the batch again; such ids stay in `tsad_batches`
   * until the run is deleted.
   * Once the run's end is stored no later write deletes ids: a write that settles after it (sent with
   * the end, or after it) deletes what it would have handed on (`sweep`).
   */
  private acked: string[] = [];
  /** Set once the run's end is stored (its transaction deleted the ids acknowledged before it). */
  private ended = false;

  constructor(
    private readonly tracker: SqlStore,
    readonly info: RunIdentity,
  ) {
    this.id = info.runId;
  }

  /** The acknowledged ids, for one write to delete; `settle` gives them back unless it did. */
  private take(): string[] {
    const prune = this.acked;
    this.acked = [];
    return prune;
  }

  /**
   * After a write handed `prune`: its own id (`id`) added, and `prune` back unless the write deleted it;
   * after the run's end, deleted at once (`sweep`).
   */
  private async settle(prune: readonly string[], id: string | undefined): Promise<void> {
    if (id === undefined) this.acked.push(...prune);
    else this.acked.push(id);
    if (this.ended) await this.sweep();
  }

  /**
   * Deletes the acknowledged ids in a statement of their own: after the run's end no later write of the
   * run would. Never throws (it runs after the write's own outcome is known): ids it could not delete
   * stay in `tsad_batches` until the run is deleted.
   */
  private async sweep(): Promise<void> {
    const ids = this.take();
    if (ids.length === 0) return;
    try {
      await this.tracker.pruneBatchIds(this.id, ids);
    } catch {
      this.acked.push(...ids);
    }
  }

  async writeBatch(b: ValidBatch): Promise<void> {
    // only a batch with metrics carries an id of its own and so deletes the acknowledged ones; one
    // without would hold them from the writes sent meanwhile (the run's end among them) for nothing
    const prune = b.metrics.length ? this.take() : [];
    let id: string | undefined;
    try {
      // a batch with an id deletes `prune` in its own statement or transaction; one without deletes none
      id = await this.tracker.writeBatch(this.id, b, prune);
    } finally {
      await this.settle(prune, id);
    }
  }

  async writeInputs(inputs: readonly DatasetInput[]): Promise<void> {
    const prune = this.take();
    let id: string | undefined;
    try {
      // like a batch: an id of its own (PostgreSQL), the acknowledged ones deleted in its transaction
      id = await this.tracker.writeInputs(this.id, inputs, prune);
    } finally {
      await this.settle(prune, id);
    }
  }

  async writeArtifact(path: string, bytes: Uint8Array): Promise<void> {
    // an upsert of the same bytes: sent again after a connection lost during COMMIT
    await this.tracker.write(
      ['artifacts'],
      async (q, d) => {
        // the run's row first (locked on PostgreSQL, see SqlDialect.runGuard): no run, nothing stored
        if (!(await q(d.runGuard(), [this.id])).rowCount)
          throw this.tracker.gone(this.id, `artifact "${path}" was not stored`);
        const s = d.putArtifact(this.id, path, bytes);
        await q(s.text, s.values);
      },
      { idempotent: true, runId: this.id },
    );
  }

  async writeEnd(status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void> {
    // setting the same status and end time again changes nothing: sent again after a lost COMMIT;
    // the batch ids acknowledged so far go in the same transaction
    const prune = this.take();
    let ended = false;
    try {
      await this.tracker.write(
        prune.length ? ['runs', 'batches'] : ['runs'],
        async (q, d) => {
          // no row: the run was deleted, and its end is not stored either (as its other writes)
          const r = await q(`UPDATE ${d.t('runs')} SET status = $1, end_time = $2 WHERE run_id = $3`, [
            status,
            endTime,
            this.id,
          ]);
          if (!r.rowCount) throw this.tracker.gone(this.id, 'its end was not stored');
          if (prune.length) await q(d.pruneBatchIds('$2'), [this.id, prune]);
        },
        { idempotent: true },
      );
      ended = true;
    } finally {
      // deleted with the end: none left to hand on; otherwise back for a later write
      if (!ended) this.acked.push(...prune);
    }
    // writes sent with the end that settled while it ran gave their ids back after it took them; those
    // settling later delete their own (`settle`)
    this.ended = true;
    await this.sweep();
  }
}

export { parseSqlUri } from './sql-connect.js';
export {
  SQL_SCHEMA_VERSION,
  SqlDialect,
  type SqlDialectName,
  type SqlExecutor,
  type SqlResult,
  type SqlTrackerOptions,
} from './sql-dialect.js';

/** The SQL `Store` (PostgreSQL and CrateDB dialects). */
export class SqlStore implements Store {
  readonly uri: string;
  readonly dialect: SqlDialect;
  private readonly connectionString: string;
  private readonly timeouts: { connectTimeoutMs: number; statementTimeoutMs: number };
  private exec: Promise<SqlExecutor> | undefined;
  private readonly injected: SqlExecutor | undefined;
  readonly registry = new SqlRegistry(this);

  constructor(uri: string, opts: SqlTrackerOptions = {}) {
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
          // the caller's own statements were never sent: not stored, whatever became of the migration
          if (isLostWrite(err)) throw connectionLost((err as Error).cause, 'not_stored');
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

  /** @internal */
  async query(text: string, values?: readonly unknown[]): Promise<SqlResult> {
    const ex = await this.executor();
    try {
      return await resend(ex, text, values);
    } catch (err) {
      throw wrapDbError(err, 'query');
    }
  }

  /**
   * Runs writes (in a transaction on PostgreSQL), then the dialect's refreshes. `idempotent`: the
   * write stores nothing twice when it runs again (an upsert of the same values, or a batch guarded by
   * its id), so it is sent again on another connection when its connection is lost, even after the
   * server may have stored it (during COMMIT, or a single statement's reply): at most POOL_SIZE more times.
   * `runId`: a write of that run's data into `tables`; on CrateDB (no row locks) the run's row is read
   * again after it (`recheckRun`). `sent`: on success, `unanswered` tells whether a send of a lone
   * statement (`single`) went unanswered after the server may have got it: the server runs it whenever
   * it gets to it, maybe after this write returned. (A transaction's send whose connection was lost
   * never commits unless its COMMIT was sent, and then it already holds every row it inserted, so a
   * later send of the same write waits for it.)
   */
  async write<T>(
    tables: readonly Table[],
    fn: (q: SqlQuery, d: SqlDialect) => Promise<T>,
    opts: { single?: boolean; idempotent?: boolean; runId?: string; sent?: { unanswered: boolean } } = {},
  ): Promise<T> {
    const ex = await this.executor();
    let out: T;
    // set once a send's outcome is unknown (its COMMIT or a lone statement's reply unanswered): it may be
    // stored, so however a later send fails (another lost connection, a server refusing it while it
    // restarts, a statement timeout waiting on the first send's batch id), the caller is told the write
    // may be stored, never that it was not, nor a bare backend failure
    let maybe = false;
    const sentLost = (err: unknown): boolean => {
      const lost = isConnectionLost(err);
      // a refused connection never carried the statement: sent again, but it stored nothing
      maybe ||= lost && !isUnreachable(err);
      return lost;
    };
    try {
      if (opts.single) {
        // one statement is atomic by itself: no BEGIN/COMMIT round trips; sent again like `resend`
        const single: SqlQuery = opts.idempotent
          ? (text, values) => retryLost(() => ex.query(text, values), sentLost)
          : ex.query;
        out = await fn(single, this.dialect);
      } else {
        out = await retryLost(
          () => ex.tx((q) => fn(q, this.dialect)),
          // the one loop of a transaction's resends (pgExecutor.tx makes one attempt): lost before its
          // COMMIT, nothing was stored, sent again; lost during its COMMIT, only an idempotent write is
          (err) => {
            const unknown = mayBeStored(err);
            maybe ||= unknown;
            return isLostWrite(err) && (!unknown || opts.idempotent === true);
          },
        );
      }
    } catch (err) {
      // one statement outside a transaction: the server may have stored it before the connection went
      // (not when its connection could not be opened: unreachable, nothing sent, `wrapDbError` below)
      if (opts.single && isConnectionLost(err) && !isUnreachable(err)) throw connectionLost(err, 'unknown');
      if (maybe) throw lastFailure(err, true);
      throw wrapDbError(err, 'write');
    }
    // the write is stored (CrateDB commits each statement): a REFRESH that fails only leaves it to the
    // server's own periodic refresh to show. Reported as a failure, the caller would send it again
    for (const s of this.dialect.refresh(tables)) await ex.query(s).catch(() => undefined);
    if (opts.sent) opts.sent.unanswered = maybe && opts.single === true;
    if (opts.runId !== undefined && this.dialect.crate) await this.recheckRun(ex, opts.runId, tables);
    return out;
  }

  /**
   * CrateDB has no row locks, so a deletion of the run can run during a write that found the run's row:
   * its statements after the deletion's would leave rows of no run. After the write (refreshed), the run's
   * row is read again (a primary-key read, real time); gone, every row of the run in the tables the write
   * touched belongs to no run: they are deleted (the deletion's own statements may delete them too) and
   * the write is `not_found`. Found, the deletion (which removes the run's row first) had not begun, and
   * its deletes, sent later, find the write's rows refreshed.
   * The re-read failing (the connection lost), the write is reported stored, as it is.
   */
  private async recheckRun(ex: SqlExecutor, runId: string, tables: readonly Table[]): Promise<void> {
    const d = this.dialect;
    try {
      // a failed re-read leaves the write as it was before the re-check existed: stored, and told so.
      // Reported as a failure, a write that is stored would be sent again by the caller (stored twice)
      if ((await ex.query(d.runGuard(), [runId]).catch(() => ({ rowCount: 1 }))).rowCount) return;
      for (const t of tables) await ex.query(`DELETE FROM ${d.t(t)} WHERE run_id = $1`, [runId]);
      for (const s of d.refresh(tables)) await ex.query(s);
    } catch (err) {
      throw wrapDbError(err, 'write');
    }
    throw this.gone(runId, 'it was deleted during the write, whose rows were removed');
  }

  /**
   * Writes a batch; returns its id when it carries one (PostgreSQL, a batch with metrics), unless a send
   * of its lone statement went unanswered: that send may still run on the server, and finding its id
   * deleted it would store the batch again, so that id is kept (see SqlRun). `prune`: ids of the run's
   * acknowledged batches, deleted from `tsad_batches` by this batch's own statement or transaction (a
   * batch without an id deletes none).
   */
  async writeBatch(runId: string, b: ValidBatch, prune: readonly string[] = []): Promise<string | undefined> {
    // a batch with metrics carries an id of its own (PostgreSQL): sent again under it after a lost
    // connection, it stores nothing twice (see SqlDialect.metricsStatement and the `batches` table)
    const batchId = randomUUID();
    const sent = { unanswered: false };
    if (!this.dialect.crate && b.params.length === 0 && b.tags.length === 0 && b.metrics.length <= 20_000) {
      const s = this.dialect.metricsStatement(runId, b.metrics, batchId, prune);
      const r = await this.write(['metrics', 'latest_metrics', 'batches'], (q) => q(s.text, s.values), {
        single: true,
        idempotent: true,
        sent,
      });
      if (!r.rowCount) throw this.gone(runId, 'its metrics were not stored');
      return sent.unanswered ? undefined : batchId;
    }
    if (!this.dialect.crate && b.params.length === 0 && b.metrics.length === 0) {
      // one upsert of distinct keys: every tag counts in rowCount, none when the run is gone
      const dedup = new Map(b.tags.map((t) => [t.key, t]));
      const s = this.dialect.insertKv('tags', runId, [...dedup.values()], true);
      const r = await this.write(['tags'], (q) => q(s.text, s.values), { single: true, idempotent: true });
      if (!r.rowCount) throw this.gone(runId, 'its tags were not stored');
      return undefined;
    }
    const tables: Table[] = [];
    if (b.params.length) tables.push('params');
    if (b.tags.length) tables.push('tags');
    if (b.metrics.length) tables.push('metrics', 'latest_metrics');
    // PostgreSQL: the transaction first records the batch id; a transaction sent again after a
    // connection lost during its COMMIT finds the id stored, and so the whole batch, and stops there
    const guarded = !this.dialect.crate && b.metrics.length > 0;
    if (guarded) tables.push('batches');
    await this.write(
      tables,
      async (q, d) => {
        // the run's row first (locked on PostgreSQL, see SqlDialect.runGuard): no run, nothing stored
        if (!(await q(d.runGuard(), [runId])).rowCount) throw this.gone(runId, 'the batch was not stored');
        if (guarded && !(await q(d.insertBatchId('$2'), [runId, batchId])).rowCount) return;
        if (guarded && prune.length) await q(d.pruneBatchIds('$2'), [runId, prune]);
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
      },
      { idempotent: guarded, runId },
    );
    return guarded ? batchId : undefined;
  }

  /** Deletes acknowledged batch ids of a run in a statement of their own (see SqlRun). @internal */
  async pruneBatchIds(runId: string, ids: readonly string[]): Promise<void> {
    await this.write(['batches'], (q, d) => q(d.pruneBatchIds('$2'), [runId, [...ids]]), {
      single: true,
      idempotent: true,
    });
  }

  /**
   * Appends dataset inputs, numbered after the run's stored ones. On PostgreSQL the transaction first
   * locks the run's row (concurrent input writers on one run take turns, so no two take one number), then
   * records an id of its own in `tsad_batches` (and deletes `prune`, as a batch does) and stops when
   * the id is already stored: sent again after a connection lost during its COMMIT, it stores nothing
   * twice. Returns that id (undefined on CrateDB, which has no transactions and no resend).
   */
  async writeInputs(
    runId: string,
    inputs: readonly DatasetInput[],
    prune: readonly string[] = [],
  ): Promise<string | undefined> {
    const guarded = !this.dialect.crate;
    const id = `inputs:${randomUUID()}`;
    await this.write(
      guarded ? ['inputs', 'batches'] : ['inputs'],
      async (q, d) => {
        // PostgreSQL: the run's row locked first, before anything else, so input writers on one run
        // (one pool's connections, other processes) take turns: each counts the inputs the one before
        // committed and numbers its own after them (the key is (run_id, idx)). Taken first, the lock
        // cannot be waited on while holding another (the batch ids pruned below), so no deadlock. No row
        // (the run deleted, also by a deletion this lock waited for): nothing to take turns on, and
        // inputs stored now would outlive their run, so none is
        // (CrateDB: no locks, the row only checked, as a batch does)
        const lock = guarded
          ? `SELECT 1 FROM ${d.t('runs')} WHERE run_id = $1 FOR NO KEY UPDATE`
          : d.runGuard();
        if (!(await q(lock, [runId])).rowCount) throw this.gone(runId, 'its dataset inputs were not stored');
        if (guarded && !(await q(d.insertBatchId('$2'), [runId, id])).rowCount) return;
        if (guarded && prune.length) await q(d.pruneBatchIds('$2'), [runId, prune]);
        const r = await q(`SELECT COUNT(*) AS n FROM ${d.t('inputs')} WHERE run_id = $1`, [runId]);
        let idx = num(r.rows[0]?.n ?? 0);
        for (const inp of inputs) {
          const s = d.insertInput(runId, idx++, inp);
          await q(s.text, s.values);
        }
      },
      { idempotent: guarded, runId },
    );
    return guarded ? id : undefined;
  }

  async getOrCreateExperiment(name: string): Promise<Experiment> {
    const id = experimentIdFor(name);
    const found = await this.getExperiment(name);
    if (found) return found;
    // an insert that does nothing when the experiment exists: sent again after a lost reply
    await this.write(
      ['experiments'],
      async (q, d) => {
        await q(
          `INSERT INTO ${d.t('experiments')} (experiment_id, name, creation_time) VALUES ($1, $2, $3) ON CONFLICT (experiment_id) DO NOTHING`,
          [id, name, Date.now()],
        );
      },
      { single: true, idempotent: true },
    );
    const e = await this.getExperiment(name);
    if (!e) throw new TrackingError('backend', `experiment "${name}" was created but cannot be read back`);
    return e;
  }

  async getExperiment(name: string): Promise<Experiment | undefined> {
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

  async createRun(o: PreparedRun, exp: Experiment): Promise<RunStore> {
    // the run id is the client's (a random UUID): a transaction sent again after a connection lost
    // during its COMMIT finds its own run row (the whole earlier transaction committed) and stores
    // nothing twice; the tags are an upsert of the same values
    await this.write(
      ['runs', 'tags'],
      async (q, d) => {
        const ins = await q(
          `INSERT INTO ${d.t('runs')} (run_id, experiment_id, run_name, status, start_time, end_time) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (run_id) DO NOTHING`,
          [o.runId, exp.experimentId, o.name, 'RUNNING', o.startTime, null],
        );
        if (!ins.rowCount) {
          const r = await q(
            `SELECT experiment_id, run_name, start_time FROM ${d.t('runs')} WHERE run_id = $1`,
            [o.runId],
          );
          const row = r.rows[0];
          const mine =
            row !== undefined &&
            String(row.experiment_id) === exp.experimentId &&
            String(row.run_name) === o.name &&
            num(row.start_time) === o.startTime;
          if (!mine) {
            throw new TrackingError(
              'backend',
              `a run with id ${o.runId} already exists in ${this.uri}; start the run again (a new run gets a new id)`,
            );
          }
        }
        if (o.tags.length) {
          const s = d.insertKv('tags', o.runId, o.tags);
          await q(s.text, s.values);
        }
      },
      { idempotent: true },
    );
    return new SqlRun(this, newRunInfo(o, exp));
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
          runName: runNameOf(String(x.row.run_name), x.tags['mlflow.runName']),
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
    const [r] = await this.records([runId]);
    if (!r) throw new TrackingNotFoundError(`no run with id ${runId} in ${this.uri}`);
    return r;
  }

  /** @internal The error of a write to a run that is not there (deleted): nothing of it was stored. */
  gone(runId: string, what: string): TrackingNotFoundError {
    return new TrackingNotFoundError(`no run with id ${runId} in ${this.uri} (deleted?): ${what}`);
  }

  /** @internal */
  async assertRun(runId: string): Promise<void> {
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
    await this.removeRun(runId, false);
  }

  /**
   * PostgreSQL: one transaction locks the run's row (FOR UPDATE), reads whether a version comes from the
   * run, and deletes it only if none does. A registration reads the run's row FOR KEY SHARE in its own
   * transaction (SqlRegistry.registerModel): one in flight makes the lock wait until it commits, and the
   * read after it (a statement of its own under READ COMMITTED, PostgreSQL's default) sees its version;
   * one that comes later waits for the deletion and then finds no run (`not_found`, nothing stored).
   * CrateDB has neither transactions nor row locks: the read comes just before the deletion, as on the
   * stores without this method.
   */
  async deleteUnregisteredRun(runId: string): Promise<ModelVersion[]> {
    return (await this.removeRun(runId, true)) ? [] : this.registry.versionsOfRun(runId);
  }

  /** Deletes the run and its data; with `unlessRegistered`, not when a version comes from it (false). */
  private async removeRun(runId: string, unlessRegistered: boolean): Promise<boolean> {
    const children = [
      'params',
      'tags',
      'metrics',
      'latest_metrics',
      'inputs',
      'artifacts',
      'batches',
    ] as const;
    // set when a send found the run and deleted it, its COMMIT then unanswered: a resend that finds no
    // run is that send's success (committed after all), not a run that was never there
    let deleting = false;
    const found = await this.write<'deleted' | 'missing' | 'registered'>(
      ['runs', ...children],
      async (q, d) => {
        if (unlessRegistered) {
          const run = await q(
            `SELECT 1 FROM ${d.t('runs')} WHERE run_id = $1${d.crate ? '' : ' FOR UPDATE'}`,
            [runId],
          );
          if (!run.rowCount) return deleting ? 'deleted' : 'missing';
          const v = await q(`SELECT 1 FROM ${d.t('model_versions')} WHERE run_id = $1 LIMIT 1`, [runId]);
          if (v.rowCount) return 'registered'; // nothing written: the transaction commits no change
        }
        // the run row goes first, so a concurrent reader never sees a run without its data, and its row
        // lock comes first: deleting it waits for the run's writers that hold it (SqlDialect.runGuard),
        // whose rows the statements below then delete, and writers that come later find no run
        const r = await q(`DELETE FROM ${d.t('runs')} WHERE run_id = $1`, [runId]);
        if (!r.rowCount) return deleting ? 'deleted' : 'missing';
        for (const t of children) await q(`DELETE FROM ${d.t(t)} WHERE run_id = $1`, [runId]);
        deleting = true;
        return 'deleted';
      },
      { idempotent: !this.dialect.crate },
    );
    if (found === 'missing') throw new TrackingNotFoundError(`no run with id ${runId} in ${this.uri}`);
    return found === 'deleted';
  }

  /**
   * One conditional UPDATE (only a RUNNING run): of two processes ending one run, one is refused. A
   * resend after a lost COMMIT finds the run with this very status and end time: its own end, taken.
   */
  async terminateRun(runId: string, status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void> {
    const now = await this.write(
      ['runs'],
      async (q, d) => {
        const r = await q(
          `UPDATE ${d.t('runs')} SET status = $1, end_time = $2 WHERE run_id = $3 AND (status = 'RUNNING' OR (status = $1 AND end_time = $2))`,
          [status, endTime, runId],
        );
        if (r.rowCount) return undefined;
        const s = await q(`SELECT status FROM ${d.t('runs')} WHERE run_id = $1`, [runId]);
        return s.rows.length === 0 ? null : (String(s.rows[0].status) as RunStatus);
      },
      { idempotent: true },
    );
    if (now === null) throw new TrackingNotFoundError(`no run with id ${runId} in ${this.uri}`);
    if (now !== undefined) throw new RunNotActiveError(runId, now, true);
  }

  async searchRuns(q: NormalizedQuery): Promise<RunRecord[]> {
    if (q.maxResults === 0) return [];
    const s = this.dialect.searchRuns(q);
    const r = await this.query(s.text, s.values);
    return this.records(r.rows.map((row) => String(row.run_id)));
  }

  // --- registry -------------------------------------------------------------------------

  async close(): Promise<void> {
    const ex = this.exec;
    this.exec = undefined;
    if (ex) await (await ex).close();
  }
}

/** The SQL backend as a `Tracker`. */
export class SqlTracker extends BaseTracker<SqlStore> {
  constructor(uri: string, opts: SqlTrackerOptions = {}) {
    super(new SqlStore(uri, opts));
  }

  get dialect(): SqlDialect {
    return this.store.dialect;
  }
}
