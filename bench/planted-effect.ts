/**
 * Round 19a of docs/evaluation.md: how much each planted anomaly of a `tsad synth` corpus changes its
 * series, beside whether a recipe's own alarm rule found its window (tuning seeds only). The corpus is
 * generated again in memory twice, as written and with `planted: false` (the same draws, the anomaly left
 * out); their difference d is what the anomaly did to the series. Per window: the file's step, its training
 * part's span in days (NAB's 15 %), then in units of the noise's standard deviation (σ, the generator's
 * own), over the anomaly's labelled span onset..until (generator round 20's criterion span,
 * docs/evaluation.md): the largest |d|, RMS(d), the number of points with |d| ≥ 3σ and, for frequency
 * changes (the kind the criterion is stated for), whether max |d| ≥ 4σ and RMS(d) ≥ 2σ hold (`crit ok` /
 * `CRIT FAIL`); then, labelled `to end`, the largest |d| from the onset to the NAB window's end (round
 * 19a's measure, which the summary used before round 20); and found / missed as `tsad bench` recorded it
 * (the result file's `alarm` column at or after the onset, inside the window). A window whose largest |d|
 * over onset..until stays below about 2σ changes the series by less than its noise: no detector can be
 * asked to find it. The summary counts by that onset..until figure.
 *
 *   npx tsx bench/planted-effect.ts <recipe=default> <corpusDir>…   (run `tsad bench` on each first)
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { RECIPES } from '../src/lab/recipes.js';
import { type SynthFile, synthCorpus } from '../src/lab/synth.js';
import { nabProbationaryLength } from '../src/metrics/nab.js';
import { corpusOptions } from './harness.js';

const [recipe, ...dirs] = process.argv.slice(2);
if (!recipe || dirs.length === 0 || !(recipe in RECIPES))
  throw new Error('usage: planted-effect.ts <recipe> <corpusDir>…');

const DAY = 86_400_000;
const rows: { kind: string; found: boolean; eff: number; step: number }[] = [];
for (const dir of dirs) {
  const opts = corpusOptions(dir);
  const with_ = synthCorpus(opts).files;
  const without = new Map<string, SynthFile>(
    synthCorpus({ ...opts, planted: false }).files.map((f) => [f.name, f]),
  );
  const det = `tsad_${recipe}`;
  for (const f of with_) {
    const w = f.windows[0];
    if (!w) continue;
    const g = without.get(f.name);
    if (!g || g.t.length !== f.t.length) throw new Error(`${f.name}: the unplanted file differs in rows`);
    const [k, leaf] = f.name.split('/');
    const res = join('bench/results/corpus', basename(dir), det, k, `${det}_${leaf}`);
    if (!existsSync(res)) throw new Error(`${res} missing: run tsad bench -d ${recipe} on ${dir} first`);
    const lines = readFileSync(res, 'utf8').trim().split('\n');
    const alarmCol = lines[0].split(',').indexOf('alarm');
    let found = false;
    let eff = 0; // max |d| / σ over onset..until (the criterion's span)
    let sumSq = 0;
    let n = 0;
    let over3 = 0;
    let effToEnd = 0; // max |d| / σ over onset..window end (round 19a's span)
    for (let i = 0; i < f.t.length; i++) {
      if (f.t[i] < w.onset || f.t[i] > Math.max(w.until, w.end)) continue;
      const a = Math.abs(f.v[i] - g.v[i]) / f.sigma;
      if (f.t[i] <= w.until) {
        eff = Math.max(eff, a);
        sumSq += a * a;
        n++;
        if (a >= 3) over3++;
      }
      if (f.t[i] <= w.end) {
        effToEnd = Math.max(effToEnd, a);
        if (Number(lines[i + 1].split(',')[alarmCol]) === 1) found = true;
      }
    }
    const rms = n > 0 ? Math.sqrt(sumSq / n) : 0;
    const p = nabProbationaryLength(f.t.length);
    const trainDays = (f.t[p - 1] - f.t[0]) / DAY;
    rows.push({ kind: w.kind, found, eff, step: f.stepMin });
    console.log(
      `${opts.seed} ${f.name.padEnd(38)} step ${String(f.stepMin).padStart(2)} min  train ${trainDays.toFixed(2)} d  onset..until: max|d| ${eff.toFixed(1).padStart(6)} σ  rms ${rms.toFixed(1).padStart(5)} σ  ≥3σ ${String(over3).padStart(4)} pts  ${w.kind !== 'frequencyChange' ? '         ' : eff >= 4 && rms >= 2 ? 'crit ok  ' : 'CRIT FAIL'}  to end: max|d| ${effToEnd.toFixed(1).padStart(6)} σ  ${found ? 'found' : 'MISSED'}`,
    );
  }
}
const missed = rows.filter((r) => !r.found);
console.log(
  `\n${missed.length} of ${rows.length} windows missed; by kind (missed with max|d| over onset..until < 2σ / < 3σ):`,
);
const kinds = [...new Set(rows.map((r) => r.kind))].sort();
for (const k of kinds) {
  const m = missed.filter((r) => r.kind === k);
  console.log(
    `  ${k.padEnd(16)} missed ${m.length}  (${m.filter((r) => r.eff < 2).length} / ${m.filter((r) => r.eff < 3).length}); all windows < 2σ: ${rows.filter((r) => r.kind === k && r.eff < 2).length}`,
  );
}
