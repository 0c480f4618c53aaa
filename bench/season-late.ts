/**
 * Round 12a of docs/evaluation.md: where late arming switches the seasonal-change member on. For each
 * file whose training part leaves the member off: whether (and at which row) it arms, and its largest
 * score after a frequency change's onset, outside the file's NAB windows, and on anomaly-free files.
 * Tuning seeds only.
 *
 *   npx tsx bench/season-late.ts DIR… -- '{"floor":0}' ['{"late":{"every":48}}' …]
 */
import { basename } from 'node:path';
import {
  SEASONAL_CHANGE_DEFAULTS,
  SEASONAL_LATE_DEFAULTS,
  SeasonalChangeCore,
  type SeasonalChangeSettings,
} from '../src/detectors/seasonal-change/core.js';
import { corpusKinds } from '../src/lab/bench.js';
import { corpusWindows, loadCorpusFile } from '../src/lab/nab-corpus-file.js';
import { nabProbationaryLength } from '../src/metrics/nab.js';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
if (sep < 1) throw new Error("usage: season-late.ts <corpus>… -- '<settings json>'…");
const corpora = argv.slice(0, sep);
const sets = argv.slice(sep + 1).map((j): SeasonalChangeSettings => {
  const o = JSON.parse(j) as Partial<SeasonalChangeSettings>;
  return { ...SEASONAL_CHANGE_DEFAULTS, ...o, late: { ...SEASONAL_LATE_DEFAULTS, ...(o.late ?? {}) } };
});
const top = (x: number[]) =>
  x
    .filter((y) => y > 0)
    .sort((a, b) => b - a)
    .map((y) => y.toFixed(2))
    .join(' ');
for (const [k, st] of sets.entries()) {
  const lines: string[] = [];
  const clean: number[] = [];
  const outside: [number, string][] = [];
  let waiting = 0;
  let armed = 0;
  for (const corpus of corpora) {
    const kinds = corpusKinds(corpus);
    const windows = corpusWindows(corpus);
    for (const file of Object.keys(kinds).sort()) {
      const { t, v } = (await loadCorpusFile(corpus, file)).series;
      const n = t.length;
      const p = nabProbationaryLength(n);
      const core = new SeasonalChangeCore(st);
      core.fit(t.subarray(0, p), v.subarray(0, p));
      if (core.period > 0) continue; // on from training: the shipped member's case
      waiting++;
      let armAt = -1;
      const mem = new Float64Array(n);
      for (let i = p; i < n; i++) {
        mem[i] = core.scoreRow(t[i], v[i]);
        if (armAt < 0 && core.period > 0) armAt = i;
      }
      if (armAt >= 0) armed++;
      const ws = kinds[file];
      const nab = windows[file] ?? [];
      let after = 0;
      let out = 0;
      for (let i = p; i < n; i++) {
        if (ws.some((w) => t[i] >= w.onset && t[i] <= w.end)) after = Math.max(after, mem[i]);
        if (!nab.some(([a, b]) => t[i] >= a && t[i] <= b)) out = Math.max(out, mem[i]);
      }
      const tag = `${basename(corpus)} ${file}`;
      if (ws.length === 0) clean.push(out);
      else outside.push([out, tag]);
      if (ws.length > 0 && ws[0].kind === 'frequencyChange') {
        let on = 0;
        while (on < n && t[on] < ws[0].onset) on++;
        lines.push(
          `  ${tag}: step ${(t[1] - t[0]) / 60_000} min, ${armAt >= 0 ? `armed at row ${armAt}, P ${core.period}` : `off (${core.off})`}; onset row ${on}; peak after onset ${after.toFixed(2)}, outside the window ${out.toFixed(2)}`,
        );
      }
    }
  }
  process.stdout.write(
    `[${k}] ${argv[sep + 1 + k]}: off at training ${waiting} files, armed late ${armed}\n`,
  );
  for (const l of lines) process.stdout.write(`${l}\n`);
  process.stdout.write(`  anomaly-free files, peaks: ${top(clean)}\n`);
  process.stdout.write(
    `  anomalous files, largest peaks outside their windows: ${outside
      .sort((a, b) => b[0] - a[0])
      .slice(0, 8)
      .map(([x, f]) => `${f} ${x.toFixed(2)}`)
      .join(', ')}\n`,
  );
}
