/**
 * Round 18a of docs/evaluation.md: the level-drift member (src/detectors/level-drift, a CUSUM on the residual
 * against the training seasonal profile) as one more part of today's default's maximum, replayed over the
 * default's cached scores through today's alarm rule (`AggregateAlarms` with `DEFAULT_STRONG_THRESHOLD` and
 * `DEFAULT_COUNT_POINTS`), per group of corpora, with a leave-one-group-out choice. Tuning seeds only.
 *
 *   npx tsx bench/drift18-sweep.ts CACHE NAME=DIR,DIR… NAME=… -- none '{…LevelDriftSettings}'…
 *
 * For every group it prints windows found at or after onset by the rule, anomaly-free files quiet and the
 * per-kind counts; then, holding out each group in turn, the setting with the most windows found on the
 * other groups among those with no fewer quiet files and no kind lower than `none` there (ties: the
 * earlier setting in the list), and what it gives on the held group. It checks that `none` replays the
 * streamed default's alarms, and (on a few files) that `defaultDetector({ drift })` streams to the replay.
 */
import {
  DEFAULT_ALARM_RULE,
  DEFAULT_COUNT_POINTS,
  DEFAULT_STRONG_THRESHOLD,
  defaultDetector,
} from '../src/detectors/default.js';
import {
  LEVEL_DRIFT_DEFAULTS,
  LevelDriftCore,
  type LevelDriftSettings,
} from '../src/detectors/level-drift/core.js';
import { AggregateAlarms } from '../src/detectors/post/aggregate-alarms.js';
import { corpusKinds } from '../src/lab/bench.js';
import { corpusWindows, loadCorpusFile } from '../src/lab/nab-corpus-file.js';
import { nabProbationaryLength } from '../src/metrics/nab.js';
import { cachedStreamScores, streamAfterTraining } from './harness.js';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const [cacheDir, ...groupArgs] = sep < 0 ? argv : argv.slice(0, sep);
const settings = sep < 0 ? ['none', '{}'] : argv.slice(sep + 1);
if (!cacheDir || groupArgs.length === 0)
  throw new Error("usage: drift18-sweep.ts <cacheDir> NAME=DIR,… … -- none '{…}'…");
const parsed: (Partial<LevelDriftSettings> | null)[] = settings.map((s) =>
  s === 'none' ? null : (JSON.parse(s) as Partial<LevelDriftSettings>),
);
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
const checked = settings.map(() => 0);
const on = settings.map(() => 0);

for (const [gi, g] of groups.entries()) {
  for (const corpus of g.dirs) {
    const windows = corpusWindows(corpus);
    const kinds = corpusKinds(corpus);
    for (const file of Object.keys(windows).sort()) {
      const { t, v } = (await loadCorpusFile(corpus, file)).series;
      const n = t.length;
      const p = nabProbationaryLength(n);
      const score = await cachedStreamScores(cacheDir, corpus, file, 'default17', () => defaultDetector());
      for (const [k] of settings.entries()) {
        const o = parsed[k];
        const both = new Float64Array(n);
        let onHere = false;
        for (let i = p; i < n; i++) both[i] = Math.abs(score[i]);
        if (o) {
          const core = new LevelDriftCore({ ...LEVEL_DRIFT_DEFAULTS, ...o });
          core.fit(t.subarray(0, p), v.subarray(0, p));
          if (core.period > 0) {
            for (let i = p; i < n; i++) both[i] = Math.max(both[i], Math.abs(core.scoreRow(t[i], v[i])));
            on[k]++;
            onHere = true;
          }
        }
        const rule = new AggregateAlarms({
          ...DEFAULT_ALARM_RULE,
          strongThreshold: DEFAULT_STRONG_THRESHOLD,
          countPoints: DEFAULT_COUNT_POINTS,
        });
        const st = rule.streamer();
        const alarm = new Uint8Array(n);
        for (let i = p; i < n; i++) alarm[i] = st.push(t[i], both[i]) !== 0 ? 1 : 0;
        if (checked[k] < (o ? 1 : 2) && (o === null || onHere)) {
          // the replay is the streamed detector's own alarms, point for point
          const { alarm: a0 } = streamAfterTraining(
            o ? defaultDetector({ drift: o }) : defaultDetector(),
            t,
            v,
            p,
          );
          for (let i = p; i < n; i++)
            if (a0[i] !== alarm[i])
              throw new Error(`${corpus} ${file} [${settings[k]}]: replay differs at row ${i}`);
          checked[k]++;
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
for (const [k, s] of settings.entries())
  process.stdout.write(`all [${s}] ${line(sum(all, k))} (member on in ${on[k]} files)\n`);
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
