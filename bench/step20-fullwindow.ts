/**
 * Step round 20 of docs/evaluation.md: today's default streamed once per file (as `tsad bench` streams
 * it), its own alarm rule replayed over the scores (checked against the streamed alarms on every file),
 * and the same rule with `fullWindow: true` (the window always holds the last two earlier points, so at
 * steps of 60 minutes or more a raw alarm no longer fires alone through Merlion's relaxed requirement).
 * A candidate only: it prints windows found, anomaly-free files quiet and per-kind counts per group, and
 * the leave-one-group-out choice of `printGroupSweep` (most quiet files among settings with no fewer windows
 * found and no kind lower). Tuning seeds only.
 *
 *   npx tsx bench/step20-fullwindow.ts NAME=DIR,DIR… NAME=…
 */
import { DEFAULT_DETECTOR_RULE, defaultDetector } from '../src/detectors/default.js';
import { AggregateAlarms } from '../src/detectors/post/aggregate-alarms.js';
import {
  type GroupTally,
  groupArgs,
  groupFiles,
  groupTally,
  printGroupSweep,
  streamAfterTraining,
  tallyGroupFile,
} from './harness.js';

const groups = groupArgs(process.argv.slice(2), 'usage: step20-fullwindow.ts NAME=DIR,… …');
const settings = ['none', 'fullWindow'];
const res: GroupTally[][] = groups.map(() => settings.map(groupTally));
const rule = DEFAULT_DETECTOR_RULE;

for await (const { gi, corpus, file, t, v, p, ws } of groupFiles(groups)) {
  const { score, alarm: streamed } = streamAfterTraining(defaultDetector(), t, v, p);
  for (const [k, s] of settings.entries()) {
    const st = new AggregateAlarms(s === 'none' ? rule : { ...rule, fullWindow: true }).streamer();
    const alarm = new Uint8Array(t.length);
    for (let i = p; i < t.length; i++) alarm[i] = st.push(t[i], score[i]) !== 0 ? 1 : 0;
    if (s === 'none')
      for (let i = p; i < t.length; i++)
        if (alarm[i] !== streamed[i]) throw new Error(`${corpus} ${file}: replay differs at row ${i}`);
    tallyGroupFile(res[gi][k], ws, t, alarm, p);
  }
}
printGroupSweep(groups, settings, res, 'quiet');
