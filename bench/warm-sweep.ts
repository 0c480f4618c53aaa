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
import { DEFAULT_DETECTOR_RULE, defaultDetector } from '../src/detectors/default.js';
import { AggregateAlarms } from '../src/detectors/post/aggregate-alarms.js';
import {
  type GroupTally,
  groupSweepArgs,
  groupSweepFiles,
  groupTally,
  printGroupSweep,
  streamAfterTraining,
  tallyGroupFile,
} from './harness.js';

const DAY = 86_400_000;
const { cacheDir, groups, settings } = groupSweepArgs(
  process.argv.slice(2),
  ['none'],
  'usage: warm-sweep.ts <cacheDir> NAME=DIR,… -- none D/W…',
);
const res: GroupTally[][] = groups.map(() => settings.map(groupTally));
let checked = 0;
const foundNone = new Set<string>();
const quietNone = new Set<string>();
const verbose = process.env.WARM_VERBOSE === '1';
for await (const { gi, corpus, file, t, v, p, ws, score } of groupSweepFiles(cacheDir, groups)) {
  const n = t.length;
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
    const rule = new AggregateAlarms(DEFAULT_DETECTOR_RULE);
    const st = rule.streamer();
    const alarm = new Uint8Array(n);
    for (let i = p; i < n; i++) {
      const age = t[i] - t[0];
      let f = age < DAY ? fd : age < 7 * DAY && t[p] - t[0] >= wmin * DAY ? fw : 1;
      if (Math.abs(score[i]) >= 3 * f) {
        if (rd > 0 && age < rmax * DAY && Math.max(rd, Math.abs(score[i]) / c) <= lagMax(DAY, i))
          f = Number.POSITIVE_INFINITY;
        else if (rw > 0 && age < 7 * rmax * DAY && Math.max(rw, Math.abs(score[i]) / c) <= lagMax(7 * DAY, i))
          f = Number.POSITIVE_INFINITY;
      }
      alarm[i] = st.push(t[i], score[i] / f) !== 0 ? 1 : 0;
    }
    if (s === 'none' && checked < 3) {
      const { alarm: a0 } = streamAfterTraining(
        defaultDetector({ drift: false, seasonal: { late: undefined } }),
        t,
        v,
        p,
      );
      for (let i = p; i < n; i++)
        if (a0[i] !== alarm[i]) throw new Error(`${corpus} ${file}: replay differs at row ${i}`);
      checked++;
    }
    const { found, quiet: q } = tallyGroupFile(res[gi][k], ws, t, alarm, p);
    if (ws.length === 0) {
      if (verbose && k > 0 && q !== quietNone.has(`${corpus}|${file}`)) {
        process.stderr.write(
          `[${s}] ${q ? 'quieted' : 'now alarms'} ${corpus} ${file} step ${Math.round((t[1] - t[0]) / 60_000)} min, training ${((t[p] - t[0]) / DAY).toFixed(2)} d\n`,
        );
      }
      if (k === 0 && q) quietNone.add(`${corpus}|${file}`);
    }
    for (const [j, w] of ws.entries()) {
      const f = found[j];
      if (verbose && k > 0 && f !== foundNone.has(`${corpus}|${file}|${w.onset}`)) {
        const stepMin = Math.round((t[1] - t[0]) / 60_000);
        process.stderr.write(
          `[${s}] ${f ? 'gained' : 'lost'} ${corpus} ${file} ${w.kind} step ${stepMin} min, onset ${((w.onset - t[0]) / DAY).toFixed(2)} d after the first point, training ${((t[p] - t[0]) / DAY).toFixed(2)} d\n`,
        );
      }
      if (k === 0 && f) foundNone.add(`${corpus}|${file}|${w.onset}`);
    }
  }
}
printGroupSweep(groups, settings, res, 'quiet');
