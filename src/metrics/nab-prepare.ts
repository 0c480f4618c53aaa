/**
 * Preparing NAB files for scoring: the corpus and result types, the scaled sigmoid, the probationary
 * period, cost profiles, and per row of a file its window and unweighted sigmoid value (`prepareNabFile`).
 * The threshold sweep, the optimiser and the corpus totals are in `nab.ts`, which re-exports these
 * names; how it works, in our words: docs/metrics.md, "NAB's scorer".
 */
import { MetricsError } from '../errors.js';
import { checkLabelWindows } from '../series/label-windows.js';
import { formatTime } from '../series/series.js';
import type { Window } from '../series/types.js';
import { NAB_PROFILE_NAMES, NAB_PROFILES, type NabProfileName, type NabWeights } from './tsad.js';
import { badWindow } from './tsad-accumulate.js';

/** One data file of a NAB corpus: its row timestamps and its label windows. */
export interface NabCorpusFile {
  /** Row timestamps, epoch ms, strictly increasing. */
  readonly t: ArrayLike<number>;
  /** Label windows `[start, end]` in epoch ms, inclusive, sorted and non-overlapping. */
  readonly windows: readonly Window[];
}

/** Corpus: file key (e.g. `realKnownCause/nyc_taxi.csv`) → rows and windows. */
export type NabCorpus = Readonly<Record<string, NabCorpusFile>>;

/**
 * A detector's results: file key → `anomaly_score` per row (same rows as the corpus file). Detectors emit
 * [0, 1]; the scorer, like NAB's, accepts any finite number.
 */
export type NabResults = Readonly<Record<string, ArrayLike<number>>>;

/** A profile given by name or by weights. */
export type NabProfile = NabProfileName | NabWeights;

/** NAB's scaled sigmoid: 2·sigmoid(−5x) − 1, and −1 for x > 3. */
export function nabScaledSigmoid(x: number): number {
  if (x > 3.0) return -1.0;
  return 2 * (1 / (1 + Math.exp(5 * x))) - 1.0;
}

/** The largest true-positive sigmoid value (a detection at the window's start). */
export const NAB_MAX_TP = nabScaledSigmoid(-1.0);

/** Rows at the start of a file excluded from scoring: min(floor(0.15 n), 750). */
export function nabProbationaryLength(n: number, probationPercent = 0.15): number {
  return Math.min(Math.floor(probationPercent * n), probationPercent * 5000);
}

export function resolveNabProfile(profile: NabProfile): NabWeights {
  if (typeof profile === 'string') {
    const w = NAB_PROFILES[profile];
    if (!w) {
      throw new MetricsError(
        'bad_profile',
        `unknown NAB profile ${JSON.stringify(profile)}: use one of ${NAB_PROFILE_NAMES.join(', ')} or give { tpWeight, fpWeight, fnWeight }`,
      );
    }
    return w;
  }
  for (const k of ['tpWeight', 'fpWeight', 'fnWeight'] as const) {
    if (typeof profile?.[k] !== 'number' || !Number.isFinite(profile[k])) {
      throw new MetricsError('bad_profile', `NAB profile weight ${k} must be a finite number`);
    }
  }
  return profile;
}

/**
 * One file prepared for scoring: per scorable row (probationary rows dropped) its anomaly score, its
 * unweighted scaled-sigmoid value and its window (−1 outside windows), plus the score-sorted row order.
 */
export interface PreparedNabFile {
  readonly name: string;
  /** Rows in the file (including probationary ones). */
  readonly rows: number;
  readonly probation: number;
  /** Windows in the label set for this file. */
  readonly labelledWindows: number;
  /** Windows with at least one scorable row (these count in the null score). */
  readonly scorableWindows: number;
  readonly scores: Float64Array;
  readonly unweighted: Float64Array;
  readonly window: Int32Array;
  /** Indices into the arrays above, sorted by score descending (stable). */
  readonly order: Uint32Array;
}

function indexOf(a: ArrayLike<number>, v: number, from: number): number {
  for (let i = from; i < a.length; i++) if (a[i] === v) return i;
  return -1;
}

export function sortDescStable(scores: Float64Array): Uint32Array {
  const n = scores.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => {
    const d = scores[b] - scores[a];
    return d !== 0 ? d : a - b;
  });
  return order;
}

/**
 * NAB's per-row position weights for one file (sweeper `calcSweepScore`), unweighted by profile: inside a
 * window the scaled sigmoid of the row's position in it, outside the scaled sigmoid of the distance past
 * the preceding window (−1 before the first window), plus the row's window index (−1 outside windows).
 * NAB works by row position: it enters a window at the first row (after the previous window) whose
 * timestamp equals the window's start, and the window's right edge is the first row equal to its end.
 * Timestamps need not be sorted (NAB's own machine-temperature file steps back once at a DST change).
 */
export function nabRowPositions(
  name: string,
  file: NabCorpusFile,
): { unweighted: Float64Array; window: Int32Array } {
  const t = file.t;
  const n = t.length;
  // the library's one label-window check first (a { start, end } object was a raw TypeError here)
  checkLabelWindows(file.windows, `${name} windows`, badWindow);
  const W = file.windows.length;
  const L = new Int32Array(W);
  const R = new Int32Array(W);
  let from = 0;
  for (let w = 0; w < W; w++) {
    const [s, e] = file.windows[w];
    const lo = indexOf(t, s, from);
    const hi = indexOf(t, e, 0);
    const earlier = lo < 0 && w > 0 ? indexOf(t, s, 0) : -1;
    if (earlier >= 0 && earlier < from) {
      // the start is a row, but not after the previous window: the windows overlap or are out of order
      throw new MetricsError(
        'bad_window',
        `${name}: window ${w} starts at row ${earlier} (${formatTime(s)}), at or before window ${w - 1} ends at row ${from - 1} (${formatTime(t[from - 1])}); NAB windows are sorted and do not overlap: sort the windows and merge overlapping ones`,
      );
    }
    if (lo < 0 || hi < 0) {
      const which = lo < 0 ? 'start' : 'end';
      const when = lo < 0 ? s : e;
      throw new MetricsError(
        'bad_window',
        `${name}: window ${w} ${which} (${formatTime(when)}) is not a row timestamp${lo < 0 && w > 0 ? ' after the previous window' : ''}; NAB windows must start and end on existing rows, in order`,
      );
    }
    if (hi < lo) throw windowOrderError(name, t, w, lo, hi);
    L[w] = lo;
    R[w] = hi;
    from = hi + 1;
  }
  const unweighted = new Float64Array(n);
  const window = new Int32Array(n);
  let cur = -1;
  let next = 0;
  let prevR = -1;
  let prevWidth = 0;
  let width = 0;
  for (let i = 0; i < n; i++) {
    if (cur < 0 && next < W && i === L[next]) {
      cur = next;
      width = R[cur] - L[cur] + 1;
    }
    let u: number;
    if (cur >= 0) u = nabScaledSigmoid(-(R[cur] - i + 1) / width);
    else if (prevR < 0) u = -1.0;
    else u = nabScaledSigmoid(Math.abs(prevR - i) / (prevWidth - 1)); // 1-row window: x/0 = ∞ → −1
    unweighted[i] = u;
    window[i] = cur;
    if (cur >= 0 && i === R[cur]) {
      prevR = R[cur];
      prevWidth = width;
      cur = -1;
      next++;
    }
  }
  return { unweighted, window };
}

/**
 * The error for a window whose end row comes before its start row. With the window's own ends in order
 * that means the rows are out of time order: name the first row that steps back.
 */
function windowOrderError(
  name: string,
  t: ArrayLike<number>,
  w: number,
  lo: number,
  hi: number,
): MetricsError {
  let back = -1;
  for (let i = 1; i < t.length && back < 0; i++) if (t[i] < t[i - 1]) back = i;
  if (back > 0) {
    return new MetricsError(
      'unsorted_rows',
      `${name}: rows are out of time order: row ${back} (${formatTime(t[back])}) comes after row ${back - 1} (${formatTime(t[back - 1])}), so window ${w} would start at row ${lo} but end at row ${hi}; write the rows in the data file's order (rows counted from 0 after the header)`,
    );
  }
  return new MetricsError(
    'bad_window',
    `${name}: window ${w} starts at row ${lo} (${formatTime(t[lo])}) after it ends at row ${hi} (${formatTime(t[hi])}); windows are [start, end]`,
  );
}

/**
 * NAB's per-row weighted score `S(t)` of one file under a profile (the `S(t)_<profile>` column NAB writes):
 * inside windows `u · tpWeight / maxTP`, outside `u · fpWeight`. Probationary rows get a value too.
 */
export function nabRowScores(name: string, file: NabCorpusFile, profile: NabProfile): Float64Array {
  const { tpWeight, fpWeight } = resolveNabProfile(profile);
  const { unweighted, window } = nabRowPositions(name, file);
  const out = new Float64Array(unweighted.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = window[i] >= 0 ? (unweighted[i] * tpWeight) / NAB_MAX_TP : unweighted[i] * fpWeight;
  }
  return out;
}

/** Prepares one file for scoring: drops probationary rows, checks scores, sorts rows by score. */
export function prepareNabFile(
  name: string,
  file: NabCorpusFile,
  scores: ArrayLike<number>,
): PreparedNabFile {
  const n = file.t.length;
  if (scores.length !== n) {
    throw new MetricsError(
      'length_mismatch',
      `${name}: ${scores.length} anomaly scores for ${n} rows; the results file must have one row per data row`,
    );
  }
  const { unweighted, window } = nabRowPositions(name, file);
  const probation = nabProbationaryLength(n);
  const p0 = Math.min(n, Math.ceil(probation));
  const m = n - p0;
  const sc = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    const s = scores[p0 + j];
    // NAB's scorer only sorts and compares scores: any finite number counts (published result files
    // hold a few slightly outside [0, 1]); NaN, ±Infinity and non-numbers are refused.
    if (typeof s !== 'number' || !Number.isFinite(s)) {
      throw new MetricsError(
        'bad_score',
        `${name}: row ${p0 + j} anomaly_score is ${typeof s === 'number' ? String(s) : JSON.stringify(s)}; NAB scores must be finite numbers (detectors normally emit [0, 1])`,
      );
    }
    sc[j] = s;
  }
  const win = window.slice(p0);
  let scorableWindows = 0;
  let last = -1;
  for (let j = 0; j < m; j++) {
    if (win[j] >= 0 && win[j] !== last) {
      scorableWindows++;
      last = win[j];
    }
  }
  return {
    name,
    rows: n,
    probation,
    labelledWindows: file.windows.length,
    scorableWindows,
    scores: sc,
    unweighted: unweighted.slice(p0),
    window: win,
    order: sortDescStable(sc),
  };
}
