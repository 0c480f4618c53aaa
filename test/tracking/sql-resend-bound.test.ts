/**
 * How many times a transaction is sent after lost connections, through the real `pg` pool
 * (pgExecutor) against a stand-in server on a loopback port (`pg-fake.ts`) that ends the connection
 * instead of answering a chosen statement: one loop (SqlStore.write's `retryLost`) owns the resends, so
 * a write goes out at most 1 + POOL_SIZE times whatever it is, and a write not safe to repeat is never
 * sent again once a connection was lost during its COMMIT.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { POOL_SIZE, SqlStore } from '../../src/internal.js';
import { type PgFake, startPgFake } from './pg-fake.js';

const begins = (fake: PgFake): number => fake.statements.filter((s) => s === 'BEGIN').length;
const marked = (q: (text: string, values?: readonly unknown[]) => Promise<unknown>) =>
  q('INSERT INTO marked_write VALUES ($1)', [1]);

describe('SqlStore.write after lost connections (pg pool against a stand-in server)', () => {
  let fake: PgFake;
  let store: SqlStore;
  beforeEach(async () => {
    fake = await startPgFake();
    store = new SqlStore(`${fake.uri}?connect_timeout_ms=5000`);
    // the first write creates the tables (the stand-in answers every statement)
    await store.write(['tags'], async (q) => {
      await q('SELECT 1');
    });
    fake.statements.length = 0;
  });
  afterEach(async () => {
    await store.close();
    await fake.close();
  });

  it('an idempotent transaction lost before its COMMIT every time is sent 1 + POOL_SIZE times, not (1 + POOL_SIZE)²', async () => {
    fake.cut = /marked_write/;
    const err = await store
      .write(['tags'], async (q) => void (await marked(q)), { idempotent: true })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'sql_connection_lost' });
    expect((err as Error).message).toMatch(/was not stored/);
    expect(begins(fake)).toBe(1 + POOL_SIZE);
  });

  it('a transaction not safe to repeat, lost before its COMMIT every time, is sent 1 + POOL_SIZE times too (nothing was stored)', async () => {
    fake.cut = /marked_write/;
    const err = await store.write(['tags'], async (q) => void (await marked(q))).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'sql_connection_lost' });
    expect(begins(fake)).toBe(1 + POOL_SIZE);
  });

  it('a transaction not safe to repeat whose connection was lost during COMMIT is sent once: may be stored', async () => {
    fake.cut = /^COMMIT$/;
    const err = await store.write(['tags'], async (q) => void (await marked(q))).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'sql_connection_lost' });
    expect((err as Error).message).toMatch(/may or may not be stored/);
    expect(begins(fake)).toBe(1);
  });

  it('an idempotent transaction lost during every COMMIT is sent 1 + POOL_SIZE times, then reported maybe stored', async () => {
    fake.cut = /^COMMIT$/;
    const err = await store
      .write(['tags'], async (q) => void (await marked(q)), { idempotent: true })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'sql_connection_lost' });
    expect((err as Error).message).toMatch(/may or may not be stored/);
    expect(begins(fake)).toBe(1 + POOL_SIZE);
  });

  it('a read lost on every send goes out 1 + POOL_SIZE times and is backend (docs/errors.md), not sql_connection_lost', async () => {
    fake.cut = /marked_read/;
    const err = await store.query('SELECT marked_read').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'backend' });
    expect((err as Error).message).toMatch(/Connection terminated/);
    expect(fake.statements.filter((s) => /marked_read/.test(s))).toHaveLength(1 + POOL_SIZE);
  });

  it('a transaction lost once before its COMMIT is stored by its second send', async () => {
    let left = 1;
    fake.cut = { test: (s: string) => /marked_write/.test(s) && left-- > 0 };
    await store.write(['tags'], async (q) => void (await marked(q)));
    expect(begins(fake)).toBe(2);
    expect(fake.statements.filter((s) => s === 'COMMIT')).toHaveLength(1);
  });
});

describe('opening the store: the migration (pg pool against a stand-in server)', () => {
  it('a migration whose COMMIT was lost once is sent again (it reads the schema version under its lock, so a repeat applies nothing twice) and the first write goes through', async () => {
    const fake = await startPgFake();
    const store = new SqlStore(`${fake.uri}?connect_timeout_ms=5000`);
    try {
      let left = 1;
      fake.cut = { test: (s: string) => s === 'COMMIT' && left-- > 0 };
      await store.write(['tags'], async (q) => void (await marked(q)));
      // the migration twice (its first COMMIT lost), then the write
      expect(fake.statements.filter((s) => /pg_advisory_xact_lock/.test(s))).toHaveLength(2);
      expect(fake.statements.filter((s) => /marked_write/.test(s))).toHaveLength(1);
    } finally {
      await store.close();
      await fake.close();
    }
  });

  it('a migration lost during every COMMIT fails the first call as not stored (the call itself was never sent)', async () => {
    const fake = await startPgFake();
    const store = new SqlStore(`${fake.uri}?connect_timeout_ms=5000`);
    try {
      fake.cut = /^COMMIT$/;
      const err = await store.write(['tags'], async (q) => void (await marked(q))).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'sql_connection_lost' });
      expect((err as Error).message).toMatch(/was not stored/);
      expect(fake.statements.filter((s) => /pg_advisory_xact_lock/.test(s))).toHaveLength(1 + POOL_SIZE);
      expect(fake.statements.filter((s) => /marked_write/.test(s))).toHaveLength(0);
    } finally {
      await store.close();
      await fake.close();
    }
  });
});
