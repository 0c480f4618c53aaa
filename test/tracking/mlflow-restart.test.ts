import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMlflowTracker } from '../../src/tracking/mlflow.js';
import { type MlflowServer, startMlflow } from '../helpers/mlflow-server.js';

// The real MLflow server (SQLite backend) is SIGKILLed in the middle of a run that logs metrics in
// a loop, and started again on the same port and store. The client rides it out on its retry
// budget: the run ends FINISHED and every acknowledged point is in the store exactly once.
let server: MlflowServer;
beforeAll(async () => {
  server = await startMlflow({ backend: 'sqlite' });
}, 120_000);
afterAll(async () => {
  await server?.close();
});

describe('MLflow server crash and restart in the middle of a run', () => {
  it('SIGKILL mid-loop and again before the end: FINISHED, every acknowledged point exactly once', async () => {
    const tr = createMlflowTracker(server.url, { env: {} as NodeJS.ProcessEnv, retryBudgetMs: 90_000 });
    const acked: number[] = [];
    let restarting: Promise<void> = Promise.resolve();
    const crash = async () => {
      await server.kill();
      // back after a pause, while the client keeps calling a dead port
      restarting = new Promise<void>((r) => setTimeout(r, 1500)).then(() => server.restart());
    };
    const runId = await tr.run({ experiment: 'crash', name: 'loop' }, async (run) => {
      for (let i = 0; i < 120; i++) {
        await run.logMetric('m', i / 7, { step: i, timestamp: 1_700_000_000_000 + i });
        acked.push(i);
        if (i === 40) await crash();
        // batches too: 50 points per call
        if (i % 20 === 0) {
          await run.logBatch({
            metrics: Array.from({ length: 50 }, (_, j) => ({
              key: 'batch',
              value: j,
              step: i * 100 + j,
              timestamp: 1_700_000_000_000,
            })),
          });
        }
      }
      await restarting;
      await crash(); // the end itself has to wait for the server
      return run.id;
    });
    await restarting;
    const r = await tr.getRun(runId);
    expect(r.info.status).toBe('FINISHED');
    const m = await tr.getMetricHistory(runId, 'm');
    expect(m.map((p) => p.step)).toEqual(acked);
    expect(m.map((p) => p.value)).toEqual(acked.map((i) => i / 7));
    const batch = await tr.getMetricHistory(runId, 'batch');
    expect(batch.length).toBe(6 * 50);
    expect(new Set(batch.map((p) => p.step)).size).toBe(6 * 50);
    expect(tr.pendingRuns()).toEqual([]);
    await tr.close();
  }, 180_000);
});
