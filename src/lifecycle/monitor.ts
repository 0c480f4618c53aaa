/**
 * `Monitor`: streaming drift monitoring of one deployed series against its training reference.
 *
 * Each monitored channel (input values, anomaly scores, alarms) keeps a fixed-bin histogram: the bin
 * edges are the reference sample's quantiles (equal-frequency bins, fixed at construction), the
 * reference is kept only as its bin counts, and the rolling window as a ring buffer of bin indices
 * plus the window's bin counts. Memory per channel is O(window + bins), whatever the stream length;
 * a push costs one binary search over the edges and two counter updates, with no allocation.
 *
 * Every `every` points (once the window is full) the monitor compares window and reference histograms:
 * KS statistic on the binned CDFs (a lower bound of the exact sample statistic, equal to it at the bin
 * edges) with its p-value for the two sample sizes, PSI and Jensen–Shannon (smoothed, see
 * divergence.ts). A channel drifts when the KS test rejects at `ksAlpha` and PSI ≥ `psi` and JS ≥ `js`:
 * significant and large enough to matter.
 */
import { binOf, DEFAULT_ALPHA, jsUnchecked, psiUnchecked, quantileEdges } from './divergence.js';
import { LifecycleError } from './errors.js';
import { ksAsymptoticPValue, ksPValue } from './ks.js';

/**
 * `ksMethod: 'fast'` computes the exact KS p-value while reference size × window size is at most this
 * (a lattice of that many cells: microseconds), the Kolmogorov limit above.
 */
const FAST_EXACT_CELLS = 10_000;

export type MonitorChannel = 'value' | 'score' | 'alarm';
export const MONITOR_CHANNELS: readonly MonitorChannel[] = ['value', 'score', 'alarm'];

export interface DriftThresholds {
  /** KS significance level (default 0.001). */
  readonly ksAlpha?: number;
  /** PSI threshold (default 0.25, the usual "significant shift"). */
  readonly psi?: number;
  /** JS threshold in bits (default 0: not required). */
  readonly js?: number;
}

export interface MonitorOptions {
  /** The series' name in records and metrics (default `series`). */
  readonly series?: string;
  /** The training reference: input values, and optionally the model's training scores and alarms (0/1). */
  readonly reference: {
    readonly value: ArrayLike<number>;
    readonly score?: ArrayLike<number>;
    readonly alarm?: ArrayLike<number>;
  };
  /** The tracked run the reference came from (written to the monitoring table). */
  readonly referenceRun?: string;
  /** Rolling window length in points (default 288: one day of 5-minute bins). */
  readonly window?: number;
  /** Compare every this many points once the window is full (default: `window`). */
  readonly every?: number;
  /** Histogram bins (default 20; fewer when the reference has ties). */
  readonly bins?: number;
  /** Smoothing pseudo-count per bin for PSI and JS (default 0.5). */
  readonly alpha?: number;
  readonly thresholds?: DriftThresholds;
  /**
   * How each check computes the KS p-value (default `'fast'`). `'fast'`: exact while the reference's and the
   * window's sizes multiply to at most 10,000 (`FAST_EXACT_CELLS`), else the Kolmogorov limit with
   * Stephens' correction (`ksAsymptoticPValue`): microseconds per check, the monitor's behaviour before
   * ks42. `'auto'`: `ksPValue`, SciPy's default rule (exact while both sizes are at most `KS_EXACT_LIMIT`):
   * about 1–13 ms of CPU per check of three channels against a 10,000-point reference, several µs per
   * point. The monitor's statistic is taken on binned CDFs (a lower bound of the sample statistic), so
   * neither mode reproduces `scipy.stats.ks_2samp` on the raw samples; `ksTest` does.
   */
  readonly ksMethod?: 'fast' | 'auto';
}

export interface ChannelStats {
  readonly ksD: number;
  readonly ksP: number;
  readonly psi: number;
  readonly js: number;
  readonly drift: boolean;
}

/** One comparison of the window with the reference. */
export interface DriftCheck {
  /** Time of the point that completed the check (epoch ms). */
  readonly t: number;
  /** 0, 1, 2, … per monitor (the metric step). */
  readonly step: number;
  readonly series: string;
  readonly referenceRun: string | null;
  readonly channels: Partial<Record<MonitorChannel, ChannelStats>>;
  /** Whether any channel drifted (a drift event). */
  readonly drift: boolean;
}

/** One row of the monitoring table: (timestamp, series, statistic, value, reference_run). */
export interface MonitorRecord {
  readonly timestamp: number;
  readonly series: string;
  /** `<channel>.ks_d`, `<channel>.ks_p`, `<channel>.psi`, `<channel>.js`, `<channel>.drift`. */
  readonly statistic: string;
  readonly value: number;
  readonly referenceRun: string | null;
}

class ChannelHistogram {
  readonly edges: Float64Array;
  readonly ref: Float64Array;
  readonly refN: number;
  readonly win: Float64Array;
  private readonly ring: Uint16Array;
  private head = 0;
  size = 0;

  /** `edges` fixed (the alarm channel's), else at the reference's quantiles. */
  constructor(
    reference: ArrayLike<number>,
    bins: number,
    readonly cap: number,
    edges?: Float64Array,
  ) {
    for (let i = 0; i < reference.length; i++) {
      if (!Number.isFinite(reference[i])) {
        throw new LifecycleError('bad_sample', `reference value ${i} is ${reference[i]}; pass finite values`);
      }
    }
    this.edges = edges ?? quantileEdges(reference, bins);
    const b = this.edges.length + 1;
    this.ref = new Float64Array(b);
    for (let i = 0; i < reference.length; i++) this.ref[binOf(this.edges, reference[i])]++;
    this.refN = reference.length;
    this.win = new Float64Array(b);
    this.ring = new Uint16Array(cap);
  }

  push(v: number): void {
    const k = binOf(this.edges, v);
    if (this.size === this.cap) {
      this.win[this.ring[this.head]]--;
      this.ring[this.head] = k;
      this.head = this.head + 1 === this.cap ? 0 : this.head + 1;
    } else {
      this.ring[(this.head + this.size) % this.cap] = k;
      this.size++;
    }
    this.win[k]++;
  }

  stats(alpha: number, th: Required<DriftThresholds>, ksMethod: 'fast' | 'auto'): ChannelStats {
    const n = this.refN;
    const m = this.size;
    let cr = 0;
    let cw = 0;
    let d = 0;
    for (let k = 0; k < this.ref.length; k++) {
      cr += this.ref[k];
      cw += this.win[k];
      const g = Math.abs(cr / n - cw / m);
      if (g > d) d = g;
    }
    const ksP =
      ksMethod === 'auto' || n * m <= FAST_EXACT_CELLS
        ? ksPValue(d, n, m).pValue
        : ksAsymptoticPValue(d, n, m);
    const psi = psiUnchecked(this.ref, this.win, alpha);
    const js = jsUnchecked(this.ref, this.win, alpha);
    return { ksD: d, ksP, psi, js, drift: ksP < th.ksAlpha && psi >= th.psi && js >= th.js };
  }
}

/**
 * The alarm channel: one bin for 0 (no alarm) and one for 1, whatever the reference holds (at its
 * quantiles, a reference alarming on most points put both in one bin, and the channel never drifted).
 */
function alarmHistogram(reference: ArrayLike<number>, cap: number): ChannelHistogram {
  for (let i = 0; i < reference.length; i++) {
    if (reference[i] !== 0 && reference[i] !== 1) {
      throw new LifecycleError(
        'bad_sample',
        `reference alarm ${i} is ${reference[i]}; pass 0 or 1 per point (1 where the model raised an alarm)`,
      );
    }
  }
  return new ChannelHistogram(reference, 2, cap, Float64Array.of(0));
}

function posInt(x: number | undefined, dflt: number, name: string, max = Number.MAX_SAFE_INTEGER): number {
  const v = x ?? dflt;
  if (!Number.isInteger(v) || v < 1 || v > max) {
    throw new LifecycleError('bad_option', `${name} must be an integer in [1, ${max}], got ${v}`);
  }
  return v;
}

/**
 * Streaming drift monitor of one series: compares a rolling window of the input values (and, when the
 * reference has them, the model's scores and alarms) with the training reference every `every` points,
 * by Kolmogorov–Smirnov, PSI and Jensen–Shannon over fixed bins at the reference's quantiles, in memory
 * O(window + bins) whatever the stream's length. `push()` returns a `DriftCheck` when a comparison is
 * due, else null; bad input is `LifecycleError` `bad_sample` and leaves the monitor unchanged. Guide:
 * docs/lifecycle.md.
 */
export class Monitor {
  readonly series: string;
  readonly referenceRun: string | null;
  readonly window: number;
  readonly every: number;
  readonly thresholds: Required<DriftThresholds>;
  private readonly alpha: number;
  /** How checks compute the KS p-value (`MonitorOptions.ksMethod`). */
  readonly ksMethod: 'fast' | 'auto';
  private readonly value: ChannelHistogram;
  private readonly score: ChannelHistogram | null;
  private readonly alarm: ChannelHistogram | null;
  private sinceCheck = 0;
  private step = 0;
  private lastT = Number.NEGATIVE_INFINITY;

  constructor(opts: MonitorOptions) {
    this.series = opts.series ?? 'series';
    this.referenceRun = opts.referenceRun ?? null;
    this.window = posInt(opts.window, 288, 'window', 10_000_000);
    this.every = posInt(opts.every, this.window, 'every');
    const bins = posInt(opts.bins, 20, 'bins', 65_535);
    if (bins < 2) throw new LifecycleError('bad_option', `bins must be ≥ 2, got ${bins}`);
    this.alpha = opts.alpha ?? DEFAULT_ALPHA;
    if (!(this.alpha >= 0) || !Number.isFinite(this.alpha)) {
      throw new LifecycleError('bad_option', `alpha must be a finite number ≥ 0, got ${this.alpha}`);
    }
    this.ksMethod = opts.ksMethod ?? 'fast';
    if (this.ksMethod !== 'fast' && this.ksMethod !== 'auto') {
      throw new LifecycleError(
        'bad_option',
        `ksMethod must be 'fast' or 'auto', got ${String(this.ksMethod)}`,
      );
    }
    const th = opts.thresholds ?? {};
    this.thresholds = { ksAlpha: th.ksAlpha ?? 0.001, psi: th.psi ?? 0.25, js: th.js ?? 0 };
    for (const [k, v] of Object.entries(this.thresholds)) {
      if (!Number.isFinite(v) || v < 0) {
        throw new LifecycleError('bad_option', `threshold ${k} must be a finite number ≥ 0, got ${v}`);
      }
    }
    const ref = opts.reference;
    if (!ref?.value || ref.value.length === 0) {
      throw new LifecycleError('bad_sample', 'the reference needs at least one input value');
    }
    this.value = new ChannelHistogram(ref.value, bins, this.window);
    this.score =
      ref.score && ref.score.length > 0 ? new ChannelHistogram(ref.score, bins, this.window) : null;
    this.alarm = ref.alarm && ref.alarm.length > 0 ? alarmHistogram(ref.alarm, this.window) : null;
  }

  /** The channels this monitor watches. */
  get channels(): MonitorChannel[] {
    const c: MonitorChannel[] = ['value'];
    if (this.score) c.push('score');
    if (this.alarm) c.push('alarm');
    return c;
  }

  /**
   * Adds one point (time, input value, and the model's score and alarm if those channels are watched);
   * returns a `DriftCheck` when this point completes a comparison, else null. Bad input (non-finite
   * value, time not increasing, a missing score or alarm, an alarm number other than 0 or 1) throws before
   * anything changes.
   */
  push(t: number, value: number, score?: number, alarm?: boolean | number): DriftCheck | null {
    if (!Number.isFinite(t) || !(t > this.lastT)) {
      throw new LifecycleError(
        'bad_sample',
        `time ${t} is not finite or not after the previous point (${this.lastT})`,
      );
    }
    if (!Number.isFinite(value))
      throw new LifecycleError('bad_sample', `value at ${t} is ${value}; pass finite values`);
    if (this.score && (score === undefined || !Number.isFinite(score))) {
      throw new LifecycleError(
        'bad_sample',
        `score at ${t} is ${score}; this monitor watches scores, pass one per point`,
      );
    }
    if (this.alarm && alarm === undefined) {
      throw new LifecycleError(
        'bad_sample',
        `alarm at ${t} is missing; this monitor watches alarms, pass one per point`,
      );
    }
    // as the reference: a flag, never a level (2, 0.5 or NaN is a score passed by mistake)
    if (this.alarm && typeof alarm === 'number' && alarm !== 0 && alarm !== 1) {
      throw new LifecycleError(
        'bad_sample',
        `alarm at ${t} is ${alarm}; pass false/true (or 0/1) per point, 1 where the model raised an alarm`,
      );
    }
    this.lastT = t;
    this.value.push(value);
    if (this.score) this.score.push(score as number);
    if (this.alarm) this.alarm.push(alarm ? 1 : 0);
    if (this.value.size < this.window) return null;
    if (this.step > 0 && ++this.sinceCheck < this.every) return null;
    this.sinceCheck = 0;
    return this.check(t);
  }

  private check(t: number): DriftCheck {
    const channels: Partial<Record<MonitorChannel, ChannelStats>> = {};
    let drift = false;
    const add = (name: MonitorChannel, h: ChannelHistogram | null) => {
      if (!h) return;
      const s = h.stats(this.alpha, this.thresholds, this.ksMethod);
      channels[name] = s;
      drift ||= s.drift;
    };
    add('value', this.value);
    add('score', this.score);
    add('alarm', this.alarm);
    return { t, step: this.step++, series: this.series, referenceRun: this.referenceRun, channels, drift };
  }
}

/** The rows a check writes to the monitoring table. */
export function monitorRecords(check: DriftCheck): MonitorRecord[] {
  const out: MonitorRecord[] = [];
  for (const ch of MONITOR_CHANNELS) {
    const s = check.channels[ch];
    if (!s) continue;
    const stats: [string, number][] = [
      ['ks_d', s.ksD],
      ['ks_p', s.ksP],
      ['psi', s.psi],
      ['js', s.js],
      ['drift', s.drift ? 1 : 0],
    ];
    for (const [k, value] of stats) {
      out.push({
        timestamp: check.t,
        series: check.series,
        statistic: `${ch}.${k}`,
        value,
        referenceRun: check.referenceRun,
      });
    }
  }
  return out;
}

/** A check as metrics (`drift.<channel>.<statistic>`), logged with the check's step and time. */
export function monitorMetrics(check: DriftCheck): Record<string, number> {
  const m: Record<string, number> = {};
  for (const r of monitorRecords(check)) m[`drift.${r.statistic}`] = r.value;
  return m;
}
