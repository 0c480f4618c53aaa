/**
 * Length round 20 of docs/evaluation.md: how often the default's level-drift member (`DEFAULT_DRIFT`), alone,
 * reaches the alarm level on the anomaly-free files of `tsad synth` corpora (tuning seeds only), i.e. its
 * false-alarm rate over long streams. Each `data/clean/*.csv` is trained on NAB's probationary part and
 * streamed as `tsad bench` does; per corpus it prints the files, those whose training part spans at least
 * 7 days (about where the member can be on: it needs 7 whole checked periods) and their test days, the files
 * with an alarm-level score, and the alarm episodes (runs of alarm-level scores at most 2 points apart).
 *
 *   npx tsx bench/drift-clean-rate.ts [--drift JSON] <corpusDir>…
 *
 * `--drift` (round 21b): the member's options instead of `DEFAULT_DRIFT` (merged over it), e.g.
 * '{"crossFit":true,"lengthGrowth":1}'.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DRIFT } from '../src/detectors/default.js';
import { LevelDriftDetector } from '../src/detectors/level-drift/detector.js';
import { loadCorpusFile } from '../src/lab/nab-corpus-file.js';
import { nabProbationaryLength } from '../src/metrics/nab-prepare.js';
import { streamAfterTraining } from './harness.js';

const args = process.argv.slice(2);
const at = args.indexOf('--drift');
const drift = at >= 0 ? (JSON.parse(args.splice(at, 2)[1]) as object) : {};
for (const dir of args) {
  let files = 0,
    on = 0,
    withAlarm = 0,
    episodes = 0,
    days = 0;
  for (const name of readdirSync(join(dir, 'data', 'clean')).sort()) {
    const f = (await loadCorpusFile(dir, `clean/${name}`)).series;
    const p = nabProbationaryLength(f.t.length);
    const det = new LevelDriftDetector({ enableThreshold: false, ...DEFAULT_DRIFT, ...drift });
    const { score } = streamAfterTraining(det, f.t, f.v, p);
    files++;
    let e = 0;
    let last = -1e9;
    for (let i = p; i < f.t.length; i++)
      if (Math.abs(score[i]) >= 3) {
        if (i - last > 2) e++;
        last = i;
      }
    const span = (f.t[f.t.length - 1] - f.t[p]) / 86400000;
    const train = (f.t[p - 1] - f.t[0]) / 86400000;
    if (train >= 6.9) {
      on++;
      days += span;
    }
    if (e > 0) withAlarm++;
    episodes += e;
  }
  console.log(
    `${dir}: clean files ${files}, training ≥ 7 d ${on} (${days.toFixed(0)} test days), files with a drift alarm ${withAlarm}, episodes ${episodes}`,
  );
}
