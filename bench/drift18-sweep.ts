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
import {
  type GroupTally,
  groupSweepArgs,
  groupSweepFiles,
  groupTally,
  printGroupSweep,
  streamAfterTraining,
  tallyGroupFile,
} from './harness.js';

const { cacheDir, groups, settings } = groupSweepArgs(
  process.argv.slice(2),
  ['none', '{}'],
  "usage: drift18-sweep.ts <cacheDir> NAME=DIR,… … -- none '{…}'…",
);
const parsed: (Partial<LevelDriftSettings> | null)[] = settings.map((s) =>
  s === 'none' ? null : (JSON.parse(s) as Partial<LevelDriftSettings>),
);
const res: GroupTally[][] = groups.map(() => settings.map(groupTally));
const checked = settings.map(() => 0);
const on = settings.map(() => 0);

for await (const { gi, corpus, file, t, v, p, ws, score } of groupSweepFiles(cacheDir, groups)) {
  const n = t.length;
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
        o ? defaultDetector({ drift: o }) : defaultDetector({ drift: false }),
        t,
        v,
        p,
      );
      for (let i = p; i < n; i++)
        if (a0[i] !== alarm[i])
          throw new Error(`${corpus} ${file} [${settings[k]}]: replay differs at row ${i}`);
      checked[k]++;
    }
    tallyGroupFile(res[gi][k], ws, t, alarm, p);
  }
}

printGroupSweep(groups, settings, res, 'found', (k) => ` (member on in ${on[k]} files)`);
