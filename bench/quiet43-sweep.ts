/**
 * Round 43 of docs/evaluation.md: alarm-rule candidates for anomaly-free files that alarm, replayed over
 * today's default's cached stream scores (`DEFAULT22_CACHE`: `defaultDetector()` streamed once per file
 * after training on NAB's probationary part), per group of corpora, with round 22's leave-one-group-out
 * choice: the most anomaly-free files quiet among the settings with no fewer windows found and no kind
 * lower than today's rule (the first setting). The rule is replayed here (`replay`), and the `today`
 * replay is checked point for point against `AggregateAlarms` itself on every file (a mismatch stops the
 * script). Settings:
 *
 * - `today`: the default's rule as it is (`tsad bench`: the rule starts empty after training);
 * - `gapStep`: Merlion's relaxed requirement judged at the training part's median step: the earlier points
 *   it counts are at least as many as the minutes window holds at that step (floor(window / step)), as far
 *   as the counting window holds them, so the first points after a gap need what they would need without
 *   the gap; on a regular stream, and at any step of 60 minutes or more, nothing changes;
 * - `confirm:H`: a raw alarm that would fire through the relaxed requirement alone (fewer than
 *   `minAlmInWindow` raw alarms counted, below the strong level) is held for one point and emitted there
 *   only if that next point's |score| reaches H (an alarm one point late, or none);
 * - `support:H`: such a lone alarm fires only if an earlier point of the counting window (the last 60
 *   minutes or the last 8 points) has a |score| of H or more (no delay);
 * - combinations are named `a+b` (e.g. `gapStep+support:2`).
 *
 * Tuning seeds only. `--diff` names each file where a setting's windows found or quiet differ from
 * `today`'s.
 *
 *   npx tsx bench/quiet43-sweep.ts [--diff] CACHE NAME=DIR,DIR… NAME=… [-- SETTING…]
 */
import { DEFAULT_COUNT_POINTS, DEFAULT_STRONG_THRESHOLD, defaultDetector } from '../src/detectors/default.js';
import { field } from '../src/detectors/json.js';
import { AggregateAlarms, aggregateAlarmsConfigSchema } from '../src/detectors/post/aggregate-alarms.js';
import { alarmSweepArgs, alarmSweepRun, printGroupSweep } from './harness.js';

const usage = 'usage: quiet43-sweep.ts [--diff] <cacheDir> NAME=DIR,… … [-- SETTING…]';
const args = alarmSweepArgs(process.argv.slice(2), ['today', 'gapStep'], usage);
const { groups, settings } = args;
if (settings[0] !== 'today') throw new Error(`${usage}: the first setting must be today`);

const base = aggregateAlarmsConfigSchema.parse(field(defaultDetector().config, 'threshold', 'config'));
if (base.countPoints !== DEFAULT_COUNT_POINTS || base.strongThreshold !== DEFAULT_STRONG_THRESHOLD)
  throw new Error('quiet43-sweep: the default alarm rule is not the one this replay was written for');
const THR = base.almThreshold ?? 3;
const MIN_ALM = base.minAlmInWindow;
const WINDOW = base.almWindowMinutes * 60_000;
const SUPPRESS = base.almSuppressMinutes * 60_000;
const CP = DEFAULT_COUNT_POINTS;
const STRONG = DEFAULT_STRONG_THRESHOLD;

interface Setting {
  gapStep: boolean;
  /** `confirm`: the |score| at the next point that confirms a held lone alarm. */
  hold: number | null;
  /** `support`: the |score| an earlier point of the counting window must reach for a lone alarm. */
  support: number | null;
}

function parseSetting(s: string): Setting {
  const o: Setting = { gapStep: false, hold: null, support: null };
  if (s === 'today') return o;
  for (const part of s.split('+')) {
    const [name, arg] = part.split(':');
    const h = Number(arg);
    if (name === 'gapStep' && arg === undefined) o.gapStep = true;
    else if (name === 'confirm' && h > 0) o.hold = h;
    else if (name === 'support' && h > 0) o.support = h;
    else throw new Error(`${usage}: unknown setting "${s}"`);
  }
  return o;
}
const parsed = settings.map(parseSetting);

/** The median step of the training part's times (ms). */
function medianStep(t: Float64Array, p: number): number {
  const d = new Float64Array(Math.max(0, p - 1));
  for (let i = 1; i < p; i++) d[i - 1] = t[i] - t[i - 1];
  d.sort();
  return d.length === 0 ? Number.POSITIVE_INFINITY : d[d.length >> 1];
}

/**
 * The default's alarm rule over the test part (rows p..n), started empty as `tsad bench` starts it,
 * with the setting's changes. Returns 0/1 by row.
 */
function replay(t: Float64Array, score: Float64Array, p: number, s: Setting): Uint8Array {
  const n = t.length;
  const out = new Uint8Array(n);
  const rawAt = new Uint8Array(n);
  const stepPts = s.gapStep ? Math.floor(WINDOW / medianStep(t, p)) : 0;
  let lastEmitted = Number.NEGATIVE_INFINITY;
  // a lone alarm held for the next point (`confirm`): its row, or -1
  let held = -1;
  for (let i = p; i < n; i++) {
    const ti = t[i];
    const a = Math.abs(score[i]) >= THR;
    rawAt[i] = a ? 1 : 0;
    if (held >= 0) {
      // the held lone alarm is emitted one point late when this point confirms it (nothing was emitted
      // since it was held, so it is not suppressed)
      held = -1;
      if (Math.abs(score[i]) >= (s.hold ?? 0)) {
        out[i] = 1;
        lastEmitted = ti;
        continue;
      }
    }
    if (!a) continue;
    const w0 = ti - WINDOW;
    // counting window: back to w0, or over the last CP earlier points
    const k = Math.max(p, i - CP);
    const wc = Math.min(w0, t[k]);
    let earlierAll = 0; // earlier points in the counting window
    let earlierMin = 0; // earlier points in the minutes window
    let cnt = 1; // raw alarms in the counting window, this one included
    let peak = 0; // the largest earlier |score| in the counting window
    for (let j = i - 1; j >= p && t[j] >= wc; j--) {
      earlierAll++;
      if (t[j] >= w0) earlierMin++;
      if (rawAt[j]) cnt++;
      peak = Math.max(peak, Math.abs(score[j]));
    }
    let before = earlierMin;
    if (s.gapStep) before = Math.max(before, Math.min(stepPts, earlierAll));
    const need = Math.min(MIN_ALM, before);
    const suppressed = lastEmitted >= ti - SUPPRESS;
    const strong = Math.abs(score[i]) >= STRONG;
    if ((cnt >= need || strong) && !suppressed) {
      // the relaxed path: fewer raw alarms than minAlmInWindow, below the strong level
      const relaxed = cnt < MIN_ALM && !strong;
      if (relaxed && s.support !== null && peak < s.support) continue;
      if (relaxed && s.hold !== null) {
        if (i + 1 < n) held = i;
        continue;
      }
      out[i] = 1;
      lastEmitted = ti;
    }
  }
  return out;
}

const rule = new AggregateAlarms(base);
// per setting: windows found by both it and today whose first alarm comes later (and the points of delay),
// and per step (minutes, before the test part) the windows found and those found later
const later = settings.map(() => ({
  windows: 0,
  points: 0,
  found: new Map<number, number>(),
  late: new Map<number, number>(),
}));
const bump = (m: Map<number, number>, key: number) => m.set(key, (m.get(key) ?? 0) + 1);
const bySteps = (m: Map<number, number>) =>
  [...m]
    .sort((a, b) => a[0] - b[0])
    .map(([st, x]) => `${st} ${x}`)
    .join(', ');
/** The row of a window's first alarm at or after onset, inside it (-1: none). */
const firstAlarm = (w: { onset: number; end: number }, t: Float64Array, alarm: Uint8Array, p: number) => {
  for (let i = p; i < t.length; i++) if (alarm[i] && t[i] >= w.onset && t[i] <= w.end) return i;
  return -1;
};
let checked = 0;
const res = await alarmSweepRun(args, (f) => {
  const { t, p, score } = f;
  // the replay of `today` against the rule itself
  const st = rule.streamer();
  const ref = new Uint8Array(t.length);
  for (let i = p; i < t.length; i++) ref[i] = st.push(t[i], score[i]) === 0 ? 0 : 1;
  const step = (t[p] - t[p - 1]) / 60_000;
  return (k) => {
    const alarm = replay(t, score, p, parsed[k]);
    for (const w of f.ws) {
      const a0 = firstAlarm(w, t, ref, p);
      const a1 = firstAlarm(w, t, alarm, p);
      if (a1 >= 0) bump(later[k].found, step);
      if (a0 >= 0 && a1 > a0) {
        later[k].windows++;
        later[k].points += a1 - a0;
        bump(later[k].late, step);
      }
    }
    if (k === 0) {
      for (let i = p; i < t.length; i++)
        if (alarm[i] !== ref[i])
          throw new Error(`replay differs from AggregateAlarms: ${f.corpus} ${f.file} row ${i}`);
      checked++;
    }
    return alarm;
  };
});
process.stdout.write(`today's replay equals AggregateAlarms on ${checked} files\n`);
printGroupSweep(
  groups,
  settings,
  res,
  'quiet',
  (k) =>
    ` (found by step, min: ${bySteps(later[k].found)}; first alarm later than today's in ${later[k].windows} windows found by both, ${later[k].points} points in all${later[k].windows > 0 ? `, by step: ${bySteps(later[k].late)}` : ''})`,
);
