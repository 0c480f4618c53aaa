/**
 * Round 25 of docs/evaluation.md: which member of today's default comes closest on the frequency-change
 * windows it misses. Reads bench/freq25-sweep.ts `--diag` lines (`missed CORPUS FILE …`, corpora as
 * /tmp/NAME or as given with `--root`), streams each mean member alone (ETS, forest, ZMS, as
 * `defaultMemberAlone` builds them) as `tsad bench` does (NAB's 15 % training part), and prints per step
 * the median of each member's peak |score| inside the window and of its peak in the test part outside it.
 * Tuning seeds only.
 *
 *   npx tsx bench/freq25-members.ts DIAG_FILE DIR…   (DIR: the corpora the diag lines name, by basename)
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { corpusKinds } from '../src/lab/bench.js';
import { loadCorpusFile } from '../src/lab/nab-corpus-file.js';
import { nabProbationaryLength } from '../src/metrics/nab.js';
import { defaultMemberAlone, streamAfterTraining } from './harness.js';

const [diag, ...dirs] = process.argv.slice(2);
if (!diag || dirs.length === 0) throw new Error('usage: freq25-members.ts DIAG_FILE DIR…');
const byName = new Map(dirs.map((d) => [basename(d), d]));
const NAMES = ['ETS', 'forest', 'ZMS'];
const rows = new Map<number, { inW: number[][]; outW: number[][] }>();
for (const line of readFileSync(diag, 'utf8').split('\n')) {
  const m = /^missed (\S+) (\S+) step (\d+) min/.exec(line);
  if (!m) continue;
  const corpus = byName.get(m[1]);
  if (!corpus) throw new Error(`no corpus for ${m[1]}`);
  const file = `${m[2]}.csv`;
  const step = Number(m[3]);
  const w = corpusKinds(corpus)[file]?.[0];
  if (!w) throw new Error(`${corpus} ${file}: no window`);
  const { t, v } = (await loadCorpusFile(corpus, file)).series;
  const p = nabProbationaryLength(t.length);
  let r = rows.get(step);
  if (!r) {
    r = { inW: NAMES.map(() => []), outW: NAMES.map(() => []) };
    rows.set(step, r);
  }
  for (let k = 0; k < NAMES.length; k++) {
    const { score } = streamAfterTraining(defaultMemberAlone(k), t, v, p);
    let a = 0;
    let b = 0;
    for (let i = p; i < t.length; i++) {
      const s = Math.abs(score[i]);
      if (t[i] >= w.onset && t[i] <= w.end) a = Math.max(a, s);
      else b = Math.max(b, s);
    }
    r.inW[k].push(a);
    r.outW[k].push(b);
  }
}
const med = (x: number[]) => {
  const s = [...x].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : Number.NaN;
};
for (const [step, r] of [...rows.entries()].sort(([a], [b]) => a - b))
  process.stdout.write(
    `step ${step} min, ${r.inW[0].length} missed: ${NAMES.map((n, k) => `${n} ${med(r.inW[k]).toFixed(2)} in / ${med(r.outW[k]).toFixed(2)} out (≥3 in: ${r.inW[k].filter((x) => x >= 3).length})`).join('; ')}\n`,
  );
