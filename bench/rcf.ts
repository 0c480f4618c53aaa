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
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../src/detectors/registry.js';
import { cpuMs, fmt, runRows, timedPushes, trainRow } from './harness.js';
import { ROWS as ALL_ROWS, type BenchRow } from './rows.js';

// The RandomCutForest rows of bench/throughput.ts.
const ROWS = ALL_ROWS.filter((row) => row.name.startsWith('RandomCutForest'));

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

function runRow(row: BenchRow, n: number, nTrain: number): Result {
  const { train, test, trainMs, json } = trainRow(row.make, n, nTrain);
  const jsonBytes = Buffer.byteLength(json);
  let t0: number;

  const batchDet = loadModel(JSON.parse(json));
  t0 = performance.now();
  const c0 = process.cpuUsage();
  batchDet.score(test, { prev: train });
  const batchPps = n / ((performance.now() - t0) / 1000);
  const batchCpuPps = n / (cpuMs(c0) / 1000);
  t0 = performance.now();
  batchDet.score(test, { prev: train });
  const rescorePps = n / ((performance.now() - t0) / 1000);

  const { pps: streamPps, cpuPps: streamCpuPps } = timedPushes(loadModel(JSON.parse(json)).stream(), test, n);
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

function main(): void {
  const run = runRows(
    fileURLToPath(import.meta.url),
    ROWS.map((r) => r.name),
    (name, n, nTrain) => runRow(ROWS.find((r) => r.name === name)!, n, nTrain),
  );
  if (!run) return;
  const { n, results } = run;
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
