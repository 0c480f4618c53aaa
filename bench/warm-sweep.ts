/**
 * Round 18b of docs/evaluation.md: the default's alarm rule with its levels widened while the series has been
 * seen for less than a day or a week (from its first training point), replayed over the default's scores
 * (streamed once, cached; the option changes no score), per group of corpora, with a leave-one-group-out
 * choice. Tuning seeds only.
 *
 *   npx tsx bench/warm-sweep.ts CACHE NAME=DIR,DIR… NAME=… -- none 2/1 1/1.2/0/0/30/1e9/1e9/2 …
 *
 * Each setting is `none` (today's rule) or `D/W[/rd/rw/hw/rmax/c/wmin]`, fields by position:
 * - D, W: the levels (raw and strong) multiplied by D while less than a day has been seen and by W while less
 *   than a week has (1: unchanged); the week's factor only when the training part spans ≥ `wmin` days (0);
 * - rd, rw (0: off): a raw alarm is dropped when the streamed |score| within `hw` minutes (30) of the same time
 *   a day (rd) or a week (rw) earlier reached max(rd or rw, |score| / c) (c 1e9: the level alone), only while
 *   less than `rmax` days (a week: 7 × rmax) have been seen (1e9: always): "a new extreme that recurs at the
 *   same phase".
 * `AggregateAlarms.widen` is `1/W/0/0/30/1e9/1e9/wmin` (lab recipe `defaultWiden18`).
 * Printed: windows found at or after onset by the rule, anomaly-free files quiet and per-kind counts per
 * group; then, holding out each group, the setting with the most quiet files on the other groups among those
 * with no fewer windows and no kind lower than `none` there (ties: the earlier setting), and what it gives on
 * the held group. The replay of `none` is checked against the streamed default. WARM_VERBOSE=1 lists (on
 * stderr) every window and anomaly-free file a setting changes against `none`.
 */
import {
  DEFAULT_ALARM_RULE,
  DEFAULT_COUNT_POINTS,
  DEFAULT_STRONG_THRESHOLD,
  defaultDetector,
} from '../src/detectors/default.js';
import { AggregateAlarms } from '../src/detectors/post/aggregate-alarms.js';
import { corpusKinds } from '../src/lab/bench.js';
import { corpusWindows, loadCorpusFile } from '../src/lab/nab-corpus-file.js';
import { nabProbationaryLength } from '../src/metrics/nab.js';
import { cachedStreamScores, streamAfterTraining } from './harness.js';

const DAY = 86_400_000;
const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const [cacheDir, ...groupArgs] = sep < 0 ? argv : argv.slice(0, sep);
const settings = sep < 0 ? ['none'] : argv.slice(sep + 1);
if (!cacheDir || groupArgs.length === 0)
  throw new Error('usage: warm-sweep.ts <cacheDir> NAME=DIR,… -- none D/W…');
const groups = groupArgs.map((g) => {
  const [name, dirs] = g.split('=');
  return { name, dirs: dirs.split(',') };
});
interface Tally {
  found: number;
  windows: number;
  quiet: number;
  clean: number;
  kinds: Map<string, number>;
}
const tally = (): Tally => ({ found: 0, windows: 0, quiet: 0, clean: 0, kinds: new Map() });
const res = groups.map(() => settings.map(tally));
let checked = 0;
const foundNone = new Set<string>();
const quietNone = new Set<string>();
const verbose = process.env.WARM_VERBOSE === '1';
for (const [gi, g] of groups.entries()) {
  for (const corpus of g.dirs) {
    const windows = corpusWindows(corpus);
    const kinds = corpusKinds(corpus);
    for (const file of Object.keys(windows).sort()) {
      const { t, v } = (await loadCorpusFile(corpus, file)).series;
      const n = t.length;
      const p = nabProbationaryLength(n);
      const score = await cachedStreamScores(cacheDir, corpus, file, 'default17', () => defaultDetector());
      for (const [k, s] of settings.entries()) {
        const [fd, fw, rd = 0, rw = 0, hw = 30, rmax = 1e9, c = 1e9, wmin = 0] =
          s === 'none' ? [1, 1] : s.split('/').map(Number);
        const lagMax = (lag: number, i: number): number => {
          // max |score| of the streamed points within hw minutes of t[i] - lag
          const a = t[i] - lag - hw * 60_000;
          const b = t[i] - lag + hw * 60_000;
          let lo = p;
          let hi = i;
          while (lo < hi) {
            const m = (lo + hi) >> 1;
            if (t[m] < a) lo = m + 1;
            else hi = m;
          }
          let mx = 0;
          for (let j = lo; j < i && t[j] <= b; j++) {
            const x = Math.abs(score[j]);
            if (x > mx) mx = x;
          }
          return mx;
        };
        const rule = new AggregateAlarms({
          ...DEFAULT_ALARM_RULE,
          strongThreshold: DEFAULT_STRONG_THRESHOLD,
          countPoints: DEFAULT_COUNT_POINTS,
        });
        const st = rule.streamer();
        const alarm = new Uint8Array(n);
        for (let i = p; i < n; i++) {
          const age = t[i] - t[0];
          let f = age < DAY ? fd : age < 7 * DAY && t[p] - t[0] >= wmin * DAY ? fw : 1;
          if (Math.abs(score[i]) >= 3 * f) {
            if (rd > 0 && age < rmax * DAY && Math.max(rd, Math.abs(score[i]) / c) <= lagMax(DAY, i))
              f = Number.POSITIVE_INFINITY;
            else if (
              rw > 0 &&
              age < 7 * rmax * DAY &&
              Math.max(rw, Math.abs(score[i]) / c) <= lagMax(7 * DAY, i)
            )
              f = Number.POSITIVE_INFINITY;
          }
          alarm[i] = st.push(t[i], score[i] / f) !== 0 ? 1 : 0;
        }
        if (s === 'none' && checked < 3) {
          const { alarm: a0 } = streamAfterTraining(defaultDetector(), t, v, p);
          for (let i = p; i < n; i++)
            if (a0[i] !== alarm[i]) throw new Error(`${corpus} ${file}: replay differs at row ${i}`);
          checked++;
        }
        const r = res[gi][k];
        const ws = kinds[file];
        if (ws.length === 0) {
          r.clean++;
          const q = !alarm.some((x) => x === 1);
          if (q) r.quiet++;
          if (verbose && k > 0 && q !== quietNone.has(`${corpus}|${file}`)) {
            process.stderr.write(
              `[${s}] ${q ? 'quieted' : 'now alarms'} ${corpus} ${file} step ${Math.round((t[1] - t[0]) / 60_000)} min, training ${((t[p] - t[0]) / DAY).toFixed(2)} d\n`,
            );
          }
          if (k === 0 && q) quietNone.add(`${corpus}|${file}`);
        }
        for (const w of ws) {
          r.windows++;
          let f = false;
          for (let i = p; i < n && !f; i++) if (alarm[i] && t[i] >= w.onset && t[i] <= w.end) f = true;
          if (verbose && k > 0 && f !== foundNone.has(`${corpus}|${file}|${w.onset}`)) {
            const stepMin = Math.round((t[1] - t[0]) / 60_000);
            process.stderr.write(
              `[${s}] ${f ? 'gained' : 'lost'} ${corpus} ${file} ${w.kind} step ${stepMin} min, onset ${((w.onset - t[0]) / DAY).toFixed(2)} d after the first point, training ${((t[p] - t[0]) / DAY).toFixed(2)} d\n`,
            );
          }
          if (k === 0 && f) foundNone.add(`${corpus}|${file}|${w.onset}`);
          if (f) {
            r.found++;
            r.kinds.set(w.kind, (r.kinds.get(w.kind) ?? 0) + 1);
          } else {
            r.kinds.set(w.kind, r.kinds.get(w.kind) ?? 0);
            if (verbose && k > 0) {
              // lost against none?
            }
          }
        }
      }
    }
  }
}
const line = (r: Tally) =>
  `${r.found}/${r.windows} quiet ${r.quiet}/${r.clean}; ${[...r.kinds.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, x]) => `${k} ${x}`)
    .join(', ')}`;
for (const [gi, g] of groups.entries())
  for (const [k, s] of settings.entries()) process.stdout.write(`${g.name} [${s}] ${line(res[gi][k])}\n`);
const sum = (ks: number[], k: number): Tally => {
  const o = tally();
  for (const gi of ks) {
    const r = res[gi][k];
    o.found += r.found;
    o.windows += r.windows;
    o.quiet += r.quiet;
    o.clean += r.clean;
    for (const [kk, x] of r.kinds) o.kinds.set(kk, (o.kinds.get(kk) ?? 0) + x);
  }
  return o;
};
const all = groups.map((_g, i) => i);
for (const [k, s] of settings.entries()) process.stdout.write(`all [${s}] ${line(sum(all, k))}\n`);
const base = Math.max(0, settings.indexOf('none'));
const choose = (ks: number[]) => {
  const b = sum(ks, base);
  let best = base;
  let bestV = b.quiet;
  for (const k of settings.keys()) {
    const r = sum(ks, k);
    if (r.found < b.found || [...b.kinds].some(([kk, x]) => (r.kinds.get(kk) ?? 0) < x)) continue;
    if (r.quiet > bestV) {
      bestV = r.quiet;
      best = k;
    }
  }
  return best;
};
for (const [gi, g] of groups.entries()) {
  const k = choose(all.filter((i) => i !== gi));
  process.stdout.write(
    `held out ${g.name}: chosen [${settings[k]}] → ${line(res[gi][k])}  (none: ${line(res[gi][base])})\n`,
  );
}
process.stdout.write(`chosen on all groups: [${settings[choose(all)]}]\n`);
