/**
 * `retryLost`: the one loop that sends a call again after a lost connection (resend, SqlStore.write's
 * transaction lost before its COMMIT or, idempotent, during it, migrate, SqlRegistry.sendAgain): at most POOL_SIZE more times, only for failures the
 * caller's predicate accepts, the last failure thrown as it is. And SqlStore.write's error once a send's
 * outcome is unknown (an executor standing in for pgExecutor.tx).
 */
import { describe, expect, it } from 'vitest';
import { connectionLost, POOL_SIZE, retryLost, type SqlResult } from '../../src/internal.js';
import { type SqlExecutor, SqlTracker } from '../../src/tracking/index.js';

const lostErr = (n: number): Error => Object.assign(new Error(`lost ${n}`), { lost: true });
const isLost = (err: unknown): boolean => (err as { lost?: boolean }).lost === true;

describe('retryLost', () => {
  it('returns the first success, numbering the attempts from 0', async () => {
    const seen: number[] = [];
    const out = await retryLost(async (n) => {
      seen.push(n);
      if (n < 2) throw lostErr(n);
      return `ok ${n}`;
    }, isLost);
    expect(out).toBe('ok 2');
    expect(seen).toEqual([0, 1, 2]);
  });

  it('tries at most POOL_SIZE more times, then throws the last failure itself', async () => {
    const seen: number[] = [];
    const err = await retryLost(async (n) => {
      seen.push(n);
      throw lostErr(n);
    }, isLost).catch((e: unknown) => e);
    expect(seen).toEqual(Array.from({ length: POOL_SIZE + 1 }, (_, i) => i));
    expect((err as Error).message).toBe(`lost ${POOL_SIZE}`);
  });

  it('throws a failure the predicate does not accept at once', async () => {
    const other = new Error('syntax error');
    const seen: number[] = [];
    await expect(
      retryLost(async (n) => {
        seen.push(n);
        throw n === 0 ? lostErr(0) : other;
      }, isLost),
    ).rejects.toBe(other);
    expect(seen).toEqual([0, 1]);
  });
});

describe('SqlStore.write sending an idempotent write again', () => {
  it("setAlias's compare-and-set whose reply was lost, sent again and then timed out: maybe moved, not a backend failure", async () => {
    let sends = -1; // < 0: statements go through
    const query = async (text: string): Promise<SqlResult> => {
      if (sends >= 0 && /^UPDATE \S+"tsad_model_aliases"/.test(text)) {
        if (sends++ === 0) throw new Error('Connection terminated unexpectedly');
        // the resend waits on the alias row the first send, still running on the server, holds
        throw Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
      }
      // every read finds a row: the model and its versions exist
      return { rows: /^SELECT/.test(text) ? [{ name: 'mdl', version: 1 }] : [], rowCount: 1 };
    };
    const tr = new SqlTracker('postgres://u@h/db', {
      executor: { query, tx: (fn) => fn(query), close: async () => undefined },
    });
    sends = 0;
    const err = await tr.setAlias('mdl', 'champion', 2, { expected: 1 }).catch((e: unknown) => e);
    expect(sends).toBe(2);
    expect(err).toMatchObject({ code: 'sql_connection_lost' });
    expect((err as Error).message).toMatch(/statement timeout.*may or may not be stored/);
  });

  it('a lone statement whose reply was lost, sent again and then timed out (waiting on the first send): maybe stored, not a backend failure', async () => {
    let sends = -1; // < 0: statements go through (the tables, the run)
    const query = async (text: string, values: readonly unknown[] = []): Promise<SqlResult> => {
      if (sends >= 0 && /"tsad_metrics"/.test(text)) {
        if (sends++ === 0) throw new Error('Connection terminated unexpectedly');
        // the resend waits on the batch id the first send, still running on the server, holds
        throw Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
      }
      return /FROM \S+"tsad_experiments" WHERE experiment_id/.test(text)
        ? { rows: [{ experiment_id: values[0], name: 'maybe', creation_time: 0 }], rowCount: 1 }
        : { rows: [], rowCount: 1 };
    };
    const tr = new SqlTracker('postgres://u@h/db', {
      executor: { query, tx: (fn) => fn(query), close: async () => undefined },
    });
    const run = await tr.startRun({ experiment: 'maybe' });
    sends = 0;
    const err = await run.logMetric('m', 1, { step: 0, timestamp: 1 }).catch((e: unknown) => e);
    expect(sends).toBe(2);
    expect(err).toMatchObject({ code: 'sql_connection_lost' });
    expect((err as Error).message).toMatch(/statement timeout.*may or may not be stored/);
  });

  it('once a send was lost during its COMMIT, the write fails as maybe stored even when every later send is lost before its COMMIT', async () => {
    // an executor keeping pgExecutor.tx's contract: a send lost during COMMIT is `connectionLost(…,
    // 'unknown')`, one lost before it `connectionLost(…, 'not_stored')`
    const query = async (text: string, values: readonly unknown[] = []): Promise<SqlResult> =>
      /FROM \S+"tsad_experiments" WHERE experiment_id/.test(text)
        ? { rows: [{ experiment_id: values[0], name: 'maybe', creation_time: 0 }], rowCount: 1 }
        : { rows: [], rowCount: 1 };
    let sends = -1; // < 0: transactions go through (the tables, the run)
    const executor: SqlExecutor = {
      query,
      tx: async (fn) => {
        if (sends < 0) return fn(query);
        const lost = new Error('Connection terminated unexpectedly');
        throw connectionLost(lost, sends++ === 0 ? 'unknown' : 'not_stored');
      },
      close: async () => undefined,
    };
    const tr = new SqlTracker('postgres://u@h/db', { executor });
    const run = await tr.startRun({ experiment: 'maybe' });
    sends = 0;
    const err = await run
      .logBatch({
        params: [{ key: 'p', value: '1' }],
        metrics: [{ key: 'm', value: 1, step: 0, timestamp: 1 }],
      })
      .catch((e: unknown) => e);
    expect(sends).toBe(POOL_SIZE + 1);
    expect(err).toMatchObject({ code: 'sql_connection_lost' });
    // the first send may have committed: "not stored, call it again" would store the batch twice
    expect((err as Error).message).toMatch(/may or may not be stored/);
    expect((err as Error).message).not.toMatch(/not stored; call it again/);
  });
});
