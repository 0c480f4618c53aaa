/**
 * Round 12b of docs/evaluation.md: the level-drift member (src/detectors/level-drift) beside the default,
 * replayed over cached default scores (tuning seeds only). As season-sweep.ts, with the level-drift core:
 *
 *   npx tsx bench/drift-sweep.ts <cacheDir> <corpus>… -- none '{…LevelDriftSettings}'…   (DIAG=1: per-file lines)
 *
 * The alarm rule replayed is today's default's (`DEFAULT_ALARM_RULE` with strong single alarms at
 * `DEFAULT_STRONG_THRESHOLD`, round 12c); the cache holds today's `defaultDetector()` scores, so a cache
 * written before round 12c must not be reused. ONLY_ON=1 skips the files where no setting's member is on.
 */
import { STRONG_THRESHOLD_12C } from '../src/detectors/default.js';
import {
  LEVEL_DRIFT_DEFAULTS,
  LevelDriftCore,
  type LevelDriftSettings,
} from '../src/detectors/level-drift/core.js';
import { corpusKinds } from '../src/lab/bench.js';
import { corpusWindows, loadCorpusFile } from '../src/lab/nab-corpus-file.js';
import { nabProbationaryLength } from '../src/metrics/nab.js';
import {
  corpusSweep,
  memberDiagLine,
  memberPeaksLines,
  memberSweepTally,
  replayAlarms,
  sweepSummary,
  tallyMemberFile,
} from './harness.js';

const sweep = corpusSweep('drift-sweep.ts', "'<settings json>'", ['none', '{}']);
const { corpora, settings } = sweep;
const diag = process.env.DIAG === '1';
/** ONLY_ON=1: only the files where some setting's member is on (the others are the default's alone). */
const onlyOn = process.env.ONLY_ON === '1';

function memberOff(o: LevelDriftSettings, t: Float64Array, v: Float64Array, p: number): boolean {
  const c = new LevelDriftCore(o);
  c.fit(t.subarray(0, p), v.subarray(0, p));
  return c.period === 0;
}

const tallies = settings.map(memberSweepTally);
/** Per setting: member rows at the alarm level and alarms, outside every window (what NAB counts as false). */
const outside = settings.map(() => [0, 0]);
const parsed: (LevelDriftSettings | null)[] = settings.map((s) =>
  s === 'none' ? null : { ...LEVEL_DRIFT_DEFAULTS, ...(JSON.parse(s) as Partial<LevelDriftSettings>) },
);
const perCorpus: string[] = [];

for (const corpus of corpora) {
  const windows = corpusWindows(corpus);
  const kinds = corpusKinds(corpus);
  const local = settings.map(() => [0, 0, 0, 0]);
  for (const file of Object.keys(windows).sort()) {
    const { series } = await loadCorpusFile(corpus, file);
    const { t, v } = series;
    const n = t.length;
    const p = nabProbationaryLength(n);
    if (onlyOn && parsed.every((o) => o === null || memberOff(o, t, v, p))) continue;
    const def = await sweep.defaultScores(corpus, file);
    let defFound: boolean[] | null = null;
    let defQuiet = true;
    for (let k = 0; k < settings.length; k++) {
      const o = parsed[k];
      const mem = new Float64Array(n);
      let core: LevelDriftCore | null = null;
      if (o) {
        core = new LevelDriftCore(o);
        core.fit(t.subarray(0, p), v.subarray(0, p));
        for (let i = p; i < n; i++) mem[i] = core.scoreRow(t[i], v[i]);
      }
      const both = new Float64Array(n);
      for (let i = p; i < n; i++) both[i] = Math.max(def[i], mem[i]);
      const alarm = replayAlarms(t, both, p, STRONG_THRESHOLD_12C, false);
      const tl = tallies[k];
      const ws = kinds[file];
      const { found: foundHere, quiet } = tallyMemberFile(tl, local[k], ws, t, alarm, mem, p, 'drift');
      // outside every window: rows where the member reaches the alarm level, and alarms of the rule
      for (let i = p; i < n; i++) {
        if (ws.some((w) => t[i] >= w.onset && t[i] <= w.end)) continue;
        if (mem[i] >= 3) outside[k][0]++;
        if (alarm[i]) outside[k][1]++;
      }
      if (o === null) {
        defFound = foundHere;
        defQuiet = quiet;
      } else if (diag && core) {
        const stepMin = core.step / 60_000;
        const info = core.period ? `step ${stepMin} min, P ${core.period}` : `off (${core.off})`;
        process.stdout.write(
          memberDiagLine({
            k,
            corpus,
            file,
            info,
            kind: 'drift',
            ws,
            t,
            alarm,
            mem,
            def,
            p,
            found: foundHere,
            quiet,
            defFound,
            defQuiet,
          }),
        );
      }
    }
  }
  perCorpus.push(sweep.line(corpus, local));
}
for (const line of perCorpus) process.stdout.write(`${line}\n`);
settings.forEach((s, k) => {
  const tl = tallies[k];
  process.stdout.write(sweepSummary(k, s, tl.found, tl.quiet));
  process.stdout.write(`    outside windows: member rows ≥ 3 ${outside[k][0]}, alarms ${outside[k][1]}\n`);
  if (parsed[k]) process.stdout.write(memberPeaksLines(tl, 'drift'));
});
