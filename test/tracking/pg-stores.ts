/**
 * The setup the real-PostgreSQL race tests share: a private server (`startPostgres`), a tracker on it
 * (through the public `openTracker`, or a `SqlTracker` over an executor of the test's own) and a second
 * `SqlStore` with a pool of its own (another process), all in schema `schema`; closed and stopped after
 * the file. Call it inside a `describe`: it registers the `beforeAll`/`afterAll` hooks and returns an
 * object whose fields are set once they have run.
 */
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { type SqlQuery, SqlStore } from '../../src/internal.js';
import { openTracker, type SqlExecutor, SqlTracker, type Tracker } from '../../src/tracking/index.js';
import { type PgServer, startPostgres } from './pg-server.js';

export interface PgStores {
  pg: PgServer;
  /** The store's URI (with `?schema=`). */
  uri: string;
  tracker: Tracker;
  /** A second store, its own pool: deletions and reads from "another process". */
  other: SqlStore;
}

/**
 * A statement's text and values, seen by `hookedExecutor` before it is sent; `inTx` tells a
 * transaction's statements from lone ones. What the hook returns (awaited) runs first.
 */
export type StatementHook = (text: string, values: readonly unknown[], inTx: boolean) => Promise<void> | void;

/**
 * A plain executor over its own `pg` pool (BEGIN/COMMIT per transaction, no resends) that calls `hook`
 * before each statement: a test holds a statement back, runs something meanwhile, or fails it.
 * `committed` is called after each COMMIT with the transaction's statement texts.
 */
export function hookedExecutor(
  uri: string,
  hook: StatementHook,
  committed: (texts: readonly string[]) => void = () => undefined,
): SqlExecutor {
  const pool = new pg.Pool({ connectionString: uri, max: 4 });
  const query: SqlQuery = async (text, values = []) => {
    await hook(text, values, false);
    return pool.query(text, values as unknown[]);
  };
  return {
    query,
    async tx(fn) {
      const client = await pool.connect();
      const texts: string[] = [];
      try {
        await client.query('BEGIN');
        const out = await fn(async (text, values = []) => {
          await hook(text, values, true);
          texts.push(text);
          return client.query(text, values as unknown[]);
        });
        await client.query('COMMIT');
        committed(texts);
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/**
 * Starts the server and the two stores in `beforeAll`, closes them in `afterAll`. `executor`: the
 * tracker is a `SqlTracker` over it (made from the URI) instead of `openTracker(uri)`'s own pool.
 */
export function usePgStores(schema: string, executor?: (uri: string) => SqlExecutor): PgStores {
  const s = {} as PgStores;
  beforeAll(async () => {
    s.pg = await startPostgres();
    s.uri = `${s.pg.uri}?schema=${schema}`;
    s.tracker = executor ? new SqlTracker(s.uri, { executor: executor(s.uri) }) : openTracker(s.uri);
    s.other = new SqlStore(s.uri);
  }, 120_000);
  afterAll(async () => {
    await s.tracker?.close();
    await s.other?.close();
    await s.pg?.stop();
  });
  return s;
}
