/**
 * Round 7 of docs/evaluation.md: how a shape (discord) member would combine with `defaultDetector()`,
 * measured without re-running the detectors for every setting. Phase 1 streams each file once per member
 * and caches the scores (scratch folder); phase 2 replays combinations of the cached scores through the
 * default alarm rule (alarm mode: train on NAB's 15 %, windows found at or after the onset, anomaly-free
 * files quiet) and through the locate rule (train on 30 % cut before the window, highest test score
 * within 100 points of the anomaly). Tuning seeds only (protocol rule 1).
 *
 *   npx tsx bench/shape-sweep.ts <cacheDir> <corpusDir>… -- <combo>…
 *
 * The cache is keyed by corpus, file and member only, not by code: clear it (or use a new folder) when a
 * detector changes (round 8 found round 7's discord scores stale for a fifth of the files).
 *
 * Members: `default` (`defaultDetector()`), `d:<json>` (a `DiscordDetector` with those overrides, its
 * calibrated score, `between: 'hold'`), `od:<json>` (the same discord, raw, calibrated online by an
 * ensemble; `censor` sets `onlineCensor`). A combo is `<discord member>|k|L|c`: the combined score is
 * max(f(default), 3 · rollingMin_k(discord) / L), where rollingMin_k is the smallest of the discord's last
 * k scores (k = 1: none; persistence), L the calibrated level at which the discord alone reaches the alarm
 * threshold, and f(x) = x up to 3 and 3 + c·(x − 3) above (c = 1: unchanged; c < 1 compresses the
 * default above the alarm level, so alarms are the same and the argmax prefers the discord). `default`
 * alone is the combo `none`. An optional fifth field `def:<json>` replaces `default` by
 * `defaultDetector(<json>)` (e.g. a cheaper forest); an empty first field means no discord; a sixth
 * field g lets the discord count only where the default's own score is at least g (a gate); a seventh,
 * cap, squashes the discord's term to cap · z / (z + cap) < cap (with cap ≤ 3 the alarms are the
 * default's own and only the argmax can move). An eighth field (round 8), `s`, gates the discord by the
 * training part's own periodicity: it counts in a file only when the training part (the same cut as
 * the detectors trained on) has a robust period with `periodStrength` ≥ s (0: any period found); a
 * ninth, the least number of whole periods in the training part; a tenth, `week`, silences the discord
 * while the data seen (training and test) spans less than 8 days (env WEEK_DAYS), when the period is a
 * calendar day.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ALARM_RULE, defaultDetector } from '../src/detectors/default.js';
import { DiscordDetector } from '../src/detectors/discord/detector.js';
import { calendarPeriodMs, median, periodStrength, robustPeriod } from '../src/detectors/discord/period.js';
import { Ensemble } from '../src/detectors/ensemble.js';
import { makeThresholdRule } from '../src/detectors/post/rule.js';
import type { Detector } from '../src/detectors/types.js';
import { corpusKinds } from '../src/lab/bench.js';
import { corpusWindows, loadCorpusFile } from '../src/lab/nab-corpus-file.js';
import { KINDS_FILE } from '../src/lab/synth.js';
import { nabProbationaryLength } from '../src/metrics/nab.js';
import { parseNabTime } from '../src/metrics/nab-files.js';
import { lowerBound } from '../src/series/ops.js';
import { corpusSweep } from './harness.js';

const { cacheDir, corpora, settings: combos } = corpusSweep('shape-sweep.ts', '<combo>', ['none']);

function build(member: string): Detector {
  if (member === 'default') return defaultDetector();
  if (member.startsWith('def:')) return defaultDetector(JSON.parse(member.slice(4)));
  if (member.startsWith('d:')) {
    return new DiscordDetector({ enableThreshold: false, between: 'hold', ...JSON.parse(member.slice(2)) });
  }
  if (member.startsWith('od:')) {
    // the discord's raw score calibrated by an OnlineCalibrator that keeps learning while streaming
    const o = JSON.parse(member.slice(3)) as { censor?: number } & Record<string, unknown>;
    const { censor, ...dcfg } = o;
    return new Ensemble({
      members: [
        new DiscordDetector({ enableThreshold: false, enableCalibrator: false, between: 'hold', ...dcfg }),
      ],
      combiner: { type: 'max', absScore: true },
      calibrateMembers: [true],
      memberCalibration: 'online',
      ...(censor !== undefined ? { onlineCensor: censor } : {}),
      enableCalibrator: false,
      enableThreshold: false,
    });
  }
  throw new Error(`unknown member ${member}`);
}

interface Cached {
  /** Alarm mode: test scores from the probationary cut on. Locate mode: from the 30 % cut on. */
  alarm: number[];
  locate: number[] | null;
}

function key(s: string): string {
  return s.replace(/[^A-Za-z0-9]+/g, '_');
}

function run(det: Detector, t: Float64Array, v: Float64Array, cut: number): number[] {
  det.train({ t: t.subarray(0, cut), v: v.subarray(0, cut) });
  const s = det.stream();
  const out: number[] = [];
  for (let i = cut; i < t.length; i++) out.push(Math.abs(s.push(t[i], v[i]).score));
  return out;
}

async function scores(corpus: string, file: string, member: string): Promise<Cached> {
  const path = join(cacheDir, key(corpus), `${key(file)}__${key(member)}.json`);
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as Cached;
  const { series } = await loadCorpusFile(corpus, file);
  const { t, v } = series;
  const n = t.length;
  const alarm = run(build(member), t, v, nabProbationaryLength(n));
  const ws = corpusWindows(corpus)[file];
  let locate: number[] | null = null;
  if (ws.length === 1) {
    const cut = Math.min(Math.floor(n * 0.3), lowerBound(t, ws[0][0]));
    if (cut >= 10 && cut < n - 1) locate = run(build(member), t, v, cut);
  }
  const c: Cached = { alarm, locate };
  mkdirSync(join(cacheDir, key(corpus)), { recursive: true });
  writeFileSync(path, JSON.stringify(c));
  return c;
}

interface Combo {
  base: string;
  discord: string | null;
  k: number;
  level: number;
  c: number;
  /** The discord counts only where the default's own score is at least this (0: always). */
  gate: number;
  /** The discord's term is squashed below this (Infinity: not): cap · z / (z + cap), never reaching it. */
  cap: number;
  /** Periodicity gate: the least `periodStrength` of the training part (−1: no gate). */
  ps: number;
  /** Periodicity gate: the least number of whole periods in the training part. */
  cycles: number;
  /** With a daily period, the discord is silent until the data seen spans a week. */
  week: boolean;
}

/**
 * The periodicity gate of `o` on the training part (`t`, `x`): −1 when the discord may not score at
 * all, else the time from which it may score (−Infinity: from the start).
 */
function periodic(t: Float64Array, x: Float64Array, o: Combo): number {
  const p = robustPeriod(x);
  if (o.ps >= 0 && !(p > 0 && x.length >= o.cycles * p && periodStrength(x, p) >= o.ps)) return -1;
  if (o.week && p > 0) {
    const dt = new Float64Array(t.length - 1);
    for (let i = 1; i < t.length; i++) dt[i - 1] = t[i] - t[i - 1];
    if (calendarPeriodMs(p, median(dt)) === 86_400_000)
      return t[0] + Number(process.env.WEEK_DAYS ?? 8) * 86_400_000;
  }
  return Number.NEGATIVE_INFINITY;
}

function parseCombo(s: string): Combo {
  if (s === 'none')
    return {
      base: 'default',
      discord: null,
      k: 1,
      level: 3,
      c: 1,
      gate: 0,
      cap: Number.POSITIVE_INFINITY,
      ps: -1,
      cycles: 0,
      week: false,
    };
  const [d, k, l, c, b, g, cap, ps, cy, wk] = s.split('|');
  return {
    base: b || 'default',
    discord: d === '' ? null : d,
    k: Number(k || 1),
    level: Number(l || 3),
    c: Number(c || 1),
    gate: Number(g || 0),
    cap: Number(cap || Number.POSITIVE_INFINITY),
    ps: ps === undefined || ps === '' ? -1 : Number(ps),
    cycles: Number(cy || 0),
    week: wk === 'week',
  };
}

function combine(def: number[], dis: number[] | null, o: Combo, from = 0): Float64Array {
  const out = new Float64Array(def.length);
  const th = DEFAULT_ALARM_RULE.almThreshold;
  for (let i = 0; i < def.length; i++) {
    const x = def[i];
    let y = o.c < 0 ? 0 : x > th ? th + o.c * (x - th) : x;
    if (dis && x >= o.gate && i >= from) {
      let m = Number.POSITIVE_INFINITY;
      for (let j = Math.max(0, i - o.k + 1); j <= i; j++) m = Math.min(m, dis[j]);
      const z0 = (th * m) / o.level;
      const z = Number.isFinite(o.cap) ? (o.cap * z0) / (z0 + o.cap) : z0;
      if (z > y) y = z;
    }
    out[i] = y;
  }
  return out;
}

const parsed = combos.map(parseCombo);
const members = [...new Set(parsed.flatMap((p) => (p.discord ? [p.base, p.discord] : [p.base])))];
type Tally = {
  found: Map<string, [number, number]>;
  clean: [number, number];
  loc: Map<string, [number, number]>;
};
const tallies: Tally[] = parsed.map(() => ({ found: new Map(), clean: [0, 0], loc: new Map() }));
for (const corpus of corpora) {
  const windows = corpusWindows(corpus);
  const kinds = corpusKinds(corpus);
  const extentPath = join(corpus, KINDS_FILE);
  const extent = existsSync(extentPath)
    ? (JSON.parse(readFileSync(extentPath, 'utf8')) as Record<string, { onset?: string; until?: string }[]>)
    : {};
  for (const file of Object.keys(windows).sort()) {
    const { series } = await loadCorpusFile(corpus, file);
    const { t, v } = series;
    const n = t.length;
    const p = nabProbationaryLength(n);
    const cache = new Map<string, Cached>();
    for (const m of members) cache.set(m, await scores(corpus, file, m));
    const ws = windows[file];
    parsed.forEach((o, ci) => {
      const tally = tallies[ci];
      const def = cache.get(o.base) as Cached;
      const dis = o.discord ? (cache.get(o.discord) as Cached) : null;
      const g = dis === null ? -1 : periodic(t.subarray(0, p), v.subarray(0, p), o);
      if (g !== -1 && process.env.SHOW_GATE)
        process.stdout.write(`  gate on ${corpus} ${file} from ${lowerBound(t, g)}\n`);
      const x = combine(def.alarm, g !== -1 && dis ? dis.alarm : null, o, lowerBound(t, g) - p);
      const rule = makeThresholdRule({ ...DEFAULT_ALARM_RULE }).streamer();
      const alarm = new Uint8Array(n);
      for (let i = p; i < n; i++) if (rule.push(t[i], x[i - p]) !== 0) alarm[i] = 1;
      if (ws.length === 0) {
        tally.clean[0]++;
        if (!alarm.some((a) => a === 1)) tally.clean[1]++;
        else if (process.env.SHOW_CLEAN)
          process.stdout.write(`  ${combos[ci]} alarms on ${corpus} ${file}\n`);
      }
      for (const w of kinds[file]) {
        const e = tally.found.get(w.kind) ?? [0, 0];
        e[1]++;
        for (let i = p; i < n; i++) {
          if (alarm[i] && t[i] >= w.onset && t[i] <= w.end) {
            e[0]++;
            break;
          }
        }
        tally.found.set(w.kind, e);
      }
      if (ws.length === 1 && def.locate) {
        const cut = n - def.locate.length;
        const lg = dis === null ? -1 : periodic(t.subarray(0, cut), v.subarray(0, cut), o);
        const y = combine(def.locate, lg !== -1 && dis ? dis.locate : null, o, lowerBound(t, lg) - cut);
        let best = 0;
        for (let i = 1; i < y.length; i++) if (y[i] > y[best]) best = i;
        const ext = extent[file]?.[0];
        const a = ext?.onset ? parseNabTime(ext.onset) : ws[0][0];
        const b = ext?.until ? parseNabTime(ext.until) : ws[0][1];
        const from = lowerBound(t, a);
        const to = Math.max(from, lowerBound(t, b + 1) - 1);
        const hit = best + cut >= from - 100 && best + cut <= to + 100;
        const kind = kinds[file][0].kind;
        const e = tally.loc.get(kind) ?? [0, 0];
        e[1]++;
        if (hit) e[0]++;
        tally.loc.set(kind, e);
      }
    });
  }
}
parsed.forEach((_, ci) => {
  const { found, clean, loc } = tallies[ci];
  const fk = [...found.entries()].sort(([a], [b]) => a.localeCompare(b));
  const lk = [...loc.entries()].sort(([a], [b]) => a.localeCompare(b));
  const sum = (xs: [string, [number, number]][]) =>
    xs.reduce((a, [, e]) => [a[0] + e[0], a[1] + e[1]], [0, 0]);
  const [f, fa] = sum(fk);
  const [l, la] = sum(lk);
  process.stdout.write(
    `${combos[ci]}\n  alarms: found ${f}/${fa}, clean ok ${clean[1]}/${clean[0]}; ${fk.map(([k, e]) => `${k} ${e[0]}/${e[1]}`).join(', ')}\n` +
      `  locate: ${l}/${la} (${la ? ((100 * l) / la).toFixed(1) : '—'} %); ${lk.map(([k, e]) => `${k} ${e[0]}/${e[1]}`).join(', ')}\n`,
  );
});
