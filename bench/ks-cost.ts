/**
 * KS p-value cost (ks42). Run: `npx tsx bench/ks-cost.ts [--reps N]`.
 *
 * 1. `Monitor` with the default window (288) and a 10,000-point reference on all three channels
 *    (values, scores, alarms): CPU time of each push that completes a comparison (three KS p-values,
 *    PSI, JS), over a stream whose first half matches the reference and whose second half is shifted
 *    (drifted windows have larger D, so the exact programme visits a wider band). Prints min / median /
 *    max per check for each half, with the load average, for `ksMethod` 'auto' and 'fast' (the
 *    default).
 * 2. `ksPValue` alone at the largest exact sizes: 10,000 × 10,000 (reflection formula) and
 *    10,000 × 9,999 (lattice programme, lcm ≈ 1e8), at several D, CPU per call.
 * CPU is `process.cpuUsage()` (user + system) of this process, in ms.
 */
import { loadavg } from 'node:os';
import { ksPValue, Monitor } from '../src/lifecycle/index.js';

const repsArg = process.argv.indexOf('--reps');
const reps = repsArg > 0 ? Number(process.argv[repsArg + 1]) : 3;

const cpuMs = (t: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(t);
  return (c.user + c.system) / 1000;
};
function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const f = (x: number) => (x >= 100 ? x.toFixed(0) : x.toPrecision(3));
  return `min ${f(s[0])} / median ${f(s[Math.floor(s.length / 2)])} / max ${f(s[s.length - 1])} ms (${s.length})`;
}
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

// a deterministic noisy seasonal signal; the second half of the stream is shifted by 1.5 (drift)
const R = 10_000;
const N = 288 * 200;
const value = (i: number) => Math.sin(i * 0.01) * 3 + Math.sin(i * 12.9898) + (i >= R + N / 2 ? 1.5 : 0);
const score = (i: number) => Math.abs(Math.sin(i * 78.233)) * 3 + (i >= R + N / 2 ? 1 : 0);
const alarm = (i: number) => (i % (i >= R + N / 2 ? 7 : 97) === 0 ? 1 : 0);
const reference = {
  value: Float64Array.from({ length: R }, (_, i) => value(i)),
  score: Float64Array.from({ length: R }, (_, i) => score(i)),
  alarm: Float64Array.from({ length: R }, (_, i) => alarm(i)),
};

console.log(`load average before: ${load()}`);
for (const ksMethod of ['auto', 'fast'] as const) {
  const stable: number[] = [];
  const drifted: number[] = [];
  let methods = '';
  for (let r = 0; r < reps; r++) {
    const mon = new Monitor({ reference, window: 288, ksMethod });
    for (let k = 0; k < N; k++) {
      const i = R + k;
      const t = process.cpuUsage();
      const check = mon.push(i * 300_000, value(i), score(i), alarm(i));
      if (check) {
        (i >= R + N / 2 + 288 ? drifted : i < R + N / 2 ? stable : []).push(cpuMs(t));
        if (r === 0 && (k === 287 || k === N - 1)) {
          methods += ` ${k === 287 ? 'first' : 'last'}: ${Object.entries(check.channels)
            .map(([c, s]) => `${c} D ${s.ksD.toFixed(3)} p ${s.ksP.toExponential(2)}`)
            .join(', ')};`;
        }
      }
    }
  }
  console.log(`ksMethod ${ksMethod}, checks:${methods}`);
  console.log(
    `monitor (ksMethod ${ksMethod}), window 288, reference 10,000, 3 channels, CPU per check, windows like the reference: ${stats(stable)}`,
  );
  console.log(`monitor (ksMethod ${ksMethod}), drifted windows: ${stats(drifted)}`);
  console.log(`load average after: ${load()}`);
}

for (const [n, m] of [
  [10_000, 10_000],
  [10_000, 9_999],
  [288, 10_000],
]) {
  const parts: string[] = [];
  for (const d of [0.01, 0.05, 0.2, 0.5, 0.9, 1]) {
    const t = process.cpuUsage();
    const { pValue, method } = ksPValue(d, n, m);
    parts.push(`D ${d}: ${cpuMs(t).toFixed(1)} ms (p ${pValue.toExponential(2)}, ${method})`);
  }
  console.log(`ksPValue ${n} × ${m}: ${parts.join('; ')}`);
}
console.log(`load average: ${load()}`);
