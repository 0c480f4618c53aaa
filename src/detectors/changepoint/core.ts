/**
 * Streaming change-point core: a robust two-sided CUSUM on seasonal residuals (docs/detectors-quality.md).
 *
 * Training learns the dominant period (autocorrelation), a per-phase seasonal profile, the level and a
 * robust residual scale (1.4826 · MAD, widened by √((1+ρ)/(1−ρ)) for the residuals' lag-1 autocorrelation ρ). Each point's residual `r = v − profile[phase] − level` is
 * standardised and clipped to ±`clip` (one outlier cannot start an alarm), and feeds the Page CUSUM pair
 * `S⁺ = max(0, S⁺ + z − k)`, `S⁻ = max(0, S⁻ − z − k)`. The raw score is `max(S⁺, S⁻)`. When it passes `h`
 * the level adopts the mean residual of the current excursion and both sums restart, so a level shift is
 * reported once, then becomes the new normal; a drift keeps restarting the sums while it lasts.
 * Contract-agnostic: `fit`, `scoreRow`, `state`/`restore` over typed arrays, no allocation per point.
 */
import { ModelFormatError } from '../../errors.js';
import { clampFinite } from '../../math/finite.js';
import { calendarPeriodMs, dominantPeriod, median } from '../discord/period.js';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** How many detected changes are remembered (to recognise a daily or weekly repeat). */
const EVENTS = 32;
/** A crossing this many steps after a re-anchoring, in the same direction, continues that change. */
const CONTINUE_STEPS = 24;
/** The smallest change reported, in noise standard deviations. */
const MIN_CHANGE = 1;

import { decodeFloats, encodeFloats, field } from '../json.js';
import type { JsonValue } from '../types.js';

export interface ChangePointParams {
  /** Allowance `k` in residual standard deviations. */
  readonly k: number;
  /** Decision level `h`: above it the level is re-anchored. */
  readonly h: number;
  /** Clip of the standardised residual. */
  readonly clip: number;
  /** Seasonal period in points; `null` = the dominant period of the training data (0 = none). */
  readonly period: number | null;
}

export class ChangePointCore {
  private profile: Float64Array = new Float64Array(1);
  /** Day-of-week offsets (UTC days), learnt when training spans a week and the period is shorter; else zeros. */
  private dow: Float64Array = new Float64Array(7);
  /** The last `EVENTS` detected changes, as (time of detection, size) pairs; NaN = empty slot. */
  private events: Float64Array = new Float64Array(2 * EVENTS).fill(Number.NaN);
  private nextEvent = 0;
  /** Time the current alarm began (NaN: no alarm in progress). */
  private alarmT = Number.NaN;
  /** 1 when the change in progress repeats a remembered one (scored 0 until re-anchored), else 0. */
  private explained = 0;
  /** The last re-anchoring: its time, direction (±1) and whether it was explained (1) or an alarm (0). */
  private lastEnd = Number.NEGATIVE_INFINITY;
  private lastSign = 0;
  private lastExplained = 0;
  /** The seasonal period as a duration (a calendar period when the found one is close to it). */
  private periodMs = 1;
  private level = 0;
  private scale = 1;
  /** The residuals' own robust standard deviation (1.4826 · MAD, not widened). */
  private noise = 1;
  private t0 = 0;
  private step = 1;
  private sPos = 0;
  private sNeg = 0;
  private runSum = 0;
  private runN = 0;

  constructor(readonly params: ChangePointParams) {}

  get period(): number {
    return this.profile.length;
  }

  /**
   * Learns profile, day-of-week offsets, level and scale from `v` (times `t`), then scores the training
   * points in order.
   */
  fit(t: Float64Array, v: Float64Array): Float64Array {
    const n = v.length;
    const found = Math.max(1, this.params.period ?? dominantPeriod(v));
    this.t0 = t[0];
    const d = new Float64Array(Math.max(0, n - 1));
    for (let i = 1; i < n; i++) d[i - 1] = t[i] - t[i - 1];
    this.step = n > 1 ? Math.max(median(d), 1) : 1;
    // phases are placed by time, over a calendar period when the found one is close to an hour/day/week
    this.periodMs = found > 1 ? calendarPeriodMs(found, this.step) : this.step;
    const p = Math.max(1, Math.round(this.periodMs / this.step));
    let mean = 0;
    for (let i = 0; i < n; i++) mean += v[i];
    mean /= n;
    this.profile = new Float64Array(p); // phase() reads the bin count from the profile's length
    this.dow = new Float64Array(7);
    // a weekly pattern under a shorter period: day-of-week offsets, when training covers every weekday
    const weekly = this.periodMs < WEEK_MS && n > 1 && t[n - 1] - t[0] >= WEEK_MS - this.step;
    const rounds = weekly ? 3 : 1;
    const sum = new Float64Array(p);
    const cnt = new Float64Array(p);
    const dsum = new Float64Array(7);
    const dcnt = new Float64Array(7);
    for (let round = 0; round < rounds; round++) {
      sum.fill(0);
      cnt.fill(0);
      for (let i = 0; i < n; i++) {
        const ph = this.phase(t[i]);
        sum[ph] += v[i] - mean - this.dow[dayOfWeek(t[i])];
        cnt[ph]++;
      }
      for (let j = 0; j < p; j++) this.profile[j] = cnt[j] > 0 ? sum[j] / cnt[j] : 0;
      if (!weekly) break;
      dsum.fill(0);
      dcnt.fill(0);
      for (let i = 0; i < n; i++) {
        const w = dayOfWeek(t[i]);
        dsum[w] += v[i] - mean - this.profile[this.phase(t[i])];
        dcnt[w]++;
      }
      for (let j = 0; j < 7; j++) this.dow[j] = dcnt[j] > 0 ? dsum[j] / dcnt[j] : 0;
    }
    this.level = mean;
    const r = new Float64Array(n);
    for (let i = 0; i < n; i++)
      r[i] = v[i] - this.profile[this.phase(t[i])] - this.dow[dayOfWeek(t[i])] - mean;
    const med = median(r);
    // lag-1 autocorrelation of the residuals: sums of correlated residuals spread by √((1+ρ)/(1−ρ))
    // (the long-run standard deviation of an AR(1) process), so the CUSUM is standardised by that
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      den += (r[i] - med) ** 2;
      if (i > 0) num += (r[i] - med) * (r[i - 1] - med);
    }
    const rho = den > 0 ? Math.min(0.95, Math.max(0, num / den)) : 0;
    for (let i = 0; i < n; i++) r[i] = Math.abs(r[i] - med);
    const floor = 1e-9 * Math.max(1, Math.abs(mean));
    this.noise = Math.max(1.4826 * median(r), floor);
    this.scale = Math.max(this.noise * Math.sqrt((1 + rho) / (1 - rho)), floor);
    this.sPos = 0;
    this.sNeg = 0;
    this.runSum = 0;
    this.runN = 0;
    this.events.fill(Number.NaN);
    this.nextEvent = 0;
    this.alarmT = Number.NaN;
    this.explained = 0;
    this.lastEnd = Number.NEGATIVE_INFINITY;
    this.lastSign = 0;
    this.lastExplained = 0;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.scoreRow(t[i], v[i]);
    return out;
  }

  private phase(t: number): number {
    const p = this.profile.length;
    if (p === 1) return 0;
    const P = this.periodMs;
    const k = Math.round(((((t - this.t0) % P) + P) % P) * (p / P));
    return k >= p ? k - p : k;
  }

  /**
   * Scores one point and updates the sums. The score is the CUSUM `max(S⁺, S⁻)`; it passes `h` when a
   * change is detected. The level is re-anchored (the change becomes the new normal, both sums restart)
   * when the sum reaches `2h`, so an alarm lasts a few points. A change that repeats one detected a day
   * or a week earlier at the same time (same direction, similar size) is scored 0 until it is
   * re-anchored: a weekday/weekend pattern the training part was too short to show is reported once,
   * not every week.
   */
  scoreRow(t: number, v: number): number {
    const { k, h, clip } = this.params;
    // finite input, finite state: a residual, sum or level that overflows (values near ±1e308) is
    // clamped to ±Number.MAX_VALUE (Infinity − Infinity would make every later score NaN); on
    // ordinary values the clamps change nothing
    const r = clampFinite(v - this.profile[this.phase(t)] - this.dow[dayOfWeek(t)] - this.level);
    let z = r / this.scale;
    if (z > clip) z = clip;
    else if (z < -clip) z = -clip;
    this.sPos = Math.max(0, this.sPos + z - k);
    this.sNeg = Math.max(0, this.sNeg - z - k);
    const s = Math.max(this.sPos, this.sNeg);
    if (s > 0) {
      this.runSum = clampFinite(this.runSum + r);
      this.runN++;
    } else {
      this.runSum = 0;
      this.runN = 0;
    }
    if (s <= h || this.runN === 0) {
      this.alarmT = Number.NaN;
      this.explained = 0;
      return s;
    }
    const delta = this.runSum / this.runN;
    if (Number.isNaN(this.alarmT)) {
      // first point of a detected change: the rest of a change re-anchored just before (its size was
      // under-estimated) inherits that change's verdict; a repeat of one a day or a week ago is explained
      this.alarmT = t;
      const continues = t - this.lastEnd <= CONTINUE_STEPS * this.step && Math.sign(delta) === this.lastSign;
      // a change smaller than MIN_CHANGE noise deviations (the residue of an earlier re-anchoring, a slow
      // wander of the level) is re-anchored without an alarm
      this.explained = continues
        ? this.lastExplained
        : Math.abs(delta) < MIN_CHANGE * this.noise || this.recurring(t, delta)
          ? 1
          : 0;
    }
    const explained = this.explained === 1;
    if (s > 2 * h) {
      this.remember(this.alarmT, delta);
      this.reanchor(delta);
      this.lastEnd = t;
      this.lastSign = Math.sign(delta);
      this.lastExplained = this.explained;
      this.alarmT = Number.NaN;
      this.explained = 0;
    }
    return explained ? 0 : s;
  }

  private reanchor(delta: number): void {
    this.level = clampFinite(this.level + delta);
    this.sPos = 0;
    this.sNeg = 0;
    this.runSum = 0;
    this.runN = 0;
  }

  /** Whether a change of `delta` at `t` repeats a remembered one a day or a week earlier. */
  private recurring(t: number, delta: number): boolean {
    for (let i = 0; i < EVENTS; i++) {
      const et = this.events[2 * i];
      const ed = this.events[2 * i + 1];
      // same direction, no more than half again as large (the first part of a change is often measured
      // small: the excursion that detects it starts a little before it)
      if (Number.isNaN(et) || Math.sign(ed) !== Math.sign(delta)) continue;
      if (Math.abs(delta) > 1.5 * Math.abs(ed)) continue;
      for (const lag of [DAY_MS, WEEK_MS]) {
        const tol = Math.max(6 * this.step, 0.02 * lag);
        if (Math.abs(t - et - lag) <= tol) return true;
      }
    }
    return false;
  }

  private remember(t: number, delta: number): void {
    this.events[2 * this.nextEvent] = t;
    this.events[2 * this.nextEvent + 1] = delta;
    this.nextEvent = (this.nextEvent + 1) % EVENTS;
  }

  state(): JsonValue {
    return {
      profile: encodeFloats(this.profile),
      dow: encodeFloats(this.dow),
      events: encodeFloats(this.events),
      num: encodeFloats([
        this.nextEvent,
        this.alarmT,
        this.explained,
        this.lastEnd,
        this.lastSign,
        this.lastExplained,
        this.noise,
        this.periodMs,
        this.level,
        this.scale,
        this.t0,
        this.step,
        this.sPos,
        this.sNeg,
        this.runSum,
        this.runN,
      ]),
    };
  }

  restore(state: unknown, path: string): void {
    const profile = decodeFloats(field(state, 'profile', path), `${path}.profile`);
    const dow = decodeFloats(field(state, 'dow', path), `${path}.dow`, 7);
    const events = decodeFloats(field(state, 'events', path), `${path}.events`, 2 * EVENTS);
    const all = decodeFloats(field(state, 'num', path), `${path}.num`, 16);
    const [nextEvent, alarmT, explained, lastEnd, lastSign, lastExplained, noise] = all;
    const num = all.subarray(7);
    if (
      !Number.isInteger(nextEvent) ||
      nextEvent < 0 ||
      nextEvent >= EVENTS ||
      !(Number.isNaN(alarmT) || Math.abs(alarmT) <= 1e15) ||
      (explained !== 0 && explained !== 1) ||
      (lastExplained !== 0 && lastExplained !== 1) ||
      (lastSign !== 0 && lastSign !== 1 && lastSign !== -1) ||
      !(lastEnd === Number.NEGATIVE_INFINITY || Math.abs(lastEnd) <= 1e15) ||
      !(noise > 0 && noise <= Number.MAX_VALUE)
    ) {
      throw new ModelFormatError(
        'bad_field',
        `${path}.num: expected an event slot in 0..${EVENTS - 1}, an alarm time, flags 0/1, a last re-anchoring time, a direction ±1 and a noise scale > 0`,
      );
    }
    // times, steps and counts are at most 1e15; the level, scale, sums, profile and day-of-week offsets
    // are in the data's units (a series of values near 1e16 has a level near 1e16): finite is enough
    const TIMES = [0, 3, 4, 8];
    if (
      profile.length < 1 ||
      profile.length > 1e6 ||
      !num.every((x, i) => (TIMES.includes(i) ? Math.abs(x) <= 1e15 : Number.isFinite(x))) ||
      !profile.every(Number.isFinite) ||
      !dow.every(Number.isFinite)
    ) {
      throw new ModelFormatError(
        'bad_field',
        `${path}: expected a profile of 1..1e6 finite values, 7 finite day-of-week offsets and 9 finite numbers (period, origin, step and count at most 1e15)`,
      );
    }
    if (!(num[0] >= 1) || !(num[2] > 0) || !(num[4] >= 1) || num[5] < 0 || num[6] < 0 || num[8] < 0) {
      throw new ModelFormatError(
        'bad_field',
        `${path}.num: period and step must be ≥ 1 ms, scale > 0, sums and count ≥ 0`,
      );
    }
    this.profile = profile;
    this.dow = dow;
    this.events = events;
    this.nextEvent = nextEvent;
    this.alarmT = alarmT;
    this.explained = explained;
    this.lastEnd = lastEnd;
    this.lastSign = lastSign;
    this.lastExplained = lastExplained;
    this.noise = noise;
    [
      this.periodMs,
      this.level,
      this.scale,
      this.t0,
      this.step,
      this.sPos,
      this.sNeg,
      this.runSum,
      this.runN,
    ] = num;
  }
}

/** Day of the week of a UTC timestamp, 0..6 (0 = Thursday, 1 January 1970). */
function dayOfWeek(t: number): number {
  const d = Math.floor(t / DAY_MS) % 7;
  return d < 0 ? d + 7 : d;
}
