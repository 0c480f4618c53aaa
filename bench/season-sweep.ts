import { DEFAULT_DETECTOR_RULE } from '../src/detectors/default.js';
import { makeThresholdRule } from '../src/detectors/post/rule.js';
import {
  SEASONAL_CHANGE_DEFAULTS,
  SEASONAL_LATE_DEFAULTS,
  SeasonalChangeCore,
  type SeasonalChangeSettings,
} from '../src/detectors/seasonal-change/core.js';
import { corpusKinds } from '../src/lab/bench.js';
import { corpusWindows, loadCorpusFile } from '../src/lab/nab-corpus-file.js';
import { nabProbationaryLength } from '../src/metrics/nab.js';
import {
  corpusSweep,
  memberDiagLine,
  memberPeaksLines,
  memberSweepTally,
  sweepSummary,
  tallyMemberFile,
} from './harness.js';

const sweep = corpusSweep('season-sweep.ts', "'<settings json>'", ['none', '{}']);
const { corpora, settings } = sweep;
const diag = process.env.DIAG === '1';

const tallies = settings.map(memberSweepTally);
/** Alarms outside the files' NAB windows, per setting (round 13a: what NAB's score charges). */
const outside = settings.map(() => 0);
const parsed: (SeasonalChangeSettings | null)[] = settings.map((s) => {
  if (s === 'none') return null;
  const o = JSON.parse(s) as Partial<SeasonalChangeSettings>;
  // `"late": {}` is late arming with its defaults (round 12a)
  const late = o.late ? { ...SEASONAL_LATE_DEFAULTS, ...o.late } : null;
  return { ...SEASONAL_CHANGE_DEFAULTS, ...o, late };
});
const perCorpus: string[] = [];

for (const corpus of corpora) {
  const windows = corpusWindows(corpus);
  const kinds = corpusKinds(corpus);
  const local = settings.map(() => [0, 0, 0, 0]);
  for (const file of Object.keys(windows).sort()) {
    const def = await sweep.defaultScores(corpus, file);
    const { series } = await loadCorpusFile(corpus, file);
    const { t, v } = series;
    const n = t.length;
    const p = nabProbationaryLength(n);
    let defFound: boolean[] | null = null;
    let defQuiet = true;
    for (let k = 0; k < settings.length; k++) {
      const o = parsed[k];
      const mem = new Float64Array(n);
      let core: SeasonalChangeCore | null = null;
      if (o) {
        core = new SeasonalChangeCore(o);
        core.fit(t.subarray(0, p), v.subarray(0, p));
        // with late arming, only where the training part left the member off (the default's own
        // member, inside the cached scores, covers the rest)
        if (o.late && core.period > 0) core = new SeasonalChangeCore({ ...o, late: null });
        for (let i = p; i < n; i++) mem[i] = core.scoreRow(t[i], v[i]);
      }
      // today's default alarm rule (since round 12c with its strong path, since round 17 counting over the
      // last points too; round 12a replayed the rule alone)
      const rule = makeThresholdRule({ ...DEFAULT_DETECTOR_RULE }).streamer();
      const alarm = new Uint8Array(n);
      for (let i = p; i < n; i++) if (rule.push(t[i], Math.max(def[i], mem[i])) !== 0) alarm[i] = 1;
      const nabWs = windows[file] ?? [];
      for (let i = p; i < n; i++) {
        if (alarm[i] && !nabWs.some(([a, b]) => t[i] >= a && t[i] <= b)) outside[k]++;
      }
      const tl = tallies[k];
      const ws = kinds[file];
      const { found: foundHere, quiet } = tallyMemberFile(
        tl,
        local[k],
        ws,
        t,
        alarm,
        mem,
        p,
        'frequencyChange',
      );
      if (o === null) {
        defFound = foundHere;
        defQuiet = quiet;
      } else if (diag && core) {
        const stepMin = core.step / 60_000;
        const info = core.period
          ? `step ${stepMin} min, P ${core.period}, L ${core.lag}, W ${core.window}`
          : `off (${core.off})`;
        process.stdout.write(
          memberDiagLine({
            k,
            corpus,
            file,
            info,
            kind: 'frequencyChange',
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
  process.stdout.write(`    alarms outside windows ${outside[k]}\n`);
  if (parsed[k]) process.stdout.write(memberPeaksLines(tl, 'freq'));
});
