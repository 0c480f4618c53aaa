/**
 * Round 19a of docs/evaluation.md: the seasonal-change member of the default before round 19a (round 17's,
 * `drift: false`; its scores are the cache's) with other settings (e.g. a lower
 * `minPeriods`, so that it is on where the training part holds fewer whole days), replayed over the
 * default's cached scores through today's alarm rule, per group of corpora, with a leave-one-group-out
 * choice. Tuning seeds only.
 *
 *   npx tsx bench/season19-sweep.ts CACHE NAME=DIR,DIR… NAME=… -- none '{"minPeriods":1}'…
 *
 * A setting's member (`{ ...SEASONAL_CHANGE_DEFAULTS, floor: DEFAULT_SEASONAL_FLOOR, ...setting }`) is fitted
 * on each file's training part; where it is on, its |score| joins the default's cached |score| in the
 * maximum, and the alarm rule (`AggregateAlarms` with `DEFAULT_STRONG_THRESHOLD` and
 * `DEFAULT_COUNT_POINTS`) is replayed over that. The replay equals `defaultDetector({ seasonal: { floor,
 * ...setting } })` streamed only where the setting's member scores at least what the default's own
 * seasonal member scores (true for a setting that changes only `minPeriods` or `minPeriodPoints`: where the
 * default's member is on, the setting's is the same member); the script checks that on a few files where
 * the member is on. Prints what bench/harness.ts `printGroupSweep` prints (maximising windows found).
 */
import {
  DEFAULT_ALARM_RULE,
  DEFAULT_COUNT_POINTS,
  DEFAULT_SEASONAL_FLOOR,
  DEFAULT_STRONG_THRESHOLD,
  defaultDetector,
} from '../src/detectors/default.js';
import { AggregateAlarms } from '../src/detectors/post/aggregate-alarms.js';
import {
  SEASONAL_CHANGE_DEFAULTS,
  SeasonalChangeCore,
  type SeasonalChangeSettings,
} from '../src/detectors/seasonal-change/core.js';
import type { SeasonalChangeInput } from '../src/detectors/seasonal-change/detector.js';
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
  ['none', '{"minPeriods":1}'],
  "usage: season19-sweep.ts <cacheDir> NAME=DIR,… … -- none '{…}'…",
);
const parsed: (Partial<SeasonalChangeSettings> | null)[] = settings.map((s) =>
  s === 'none' ? null : (JSON.parse(s) as Partial<SeasonalChangeSettings>),
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
      const core = new SeasonalChangeCore({
        ...SEASONAL_CHANGE_DEFAULTS,
        floor: DEFAULT_SEASONAL_FLOOR,
        ...o,
      });
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
    if (checked[k] < (o ? 3 : 2) && (o === null || onHere)) {
      // the replay is the streamed detector's own alarms, point for point
      const { alarm: a0 } = streamAfterTraining(
        o
          ? defaultDetector({
              seasonal: { floor: DEFAULT_SEASONAL_FLOOR, ...(o as SeasonalChangeInput) },
              drift: false,
            })
          : defaultDetector({ drift: false }),
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
