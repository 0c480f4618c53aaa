/**
 * Diagnoses alarms on the anomaly-free files of a synthetic corpus (tuning seeds only): for every alarm
 * of a recipe on `data/clean/*.csv`, prints the combined score and each default member's calibrated score
 * (each run alone, as the default builds it) around the alarm, the time since the training part ended,
 * the weekday and whether a missing-data gap precedes it.
 *
 *   npx tsx bench/quiet-diag.ts <corpusDir> [recipe=default]
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ALARM_RULE } from '../src/detectors/default.js';
import { loadCorpusFile } from '../src/lab/nab-corpus-file.js';
import { makeDetector } from '../src/lab/recipes.js';
import { nabProbationaryLength } from '../src/metrics/nab.js';
import { defaultMemberAlone, meanSd, streamAfterTraining as run } from './harness.js';

const [dir, recipe = 'default'] = process.argv.slice(2);
if (!dir) throw new Error('usage: quiet-diag.ts <corpusDir> [recipe]');

const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
for (const f of readdirSync(join(dir, 'data', 'clean')).sort()) {
  const file = `clean/${f}`;
  const { series } = await loadCorpusFile(dir, file);
  const { t, v } = series;
  const n = t.length;
  const p = nabProbationaryLength(n);
  const step = (t[1] - t[0]) / 60000;
  const main = run(makeDetector(recipe), t, v, p);
  const nAlarm = main.alarm.reduce((a, b) => a + b, 0);
  const trainDays = (t[p - 1] - t[0]) / 86400000;
  let gaps = 0;
  for (let i = 1; i < n; i++) if (t[i] - t[i - 1] > 1.5 * (t[1] - t[0])) gaps++;
  process.stdout.write(
    `${file}: step ${step} min, n ${n}, train ${trainDays.toFixed(1)} d (${days[new Date(t[0]).getUTCDay()]}–${days[new Date(t[p - 1]).getUTCDay()]}), gaps ${gaps}, alarms ${nAlarm}\n`,
  );
  if (nAlarm === 0) continue;
  const mem = [0, 1, 2].map((i) => run(defaultMemberAlone(i), t, v, p).score);
  // training mean/sd for context
  const { m, sd } = meanSd(v, p);
  for (let i = p; i < n; i++) {
    if (!main.alarm[i]) continue;
    const d = new Date(t[i]);
    let lastGap = -1;
    for (let j = i; j > 0 && j > i - 200; j--)
      if (t[j] - t[j - 1] > 1.5 * (t[1] - t[0])) {
        lastGap = i - j;
        break;
      }
    // peak of each member within the rule's window before the alarm
    const w = Math.max(p, i - Math.ceil(DEFAULT_ALARM_RULE.almWindowMinutes / step));
    const pk = (a: Float64Array) => {
      let b = 0;
      for (let j = w; j <= i; j++) b = Math.max(b, Math.abs(a[j]));
      return b.toFixed(2);
    };
    process.stdout.write(
      `  alarm row ${i} (${(((i - p) / (n - p)) * 100).toFixed(0)} % of scoring, ${((t[i] - t[p - 1]) / 86400000).toFixed(1)} d after training) ${days[d.getUTCDay()]} ${d.toISOString().slice(11, 16)} v ${v[i].toFixed(2)} (train z ${((v[i] - m) / sd).toFixed(2)}) comb ${pk(main.score)} ets ${pk(mem[0])} rcf ${pk(mem[1])} zms ${pk(mem[2])}${lastGap >= 0 ? ` gap ${lastGap} rows before` : ''}\n`,
    );
  }
}
