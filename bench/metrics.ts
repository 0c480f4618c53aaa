/**
 * Metrics benchmark: `evaluate` on 10 M points, and the official NAB scorer on the full corpus (numenta
 * results) with per-profile threshold optimisation. Run: `npx tsx bench/metrics.ts`
 * (NAB data: $TSAD_DATA_DIR/nab or ../shared/datasets/nab).
 */
import { join } from 'node:path';
import { nabScoreAllProfiles, prepareNabCorpus } from '../src/metrics/nab.js';
import {
  readNabResultsDir,
  readNabWindows,
  resolveNabDir,
  scoreNabResults,
} from '../src/metrics/nab-files.js';
import { evaluate } from '../src/metrics/tsad.js';
import { lcg } from '../test/helpers/random.js';

function best(runs: number, f: () => void): number {
  let min = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    f();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

function benchEvaluate(n: number, windows: number, alarmRate: number, label: string): void {
  const rnd = lcg(42);
  const t = new Float64Array(n);
  const t0 = Date.UTC(2020, 0, 1);
  for (let i = 0; i < n; i++) t[i] = t0 + i * 60_000;
  const truth = new Uint8Array(n);
  const len = Math.max(1, Math.floor((n * 0.1) / windows));
  for (let w = 0; w < windows; w++) {
    const start = Math.floor(((w + 0.5) * n) / windows);
    for (let i = start; i < Math.min(n, start + len); i++) truth[i] = 1;
  }
  const pred = new Float64Array(n);
  for (let i = 0; i < n; i++) if (rnd() < alarmRate) pred[i] = 1;
  evaluate({ t, truth, pred }); // warm-up
  const ms = best(3, () => evaluate({ t, truth, pred }));
  const ms2 = best(3, () => evaluate({ t, truth, pred, maxEarlySec: 3600, maxDelaySec: 7200 }));
  const mps = (x: number) => ((n / x) * 1e3) / 1e6;
  console.log(
    `evaluate  ${label}: ${ms.toFixed(1)} ms = ${mps(ms).toFixed(0)} M points/s; with E/D buffers ${ms2.toFixed(1)} ms = ${mps(ms2).toFixed(0)} M points/s`,
  );
}

async function benchNab(): Promise<void> {
  const nabDir = resolveNabDir();
  const dir = join(nabDir, 'results', 'numenta');
  const t0 = performance.now();
  const windows = readNabWindows(join(nabDir, 'labels', 'combined_windows.json'));
  const { files } = readNabResultsDir(dir);
  const t1 = performance.now();
  const corpus = Object.fromEntries(
    Object.keys(windows).map((k) => [k, { t: files[k].t, windows: windows[k] }]),
  );
  const results = Object.fromEntries(Object.keys(windows).map((k) => [k, files[k].scores]));
  const prepared = prepareNabCorpus(corpus, results);
  const t2 = performance.now();
  const scores = nabScoreAllProfiles(prepared);
  const t3 = performance.now();
  const rows = prepared.reduce((s, f) => s + f.rows, 0);
  console.log(
    `NAB corpus (numenta, ${prepared.length} files, ${rows} rows): read CSVs ${(t1 - t0).toFixed(0)} ms, prepare ${(t2 - t1).toFixed(0)} ms, optimise + score 3 profiles ${(t3 - t2).toFixed(0)} ms`,
  );
  console.log(
    `  optimised: standard ${scores.standard.normalized.toFixed(4)}, low FP ${scores.reward_low_FP_rate.normalized.toFixed(4)}, low FN ${scores.reward_low_FN_rate.normalized.toFixed(4)}`,
  );
  const t4 = performance.now();
  const rep = scoreNabResults(dir, { thresholds: join(nabDir, 'config', 'thresholds.json') });
  const t5 = performance.now();
  console.log(
    `scoreNabResults end to end (read + stored thresholds + re-optimised): ${(t5 - t4).toFixed(0)} ms; standard ${rep.scores.standard.normalized.toFixed(4)}`,
  );
}

const N = 10_000_000;
benchEvaluate(N, 100, 0.001, '10 M points, 100 anomalies, 0.1% alarms');
benchEvaluate(N, 100_000, 0.01, '10 M points, 100 k anomalies, 1% alarms');
await benchNab();
