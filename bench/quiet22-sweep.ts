/**
 * Round 22 of docs/evaluation.md: two changes to the alarm rule's relaxed requirement (Merlion's: one raw
 * alarm fires alone while the window holds fewer than two earlier points), replayed over today's default's
 * cached stream scores (`DEFAULT22_CACHE`, `defaultDetector()` streamed once per file after training on
 * NAB's probationary part) per group of corpora, with a leave-one-group-out choice that maximises
 * anomaly-free files quiet among the settings with no fewer windows found and no kind lower than today's
 * rule (the first setting). Settings:
 *
 * - `today`: the default's rule as it is, started empty after training (what `tsad bench` does);
 * - `relaxByCount`: the relaxed requirement counts the earlier points of the whole counting window
 *   (`countPoints`), not only the 60-minute window's (`AggregateAlarms.relaxByCount`);
 * - `start`: the rule's window holds the training part's points (their times, no raw alarms) when the
 *   test part begins, as if the training part had been streamed with nothing above the alarm level;
 * - `both`.
 *
 * Tuning seeds only. `--diff` also names each file where a setting's windows found or quiet differ from
 * today's.
 *
 *   npx tsx bench/quiet22-sweep.ts [--diff] CACHE NAME=DIR,DIR… NAME=…
 */
import { defaultDetector } from '../src/detectors/default.js';
import { field } from '../src/detectors/json.js';
import { AggregateAlarms, aggregateAlarmsConfigSchema } from '../src/detectors/post/aggregate-alarms.js';
import {
  DEFAULT22_CACHE,
  type GroupTally,
  groupArgs,
  groupFileVerdict,
  groupSweepFiles,
  groupTally,
  printGroupSweep,
  tallyGroupFile,
  writeGroupDiff,
} from './harness.js';

const argv = process.argv.slice(2);
const diff = argv[0] === '--diff';
const [cacheDir, ...groupTexts] = diff ? argv.slice(1) : argv;
const usage = 'usage: quiet22-sweep.ts [--diff] <cacheDir> NAME=DIR,… …';
if (!cacheDir) throw new Error(usage);
const groups = groupArgs(groupTexts, usage);

const base = aggregateAlarmsConfigSchema.parse(field(defaultDetector().config, 'threshold', 'config'));
const settings = ['today', 'relaxByCount', 'start', 'both'] as const;
const rules = settings.map(
  (s) => new AggregateAlarms({ ...base, relaxByCount: s === 'relaxByCount' || s === 'both' }),
);
const primed = settings.map((s) => s === 'start' || s === 'both');

const res: GroupTally[][] = groups.map(() => settings.map(() => groupTally()));
for await (const f of groupSweepFiles(cacheDir, groups, DEFAULT22_CACHE)) {
  const { t, p, score } = f;
  const verdicts: string[] = [];
  for (const [k] of settings.entries()) {
    const s = rules[k].streamer();
    // `start`: the training part's times enter the window first, with no raw alarm among them
    if (primed[k]) for (let i = 0; i < p; i++) s.push(t[i], 0);
    const alarm = new Uint8Array(t.length);
    for (let i = p; i < t.length; i++) alarm[i] = s.push(t[i], score[i]) === 0 ? 0 : 1;
    const r = tallyGroupFile(res[f.gi][k], f.ws, t, alarm, p);
    verdicts.push(groupFileVerdict(f.ws, r));
  }
  if (diff) writeGroupDiff(f, settings, verdicts);
}
printGroupSweep(groups, [...settings], res, 'quiet', () => '');
