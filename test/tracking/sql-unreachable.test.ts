/**
 * A PostgreSQL tracking server that cannot be reached (nothing listening on the URI's port: the server
 * down, or the wrong host or port) is reported as such: `TrackingError` `sql_unreachable`, naming the
 * host and port to check, never the password; also a write refused after the tracker had connected (it
 * never reached a server: not "may or may not be stored"). No PostgreSQL needed: a loopback port just
 * closed, or the stand-in server of pg-fake.ts closed.
 */
import { describe, expect, it } from 'vitest';
import { openTracker, TrackingError } from '../../src/index.js';
import { SqlStore } from '../../src/internal.js';
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
