/**
 * The official NAB (Numenta Anomaly Benchmark v1.1) scorer: label windows, probationary period, scaled
 * sigmoid, first detection per window, FP weighting by distance to the preceding window, cost profiles, the
 * threshold sweep and optimiser, per-file scores, corpus totals and the 0–100 normalisation.
 *
 * How it works, in our words: docs/metrics.md, "NAB's scorer". Pure computation on typed arrays; file
 * reading is in `nab-files.ts`.
 */
import { MetricsError } from '../errors.js';
import type { Window } from '../series/types.js';
import {
  NAB_MAX_TP,
  type NabCorpus,
  type NabProfile,
  type NabResults,
  type PreparedNabFile,
  prepareNabFile,
  resolveNabProfile,
  sortDescStable,
} from './nab-prepare.js';
import type { NabProfileName, NabWeights } from './tsad.js';

export {
  type NabCorpus,
  type NabCorpusFile,
  type NabProfile,
  type NabResults,
  nabProbationaryLength,
  nabRowPositions,
  nabRowScores,
  nabScaledSigmoid,
  type PreparedNabFile,
  prepareNabFile,
  resolveNabProfile,
} from './nab-prepare.js';

/** The threshold-sweep table (struct of arrays): one entry for 1.1 and one per distinct score. */
export interface NabSweep {
  readonly length: number;
  /** Thresholds, descending; entry k means "detections = rows with score ≥ threshold[k]". */
  readonly threshold: Float64Array;
  readonly score: Float64Array;
  readonly tp: Int32Array;
  readonly tn: Int32Array;
  readonly fp: Int32Array;
  readonly fn: Int32Array;
}

/** Score of one file at one threshold (a row of NAB's `*_scores.csv`). */
export interface NabFileScore {
  readonly file: string;
  readonly threshold: number;
  readonly score: number;
  readonly tp: number;
  readonly tn: number;
  readonly fp: number;
  readonly fn: number;
  /** Scorable rows (probationary rows excluded). */
  readonly total: number;
}

/** Corpus score of one detector under one profile. */
export interface NabProfileScore {
  readonly profile: string;
  readonly weights: NabWeights;
  /** The threshold used (optimised over the corpus or given). */
  readonly threshold: number;
  /** True if `threshold` came from the optimiser. */
  readonly optimized: boolean;
  /** Raw total: the sum of the per-file scores. */
  readonly raw: number;
  /** 0–100 normalised score: 100 · (raw − null) / (perfect − null). */
  readonly normalized: number;
  /** Raw total of the null detector (detects nothing). */
  readonly nullScore: number;
  /** Raw total of the perfect detector (every window in the label set · tpWeight). */
  readonly perfectScore: number;
  readonly tp: number;
  readonly tn: number;
  readonly fp: number;
  readonly fn: number;
  readonly total: number;
  readonly files: readonly NabFileScore[];
}

const START_THRESHOLD = 1.1;

/** Rows of one or more prepared files, as one sweep input (window ids made unique across files). */
interface RowSet {
  scores: Float64Array;
  unweighted: Float64Array;
  window: Int32Array;
  order: Uint32Array;
  numWindows: number;
}

function rowSetOf(f: PreparedNabFile): RowSet {
  return {
    scores: f.scores,
    unweighted: f.unweighted,
    window: f.window,
    order: f.order,
    numWindows: f.labelledWindows,
  };
}

const corpusCache = new WeakMap<readonly PreparedNabFile[], RowSet>();

function corpusRowSet(files: readonly PreparedNabFile[]): RowSet {
  if (files.length === 1) return rowSetOf(files[0]);
  const cached = corpusCache.get(files);
  if (cached) return cached;
  const rs = buildCorpusRowSet(files);
  corpusCache.set(files, rs);
  return rs;
}

function buildCorpusRowSet(files: readonly PreparedNabFile[]): RowSet {
  let m = 0;
  for (const f of files) m += f.scores.length;
  const scores = new Float64Array(m);
  const unweighted = new Float64Array(m);
  const window = new Int32Array(m);
  let off = 0;
  let wOff = 0;
  for (const f of files) {
    scores.set(f.scores, off);
    unweighted.set(f.unweighted, off);
    const fw = f.window;
    for (let i = 0; i < fw.length; i++) window[off + i] = fw[i] < 0 ? -1 : fw[i] + wOff;
    off += f.scores.length;
    wOff += f.labelledWindows;
  }
  return { scores, unweighted, window, order: sortDescStable(scores), numWindows: wOff };
}

/** The threshold sweep (sweeper `calcScoreByThreshold`) over a row set. */
function sweepRows(rs: RowSet, weights: NabWeights): NabSweep {
  const { scores, unweighted, window, order } = rs;
  const m = order.length;
  const tpW = weights.tpWeight;
  const fpW = weights.fpWeight;
  const fnW = weights.fnWeight;
  // score parts: slot 0 = FPs, then windows in order of first appearance in the sorted rows (dict order)
  const slotOf = new Int32Array(rs.numWindows).fill(-1);
  let slots = 1;
  let tn = 0;
  let fn = 0;
  for (let k = 0; k < m; k++) {
    const w = window[order[k]];
    if (w < 0) tn++;
    else {
      fn++;
      if (slotOf[w] < 0) slotOf[w] = slots++;
    }
  }
  const parts = new Float64Array(slots);
  for (let s = 1; s < slots; s++) parts[s] = -fnW;
  let tp = 0;
  let fp = 0;

  const cap = m + 1;
  const thr = new Float64Array(cap);
  const sco = new Float64Array(cap);
  const TP = new Int32Array(cap);
  const TN = new Int32Array(cap);
  const FP = new Int32Array(cap);
  const FN = new Int32Array(cap);
  let len = 0;
  let cur = START_THRESHOLD;
  let sum = 0;
  let dirty = true;
  const record = () => {
    if (dirty) {
      sum = 0;
      for (let s = 0; s < slots; s++) sum += parts[s];
      dirty = false;
    }
    thr[len] = cur;
    sco[len] = sum;
    TP[len] = tp;
    TN[len] = tn;
    FP[len] = fp;
    FN[len] = fn;
    len++;
  };
  for (let k = 0; k < m; k++) {
    const i = order[k];
    const s = scores[i];
    if (s !== cur) {
      record();
      cur = s;
    }
    const w = window[i];
    if (w >= 0) {
      tp++;
      fn--;
      const S = (unweighted[i] * tpW) / NAB_MAX_TP;
      const slot = slotOf[w];
      if (S > parts[slot]) {
        parts[slot] = S;
        dirty = true;
      }
    } else {
      fp++;
      tn--;
      parts[0] += unweighted[i] * fpW;
      dirty = true;
    }
  }
  record();
  return {
    length: len,
    threshold: thr.subarray(0, len),
    score: sco.subarray(0, len),
    tp: TP.subarray(0, len),
    tn: TN.subarray(0, len),
    fp: FP.subarray(0, len),
    fn: FN.subarray(0, len),
  };
}

/** Threshold sweep of one prepared file, or of several files pooled as one corpus. */
export function nabSweep(files: PreparedNabFile | readonly PreparedNabFile[], profile: NabProfile): NabSweep {
  const weights = resolveNabProfile(profile);
  if (!Array.isArray(files)) return sweepRows(rowSetOf(files as PreparedNabFile), weights);
  const list = files as readonly PreparedNabFile[];
  return sweepRows(corpusRowSet(list), weights);
}

/** Index of the best entry: highest score, ties → the first (highest threshold), as NAB's optimiser. */
export function bestSweepEntry(sw: NabSweep): number {
  let best = 0;
  for (let k = 1; k < sw.length; k++) if (sw.score[k] > sw.score[best]) best = k;
  return best;
}

/**
 * The entry NAB's scorer selects for threshold θ: the entry equal to θ, else the last one above θ. θ below
 * every score (the reference crashes) → the last entry; θ above 1.1 → the 1.1 entry.
 */
export function selectSweepEntry(sw: NabSweep, threshold: number): number {
  for (let k = 0; k < sw.length; k++) {
    const th = sw.threshold[k];
    if (th === threshold) return k;
    if (th < threshold) return k > 0 ? k - 1 : 0;
  }
  return sw.length - 1;
}

/** Corpus-wide threshold optimisation for one profile (NAB `optimize`). */
export function optimizeNabThreshold(
  files: readonly PreparedNabFile[],
  profile: NabProfile,
): { threshold: number; score: number } {
  const sw = nabSweep(files, profile);
  const k = bestSweepEntry(sw);
  return { threshold: sw.threshold[k], score: sw.score[k] };
}

/** Score of one prepared file at threshold θ (NAB `scoreDataSet`). */
export function scoreNabFile(file: PreparedNabFile, threshold: number, profile: NabProfile): NabFileScore {
  const sw = sweepRows(rowSetOf(file), resolveNabProfile(profile));
  const k = selectSweepEntry(sw, threshold);
  return {
    file: file.name,
    threshold,
    score: sw.score[k],
    tp: sw.tp[k],
    tn: sw.tn[k],
    fp: sw.fp[k],
    fn: sw.fn[k],
    total: sw.tp[k] + sw.tn[k] + sw.fp[k] + sw.fn[k],
  };
}

function profileLabel(profile: NabProfile): string {
  return typeof profile === 'string' ? profile : 'custom';
}

/**
 * Scores prepared files under one profile: optimises the threshold over the whole set unless one is given,
 * scores every file at it, sums the per-file scores and normalises to 0–100 against the null detector
 * (−fnWeight per window with a scorable row) and the perfect detector (tpWeight per labelled window).
 */
export function scoreNabPrepared(
  files: readonly PreparedNabFile[],
  profile: NabProfile,
  threshold?: number,
): NabProfileScore {
  const weights = resolveNabProfile(profile);
  if (threshold !== undefined && (typeof threshold !== 'number' || Number.isNaN(threshold))) {
    throw new MetricsError('bad_threshold', `threshold must be a number, got ${String(threshold)}`);
  }
  if (files.length === 0)
    throw new MetricsError('empty', 'no files to score: the corpus has no file with results');
  const optimized = threshold === undefined;
  const theta = optimized ? optimizeNabThreshold(files, weights).threshold : threshold;
  const perFile: NabFileScore[] = [];
  let raw = 0;
  let tp = 0;
  let tn = 0;
  let fp = 0;
  let fn = 0;
  let labelled = 0;
  let scorable = 0;
  for (const f of files) {
    const s = scoreNabFile(f, theta, weights);
    perFile.push(s);
    raw += s.score;
    tp += s.tp;
    tn += s.tn;
    fp += s.fp;
    fn += s.fn;
    labelled += f.labelledWindows;
    scorable += f.scorableWindows;
  }
  const nullScore = -weights.fnWeight * scorable;
  const perfectScore = labelled * weights.tpWeight;
  // without any label window null = perfect = 0 and the 0–100 scale is undefined
  const normalized =
    perfectScore === nullScore ? Number.NaN : (100 * (raw - nullScore)) / (perfectScore - nullScore);
  return {
    profile: profileLabel(profile),
    weights,
    threshold: theta,
    optimized,
    raw,
    normalized,
    nullScore,
    perfectScore,
    tp,
    tn,
    fp,
    fn,
    total: tp + tn + fp + fn,
    files: perFile,
  };
}

/** Prepares every corpus file that has results (keys sorted); missing results are an error. */
export function prepareNabCorpus(
  corpus: NabCorpus,
  results: NabResults,
  opts: { partial?: boolean } = {},
): PreparedNabFile[] {
  const keys = Object.keys(corpus).sort();
  const missing = keys.filter((k) => results[k] === undefined);
  if (missing.length > 0 && !opts.partial) {
    throw new MetricsError(
      'missing_results',
      `no results for ${missing.length} corpus file(s) (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}); NAB scores the whole corpus — add them, or pass partial: true to score the others only`,
    );
  }
  const extra = Object.keys(results).filter((k) => corpus[k] === undefined);
  if (extra.length > 0) {
    throw new MetricsError(
      'unknown_file',
      `results for file(s) not in the corpus labels: ${extra.slice(0, 3).join(', ')}; check the file names`,
    );
  }
  return keys.filter((k) => results[k] !== undefined).map((k) => prepareNabFile(k, corpus[k], results[k]));
}

/**
 * NAB score of one detector's results on a corpus under one profile (threshold optimised over the corpus
 * unless `threshold` is given).
 */
export function nabScore(
  corpus: NabCorpus,
  results: NabResults,
  opts: { profile?: NabProfile; threshold?: number; partial?: boolean } = {},
): NabProfileScore {
  const files = prepareNabCorpus(corpus, results, opts);
  return scoreNabPrepared(files, opts.profile ?? 'standard', opts.threshold);
}

/** All three NAB profiles at once (files prepared once). */
export function nabScoreAllProfiles(
  files: readonly PreparedNabFile[],
  thresholds: Partial<Record<NabProfileName, number>> = {},
): Record<NabProfileName, NabProfileScore> {
  return {
    standard: scoreNabPrepared(files, 'standard', thresholds.standard),
    reward_low_FP_rate: scoreNabPrepared(files, 'reward_low_FP_rate', thresholds.reward_low_FP_rate),
    reward_low_FN_rate: scoreNabPrepared(files, 'reward_low_FN_rate', thresholds.reward_low_FN_rate),
  };
}

/**
 * Builds NAB label windows around anomaly rows, as NAB's label combiner did for `combined_windows.json`
 * (docs/metrics.md, "How NAB built its label windows"): window length `floor(0.10 · n / k)` rows centred on each anomaly (half-width by floor
 * division, clipped to the file), the first window dropped if it starts before the probationary period ends,
 * then one left-to-right pass merging a window into the previous one when they overlap (a chain of three
 * overlapping windows is not fully merged — reference quirk). Returns `[start, end]` timestamps.
 */
export function nabWindowsFromAnomalies(t: ArrayLike<number>, anomalyRows: readonly number[]): Window[] {
  const n = t.length;
  const k = anomalyRows.length;
  if (k === 0) return [];
  for (const a of anomalyRows) {
    if (!Number.isInteger(a) || a < 0 || a >= n) {
      throw new MetricsError('bad_window', `anomaly row ${a} is not a row index in [0, ${n - 1}]`);
    }
  }
  const windowLength = Math.trunc((0.1 * n) / k);
  const half = Math.floor(windowLength / 2);
  const rows = anomalyRows.map((a) => [Math.max(a - half, 0), Math.min(a + half, n - 1)]);
  const p = Math.min(Math.floor(0.15 * n), 750);
  if (rows.length > 0 && t[rows[0][0]] < t[p]) rows.shift();
  for (let i = 0; i < rows.length - 1; i++) {
    if (t[rows[i + 1][0]] <= t[rows[i][1]]) {
      rows[i] = [rows[i][0], rows[i + 1][1]];
      rows.splice(i + 1, 1);
    }
  }
  return rows.map(([a, b]) => [t[a], t[b]] as const);
}
