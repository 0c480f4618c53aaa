/**
 * How long each file's training part is, in days, grouped by the file's step: the fact that decided
 * round 18b (docs/evaluation.md: NAB's 5-minute files train on 2.1–2.6 days, the synthetic 5-minute
 * files on 1.56). The training part is what `tsad bench` trains on: NAB's probationary length of the
 * file's rows (15 %, at most 750), and its span runs from the first to the last training timestamp.
 * For each step it prints the number of files, the min / median / max span and how many files span at
 * least 2 days and at least 7 days.
 *
 *   npx tsx bench/train-span.ts <corpusDir | nab>
 */
import { resolveCorpus } from '../src/lab/bench.js';
import { corpusWindows, loadCorpusFile } from '../src/lab/nab-corpus-file.js';
import { nabProbationaryLength } from '../src/metrics/nab.js';

const arg = process.argv[2];
if (!arg) throw new Error('usage: train-span.ts <corpusDir | nab>');
const dir = resolveCorpus(arg);
const DAY = 86_400_000;
const byStep = new Map<number, number[]>();
for (const file of Object.keys(corpusWindows(dir)).sort()) {
  const { rows } = await loadCorpusFile(dir, file);
  const n = rows.t.length;
  if (n < 2) continue;
  // The step is the median spacing of the rows, in whole minutes (NAB's files have irregular rows).
  const gaps = new Float64Array(n - 1);
  for (let i = 1; i < n; i++) gaps[i - 1] = rows.t[i] - rows.t[i - 1];
  gaps.sort();
  const step = Math.round(gaps[(n - 1) >> 1] / 60_000);
  const p = nabProbationaryLength(n);
  const span = (rows.t[p - 1] - rows.t[0]) / DAY;
  const list = byStep.get(step) ?? [];
  list.push(span);
  byStep.set(step, list);
}
const f2 = (x: number) => x.toFixed(2);
process.stdout.write(
  `${dir}\n| step (min) | files | training span min / median / max (days) | ≥ 2 days | ≥ 7 days |\n`,
);
process.stdout.write('|---:|---:|---|---:|---:|\n');
for (const step of [...byStep.keys()].sort((a, b) => a - b)) {
  const s = (byStep.get(step) ?? []).sort((a, b) => a - b);
  const med = s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  const ge = (d: number) => s.filter((x) => x >= d).length;
  process.stdout.write(
    `| ${step} | ${s.length} | ${f2(s[0])} / ${f2(med)} / ${f2(s[s.length - 1])} | ${ge(2)} | ${ge(7)} |\n`,
  );
}
