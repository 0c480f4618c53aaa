/**
 * A tracking server that cannot be reached is retried for a while (the retry budget); the first retry
 * says so once, as a process warning (the `tsad` command prints it as `tsad: warning [...]`), so a
 * typo in the URI does not look like a hang.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { TrackingError } from '../../src/index.js';
import { createMlflowTracker } from '../../src/tracking/index.js';

/** A loopback port nothing listens on (taken, then released). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((done) => s.listen(0, '127.0.0.1', done));
  const { port } = s.address() as { port: number };
  await new Promise((done) => s.close(done));
  return port;
}

describe('MLflow client on an unreachable server', () => {
  it('warns once that it is retrying, then gives up with mlflow_unreachable', async () => {
    const port = await freePort();
    const warnings: { code?: string; message: string }[] = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push({ code: w.code, message: w.message });
    process.on('warning', onWarning);
    try {
      const t = createMlflowTracker(`http://127.0.0.1:${port}`, { retryBudgetMs: 1500, backoffMs: 50 });
      const err = await t.searchRuns({ experiment: 'x' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TrackingError);
      expect((err as TrackingError).code).toBe('mlflow_unreachable');
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      const mine = warnings.filter((w) => w.code === 'TSAD_MLFLOW_RETRYING');
      expect(mine).toHaveLength(1);
      expect(mine[0].message).toMatch(
        new RegExp(`MLflow at http://127\\.0\\.0\\.1:${port} .*ECONNREFUSED.*retrying for up to 2 s`),
      );
      await t.close();
    } finally {
      process.off('warning', onWarning);
    }
  });
});
