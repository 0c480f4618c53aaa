/**
 * Lifecycle benchmark. Run: `npx tsx bench/lifecycle.ts [--quick]`.
 *
 * 1. Monitor cost: `Monitor.push` on 2 M points with all three channels (value, score, alarm), a
 *    288-point window and a comparison every 288 points (KS + p-value, PSI, JS per channel), amortised
 *    per point; next to it, the default detector's own streaming cost per point for scale.
 * 2. Simulation: machine temperature, default detector, retrained daily (sliding 14 d and expanding)
 *    and weekly, no tracking, in line or with the schedule's models run on the main thread and 1 worker: wall time
 *    of `simulate()` and the CPU time of the process (all threads), with the load average of the
 *    machine (repeats: BENCH_REPS, default 5; `--plans daily-sliding` for the first two rows only).
 * Prints min / median / max over the repeats.
 */
import { loadavg } from 'node:os';
import { SPLIT_TIME, TEST_WINDOWS } from '../src/cli/nab/machine-temperature.js';
import { loadMachineTemperature } from '../src/cli/nab/machine-temperature-data.js';
import { makeDetector } from '../src/lab/recipes.js';
import '../src/index.js';
import { Monitor } from '../src/lifecycle/monitor.js';
import { simulate } from '../src/lifecycle/simulate.js';
import { splitAt } from '../src/series/index.js';

const quick = process.argv.includes('--quick');

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const f = (x: number) => (x >= 100 ? x.toFixed(0) : x.toPrecision(3));
  return `min ${f(s[0])} / median ${f(s[Math.floor(s.length / 2)])} / max ${f(s[s.length - 1])}`;
}

// --- 1. monitor cost per point
const N = quick ? 200_000 : 2_000_000;
const values = new Float64Array(N);
const scores = new Float64Array(N);
for (let i = 0; i < N; i++) {
  values[i] = Math.sin(i * 0.01) * 10 + Math.sin(i * 12.9898);
  scores[i] = Math.abs(Math.sin(i * 78.233)) * 3;
}
const reference = {
  value: values.subarray(0, 4000),
  score: scores.subarray(0, 4000),
  alarm: Float64Array.from({ length: 4000 }, (_, i) => (i % 97 === 0 ? 1 : 0)),
};
const perPoint: number[] = [];
for (let r = 0; r < 5; r++) {
  const mon = new Monitor({ reference, window: 288 });
  let checks = 0;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) if (mon.push(i * 300_000, values[i], scores[i], i % 97 === 0)) checks++;
  const ms = performance.now() - t0;
  perPoint.push((ms * 1e6) / N);
  if (r === 0) console.log(`monitor: ${N} points, ${checks} comparisons of 3 channels`);
}
console.log(`monitor ns/point (value+score+alarm, window 288, compare every 288): ${stats(perPoint)}`);

// the default detector's streaming cost per point, for scale
const { full } = await loadMachineTemperature();
const [train, test] = splitAt(full, SPLIT_TIME);
const det = makeDetector('default', { seed: 0 });
det.train(train);
const st = det.stream();
const n = quick ? 2000 : test.t.length;
const t1 = performance.now();
for (let i = 0; i < n; i++) st.push(test.t[i], test.v[i]);
console.log(
  `default detector stream: ${(((performance.now() - t1) * 1e3) / n).toFixed(1)} µs/point (${n} points)`,
);

// --- 2. simulation wall time
const plans = quick
  ? [{ every: '1d', window: 'sliding:14d', workers: 1 }]
  : [
      { every: '1d', window: 'sliding:14d', workers: 0 },
      { every: '1d', window: 'sliding:14d', workers: 1 },
      { every: '1d', window: 'expanding', workers: 0 },
      { every: '1d', window: 'expanding', workers: 1 },
      { every: '7d', window: 'sliding:14d', workers: 1 },
    ];
const reps = Number(process.env.BENCH_REPS ?? (quick ? 1 : 5));
const only = process.argv.includes('--plans') ? process.argv[process.argv.indexOf('--plans') + 1] : '';
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
for (const p of only === 'daily-sliding' ? plans.slice(0, 2) : plans) {
  const walls: number[] = [];
  const cpus: number[] = [];
  const loadBefore = load();
  let line = '';
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const res = await simulate(() => makeDetector('default', { seed: 0 }), full, {
      initialTrainEnd: SPLIT_TIME,
      retrainEvery: p.every,
      trainWindow: p.window as 'expanding',
      labels: TEST_WINDOWS,
      ...(p.workers > 0 ? { trainIn: { recipe: 'default', seed: 0, workers: p.workers } } : {}),
    });
    walls.push(res.wallMs / 1000);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1e6);
    const train = res.retrains.reduce((s, x) => s + x.ms, 0) / 1000;
    line = `${res.retrains.length - 1} retrains, ${train.toFixed(1)} s of training summed over threads, F1 ${res.report?.f1.toFixed(4)}`;
  }
  const how = p.workers > 0 ? `main thread + ${p.workers} worker${p.workers > 1 ? 's' : ''}` : 'in line';
  console.log(
    `simulate machine temperature, retrain ${p.every} ${p.window}, ${how}: wall s ${stats(walls)}; CPU s (all threads) ${stats(cpus)} (${line}; ${reps} run${reps > 1 ? 's' : ''}; load average ${loadBefore} → ${load()})`,
  );
}
