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
 * whole periods.
 *
 * Hot path: typed rings, no per-point allocation. Contract-agnostic: `fit`, `scoreRow`, `peekRow`,
 * `state`/`restore`; the spec detector is detector.ts.
 */
import { ModelFormatError } from '../../errors.js';
import { calendarPeriodMs, checkedPeriod, median } from '../discord/period.js';
import { decodeFloats, encodeFloats, field } from '../json.js';
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
  private vals: Float64Array = new Float64Array(0);
  private slots: Float64Array = new Float64Array(0);
  /** Ring of the last `window` |r| (NaN when undefined) and a sorted copy of its defined values. */
  private win: Float64Array = new Float64Array(0);
  private sorted: Float64Array = new Float64Array(0);
  private nSorted = 0;
  private winPos = 0;
  private lastSlot = Number.NEGATIVE_INFINITY;
  /** Why the member is off ('' when on). */
  off = '';
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
    const g = gridStep(t);
    if (!g.regular) {
      this.turnOff('irregular grid');
      return out;
    }
    const p = checkedPeriod(v);
    if (!(p > 0)) {
      this.turnOff('no period');
      return out;
    }
    const pms = calendarPeriodMs(p, g.step);
    const P = Math.round(pms / g.step);
    if (P < this.s.minPeriodPoints) {
      this.turnOff(`period of ${P} points`);
      return out;
    }
    if (t[n - 1] - t[0] + g.step < this.s.minPeriods * P * g.step) {
      this.turnOff(`fewer than ${this.s.minPeriods} periods`);
      return out;
    }
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
    // the training statistic, unscaled (−1: none), and its defined values
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
    if (!(ref > 0)) {
      this.turnOff('no training statistic');
      return out;
    }
    this.scale = 3 / (this.s.ratio * ref);
    for (let i = 0; i < n; i++) out[i] = this.out(stat[i]);
    return out;
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
    };
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
    if (period === 0) {
      if (off === '' || vals.length + slots.length + win.length > 0) {
        throw new ModelFormatError(
          'bad_field',
          `${path}: a member that is off (period 0) says why (off) and stores no values`,
        );
      }
      this.turnOff(off);
      return;
    }
    const isInt = (x: number, lo: number, hi: number) => Number.isInteger(x) && x >= lo && x <= hi;
    const R = this.s.periods * period + lag + 1;
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
        `${path}: expected ${R} values and slots (periods × period + lag + 1) and a window of ${window}, got ${vals.length}, ${slots.length} and ${win.length}`,
      );
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
      if (!(x >= 0 && x <= 1e300)) {
        throw new ModelFormatError('bad_field', `${path}.win[${i}]: expected |r| ≥ 0 or "NaN"`);
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
    const vals = this.vals;
    const slots = this.slots;
    const R = vals.length;
    const at = slot % R;
    vals[at] = v;
    slots[at] = slot;
    const L = this.lag;
    const P = this.period;
    let d: number;
    let ref = 0;
    let m = 0;
    if (slot >= 0) {
      // ring positions from `at` (every offset below is < R): one division per point, not five
      const K = this.s.periods;
      d = v - this.at(slot, at, L, R);
      for (let j = 1; j <= K; j++) {
        const e = this.at(slot, at, j * P, R) - this.at(slot, at, j * P + L, R);
        if (!Number.isNaN(e)) {
          ref += e;
          m++;
        }
      }
    } else {
      d = v - this.get(slot - L, R);
      for (let j = 1; j <= this.s.periods; j++) {
        const e = this.get(slot - j * P, R) - this.get(slot - j * P - L, R);
        if (!Number.isNaN(e)) {
          ref += e;
          m++;
        }
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
