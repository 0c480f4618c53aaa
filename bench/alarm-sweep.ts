/**
 * Sweeps the alarm threshold of one recipe on a corpus in NAB's layout (the tuning protocol of
 * docs/evaluation.md: run it on tuning seeds only, then report the chosen value on held-out seeds with
 * `tsad bench`). Each file: train on the probationary 15 %, stream the rest once, keep the calibrated
 * scores, then replay them through `AggregateAlarms` (the default rule) at each threshold: exactly what
 * the detector's own rule would do at that threshold.
 *
 *   npx tsx bench/alarm-sweep.ts <corpusDir> [recipe=kinds] [thresholds=3,3.5,4,4.5,5,6]
 *
 * A recipe written `default+zms:<json>` is `defaultDetector()` with those ZMS overrides, e.g.
 * `default+zms:{"levelHalfLife":300}` (the round-6 sweep of docs/evaluation.md). A recipe written
 * `mt:<json>` is `mtDetector(0, <json>)` (src/lab/candidates-mt.ts), e.g. `mt:{"sustainMinutes":60}`.
 *
 * A threshold written `th:n` also sets the rule's `minAlmInWindow` to n (raw alarms needed within the
 * rule's 60-minute window), e.g. `3:2,3:4,4:4`.
 */
import { DEFAULT_ALARM_RULE, defaultDetector } from '../src/detectors/default.js';
import { makeThresholdRule } from '../src/detectors/post/rule.js';
import { corpusKinds } from '../src/lab/bench.js';
import { mtDetector } from '../src/lab/candidates-mt.js';
import { corpusWindows, loadCorpusFile } from '../src/lab/nab-corpus-file.js';
import { makeDetector } from '../src/lab/recipes.js';
import { nabProbationaryLength } from '../src/metrics/nab.js';

const [dir, recipe = 'kinds', list = '3,3.5,4,4.5,5,6'] = process.argv.slice(2);
if (!dir) throw new Error('usage: alarm-sweep.ts <corpusDir> [recipe] [thresholds]');
const settings = list.split(',').map((x) => {
  const [th, n] = x.split(':');
  return { th: Number(th), minAlm: n === undefined ? DEFAULT_ALARM_RULE.minAlmInWindow : Number(n) };
});
const thresholds = settings.map((x) => x.th);
const windows = corpusWindows(dir);
const kinds = corpusKinds(dir);
const found = thresholds.map(() => new Map<string, [number, number]>());
const clean = thresholds.map(() => [0, 0]);
for (const file of Object.keys(windows).sort()) {
  const { series } = await loadCorpusFile(dir, file);
  const n = series.t.length;
  const p = nabProbationaryLength(n);
  const det = recipe.startsWith('default+zms:')
    ? defaultDetector({ zms: JSON.parse(recipe.slice('default+zms:'.length)) })
    : recipe.startsWith('mt:')
      ? mtDetector(0, JSON.parse(recipe.slice('mt:'.length)))
      : makeDetector(recipe);
  det.train({ t: series.t.subarray(0, p), v: series.v.subarray(0, p) });
  const s = det.stream();
  const score = new Float64Array(n);
  for (let i = p; i < n; i++) score[i] = s.push(series.t[i], series.v[i]).score;
  thresholds.forEach((th, k) => {
    const rule = makeThresholdRule({
      ...DEFAULT_ALARM_RULE,
      almThreshold: th,
      minAlmInWindow: settings[k].minAlm,
    }).streamer();
    const alarm = new Uint8Array(n);
    for (let i = p; i < n; i++)
      if (!Number.isNaN(score[i]) && rule.push(series.t[i], score[i]) !== 0) alarm[i] = 1;
    if (windows[file].length === 0) {
      clean[k][0]++;
      if (alarm.some((a) => a === 1)) clean[k][1]++;
    }
    for (const w of kinds[file]) {
      const e = found[k].get(w.kind) ?? [0, 0];
      e[1]++;
      for (let i = p; i < n; i++) {
        if (alarm[i] && series.t[i] >= w.onset && series.t[i] <= w.end) {
          e[0]++;
          break;
        }
      }
      found[k].set(w.kind, e);
    }
  });
}
thresholds.forEach((th, k) => {
  const ks = [...found[k].entries()].sort(([a], [b]) => a.localeCompare(b));
  const tot = ks.reduce((a, [, e]) => a + e[0], 0);
  const all = ks.reduce((a, [, e]) => a + e[1], 0);
  process.stdout.write(
    `${recipe} threshold ${th} (min ${settings[k].minAlm} in window): found ${tot}/${all}; clean ok ${clean[k][0] - clean[k][1]}/${clean[k][0]}; ${ks.map(([kk, e]) => `${kk} ${e[0]}/${e[1]}`).join(', ')}\n`,
  );
});
