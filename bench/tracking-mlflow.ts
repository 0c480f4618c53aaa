/**
 * MLflow REST backend throughput against the in-process contract server (loopback HTTP,
 * every request validated). This measures the client and the HTTP round trips, not a real
 * MLflow server's storage: a real server adds its database time per request.
 *
 *   npx tsx bench/tracking-mlflow.ts [runs=200] [points=50000]
 */
import { createMlflowTracker } from '../src/tracking/mlflow.js';
import { startMlflowContractServer } from '../test/tracking/mlflow-contract-server.js';

const nRuns = Number(process.argv[2] ?? 200);
const nPoints = Number(process.argv[3] ?? 50_000);

const server = await startMlflowContractServer();
const tracker = createMlflowTracker(server.url, { env: {} as NodeJS.ProcessEnv });
try {
  await tracker.getOrCreateExperiment('bench');

  // runs/s: create, 5 params, 3 metrics, end — 4 requests per run.
  let t0 = performance.now();
  for (let i = 0; i < nRuns; i++) {
    await tracker.run({ experiment: 'bench', name: `r${i}` }, async (run) => {
      await run.logParams({ a: i, b: 'x', c: 0.5, d: true, e: [1, 2] });
      await run.logMetrics({ f1: 0.5, precision: 0.6, recall: 0.7 });
    });
  }
  const runsPerSec = nRuns / ((performance.now() - t0) / 1000);

  // metric points/s, batched: one logBatch call, chunked into 1000-point requests.
  const run = await tracker.startRun({ experiment: 'bench', name: 'points' });
  const points = Array.from({ length: nPoints }, (_, i) => ({
    key: 'loss',
    value: 1 / (i + 1),
    step: i,
    timestamp: 1e12 + i,
  }));
  t0 = performance.now();
  await run.logBatch({ metrics: points });
  const batchedPerSec = nPoints / ((performance.now() - t0) / 1000);

  // metric points/s, one request per point.
  const single = Math.min(2000, nPoints);
  t0 = performance.now();
  for (let i = 0; i < single; i++) await run.logMetric('acc', i / single, { step: i });
  const singlePerSec = single / ((performance.now() - t0) / 1000);
  await run.end();

  const violations = server.violations.length;
  console.log('| backend | runs/s | metric points/s batched | metric points/s one per call |');
  console.log('|---|---|---|---|');
  console.log(
    `| MLflow REST → contract server (loopback) | ${runsPerSec.toFixed(0)} | ${batchedPerSec.toFixed(0)} | ${singlePerSec.toFixed(0)} |`,
  );
  console.log(
    `(${nRuns} runs, ${nPoints} batched points, ${single} single points; ${server.requests.length} requests, ${violations} contract violations)`,
  );
} finally {
  await tracker.close();
  await server.close();
}
