/**
 * What the per-detector benchmarks share: the synthetic series, CPU-time measurement, number
 * formatting, and running each row in its own child process (so peak RSS is that row's own).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  DEFAULT_ALARM_RULE,
  DEFAULT_DETECTOR_RULE,
  type DefaultDetectorInput,
  defaultDetector,
} from '../src/detectors/default.js';
import { Ensemble } from '../src/detectors/ensemble.js';
import { AggregateAlarms } from '../src/detectors/post/aggregate-alarms.js';
import type { Detector, StreamScorer } from '../src/detectors/types.js';
import { corpusKinds } from '../src/lab/bench.js';
import { corpusWindows, loadCorpusFile } from '../src/lab/nab-corpus-file.js';
import { type SynthFile, type SynthKind, type SynthOptions, synthCorpus } from '../src/lab/synth.js';
import { nabProbationaryLength } from '../src/metrics/nab.js';
import type { TimeSeries } from '../src/series/types.js';
import { lcg, seededSeries } from '../test/helpers/random.js';

/** A 5-minute series with a daily sine, seeded noise and a spike every 997 points. */
export function synthetic(n: number, start: number): TimeSeries {
  return seededSeries(
    n,
    300_000,
    start,
    lcg(12345),
    (i, u) => 50 + 10 * Math.sin((2 * Math.PI * i) / 288) + 2 * (u - 0.5) + (i % 997 === 500 ? 20 : 0),
  );
}

/**
 * The common start of a throughput row: `n` train and `n` test points of the synthetic series,
 * a fresh detector trained on the train part (timed), and its model file as a JSON string.
 */
export function trainRow(
  make: () => Detector,
  n: number,
  nTrain: number = n,
): { train: TimeSeries; test: TimeSeries; det: Detector; trainMs: number; json: string } {
  const all = synthetic(nTrain + n, Date.UTC(2020, 0, 1));
  const train = { t: all.t.subarray(0, nTrain), v: all.v.subarray(0, nTrain) };
  const test = { t: all.t.subarray(nTrain), v: all.v.subarray(nTrain) };
  const det = make();
  const t0 = performance.now();
  det.train(train);
  const trainMs = performance.now() - t0;
  return { train, test, det, trainMs, json: JSON.stringify(det.toJSON()) };
}

/** CPU milliseconds (user + system) of this process since `c0`. */
export function cpuMs(c0: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1000;
}

/** Pushes the first `n` test points into `st`, timed: points per wall-clock second and per CPU-second. */
export function timedPushes(st: StreamScorer, test: TimeSeries, n: number): { pps: number; cpuPps: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) st.push(test.t[i], test.v[i]);
  const pps = n / ((performance.now() - t0) / 1000);
  return { pps, cpuPps: n / (cpuMs(c0) / 1000) };
}

export function fmt(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)} k`;
  return x.toFixed(0);
}

/**
 * The row protocol: with `--row NAME` this process measures that row and prints its result as
 * one JSON line; otherwise it re-runs itself once per selected row (`--only` filters by name) and
 * returns the results. `--n` sets the size (default 100 000) and `--train` the training part's
 * (default `--n`): a detector whose cost depends on what training saw (ART's block step, say) is
 * timed as a deployment trained on little data and then streamed for long.
 */
export function runRows<R>(
  script: string,
  names: readonly string[],
  measure: (name: string, n: number, nTrain: number) => R,
): { n: number; nTrain: number; results: R[] } | null {
  const args = process.argv.slice(2);
  const get = (k: string) => {
    const i = args.indexOf(k);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const n = Number(get('--n') ?? 100_000);
  const nTrain = Number(get('--train') ?? n);
  if (!(Number.isInteger(n) && n > 0 && Number.isInteger(nTrain) && nTrain > 0)) {
    throw new Error('--n and --train take positive whole numbers of points');
  }
  const child = get('--row');
  if (child !== undefined) {
    if (!names.includes(child)) throw new Error(`no bench row ${child}`);
    process.stdout.write(`${JSON.stringify(measure(child, n, nTrain))}\n`);
    return null;
  }
  const only = get('--only');
  const results: R[] = [];
  for (const name of names.filter((x) => !only || x.includes(only))) {
    const r = spawnSync(
      process.execPath,
      [...process.execArgv, script, '--row', name, '--n', String(n), '--train', String(nTrain)],
      {
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) {
      process.stderr.write(`${name} failed:\n${r.stderr}\n`);
      continue;
    }
    results.push(JSON.parse(r.stdout.trim().split('\n').pop()!) as R);
  }
  return { n, nTrain, results };
}

/**
 * Member `i` of the default's mean (ETS, forest, ZMS; built from `input`), run alone as the default
 * builds it: ETS calibrated by the ensemble, the others by their own calibrators; no alarm rule.
 */
export function defaultMemberAlone(i: number, input: DefaultDetectorInput = {}): Detector {
  const m = defaultDetector({ ...input, flatLine: false, seasonal: false, drift: false }).members[i];
  return new Ensemble({
    members: [m],
    combiner: { type: 'mean', absScore: true },
    calibrateMembers: [i === 0],
    enableCalibrator: false,
    enableThreshold: false,
  });
}

/**
 * As `tsad bench` streams a file: `det` trained on the first `p` points, then each later point scored
 * before it is learnt; the scores and alarms by row (0 in the training part).
 */
export function streamAfterTraining(
  det: Detector,
  t: Float64Array,
  v: Float64Array,
  p: number,
): { score: Float64Array; alarm: Uint8Array } {
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

/**
 * `streamAfterTraining`'s scores for a corpus file (trained on NAB's probationary part), cached in
 * `cacheDir` as raw float64s named by corpus, file, `name` and a digest of the untrained detector's model
 * file (its config): the sweep scripts replay settings over them without streaming again, and a cache
 * written by another detector (e.g. the default before a round changed it) is never read back.
 */
export async function cachedStreamScores(
  cacheDir: string,
  corpus: string,
  file: string,
  name: string,
  make: () => Detector,
): Promise<Float64Array> {
  const key = (x: string) => x.replace(/[^A-Za-z0-9]+/g, '_');
  const det = make();
  const tag = createHash('sha256').update(JSON.stringify(det.toJSON())).digest('hex').slice(0, 12);
  const dir = join(cacheDir, key(corpus));
  const path = join(dir, `${key(file)}${name ? `.${name}` : ''}.${tag}.f64`);
  if (existsSync(path)) {
    const b = readFileSync(path);
    return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  }
  const { t, v } = (await loadCorpusFile(corpus, file)).series;
  const { score } = streamAfterTraining(det, t, v, nabProbationaryLength(t.length));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path, Buffer.from(score.buffer));
  return score;
}

/** Mean and population standard deviation of `v[0 .. p)` (the diagnostic scripts' training context). */
export function meanSd(v: Float64Array, p: number): { m: number; sd: number } {
  let m = 0;
  for (let i = 0; i < p; i++) m += v[i];
  m /= p;
  let sd = 0;
  for (let i = 0; i < p; i++) sd += (v[i] - m) ** 2;
  return { m, sd: Math.sqrt(sd / p) };
}

/** A sweep script's summary line for setting `k`: windows found per kind and quiet anomaly-free files. */
export function sweepSummary(
  k: number,
  setting: string,
  found: Map<string, [number, number]>,
  quiet: readonly number[],
): string {
  const ks = [...found.entries()].sort(([a], [b]) => a.localeCompare(b));
  const tot = ks.reduce((a, [, e]) => a + e[0], 0);
  const all = ks.reduce((a, [, e]) => a + e[1], 0);
  return `[${k}] ${setting}: found ${tot}/${all}; quiet ${quiet[0]}/${quiet[1]}; ${ks.map(([kk, e]) => `${kk} ${e[0]}`).join(', ')}\n`;
}

/**
 * The default alarm rule (`AggregateAlarms` with `DEFAULT_ALARM_RULE`) replayed over precomputed |scores|
 * `s` from point `p` on, with the round-11 options: a raw alarm at or above `strong` fires alone
 * (`strongThreshold`), and `full` keeps the last `minAlmInWindow` points in the window (`fullWindow`).
 */
export function replayAlarms(
  t: Float64Array,
  s: Float64Array,
  p: number,
  strong: number,
  full: boolean,
): Uint8Array {
  const th = DEFAULT_ALARM_RULE.almThreshold;
  const win = DEFAULT_ALARM_RULE.almWindowMinutes * 60_000;
  const sup = DEFAULT_ALARM_RULE.almSuppressMinutes * 60_000;
  const out = new Uint8Array(t.length);
  let last = Number.NEGATIVE_INFINITY;
  const raws: number[] = [];
  let ptsStart = p;
  for (let i = p; i < t.length; i++) {
    const minAlm = DEFAULT_ALARM_RULE.minAlmInWindow;
    const w0 = !full
      ? t[i] - win
      : i - minAlm >= p
        ? Math.min(t[i] - win, t[i - minAlm])
        : Number.NEGATIVE_INFINITY;
    while (ptsStart < i && t[ptsStart] < w0) ptsStart++;
    const before = i - ptsStart;
    while (raws.length && raws[0] < w0) raws.shift();
    if (s[i] < th) continue;
    raws.push(t[i]);
    const need = Math.min(minAlm, before);
    if ((raws.length >= need || s[i] >= strong) && last < t[i] - sup) {
      last = t[i];
      out[i] = 1;
    }
  }
  return out;
}

/** One sweep setting's tallies over a corpus (the member sweeps: bench/season-sweep.ts, bench/drift-sweep.ts). */
export interface MemberSweepTally {
  /** Per kind: windows found by the replayed rule, windows seen. */
  found: Map<string, [number, number]>;
  /** Anomaly-free files: quiet, seen. */
  quiet: [number, number];
  /** The member's peak on each anomaly-free file (test part) and in each window of the sweep's kind. */
  cleanPeaks: number[];
  kindPeaks: number[];
}

export function memberSweepTally(): MemberSweepTally {
  return { found: new Map(), quiet: [0, 0], cleanPeaks: [], kindPeaks: [] };
}

/**
 * Tallies one corpus file for one setting: the member's peak (on an anomaly-free file, or in its window
 * when that window is of `kind`), each window found (an alarm at or after onset, inside it), and whether
 * an anomaly-free file stayed quiet. `local` is the corpus's [found, windows, quiet, clean files].
 */
export function tallyMemberFile(
  tl: MemberSweepTally,
  local: number[],
  ws: readonly { kind: string; onset: number; end: number }[],
  t: Float64Array,
  alarm: Uint8Array,
  mem: Float64Array,
  p: number,
  kind: string,
): { found: boolean[]; quiet: boolean } {
  const n = t.length;
  let pk = 0;
  const from = ws.length ? ws[0].onset : Number.NEGATIVE_INFINITY;
  const to = ws.length ? ws[0].end : Number.POSITIVE_INFINITY;
  for (let i = p; i < n; i++) if (t[i] >= from && t[i] <= to && mem[i] > pk) pk = mem[i];
  if (ws.length === 0) tl.cleanPeaks.push(pk);
  else if (ws[0].kind === kind) tl.kindPeaks.push(pk);
  const found: boolean[] = [];
  for (const w of ws) {
    const e = tl.found.get(w.kind) ?? [0, 0];
    e[1]++;
    let f = false;
    for (let i = p; i < n; i++) {
      if (alarm[i] && t[i] >= w.onset && t[i] <= w.end) {
        f = true;
        break;
      }
    }
    if (f) e[0]++;
    found.push(f);
    tl.found.set(w.kind, e);
    local[0] += f ? 1 : 0;
    local[1]++;
  }
  let quiet = true;
  if (ws.length === 0) {
    tl.quiet[1]++;
    quiet = !alarm.some((a) => a === 1);
    if (quiet) tl.quiet[0]++;
    local[2] += quiet ? 1 : 0;
    local[3]++;
  }
  return { found, quiet };
}

function fmtMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/**
 * The member sweeps' diagnostic line for one file and setting (DIAG=1), or '' when there is nothing to
 * say: printed for every window of the sweep's `kind`, every file whose verdict differs from the
 * default's, and every alarming anomaly-free file (all of them with ALLCLEAN=1). `info` describes the
 * member's set-up; the line gives its peak inside the window (or the test part) and the first alarm there.
 */
export function memberDiagLine(a: {
  k: number;
  corpus: string;
  file: string;
  info: string;
  kind: string;
  ws: readonly { kind: string; onset: number; end: number }[];
  t: Float64Array;
  alarm: Uint8Array;
  mem: Float64Array;
  def: Float64Array;
  p: number;
  found: boolean[];
  quiet: boolean;
  defFound: boolean[] | null;
  defQuiet: boolean;
}): string {
  const { ws, t, alarm, mem, def, found, quiet, defFound, defQuiet } = a;
  let peak = 0;
  let at = 0;
  const from = ws.length ? ws[0].onset : Number.NEGATIVE_INFINITY;
  const to = ws.length ? ws[0].end : Number.POSITIVE_INFINITY;
  let firstAlarm = -1;
  for (let i = a.p; i < t.length; i++) {
    if (t[i] < from || t[i] > to) continue;
    if (mem[i] > peak) {
      peak = mem[i];
      at = t[i];
    }
    if (alarm[i] && firstAlarm < 0) firstAlarm = i;
  }
  const changed =
    (ws.length === 0 && quiet !== defQuiet) ||
    (ws.length > 0 && defFound !== null && found[0] !== defFound[0]);
  const ofKind = ws.length > 0 && ws[0].kind === a.kind;
  if (!(ofKind || changed || (ws.length === 0 && (!quiet || process.env.ALLCLEAN === '1')))) return '';
  return (
    `  [${a.k}] ${basename(a.corpus)} ${a.file}: ${a.info}; member peak ${peak.toFixed(2)} at ${fmtMinute(at)}` +
    `${ws.length ? `; found ${found[0]} (default ${defFound?.[0]})` : `; quiet ${quiet} (default ${defQuiet})`}` +
    `${firstAlarm >= 0 ? `; first alarm ${fmtMinute(t[firstAlarm])} def ${def[firstAlarm].toFixed(2)} mem ${mem[firstAlarm].toFixed(2)}` : ''}\n`
  );
}

/** The member's positive peaks, largest first: on anomaly-free files and in windows of the sweep's kind. */
export function memberPeaksLines(tl: MemberSweepTally, label: string): string {
  const top = (x: number[]) =>
    x
      .filter((y) => y > 0)
      .sort((a, b) => b - a)
      .map((y) => y.toFixed(2))
      .join(' ');
  return `    clean peaks ${top(tl.cleanPeaks)}\n    ${label} peaks ${top(tl.kindPeaks)}\n`;
}

/** A sweep over cached scores of whole corpora: its command line and the parts every such sweep uses. */
export interface CorpusSweep {
  cacheDir: string;
  corpora: string[];
  settings: string[];
  /** Today's `defaultDetector()`'s |score| per row of a corpus file (0 in the training part), cached. */
  defaultScores(corpus: string, file: string): Promise<Float64Array>;
  /** The line for one corpus: per setting, windows found of all and quiet anomaly-free files. */
  line(corpus: string, local: readonly (readonly number[])[]): string;
}

/**
 * The sweeps over cached scores of whole corpora (bench/combo-sweep.ts, bench/drift-sweep.ts,
 * bench/season-sweep.ts, bench/shape-sweep.ts): `CACHE CORPUS… -- SETTING…` on the script's command line
 * (process.argv); `defaults` without `--`; without a cache folder or a corpus, the error
 * `usage: SCRIPT <cacheDir> <corpus>… -- SETTING…` with `setting` for SETTING.
 */
export function corpusSweep(script: string, setting: string, defaults: readonly string[]): CorpusSweep {
  const argv = process.argv.slice(2);
  const usage = `usage: ${script} <cacheDir> <corpus>… -- ${setting}…`;
  const sep = argv.indexOf('--');
  const [cacheDir, ...corpora] = sep < 0 ? argv : argv.slice(0, sep);
  const settings = sep < 0 ? [...defaults] : argv.slice(sep + 1);
  if (!cacheDir || corpora.length === 0) throw new Error(usage);
  return {
    cacheDir,
    corpora,
    settings,
    defaultScores: async (corpus, file) =>
      (await cachedStreamScores(cacheDir, corpus, file, '', () => defaultDetector())).map(Math.abs),
    line: (corpus, local) =>
      `${basename(corpus)}: ${local.map((l, k) => `[${k}] ${l[0]}/${l[1]} quiet ${l[2]}/${l[3]}`).join('  ')}`,
  };
}

/**
 * The leave-one-group-out sweeps over cached default scores (bench/count-sweep.ts, bench/drift18-sweep.ts,
 * bench/warm-sweep.ts): `CACHE NAME=DIR,DIR… NAME=… -- SETTING…` on the command line.
 */
export function groupSweepArgs(
  argv: readonly string[],
  defaults: readonly string[],
  usage: string,
): { cacheDir: string; groups: { name: string; dirs: string[] }[]; settings: string[] } {
  const sep = argv.indexOf('--');
  const [cacheDir, ...groupTexts] = sep < 0 ? argv : argv.slice(0, sep);
  const settings = sep < 0 ? [...defaults] : argv.slice(sep + 1);
  if (!cacheDir) throw new Error(usage);
  return { cacheDir, groups: groupArgs(groupTexts, usage), settings };
}

/** Corpus groups given as `NAME=DIR,DIR… NAME=…` on the command line; `usage` when none or one lacks `=`. */
export function groupArgs(args: readonly string[], usage: string): { name: string; dirs: string[] }[] {
  if (args.length === 0) throw new Error(usage);
  return args.map((g) => {
    const at = g.indexOf('=');
    if (at <= 0 || at === g.length - 1) throw new Error(`${usage} (got "${g}")`);
    return { name: g.slice(0, at), dirs: g.slice(at + 1).split(',') };
  });
}

/** One setting's counts over one group of corpora: windows found (in all and per kind), anomaly-free files quiet. */
export interface GroupTally {
  found: number;
  windows: number;
  quiet: number;
  clean: number;
  kinds: Map<string, number>;
}

export function groupTally(): GroupTally {
  return { found: 0, windows: 0, quiet: 0, clean: 0, kinds: new Map() };
}

/**
 * Counts one file's alarms (0/1 by row, from `p` on) into `r`: each window found (an alarm at or after
 * onset, inside it), or the anomaly-free file quiet. Returns each window's verdict and, on an anomaly-free
 * file, whether it stayed quiet.
 */
export function tallyGroupFile(
  r: GroupTally,
  ws: readonly { kind: string; onset: number; end: number }[],
  t: Float64Array,
  alarm: Uint8Array,
  p: number,
): { found: boolean[]; quiet: boolean } {
  const n = t.length;
  let quiet = true;
  if (ws.length === 0) {
    r.clean++;
    quiet = !alarm.some((x) => x === 1);
    if (quiet) r.quiet++;
  }
  const found: boolean[] = [];
  for (const w of ws) {
    r.windows++;
    let f = false;
    for (let i = p; i < n && !f; i++) if (alarm[i] && t[i] >= w.onset && t[i] <= w.end) f = true;
    if (f) {
      r.found++;
      r.kinds.set(w.kind, (r.kinds.get(w.kind) ?? 0) + 1);
    } else r.kinds.set(w.kind, r.kinds.get(w.kind) ?? 0);
    found.push(f);
  }
  return { found, quiet };
}

/** The command line of the alarm-rule sweeps (bench/quiet22-sweep.ts, bench/quiet43-sweep.ts). */
export interface AlarmSweepArgs {
  /** `--diff` came first: name each file where a setting's verdict differs from another's. */
  diff: boolean;
  cacheDir: string;
  groups: { name: string; dirs: string[] }[];
  settings: string[];
}

/** `[--diff] CACHE NAME=DIR,DIR… NAME=… [-- SETTING…]` (`defaults` when no setting is named). */
export function alarmSweepArgs(
  argv: readonly string[],
  defaults: readonly string[],
  usage: string,
): AlarmSweepArgs {
  const diff = argv[0] === '--diff';
  return { diff, ...groupSweepArgs(diff ? argv.slice(1) : argv, defaults, usage) };
}

/**
 * Runs an alarm-rule sweep over the default's cached stream scores (`DEFAULT22_CACHE`): for each file,
 * `alarmsOf(f)` gives setting k's alarms (0/1 by row) as `(k) => alarms`, asked in setting order and
 * counted into that group's tally; with `diff`, the file's `--diff` line when the settings' verdicts
 * differ. Returns the tallies (group by setting) for `printGroupSweep`.
 */
export async function alarmSweepRun(
  a: AlarmSweepArgs,
  alarmsOf: (f: GroupFile & { score: Float64Array }) => (k: number) => Uint8Array,
): Promise<GroupTally[][]> {
  const res = a.groups.map(() => a.settings.map(() => groupTally()));
  for await (const f of groupSweepFiles(a.cacheDir, a.groups, DEFAULT22_CACHE)) {
    const alarms = alarmsOf(f);
    const verdicts = a.settings.map((_, k) =>
      groupFileVerdict(f.ws, tallyGroupFile(res[f.gi][k], f.ws, f.t, alarms(k), f.p)),
    );
    if (a.diff) writeGroupDiff(f, a.settings, verdicts);
  }
  return res;
}

/** A file's verdict under one setting, for the sweeps' `--diff` lines: `quiet`/`loud`, or 0/1 per window. */
function groupFileVerdict(ws: readonly unknown[], r: { found: boolean[]; quiet: boolean }): string {
  return ws.length === 0 ? (r.quiet ? 'quiet' : 'loud') : r.found.map((x) => (x ? 1 : 0)).join('');
}

/** A sweep's `--diff` line for a file whose verdicts differ between settings (nothing when all agree). */
function writeGroupDiff(f: GroupFile, settings: readonly string[], verdicts: readonly string[]): void {
  if (verdicts.every((x) => x === verdicts[0])) return;
  const step = (f.t[1] - f.t[0]) / 60_000;
  const kinds = f.ws.map((w) => w.kind).join(',') || 'clean';
  process.stdout.write(
    `diff ${f.corpus} ${f.file} (step ${step} min; ${kinds}): ${settings.map((s, k) => `${s} ${verdicts[k]}`).join('; ')}\n`,
  );
}

/**
 * Prints a group sweep's result: each group's line per setting, the pooled line per setting (`allNote`
 * appended), then, holding out each group in turn, the setting chosen on the others and what it gives on
 * the held group, and the setting chosen on all groups. The choice (`maximise`): the most windows found
 * among the settings with no fewer quiet files and no kind lower than `none`'s (`found`), or the most
 * quiet files among those with no fewer windows found and no kind lower (`quiet`); ties: the earlier
 * setting in the list.
 */
export function printGroupSweep(
  groups: readonly { name: string }[],
  settings: readonly string[],
  res: readonly GroupTally[][],
  maximise: 'found' | 'quiet',
  allNote: (k: number) => string = () => '',
): void {
  const line = (r: GroupTally) =>
    `${r.found}/${r.windows} quiet ${r.quiet}/${r.clean}; ${[...r.kinds.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, x]) => `${k} ${x}`)
      .join(', ')}`;
  for (const [gi, g] of groups.entries())
    for (const [k, s] of settings.entries()) process.stdout.write(`${g.name} [${s}] ${line(res[gi][k])}\n`);
  const sum = (ks: number[], k: number): GroupTally => {
    const o = groupTally();
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
    process.stdout.write(`all [${s}] ${line(sum(all, k))}${allNote(k)}\n`);
  const base = Math.max(0, settings.indexOf('none'));
  const kept = maximise === 'found' ? 'quiet' : 'found';
  const choose = (ks: number[]) => {
    const b = sum(ks, base);
    let best = base;
    let bestV = b[maximise];
    for (const k of settings.keys()) {
      const r = sum(ks, k);
      if (r[kept] < b[kept] || [...b.kinds].some(([kk, x]) => (r.kinds.get(kk) ?? 0) < x)) continue;
      if (r[maximise] > bestV) {
        bestV = r[maximise];
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
}

/** One labelled file of a group sweep: its group, corpus, series, NAB probationary length and windows. */
export interface GroupFile {
  gi: number;
  corpus: string;
  file: string;
  t: Float64Array;
  v: Float64Array;
  p: number;
  /** The file's windows (kinds, onsets, ends); empty for an anomaly-free file. */
  ws: readonly { kind: string; onset: number; end: number }[];
}

/** Each labelled file of each group's corpora, in order (corpora as given, files sorted by name). */
export async function* groupFiles(groups: readonly { dirs: readonly string[] }[]): AsyncGenerator<GroupFile> {
  for (const [gi, g] of groups.entries()) {
    for (const corpus of g.dirs) {
      const windows = corpusWindows(corpus);
      const kinds = corpusKinds(corpus);
      for (const file of Object.keys(windows).sort()) {
        const { t, v } = (await loadCorpusFile(corpus, file)).series;
        yield { gi, corpus, file, t, v, p: nabProbationaryLength(t.length), ws: kinds[file] ?? [] };
      }
    }
  }
}

/** The group sweeps' cache of round 17's default (`drift: false` since round 19a, late arming off since round 21a). */
export const DEFAULT17_CACHE = {
  name: 'default17',
  make: (): Detector => defaultDetector({ drift: false, seasonal: { late: undefined } }),
} as const;

/** Today's default (`defaultDetector()`), cached as `default22` (round 22 of docs/evaluation.md). */
export const DEFAULT22_CACHE = { name: 'default22', make: (): Detector => defaultDetector() } as const;

/**
 * `groupFiles` with a default's stream scores after training on the first `p` points (cached in
 * `cacheDir` under `cache.name`, by default `default17`: round 17's default, `DEFAULT17_CACHE`): the loop
 * of the group sweeps.
 */
export async function* groupSweepFiles(
  cacheDir: string,
  groups: readonly { dirs: readonly string[] }[],
  cache: { name: string; make: () => Detector } = DEFAULT17_CACHE,
): AsyncGenerator<GroupFile & { score: Float64Array }> {
  for await (const f of groupFiles(groups)) {
    const score = await cachedStreamScores(cacheDir, f.corpus, f.file, cache.name, cache.make);
    yield { ...f, score };
  }
}

/** A member's core as the member sweeps replay it: fitted on the training part, then scored row by row. */
export interface SweepMemberCore {
  /** 0 when the core found no period in the training part (the member is off). */
  readonly period: number;
  fit(t: Float64Array, v: Float64Array): void;
  scoreRow(t: number, v: number): number;
}

/**
 * The sweep of one member beside the default before round 19a (bench/drift18-sweep.ts,
 * bench/season19-sweep.ts): for each setting (`none`, or a JSON object of the member's settings), the
 * member is fitted on each file's training part; where it is on, its |score| joins the default's cached
 * |score| in the maximum, and the default alarm rule (`AggregateAlarms` with `DEFAULT_STRONG_THRESHOLD`
 * and `DEFAULT_COUNT_POINTS`) is replayed over that. On a few files (two for `none`, `checks` for a
 * setting, only where its member is on) the replay is checked point for point against `detector(setting)`
 * (`defaultDetector({ drift: false, seasonal: { late: undefined } })` for `none`) streamed. Prints what `printGroupSweep` prints.
 */
export async function memberBesideDefaultSweep<S>(a: {
  argv: readonly string[];
  defaults: readonly string[];
  usage: string;
  core: (setting: Partial<S>) => SweepMemberCore;
  detector: (setting: Partial<S>) => Detector;
  /** Files checked point for point per setting (a function: per setting; 0 for a replay-only setting). */
  checks: number | ((setting: Partial<S>) => number);
  /** What the leave-one-group-out choice maximises (`printGroupSweep`; default 'found'). */
  maximise?: 'found' | 'quiet';
  /** Print each file where a setting's windows found or quiet differ from the first setting's. */
  diff?: boolean;
  /** The default whose cached scores the member joins (and `none` is checked against): `DEFAULT17_CACHE` if absent. */
  cache?: { name: string; make: () => Detector };
  /** Called for each file and setting with the replayed alarms (e.g. a diagnosis of missed windows). */
  onFile?: (f: GroupFile & { score: Float64Array }, k: number, alarm: Uint8Array, found: boolean[]) => void;
}): Promise<void> {
  const { cacheDir, groups, settings } = groupSweepArgs([...a.argv], [...a.defaults], a.usage);
  const parsed: (Partial<S> | null)[] = settings.map((s) =>
    s === 'none' ? null : (JSON.parse(s) as Partial<S>),
  );
  const res: GroupTally[][] = groups.map(() => settings.map(groupTally));
  const checked = settings.map(() => 0);
  const on = settings.map(() => 0);
  const cache = a.cache ?? DEFAULT17_CACHE;
  for await (const f of groupSweepFiles(cacheDir, groups, cache)) {
    const { gi, corpus, file, t, v, p, ws, score } = f;
    const n = t.length;
    let first = '';
    for (const [k] of settings.entries()) {
      const o = parsed[k];
      const both = new Float64Array(n);
      let onHere = false;
      for (let i = p; i < n; i++) both[i] = Math.abs(score[i]);
      if (o) {
        const core = a.core(o);
        core.fit(t.subarray(0, p), v.subarray(0, p));
        if (core.period > 0) {
          for (let i = p; i < n; i++) both[i] = Math.max(both[i], Math.abs(core.scoreRow(t[i], v[i])));
          on[k]++;
          onHere = true;
        }
      }
      const rule = new AggregateAlarms(DEFAULT_DETECTOR_RULE);
      const st = rule.streamer();
      const alarm = new Uint8Array(n);
      for (let i = p; i < n; i++) alarm[i] = st.push(t[i], both[i]) !== 0 ? 1 : 0;
      const checks = o === null ? 2 : typeof a.checks === 'number' ? a.checks : a.checks(o);
      if (checked[k] < checks && (o === null || onHere)) {
        // the replay is the streamed detector's own alarms, point for point
        const { alarm: a0 } = streamAfterTraining(o ? a.detector(o) : cache.make(), t, v, p);
        for (let i = p; i < n; i++)
          if (a0[i] !== alarm[i])
            throw new Error(`${corpus} ${file} [${settings[k]}]: replay differs at row ${i}`);
        checked[k]++;
      }
      const r = tallyGroupFile(res[gi][k], ws, t, alarm, p);
      a.onFile?.(f, k, alarm, r.found);
      const key = `${Number(r.quiet)}${r.found.map(Number).join('')}`;
      if (k === 0) first = key;
      else if (a.diff && key !== first)
        process.stdout.write(`diff ${corpus} ${file} [${settings[k]}]: quiet+found ${first} → ${key}\n`);
    }
  }
  printGroupSweep(groups, settings, res, a.maximise ?? 'found', (k) => ` (member on in ${on[k]} files)`);
}

/**
 * The `tsad synth` options a corpus folder was made with, read back from its `corpus.json` (seed, kinds in
 * file order, files per kind, anomaly-free files, length): `synthCorpus(corpusOptions(dir))` writes the
 * same files, and with `planted: false` the same draws with the anomalies left out (the sweeps' twins).
 */
export function corpusOptions(dir: string): SynthOptions {
  const desc = JSON.parse(readFileSync(join(dir, 'corpus.json'), 'utf8')) as {
    seed: number;
    files: { file: string; rows: number; kind: SynthKind | null }[];
  };
  const kinds: SynthKind[] = [];
  for (const f of desc.files) if (f.kind !== null && !kinds.includes(f.kind)) kinds.push(f.kind);
  return {
    seed: desc.seed,
    kinds,
    perKind: kinds.length ? desc.files.filter((f) => f.kind === kinds[0]).length : 0,
    clean: desc.files.filter((f) => f.kind === null).length,
    length: Math.max(...desc.files.map((f) => f.rows)),
  };
}

/** The corpus in `dir` generated again with its anomalies left out (the same draws), by file name; cached. */
const unplanted = new Map<string, Map<string, SynthFile>>();
export function unplantedTwin(dir: string, name: string): SynthFile | undefined {
  let m = unplanted.get(dir);
  if (!m) {
    m = new Map(synthCorpus({ ...corpusOptions(dir), planted: false }).files.map((f) => [f.name, f]));
    unplanted.set(dir, m);
  }
  return m.get(name);
}

/** The leading `--flag` arguments (up to `--` or the first other argument) and the arguments after them. */
export function leadingFlags(args: readonly string[]): { flags: Set<string>; rest: string[] } {
  let rest = args.slice();
  const flags = new Set<string>();
  while (rest[0]?.startsWith('--') && rest[0] !== '--') {
    flags.add(rest[0]);
    rest = rest.slice(1);
  }
  return { flags, rest };
}
