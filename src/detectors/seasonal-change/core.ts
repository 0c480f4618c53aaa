/**
 * Seasonal-change core (docs/detectors-quality.md, "Seasonal change"; measured in docs/evaluation.md,
 * rounds 10–10c): a changed **cycle** (frequency or seasonality change) that stays quiet on level steps
 * (a weekend's level, a shift) and is off where the training part shows no repeated cycle.
 *
 * The statistic: with P the training part's checked period (`checkedPeriod`, snapped to the calendar)
 * and a lag L (a fraction of P, at least 1 point), the seasonal difference of L-point differences
 *
 *   r_s = (x_s − x_{s−L}) − mean over k = 1..K of (x_{s−kP} − x_{s−kP−L})
 *
 * (the K reference periods that exist). For L = 1 and K = 1 this is the residual of the seasonal
 * ARIMA (0,1,0)(0,1,0)_P model (Box and Jenkins). A cycle that repeats leaves r at the noise; a cycle
 * that runs faster or slower than before makes |r| large for as long as it lasts (and a period more). A
 * level step of size h makes r = h on L points at the step and −h/K on L points one to K periods later,
 * nothing else. The score is a low quantile (the median by default) of |r| over the last W points (W a
 * fraction of P, W > 2L), so a step, a spike or a missing stretch, which touch at most L (or spikeLen +
 * L) points of the window, cannot move it, while a changed cycle, which moves most of them, does. It is
 * divided by the same statistic's typical training value and scaled so that `ratio` times the typical
 * value scores the alarm threshold 3; scores below `floor` are 0.
 *
 * Values are placed by time on the training grid (slot = round((t − t₀) / step)), so rows missing from
 * the data make r undefined at those slots (and a period later) instead of shifting the lags.
 *
 * Off (score 0 everywhere, nothing stored per point) when: the training part is not on a regular grid,
 * has no checked period, a period shorter than `minPeriodPoints`, or covers fewer than `minPeriods`
 * whole periods. With `late` settings (round 12a, off by default) a member off on a regular training grid
 * keeps a bounded ring of the stream's values by slot and checks it for a period every `every` points (at
 * most `checks` times); it arms with a calendar period of at most `maxPeriod` points once the ring spans
 * `minPeriods` whole periods, set up over the ring exactly as training sets it up over the training part
 * (`arm`), and scores 0 until the point after. With `late.lookback` (round 15a, off by default) a member
 * armed late flags the window of every point it scores at or above 3 and takes its reference periods
 * from the first `periods` unflagged ones among the last `periods + lookback`.
 *
 * Hot path: typed rings, no per-point allocation. Contract-agnostic: `fit`, `scoreRow`, `peekRow`,
 * `state`/`restore`; the spec detector is detector.ts.
 */
import { ModelFormatError } from '../../errors.js';
import { quantileSorted } from '../../math/quantile.js';
import { CALENDAR_PERIODS_MS, calendarPeriodMs, checkedPeriod, median } from '../discord/period.js';
import { decodeFloat, decodeFloats, decodeInts, encodeFloat, encodeFloats, field } from '../json.js';
import type { JsonValue } from '../types.js';

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
  /** Late arming (round 12a) when the training part shows no period, or `null`: off stays off. */
  readonly late: SeasonalLateSettings | null;
}

/**
 * Late arming (docs/evaluation.md, round 12a): when the training part is on a regular grid but the
 * member is off, it keeps the last `(minPeriods + 1) × maxPeriod` grid slots of the stream in a ring and
 * every `every` points (at most `checks` times) looks for a period there with the same check `fit` uses.
 */
export interface SeasonalLateSettings {
  /** The longest period it may arm with, in points (the history ring holds minPeriods + 1 of them). */
  readonly maxPeriod: number;
  /** The least whole periods the history must span before it arms (the period check needs 3). */
  readonly minPeriods: number;
  /** Points between two checks. */
  readonly every: number;
  /** The most checks; then the member stays off and drops its history. */
  readonly checks: number;
  /**
   * Round 13a: a floor on the reference learnt at late arming, as a fraction of the cycle's spread in
   * the history it arms on (the interquartile range of those values): the reference used is
   * max(median statistic, `refFloor` × IQR). Absent or 0: none (round 12a's member, bit for bit). It
   * only ever lowers the member's scores (a reference of 0 stays "no training statistic", as before).
   */
  readonly refFloor?: number;
  /**
   * Round 15a: a member armed late marks the slots it has flagged (the window of every point it scores
   * at or above the alarm level 3) and takes its reference differences from the first `periods`
   * unflagged periods among the last `periods + lookback` (its value ring holds that many). Absent or 0:
   * none (the member of rounds 12a/13a, bit for bit). Applies to a member armed late only.
   */
  readonly lookback?: number;
  /**
   * Round 15a, with `lookback`: `clean` (absent) compares with the unflagged periods only; `either` takes
   * the smaller |r| of the two comparisons, the recent periods (as without a lookback) and the unflagged
   * ones, so a point alarms only if it departs from both (a cycle that comes back in phase after a flagged
   * stretch is quiet at once, one that stays shifted is quiet after `periods` periods as before).
   */
  readonly lookbackRule?: 'clean' | 'either';
  /**
   * Round 21a: a member armed late reports in alarm episodes. A score at the alarm level (3) outside an
   * episode opens one of `refractory` scored points; only its first `burst` points keep their scores, the
   * rest score 0. Absent or 0: none (the member of rounds 12a–15a, bit for bit). Applies to a member
   * armed late only.
   */
  readonly refractory?: number;
  /** Round 21a, with `refractory`: the points at the start of an episode that keep their score (default 1). */
  readonly burst?: number;
}

export const SEASONAL_LATE_DEFAULTS: SeasonalLateSettings = {
  maxPeriod: 300,
  minPeriods: 3,
  every: 96,
  checks: 24,
};

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
  late: null,
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
  private vals: Float64Array = new Float64Array(0);
  private slots: Float64Array = new Float64Array(0);
  /** Ring of the last `window` |r| (NaN when undefined) and a sorted copy of its defined values. */
  private win: Float64Array = new Float64Array(0);
  private sorted: Float64Array = new Float64Array(0);
  private nSorted = 0;
  private winPos = 0;
  private lastSlot = Number.NEGATIVE_INFINITY;
  /**
   * Round 15a (`late.lookback`, a member armed late only): extra periods the reference may reach back
   * past flagged ones (0: none), a ring of flags beside `vals` (1: that slot was flagged; empty when
   * none) and the last slot marked.
   */
  private back = 0;
  private either = false;
  private flags: Uint8Array = new Uint8Array(0);
  private flagUpTo = Number.NEGATIVE_INFINITY;
  /**
   * Round 21a (`late.refractory`, a member armed late only): the episode length in effect (0: none) and
   * the scored points since the current episode opened (≥ `epLen`: none open).
   */
  private epLen = 0;
  private since = 0;
  /** Why the member is off ('' when on). */
  off = '';
  /**
   * Late arming (settings `late`): the history ring of values by grid slot (NaN: none; empty when not
   * waiting), the training grid, the last slot placed, checks made, points since the last check.
   */
  private hist: Float64Array = new Float64Array(0);
  private hStep = 0;
  private hT0 = 0;
  private hLast = Number.NEGATIVE_INFINITY;
  private hChecks = 0;
  private hSince = 0;
  /** Scratch copies for `peekRow` (allocated once). */
  private spareWin = new Float64Array(0);
  private spareSorted = new Float64Array(0);

  constructor(readonly s: SeasonalChangeSettings = SEASONAL_CHANGE_DEFAULTS) {}

  /**
   * Learns the grid, period and scale from the training part (times `t`, values `v`) and returns the
   * training points' own scores (0 where the window is not yet half full, and everywhere when off).
   */
  fit(t: Float64Array, v: Float64Array): Float64Array {
    const n = t.length;
    const out = new Float64Array(n);
    this.turnOff('');
    this.dropHistory();
    const g = gridStep(t);
    if (!g.regular) {
      this.turnOff('irregular grid');
      return out;
    }
    const why = this.arm(t, v, g.step, t[0], out, false);
    if (why !== '') {
      this.turnOff(why);
      if (this.s.late) this.startHistory(t, v, g.step, t[0], this.s.late);
    }
    return out;
  }

  /**
   * Looks for the period in `v` (times `t`, on the grid of `step` from `t0`) and, when it passes, sets
   * the member up from these points: rings, window, and the scale from the median of the statistic
   * over them (the training reference). Writes each point's own score into `out` when given. Returns
   * '' when on, else why not (the member is then in an undefined state: the caller turns it off).
   * `late`: the stream's history, not the training part (a calendar period, at most `maxPeriod`, at
   * least the late `minPeriods` whole periods).
   */
  private arm(
    t: Float64Array,
    v: Float64Array,
    step: number,
    t0: number,
    out: Float64Array | null,
    late: boolean,
  ): string {
    const n = t.length;
    const p = checkedPeriod(v);
    if (!(p > 0)) return 'no period';
    const pms = calendarPeriodMs(p, step);
    if (late && !CALENDAR_PERIODS_MS.includes(pms))
      return `period of ${p} points is not an hour, a day or a week`;
    const P = Math.round(pms / step);
    if (P < this.s.minPeriodPoints) return `period of ${P} points`;
    const lateSettings = this.s.late;
    if (late && lateSettings && P > lateSettings.maxPeriod) return `period of ${P} points > maxPeriod`;
    const need = late && lateSettings ? lateSettings.minPeriods : this.s.minPeriods;
    if (t[n - 1] - t[0] + step < need * P * step) return `fewer than ${need} periods`;
    this.step = step;
    this.t0 = t0;
    this.period = P;
    this.lag = this.s.lagFrac > 0 ? Math.max(1, Math.round(P * this.s.lagFrac)) : 1;
    this.window = Math.max(this.s.minWindow, Math.round(P * this.s.windowFrac));
    // round 15a: a member armed late with a lookback keeps `lookback` more periods and a ring of flags
    this.back = late && lateSettings ? (lateSettings.lookback ?? 0) : 0;
    this.either = this.back > 0 && lateSettings?.lookbackRule === 'either';
    // round 21a: a member armed late with a refractory period reports in episodes
    this.epLen = late && lateSettings ? (lateSettings.refractory ?? 0) : 0;
    this.since = this.epLen;
    const R = (this.s.periods + this.back) * P + this.lag + 1;
    this.flags = new Uint8Array(this.back > 0 ? R : 0);
    this.flagUpTo = Number.NEGATIVE_INFINITY;
    this.vals = new Float64Array(R);
    this.slots = new Float64Array(R).fill(Number.NEGATIVE_INFINITY);
    this.win = new Float64Array(this.window).fill(Number.NaN);
    this.sorted = new Float64Array(this.window);
    this.nSorted = 0;
    this.winPos = 0;
    this.lastSlot = Number.NEGATIVE_INFINITY;
    // the statistic, unscaled (−1: none), and its defined values
    const stat = new Float64Array(n);
    const defined = new Float64Array(n);
    let m = 0;
    for (let i = 0; i < n; i++) {
      const x = this.step1(t[i], v[i]);
      stat[i] = x;
      if (x >= 0) defined[m++] = x;
    }
    let ref = 0;
    if (m > 0) {
      const st = defined.subarray(0, m);
      ref = this.s.reference === 'max' ? st.reduce((a, b) => Math.max(a, b), 0) : median(st);
    }
    if (!(ref > 0)) return 'no training statistic';
    // round 13a: on a near-noiseless cycle the stream's reference is tiny; at least refFloor × the spread
    const rf = late && lateSettings ? (lateSettings.refFloor ?? 0) : 0;
    if (rf > 0) ref = Math.max(ref, rf * interquartileRange(v));
    this.scale = 3 / (this.s.ratio * ref);
    // (what `restore` accepts: a tiny `ratio` against a tiny statistic goes above it, an infinite
    // reference to 0)
    if (!(this.scale > 0 && this.scale <= 1e300)) return 'no usable scale';
    this.off = '';
    if (out) for (let i = 0; i < n; i++) out[i] = this.out(stat[i]);
    return '';
  }

  /** Starts the late-arming history from the training part (its last slots, by time). */
  private startHistory(
    t: Float64Array,
    v: Float64Array,
    step: number,
    t0: number,
    late: SeasonalLateSettings,
  ): void {
    this.hist = new Float64Array((late.minPeriods + 1) * late.maxPeriod).fill(Number.NaN);
    this.hStep = step;
    this.hT0 = t0;
    this.hLast = Number.NEGATIVE_INFINITY;
    this.hChecks = 0;
    this.hSince = 0;
    for (let i = 0; i < t.length; i++) this.place(t[i], v[i]);
    this.hSince = 0;
  }

  private dropHistory(): void {
    this.hist = new Float64Array(0);
    this.hStep = 0;
    this.hT0 = 0;
    this.hLast = Number.NEGATIVE_INFINITY;
    this.hChecks = 0;
    this.hSince = 0;
  }

  /** Places one point in the history ring by its grid slot (a later slot only; skipped slots: NaN). */
  private place(t: number, v: number): boolean {
    const slot = Math.round((t - this.hT0) / this.hStep);
    // a slot beyond 2^53 (a damaged step or origin) cannot be counted past: such points are not kept
    if (!(slot > this.hLast) || !(slot <= Number.MAX_SAFE_INTEGER)) return false;
    const h = this.hist;
    const H = h.length;
    if (Number.isFinite(this.hLast)) {
      for (let s = this.hLast + 1, k = 0; s < slot && k < H; s++, k++) h[s % H] = Number.NaN;
    }
    h[slot % H] = v;
    this.hLast = slot;
    this.hSince++;
    return true;
  }

  /**
   * While off with a history: learns the point, and every `every` points (once the history spans
   * `minPeriods` × `minPeriodPoints` slots, at most `checks` times) checks the history for a period;
   * on success the member arms from the history (its scale learnt there) and speaks from the next point.
   */
  private waitRow(t: number, v: number): void {
    const late = this.s.late;
    if (!late || !this.place(t, v)) return;
    if (this.hSince < late.every) return;
    // a check is due, but the history may still be too short for one: the count stays at `every` (what
    // `restore` accepts; the check then comes at the first point the history is long enough, as before)
    this.hSince = late.every;
    if (this.hLast + 1 < late.minPeriods * this.s.minPeriodPoints) return;
    this.hSince = 0;
    this.hChecks++;
    const H = this.hist.length;
    const first = Math.max(0, this.hLast - H + 1);
    let m = 0;
    for (let s = first; s <= this.hLast; s++) if (!Number.isNaN(this.hist[s % H])) m++;
    const ht = new Float64Array(m);
    const hv = new Float64Array(m);
    let j = 0;
    for (let s = first; s <= this.hLast; s++) {
      const x = this.hist[s % H];
      if (Number.isNaN(x)) continue;
      ht[j] = this.hT0 + s * this.hStep;
      hv[j++] = x;
    }
    const why = m >= 3 ? this.arm(ht, hv, this.hStep, this.hT0, null, true) : 'too few points';
    if (why === '') {
      this.dropHistory();
      return;
    }
    // (turnOff leaves the history alone)
    this.turnOff(this.off);
    if (this.hChecks >= late.checks) {
      this.dropHistory();
      this.off = `${this.off}; no period in the stream after ${late.checks} checks`;
    }
  }

  /** Off, for `why` ('' while fitting): no period, no stored values. */
  private turnOff(why: string): void {
    this.off = why;
    this.period = 0;
    this.lag = 0;
    this.window = 0;
    this.step = 0;
    this.t0 = 0;
    this.scale = 0;
    this.vals = new Float64Array(0);
    this.slots = new Float64Array(0);
    this.win = new Float64Array(0);
    this.sorted = new Float64Array(0);
    this.nSorted = 0;
    this.winPos = 0;
    this.lastSlot = Number.NEGATIVE_INFINITY;
    this.back = 0;
    this.either = false;
    this.flags = new Uint8Array(0);
    this.flagUpTo = Number.NEGATIVE_INFINITY;
    this.epLen = 0;
    this.since = 0;
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
    c.back = this.back;
    c.either = this.either;
    c.flags = this.flags.slice();
    c.flagUpTo = this.flagUpTo;
    c.epLen = this.epLen;
    c.since = this.since;
    c.off = this.off;
    c.hist = this.hist.slice();
    c.hStep = this.hStep;
    c.hT0 = this.hT0;
    c.hLast = this.hLast;
    c.hChecks = this.hChecks;
    c.hSince = this.hSince;
    return c;
  }

  /** The fitted state as plain JSON (`restore` reads it back; the sorted copy is rebuilt from the window). */
  state(): JsonValue {
    return {
      off: this.off,
      num: encodeFloats([
        this.period,
        this.lag,
        this.window,
        this.step,
        this.t0,
        this.scale,
        this.winPos,
        this.lastSlot,
      ]),
      vals: encodeFloats(this.vals),
      slots: encodeFloats(this.slots),
      win: encodeFloats(this.win),
      // round 15a: only in a member armed late with a lookback (so every other state is as before)
      ...(this.back > 0 ? { skip: { upTo: encodeFloat(this.flagUpTo), flags: Array.from(this.flags) } } : {}),
      // round 21a: the episode position, only in a member armed late with a refractory period
      ...(this.epLen > 0 ? { ep: Math.min(this.since, this.epLen) } : {}),
      // only while waiting to arm late (so every other state is the one of the build before round 12a)
      ...(this.hist.length > 0
        ? {
            late: {
              num: encodeFloats([this.hStep, this.hT0, this.hLast, this.hChecks, this.hSince]),
              hist: encodeFloats(this.hist),
            },
          }
        : {}),
    };
  }

  /** Restores the late-arming history of `state()` (absent: none), checked against the settings. */
  private restoreHistory(state: unknown, path: string): void {
    this.dropHistory();
    if (state === null || typeof state !== 'object' || !('late' in state) || state.late === undefined) return;
    const p = `${path}.late`;
    const late = this.s.late;
    if (!late) {
      throw new ModelFormatError(
        'bad_field',
        `${p}: a late-arming history in a model whose config has no \`late\` settings (add them or drop the field)`,
      );
    }
    const [hStep, hT0, hLast, hChecks, hSince] = decodeFloats(field(state.late, 'num', p), `${p}.num`, 5);
    const hist = decodeFloats(field(state.late, 'hist', p), `${p}.hist`);
    const H = (late.minPeriods + 1) * late.maxPeriod;
    const isInt = (x: number, lo: number, hi: number) => Number.isInteger(x) && x >= lo && x <= hi;
    if (
      this.period !== 0 ||
      !(hStep > 0 && hStep <= 1e15) ||
      !(Math.abs(hT0) <= 1e15) ||
      !isInt(hLast, 0, 1e15) ||
      !isInt(hChecks, 0, late.checks - 1) ||
      !isInt(hSince, 0, late.every) ||
      hist.length !== H
    ) {
      throw new ModelFormatError(
        'bad_field',
        `${p}: expected a member that is off (period 0), num = [step > 0, |t0| ≤ 1e15, last slot ≥ 0, checks < ${late.checks}, points since the last check ≤ ${late.every}] and ${H} history values ((minPeriods + 1) × maxPeriod)`,
      );
    }
    for (let i = 0; i < H; i++) {
      if (!Number.isNaN(hist[i]) && !Number.isFinite(hist[i])) {
        throw new ModelFormatError('bad_field', `${p}.hist[${i}]: expected a finite value or "NaN"`);
      }
    }
    this.hist = hist;
    this.hStep = hStep;
    this.hT0 = hT0;
    this.hLast = hLast;
    this.hChecks = hChecks;
    this.hSince = hSince;
  }

  /** Restores `state()` output, checking every field against the settings; `path` names it in errors. */
  restore(state: unknown, path: string): void {
    const off = field(state, 'off', path);
    if (typeof off !== 'string' || off.length > 200) {
      throw new ModelFormatError('bad_field', `${path}.off: expected a string of at most 200 characters`);
    }
    const [period, lag, window, step, t0, scale, winPos, lastSlot] = decodeFloats(
      field(state, 'num', path),
      `${path}.num`,
      8,
    );
    const vals = decodeFloats(field(state, 'vals', path), `${path}.vals`);
    const slots = decodeFloats(field(state, 'slots', path), `${path}.slots`);
    const win = decodeFloats(field(state, 'win', path), `${path}.win`);
    const hasSkip =
      state !== null && typeof state === 'object' && 'skip' in state && state.skip !== undefined;
    const hasEp = state !== null && typeof state === 'object' && 'ep' in state && state.ep !== undefined;
    if (period === 0) {
      if (off === '' || vals.length + slots.length + win.length > 0 || hasSkip || hasEp) {
        throw new ModelFormatError(
          'bad_field',
          `${path}: a member that is off (period 0) says why (off) and stores no values (nor flags, nor an episode)`,
        );
      }
      this.turnOff(off);
      this.restoreHistory(state, path);
      return;
    }
    const isInt = (x: number, lo: number, hi: number) => Number.isInteger(x) && x >= lo && x <= hi;
    // round 15a: flags only in a member armed late whose config has a lookback
    const lookback = this.s.late?.lookback ?? 0;
    if (hasSkip && !(lookback > 0)) {
      throw new ModelFormatError(
        'bad_field',
        `${path}.skip: flags of a member armed late with a lookback, in a model whose config has no \`late.lookback\` (add it or drop the field)`,
      );
    }
    const back = hasSkip ? lookback : 0;
    // round 21a: an episode position only in a member armed late whose config has a refractory period
    const epLen = hasEp ? this.restoreEpisode((state as { ep: unknown }).ep, path) : 0;
    // either field marks a member armed late, which writes both when its config asks for both
    const refractory = this.s.late?.refractory ?? 0;
    if ((hasSkip && refractory > 0 && !hasEp) || (hasEp && lookback > 0 && !hasSkip)) {
      const [has, lacks] = hasSkip ? ['skip', 'ep'] : ['ep', 'skip'];
      throw new ModelFormatError(
        'bad_field',
        `${path}.${lacks}: a member armed late (it stores ${has}) under a config with both \`late.lookback\` and \`late.refractory\` stores both skip and ep; the file lacks ${lacks} (write it again from the model)`,
      );
    }
    const R = (this.s.periods + back) * period + lag + 1;
    if (
      off !== '' ||
      !isInt(period, 1, 1e7) ||
      !isInt(lag, 1, period) ||
      !isInt(window, 1, 1e7) ||
      !(step > 0 && step <= 1e15) ||
      !(Math.abs(t0) <= 1e15) ||
      !(scale > 0 && scale <= 1e300) ||
      !isInt(winPos, 0, window - 1) ||
      !(lastSlot === Number.NEGATIVE_INFINITY || isInt(lastSlot, 0, 1e15))
    ) {
      throw new ModelFormatError(
        'bad_field',
        `${path}.num: expected integers period ≥ 1, 1 ≤ lag ≤ period, window ≥ 1, 0 ≤ window position < window, a last slot ≥ 0 (or -Infinity), and 0 < step, 0 < scale, |t0| ≤ 1e15 (off must be '' when the period is set)`,
      );
    }
    if (vals.length !== R || slots.length !== R || win.length !== window) {
      throw new ModelFormatError(
        'bad_field',
        `${path}: expected ${R} values and slots ((periods + lookback when flags are stored) × period + lag + 1) and a window of ${window}, got ${vals.length}, ${slots.length} and ${win.length}`,
      );
    }
    let flags = new Uint8Array(0);
    let flagUpTo = Number.NEGATIVE_INFINITY;
    if (hasSkip) {
      const sk = (state as { skip: unknown }).skip;
      flagUpTo = decodeFloat(field(sk, 'upTo', `${path}.skip`), `${path}.skip.upTo`);
      if (!(flagUpTo === Number.NEGATIVE_INFINITY || (isInt(flagUpTo, 0, 1e15) && flagUpTo <= lastSlot))) {
        throw new ModelFormatError(
          'bad_field',
          `${path}.skip.upTo: expected -Infinity or a slot ≥ 0 no later than the last slot`,
        );
      }
      flags = Uint8Array.from(decodeInts(field(sk, 'flags', `${path}.skip`), `${path}.skip.flags`, 0, 1, R));
    }
    let nSorted = 0;
    for (let i = 0; i < R; i++) {
      const k = slots[i];
      if (!(k === Number.NEGATIVE_INFINITY || (isInt(k, 0, 1e15) && k % R === i && k <= lastSlot))) {
        throw new ModelFormatError(
          'bad_field',
          `${path}.slots[${i}]: expected -Infinity or a slot ≤ the last slot that falls at this ring position`,
        );
      }
      if (!Number.isFinite(vals[i]) && k !== Number.NEGATIVE_INFINITY) {
        throw new ModelFormatError('bad_field', `${path}.vals[${i}]: expected a finite value`);
      }
    }
    for (let i = 0; i < window; i++) {
      const x = win[i];
      if (Number.isNaN(x)) continue;
      if (!(x >= 0 && x <= Number.MAX_VALUE)) {
        throw new ModelFormatError('bad_field', `${path}.win[${i}]: expected a finite |r| ≥ 0 or "NaN"`);
      }
      nSorted++;
    }
    const sorted = new Float64Array(window);
    let j = 0;
    for (let i = 0; i < window; i++) if (!Number.isNaN(win[i])) sorted[j++] = win[i];
    sorted.subarray(0, nSorted).sort();
    this.off = '';
    this.period = period;
    this.lag = lag;
    this.window = window;
    this.step = step;
    this.t0 = t0;
    this.scale = scale;
    this.vals = vals;
    this.slots = slots;
    this.win = win;
    this.sorted = sorted;
    this.nSorted = nSorted;
    this.winPos = winPos;
    this.lastSlot = lastSlot;
    this.back = back;
    this.either = back > 0 && this.s.late?.lookbackRule === 'either';
    this.flags = flags;
    this.flagUpTo = flagUpTo;
    this.epLen = epLen;
    this.since = hasEp ? (state as { ep: number }).ep : 0;
    this.restoreHistory(state, path);
  }

  /** Checks a stored episode position `ep` against the settings; returns the episode length in effect. */
  private restoreEpisode(ep: unknown, path: string): number {
    const E = this.s.late?.refractory ?? 0;
    if (!(E > 0)) {
      throw new ModelFormatError(
        'bad_field',
        `${path}.ep: an alarm episode of a member armed late, in a model whose config has no \`late.refractory\` (add it or drop the field)`,
      );
    }
    if (typeof ep !== 'number' || !Number.isInteger(ep) || ep < 0 || ep > E) {
      throw new ModelFormatError(
        'bad_field',
        `${path}.ep: expected an integer from 0 to the refractory period ${E} (points since the alarm episode opened)`,
      );
    }
    return E;
  }

  /** The score 3 stands for, in units of the training statistic's reference (0 when off). */
  get scaleFactor(): number {
    return this.scale;
  }

  /** Scores one point (and learns it). */
  scoreRow(t: number, v: number): number {
    if (this.period === 0) {
      // waiting for a period (late arming): learns the point; the arming point itself scores 0
      if (this.hist.length > 0) this.waitRow(t, v);
      return 0;
    }
    const x = this.step1(t, v);
    if (this.back > 0 && x >= 0 && x * this.scale >= 3) this.flag();
    const y = this.out(x);
    if (this.epLen === 0) return y;
    this.since = this.nextSince(y);
    return this.episodeScore(y, this.since);
  }

  /**
   * Round 21a: the episode position after a point scoring `score` (an open episode advances by one; a
   * score at the alarm level outside one opens one at position 0). Shared by `scoreRow` and `peekRow`.
   */
  private nextSince(score: number): number {
    const E = this.epLen;
    const since = this.since < E ? this.since + 1 : this.since;
    return score >= 3 && since >= E ? 0 : since;
  }

  /** `score` at episode position `since`: 0 inside an open episode past its first `burst` points. */
  private episodeScore(score: number, since: number): number {
    return since < this.epLen && since >= (this.s.late?.burst ?? 1) ? 0 : score;
  }

  /**
   * Round 15a: the point just placed scores at or above the alarm level; flags the slots of its window
   * (the last `window` slots, at most the ring, each once: from the slot after the last one marked).
   */
  private flag(): void {
    const R = this.vals.length;
    const last = this.lastSlot;
    const from = Math.max(this.flagUpTo + 1, last - this.window + 1, last - R + 1, 0);
    for (let q = from; q <= last; q++) {
      const k = q % R;
      if (this.slots[k] === q) this.flags[k] = 1;
    }
    this.flagUpTo = last;
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
    const fl = at >= 0 && this.back > 0 ? this.flags[at] : 0;
    const x = this.step1(t, v);
    this.win.set(this.spareWin);
    this.sorted.set(this.spareSorted);
    this.winPos = winPos;
    this.nSorted = nSorted;
    this.lastSlot = lastSlot;
    if (at >= 0) {
      this.vals[at] = val;
      this.slots[at] = sl;
      if (this.back > 0) this.flags[at] = fl;
    }
    const y = this.out(x);
    return this.epLen === 0 ? y : this.episodeScore(y, this.nextSince(y));
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
    const vals = this.vals;
    const slots = this.slots;
    const R = vals.length;
    const at = slot % R;
    vals[at] = v;
    slots[at] = slot;
    const back = this.back;
    if (back > 0) this.flags[at] = 0;
    const L = this.lag;
    const P = this.period;
    let d: number;
    let ref = 0;
    let m = 0;
    if (slot >= 0) {
      // ring positions from `at` (every offset below is < R): one division per point, not five
      const K = this.s.periods;
      d = v - this.at(slot, at, L, R);
      if (back === 0) {
        for (let j = 1; j <= K; j++) {
          const e = this.at(slot, at, j * P, R) - this.at(slot, at, j * P + L, R);
          if (!Number.isNaN(e)) {
            ref += e;
            m++;
          }
        }
      } else {
        // round 15a: the first K periods back (of K + lookback) whose two values are present and unflagged
        for (let j = 1; j <= K + back && m < K; j++) {
          const e = this.atClean(slot, at, j * P, R) - this.atClean(slot, at, j * P + L, R);
          if (!Number.isNaN(e)) {
            ref += e;
            m++;
          }
        }
        if (this.either) {
          // the smaller |r| of that and of the recent periods' comparison (the one without a lookback)
          let ref2 = 0;
          let m2 = 0;
          for (let j = 1; j <= K; j++) {
            const e = this.at(slot, at, j * P, R) - this.at(slot, at, j * P + L, R);
            if (!Number.isNaN(e)) {
              ref2 += e;
              m2++;
            }
          }
          if (m2 > 0) {
            const r2 = d - ref2 / m2;
            if (m === 0 || Math.abs(r2) < Math.abs(d - ref / m)) {
              ref = ref2;
              m = m2;
            }
          }
        }
      }
    } else {
      const K = this.s.periods;
      d = v - this.get(slot - L, R);
      for (let j = 1; j <= K + back && m < K; j++) {
        const e = this.getClean(slot - j * P, R) - this.getClean(slot - j * P - L, R);
        if (!Number.isNaN(e)) {
          ref += e;
          m++;
        }
      }
    }
    const r = m > 0 ? d - ref / m : Number.NaN;
    // |r| of values near ±Number.MAX_VALUE can overflow: kept at the largest double, so the window
    // (part of the model file) stays finite
    this.pushR(Number.isNaN(r) ? Number.NaN : Math.min(Math.abs(r), Number.MAX_VALUE));
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

  /** `get(slot - back)` for a slot ≥ 0 at ring position `at` and 0 ≤ back < R (no division). */
  private at(slot: number, at: number, back: number, R: number): number {
    const s = slot - back;
    if (s < 0) return Number.NaN;
    const k = at >= back ? at - back : at - back + R;
    return this.slots[k] === s ? this.vals[k] : Number.NaN;
  }

  private get(slot: number, R: number): number {
    if (slot < 0) return Number.NaN;
    const k = slot % R;
    return this.slots[k] === slot ? this.vals[k] : Number.NaN;
  }

  /** `at`, NaN also where the slot is flagged (round 15a; only with flags). */
  private atClean(slot: number, at: number, back: number, R: number): number {
    const s = slot - back;
    if (s < 0) return Number.NaN;
    const k = at >= back ? at - back : at - back + R;
    return this.slots[k] === s && this.flags[k] === 0 ? this.vals[k] : Number.NaN;
  }

  /** `get`, NaN also where the slot is flagged (with flags; without, `get`). */
  private getClean(slot: number, R: number): number {
    if (slot < 0) return Number.NaN;
    const k = slot % R;
    return this.slots[k] === slot && (this.flags.length === 0 || this.flags[k] === 0)
      ? this.vals[k]
      : Number.NaN;
  }

  /** Pushes one |r| (NaN: undefined) into the window ring and keeps the sorted copy. */
  private pushR(x: number): void {
    const old = this.win[this.winPos];
    this.win[this.winPos] = x;
    this.winPos = (this.winPos + 1) % this.window;
    const s = this.sorted;
    const n = this.nSorted;
    const hasOld = !Number.isNaN(old);
    const hasX = !Number.isNaN(x);
    if (hasOld && hasX) {
      // replace one copy of `old` by `x`: only the values between the two move, by one place
      // (the same sorted values as a removal and then an insertion)
      const i = lowerBound(s, n, old);
      // (a short move by hand: a `copyWithin` call costs about as much as 30 element moves)
      if (x > old) {
        const j = lowerBound(s, n, x);
        if (j - i <= SHORT_MOVE) for (let k = i + 1; k < j; k++) s[k - 1] = s[k];
        else s.copyWithin(i, i + 1, j);
        s[j - 1] = x;
      } else {
        const j = lowerBound(s, i, x);
        if (i - j <= SHORT_MOVE) for (let k = i; k > j; k--) s[k] = s[k - 1];
        else s.copyWithin(j + 1, j, i);
        s[j] = x;
      }
      return;
    }
    if (hasOld) {
      const lo = lowerBound(s, n, old);
      s.copyWithin(lo, lo + 1, n);
      this.nSorted = n - 1;
    } else if (hasX) {
      const lo = lowerBound(s, n, x);
      s.copyWithin(lo + 1, lo, n);
      s[lo] = x;
      this.nSorted = n + 1;
    }
  }
}

/** The interquartile range of `v` (numpy's linear quantiles, `quantileSorted`; 0 for fewer than 2). */
export function interquartileRange(v: Float64Array): number {
  if (v.length < 2) return 0;
  const s = v.slice().sort();
  return quantileSorted(s, 0.75) - quantileSorted(s, 0.25);
}

/** Moves up to this many values of the sorted window by hand, longer ones with `copyWithin`. */
const SHORT_MOVE = 24;

/**
 * The first index `i < n` with `s[i] >= x` (or `n`) in the sorted `s[0 .. n)`. Branch-free halving: the
 * comparison becomes a 0/1 factor, so the loop runs ⌈log2 n⌉ times whatever the data (|r| values are
 * noise, and a compare-and-branch search mispredicts about every other step).
 */
function lowerBound(s: Float64Array, n: number, x: number): number {
  if (n === 0) return 0;
  let base = 0;
  let len = n;
  while (len > 1) {
    const half = len >>> 1;
    base = (base + half * Number(s[(base + half) | 0] < x)) | 0;
    len = (len - half) | 0;
  }
  return (base + Number(s[base] < x)) | 0;
}
