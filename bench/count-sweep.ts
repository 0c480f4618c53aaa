/**
 * Round 17 of docs/evaluation.md: the default's alarm rule of before round 17 with raw alarms counted over at
 * least the last K points (`AggregateAlarms.countPoints`), replayed over the default's scores (round 17
 * changed no score) (streamed once, cached),
 * per group of corpora, with a leave-one-group-out choice of K. Tuning seeds only.
 *
 *   npx tsx bench/count-sweep.ts CACHE NAME=DIR,DIR… NAME=… -- none 2 3 4 6 8 12
 *
 * Each setting is `none` (the rule before round 17) or K, optionally `@S` for a strong threshold S instead of the
 * 5.5 of round 12c (`none@5`, `6@4.5`; `8@4.5` is the default since round 17). For every group it prints windows found at or after onset by
 * the rule, anomaly-free files quiet and the per-kind counts; then, holding out each group in turn, the
 * setting with the most windows found on the other groups among those with no fewer quiet files and no
 * kind lower than `none` there (ties: the earlier setting in the list), and what it gives on the held group. It checks that `none` replays the streamed alarms.
 */
import { DEFAULT_ALARM_RULE, defaultDetector, STRONG_THRESHOLD_12C } from '../src/detectors/default.js';
import { AggregateAlarms } from '../src/detectors/post/aggregate-alarms.js';
import { corpusKinds } from '../src/lab/bench.js';
import { corpusWindows, loadCorpusFile } from '../src/lab/nab-corpus-file.js';
import { nabProbationaryLength } from '../src/metrics/nab.js';
import { cachedStreamScores, streamAfterTraining } from './harness.js';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const [cacheDir, ...groupArgs] = sep < 0 ? argv : argv.slice(0, sep);
const settings = sep < 0 ? ['none', '6'] : argv.slice(sep + 1);
if (!cacheDir || groupArgs.length === 0)
  throw new Error('usage: count-sweep.ts <cacheDir> NAME=DIR,… … -- none K…');
/** The default of round 17's tuning (before it): strong single alarms at 5.5, the minutes window alone. */
const BEFORE_17 = () =>
  defaultDetector({
    threshold: { strongThreshold: STRONG_THRESHOLD_12C, countPoints: undefined },
  });
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
        const [kp, strong] = s.split('@');
        const rule = new AggregateAlarms({
          ...DEFAULT_ALARM_RULE,
          strongThreshold: strong === undefined ? STRONG_THRESHOLD_12C : Number(strong),
          ...(kp === 'none' ? {} : { countPoints: Number(kp) }),
        });
        const st = rule.streamer();
        const alarm = new Uint8Array(n);
        for (let i = p; i < n; i++) alarm[i] = st.push(t[i], score[i]) !== 0 ? 1 : 0;
        if (s === 'none' && checked < 3) {
          // the replay is the default's own rule: the streamed alarms, point for point
          const { alarm: a0 } = streamAfterTraining(BEFORE_17(), t, v, p);
          for (let i = p; i < n; i++)
            if (a0[i] !== alarm[i]) throw new Error(`${corpus} ${file}: replay differs at row ${i}`);
          checked++;
        }
        const r = res[gi][k];
        const ws = kinds[file];
        if (ws.length === 0) {
          r.clean++;
          if (!alarm.some((x) => x === 1)) r.quiet++;
        }
        for (const w of ws) {
          r.windows++;
          let f = false;
          for (let i = p; i < n && !f; i++) if (alarm[i] && t[i] >= w.onset && t[i] <= w.end) f = true;
          if (f) {
            r.found++;
            r.kinds.set(w.kind, (r.kinds.get(w.kind) ?? 0) + 1);
          } else r.kinds.set(w.kind, r.kinds.get(w.kind) ?? 0);
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
/** On groups `ks`: the most windows found among the settings with no fewer quiet files and no kind lower than `none`'s. */
const choose = (ks: number[]) => {
  const b = sum(ks, base);
  let best = base;
  let bestV = b.found;
  for (const k of settings.keys()) {
    const r = sum(ks, k);
    if (r.quiet < b.quiet || [...b.kinds].some(([kk, x]) => (r.kinds.get(kk) ?? 0) < x)) continue;
    if (r.found > bestV) {
      bestV = r.found;
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
