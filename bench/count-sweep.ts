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
import { BEFORE_17 } from '../src/lab/alarm-paths.js';
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
  ['none', '6'],
  'usage: count-sweep.ts <cacheDir> NAME=DIR,… … -- none K…',
);
const res: GroupTally[][] = groups.map(() => settings.map(groupTally));
let checked = 0;

for await (const { gi, corpus, file, t, v, p, ws, score } of groupSweepFiles(cacheDir, groups)) {
  const n = t.length;
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
      const { alarm: a0 } = streamAfterTraining(
        defaultDetector({
          threshold: { ...BEFORE_17.threshold },
          drift: false,
          seasonal: { late: undefined },
        }),
        t,
        v,
        p,
      );
      for (let i = p; i < n; i++)
        if (a0[i] !== alarm[i]) throw new Error(`${corpus} ${file}: replay differs at row ${i}`);
      checked++;
    }
    tallyGroupFile(res[gi][k], ws, t, alarm, p);
  }
}

printGroupSweep(groups, settings, res, 'found');
