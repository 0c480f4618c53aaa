/**
 * Detector throughput: train time on 100k points, batch scoring points/s, streaming points/s,
 * per-push latency of a stream (p50 / p99 over 20k pushes, in process), model JSON size, peak RSS. Each row runs in its own child process so that peak RSS is the
 * detector's own.
 *
 *   npx tsx bench/throughput.ts            # all rows, 100k points
 *   npx tsx bench/throughput.ts --n 20000  # smaller
 *   npx tsx bench/throughput.ts --only IsolationForest
 *   npx tsx bench/throughput.ts --only ArtDetector --train 750   # trained on 750 points, 100k streamed
 *
 * The rows are in bench/rows.ts.
 */
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { cpuMs, fmt, runRows, timedPushes, trainRow } from './harness.js';
import { type BenchRow, ROWS } from './rows.js';

interface Result {
  name: string;
  n: number;
  trainMs: number;
  batchPps: number;
  batchCpuPps: number;
  streamPps: number;
  streamCpuPps: number;
  jsonBytes: number;
  peakRssMb: number;
  /** Per-push latency of a stream (µs), median and 99th percentile over up to 20k pushes. */
  pushP50Us: number;
  pushP99Us: number;
}

/** Times each push of a fresh stream over the first `m` test points (separately from the throughput run). */
function pushLatency(
  det: ReturnType<BenchRow['make']>,
  test: { t: Float64Array; v: Float64Array },
  m: number,
) {
  const st = det.stream();
  const lat = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const a = process.hrtime.bigint();
    st.push(test.t[i], test.v[i]);
    lat[i] = Number(process.hrtime.bigint() - a) / 1000;
  }
  lat.sort();
  return { p50: lat[Math.floor(0.5 * (m - 1))], p99: lat[Math.floor(0.99 * (m - 1))] };
}

function runRow(row: BenchRow, n: number, nTrain: number): Result {
  const { train, test, det, trainMs, json } = trainRow(row.make, n, nTrain);
  const jsonBytes = Buffer.byteLength(json);
  // warm-up on a slice, then the timed batch run (best of 3)
  const streamDet = row.make();
  streamDet.train(train);
  det.score({ t: test.t.subarray(0, 1000), v: test.v.subarray(0, 1000) }, { prev: train });
  let best = Number.POSITIVE_INFINITY;
  let bestCpu = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 3; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    det.score(test, { prev: train });
    best = Math.min(best, performance.now() - t0);
    bestCpu = Math.min(bestCpu, cpuMs(c0));
  }
  const batchPps = n / (best / 1000);
  const batchCpuPps = n / (bestCpu / 1000);
  const { pps: streamPps, cpuPps: streamCpuPps } = timedPushes(streamDet.stream(), test, n);
  const lat = pushLatency(streamDet, test, Math.min(n, 20_000));
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  return {
    name: row.name,
    n,
    trainMs,
    batchPps,
    batchCpuPps,
    streamPps,
    streamCpuPps,
    jsonBytes,
    peakRssMb,
    pushP50Us: lat.p50,
    pushP99Us: lat.p99,
  };
}

function main(): void {
  const run = runRows(
    fileURLToPath(import.meta.url),
    ROWS.map((r) => r.name),
    (name, n, nTrain) => runRow(ROWS.find((r) => r.name === name)!, n, nTrain),
  );
  if (!run) return;
  const { n, nTrain, results } = run;
  const out: string[] = [];
  const load = loadavg()[0].toFixed(1);
  out.push(
    `Throughput on ${fmt(n)} points after training on ${fmt(nTrain)} (node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length} CPUs, load average ${load}).`,
  );
  out.push(
    'Points/s are wall-clock; in brackets per CPU-second of this process (less sensitive to other load).',
  );
  out.push('');
  out.push(
    '| detector | train (ms) | batch score (points/s) | stream (points/s) | push p50 / p99 (µs) | model JSON | peak RSS |',
  );
  out.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    out.push(
      `| ${r.name} | ${r.trainMs.toFixed(0)} | ${fmt(r.batchPps)} (${fmt(r.batchCpuPps)}) | ${fmt(r.streamPps)} (${fmt(r.streamCpuPps)}) | ${r.pushP50Us.toFixed(1)} / ${r.pushP99Us.toFixed(1)} | ${(r.jsonBytes / 1024).toFixed(0)} KiB | ${r.peakRssMb.toFixed(0)} MiB |`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main();
