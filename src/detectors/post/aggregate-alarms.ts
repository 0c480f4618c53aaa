import { z } from 'zod';
import { DetectorError, ModelFormatError } from '../../errors.js';
import { MAX_TIME_MS } from '../../series/time.js';
import type { TimeSeries } from '../../series/types.js';
import { parseConfig } from '../config.js';
import { decodeFloat, encodeFloat, field } from '../json.js';
import type { JsonValue } from '../types.js';
import { type AlarmStreamer, levelRefinement, Threshold, type ThresholdTrainOptions } from './threshold.js';

/** The rule's fields; the schema below adds the check across them (`levelRefinement`). */
const aggregateAlarmsFields = z.strictObject({
  type: z.literal('aggregateAlarms'),
  almThreshold: z.number().nullable().default(3),
  absScore: z.boolean().default(true),
  minAlmInWindow: z.number().int().min(1).default(2),
  almWindowMinutes: z.number().nonnegative().default(60),
  almSuppressMinutes: z.number().nonnegative().default(120),
  /**
   * A raw alarm whose |score| (its score, with `absScore: false`) reaches this level is emitted alone,
   * without a second raw alarm in the window (still subject to the suppression; at or below
   * `almThreshold` every raw alarm is emitted alone, as with `minAlmInWindow: 1`). Absent: every alarm needs `minAlmInWindow` raw alarms
   * (round 11 of docs/evaluation.md).
   */
  strongThreshold: z.number().positive().optional(),
  /**
   * `true`: the window always reaches back over the last `minAlmInWindow` earlier points, whatever the
   * step, so Merlion's relaxed requirement applies only at the start of the stream (at a 60-minute step
   * the 60-minute window holds one earlier point, and Merlion lets one raw alarm fire alone there; with
   * this option two of the last three points must reach the threshold, as at a 30-minute step).
   * Absent: Merlion's rule.
   */
  fullWindow: z.boolean().optional(),
  /**
   * Raw alarms are counted over the last `almWindowMinutes` **or** the last `countPoints` earlier points,
   * whichever reaches further back, so the rule asks for `minAlmInWindow` raw alarms among a fixed number
   * of points at coarse steps too (at a 30-minute step the 60-minute window holds two earlier points, and
   * two raw alarms must then be nearly consecutive). How many raw alarms are needed is still Merlion's:
   * `minAlmInWindow`, relaxed to the points of the minutes window (or of `fullWindow`'s) when those are
   * fewer. Absent: raw alarms are counted over the minutes window only (round 17 of docs/evaluation.md).
   */
  countPoints: z.number().int().min(1).optional(),
  /**
   * With `countPoints`: Merlion's relaxed requirement counts the earlier points of the whole counting
   * window (the minutes window or the last `countPoints` points, whichever reaches further back), so one
   * raw alarm fires alone only while the stream holds fewer than `minAlmInWindow` earlier points, whatever
   * the step (at a 60-minute step the 60-minute window holds one earlier point; the 8-point window eight).
   * Absent: the relaxed requirement counts the minutes window's points only (round 22 of
   * docs/evaluation.md). Without `countPoints` it changes nothing.
   */
  relaxByCount: z.boolean().optional(),
  /**
   * Wider levels while the series has not yet been seen over a whole longer cycle: when the training part
   * spans at least `afterTrainMs` (the shorter cycle seen, e.g. two whole days), every score whose time is
   * less than `untilMs` after the training part's first point is divided by `factor` before both levels
   * (`almThreshold`, `strongThreshold`) are applied, i.e. the levels are `factor` times higher there (e.g.
   * until a whole week has been seen: a first weekend). The training part's first time and span are kept in
   * the model file. Absent: the levels as configured everywhere (round 18b of docs/evaluation.md).
   */
  widen: z
    .strictObject({
      untilMs: z.number().positive().finite(),
      afterTrainMs: z.number().nonnegative().finite(),
      factor: z.number().min(1).finite(),
    })
    .optional(),
});
export const aggregateAlarmsConfigSchema = aggregateAlarmsFields.superRefine(levelRefinement);

export type AggregateAlarmsConfig = z.infer<typeof aggregateAlarmsConfigSchema>;

/**
 * Which path of `AggregateAlarms` emitted an alarm: `count`, `minAlmInWindow` raw alarms in the counting
 * window (the last `almWindowMinutes`, or the last `countPoints` earlier points when that reaches further
 * back); `relaxed`, fewer raw alarms but as many as the window's earlier points (Merlion's relaxed
 * requirement); `strong`, a lone raw alarm at `strongThreshold` or more.
 */
export type AlarmPath = 'count' | 'relaxed' | 'strong';

/** A growable FIFO of timestamps (ring buffer over a Float64Array). */
class TimeQueue {
  private buf = new Float64Array(16);
  private head = 0;
  size = 0;

  push(t: number): void {
    if (this.size === this.buf.length) {
      const nb = new Float64Array(this.buf.length * 2);
      for (let i = 0; i < this.size; i++) nb[i] = this.buf[(this.head + i) & (this.buf.length - 1)];
      this.buf = nb;
      this.head = 0;
    }
    this.buf[(this.head + this.size) & (this.buf.length - 1)] = t;
    this.size++;
  }

  toArray(): number[] {
    const out: number[] = [];
    const mask = this.buf.length - 1;
    for (let i = 0; i < this.size; i++) out.push(this.buf[(this.head + i) & mask]);
    return out;
  }

  /** Replaces the content (checked: finite, non-decreasing times). */
  fill(times: unknown, path: string): void {
    if (!Array.isArray(times) || times.length > 1 << 24)
      throw new ModelFormatError('bad_field', `${path}: expected an array of times`);
    let prev = Number.NEGATIVE_INFINITY;
    for (const x of times) {
      if (typeof x !== 'number' || !Number.isFinite(x) || x < prev)
        throw new ModelFormatError('bad_field', `${path}: expected finite non-decreasing times`);
      prev = x;
    }
    let cap = 16;
    while (cap < times.length) cap *= 2;
    this.buf = new Float64Array(cap);
    this.buf.set(times);
    this.head = 0;
    this.size = times.length;
  }

  /** Time of the `k`-th latest entry (k = 1: the latest); NaN when there are fewer. */
  fromEnd(k: number): number {
    if (k > this.size) return Number.NaN;
    return this.buf[(this.head + this.size - k) & (this.buf.length - 1)];
  }

  /** How many entries have a time ≥ `t0` (binary search: the times are non-decreasing). */
  countFrom(t0: number): number {
    const mask = this.buf.length - 1;
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.buf[(this.head + mid) & mask] < t0) lo = mid + 1;
      else hi = mid;
    }
    return this.size - lo;
  }

  /** Drops entries older than `t0` (keeps those with time ≥ t0). */
  dropBefore(t0: number): void {
    const mask = this.buf.length - 1;
    while (this.size > 0 && this.buf[this.head] < t0) {
      this.head = (this.head + 1) & mask;
      this.size--;
    }
  }
}

/**
 * The streaming alarm filter: exactly the batch rule (docs/detectors.md, Post-processing: AggregateAlarms), in amortised O(1) per point (O(log k) with `countPoints`: a binary search over the k kept raw alarms).
 * Needs non-decreasing times (ms).
 */
class AggregateStreamer implements AlarmStreamer {
  private readonly points = new TimeQueue();
  private readonly raw = new TimeQueue();
  private lastEmitted = Number.NEGATIVE_INFINITY;
  /** The path that emitted the latest alarm (see `AlarmPath`; diagnostics only, not saved). */
  path: AlarmPath = 'count';

  constructor(
    private readonly rule: AggregateAlarms,
    private readonly thr: number,
  ) {}

  push(t: number, score: number): number {
    const { windowMs, suppressMs } = this.rule;
    // before wideUntil the levels are `factor` times higher: the score is divided by it (-Infinity: never)
    const sc = t < this.rule.wideUntil ? score / this.rule.wideFactor : score;
    const a = this.rule.thresholdOne(sc, this.thr);
    let w0 = t - windowMs;
    if (this.rule.fullWindow) {
      // the window reaches back over the last minAlmInWindow earlier points at least
      // (fewer than that so far: the whole stream)
      const back = this.points.fromEnd(this.rule.minAlmInWindow);
      if (Number.isNaN(back)) w0 = Number.NEGATIVE_INFINITY;
      else if (back < w0) w0 = back;
    }
    // raw alarms are counted from `wc`: w0, or further back over the last `countPoints` points
    let wc = w0;
    const cp = this.rule.countPoints;
    if (cp > 0) {
      const back = this.points.fromEnd(cp);
      if (Number.isNaN(back)) wc = Number.NEGATIVE_INFINITY;
      else if (back < wc) wc = back;
    }
    this.points.dropBefore(wc);
    // earlier points the relaxed requirement sees: the minutes window's (= i − ws), or with `relaxByCount`
    // the whole counting window's
    const before = cp > 0 && !this.rule.relaxByCount ? this.points.countFrom(w0) : this.points.size;
    this.points.push(t);
    this.raw.dropBefore(wc);
    if (a === 0) return 0;
    this.raw.push(t);
    const cnt = this.raw.size;
    const need = Math.min(this.rule.minAlmInWindow, before);
    const suppressed = this.lastEmitted >= t - suppressMs;
    const strong = (this.rule.absScore ? Math.abs(sc) : sc) >= this.rule.strongThreshold;
    if ((cnt >= need || strong) && !suppressed) {
      this.lastEmitted = t;
      this.path = cnt >= this.rule.minAlmInWindow ? 'count' : cnt >= need ? 'relaxed' : 'strong';
      return score;
    }
    return 0;
  }

  save(): JsonValue {
    return {
      points: this.points.toArray(),
      raw: this.raw.toArray(),
      lastEmitted: encodeFloat(this.lastEmitted),
    };
  }

  load(state: unknown, path: string): void {
    this.points.fill(field(state, 'points', path), `${path}.points`);
    this.raw.fill(field(state, 'raw', path), `${path}.raw`);
    const le = decodeFloat(field(state, 'lastEmitted', path), `${path}.lastEmitted`);
    if (Number.isNaN(le) || le === Number.POSITIVE_INFINITY)
      throw new ModelFormatError('bad_field', `${path}.lastEmitted: expected a time or -Infinity`);
    this.lastEmitted = le;
  }
}

/**
 * Merlion's `AggregateAlarms`: a threshold, then an alarm only when at least `minAlmInWindow`
 * raw alarms fall in the last `almWindowMinutes`, and none was emitted in the last
 * `almSuppressMinutes` (docs/detectors.md, Post-processing: AggregateAlarms, incl. the relaxed requirement at the start).
 */
export class AggregateAlarms extends Threshold {
  readonly minAlmInWindow: number;
  readonly almWindowMinutes: number;
  readonly almSuppressMinutes: number;
  /** |score| at which one raw alarm is emitted alone (Infinity: never). */
  readonly strongThreshold: number;
  /** Whether the window always holds the last `minAlmInWindow` points. */
  readonly fullWindow: boolean;
  /** Earlier points over which raw alarms are counted at least (0: the minutes window only). */
  readonly countPoints: number;
  /** Whether the relaxed requirement counts the whole counting window's earlier points. */
  readonly relaxByCount: boolean;
  /** The `widen` option (null: absent). */
  readonly widen: { untilMs: number; afterTrainMs: number; factor: number } | null;
  /** With `widen`: the training part's first time and span (ms), set by `train` (NaN before). */
  private trainStart = Number.NaN;
  private trainSpanMs = Number.NaN;
  /** Scores before this time are divided by `wideFactor` (-Infinity: none). */
  wideUntil = Number.NEGATIVE_INFINITY;
  wideFactor = 1;

  constructor(cfg: Partial<Omit<AggregateAlarmsConfig, 'type'>> = {}) {
    const c = parseConfig(
      aggregateAlarmsConfigSchema,
      { type: 'aggregateAlarms', ...cfg },
      'AggregateAlarms config',
    );
    super(c.almThreshold, c.absScore);
    this.minAlmInWindow = c.minAlmInWindow;
    this.almWindowMinutes = c.almWindowMinutes;
    this.almSuppressMinutes = c.almSuppressMinutes;
    this.strongThreshold = c.strongThreshold ?? Number.POSITIVE_INFINITY;
    this.fullWindow = c.fullWindow === true;
    this.countPoints = c.countPoints ?? 0;
    this.relaxByCount = c.relaxByCount === true;
    this.widen = c.widen ?? null;
  }

  /** Sets `wideUntil` from the training part's first time and span. */
  private setWiden(start: number, span: number): void {
    this.trainStart = start;
    this.trainSpanMs = span;
    const w = this.widen;
    this.wideUntil = w && span >= w.afterTrainMs ? start + w.untilMs : Number.NEGATIVE_INFINITY;
    this.wideFactor = w ? w.factor : 1;
  }

  override train(scores: TimeSeries, opts: ThresholdTrainOptions = {}): TimeSeries {
    const n = scores.t.length;
    if (this.widen && n > 0) this.setWiden(scores.t[0], scores.t[n - 1] - scores.t[0]);
    return super.train(scores, opts);
  }

  override toJSON(): JsonValue {
    const base = { almThreshold: this.almThreshold };
    if (!this.widen) return base;
    return { ...base, trainStart: encodeFloat(this.trainStart), trainSpanMs: encodeFloat(this.trainSpanMs) };
  }

  override restore(state: unknown, path: string): void {
    super.restore(state, path);
    if (!this.widen) return;
    const start = decodeFloat(field(state, 'trainStart', path), `${path}.trainStart`);
    const span = decodeFloat(field(state, 'trainSpanMs', path), `${path}.trainSpanMs`);
    const untrained = Number.isNaN(start) && Number.isNaN(span);
    // a start a Date holds and a span within the Date range (a hand edit could write 1e300)
    if (!untrained && !(Math.abs(start) <= MAX_TIME_MS && span >= 0 && span <= 2 * MAX_TIME_MS))
      throw new ModelFormatError(
        'bad_field',
        `${path}.trainStart/trainSpanMs: expected a time a Date can hold (±8.64e15 ms) and a span ≥ 0 within that range (or both NaN before training)`,
      );
    if (untrained) {
      this.trainStart = Number.NaN;
      this.trainSpanMs = Number.NaN;
      this.wideUntil = Number.NEGATIVE_INFINITY;
    } else this.setWiden(start, span);
  }

  /**
   * A label-trained threshold stays below `strongThreshold`: at or above it every raw alarm would fire
   * alone and the two-exceedance rule would be gone (the state `defaultDetector()` refuses to build).
   */
  protected override searchCeiling(): number {
    return this.strongThreshold;
  }

  get windowMs(): number {
    return this.almWindowMinutes * 60_000;
  }

  get suppressMs(): number {
    return this.almSuppressMinutes * 60_000;
  }

  protected override defaultMaxEarlySec(): number | null {
    return this.almSuppressMinutes * 60;
  }

  override streamer(): AlarmStreamer {
    return new AggregateStreamer(this, this.requireThreshold());
  }

  override apply(scores: TimeSeries): TimeSeries {
    const s = this.streamer();
    const v = new Float64Array(scores.v.length);
    for (let i = 0; i < v.length; i++) v[i] = s.push(scores.t[i], scores.v[i]);
    return { t: scores.t, v };
  }
}

/**
 * The rule run over `scores` from a fresh state (as a stream after training runs it): for each point, the
 * path that emitted its alarm, or null (no alarm). Diagnostics (bench/quiet13-diag.ts): the labels come
 * from the rule itself, so they follow its window, `countPoints` and `strongThreshold`. A rule whose
 * `streamer()` is not AggregateAlarms' own (a subclass overriding it) is a `DetectorError` `bad_option`.
 */
export function alarmPaths(rule: AggregateAlarms, scores: TimeSeries): (AlarmPath | null)[] {
  const s = rule.streamer();
  // only the rule's own streamer knows its paths (a subclass may override `streamer()`)
  if (!(s instanceof AggregateStreamer)) {
    throw new DetectorError(
      'bad_option',
      `alarmPaths: ${rule.constructor.name}.streamer() is not the AggregateAlarms streamer, so its alarms carry no path; pass a rule that does not override streamer()`,
    );
  }
  const out: (AlarmPath | null)[] = [];
  for (let i = 0; i < scores.v.length; i++) out.push(s.push(scores.t[i], scores.v[i]) === 0 ? null : s.path);
  return out;
}
