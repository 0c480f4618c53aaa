/**
 * Level-drift core (docs/detectors-quality.md, "Level drift"; measured in docs/evaluation.md, round
 * 12b): a slow change of level that stays inside the daily range, which a forecaster (one step at a
 * time) and a level z-score (against the whole daily range) both miss.
 *
 * The residual: with P the training part's checked period (`checkedPeriod`, snapped to the calendar),
 * the training values are averaged in `bins` equal phase bins per period and the profile is the linear
 * interpolation between bin centres (around the circle), so a bin holds many values even when the
 * training part covers one or two periods. Each point's residual `r = v − profile(phase) − level`
 * (`level` 0 at training) is divided by the training residuals' robust spread (1.4826 · MAD), clipped to
 * ±`clip` (one spike cannot start an alarm), and feeds Page's one-sided CUSUM pair
 *
 *   S⁺ = max(0, S⁺ + z − k),  S⁻ = max(0, S⁻ − z − k).
 *
 * Calibration: the same pair run over the training part (never reset) gives its largest value M; the
 * decision level is `h = max(minH, ratio · M)`, so a file whose test part wanders as much as its training
 * part did stays below it. The score is `3 · max(S⁺, S⁻) / h` where that reaches `floor` (3: only at
 * the alarm level), else 0. When a sum reaches `reanchor · h` the level adopts the mean residual of that
 * sum's current excursion and both sums restart, so a lasting change alarms once and then becomes the
 * new normal (a drift that keeps going alarms again later).
 *
 * Off (score 0 everywhere) when the training part is not on a regular grid, has no checked period of
 * at least `minPeriodPoints` points (unless `withoutPeriod`: then the profile is the training mean), or
 * covers fewer than `minPeriods` whole periods.
 *
 * Hot path: a few scalars and the fixed profile, no per-point allocation; memory is `bins` floats.
 * Contract-agnostic: `fit`, `scoreRow`, `peekRow`, `state`/`restore`; the spec detector is detector.ts.
 */
import { ModelFormatError } from '../../errors.js';
import { autocorrelation } from '../../math/autocorrelation.js';
import { calendarPeriodMs, checkedPeriod, median } from '../discord/period.js';
import { decodeFloats, encodeFloats, field } from '../json.js';
import { gridStep } from '../seasonal-change/core.js';
import type { JsonValue } from '../types.js';

export interface LevelDriftSettings {
  /** Phase bins per period (at most the period's points). */
  readonly bins: number;
  /** CUSUM allowance, in residual spreads. */
  readonly k: number;
  /** Clip of the standardised residual. */
  readonly clip: number;
  /** Decision level: `ratio` × the training part's largest sum. */
  readonly ratio: number;
  /** The least decision level, in residual spreads. */
  readonly minH: number;
  /** A sum reaching `reanchor` × h re-anchors the level (≥ 1). */
  readonly reanchor: number;
  /** The least whole periods the training part must cover. */
  readonly minPeriods: number;
  /** The least period in points. */
  readonly minPeriodPoints: number;
  /** Without a checked period: the training mean as the profile (true) or off (false). */
  readonly withoutPeriod: boolean;
  /** Scores below this are 0 (3: the member speaks only at the alarm level). */
  readonly floor: number;
  /**
   * Round 13b: the profile keeps learning online with this half-life in periods (0: frozen at training,
   * the behaviour of round 12b).
   */
  readonly relearnHalfLife: number;
  /** Round 13b: the profile learns only while both sums are below `relearnBelow` × h. */
  readonly relearnBelow: number;
  /**
   * Round 13b: after a score at the alarm level (3) opens an alarm episode, the next `refractory` − 1
   * scored points are its episode; only its first `burst` points may score at the alarm level (0: no
   * episodes, the behaviour of round 12b).
   */
  readonly refractory: number;
  /** Round 13b: points at the start of an episode that may score at the alarm level (≥ 1). */
  readonly burst: number;
  /**
   * Round 21b: the spread and the decision level are calibrated on out-of-sample residuals, each training
   * point against the profile of the other periods (false: against the profile it helped to fit, the
   * behaviour before round 21b).
   */
  readonly crossFit: boolean;
  /**
   * Round 21b: the decision level grows with the points scored since training as a CUSUM maximum grows
   * with the points it is taken over (see `fit`), this factor times that rate (1: the rate itself); 0: fixed
   * at training (before round 21b).
   */
  readonly lengthGrowth: number;
  /**
   * Round 23: late arming (0: off). A member the training part leaves off keeps the series it scores
   * (at most `LATE_MAX_POINTS`, training part included) and, once they span `lateDays` days, fits itself
   * on them as on a training part, every `LATE_EVERY` points (or on `lateGrowth`'s schedule); it scores 0
   * until a fit arms it.
   */
  readonly lateDays: number;
  /**
   * Round 24: with `lateDays`, the tries back off geometrically (0: round 23's try every `LATE_EVERY`
   * points). After a failed try with N points seen (training part included) the next waits until N ·
   * `lateGrowth` have been seen, so the fits made while waiting total at most `lateGrowth / (lateGrowth − 1)`
   * points per point seen (> 1).
   */
  readonly lateGrowth: number;
}

/** Round 23: the most points a member waiting to arm late keeps (the oldest half goes when full). */
export const LATE_MAX_POINTS = 20_160;
/** Round 23: a member waiting to arm late tries a fit every this many scored points. */
export const LATE_EVERY = 96;

export const LEVEL_DRIFT_DEFAULTS: LevelDriftSettings = {
  bins: 48,
  k: 1,
  clip: 4,
  ratio: 3,
  minH: 8,
  reanchor: 2,
  minPeriods: 7,
  minPeriodPoints: 24,
  withoutPeriod: false,
  floor: 3,
  relearnHalfLife: 0,
  relearnBelow: 0.5,
  refractory: 0,
  burst: 1,
  crossFit: false,
  lengthGrowth: 0,
  lateDays: 0,
  lateGrowth: 0,
};

/** Scalars of the state, in `num` order. */
const NUM = 14;

export class LevelDriftCore {
  /** Period in grid slots (0: off; 1 without a period when `withoutPeriod`). */
  period = 0;
  step = 0;
  t0 = 0;
  /** The profile: mean per phase bin. */
  private prof: Float64Array = new Float64Array(0);

  private level = 0;
  private spread = 0;
  private h = 0;
  private up = 0;
  private dn = 0;
  /** Residual sum and count of the current excursion of each sum (value units). */
  private upSum = 0;
  private upN = 0;
  private dnSum = 0;
  private dnN = 0;
  private lastSlot = Number.NEGATIVE_INFINITY;
  /** Scored points since the current alarm episode opened (≥ `refractory`: none open; with `refractory` > 0). */
  private since = Number.POSITIVE_INFINITY;
  /** Per-point learning rate of the profile (0: frozen), from `relearnHalfLife`. */
  private alpha = 0;
  /** Round 21b (`lengthGrowth`): h at training (ratio × M, not floored), its growth per e-fold, points. */
  private hBase = 0;
  private grow = 0;
  private nTrain = 0;
  private nScored = 0;
  /** Why the member is off ('' when on). */
  off = '';
  /**
   * Round 23 (`lateDays`): the series kept while waiting to arm late (the first `lateN` slots of two
   * buffers of `LATE_MAX_POINTS`, allocated when the member starts to wait) and points since the last try.
   */
  private lateT: Float64Array = new Float64Array(0);
  private lateV: Float64Array = new Float64Array(0);
  private lateN = 0;
  private lateTry = 0;
  /** Round 24 (`lateGrowth`): points seen while waiting (training part included), and the count for the next try. */
  private lateSeen = 0;
  private lateNext = 0;
  /**
   * @internal Points fed to fits made while waiting to arm late, since this object was built or restored
   * (a diagnostic: not in the state).
   */
  lateWork = 0;

  constructor(readonly s: LevelDriftSettings = LEVEL_DRIFT_DEFAULTS) {}

  /** Learns grid, period, profile, spread and decision level; returns the training points' scores. */
  fit(t: Float64Array, v: Float64Array): Float64Array {
    const out = this.fitOnce(t, v);
    this.setLate(0, 0, 0, 0);
    if (this.period === 0 && this.s.lateDays > 0) {
      const from = Math.max(0, t.length - LATE_MAX_POINTS);
      this.setLate(t.length - from, 0, t.length, 0);
      this.lateT.set(t.subarray(from));
      this.lateV.set(v.subarray(from));
      // the training fit counts as a try (round 24) when its series spans the days
      if (this.s.lateGrowth > 0 && t.length > 0 && t[t.length - 1] - t[0] >= this.s.lateDays * 86_400_000)
        this.lateNext = this.nextTry(t.length);
    }
    return out;
  }

  /** Round 24: the count of points seen at which the try after one at `seen` points may run. */
  private nextTry(seen: number): number {
    return Math.max(seen + 1, Math.ceil(seen * this.s.lateGrowth));
  }

  /**
   * Sets the waiting state: `n` kept points (buffers of `LATE_MAX_POINTS` when n > 0, none otherwise; the
   * caller fills them), points since the last try, points seen, the count for the next try.
   */
  private setLate(n: number, tries: number, seen: number, next: number): void {
    if (n === 0) {
      this.lateT = new Float64Array(0);
      this.lateV = new Float64Array(0);
    } else if (this.lateT.length !== LATE_MAX_POINTS) {
      this.lateT = new Float64Array(LATE_MAX_POINTS);
      this.lateV = new Float64Array(LATE_MAX_POINTS);
    }
    this.lateN = n;
    this.lateTry = tries;
    this.lateSeen = seen;
    this.lateNext = next;
  }

  /**
   * Round 23: a member waiting to arm late keeps the point and, once the kept series spans `lateDays`
   * days, tries to fit itself on it: every `LATE_EVERY` points (round 23), or (round 24, `lateGrowth` g)
   * when g times the points seen at the last failed try have been seen. It scores 0 (the point arming it
   * included). The buffers are filled in place; when full, the newest half moves to the front.
   */
  private waitLate(t: number, v: number): void {
    let n = this.lateN;
    if (n > 0 && !(t > this.lateT[n - 1])) return;
    if (this.lateT.length !== LATE_MAX_POINTS) {
      this.lateT = new Float64Array(LATE_MAX_POINTS);
      this.lateV = new Float64Array(LATE_MAX_POINTS);
    }
    if (n === LATE_MAX_POINTS) {
      const keep = LATE_MAX_POINTS / 2 - 1;
      this.lateT.copyWithin(0, n - keep, n);
      this.lateV.copyWithin(0, n - keep, n);
      n = keep;
    }
    this.lateT[n] = t;
    this.lateV[n] = v;
    this.lateN = ++n;
    this.lateSeen++;
    const span = t - this.lateT[0] >= this.s.lateDays * 86_400_000;
    if (this.s.lateGrowth > 0) {
      if (this.lateSeen < this.lateNext || !span) return;
      this.lateNext = this.nextTry(this.lateSeen);
    } else {
      if (++this.lateTry < LATE_EVERY) return;
      if (!span) {
        this.lateTry = LATE_EVERY - 1; // the first point that spans the days tries
        return;
      }
      this.lateTry = 0;
    }
    this.lateWork += n;
    this.fitOnce(this.lateT.subarray(0, n), this.lateV.subarray(0, n));
    if (this.period > 0) this.setLate(0, 0, 0, 0);
  }

  private fitOnce(t: Float64Array, v: Float64Array): Float64Array {
    const n = t.length;
    const out = new Float64Array(n);
    this.turnOff('');
    const g = gridStep(t);
    if (!g.regular) {
      this.turnOff('irregular grid');
      return out;
    }
    const p = checkedPeriod(v);
    let P = 1;
    if (p > 0) P = Math.round(calendarPeriodMs(p, g.step) / g.step);
    if (!(p > 0) || P < this.s.minPeriodPoints) {
      if (!this.s.withoutPeriod) {
        this.turnOff(p > 0 ? `period of ${P} points` : 'no period');
        return out;
      }
      P = 1;
    } else if (t[n - 1] - t[0] + g.step < this.s.minPeriods * P * g.step) {
      this.turnOff(`fewer than ${this.s.minPeriods} periods`);
      return out;
    }
    this.step = g.step;
    this.t0 = t[0];
    this.period = P;
    const B = Math.max(1, Math.min(this.s.bins, P));
    this.prof = new Float64Array(B);
    const sum = new Float64Array(B);
    const cnt = new Float64Array(B);
    for (let i = 0; i < n; i++) {
      const b = this.bin(this.slot(t[i]));
      sum[b] += v[i];
      cnt[b]++;
    }
    let all = 0;
    for (let i = 0; i < n; i++) all += v[i];
    all /= n;
    for (let b = 0; b < B; b++) this.prof[b] = cnt[b] > 0 ? sum[b] / cnt[b] : Number.NaN;
    // a bin no training value fell in takes its nearest filled neighbour's mean (or the overall mean)
    for (let b = 0; b < B; b++) {
      if (!Number.isNaN(this.prof[b])) continue;
      let fill = all;
      for (let d = 1; d < B; d++) {
        if (cnt[(b + d) % B] > 0) {
          fill = this.prof[(b + d) % B];
          break;
        }
        if (cnt[(b - d + B) % B] > 0) {
          fill = this.prof[(b - d + B) % B];
          break;
        }
      }
      this.prof[b] = fill;
    }
    // the residuals that calibrate: in-sample, or (crossFit) each point against the other periods' profile
    const res = this.s.crossFit ? this.crossResiduals(t, v, sum, cnt) : new Float64Array(n);
    if (!this.s.crossFit) for (let i = 0; i < n; i++) res[i] = v[i] - this.expected(this.slot(t[i]));
    const cal = res.slice();
    const med = median(res);
    for (let i = 0; i < n; i++) res[i] = Math.abs(res[i] - med);
    const spread = 1.4826 * median(res);
    if (!(spread > 0)) {
      this.turnOff('no residual spread');
      return out;
    }
    this.spread = spread;
    // the training part's own sums (never re-anchored) set the decision level
    let top = 0;
    const sums = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const z = this.z(cal[i]);
      this.up = Math.max(0, this.up + z - this.s.k);
      this.dn = Math.max(0, this.dn - z - this.s.k);
      sums[i] = Math.max(this.up, this.dn);
      if (sums[i] > top) top = sums[i];
    }
    this.h = Math.max(this.s.minH, this.s.ratio * top);
    if (this.s.lengthGrowth > 0) {
      // A one-sided CUSUM with allowance k on residuals of long-run variance σ² (in spreads) has excursion
      // maxima with an exponential tail of mean θ = σ² / (2k) (the Brownian approximation), so the largest
      // of N excursions grows by θ per e-fold of N. The training maximum M is one draw over n_train
      // points; over n scored points the level is ratio × (M + θ ln(n / n_train)) once n > n_train.
      // σ² of an AR(1)-like residual: (1 + ρ) / (1 − ρ) with ρ its lag-1 autocorrelation (in [0, 0.99]);
      // k at least 0.05 here (k = 0 is allowed, where θ would be infinite).
      const rho = Math.min(0.99, Math.max(0, autocorrelation(cal, 1)?.[1] ?? 0));
      this.hBase = this.s.ratio * top;
      this.grow =
        (this.s.lengthGrowth * this.s.ratio * (1 + rho)) / ((1 - rho) * 2 * Math.max(this.s.k, 0.05));
      this.nTrain = n;
      this.nScored = 0;
    }
    for (let i = 0; i < n; i++) out[i] = this.out(sums[i]);
    this.up = 0;
    this.dn = 0;
    this.lastSlot = Math.round((t[n - 1] - this.t0) / this.step);
    this.setAlpha();
    return out;
  }

  /**
   * Round 21b: each training point's residual against the profile fitted without its own period (the
   * training part cut into whole periods from its first slot; the last may be partial). A bin that only
   * this period filled takes the full profile's value. `sum` and `cnt` are the full profile's per-bin
   * sums and counts. The points of a period are consecutive (times increase), so one period is handled
   * at a time: besides the residuals, memory is three profiles whatever the span or its gaps.
   */
  private crossResiduals(
    t: Float64Array,
    v: Float64Array,
    sum: Float64Array,
    cnt: Float64Array,
  ): Float64Array {
    const n = t.length;
    const P = this.period;
    const B = this.prof.length;
    const full = this.prof;
    const gSum = new Float64Array(B);
    const gCnt = new Float64Array(B);
    const other = new Float64Array(B);
    const res = new Float64Array(n);
    let i = 0;
    while (i < n) {
      const g = Math.floor(this.slot(t[i]) / P);
      let j = i;
      gSum.fill(0);
      gCnt.fill(0);
      for (; j < n && Math.floor(this.slot(t[j]) / P) === g; j++) {
        const b = this.bin(this.slot(t[j]));
        gSum[b] += v[j];
        gCnt[b]++;
      }
      for (let b = 0; b < B; b++) {
        const c = cnt[b] - gCnt[b];
        other[b] = c > 0 ? (sum[b] - gSum[b]) / c : full[b];
      }
      this.prof = other;
      for (; i < j; i++) res[i] = v[i] - this.expected(this.slot(t[i]));
    }
    this.prof = full;
    return res;
  }

  /**
   * The profile's per-point rate: each bin takes about period / bins updates per period, so a half-life
   * of H periods is a rate of 1 − 2^(−bins / (period · H)) per update.
   */
  private setAlpha(): void {
    const H = this.s.relearnHalfLife;
    this.alpha = H > 0 && this.period > 0 ? 1 - 2 ** (-this.prof.length / (this.period * H)) : 0;
  }

  private slot(t: number): number {
    return Math.round((t - this.t0) / this.step);
  }

  /** The phase bin of a slot. */
  private bin(slot: number): number {
    const P = this.period;
    const ph = ((slot % P) + P) % P;
    return Math.floor((ph * this.prof.length) / P);
  }

  /** The profile at a slot (linear between bin centres, around the circle) plus the level. */
  private expected(slot: number): number {
    const B = this.prof.length;
    if (B === 1) return this.prof[0] + this.level;
    const P = this.period;
    const ph = ((slot % P) + P) % P;
    const x = ((ph + 0.5) * B) / P - 0.5; // position in bin-centre units
    const lo = Math.floor(x);
    const f = x - lo;
    const a = this.prof[(lo + B) % B];
    const b = this.prof[(lo + 1) % B];
    return a + f * (b - a) + this.level;
  }

  private z(r: number): number {
    const z = r / this.spread;
    const c = this.s.clip;
    return z > c ? c : z < -c ? -c : z;
  }

  /** The decision level after `m` scored points (round 21b's growth; h itself without it). */
  private hAt(m: number): number {
    if (this.grow === 0 || m <= this.nTrain) return this.h;
    return Math.max(this.s.minH, this.hBase + this.grow * Math.log(m / this.nTrain));
  }

  private out(S: number): number {
    const y = (3 * S) / this.h;
    return y >= this.s.floor ? y : 0;
  }

  private turnOff(why: string): void {
    this.off = why;
    this.period = 0;
    this.step = 0;
    this.t0 = 0;
    this.prof = new Float64Array(0);
    this.level = 0;
    this.spread = 0;
    this.h = 0;
    this.up = 0;
    this.dn = 0;
    this.upSum = 0;
    this.upN = 0;
    this.dnSum = 0;
    this.dnN = 0;
    this.lastSlot = Number.NEGATIVE_INFINITY;
    this.since = Number.POSITIVE_INFINITY;
    this.alpha = 0;
    this.hBase = 0;
    this.grow = 0;
    this.nTrain = 0;
    this.nScored = 0;
  }

  /** Scores one point and learns it. */
  scoreRow(t: number, v: number): number {
    if (this.period === 0) {
      if (this.s.lateDays > 0) this.waitLate(t, v);
      return 0;
    }
    const slot = this.slot(t);
    if (!(slot > this.lastSlot)) return 0;
    this.lastSlot = slot;
    if (this.grow > 0) this.h = this.hAt(++this.nScored);
    const r = v - this.expected(slot);
    const z = this.z(r);
    const k = this.s.k;
    const up = this.up + z - k;
    if (up > 0) {
      if (this.up === 0) {
        this.upSum = 0;
        this.upN = 0;
      }
      this.up = up;
      this.upSum += r;
      this.upN++;
    } else this.up = 0;
    const dn = this.dn - z - k;
    if (dn > 0) {
      if (this.dn === 0) {
        this.dnSum = 0;
        this.dnN = 0;
      }
      this.dn = dn;
      this.dnSum += r;
      this.dnN++;
    } else this.dn = 0;
    const S = Math.max(this.up, this.dn);
    let score = this.out(S);
    if (this.alpha > 0 && S < this.s.relearnBelow * this.h) this.learn(slot, r);
    if (this.s.refractory > 0) {
      this.since = this.nextSince(score);
      score = this.episodeScore(score, this.since);
    }
    if (S >= this.s.reanchor * this.h) {
      this.level += this.up >= this.dn ? this.upSum / this.upN : this.dnSum / this.dnN;
      this.up = 0;
      this.dn = 0;
      this.upSum = 0;
      this.upN = 0;
      this.dnSum = 0;
      this.dnN = 0;
    }
    return score;
  }

  /** Moves the profile's two bins around a slot towards the residual `r` (weights as in `expected`). */
  private learn(slot: number, r: number): void {
    const B = this.prof.length;
    const a = this.alpha * r;
    if (B === 1) {
      this.prof[0] += a;
      return;
    }
    const P = this.period;
    const ph = ((slot % P) + P) % P;
    const x = ((ph + 0.5) * B) / P - 0.5;
    const lo = Math.floor(x);
    const f = x - lo;
    this.prof[(lo + B) % B] += (1 - f) * a;
    this.prof[(lo + 1) % B] += f * a;
  }

  /** The score `scoreRow` would give, changing nothing. */
  peekRow(t: number, v: number): number {
    if (this.period === 0) return 0;
    const slot = this.slot(t);
    if (!(slot > this.lastSlot)) return 0;
    const z = this.z(v - this.expected(slot));
    const up = Math.max(0, this.up + z - this.s.k);
    const dn = Math.max(0, this.dn - z - this.s.k);
    const h = this.h;
    if (this.grow > 0) this.h = this.hAt(this.nScored + 1);
    const score = this.out(Math.max(up, dn));
    this.h = h;
    return this.s.refractory === 0 ? score : this.episodeScore(score, this.nextSince(score));
  }

  /**
   * The alarm episode's step (round 13b, with `refractory` R > 0), shared by `scoreRow` and `peekRow`:
   * the position after a point scoring `score`. An open episode advances by one; a score at the alarm
   * level (3) outside an episode opens one (position 0).
   */
  private nextSince(score: number): number {
    const R = this.s.refractory;
    const since = this.since < R ? this.since + 1 : this.since;
    return score >= 3 && since >= R ? 0 : since;
  }

  /** `score` as reported at episode position `since`: 0 inside an open episode past its `burst` (≥ 1) points. */
  private episodeScore(score: number, since: number): number {
    return since < this.s.refractory && since >= this.s.burst ? 0 : score;
  }

  clone(): LevelDriftCore {
    const c = new LevelDriftCore(this.s);
    c.restoreNum(this.num(), this.prof.slice(), this.off);
    c.since = this.since;
    c.setGrowth(this.growth());
    c.lateT = this.lateT.slice();
    c.lateV = this.lateV.slice();
    c.lateN = this.lateN;
    c.lateTry = this.lateTry;
    c.lateSeen = this.lateSeen;
    c.lateNext = this.lateNext;
    return c;
  }

  private num(): number[] {
    return [
      this.period,
      this.step,
      this.t0,
      this.level,
      this.spread,
      this.h,
      this.up,
      this.dn,
      this.upSum,
      this.upN,
      this.dnSum,
      this.dnN,
      this.lastSlot,
      this.prof.length,
    ];
  }

  private restoreNum(num: ArrayLike<number>, prof: Float64Array, off: string): void {
    this.period = num[0];
    this.step = num[1];
    this.t0 = num[2];
    this.level = num[3];
    this.spread = num[4];
    this.h = num[5];
    this.up = num[6];
    this.dn = num[7];
    this.upSum = num[8];
    this.upN = num[9];
    this.dnSum = num[10];
    this.dnN = num[11];
    this.lastSlot = num[12];
    this.prof = prof;
    this.off = off;
    this.setAlpha();
  }

  /** The fitted state as plain JSON (`restore` reads it back). */
  state(): JsonValue {
    const st: { [key: string]: JsonValue } = {
      off: this.off,
      num: encodeFloats(this.num()),
      prof: encodeFloats(this.prof),
    };
    // the alarm episode's position only with `refractory` (absent: round 12b's state, byte for byte)
    if (this.s.refractory > 0) st.ep = Math.min(this.since, this.s.refractory);
    // round 21b's growth only with `lengthGrowth` (absent: the state before round 21b, byte for byte)
    if (this.s.lengthGrowth > 0) st.grow = encodeFloats(this.growth());
    // round 23's kept series only with `lateDays` (absent: the state before round 23, byte for byte)
    // (round 24's schedule, `lateGrowth`: the points seen and the count for the next try instead of n)
    if (this.s.lateDays > 0) {
      const t = encodeFloats(this.lateT.subarray(0, this.lateN));
      const v = encodeFloats(this.lateV.subarray(0, this.lateN));
      st.late =
        this.s.lateGrowth > 0
          ? { t, v, seen: this.lateSeen, next: this.lateNext }
          : { t, v, n: this.lateTry };
    }
    return st;
  }

  /** Round 21b's growth state: h at training, its growth per e-fold, training points, scored points. */
  private growth(): number[] {
    return [this.hBase, this.grow, this.nTrain, this.nScored];
  }

  private setGrowth(g: ArrayLike<number>): void {
    this.hBase = g[0];
    this.grow = g[1];
    this.nTrain = g[2];
    this.nScored = g[3];
  }

  /**
   * Reads round 21b's `grow` (only with `lengthGrowth`; any other state has none): h at training ≥ 0, its
   * growth per e-fold ≥ 0, integer training and scored point counts; all 0 for a member that is off.
   */
  private restoreGrowth(state: unknown, path: string, on: boolean): number[] {
    const has = typeof state === 'object' && state !== null && 'grow' in state;
    if (!(this.s.lengthGrowth > 0)) {
      if (has)
        throw new ModelFormatError('bad_field', `${path}.grow: only a member with lengthGrowth stores grow`);
      return [0, 0, 0, 0];
    }
    const g = decodeFloats(field(state, 'grow', path), `${path}.grow`, 4);
    const [hBase, grow, nTrain, nScored] = g;
    const int = (x: number) => Number.isInteger(x) && x >= 0 && x <= 1e15;
    const ok = on
      ? hBase >= 0 &&
        hBase <= 1e300 &&
        grow >= 0 &&
        grow <= 1e300 &&
        int(nTrain) &&
        nTrain >= 1 &&
        int(nScored)
      : g.every((x) => x === 0);
    if (!ok) {
      throw new ModelFormatError(
        'bad_field',
        `${path}.grow: expected [h at training ≥ 0, growth per e-fold ≥ 0, training points ≥ 1, scored points ≥ 0] (integer counts; all 0 when the member is off)`,
      );
    }
    return Array.from(g);
  }

  /**
   * Reads round 23's `late` (only with `lateDays`) into the waiting state: the kept series (increasing
   * finite times, finite values, as many of each, at most `LATE_MAX_POINTS`) and, on round 23's schedule,
   * the points since the last try `n`, or on round 24's (`lateGrowth`) the points seen `seen` (at least
   * those kept) and the count for the next try `next`. Once the member is on it waits no more: no series,
   * and the counts 0.
   */
  private restoreLate(state: unknown, path: string, on: boolean): void {
    const has = typeof state === 'object' && state !== null && 'late' in state;
    if (!(this.s.lateDays > 0)) {
      if (has)
        throw new ModelFormatError('bad_field', `${path}.late: only a member with lateDays stores late`);
      this.setLate(0, 0, 0, 0);
      return;
    }
    const late = field(state, 'late', path);
    const p = `${path}.late`;
    const t = decodeFloats(field(late, 't', p), `${p}.t`);
    const v = decodeFloats(field(late, 'v', p), `${p}.v`);
    const int = (x: unknown, lo: number, hi: number): x is number =>
      typeof x === 'number' && Number.isInteger(x) && x >= lo && x <= hi;
    const geo = this.s.lateGrowth > 0;
    const keys = typeof late === 'object' && late !== null ? Object.keys(late).sort().join() : '';
    const n = geo ? 0 : field(late, 'n', p);
    const seen = geo ? field(late, 'seen', p) : t.length;
    const next = geo ? field(late, 'next', p) : 0;
    let ok =
      keys === (geo ? 'next,seen,t,v' : 'n,t,v') &&
      t.length === v.length &&
      t.length <= LATE_MAX_POINTS &&
      (!on || t.length === 0) &&
      int(n, 0, LATE_EVERY - 1) &&
      int(seen, t.length, 1e15) &&
      int(next, 0, 1e15) &&
      // an armed member waits no more: nothing kept, nothing counted
      (!on || (n === 0 && seen === 0 && next === 0));
    for (let i = 0; ok && i < t.length; i++)
      ok =
        Math.abs(t[i]) <= 1e15 &&
        (i === 0 || t[i] > t[i - 1]) &&
        Number.isFinite(v[i]) &&
        Math.abs(v[i]) <= 1e300;
    if (!ok) {
      const sched = geo
        ? 'seen, an integer count of points seen at least the kept ones, and next, an integer ≥ 0 (the count for the next try)'
        : `n, an integer from 0 to ${LATE_EVERY - 1}`;
      throw new ModelFormatError(
        'bad_field',
        `${p}: expected { t, v, ${geo ? 'seen, next' : 'n'} }: at most ${LATE_MAX_POINTS} increasing times and as many finite values, and ${sched} (once the member is on: no times or values, and ${geo ? 'seen and next' : 'n'} 0)`,
      );
    }
    this.setLate(t.length, n as number, seen as number, next as number);
    if (t.length > 0) {
      this.lateT.set(t);
      this.lateV.set(v);
    }
  }

  /** Reads the episode position `ep` (only with `refractory`; any other state has none). */
  private restoreEpisode(state: unknown, path: string): number {
    const R = this.s.refractory;
    const has = typeof state === 'object' && state !== null && 'ep' in state;
    if (R === 0) {
      if (has)
        throw new ModelFormatError('bad_field', `${path}.ep: only a member with refractory > 0 stores ep`);
      return Number.POSITIVE_INFINITY;
    }
    const ep = has ? (state as { ep: unknown }).ep : undefined;
    if (typeof ep !== 'number' || !Number.isInteger(ep) || ep < 0 || ep > R) {
      throw new ModelFormatError(
        'bad_field',
        `${path}.ep: expected an integer from 0 to the refractory period ${R} (points since the alarm episode opened)`,
      );
    }
    return ep;
  }

  /** Restores `state()` output, checking every field; `path` names it in errors. */
  restore(state: unknown, path: string): void {
    const off = field(state, 'off', path);
    if (typeof off !== 'string' || off.length > 200) {
      throw new ModelFormatError('bad_field', `${path}.off: expected a string of at most 200 characters`);
    }
    const num = decodeFloats(field(state, 'num', path), `${path}.num`, NUM);
    const prof = decodeFloats(field(state, 'prof', path), `${path}.prof`);
    const [period, step, t0, level, spread, h, up, dn, upSum, upN, dnSum, dnN, lastSlot, B] = num;
    const since = this.restoreEpisode(state, path);
    if (period === 0) {
      if (off === '' || prof.length > 0 || num.some((x, i) => i !== 12 && x !== 0)) {
        throw new ModelFormatError(
          'bad_field',
          `${path}: a member that is off (period 0) says why (off), stores no profile and zeros`,
        );
      }
      this.restoreGrowth(state, path, false);
      this.restoreLate(state, path, false);
      this.turnOff(off);
      this.since = since;
      return;
    }
    const isInt = (x: number, lo: number, hi: number) => Number.isInteger(x) && x >= lo && x <= hi;
    const fin = (x: number) => Number.isFinite(x) && Math.abs(x) <= 1e300;
    if (
      off !== '' ||
      !isInt(period, 1, 1e7) ||
      !isInt(B, 1, Math.min(period, this.s.bins)) ||
      prof.length !== B ||
      !(step > 0 && step <= 1e15) ||
      !(Math.abs(t0) <= 1e15) ||
      !fin(level) ||
      !(spread > 0 && spread <= 1e300) ||
      !(h > 0 && h <= 1e300) ||
      !(up >= 0 && up < this.s.reanchor * h) ||
      !(dn >= 0 && dn < this.s.reanchor * h) ||
      !fin(upSum) ||
      !fin(dnSum) ||
      !isInt(upN, 0, 1e15) ||
      !isInt(dnN, 0, 1e15) ||
      !(lastSlot === Number.NEGATIVE_INFINITY || isInt(lastSlot, -1e15, 1e15)) ||
      !prof.every(fin)
    ) {
      throw new ModelFormatError(
        'bad_field',
        `${path}: expected an integer period ≥ 1, 1 ≤ bins ≤ min(period, ${this.s.bins}) profile values, step > 0, spread > 0, h > 0, 0 ≤ sums < ${this.s.reanchor} × h, integer counts and finite values (off '' when the period is set)`,
      );
    }
    const g = this.restoreGrowth(state, path, true);
    this.restoreLate(state, path, true);
    this.restoreNum(num, prof, '');
    this.since = since;
    this.setGrowth(g);
  }
}
