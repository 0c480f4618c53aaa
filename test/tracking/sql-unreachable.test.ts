/**
 * A PostgreSQL tracking server that cannot be reached (nothing listening on the URI's port: the server
 * down, or the wrong host or port) is reported as such: `TrackingError` `sql_unreachable`, naming the
 * host and port to check, never the password. No PostgreSQL needed: a loopback port just closed.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { openTracker, TrackingError } from '../../src/index.js';

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('an unreachable PostgreSQL server', () => {
  it('refused first connection: sql_unreachable, naming host and port and what to check, no password', async () => {
    const port = await closedPort();
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
