/**
 * Round 25 of docs/evaluation.md: the frequency-change windows today's default misses, and the
 * seasonal-change member with other settings beside today's default (`DEFAULT22_CACHE`: `defaultDetector()`
 * streamed once per file after training on NAB's probationary part), replayed through the default alarm
 * rule per group of corpora, with a leave-one-group-out choice of the most windows found among the settings
 * with no fewer anomaly-free files quiet and no kind lower than `none` (today's default). A setting is a
 * second seasonal-change member's whole settings (`{ ...SEASONAL_CHANGE_DEFAULTS, floor: 3, ...setting }`);
 * its |score| joins the cached default's in the maximum, as a further part of the default's maximum would
 * (replay only: `defaultDetector()` has no second member to stream; `none` is checked point for point
 * against the streamed default on two files). Tuning seeds only.
 *
 * `--diag`: also prints each frequency-change window, `found` or `missed` by today's default: the file's step, its training
 * part's span in days (the synthetic cycle is daily, so that is also its length in periods), the change's
 * span (onset..until) and the window's end after the onset in days, the change's
 * size over onset..until in noise σ (max |d| and RMS(d), the file against its unplanted twin, as
 * bench/planted-effect.ts computes it), today's peak |score| inside the window, the default seasonal
 * member's state (on from training, armed late at which point, or off and why) and, where it is on, its
 * unfloored peak inside the window against its peak outside it (test part).
 *
 *   npx tsx bench/freq25-sweep.ts [--diag] [--diff] CACHE NAME=DIR,DIR… NAME=… -- none '{…}'…
 */
import { DEFAULT_SEASONAL_FLOOR, DEFAULT_SEASONAL_LATE } from '../src/detectors/default.js';
import {
  SEASONAL_CHANGE_DEFAULTS,
  SEASONAL_LATE_DEFAULTS,
  SeasonalChangeCore,
  type SeasonalChangeSettings,
} from '../src/detectors/seasonal-change/core.js';
import { DEFAULT22_CACHE, leadingFlags, memberBesideDefaultSweep, unplantedTwin } from './harness.js';

const { flags, rest: argv } = leadingFlags(process.argv.slice(2));
const DAY = 86_400_000;

const twin = unplantedTwin;

/**
 * The second member as the sweep replays it. A member that waits to arm late counts as on, so that the
 * harness scores it (0 until it arms). `grow` (a sweep-only field, not a core setting): the member's
 * decision level grows with the periods it has scored, k / P, as 1 + grow · ln(1 + k / P) (its score,
 * unfloored, is divided by that, then floored at 3 as the default's member is).
 */
class SweepCore {
  readonly core: SeasonalChangeCore;
  private readonly grow: number;
  private k = 0;
  constructor(s: SeasonalChangeSettings & { grow?: number }) {
    const { grow = 0, ...rest } = s;
    this.grow = grow;
    this.core = new SeasonalChangeCore(grow > 0 ? { ...rest, floor: 0 } : rest);
  }
  get period(): number {
    return this.core.period > 0 ? this.core.period : this.core.s.late ? 1 : 0;
  }
  fit(t: Float64Array, v: Float64Array): void {
    this.core.fit(t, v);
    this.k = 0;
  }
  scoreRow(t: number, v: number): number {
    const s = this.core.scoreRow(t, v);
    if (!(this.grow > 0)) return s;
    if (this.core.period > 0) this.k++;
    const x = s / (1 + this.grow * Math.log1p(this.k / Math.max(1, this.core.period)));
    return Math.abs(x) < DEFAULT_SEASONAL_FLOOR ? 0 : x;
  }
}

const diagRows: string[] = [];
await memberBesideDefaultSweep<SeasonalChangeSettings>({
  argv,
  diff: flags.has('--diff'),
  defaults: ['none'],
  usage: "usage: freq25-sweep.ts [--diag] [--diff] <cacheDir> NAME=DIR,… … -- none '{…}'…",
  core: (o) => new SweepCore({ ...SEASONAL_CHANGE_DEFAULTS, floor: DEFAULT_SEASONAL_FLOOR, ...o }),
  detector: () => {
    throw new Error('freq25-sweep: a second member is replayed only (no streamed detector to check against)');
  },
  checks: 0,
  maximise: 'found',
  cache: DEFAULT22_CACHE,
  onFile: (f, k, _alarm, found) => {
    if (!flags.has('--diag') || k !== 0) return;
    for (const [wi, w] of f.ws.entries()) {
      if (w.kind !== 'frequencyChange') continue;
      const { t, v, p, score } = f;
      const name = f.file.replace(/\.csv$/, '');
      const g = twin(f.corpus, f.file);
      const sigma = g ? g.sigma : Number.NaN;
      const until = g?.windows[0]?.until ?? w.end;
      let eff = 0;
      let sq = 0;
      let cnt = 0;
      let peak = 0;
      for (let i = p; i < t.length; i++) {
        if (t[i] >= w.onset && t[i] <= until && g) {
          const d = Math.abs(v[i] - g.v[i]) / sigma;
          eff = Math.max(eff, d);
          sq += d * d;
          cnt++;
        }
        if (t[i] >= w.onset && t[i] <= w.end) peak = Math.max(peak, Math.abs(score[i]));
      }
      // the default's own seasonal member, unfloored, and its state
      const core = new SeasonalChangeCore({
        ...SEASONAL_CHANGE_DEFAULTS,
        floor: 0,
        late: { ...SEASONAL_LATE_DEFAULTS, ...DEFAULT_SEASONAL_LATE },
      });
      core.fit(t.subarray(0, p), v.subarray(0, p));
      let state = core.period > 0 ? `on P=${core.period}` : `off (${core.off})`;
      const fromTraining = core.period > 0;
      let inW = 0;
      let outW = 0;
      let armedAt = -1;
      let outAt = Number.NaN;
      for (let i = p; i < t.length; i++) {
        const s = Math.abs(core.scoreRow(t[i], v[i]));
        if (armedAt < 0 && !fromTraining && core.period > 0) armedAt = i;
        if (t[i] >= w.onset && t[i] <= w.end) inW = Math.max(inW, s);
        else if (s > outW) {
          outW = s;
          outAt = t[i];
        }
      }
      if (armedAt >= 0)
        state = `late P=${core.period} at ${((t[armedAt] - w.onset) / DAY).toFixed(2)} d from onset`;
      else if (!fromTraining) state = `never (${core.off})`;
      const step = (t[1] - t[0]) / 60_000;
      diagRows.push(
        `${found[wi] ? 'found' : 'missed'} ${f.corpus.split('/').pop()} ${name} step ${step} min train ${((t[p - 1] - t[0]) / DAY).toFixed(2)} d, change ${((until - w.onset) / DAY).toFixed(2)} d, window end ${((w.end - w.onset) / DAY).toFixed(2)} d after onset: size ${eff.toFixed(1)} σ max ${Math.sqrt(sq / Math.max(1, cnt)).toFixed(1)} σ rms, today's peak ${peak.toFixed(2)}, member ${state}${core.period > 0 ? ` ${inW.toFixed(2)} in / ${outW.toFixed(2)} out (at ${((outAt - w.onset) / DAY).toFixed(2)} d from onset)` : ''}`,
      );
    }
  },
});
for (const r of diagRows) process.stdout.write(`${r}\n`);
