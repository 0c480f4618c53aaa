/**
 * The counting pass of the Merlion-compatible TSAD metrics (`accumulate_tsad_score`): input checks, one
 * linear pass over the truth labels that fills the accumulator (`TsadCounts`), and the sum of accumulators.
 * The ratios, the NAB-style score and the report built from an accumulator are in `tsad.ts`, which
 * re-exports these names; how it counts, in our words: docs/metrics.md, "Merlion's TSAD metrics".
 */
import { MetricsError } from '../errors.js';
import { revisedWindowEnd, revisedWindowStart, windowStop } from '../scoring/revised.js';
import { checkLabelWindows } from '../series/label-windows.js';
import { lowerBound, upperBound } from '../series/ops.js';
import type { Window } from '../series/types.js';

/** Input of {@link evaluate} / {@link accumulateTsad}. */
export interface EvaluateInput {
  /** Truth timestamps, epoch ms, strictly increasing. */
  readonly t: ArrayLike<number>;
  /**
   * Ground truth: either one label per `t` (0 = normal, anything else = anomalous, NaN rejected), or
   * anomaly windows `[start, end]` of finite epoch ms, start ≤ end, both ends inclusive (a window labels every
   * `t` inside it; a bad window is `MetricsError` `bad_window` naming `truth[k]`).
   */
  readonly truth: ArrayLike<number> | readonly Window[];
  /** Prediction timestamps, epoch ms, strictly increasing. Default: `t` (same grid as the truth). */
  readonly tPred?: ArrayLike<number>;
  /** Predictions on `tPred`: 0 (or -0) = no alarm, anything else (including NaN) = alarm. */
  readonly pred: ArrayLike<number>;
  /** How long before an anomaly (seconds) a detection still counts. Missing, 0 or negative = off. */
  readonly maxEarlySec?: number | null;
  /** How long after an anomaly's start (seconds) a detection still counts. Missing, 0 or negative = off. */
  readonly maxDelaySec?: number | null;
  /**
   * Merlion's NAB-style score divides by `2·A + 1e-8` (A = number of anomaly windows); with A = 0 that
   * makes each false positive worth about −1.1e7. By default such a score is reported as NaN (undefined: the
   * null and the perfect detector coincide). `'reference'` reproduces the reference's number.
   */
  readonly nabWithoutAnomalies?: 'nan' | 'reference';
}

/** The accumulator (Merlion's `TSADScoreAccumulator`). Counts of points unless named `...Anom`. */
export interface TsadCounts {
  tpAnom: number;
  tpPointwise: number;
  tpPointAdjusted: number;
  fnAnom: number;
  fnPointwise: number;
  fnPointAdjusted: number;
  fp: number;
  tn: number;
  /** Σ scaled sigmoid of the first detection's position in each detected anomaly window. */
  tpScore: number;
  /** Σ scaled sigmoid of each false positive's position in its normal window (Merlion's direction). */
  fpScore: number;
  /** Detection delay of each detected anomaly (seconds from the true anomaly start; negative if early). */
  tpDetectionDelaysSec: number[];
  /** Duration of each detected anomaly (seconds). */
  tpAnomDurationsSec: number[];
  /** Duration of every anomaly (seconds). */
  anomDurationsSec: number[];
}

const TANH_2_5 = Math.tanh(2.5);

/** Merlion's scaled sigmoid σ(x): 1 for x < 0, −1 for x > 2, tanh(2.5(1 − x)) / tanh(2.5) between. */
export function merlionSigmoid(x: number): number {
  if (x > 2) return -1;
  if (x < 0) return 1;
  return Math.tanh(2.5 * (1 - x)) / TANH_2_5;
}

/** An empty accumulator. */
export function emptyTsadCounts(): TsadCounts {
  return {
    tpAnom: 0,
    tpPointwise: 0,
    tpPointAdjusted: 0,
    fnAnom: 0,
    fnPointwise: 0,
    fnPointAdjusted: 0,
    fp: 0,
    tn: 0,
    tpScore: 0,
    fpScore: 0,
    tpDetectionDelaysSec: [],
    tpAnomDurationsSec: [],
    anomDurationsSec: [],
  };
}

/**
 * Sum of accumulators (counts and scores added, lists concatenated left to right), as Merlion's `__add__`:
 * metrics of the sum are micro-averaged over the series.
 */
export function addTsadCounts(...parts: readonly TsadCounts[]): TsadCounts {
  const out = emptyTsadCounts();
  for (const c of parts) {
    out.tpAnom += c.tpAnom;
    out.tpPointwise += c.tpPointwise;
    out.tpPointAdjusted += c.tpPointAdjusted;
    out.fnAnom += c.fnAnom;
    out.fnPointwise += c.fnPointwise;
    out.fnPointAdjusted += c.fnPointAdjusted;
    out.fp += c.fp;
    out.tn += c.tn;
    out.tpScore += c.tpScore;
    out.fpScore += c.fpScore;
    out.tpDetectionDelaysSec.push(...c.tpDetectionDelaysSec);
    out.tpAnomDurationsSec.push(...c.tpAnomDurationsSec);
    out.anomDurationsSec.push(...c.anomDurationsSec);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// validation

function checkTimeArray(name: string, t: ArrayLike<number>): void {
  if (t == null || typeof t.length !== 'number') {
    throw new MetricsError('bad_input', `${name} must be an array of epoch-millisecond timestamps`);
  }
  const n = t.length;
  // strictly increasing + finite ends ⇒ all finite; the order itself is checked by checkTimeOrder / the scan
  if (n > 0 && !(Number.isFinite(t[0]) && Number.isFinite(t[n - 1]))) {
    const i = Number.isFinite(t[0]) ? n - 1 : 0;
    throw new MetricsError(
      'bad_timestamp',
      `${name}[${i}] is ${String(t[i])}: timestamps must be finite epoch milliseconds`,
    );
  }
}

function timeOrderError(name: string, t: ArrayLike<number>, i: number): never {
  if (typeof t[i] !== 'number' || Number.isNaN(t[i])) {
    throw new MetricsError(
      'bad_timestamp',
      `${name}[${i}] is ${String(t[i])}: timestamps must be finite epoch milliseconds`,
    );
  }
  throw new MetricsError(
    'unsorted_timestamps',
    `${name}[${i}] = ${t[i]} does not exceed ${name}[${i - 1}] = ${t[i - 1]}: timestamps must be strictly increasing (sort and deduplicate the series first)`,
  );
}

function checkTimeOrder(name: string, t: ArrayLike<number>): void {
  const n = t.length;
  let prev = t[0];
  for (let i = 1; i < n; i++) {
    const x = t[i];
    if (!(x > prev)) timeOrderError(name, t, i);
    prev = x;
  }
}

function checkBuffer(name: string, x: number | null | undefined): number {
  if (x == null) return 0;
  if (typeof x !== 'number' || Number.isNaN(x)) {
    throw new MetricsError(
      'bad_option',
      `${name} must be a number of seconds (or omitted), got ${String(x)}`,
    );
  }
  return x > 0 ? x : 0;
}

/** Windows rather than 0/1 labels: the first element is an object (a pair, or a wrong `{ start, end }`). */
function isWindowList(truth: EvaluateInput['truth']): truth is readonly Window[] {
  if (!Array.isArray(truth) || truth.length === 0) return false;
  const first: unknown = truth[0];
  return first !== null && typeof first === 'object';
}

/** The error of a bad label window (`checkLabelWindows`' `fail` for the metrics). @internal */
export function badWindow(message: string): MetricsError {
  return new MetricsError('bad_window', message);
}

// ---------------------------------------------------------------------------------------------------------
// the counting pass

/** Number of `tp[j] / 1000` strictly below `v`, searching from `from` (all earlier elements are below `v`). */
function lowerBoundSec(tp: ArrayLike<number>, v: number, from: number): number {
  const m = tp.length;
  if (from > 0 && tp[from - 1] / 1000 >= v) from = 0; // hint invalid: search everything
  if (from >= m || tp[from] / 1000 >= v) return from;
  // gallop: find hi with tp[hi] >= v
  let lo = from; // tp[lo] < v
  let step = 1;
  let hi = from + 1;
  while (hi < m && tp[hi] / 1000 < v) {
    lo = hi;
    step *= 2;
    hi = lo + step;
  }
  if (hi > m) hi = m;
  // invariant: tp[lo] < v, (hi == m or tp[hi] >= v)
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (tp[mid] / 1000 < v) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** State of one accumulate call; `segment()` is called for every truth segment in time order. */
class Counter {
  readonly c: TsadCounts = emptyTsadCounts();
  private prevStart: number;
  private jHint = 0;

  constructor(
    private readonly tp: ArrayLike<number>,
    private readonly pred: ArrayLike<number>,
    private readonly early: number,
    private readonly delay: number,
    firstStartSec: number,
  ) {
    this.prevStart = firstStartSec;
  }

  /** A truth segment `[T, N)` (seconds); `last` marks the final segment. */
  segment(anomalous: boolean, T: number, N: number, last: boolean): void {
    const P = this.prevStart;
    const E = this.early;
    const D = this.delay;
    const w0 = revisedWindowStart(anomalous, P, T, E, D);
    const w1 = revisedWindowEnd(anomalous, T, N, last, E, D);
    this.prevStart = T;

    const tp = this.tp;
    const pred = this.pred;
    const m = tp.length;
    const j0 = lowerBoundSec(tp, w0, this.jHint);
    this.jHint = j0;
    const j1 = windowStop(j0, lowerBoundSec(tp, w1, j0), m);
    const len = j1 > j0 ? j1 - j0 : 0;
    const c = this.c;

    if (anomalous) {
      c.anomDurationsSec.push(N - T);
      let first = -1;
      let on = 0;
      for (let j = j0; j < j1; j++) {
        if (pred[j] !== 0) {
          if (on === 0) first = j;
          on++;
        }
      }
      c.tpPointwise += on;
      c.fnPointwise += len - on;
      if (on === 0) {
        c.fnAnom += 1;
        c.fnPointAdjusted += len;
      } else {
        c.tpAnom += 1;
        c.tpPointAdjusted += len;
        const tDet = tp[first] / 1000;
        c.tpDetectionDelaysSec.push(tDet - T);
        c.tpAnomDurationsSec.push(N - T);
        const span = w1 - w0;
        const x = span === 0 ? 0 : (tDet - w0) / span;
        c.tpScore += merlionSigmoid(x);
      }
    } else {
      const span = w1 - w0;
      let on = 0;
      let windowSum = 0;
      if (span !== 0) {
        for (let j = j0; j < j1; j++) {
          if (pred[j] !== 0) {
            on++;
            windowSum += merlionSigmoid((tp[j] / 1000 - w0) / span);
          }
        }
      } else {
        // zero-length window: σ(+∞) = −1 per FP (the reference's NumPy-1 behaviour)
        for (let j = j0; j < j1; j++) if (pred[j] !== 0) on++;
        windowSum = -on;
      }
      if (on > 0) {
        c.fp += on;
        c.fpScore += windowSum;
      }
      c.tn += len - on;
    }
  }
}

/**
 * The counting pass: splits the truth into alternating segments, applies the early/delay buffers and counts
 * point-wise, point-adjusted and revised point-adjusted TP/FN, FP/TN, detection delays and NAB components.
 */
export function accumulateTsad(input: EvaluateInput): TsadCounts {
  if (input == null || typeof input !== 'object') {
    throw new MetricsError('bad_input', 'evaluate() needs an object { t, truth, pred, tPred?, ... }');
  }
  const { t, truth, pred } = input;
  const tp = input.tPred ?? t;
  checkTimeArray('t', t);
  if (input.tPred != null) {
    checkTimeArray('tPred', tp);
    checkTimeOrder('tPred', tp);
  }
  const n = t.length;
  if (n === 0) throw new MetricsError('empty', 't is empty: pass at least one truth timestamp');
  if (pred == null || typeof pred.length !== 'number') {
    throw new MetricsError('bad_input', 'pred must be an array of predictions (0 = no alarm)');
  }
  if (pred.length !== tp.length) {
    throw new MetricsError(
      'length_mismatch',
      `pred has ${pred.length} values but ${input.tPred != null ? 'tPred' : 't'} has ${tp.length} timestamps: pass one prediction per timestamp (or give tPred)`,
    );
  }
  const early = checkBuffer('maxEarlySec', input.maxEarlySec);
  const delay = checkBuffer('maxDelaySec', input.maxDelaySec);
  if (truth == null || typeof (truth as ArrayLike<unknown>).length !== 'number') {
    throw new MetricsError('bad_input', 'truth must be 0/1 labels on t or a list of [start, end] windows');
  }

  const counter = new Counter(tp, pred, early, delay, t[0] / 1000);
  const endSec = t[n - 1] / 1000 + 1; // last segment ends one second after the last timestamp (quirk 2)

  if (isWindowList(truth) || (Array.isArray(truth) && truth.length === 0 && n > 0)) {
    checkTimeOrder('t', t);
    const ranges = windowRanges(t, truth as readonly Window[]);
    // alternate normal / anomalous segments over the merged index ranges
    let start = 0;
    let anomalous = ranges.length > 0 && ranges[0] === 0;
    let r = 0;
    while (start < n) {
      let end: number;
      if (anomalous) {
        end = ranges[r + 1];
        r += 2;
      } else {
        end = r < ranges.length ? ranges[r] : n;
      }
      const last = end >= n;
      counter.segment(anomalous, t[start] / 1000, last ? endSec : t[end] / 1000, last);
      start = end;
      anomalous = !anomalous;
    }
    return counter.c;
  }

  const y = truth as ArrayLike<number>;
  if (y.length !== n) {
    throw new MetricsError(
      'length_mismatch',
      `truth has ${y.length} labels but t has ${n} timestamps: pass one label per timestamp, or windows [start, end][]`,
    );
  }
  const y0 = y[0];
  if (typeof y0 !== 'number' || Number.isNaN(y0)) badLabel(0, y0);
  let anomalous = y0 !== 0;
  let start = 0;
  let prev = t[0];
  for (let k = 1; k < n; k++) {
    const tk = t[k];
    if (!(tk > prev)) timeOrderError('t', t, k); // t is validated in the same pass
    prev = tk;
    const yk = y[k];
    if (Number.isNaN(yk)) badLabel(k, yk);
    if ((yk !== 0) !== anomalous) {
      counter.segment(anomalous, t[start] / 1000, t[k] / 1000, false);
      start = k;
      anomalous = !anomalous;
    }
  }
  counter.segment(anomalous, t[start] / 1000, endSec, true);
  return counter.c;
}

function badLabel(i: number, v: unknown): never {
  throw new MetricsError(
    'bad_label',
    `truth[${i}] is ${String(v)}: labels must be numbers (0 = normal, 1 = anomalous); NaN is not a label`,
  );
}

/**
 * Converts inclusive `[start, end]` windows (epoch ms) into merged, sorted index ranges on `t`, flattened as
 * `[lo0, hi0, lo1, hi1, ...]` with `hi` exclusive. Windows covering no timestamp are dropped; windows that
 * overlap or touch (no normal timestamp between them) merge, as they would as 0/1 labels.
 */
function windowRanges(t: ArrayLike<number>, windows: readonly Window[]): number[] {
  // the library's one label-window check (also simulate's and promote's): finite [start, end], start ≤ end
  checkLabelWindows(windows, 'truth', badWindow);
  const k = windows.length;
  const pairs: number[] = [];
  for (let w = 0; w < k; w++) {
    const win = windows[w];
    const lo = lowerBound(t, win[0]);
    const hi = upperBound(t, win[1]);
    if (hi > lo) pairs.push(lo, hi);
  }
  // sort by lo (windows are usually sorted already)
  let sorted = true;
  for (let i = 2; i < pairs.length; i += 2) if (pairs[i] < pairs[i - 2]) sorted = false;
  let src = pairs;
  if (!sorted) {
    const idx = Array.from({ length: pairs.length / 2 }, (_, i) => i);
    idx.sort((a, b) => pairs[2 * a] - pairs[2 * b]);
    src = [];
    for (const i of idx) src.push(pairs[2 * i], pairs[2 * i + 1]);
  }
  const out: number[] = [];
  for (let i = 0; i < src.length; i += 2) {
    const lo = src[i];
    const hi = src[i + 1];
    const L = out.length;
    if (L > 0 && lo <= out[L - 1]) {
      if (hi > out[L - 1]) out[L - 1] = hi;
    } else out.push(lo, hi);
  }
  return out;
}
