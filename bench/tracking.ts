/**
 * Tracking throughput per backend: runs/s (start, 3 params, 1 metric, end) and metric
 * points/s, batched (`logBatch` of 1000 points) and one awaited `logMetric` at a time.
 * PostgreSQL is a throwaway local server started like the tests do (fsync off: this
 * measures the client and SQL path, not the disk); MLflow is the REST client against the
 * in-process contract server on loopback (a real server adds its database time per request).
 *
 *   npx tsx bench/tracking.ts            (TSAD_BENCH_SCALE=0.2 for a quicker run)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MetricPoint, openTracker, type Tracker } from '../src/tracking/index.js';
import { createMlflowTracker } from '../src/tracking/mlflow.js';
import { startMlflowContractServer } from '../test/tracking/mlflow-contract-server.js';
import { startPostgres } from '../test/tracking/pg-server.js';

const scale = Number(process.env.TSAD_BENCH_SCALE ?? 1);

interface Row {
  backend: string;
  runsPerSec: number;
  batchedPointsPerSec: number;
  singlePointsPerSec: number;
}

async function timeIt(fn: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function bench(
  backend: string,
  t: Tracker,
  sizes: { runs: number; batched: number; single: number },
): Promise<Row> {
  const runs = Math.max(10, Math.round(sizes.runs * scale));
  const batched = Math.max(1000, Math.round(sizes.batched * scale));
  const single = Math.max(100, Math.round(sizes.single * scale));
  // warm-up: schema creation, first connection, JIT
  await t.run({ experiment: 'bench-warmup' }, async (run) => {
    await run.logMetric('x', 1);
  });

  const runSecs = await timeIt(async () => {
    for (let i = 0; i < runs; i++) {
      await t.run({ experiment: 'bench-runs' }, async (run) => {
        await run.logParams({ i, model: 'zms', window: 10 });
        await run.logMetric('f1', i / runs);
      });
    }
  });

  const run = await t.startRun({ experiment: 'bench-metrics' });
  const BATCH = 1000;
  const batch: MetricPoint[] = new Array(BATCH);
  const ts = Date.now();
  const batchSecs = await timeIt(async () => {
    for (let s = 0; s < batched; s += BATCH) {
      for (let j = 0; j < BATCH; j++)
        batch[j] = { key: j % 2 ? 'loss' : 'score', value: Math.random(), step: s + j, timestamp: ts };
      await run.logBatch({ metrics: batch });
    }
  });
  const singleSecs = await timeIt(async () => {
    for (let s = 0; s < single; s++) await run.logMetric('single', s, { step: s, timestamp: ts });
  });
  await run.end();
  const hist = await t.getMetricHistory(run.id, 'single');
  if (hist.length !== single) throw new Error(`${backend}: expected ${single} points, read ${hist.length}`);

  return {
    backend,
    runsPerSec: runs / runSecs,
    batchedPointsPerSec: (Math.ceil(batched / BATCH) * BATCH) / batchSecs,
    singlePointsPerSec: single / singleSecs,
  };
}

const fmt = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(x >= 100_000 ? 0 : 1)} k` : x.toFixed(0));

const rows: Row[] = [];
rows.push(await bench('memory', openTracker('memory:'), { runs: 5000, batched: 1_000_000, single: 100_000 }));

const dir = await mkdtemp(join(tmpdir(), 'tsad-bench-'));
try {
  const file = openTracker(`file:${join(dir, 'store')}`);
  rows.push(await bench('local store (file:)', file, { runs: 300, batched: 1_000_000, single: 20_000 }));
  await file.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}

// MLflow REST client against the in-process contract server (loopback HTTP, every request validated):
// this measures the client and the HTTP round trips, not a real server's storage.
const mlflow = await startMlflowContractServer();
try {
  const t = createMlflowTracker(mlflow.url, { env: {} as NodeJS.ProcessEnv });
  rows.push(
    await bench('MLflow REST → contract server (loopback)', t, { runs: 200, batched: 50_000, single: 2000 }),
  );
  await t.close();
  if (mlflow.violations.length > 0)
    throw new Error(`MLflow contract violations: ${mlflow.violations.length}`);
} finally {
  await mlflow.close();
}

const pg = await startPostgres();
try {
  const sql = openTracker(`${pg.uri}?schema=bench`);
  rows.push(await bench('PostgreSQL 15 (local)', sql, { runs: 300, batched: 200_000, single: 2000 }));
  await sql.close();
} finally {
  await pg.stop();
}

process.stdout.write(`\nnode ${process.version}, scale ${scale}\n\n`);
process.stdout.write(
  '| backend | runs/s | metric points/s (batches of 1000) | metric points/s (one awaited logMetric each) |\n',
);
process.stdout.write('|---|---:|---:|---:|\n');
for (const r of rows) {
  process.stdout.write(
    `| ${r.backend} | ${fmt(r.runsPerSec)} | ${fmt(r.batchedPointsPerSec)} | ${fmt(r.singlePointsPerSec)} |\n`,
  );
}
