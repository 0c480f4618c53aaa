/**
 * Tracking throughput per backend: runs/s (start, 3 params, 1 metric, end) and metric
 * points/s, batched (`logBatch` of 1000 points) and one awaited `logMetric` at a time.
 * PostgreSQL is a throwaway local server started like the tests do (fsync off: this
 * measures the client and SQL path, not the disk); MLflow is the REST client against the real
 * MLflow server (../shared/mlflow, SQLite and file backends) on loopback, started like the tests
 * do. Each backend is measured `TSAD_BENCH_REPEAT` times (default 3): min / median / max.
 *
 *   npx tsx bench/tracking.ts            (TSAD_BENCH_SCALE=0.2 for a quicker run)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MetricPoint, openTracker, type Tracker } from '../src/tracking/index.js';
import { createMlflowTracker } from '../src/tracking/mlflow.js';
import { startMlflow } from '../test/helpers/mlflow-server.js';
import { startPostgres } from '../test/tracking/pg-server.js';

const scale = Number(process.env.TSAD_BENCH_SCALE ?? 1);
const repeat = Math.max(1, Number(process.env.TSAD_BENCH_REPEAT ?? 3));

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

interface Stats {
  backend: string;
  runs: number[];
  batched: number[];
  single: number[];
}
const rows: Stats[] = [];

async function measure(
  backend: string,
  open: () => Promise<Tracker> | Tracker,
  sizes: { runs: number; batched: number; single: number },
): Promise<void> {
  const st: Stats = { backend, runs: [], batched: [], single: [] };
  for (let i = 0; i < repeat; i++) {
    const t = await open();
    const r = await bench(backend, t, sizes);
    await t.close();
    st.runs.push(r.runsPerSec);
    st.batched.push(r.batchedPointsPerSec);
    st.single.push(r.singlePointsPerSec);
  }
  rows.push(st);
}

await measure('memory', () => openTracker('memory:'), { runs: 5000, batched: 1_000_000, single: 100_000 });

const dir = await mkdtemp(join(tmpdir(), 'tsad-bench-'));
try {
  await measure('local store (file:)', () => openTracker(`file:${join(dir, 'store')}`), {
    runs: 300,
    batched: 1_000_000,
    single: 20_000,
  });
} finally {
  await rm(dir, { recursive: true, force: true });
}

// The MLflow REST client against the real MLflow server (3.6, one process, loopback).
for (const backend of ['sqlite', 'file'] as const) {
  const server = await startMlflow({ backend });
  try {
    await measure(
      `MLflow REST → real MLflow 3.6 server, ${backend === 'sqlite' ? 'SQLite' : 'file'} backend (loopback)`,
      () => createMlflowTracker(server.url, { env: {} as NodeJS.ProcessEnv }),
      { runs: 100, batched: 20_000, single: 500 },
    );
  } finally {
    await server.close();
  }
}

const pg = await startPostgres();
try {
  await measure('PostgreSQL 15 (local)', () => openTracker(`${pg.uri}?schema=bench`), {
    runs: 300,
    batched: 200_000,
    single: 2000,
  });
} finally {
  await pg.stop();
}

const mmm = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const med = s[Math.floor(s.length / 2)];
  return s.length === 1 ? fmt(med) : `${fmt(med)} (${fmt(s[0])}–${fmt(s[s.length - 1])})`;
};
process.stdout.write(`\nnode ${process.version}, scale ${scale}, ${repeat} repeats: median (min–max)\n\n`);
process.stdout.write(
  '| backend | runs/s | metric points/s (batches of 1000) | metric points/s (one awaited logMetric each) |\n',
);
process.stdout.write('|---|---:|---:|---:|\n');
for (const r of rows) {
  process.stdout.write(`| ${r.backend} | ${mmm(r.runs)} | ${mmm(r.batched)} | ${mmm(r.single)} |\n`);
}
