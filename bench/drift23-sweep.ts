/**
 * Round 23 of docs/evaluation.md: drifts today's default misses, and the level-drift member with other
 * settings beside today's default (`DEFAULT22_CACHE`: `defaultDetector()` streamed once per file after
 * training on NAB's probationary part), replayed through the default alarm rule per group of corpora, with
 * a leave-one-group-out choice of the most windows found among the settings with no fewer anomaly-free files
 * quiet and no kind lower than `none` (today's default). A setting is the member's whole settings (give
 * `DEFAULT_DRIFT`'s `refractory`, `burst` and `ratio` too: an object overrides the member's own defaults, as
 * `defaultDetector({ drift })` does). Where today's member is on, a setting that differs from it only in
 * `minPeriods` scores as it does, so the maximum with the cached default is the streamed detector's score;
 * the replay is checked point for point against `defaultDetector({ drift: setting })` on six files per setting.
 * Tuning seeds only.
 *
 * A setting may arm the member late (`lateDays`, round 23).
 *
 * `--diag`: also prints each drift window today's default misses: the file's step, its training part's
 * span, the drift's size in noise σ at the window's end (the file against its unplanted twin, as
 * bench/planted-effect.ts computes it), today's peak |score| inside the window, and the peak of the
 * member's unfloored CUSUM score inside the window with `minPeriods` 1 and no episodes (what the member
 * would see if it were on), beside that member's own peak outside the window in the test part.
 *
 *   npx tsx bench/drift23-sweep.ts [--diag] [--diff] CACHE NAME=DIR,DIR… NAME=… -- none '{…}'…
 */
import { defaultDetector } from '../src/detectors/default.js';
import {
  LEVEL_DRIFT_DEFAULTS,
  LevelDriftCore,
  type LevelDriftSettings,
} from '../src/detectors/level-drift/core.js';
import { DEFAULT22_CACHE, leadingFlags, memberBesideDefaultSweep, unplantedTwin } from './harness.js';

const { flags, rest: argv } = leadingFlags(process.argv.slice(2));
const DAY = 86_400_000;

const twin = unplantedTwin;

/**
 * The member's core as the sweep replays it: a member waiting to arm late (`lateDays`, round 23) counts as
 * on, so that the harness scores it (0 until it arms).
 */
class SweepCore {
  readonly core: LevelDriftCore;
  constructor(s: LevelDriftSettings) {
    this.core = new LevelDriftCore(s);
  }
  get period(): number {
    return this.core.period > 0 ? this.core.period : this.core.s.lateDays > 0 ? 1 : 0;
  }
  fit(t: Float64Array, v: Float64Array): void {
    this.core.fit(t, v);
  }
  scoreRow(t: number, v: number): number {
    return this.core.scoreRow(t, v);
  }
}

const diagRows: string[] = [];
await memberBesideDefaultSweep<LevelDriftSettings>({
  argv,
  diff: flags.has('--diff'),
  defaults: ['none', '{"refractory":672,"burst":2,"ratio":4}'],
  usage: "usage: drift23-sweep.ts [--diag] [--diff] <cacheDir> NAME=DIR,… … -- none '{…}'…",
  core: (o) => new SweepCore({ ...LEVEL_DRIFT_DEFAULTS, ...o }),
  detector: (o) => defaultDetector({ drift: o }),
  checks: 6,
  maximise: 'found',
  cache: DEFAULT22_CACHE,
  onFile: (f, k, _alarm, found) => {
    if (!flags.has('--diag') || k !== 0) return;
    for (const [wi, w] of f.ws.entries()) {
      if (w.kind !== 'drift' || found[wi]) continue;
      const { t, v, p, score } = f;
      const name = f.file.replace(/\.csv$/, '');
      const g = twin(f.corpus, f.file);
      const sigma = g ? g.sigma : 1;
      let eff = 0;
      let peak = 0;
      for (let i = p; i < t.length; i++)
        if (t[i] >= w.onset && t[i] <= w.end) {
          if (g) eff = Math.max(eff, Math.abs(v[i] - g.v[i]) / sigma);
          peak = Math.max(peak, Math.abs(score[i]));
        }
      const core = new LevelDriftCore({ ...LEVEL_DRIFT_DEFAULTS, minPeriods: 1, floor: 0, ratio: 4 });
      core.fit(t.subarray(0, p), v.subarray(0, p));
      let inW = 0;
      let outW = 0;
      if (core.period > 0)
        for (let i = p; i < t.length; i++) {
          const s = Math.abs(core.scoreRow(t[i], v[i]));
          if (t[i] >= w.onset && t[i] <= w.end) inW = Math.max(inW, s);
          else outW = Math.max(outW, s);
        }
      const step = (t[1] - t[0]) / 60_000;
      diagRows.push(
        `missed ${f.corpus.split('/').pop()} ${name} step ${step} min train ${((t[p - 1] - t[0]) / DAY).toFixed(2)} d: drift ${eff.toFixed(1)} σ, today's peak ${peak.toFixed(2)}, member (minPeriods 1) ${core.period > 0 ? `${inW.toFixed(2)} in / ${outW.toFixed(2)} out` : 'off'}`,
      );
    }
  },
});
for (const r of diagRows) process.stdout.write(`${r}\n`);
