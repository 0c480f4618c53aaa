/**
 * A tracking server that cannot be reached is retried for a while (the retry budget); the first retry
 * says so once, as a process warning (the `tsad` command prints it as `tsad: warning [...]`), so a
 * typo in the URI does not look like a hang.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TrackingError } from '../../src/index.js';
import { createMlflowTracker } from '../../src/tracking/index.js';
import { freePort } from '../helpers/ports.js';

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

  it('takes its retry budget from TSAD_MLFLOW_RETRY_SECONDS when the option is not given', async () => {
    const port = await freePort();
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }) => {
      if (w.code === 'TSAD_MLFLOW_RETRYING') warnings.push(w.message);
    };
    process.on('warning', onWarning);
    try {
      const env = { TSAD_MLFLOW_RETRY_SECONDS: '1' };
      const t = createMlflowTracker(`http://127.0.0.1:${port}`, { env, backoffMs: 50 });
      const err = await t.searchRuns({ experiment: 'x' }).catch((e: unknown) => e);
      expect((err as TrackingError).code).toBe('mlflow_unreachable');
      expect((err as TrackingError).message).toMatch(/retry budget 1 s/);
      await new Promise((r) => setImmediate(r));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(
        /retrying for up to 1 s \(option retryBudgetMs, or TSAD_MLFLOW_RETRY_SECONDS\)/,
      );
      await t.close();
      // the option wins over the variable
      const t2 = createMlflowTracker(`http://127.0.0.1:${port}`, { env, retryBudgetMs: 0 });
      const err2 = await t2.searchRuns({ experiment: 'x' }).catch((e: unknown) => e);
      expect((err2 as TrackingError).message).toMatch(/retry budget 0 s/);
      await t2.close();
    } finally {
      process.off('warning', onWarning);
    }
    for (const bad of ['-1', 'soon', '1e9']) {
      expect(() =>
        createMlflowTracker('http://127.0.0.1:1', { env: { TSAD_MLFLOW_RETRY_SECONDS: bad } }),
      ).toThrow(/TSAD_MLFLOW_RETRY_SECONDS must be a number of seconds from 0 to 86400/);
    }
  });

  it('the command line gives up at once with TSAD_MLFLOW_RETRY_SECONDS=0 (exit 5, no retry warning)', async () => {
    const port = await freePort();
    const cli = fileURLToPath(new URL('../../scripts/tsad.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [cli, 'runs', 'list', '--uri', `http://127.0.0.1:${port}`], {
      encoding: 'utf8',
      env: { ...process.env, TSAD_MLFLOW_RETRY_SECONDS: '0' },
      timeout: 60_000,
    });
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(/mlflow_unreachable/);
    expect(r.stderr).toMatch(/retry budget 0 s/);
    expect(r.stderr).not.toMatch(/retrying for up to/);
  });
});
