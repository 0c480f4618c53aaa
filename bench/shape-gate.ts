/**
 * Round 8 of docs/evaluation.md: the training part's own periodicity, per file, the statistic a shape
 * member's gate would use. For each file of each corpus: the training part (alarm mode: NAB's
 * probationary 15 %; with `--locate`, the locate cut: 30 % or the window's start), its robust period and
 * the autocorrelation at that period in several views. A property of the training part only (no score).
 *
 *   npx tsx bench/shape-gate.ts [--locate] <corpusDir>…
 */
import { periodStrength, robustPeriod } from '../src/detectors/discord/period.js';
import { corpusKinds } from '../src/lab/bench.js';
import { corpusWindows, loadCorpusFile } from '../src/lab/nab-corpus-file.js';
import { nabProbationaryLength } from '../src/metrics/nab.js';
import { lowerBound } from '../src/series/ops.js';

const args = process.argv.slice(2);
const locate = args.includes('--locate');
const corpora = args.filter((a) => !a.startsWith('--'));
for (const corpus of corpora) {
  const windows = corpusWindows(corpus);
  const kinds = corpusKinds(corpus);
  for (const file of Object.keys(windows).sort()) {
    const ws = windows[file];
    const { series } = await loadCorpusFile(corpus, file);
    const { t, v } = series;
    const n = t.length;
    let cut = nabProbationaryLength(n);
    if (locate) {
      if (ws.length !== 1) continue;
      cut = Math.min(Math.floor(n * 0.3), lowerBound(t, ws[0][0]));
    }
    const x = v.subarray(0, cut);
    const p = robustPeriod(x);
    const s = p > 0 ? periodStrength(x, p) : 0;
    const kind = ws.length === 0 ? 'clean' : kinds[file].map((w) => w.kind).join('+');
    process.stdout.write(
      `${corpus}\t${file}\t${kind}\t${cut}\t${p}\t${(cut / Math.max(p, 1)).toFixed(1)}\t${s.toFixed(3)}\n`,
    );
  }
}
