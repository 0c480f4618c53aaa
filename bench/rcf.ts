/**
 * RandomCutForest throughput, same columns as bench/throughput.ts: train time on n points,
 * batch scoring points/s, streaming points/s, model JSON size, peak RSS; plus CPU-time
 * throughput (points per CPU-second of this process), which is steadier than wall time on a
 * shared machine. Each row runs in its own child process so that peak RSS is its own.
 *
 *   npx tsx bench/rcf.ts              # 100k train + 100k test points
 *   npx tsx bench/rcf.ts --n 20000
 *   npx tsx bench/rcf.ts --only online
 *
 * "batch" = one `score(test, { prev: train })` call over the whole test period on a freshly
 * loaded copy of the trained model (with onlineUpdates that is score-then-update for every row,
 * exactly what `stream()` does); "batch, no update" = the same call again, when the rows are
 * already learned and only scored. "stream" = `stream().push()` per point on another copy.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { RandomCutForest } from '../src/detectors/rcf/index.js';
import { loadModel } from '../src/detectors/registry.js';
import type { Detector } from '../src/detectors/types.js';
import type { TimeSeries } from '../src/series/types.js';

interface BenchRow {
  name: string;
  make: () => Detector;
}

const ROWS: BenchRow[] = [
  {
    name: 'RandomCutForest (100 trees, 256 samples, shingle 4, online)',
    make: () =>
      new RandomCutForest({
        nEstimators: 100,
        maxNSamples: 256,
        transforms: [{ type: 'difference' }, { type: 'shingle', size: 4 }],
        onlineUpdates: true,
      }),
  },
  {
    name: 'RandomCutForest (100 trees, 256 samples, shingle 4, online, 2 threads)',
    make: () =>
      new RandomCutForest({
        nEstimators: 100,
        maxNSamples: 256,
        transforms: [{ type: 'difference' }, { type: 'shingle', size: 4 }],
        onlineUpdates: true,
        threads: 2,
      }),
  },
  {
    name: 'RandomCutForest (defaults: 100 trees, 512 samples, shingle 5)',
    make: () => new RandomCutForest(),
  },
];

interface Result {
  name: string;
  n: number;
  trainMs: number;
  batchPps: number;
  batchCpuPps: number;
  rescorePps: number;
  streamPps: number;
  streamCpuPps: number;
  jsonBytes: number;
  peakRssMb: number;
}

function synthetic(n: number, start: number): TimeSeries {
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    t[i] = start + i * 300_000;
    v[i] = 50 + 10 * Math.sin((2 * Math.PI * i) / 288) + 2 * (s / 2 ** 32 - 0.5) + (i % 997 === 500 ? 20 : 0);
  }
  return { t, v };
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function runRow(row: BenchRow, n: number): Result {
  const all = synthetic(2 * n, Date.UTC(2020, 0, 1));
  const train = { t: all.t.subarray(0, n), v: all.v.subarray(0, n) };
  const test = { t: all.t.subarray(n), v: all.v.subarray(n) };
  const det = row.make();
  let t0 = performance.now();
  det.train(train);
  const trainMs = performance.now() - t0;
  const json = JSON.stringify(det.toJSON());
  const jsonBytes = Buffer.byteLength(json);

  const batchDet = loadModel(JSON.parse(json));
  t0 = performance.now();
  let c0 = cpuMs();
  batchDet.score(test, { prev: train });
  const batchPps = n / ((performance.now() - t0) / 1000);
  const batchCpuPps = n / ((cpuMs() - c0) / 1000);
  t0 = performance.now();
  batchDet.score(test, { prev: train });
  const rescorePps = n / ((performance.now() - t0) / 1000);

  const st = loadModel(JSON.parse(json)).stream();
  t0 = performance.now();
  c0 = cpuMs();
  for (let i = 0; i < n; i++) st.push(test.t[i], test.v[i]);
  const streamPps = n / ((performance.now() - t0) / 1000);
  const streamCpuPps = n / ((cpuMs() - c0) / 1000);
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  return {
    name: row.name,
    n,
    trainMs,
    batchPps,
    batchCpuPps,
    rescorePps,
    streamPps,
    streamCpuPps,
    jsonBytes,
    peakRssMb,
  };
}

function fmt(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)} k`;
  return x.toFixed(0);
}

function main(): void {
  const args = process.argv.slice(2);
  const get = (k: string) => {
    const i = args.indexOf(k);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const n = Number(get('--n') ?? 100_000);
  const child = get('--row');
  if (child !== undefined) {
    const row = ROWS.find((r) => r.name === child);
    if (!row) throw new Error(`no bench row ${child}`);
    process.stdout.write(`${JSON.stringify(runRow(row, n))}\n`);
    return;
  }
  const only = get('--only');
  const rows = ROWS.filter((r) => !only || r.name.includes(only));
  const results: Result[] = [];
  for (const row of rows) {
    const r = spawnSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), '--row', row.name, '--n', String(n)],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) {
      process.stderr.write(`${row.name} failed:\n${r.stderr}\n`);
      continue;
    }
    results.push(JSON.parse(r.stdout.trim().split('\n').pop()!));
  }
  const out: string[] = [];
  out.push(
    `Throughput on ${fmt(n)} train + ${fmt(n)} test points (node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(1)})`,
  );
  out.push('');
  out.push(
    '| detector | train (ms) | batch score (points/s) | batch, no update (points/s) | stream (points/s) | stream per CPU-s | model JSON | peak RSS |',
  );
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    out.push(
      `| ${r.name} | ${r.trainMs.toFixed(0)} | ${fmt(r.batchPps)} | ${fmt(r.rescorePps)} | ${fmt(r.streamPps)} | ${fmt(r.streamCpuPps)} | ${(r.jsonBytes / 1024).toFixed(0)} KiB | ${r.peakRssMb.toFixed(0)} MiB |`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main();
