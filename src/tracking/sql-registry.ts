/** The model registry on the SQL store (tables `tsad_registered_models`, `_model_versions`, `_model_aliases`, `_model_version_tags`). */
import { randomUUID } from 'node:crypto';
import { TrackingError } from '../errors.js';
import { aliasMoved, modelVersion, resolveVersionArg } from './common.js';
import { missingModel } from './models.js';
import { isLostWrite, lastFailure, num, numOrNull, retryLost } from './sql-connect.js';
import type { SqlDialect, SqlQuery, SqlResult, Table } from './sql-dialect.js';
import type { RegistryStore } from './store.js';
import { type ModelVersion, type RegisteredModel, TrackingNotFoundError } from './tracker.js';

/** What the registry needs from the SQL store. */
export interface SqlAccess {
  readonly dialect: SqlDialect;
  query(text: string, values?: readonly unknown[]): Promise<SqlResult>;
  write<T>(
    tables: readonly Table[],
    fn: (q: SqlQuery, d: SqlDialect) => Promise<T>,
    opts?: { single?: boolean; idempotent?: boolean },
  ): Promise<T>;
  /** The error of a write to a run that is not there (deleted): nothing of it was stored. */
  gone(runId: string, what: string): TrackingNotFoundError;
}

/** A version number another writer took first: the attempt is rolled back and tried again. */
class VersionTaken extends Error {}

export class SqlRegistry implements RegistryStore {
  /**
   * The `tsad_batches` rows of this tracker's last acknowledged registrations (PostgreSQL): no resend
   * carries their id again, so the next registration deletes them in its own transaction.
   */
  private acked: { runId: string; id: string }[] = [];

  constructor(private readonly db: SqlAccess) {}

  private async aliases(name: string): Promise<Record<string, number>> {
    const r = await this.db.query(
      `SELECT alias, version FROM ${this.db.dialect.t('model_aliases')} WHERE name = $1`,
      [name],
    );
    const out: Record<string, number> = {};
    for (const row of r.rows) out[String(row.alias)] = num(row.version);
    return out;
  }

  private async versions(name: string): Promise<ModelVersion[]> {
    const r = await this.db.query(
      `SELECT name, version, run_id, artifact_path, creation_time FROM ${this.db.dialect.t('model_versions')} WHERE name = $1 ORDER BY version`,
      [name],
    );
    const aliases = await this.aliases(name);
    return r.rows.map((row) => {
      const version = num(row.version);
      const runId = String(row.run_id);
      const artifactPath = String(row.artifact_path);
      return modelVersion(
        { name, version, runId, artifactPath, creationTime: num(row.creation_time) },
        aliases,
      );
    });
  }

  private async assertModel(name: string): Promise<void> {
    const r = await this.db.query(
      `SELECT name FROM ${this.db.dialect.t('registered_models')} WHERE name = $1`,
      [name],
    );
    if (r.rows.length === 0) {
      throw missingModel(name);
    }
  }

  /**
   * Allocates the next version. On PostgreSQL the transaction carries an id of its own (a random
   * UUID, like a metric batch's, in `tsad_batches` under the run): it first records `version:<id>`,
   * and with the version it allocated `version:<id>=<n>`. Sent again after a connection lost during
   * its COMMIT, it finds its id stored (the earlier transaction committed) and answers the version
   * that transaction made instead of making another; a second send while the first is still running
   * waits on the id's key. The run's row is read first in the same transaction (locked on PostgreSQL,
   * as every write of the run's data does: SqlDialect.runGuard), so a deletion of the run either waits
   * for the registration, or comes first and the registration is `not_found` with nothing stored.
   */
  async registerModel(name: string, runId: string, artifactPath: string): Promise<ModelVersion> {
    const now = Date.now();
    const guarded = !this.db.dialect.crate;
    const key = `version:${randomUUID()}`;
    const prune = [...this.acked];
    for (let attempt = 0; attempt < 50; attempt++) {
      const version = await this.db
        .write(
          ['registered_models', 'model_versions', ...(guarded ? (['batches'] as const) : [])],
          async (q, d) => {
            if (!(await q(d.runGuard(), [runId])).rowCount)
              throw this.db.gone(runId, `no version of model "${name}" was registered`);
            if (guarded && !(await q(d.insertBatchId('$2'), [runId, key])).rowCount) {
              const done = await q(
                `SELECT batch_id FROM ${d.t('batches')} WHERE run_id = $1 AND batch_id LIKE $2`,
                [runId, `${key}=%`],
              );
              const made = Number(String(done.rows[0]?.batch_id ?? '').slice(key.length + 1));
              if (!Number.isSafeInteger(made) || made < 1) {
                throw new TrackingError(
                  'backend',
                  `registering a version of model "${name}": its earlier attempt ${key} is stored without its version; list the model's versions before registering again`,
                );
              }
              return made;
            }
            await q(
              `INSERT INTO ${d.t('registered_models')} (name, creation_time) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
              [name, now],
            );
            const m = await q(`SELECT MAX(version) AS v FROM ${d.t('model_versions')} WHERE name = $1`, [
              name,
            ]);
            const next = numOrNull(m.rows[0]?.v) ?? 0;
            const ins = await q(
              `INSERT INTO ${d.t('model_versions')} (name, version, run_id, artifact_path, creation_time) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name, version) DO NOTHING`,
              [name, next + 1, runId, artifactPath, now],
            );
            if (ins.rowCount !== 1) {
              // another writer took this number: this attempt stores nothing (its id is rolled back)
              if (guarded) throw new VersionTaken();
              return null;
            }
            if (guarded) {
              await q(d.insertBatchId('$2'), [runId, `${key}=${next + 1}`]);
              if (prune.length) {
                await q(
                  `DELETE FROM ${d.t('batches')} WHERE (run_id, batch_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
                  [prune.map((x) => x.runId), prune.map((x) => x.id)],
                );
              }
            }
            return next + 1;
          },
          { idempotent: guarded },
        )
        .catch((err: unknown) => {
          // the store wraps what the transaction threw
          if (err instanceof VersionTaken || (err as { cause?: unknown }).cause instanceof VersionTaken)
            return null;
          throw err;
        });
      if (version !== null) {
        if (guarded) {
          // the next registration deletes this one's ids (and those it deleted are gone)
          const gone = new Set(prune);
          this.acked = this.acked.filter((x) => !gone.has(x));
          this.acked.push({ runId, id: key }, { runId, id: `${key}=${version}` });
        }
        return modelVersion({ name, version, runId, artifactPath, creationTime: now }, []);
      }
      await new Promise((r) => setTimeout(r, Math.random() * 10));
    }
    throw new TrackingError(
      'backend',
      `could not allocate a version of model "${name}" (too much contention)`,
    );
  }

  /**
   * Runs a one-statement registry write, and again when its reply was lost (the connection ended
   * after the server may have stored it): at most POOL_SIZE more times. `resent` tells the caller
   * that an earlier send may have stored it, so a "nothing changed" answer may be its own doing.
   */
  private async sendAgain<T>(
    tables: readonly Table[],
    fn: (q: SqlQuery, d: SqlDialect) => Promise<T>,
  ): Promise<{ out: T; resent: boolean }> {
    let lost = false; // an earlier send's reply was lost: it may have been stored
    try {
      return await retryLost(
        async (n) => ({ out: await this.db.write(tables, fn, { single: true }), resent: n > 0 }),
        (err) => {
          lost ||= isLostWrite(err);
          return isLostWrite(err);
        },
      );
    } catch (err) {
      throw lastFailure(err, lost);
    }
  }

  async setAlias(
    name: string,
    alias: string,
    version: number,
    opts: { expected?: number | null } = {},
  ): Promise<void> {
    await this.assertVersion(name, version);
    const expected = opts.expected;
    if (expected === undefined) {
      // an upsert of the same value: sent again after a lost reply
      await this.db.write(
        ['model_aliases'],
        async (q, d) => {
          await q(
            `INSERT INTO ${d.t('model_aliases')} (name, alias, version) VALUES ($1, $2, $3) ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version`,
            [name, alias, version],
          );
        },
        { single: true, idempotent: true },
      );
      return;
    }
    // one conditional statement: PostgreSQL re-checks the WHERE on the row a concurrent writer updated.
    // Sent again after a lost reply, it finds the alias already moved: at `version`, that was its own
    // earlier send (or another writer's move to the same place), and the call succeeds
    const { out: moved, resent } = await this.sendAgain(['model_aliases'], async (q, d) => {
      const r =
        expected === null
          ? await q(
              `INSERT INTO ${d.t('model_aliases')} (name, alias, version) VALUES ($1, $2, $3) ON CONFLICT (name, alias) DO NOTHING`,
              [name, alias, version],
            )
          : await q(
              `UPDATE ${d.t('model_aliases')} SET version = $3 WHERE name = $1 AND alias = $2 AND version = $4`,
              [name, alias, version, expected],
            );
      return r.rowCount === 0;
    });
    if (moved) {
      const r = await this.db.query(
        `SELECT version FROM ${this.db.dialect.t('model_aliases')} WHERE name = $1 AND alias = $2`,
        [name, alias],
      );
      const current = r.rows.length > 0 ? num(r.rows[0].version) : null;
      if (resent && current === version) return;
      throw aliasMoved(name, alias, expected, current);
    }
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.assertModel(name);
    // sent again after a lost reply: an alias gone by then was deleted by the earlier send (or by
    // another writer meanwhile); either way it is gone, as asked
    const { out: n, resent } = await this.sendAgain(['model_aliases'], async (q, d) => {
      const r = await q(`DELETE FROM ${d.t('model_aliases')} WHERE name = $1 AND alias = $2`, [name, alias]);
      return r.rowCount;
    });
    if (n === 0 && !resent) throw new TrackingNotFoundError(`model "${name}" has no alias "${alias}"`);
  }

  private async assertVersion(name: string, version: number): Promise<void> {
    await this.assertModel(name);
    const v = await this.db.query(
      `SELECT version FROM ${this.db.dialect.t('model_versions')} WHERE name = $1 AND version = $2`,
      [name, version],
    );
    if (v.rows.length === 0) throw new TrackingNotFoundError(`model "${name}" has no version ${version}`);
  }

  async setModelVersionTag(name: string, version: number, key: string, value: string): Promise<void> {
    await this.assertVersion(name, version);
    // an upsert of the same value: sent again after a lost reply
    await this.db.write(
      ['model_version_tags'],
      async (q, d) => {
        await q(
          `INSERT INTO ${d.t('model_version_tags')} (name, version, key, value) VALUES ($1, $2, $3, $4) ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value`,
          [name, version, key, value],
        );
      },
      { single: true, idempotent: true },
    );
  }

  async getModelVersionTags(name: string, version: number): Promise<Record<string, string>> {
    await this.assertVersion(name, version);
    const r = await this.db.query(
      `SELECT key, value FROM ${this.db.dialect.t('model_version_tags')} WHERE name = $1 AND version = $2`,
      [name, version],
    );
    const out: Record<string, string> = {};
    for (const row of r.rows) out[String(row.key)] = String(row.value);
    return out;
  }

  async getModelVersion(name: string, versionOrAlias: number | string): Promise<ModelVersion> {
    await this.assertModel(name);
    const all = await this.versions(name);
    const latest = all.length ? all[all.length - 1].version : null;
    const v = resolveVersionArg(name, versionOrAlias, await this.aliases(name), latest);
    const mv = all.find((x) => x.version === v);
    if (!mv) throw new TrackingNotFoundError(`model "${name}" has no version ${v}`);
    return mv;
  }

  async listRegisteredModels(): Promise<RegisteredModel[]> {
    const d = this.db.dialect;
    const [models, versions, aliases] = await Promise.all([
      this.db.query(`SELECT name, creation_time FROM ${d.t('registered_models')}`),
      this.db.query(`SELECT name, MAX(version) AS v FROM ${d.t('model_versions')} GROUP BY name`),
      this.db.query(`SELECT name, alias, version FROM ${d.t('model_aliases')}`),
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
    await this.assertModel(name);
    return this.versions(name);
  }

  async versionsOfRun(runId: string): Promise<ModelVersion[]> {
    const r = await this.db.query(
      `SELECT DISTINCT name FROM ${this.db.dialect.t('model_versions')} WHERE run_id = $1`,
      [runId],
    );
    const names = r.rows.map((row) => String(row.name)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const out: ModelVersion[] = [];
    for (const name of names) out.push(...(await this.versions(name)).filter((v) => v.runId === runId));
    return out;
  }
}
