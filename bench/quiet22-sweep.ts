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
 *   npx tsx bench/quiet22-sweep.ts [--diff] CACHE NAME=DIR,DIR… NAME=… [-- SETTING…]
 */
import { defaultDetector } from '../src/detectors/default.js';
import { field } from '../src/detectors/json.js';
import { AggregateAlarms, aggregateAlarmsConfigSchema } from '../src/detectors/post/aggregate-alarms.js';
import { alarmSweepArgs, alarmSweepRun, printGroupSweep } from './harness.js';

const SETTINGS = ['today', 'relaxByCount', 'start', 'both'];
const usage = `usage: quiet22-sweep.ts [--diff] <cacheDir> NAME=DIR,… … [-- SETTING…] (settings: ${SETTINGS.join(', ')})`;
const args = alarmSweepArgs(process.argv.slice(2), SETTINGS, usage);
const { settings } = args;
if (!settings.every((s) => SETTINGS.includes(s))) throw new Error(usage);

const base = aggregateAlarmsConfigSchema.parse(field(defaultDetector().config, 'threshold', 'config'));
const rules = settings.map(
  (s) => new AggregateAlarms({ ...base, relaxByCount: s === 'relaxByCount' || s === 'both' }),
);
const primed = settings.map((s) => s === 'start' || s === 'both');

const res = await alarmSweepRun(args, ({ t, p, score }) => (k) => {
  const s = rules[k].streamer();
  // `start`: the training part's times enter the window first, with no raw alarm among them
  if (primed[k]) for (let i = 0; i < p; i++) s.push(t[i], 0);
  const alarm = new Uint8Array(t.length);
  for (let i = p; i < t.length; i++) alarm[i] = s.push(t[i], score[i]) === 0 ? 0 : 1;
  return alarm;
});
printGroupSweep(args.groups, settings, res, 'quiet', () => '');
