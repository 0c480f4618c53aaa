import { defaultDetector } from './src/detectors/default.js';
import { Ensemble } from './src/detectors/ensemble.js';
import { FlatLineDetector } from './src/detectors/flatline/detector.js';
import { DiscordDetector } from './src/detectors/discord/detector.js';
import { DEFAULT_ALARM_RULE } from './src/detectors/default.js';
import { corpusWindows, loadCorpusFile } from './src/lab/nab-corpus-file.js';
import { nabProbationaryLength } from './src/metrics/nab.js';
const dir = process.argv[2];
const th = Number(process.argv[3] ?? 4);
const only = process.argv[4] ?? 'clean';
const windows = corpusWindows(dir);
const mk = (j: number) => {
  const base = defaultDetector({ seed: 0, rcf: { enableCalibrator: false }, zms: { enableCalibrator: false } });
  const m = j < 3 ? base.members[j] : j === 3 ? new FlatLineDetector({ enableThreshold: false }) : new DiscordDetector({ enableThreshold: false, enableCalibrator: false });
  return new Ensemble({ members: [m], combiner: { type: 'max', absScore: true }, calibrateMembers: [j !== 3], memberCalibration: 'online', enableCalibrator: false, threshold: { ...DEFAULT_ALARM_RULE, almThreshold: th } });
};
const names = ['ets', 'rcf', 'zms', 'flat', 'discord'];
for (const file of Object.keys(windows).sort()) {
  if (!file.startsWith(only)) continue;
  const { series } = await loadCorpusFile(dir, file);
  const n = series.t.length; const p = nabProbationaryLength(n);
  const out: string[] = [];
  for (let j = 0; j < 5; j++) {
    const d = mk(j); d.train({ t: series.t.subarray(0, p), v: series.v.subarray(0, p) });
    const s = d.stream(); let a = 0; let first = -1; let mx = 0;
    for (let i = p; i < n; i++) { const r = s.push(series.t[i], series.v[i]); if (r.alarm) { a++; if (first < 0) first = i; } mx = Math.max(mx, Math.abs(r.score)); }
    out.push(`${names[j]}:${a}@${first}(max ${mx.toFixed(1)})`);
  }
  console.log(file, n, out.join(' '));
}
