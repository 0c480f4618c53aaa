/**
 * Why a recipe misses windows of a `tsad synth` corpus (tuning seeds only; docs/evaluation.md, round 9).
 * For every anomalous file of the chosen kinds it streams the recipe as `tsad bench` does (NAB's 15 %
 * training part, each later point scored before it is learnt) and each default mean member alone (ETS
 * calibrated by an ensemble, the forest and ZMS by their own calibrators), then prints one line per file
 * (found or missed, the planted size against the noise's standard deviation and the training part's) and,
 * for a miss, where the window lies (training part, gaps, alarms before the onset) and the alarm rule's
 * state at every raw alarm in the window (emitted, too few raw alarms within the rule's window, or
 * suppressed after an earlier alarm), with each member's calibrated score at the combined peak.
 *
 *   npx tsx bench/miss-diag.ts <corpusDir> [recipe=default] [kinds=spike,dip,levelShiftUp,…]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ALARM_RULE } from '../src/detectors/default.js';
import type { Detector } from '../src/detectors/types.js';
import { corpusKinds } from '../src/lab/bench.js';
import { loadCorpusFile } from '../src/lab/nab-corpus-file.js';
import { makeDetector } from '../src/lab/recipes.js';
import { synthCorpus } from '../src/lab/synth.js';
import { nabProbationaryLength } from '../src/metrics/nab.js';
import { defaultMemberAlone } from './harness.js';

const [dir, recipe = 'default', kindList = 'spike,dip,levelShiftUp,levelShiftDown,drift,varianceBurst'] =
  process.argv.slice(2);
if (!dir) throw new Error('usage: miss-diag.ts <corpusDir> [recipe] [kinds]');
const wanted = new Set(kindList.split(','));
const seed = (JSON.parse(readFileSync(join(dir, 'corpus.json'), 'utf8')) as { seed: number }).seed;
const meta = new Map(synthCorpus({ seed }).files.map((f) => [f.name, f]));
const kinds = corpusKinds(dir);

function run(det: Detector, t: Float64Array, v: Float64Array, p: number) {
  det.train({ t: t.subarray(0, p), v: v.subarray(0, p) });
  const s = det.stream();
  const score = new Float64Array(t.length);
  const alarm = new Uint8Array(t.length);
  for (let i = p; i < t.length; i++) {
    const r = s.push(t[i], v[i]);
    score[i] = r.score;
    alarm[i] = r.alarm ? 1 : 0;
  }
  return { score, alarm };
}

const th = DEFAULT_ALARM_RULE.almThreshold;
const winMs = DEFAULT_ALARM_RULE.almWindowMinutes * 60_000;
const supMs = DEFAULT_ALARM_RULE.almSuppressMinutes * 60_000;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
const f2 = (x: number) => x.toFixed(2);

let nFiles = 0;
let nMissed = 0;
for (const file of Object.keys(kinds).sort()) {
  const ws = kinds[file];
  if (ws.length !== 1 || !wanted.has(ws[0].kind)) continue;
  const w = ws[0];
  const m = meta.get(file);
  if (!m) throw new Error(`${file} is not in seed ${seed}'s corpus`);
  const { series } = await loadCorpusFile(dir, file);
  const { t, v } = series;
  const n = t.length;
  const p = nabProbationaryLength(n);
  const step = t[1] - t[0];
  const main = run(makeDetector(recipe), t, v, p);
  let first = -1;
  for (let i = p; i < n; i++)
    if (main.alarm[i] && t[i] >= w.onset && t[i] <= w.end) {
      first = i;
      break;
    }
  nFiles++;
  const io = t.findIndex((x) => x >= w.onset);
  const ie = (() => {
    let k = n - 1;
    while (k > 0 && t[k] > w.end) k--;
    return k;
  })();
  const iws = t.findIndex((x) => x >= w.onset - 0.15 * 0.1 * n * step);
  let tm = 0;
  for (let i = 0; i < p; i++) tm += v[i];
  tm /= p;
  let tsd = 0;
  for (let i = 0; i < p; i++) tsd += (v[i] - tm) ** 2;
  tsd = Math.sqrt(tsd / p);
  const sizeTxt =
    w.kind === 'varianceBurst'
      ? `noise × ${f2(m.anomalySize)}`
      : `size ${f2(m.anomalySize)} = ${f2(m.anomalySize / m.sigma)} noise sd = ${f2(m.anomalySize / tsd)} train sd = ${f2(m.anomalySize / Math.max(m.amplitude, 1e-9))} amp`;
  const delay = first >= 0 ? ((t[first] - w.onset) / 60_000).toFixed(0) : '';
  process.stdout.write(
    `${first >= 0 ? 'found ' : 'MISSED'} ${file} step ${step / 60_000} min, noise ${m.noise} (sd ${f2(m.sigma)}), amp ${f2(m.amplitude)}, ${sizeTxt}; onset row ${io} (training ends ${p}), gaps ${m.gaps}${first >= 0 ? `; first alarm +${delay} min` : ''}\n`,
  );
  if (first >= 0) continue;
  nMissed++;
  const mem = [0, 1, 2].map((i) => run(defaultMemberAlone(i), t, v, p).score);
  // gaps near the window
  const gapRows: string[] = [];
  for (let i = 1; i < n; i++)
    if (t[i] - t[i - 1] > 1.5 * step)
      gapRows.push(
        `${Math.round((t[i] - t[i - 1]) / step) - 1} rows missing before row ${i} (${i - io} rows from onset)`,
      );
  if (gapRows.length) process.stdout.write(`    gaps: ${gapRows.join('; ')}\n`);
  // alarms before the onset that could suppress
  const before: string[] = [];
  for (let i = p; i < io; i++)
    if (main.alarm[i]) before.push(`row ${i} (${((w.onset - t[i]) / 60_000).toFixed(0)} min before onset)`);
  if (before.length)
    process.stdout.write(
      `    alarms before onset: ${before.slice(-3).join(', ')}${before.length > 3 ? ` (+${before.length - 3} earlier)` : ''}\n`,
    );
  const lastAlarmBefore = (() => {
    for (let i = io - 1; i >= p; i--) if (main.alarm[i]) return t[i];
    return Number.NEGATIVE_INFINITY;
  })();
  // combined peak and member peaks in the anomalous part (onset to the window's end)
  let pk = io;
  for (let i = io; i <= ie; i++) if (Math.abs(main.score[i]) > Math.abs(main.score[pk])) pk = i;
  const memPk = mem.map((a) => {
    let b = io;
    for (let i = io; i <= ie; i++) if (Math.abs(a[i]) > Math.abs(a[b])) b = i;
    return `${f2(Math.abs(a[b]))} at +${b - io}`;
  });
  process.stdout.write(
    `    window rows ${iws}–${ie} (${w.kind}: onset row ${io}); combined peak ${f2(main.score[pk])} at +${pk - io} rows (${iso(t[pk])}); members there ets ${f2(mem[0][pk])} rcf ${f2(mem[1][pk])} zms ${f2(mem[2][pk])}; member peaks ets ${memPk[0]}, rcf ${memPk[1]}, zms ${memPk[2]}\n`,
  );
  // first rows after the onset
  const rows: string[] = [];
  for (let i = io; i < Math.min(ie + 1, io + 8); i++)
    rows.push(`${f2(main.score[i])}[${f2(mem[0][i])}/${f2(mem[1][i])}/${f2(mem[2][i])}]`);
  process.stdout.write(`    first rows: combined[ets/rcf/zms] ${rows.join(' ')}\n`);
  // the alarm rule's state at each raw alarm in the window
  const raw: string[] = [];
  for (let i = io; i <= ie; i++) {
    if (Math.abs(main.score[i]) < th) continue;
    let cnt = 0;
    let pts = 0;
    for (let j = i; j >= p && t[j] >= t[i] - winMs; j--) {
      pts++;
      if (Math.abs(main.score[j]) >= th) cnt++;
    }
    const need = Math.min(DEFAULT_ALARM_RULE.minAlmInWindow, pts - 1);
    const sup = lastAlarmBefore >= t[i] - supMs;
    raw.push(
      `+${i - io} ${f2(main.score[i])} (${cnt} raw in ${DEFAULT_ALARM_RULE.almWindowMinutes} min${cnt < need ? ', too few' : ''}${sup ? ', suppressed' : ''})`,
    );
  }
  process.stdout.write(
    `    raw alarms in window: ${raw.length ? raw.slice(0, 12).join('; ') : 'none'}${raw.length > 12 ? ` … (${raw.length})` : ''}\n`,
  );
}
process.stdout.write(`${recipe}: ${nMissed} missed of ${nFiles} windows\n`);
