/**
 * Round 13c of docs/evaluation.md: why today's default alarms on anomaly-free files (tuning seeds only).
 * For every alarm of a recipe on `data/clean/*.csv` of each corpus, prints which part of the default's
 * maximum raised it (the mean of three, the flat-line onset member, the seasonal-change member, the
 * level-drift member of round 19a (`DEFAULT_DRIFT`; before length round 20 this script left it out and
 * named such an alarm by the top mean member; the seasonal-change member arms late since round 21a, as
 * the default's does); each run alone as the default builds it), whether the ETS member's lone path lifted the mean (`etsAlone`), which
 * path of the alarm rule emitted it, as the recipe's own rule labels it (`alarmPaths`: `count`, two raw
 * alarms in its counting window, the last 60 minutes or, with `countPoints` (the default's since round
 * 17), the last 8 points when that reaches further back; `relaxed`: the window held fewer than two earlier
 * points, so one raw alarm was enough; `strong`: a lone raw alarm at its `strongThreshold` or more), the three
 * mean members' peaks in the rule's window, the file's step, whether the training part spans a whole day
 * and a whole week, the time since training, the weekday, the value's z against training and any gap
 * just before. Ends with one line per file and a count per cause (the first alarm's cause names the file).
 *
 *   npx tsx bench/quiet13-diag.ts <recipe=default> <corpusDir>…
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  DEFAULT_ALARM_RULE,
  DEFAULT_DRIFT,
  DEFAULT_ETS_ALONE,
  DEFAULT_SEASONAL_FLOOR,
  DEFAULT_SEASONAL_LATE,
  defaultDetector,
} from '../src/detectors/default.js';
import { FlatLineDetector } from '../src/detectors/flatline/detector.js';
import { field } from '../src/detectors/json.js';
import { LevelDriftDetector } from '../src/detectors/level-drift/detector.js';
import { AggregateAlarms, aggregateAlarmsConfigSchema } from '../src/detectors/post/aggregate-alarms.js';
import { SeasonalChangeDetector } from '../src/detectors/seasonal-change/detector.js';
import type { Detector } from '../src/index.js';
import { alarmPaths } from '../src/internal.js';
import { loadCorpusFile } from '../src/lab/nab-corpus-file.js';
import { makeDetector } from '../src/lab/recipes.js';
import { nabProbationaryLength } from '../src/metrics/nab.js';
import { defaultMemberAlone, meanSd, streamAfterTraining as run } from './harness.js';

/**
 * The trained recipe's alarm rule (an `AggregateAlarms`: the default's and its variants'), from its config
 * and its trained state (so that a rule with `widen`, lab recipe `defaultWiden18`, widens where it did).
 */
function recipeRule(det: Detector): AggregateAlarms {
  const cfg = aggregateAlarmsConfigSchema.safeParse(field(det.config, 'threshold', 'config'));
  if (!cfg.success)
    throw new Error(
      `quiet13-diag: the recipe's alarm rule is not an aggregateAlarms config (${cfg.error.issues[0]?.message})`,
    );
  const rule = new AggregateAlarms(cfg.data);
  // (the model file only with `widen`: the training part's times are in the rule's state)
  if (rule.widen) rule.restore(field(det.toJSON().state, 'threshold', 'state'), 'state.threshold');
  return rule;
}

const [recipe = 'default', ...dirs] = process.argv.slice(2);
if (dirs.length === 0) throw new Error('usage: quiet13-diag.ts <recipe> <corpusDir>…');

const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const DAY = 86_400_000;
const causes = new Map<string, string[]>();
const fileLines: string[] = [];
let nClean = 0;
let nQuiet = 0;

for (const dir of dirs) {
  for (const f of readdirSync(join(dir, 'data', 'clean')).sort()) {
    nClean++;
    const file = `clean/${f}`;
    const { series } = await loadCorpusFile(dir, file);
    const { t, v } = series;
    const n = t.length;
    const p = nabProbationaryLength(n);
    const dt = t[1] - t[0];
    const step = dt / 60000;
    const det = makeDetector(recipe);
    const main = run(det, t, v, p);
    const nAlarm = main.alarm.reduce((a, b) => a + b, 0);
    const span = t[p - 1] - t[0] + dt;
    const tag = `${basename(dir)} ${file}`;
    if (nAlarm === 0) {
      nQuiet++;
      continue;
    }
    let gaps = 0;
    for (let i = 1; i < n; i++) if (t[i] - t[i - 1] > 1.5 * dt) gaps++;
    process.stdout.write(
      `${tag}: step ${step} min, n ${n}, train ${(span / DAY).toFixed(2)} d (${days[new Date(t[0]).getUTCDay()]}–${days[new Date(t[p - 1]).getUTCDay()]}; whole day ${span >= DAY ? 'yes' : 'no'}, whole week ${span >= 7 * DAY ? 'yes' : 'no'}), gaps ${gaps}, alarms ${nAlarm}\n`,
    );
    const meanPart = run(defaultDetector({ flatLine: false, seasonal: false, drift: false }), t, v, p).score;
    const flat = run(new FlatLineDetector({ onsetPoints: 2, enableThreshold: false }), t, v, p).score;
    const seas = run(
      // with late arming in alarm episodes, as the default builds it since round 21a
      new SeasonalChangeDetector({
        floor: DEFAULT_SEASONAL_FLOOR,
        late: { ...DEFAULT_SEASONAL_LATE },
        enableThreshold: false,
      }),
      t,
      v,
      p,
    ).score;
    // the level-drift member (round 19a), the last part of the default's maximum
    const drift = run(new LevelDriftDetector({ enableThreshold: false, ...DEFAULT_DRIFT }), t, v, p).score;
    const mem = [0, 1, 2].map((i) => run(defaultMemberAlone(i), t, v, p).score);
    const { m, sd } = meanSd(v, p);
    const th = DEFAULT_ALARM_RULE.almThreshold;
    // the recipe's own rule labels each alarm's path (a fresh rule after training, as the stream runs it)
    const rule = recipeRule(det);
    const paths = alarmPaths(rule, { t: t.subarray(p), v: main.score.subarray(p) });
    let first = '';
    const fileCauses: string[] = [];
    for (let i = p; i < n; i++) {
      if (!main.alarm[i]) continue;
      const d = new Date(t[i]);
      const s = Math.abs(main.score[i]);
      // '?': the rule run on the stream's scores gives no alarm here (it is then not the recipe's rule)
      const path = paths[i - p] ?? '?';
      const parts = [Math.abs(meanPart[i]), Math.abs(flat[i]), Math.abs(seas[i]), Math.abs(drift[i])];
      const who = ['mean', 'flat', 'seasonal', 'drift'][parts.indexOf(Math.max(...parts))];
      // the parts run alone must give the recipe's score (a check that the attribution is the default's)
      if (recipe === 'default' && Math.abs(Math.max(...parts) - s) > 1e-9)
        process.stdout.write(`  (parts alone give ${Math.max(...parts)} where the default gives ${s})\n`);
      const plain = (Math.abs(mem[0][i]) + Math.abs(mem[1][i]) + Math.abs(mem[2][i])) / 3;
      const etsLift = who === 'mean' && Math.abs(mem[0][i]) >= DEFAULT_ETS_ALONE && plain < th;
      let lastGap = -1;
      for (let j = i; j > p && j > i - 200; j--)
        if (t[j] - t[j - 1] > 1.5 * dt) {
          lastGap = i - j;
          break;
        }
      // the mean member that contributes most at the alarm point
      const mi = [0, 1, 2].reduce((a, b) => (Math.abs(mem[b][i]) > Math.abs(mem[a][i]) ? b : a), 0);
      const top = ['ets', 'rcf', 'zms'][mi];
      const z = (v[i] - m) / sd;
      // cause, in order: a lone alarm (relaxed requirement or gap), a 1-minute-ish file whose training part
      // never shows a whole day, a weekend point at a step with a weekly pattern, else the top member
      const weekend =
        d.getUTCDay() === 0 || d.getUTCDay() === 6 || (d.getUTCDay() === 1 && d.getUTCHours() < 1);
      const cause =
        who !== 'mean'
          ? `part ${who}`
          : path === 'relaxed'
            ? lastGap >= 0 && lastGap <= 1
              ? 'lone alarm after a gap'
              : 'lone alarm, window < 2 earlier points'
            : path === 'strong'
              ? `strong path (lone ≥ ${rule.strongThreshold})`
              : span < DAY
                ? 'training part < 1 day'
                : span < 7 * DAY && weekend && step >= 10
                  ? 'weekend, training part < 1 week'
                  : `other (${top})`;
      fileCauses.push(cause);
      if (!first) first = cause;
      process.stdout.write(
        `  alarm row ${i} (${((t[i] - t[p - 1]) / DAY).toFixed(1)} d after training) ${days[d.getUTCDay()]} ${d.toISOString().slice(11, 16)} z ${z.toFixed(2)} score ${s.toFixed(2)} part ${who} path ${path}${etsLift ? ' (ETS-alone lift)' : ''} ets ${Math.abs(mem[0][i]).toFixed(2)} rcf ${Math.abs(mem[1][i]).toFixed(2)} zms ${Math.abs(mem[2][i]).toFixed(2)} flat ${Math.abs(flat[i]).toFixed(2)} seas ${Math.abs(seas[i]).toFixed(2)} drift ${Math.abs(drift[i]).toFixed(2)}${lastGap >= 0 ? ` gap ${lastGap} rows before` : ''} → ${cause}\n`,
      );
    }
    const list = causes.get(first) ?? [];
    list.push(tag);
    causes.set(first, list);
    fileLines.push(
      `${tag}: step ${step}, train ${(span / DAY).toFixed(2)} d, ${nAlarm} alarms, causes ${[...new Set(fileCauses)].join(' + ')}`,
    );
  }
}
process.stdout.write(
  `\nquiet ${nQuiet}/${nClean}\n${fileLines.join('\n')}\n\nfiles by the first alarm's cause:\n`,
);
for (const [c, l] of [...causes.entries()].sort((a, b) => b[1].length - a[1].length))
  process.stdout.write(`  ${c}: ${l.length} (${l.join(', ')})\n`);
