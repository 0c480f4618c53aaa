/**
 * A PostgreSQL tracking server that cannot be reached (nothing listening on the URI's port: the server
 * down, or the wrong host or port) is reported as such: `TrackingError` `sql_unreachable`, naming the
 * host and port to check, never the password; also a write refused after the tracker had connected (it
 * never reached a server: not "may or may not be stored"). No PostgreSQL needed: a loopback port just
 * closed, or the stand-in server of pg-fake.ts closed.
 */
import { describe, expect, it } from 'vitest';
import { openTracker, TrackingError } from '../../src/index.js';
import { POOL_SIZE, SqlStore } from '../../src/internal.js';
import { freePort } from '../helpers/ports.js';
import { startPgFake } from './pg-fake.js';

describe('an unreachable PostgreSQL server', () => {
  it('refused first connection: sql_unreachable, naming host and port and what to check, no password', async () => {
    const port = await freePort();
    const tracker = await openTracker(
      `postgresql://tsad:s3cret@127.0.0.1:${port}/tsad?connect_timeout_ms=5000`,
    );
    try {
      const err = await tracker.getOrCreateExperiment('x').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TrackingError);
      expect((err as TrackingError).code).toBe('sql_unreachable');
      const msg = (err as Error).message;
      expect(msg).toContain(`127.0.0.1:${port}`);
      expect(msg).toMatch(/ECONNREFUSED/);
      expect(msg).toMatch(/running/);
      expect(msg).not.toContain('s3cret');
      // the next call tries again (nothing cached from the failure) and fails the same way
      const again = await tracker.getExperiment('x').catch((e: unknown) => e);
      expect((again as TrackingError).code).toBe('sql_unreachable');
    } finally {
      await tracker.close?.();
    }
  });
});

describe('a PostgreSQL server that goes away after the tracker connected (stand-in server, pg-fake.ts)', () => {
  // every send refused: nothing reached a server, so nothing can be stored; the answer is the same as at
  // the first connection, not "may or may not be stored" (which asks the caller to read back a write
  // that cannot be there)
  const gone = async (): Promise<SqlStore> => {
    const fake = await startPgFake();
    const store = new SqlStore(`${fake.uri}?connect_timeout_ms=5000`);
    await store.write(['tags'], async (q) => void (await q('SELECT 1'))); // tables made, pool connected
    await fake.close(); // its connections ended, its port closed: new connections refused
    // a read first: sent again past the pool's dead idle connection, then refused (the pool now holds
    // none, so the write below can only be refused, never lost on a connection that was open)
    expect(await store.query('SELECT 1').catch((e: unknown) => e)).toMatchObject({ code: 'sql_unreachable' });
    return store;
  };

  for (const opts of [{ single: true, idempotent: true }, { single: true }, {}]) {
    it(`a write (${JSON.stringify(opts)}) refused on every send: sql_unreachable, not sql_connection_lost`, async () => {
      const store = await gone();
      try {
        const err = await store
          .write(['tags'], async (q) => void (await q('INSERT INTO marked_write VALUES (1)')), opts)
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(TrackingError);
        expect((err as TrackingError).code).toBe('sql_unreachable');
        expect((err as Error).message).not.toMatch(/may or may not be stored/);
      } finally {
        await store.close();
      }
    });
  }
});

describe('a PostgreSQL server that does not answer the connection, or is starting up (stand-in server, pg-fake.ts)', () => {
  it('no answer to the startup within connect_timeout_ms, at the first call: sql_unreachable naming the address, the timeout and what to check', async () => {
    const fake = await startPgFake();
    fake.startup = 'silent';
    const store = new SqlStore(`${fake.uri.replace('tsad@', 'tsad:s3cret@')}?connect_timeout_ms=300`);
    try {
      const err = await store.query('SELECT 1').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TrackingError);
      expect((err as TrackingError).code).toBe('sql_unreachable');
      const msg = (err as Error).message;
      expect(msg).toContain(fake.uri.replace(/^.*@/, '').replace(/\/.*$/, '')); // 127.0.0.1:port
      expect(msg).toMatch(/300 ms/);
      expect(msg).toMatch(/nothing was sent/);
      expect(msg).toMatch(/connect_timeout_ms/);
      expect(msg).not.toContain('s3cret');
      expect(fake.statements).toEqual([]);
    } finally {
      await store.close();
      await fake.close();
    }
  });

  it("a URI whose ?host= and ?port= name the server (as pg reads them): the message names that server, not the URI's host", async () => {
    const fake = await startPgFake();
    fake.startup = 'silent';
    const at = new URL(fake.uri);
    const uri = `postgresql://tsad@elsewhere.invalid:1${at.pathname}?host=${at.hostname}&port=${at.port}&connect_timeout_ms=300`;
    const store = new SqlStore(uri);
    try {
      const err = await store.query('SELECT 1').catch((e: unknown) => e);
      expect((err as TrackingError).code).toBe('sql_unreachable');
      expect((err as Error).message).toMatch(/did not answer/); // pg went to the fake, not elsewhere.invalid
      expect((err as Error).message).toContain(`at ${at.hostname}:${at.port} `);
      expect((err as Error).message).not.toContain('elsewhere.invalid');
    } finally {
      await store.close();
      await fake.close();
    }
  });

  for (const opts of [{ single: true, idempotent: true }, { single: true }, {}]) {
    it(`a write (${JSON.stringify(opts)}) after the tracker connected, no new connection answered: sql_unreachable, not "may or may not be stored"`, async () => {
      const fake = await startPgFake();
      const store = new SqlStore(`${fake.uri}?connect_timeout_ms=300`);
      try {
        await store.write(['tags'], async (q) => void (await q('SELECT 1'))); // tables made, pool connected
        fake.startup = 'silent';
        fake.drop(); // the pool's connections ended: the next statement needs a new one
        await new Promise((r) => setTimeout(r, 50));
        fake.statements.length = 0;
        const err = await store
          .write(['tags'], async (q) => void (await q('INSERT INTO marked_write VALUES (1)')), opts)
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(TrackingError);
        expect((err as TrackingError).code).toBe('sql_unreachable');
        expect((err as Error).message).not.toMatch(/may or may not be stored/);
        expect(fake.statements).toEqual([]);
      } finally {
        await store.close();
        await fake.close();
      }
    });
  }

  it('every pooled connection busy for the whole connect timeout: sql_unreachable saying so (nothing sent), not a server that is down', async () => {
    const fake = await startPgFake();
    const store = new SqlStore(`${fake.uri}?connect_timeout_ms=300&statement_timeout_ms=0`);
    const running: Promise<unknown>[] = [];
    try {
      await store.query('SELECT 1'); // tables made
      fake.hang = /long_running/;
      for (let i = 0; i < POOL_SIZE; i++)
        running.push(store.query('SELECT long_running()').catch(() => undefined));
      await new Promise((r) => setTimeout(r, 50));
      fake.statements.length = 0;
      const err = await store.query('SELECT 2').catch((e: unknown) => e);
      expect((err as TrackingError).code).toBe('sql_unreachable');
      expect((err as Error).message).toMatch(
        new RegExp(`none of the tracker's ${POOL_SIZE} connections .* came free within 300 ms`),
      );
      expect(fake.statements).toEqual([]);
    } finally {
      await fake.close(); // the hanging statements' connections ended first: the pool then closes
      await Promise.all(running);
      await store.close();
    }
  });

  it(`more calls at once than the pool's ${POOL_SIZE} connections, none answered: each says the server did not answer, none blames busy connections`, async () => {
    // the calls past the pool's size wait for a connection of the pool; those are still being opened
    // (the server silent), so pg-pool's "timeout exceeded when trying to connect" is not a pool busy
    // with running calls, and "send fewer calls at once" would point the user away from the server
    const fake = await startPgFake();
    const store = new SqlStore(`${fake.uri}?connect_timeout_ms=300`);
    try {
      await store.query('SELECT 1'); // tables made, pool connected
      fake.startup = 'silent';
      fake.drop();
      await new Promise((r) => setTimeout(r, 50));
      fake.statements.length = 0;
      const errs = await Promise.all(
        Array.from({ length: POOL_SIZE + 2 }, (_, i) => store.query(`SELECT ${i}`).catch((e: unknown) => e)),
      );
      for (const err of errs) {
        expect((err as TrackingError).code).toBe('sql_unreachable');
        expect((err as Error).message).toMatch(/did not answer/);
        expect((err as Error).message).not.toMatch(/came free|fewer calls/);
      }
      expect(fake.statements).toEqual([]);
    } finally {
      await store.close();
      await fake.close();
    }
  });

  it('a server starting up (57P03) after the tracker connected: a read, a lone statement and a transaction each try one new connection, then sql_unreachable', async () => {
    const fake = await startPgFake();
    const store = new SqlStore(`${fake.uri}?connect_timeout_ms=5000`);
    try {
      await store.write(['tags'], async (q) => void (await q('SELECT 1'))); // tables made, pool connected
      fake.startup = 'starting';
      const calls: [string, () => Promise<unknown>][] = [
        ['a read', () => store.query('SELECT 1')],
        [
          'a lone idempotent statement',
          () =>
            store.write(['tags'], async (q) => void (await q('SELECT 1')), {
              single: true,
              idempotent: true,
            }),
        ],
        [
          'a transaction',
          () => store.write(['tags'], async (q) => void (await q('INSERT INTO marked_write VALUES (1)'))),
        ],
        [
          'an idempotent transaction',
          () =>
            store.write(['tags'], async (q) => void (await q('INSERT INTO marked_write VALUES (1)')), {
              idempotent: true,
            }),
        ],
      ];
      const tried: Record<string, number> = {};
      for (const [what, call] of calls) {
        fake.drop(); // the pool's connections ended: the call needs a new one
        await new Promise((r) => setTimeout(r, 50));
        fake.statements.length = 0;
        const before = fake.startups;
        const err = await call().catch((e: unknown) => e);
        expect((err as TrackingError).code, what).toBe('sql_unreachable');
        expect((err as Error).message, what).toMatch(/starting up/);
        expect(fake.statements, what).toEqual([]);
        tried[what] = fake.startups - before;
      }
      // the same for every kind of call: a server starting up is not asked again at once (it takes
      // seconds; the message says to call again in a few seconds)
      expect(tried).toEqual({
        'a read': 1,
        'a lone idempotent statement': 1,
        'a transaction': 1,
        'an idempotent transaction': 1,
      });
    } finally {
      await store.close();
      await fake.close();
    }
  });

  it('a server still starting up (57P03) at the first call: sql_unreachable saying to call again shortly; the next call once it is up goes through', async () => {
    const fake = await startPgFake();
    fake.startup = 'starting';
    const tracker = openTracker(`${fake.uri}?connect_timeout_ms=5000`);
    try {
      const err = await tracker.getExperiment('x').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TrackingError);
      expect((err as TrackingError).code).toBe('sql_unreachable');
      expect((err as Error).message).toMatch(/starting up/);
      expect((err as Error).message).toMatch(/again/);
      expect(fake.statements).toEqual([]);
      fake.startup = 'ok';
      // the stand-in answers every read with no rows: no experiment, but no error either
      expect(await tracker.getExperiment('x')).toBeUndefined();
    } finally {
      await tracker.close();
      await fake.close();
    }
  });
});
