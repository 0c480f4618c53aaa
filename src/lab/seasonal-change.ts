/**
 * Round 10 of docs/evaluation.md: a member for **frequency and seasonality changes** that stays quiet
 * on level steps (a weekend's level, a shift) and is off where the training part shows no repeated cycle.
 *
 * The statistic: with P the training part's checked period (`checkedPeriod`, snapped to the calendar)
 * and a lag L (a fraction of P, at least 1 point), the seasonal difference of L-point differences
 *
 *   r_s = (x_s − x_{s−L}) − (x_{s−P} − x_{s−P−L}),
 *
 * the residual of a seasonal-difference model (for L = 1, the (0,1,0)(0,1,0)_P "airline without MA
 * terms" model of Box and Jenkins). A cycle that repeats leaves r at the noise; a cycle that runs faster
 * or slower than a period ago makes |r| large for as long as it lasts (and one period more). A level
 * step of size h makes r = h on L points at the step and −h on L points a period later, nothing else.
 * The score is a low quantile (the median by default) of |r| over the last W points (W a fraction of P,
 * W > 2L), so a step, a spike or a missing stretch, which touch at most L (or spikeLen + L) points of
 * the window, cannot move it, while a changed cycle, which moves most of them, does. It is divided by
 * the same statistic's typical training value and scaled so that `ratio` times the typical value scores
 * the alarm threshold 3.
 *
 * Values are placed by time on the training grid (slot = round((t − t₀) / step)), so rows missing from
 * the data make r undefined at those slots (and a period later) instead of shifting the lags.
 *
 * Off (score 0 everywhere, nothing stored per point) when: the training part is not on a regular grid,
 * has no checked period, or covers fewer than `minPeriods` whole periods.
 *
 * Hot path: typed rings, no per-point allocation.
 */
import { calendarPeriodMs, checkedPeriod, median } from '../detectors/discord/period.js';
import { toSeries } from '../detectors/input.js';
import type {
  AlarmEvent,
  Detector,
  ModelJson,
  ScoreOptions,
  SeriesLike,
  StreamScorer,
  TrainOptions,
} from '../detectors/types.js';
import { DetectorError } from '../errors.js';
import type { TimeSeries } from '../series/types.js';
import { meanDefault } from './candidates.js';
import { flatLineOnset, maxWithRule, meanOfThree } from './candidates-kinds.js';
import type { Recipe } from './recipes.js';

export interface SeasonalChangeSettings {
  /** L as a fraction of the period (L = max(1, round(P · lagFrac))). 0 means L = 1. */
  readonly lagFrac: number;
  /** W as a fraction of the period (W = max(minWindow, round(P · windowFrac))). */
  readonly windowFrac: number;
  /** The least W. */
  readonly minWindow: number;
  /** The quantile of |r| over the window (0.5: the median). */
  readonly quantile: number;
  /** Score 3 at `ratio` × the statistic's typical (median) training value. */
  readonly ratio: number;
  /** The least whole periods the training part must cover. */
  readonly minPeriods: number;
  /** The least period in points (the lag and the window are fractions of it). */
  readonly minPeriodPoints: number;
  /** Reference of the training statistic: its median (`median`) or its maximum (`max`). */
  readonly reference: 'median' | 'max';
  /** The window statistic: the `quantile` of |r| (`quantile`) or the mean of the |r| below it (`trimmed`). */
  readonly stat: 'quantile' | 'trimmed';
  /** Periods back the reference difference averages over (those defined; 1: a period ago only). */
  readonly periods: number;
  /** Scores below this are 0 (round 10b: 3, the member speaks only at the alarm level; 0: never). */
  readonly floor: number;
}

export const SEASONAL_CHANGE_DEFAULTS: SeasonalChangeSettings = {
  lagFrac: 1 / 4,
  windowFrac: 1,
  minWindow: 24,
  quantile: 0.5,
  ratio: 3.5,
  minPeriods: 2,
  minPeriodPoints: 24,
  reference: 'median',
  stat: 'quantile',
  periods: 2,
  floor: 0,
};

/** The median step of `t` and whether (nearly) every step is a whole multiple of it. */
export function gridStep(t: Float64Array): { step: number; regular: boolean } {
  const n = t.length;
  if (n < 3) return { step: 0, regular: false };
  const d = new Float64Array(n - 1);
  for (let i = 1; i < n; i++) d[i - 1] = t[i] - t[i - 1];
  const step = median(d);
  if (!(step > 0)) return { step: 0, regular: false };
  let ok = 0;
  for (let i = 0; i < d.length; i++) {
    const k = d[i] / step;
    if (k >= 0.99 && Math.abs(k - Math.round(k)) <= 0.01) ok++;
  }
  return { step, regular: ok >= 0.95 * d.length };
}

export class SeasonalChangeCore {
  /** Period, lag and window in grid slots (0: off). */
  period = 0;
  lag = 0;
  window = 0;
  step = 0;
  t0 = 0;
  /** Divides the window statistic: 3 at `ratio` × the training reference. */
  private scale = 0;
  /** Ring of values by slot (size period + lag + 1) and the slot each holds. */
  private vals = new Float64Array(0);
  private slots = new Float64Array(0);
  /** Ring of the last `window` |r| (NaN when undefined) and a sorted copy of its defined values. */
  private win = new Float64Array(0);
  private sorted = new Float64Array(0);
  private nSorted = 0;
  private winPos = 0;
  private lastSlot = Number.NEGATIVE_INFINITY;
  /** Why the member is off ('' when on). */
  off = '';
  /** Scratch copies for `peekRow` (allocated once). */
  private spareWin = new Float64Array(0);
  private spareSorted = new Float64Array(0);

  constructor(readonly s: SeasonalChangeSettings = SEASONAL_CHANGE_DEFAULTS) {}

  /** Learns the grid, period and scale from the training part; returns the training scores. */
  fit(t: Float64Array, v: Float64Array): Float64Array {
    const n = t.length;
    const out = new Float64Array(n);
    this.period = 0;
    const g = gridStep(t);
    if (!g.regular) {
      this.off = 'irregular grid';
      return out;
    }
    const p = checkedPeriod(v);
    if (!(p > 0)) {
      this.off = 'no period';
      return out;
    }
    const pms = calendarPeriodMs(p, g.step);
    const P = Math.round(pms / g.step);
    if (P < this.s.minPeriodPoints) {
      this.off = `period of ${P} points`;
      return out;
    }
    if (t[n - 1] - t[0] + g.step < this.s.minPeriods * P * g.step) {
      this.off = `fewer than ${this.s.minPeriods} periods`;
      return out;
    }
    this.off = '';
    this.step = g.step;
    this.t0 = t[0];
    this.period = P;
    this.lag = this.s.lagFrac > 0 ? Math.max(1, Math.round(P * this.s.lagFrac)) : 1;
    this.window = Math.max(this.s.minWindow, Math.round(P * this.s.windowFrac));
    const R = this.s.periods * P + this.lag + 1;
    this.vals = new Float64Array(R);
    this.slots = new Float64Array(R).fill(Number.NEGATIVE_INFINITY);
    this.win = new Float64Array(this.window).fill(Number.NaN);
    this.sorted = new Float64Array(this.window);
    this.nSorted = 0;
    this.winPos = 0;
    this.lastSlot = Number.NEGATIVE_INFINITY;
    // the training statistic, unscaled
    const stat = new Float64Array(n);
    let m = 0;
    for (let i = 0; i < n; i++) {
      const x = this.step1(t[i], v[i]);
      if (x >= 0) stat[m++] = x;
    }
    let ref = 0;
    if (m > 0) {
      const st = stat.subarray(0, m);
      ref = this.s.reference === 'max' ? st.reduce((a, b) => Math.max(a, b), 0) : median(st);
    }
    this.scale = ref > 0 ? 3 / (this.s.ratio * ref) : 0;
    if (!(ref > 0)) {
      this.off = 'no training statistic';
      this.period = 0;
    }
    return out;
  }

  /** An independent copy (a stream's own state). */
  clone(): SeasonalChangeCore {
    const c = new SeasonalChangeCore(this.s);
    c.period = this.period;
    c.lag = this.lag;
    c.window = this.window;
    c.step = this.step;
    c.t0 = this.t0;
    c.scale = this.scale;
    c.vals = this.vals.slice();
    c.slots = this.slots.slice();
    c.win = this.win.slice();
    c.sorted = this.sorted.slice();
    c.nSorted = this.nSorted;
    c.winPos = this.winPos;
    c.lastSlot = this.lastSlot;
    c.off = this.off;
    return c;
  }

  /** The score 3 stands for, in units of the training statistic's reference (0 when off). */
  get scaleFactor(): number {
    return this.scale;
  }

  /** Scores one point (and learns it). */
  scoreRow(t: number, v: number): number {
    if (this.period === 0) return 0;
    const x = this.step1(t, v);
    return this.out(x);
  }

  /** The score of a window statistic (−1: none). */
  private out(x: number): number {
    const y = x >= 0 ? x * this.scale : 0;
    return y >= this.s.floor ? y : 0;
  }

  /** The score `scoreRow` would give, changing nothing (the state it touches is saved and put back). */
  peekRow(t: number, v: number): number {
    if (this.period === 0) return 0;
    if (this.spareWin.length !== this.window) {
      this.spareWin = new Float64Array(this.window);
      this.spareSorted = new Float64Array(this.window);
    }
    this.spareWin.set(this.win);
    this.spareSorted.set(this.sorted);
    const { winPos, nSorted, lastSlot } = this;
    const R = this.vals.length;
    const at = Math.round((t - this.t0) / this.step) % R;
    const val = at >= 0 ? this.vals[at] : 0;
    const sl = at >= 0 ? this.slots[at] : 0;
    const x = this.step1(t, v);
    this.win.set(this.spareWin);
    this.sorted.set(this.spareSorted);
    this.winPos = winPos;
    this.nSorted = nSorted;
    this.lastSlot = lastSlot;
    if (at >= 0) {
      this.vals[at] = val;
      this.slots[at] = sl;
    }
    return this.out(x);
  }

  /**
   * Places the point, updates the window of |r|; returns the window statistic (≥ 0) or −1 when the
   * window holds too few defined values.
   */
  private step1(t: number, v: number): number {
    const slot = Math.round((t - this.t0) / this.step);
    if (!(slot > this.lastSlot)) return -1;
    // slots skipped by a gap enter the window as undefined
    const skipped = Math.min(this.window, slot - this.lastSlot - 1);
    for (let k = 0; k < skipped && Number.isFinite(this.lastSlot); k++) this.pushR(Number.NaN);
    this.lastSlot = slot;
    const R = this.vals.length;
    const at = slot % R;
    this.vals[at] = v;
    this.slots[at] = slot;
    const L = this.lag;
    const P = this.period;
    const d = v - this.get(slot - L, R);
    let ref = 0;
    let m = 0;
    for (let j = 1; j <= this.s.periods; j++) {
      const e = this.get(slot - j * P, R) - this.get(slot - j * P - L, R);
      if (!Number.isNaN(e)) {
        ref += e;
        m++;
      }
    }
    const r = m > 0 ? d - ref / m : Number.NaN;
    this.pushR(Number.isNaN(r) ? Number.NaN : Math.abs(r));
    if (this.nSorted * 2 < this.window) return -1;
    const q = this.s.quantile * (this.nSorted - 1);
    const lo = Math.floor(q);
    if (this.s.stat === 'trimmed') {
      let sum = 0;
      for (let i = 0; i <= lo; i++) sum += this.sorted[i];
      return sum / (lo + 1);
    }
    const hi = Math.min(this.nSorted - 1, lo + 1);
    return this.sorted[lo] + (q - lo) * (this.sorted[hi] - this.sorted[lo]);
  }

  private get(slot: number, R: number): number {
    if (slot < 0) return Number.NaN;
    const k = slot % R;
    return this.slots[k] === slot ? this.vals[k] : Number.NaN;
  }

  /** Pushes one |r| (NaN: undefined) into the window ring and keeps the sorted copy. */
  private pushR(x: number): void {
    const old = this.win[this.winPos];
    this.win[this.winPos] = x;
    this.winPos = (this.winPos + 1) % this.window;
    const s = this.sorted;
    if (!Number.isNaN(old)) {
      // remove one copy of `old`
      let lo = 0;
      let hi = this.nSorted;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (s[mid] < old) lo = mid + 1;
        else hi = mid;
      }
      s.copyWithin(lo, lo + 1, this.nSorted);
      this.nSorted--;
    }
    if (!Number.isNaN(x)) {
      let lo = 0;
      let hi = this.nSorted;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (s[mid] < x) lo = mid + 1;
        else hi = mid;
      }
      s.copyWithin(lo + 1, lo, this.nSorted);
      s[lo] = x;
      this.nSorted++;
    }
  }
}

/**
 * A lab detector around `SeasonalChangeCore`: trained on a training part, it scores each later point
 * (and learns it) as a stream does. `score()` runs on a copy. No alarm rule of its own (an ensemble
 * member); its model file is not loadable (lab only).
 */
export class SeasonalChangeDetector implements Detector<SeasonalChangeSettings> {
  readonly type = 'SeasonalChangeDetector';
  readonly config: Readonly<SeasonalChangeSettings>;
  private core: SeasonalChangeCore | null = null;

  constructor(settings: Partial<SeasonalChangeSettings> = {}) {
    this.config = Object.freeze({ ...SEASONAL_CHANGE_DEFAULTS, ...settings });
  }

  /** The trained core (null before training). */
  get trained(): SeasonalChangeCore | null {
    return this.core;
  }

  private need(what: string): SeasonalChangeCore {
    if (!this.core)
      throw new DetectorError('not_trained', `SeasonalChangeDetector.${what}: call train() first`);
    return this.core;
  }

  train(ts: SeriesLike, _opts?: TrainOptions): TimeSeries {
    const s = toSeries(ts, 'SeasonalChangeDetector.train');
    this.core = new SeasonalChangeCore(this.config);
    return { t: s.t, v: this.core.fit(s.t, s.v) };
  }

  score(ts: SeriesLike, _opts?: ScoreOptions): TimeSeries {
    const s = toSeries(ts, 'SeasonalChangeDetector.score');
    const c = this.need('score').clone();
    const v = new Float64Array(s.t.length);
    for (let i = 0; i < v.length; i++) v[i] = c.scoreRow(s.t[i], s.v[i]);
    return { t: s.t, v };
  }

  detect(ts: SeriesLike, opts?: ScoreOptions): { scores: TimeSeries; alarms: AlarmEvent[] } {
    return { scores: this.score(ts, opts), alarms: [] };
  }

  update(ts: SeriesLike): void {
    const s = toSeries(ts, 'SeasonalChangeDetector.update');
    const c = this.need('update');
    for (let i = 0; i < s.t.length; i++) c.scoreRow(s.t[i], s.v[i]);
  }

  stream(): StreamScorer {
    const c = this.need('stream').clone();
    return {
      push: (t, v) => ({ score: c.scoreRow(t, v), alarm: false, reset: false }),
      scoreOne: (t, v) => c.peekRow(t, v),
      learnOne: (t, v) => {
        c.scoreRow(t, v);
      },
      toJSON: () => this.toJSON(),
    };
  }

  toJSON(): ModelJson {
    const c = this.core;
    return {
      format: 'tsad-model',
      version: 1,
      type: this.type,
      config: { ...this.config },
      state: c ? { period: c.period, lag: c.lag, window: c.window, step: c.step, off: c.off } : null,
    };
  }
}

/**
 * Round 10: `defaultDetector()` unchanged (the mean of ETS, RandomCutForest and ZMS; the flat-line onset
 * member) beside the seasonal-change member, by the maximum, the default alarm rule.
 */
export function seasonalDefault(seed = 0, settings: Partial<SeasonalChangeSettings> = {}) {
  return maxWithRule(
    [
      meanOfThree([...meanDefault({ seed }).members], seed),
      flatLineOnset(seed),
      new SeasonalChangeDetector(settings),
    ],
    seed,
  );
}

/** The recipes of round 10 (registered in `RECIPES`, src/lab/recipes.ts). */
export const SEASONAL_RECIPES: Readonly<Record<string, Recipe>> = Object.freeze({
  defaultSeasonal: {
    build: (o) => seasonalDefault(o.seed ?? 0),
    mapping: 'online',
    description:
      'candidate (round 10): default + a seasonal difference of lag-P/4 differences, median over a period, maximum',
  },
  defaultSeasonalAlarm: {
    build: (o) => seasonalDefault(o.seed ?? 0, { floor: 3 }),
    mapping: 'online',
    description: 'candidate (round 10b): defaultSeasonal with the member 0 below its alarm level 3',
  },
});
