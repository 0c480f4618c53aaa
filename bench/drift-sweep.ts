/**
 * Round 12b of docs/evaluation.md: the level-drift member (src/detectors/level-drift) beside the default,
 * replayed over cached default scores (tuning seeds only). As season-sweep.ts, with the level-drift core:
 *
 *   npx tsx bench/drift-sweep.ts <cacheDir> <corpus>… -- none '{…LevelDriftSettings}'…   (DIAG=1: per-file lines)
 */
import { basename } from 'node:path';
import { DEFAULT_ALARM_RULE, defaultDetector } from '../src/detectors/default.js';
import {
  LEVEL_DRIFT_DEFAULTS,
  LevelDriftCore,
  type LevelDriftSettings,
} from '../src/detectors/level-drift/core.js';
import { makeThresholdRule } from '../src/detectors/post/rule.js';
import { corpusKinds } from '../src/lab/bench.js';
import { corpusWindows, loadCorpusFile } from '../src/lab/nab-corpus-file.js';
import { nabProbationaryLength } from '../src/metrics/nab.js';
import {
  cachedStreamScores,
  memberDiagLine,
  memberPeaksLines,
  memberSweepTally,
  sweepSummary,
  tallyMemberFile,
} from './harness.js';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const [cacheDir, ...corpora] = sep < 0 ? argv : argv.slice(0, sep);
const settings = sep < 0 ? ['none', '{}'] : argv.slice(sep + 1);
if (!cacheDir || corpora.length === 0)
  throw new Error("usage: drift-sweep.ts <cacheDir> <corpus>… -- '<settings json>'…");
const diag = process.env.DIAG === '1';

/** The default's |score| per row (0 in the training part), streamed once and cached. */
async function defaultScores(corpus: string, file: string): Promise<Float64Array> {
  const s = await cachedStreamScores(cacheDir, corpus, file, '', () => defaultDetector());
  return s.map(Math.abs);
}

const tallies = settings.map(memberSweepTally);
const parsed: (LevelDriftSettings | null)[] = settings.map((s) =>
  s === 'none' ? null : { ...LEVEL_DRIFT_DEFAULTS, ...(JSON.parse(s) as Partial<LevelDriftSettings>) },
);
const perCorpus: string[] = [];

for (const corpus of corpora) {
  const windows = corpusWindows(corpus);
  const kinds = corpusKinds(corpus);
  const local = settings.map(() => [0, 0, 0, 0]);
  for (const file of Object.keys(windows).sort()) {
    const def = await defaultScores(corpus, file);
    const { series } = await loadCorpusFile(corpus, file);
    const { t, v } = series;
    const n = t.length;
    const p = nabProbationaryLength(n);
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
      const rule = makeThresholdRule({ ...DEFAULT_ALARM_RULE }).streamer();
      const alarm = new Uint8Array(n);
      for (let i = p; i < n; i++) if (rule.push(t[i], Math.max(def[i], mem[i])) !== 0) alarm[i] = 1;
      const tl = tallies[k];
      const ws = kinds[file];
      const { found: foundHere, quiet } = tallyMemberFile(tl, local[k], ws, t, alarm, mem, p, 'drift');
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
  perCorpus.push(
    `${basename(corpus)}: ${settings.map((_s, k) => `[${k}] ${local[k][0]}/${local[k][1]} quiet ${local[k][2]}/${local[k][3]}`).join('  ')}`,
  );
}
for (const line of perCorpus) process.stdout.write(`${line}\n`);
settings.forEach((s, k) => {
  const tl = tallies[k];
  process.stdout.write(sweepSummary(k, s, tl.found, tl.quiet));
  if (parsed[k]) process.stdout.write(memberPeaksLines(tl, 'drift'));
});
