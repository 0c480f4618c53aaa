/**
 * Round 10 of docs/evaluation.md: where the seasonal-change member (src/lab/seasonal-change.ts) is on,
 * per file of a corpus in NAB's layout (NAB's 15 % training part), with its period, lag and window, its
 * peak test score, and the test rows where it reaches the alarm level 3 outside and inside the labelled
 * windows. A property of the member alone (no default, no alarm rule).
 *
 *   npx tsx bench/season-gate.ts <corpusDir> ['<settings json>']
 */
import { corpusWindows, loadCorpusFile } from '../src/lab/nab-corpus-file.js';
import { SEASONAL_CHANGE_DEFAULTS, SeasonalChangeCore } from '../src/lab/seasonal-change.js';
import { nabProbationaryLength } from '../src/metrics/nab.js';

const [dir, json = '{}'] = process.argv.slice(2);
if (!dir) throw new Error("usage: season-gate.ts <corpusDir> ['<settings json>']");
const settings = { ...SEASONAL_CHANGE_DEFAULTS, ...JSON.parse(json) };
const windows = corpusWindows(dir);
let on = 0;
let total = 0;
for (const file of Object.keys(windows).sort()) {
  const { series } = await loadCorpusFile(dir, file);
  const { t, v } = series;
  const n = t.length;
  const p = nabProbationaryLength(n);
  const core = new SeasonalChangeCore(settings);
  core.fit(t.subarray(0, p), v.subarray(0, p));
  total++;
  if (core.period === 0) {
    process.stdout.write(`${file}: off (${core.off})\n`);
    continue;
  }
  on++;
  let peak = 0;
  let outside = 0;
  let inside = 0;
  for (let i = p; i < n; i++) {
    const s = core.scoreRow(t[i], v[i]);
    if (s > peak) peak = s;
    if (s < 3) continue;
    if (windows[file].some(([a, b]) => t[i] >= a && t[i] <= b)) inside++;
    else outside++;
  }
  process.stdout.write(
    `${file}: on, step ${core.step / 60_000} min, P ${core.period}, L ${core.lag}, W ${core.window}; peak ${peak.toFixed(2)}; rows ≥ 3 outside windows ${outside}, inside ${inside}\n`,
  );
}
process.stdout.write(`on for ${on} of ${total} files\n`);
