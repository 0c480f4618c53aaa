/**
 * Merlion-compatible time-series anomaly-detection metrics (`accumulate_tsad_score` and its accumulator).
 *
 * How it counts, in our words: docs/metrics.md, "Merlion's TSAD metrics". Times are epoch milliseconds at the API; internally every
 * timestamp is converted to Unix seconds as `ms / 1000`, exactly as the reference does, so window cuts,
 * sigmoid positions and delays round the same way. One linear pass over the truth labels, a galloping binary
 * search for each window's bounds in the prediction timestamps, no allocation per point.
 */
import { MetricsError } from '../errors.js';
import { accumulateTsad, type EvaluateInput, type TsadCounts } from './tsad-accumulate.js';

export {
  accumulateTsad,
  addTsadCounts,
  type EvaluateInput,
  emptyTsadCounts,
  merlionSigmoid,
  type TsadCounts,
} from './tsad-accumulate.js';

/** Which TP/FN counts a ratio uses. All three share the point-wise FP count (reference behaviour). */
export type ScoreType = 'revised' | 'pointAdjusted' | 'pointwise';

/** Profile names shared by Merlion's NAB-style score and the official NAB scorer. */
export type NabProfileName = 'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate';

/** Cost weights of a NAB profile (`tnWeight` is never used by either scorer). */
export interface NabWeights {
  readonly tpWeight: number;
  readonly fpWeight: number;
  readonly fnWeight: number;
  readonly tnWeight?: number;
}

/** NAB's `config/profiles.json` (also the weights of Merlion's NABScore / NABScoreLowFP / NABScoreLowFN). */
export const NAB_PROFILES: Readonly<Record<NabProfileName, NabWeights>> = Object.freeze({
  standard: Object.freeze({ tpWeight: 1.0, fpWeight: 0.11, fnWeight: 1.0, tnWeight: 1.0 }),
  reward_low_FP_rate: Object.freeze({ tpWeight: 1.0, fpWeight: 0.22, fnWeight: 1.0, tnWeight: 1.0 }),
  reward_low_FN_rate: Object.freeze({ tpWeight: 1.0, fpWeight: 0.11, fnWeight: 2.0, tnWeight: 1.0 }),
});

export const NAB_PROFILE_NAMES: readonly NabProfileName[] = Object.freeze([
  'standard',
  'reward_low_FP_rate',
  'reward_low_FN_rate',
]);

export interface PrfScores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/** Result of {@link evaluate}. Top-level precision/recall/f1 are the revised point-adjusted ones. */
/**
 * The mean time to detect, or `null` when no anomaly was detected (the report's
 * `meanTimeToDetectSec` is then 0, as in Merlion, which reads like an instant detection).
 * What the command line prints and writes to JSON. @internal
 */
export function detectedMttdSec(r: Pick<TsadReport, 'recall' | 'meanTimeToDetectSec'>): number | null {
  return r.recall > 0 ? r.meanTimeToDetectSec : null;
}

export interface TsadReport extends PrfScores {
  readonly revised: PrfScores;
  readonly pointAdjusted: PrfScores;
  readonly pointwise: PrfScores;
  /** F-β (default β = 1, type `'revised'`); a pair gives the types for precision and recall. */
  fBeta(beta?: number, type?: ScoreType | readonly [ScoreType, ScoreType]): number;
  /** Mean detection delay, truncated toward zero to whole seconds (0 if nothing was detected). */
  readonly meanTimeToDetectSec: number;
  /** Mean duration of the detected anomalies, truncated to whole seconds. */
  readonly meanDetectedAnomalyDurationSec: number;
  /** Mean duration of all anomalies, truncated to whole seconds. */
  readonly meanAnomalyDurationSec: number;
  readonly counts: Readonly<TsadCounts>;
  /** Merlion's NAB-style score (a fraction, not NAB's 0–100) for the three profiles. */
  readonly nab: Readonly<Record<NabProfileName, number>>;
  /** Merlion's NAB-style score for any weights. */
  nabScore(weights?: Partial<NabWeights>): number;
}

export interface ReportOptions {
  readonly nabWithoutAnomalies?: 'nan' | 'reference';
}

// ---------------------------------------------------------------------------------------------------------
// metrics of an accumulator

function tpFn(c: TsadCounts, type: ScoreType): [number, number] {
  switch (type) {
    case 'revised':
      return [c.tpAnom, c.fnAnom];
    case 'pointAdjusted':
      return [c.tpPointAdjusted, c.fnPointAdjusted];
    case 'pointwise':
      return [c.tpPointwise, c.fnPointwise];
    default:
      throw new MetricsError(
        'bad_score_type',
        `unknown score type ${JSON.stringify(type)}: use 'revised', 'pointAdjusted' or 'pointwise'`,
      );
  }
}

export function precisionOf(c: TsadCounts, type: ScoreType = 'revised'): number {
  const [tp] = tpFn(c, type);
  return tp + c.fp === 0 ? 0 : tp / (tp + c.fp);
}

export function recallOf(c: TsadCounts, type: ScoreType = 'revised'): number {
  const [tp, fn] = tpFn(c, type);
  return tp + fn === 0 ? 0 : tp / (tp + fn);
}

/** F-β with Merlion's zero rule (0 if precision or recall is 0). */
export function fBetaOf(
  c: TsadCounts,
  beta = 1,
  type: ScoreType | readonly [ScoreType, ScoreType] = 'revised',
): number {
  if (typeof beta !== 'number' || !(beta > 0) || !Number.isFinite(beta)) {
    throw new MetricsError('bad_option', `beta must be a positive finite number, got ${String(beta)}`);
  }
  const [pt, rt] = typeof type === 'string' ? [type, type] : type;
  const p = precisionOf(c, pt);
  const r = recallOf(c, rt);
  if (p === 0 || r === 0) return 0;
  if (beta === 1) return (2 * p * r) / (p + r);
  const b2 = beta ** 2;
  return ((1 + b2) * p * r) / (b2 * p + r);
}

/**
 * NumPy's pairwise summation (what `np.mean` uses), so truncated means match the reference even when a
 * mean lands within rounding of a whole second.
 */
function pairwiseSum(a: readonly number[], off: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[off + i];
    return res;
  }
  if (n <= 128) {
    const r = [a[off], a[off + 1], a[off + 2], a[off + 3], a[off + 4], a[off + 5], a[off + 6], a[off + 7]];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let k = 0; k < 8; k++) r[k] += a[off + i + k];
    }
    let res = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) res += a[off + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, off, n2) + pairwiseSum(a, off + n2, n - n2);
}

/** `int(np.mean(xs))` (0 for an empty list): truncation toward zero, never −0. */
function truncMean(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  return Math.trunc(pairwiseSum(xs, 0, xs.length) / xs.length) + 0;
}

/** Merlion's NAB-style score of an accumulator (a fraction; docs/metrics.md gives the formula and its quirks). */
export function merlionNabScore(
  c: TsadCounts,
  weights: Partial<NabWeights> = {},
  opts: ReportOptions = {},
): number {
  const tpW = weights.tpWeight ?? 1.0;
  const fpW = weights.fpWeight ?? 0.11;
  const fnW = weights.fnWeight ?? 1.0;
  const A = c.tpAnom + c.fnAnom;
  if (A === 0 && (opts.nabWithoutAnomalies ?? 'nan') === 'nan') return Number.NaN;
  const nullScore = -A * fnW;
  const perfect = A * tpW;
  const score = c.tpScore * tpW - c.fpScore * fpW - c.fnAnom * fnW;
  return (score - nullScore) / (perfect - nullScore + 1e-8);
}

function prf(c: TsadCounts, type: ScoreType): PrfScores {
  const precision = precisionOf(c, type);
  const recall = recallOf(c, type);
  const f1 = precision === 0 || recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return Object.freeze({ precision, recall, f1 });
}

/** All metrics of an accumulator (use with {@link addTsadCounts} for micro-averages over many series). */
export function tsadReport(counts: TsadCounts, opts: ReportOptions = {}): TsadReport {
  const revised = prf(counts, 'revised');
  const nab = {
    standard: merlionNabScore(counts, NAB_PROFILES.standard, opts),
    reward_low_FP_rate: merlionNabScore(counts, NAB_PROFILES.reward_low_FP_rate, opts),
    reward_low_FN_rate: merlionNabScore(counts, NAB_PROFILES.reward_low_FN_rate, opts),
  };
  return {
    precision: revised.precision,
    recall: revised.recall,
    f1: revised.f1,
    revised,
    pointAdjusted: prf(counts, 'pointAdjusted'),
    pointwise: prf(counts, 'pointwise'),
    fBeta: (beta = 1, type = 'revised') => fBetaOf(counts, beta, type),
    meanTimeToDetectSec: truncMean(counts.tpDetectionDelaysSec),
    meanDetectedAnomalyDurationSec: truncMean(counts.tpAnomDurationsSec),
    meanAnomalyDurationSec: truncMean(counts.anomDurationsSec),
    counts,
    nab: Object.freeze(nab),
    nabScore: (weights = {}) => merlionNabScore(counts, weights, opts),
  };
}

/**
 * Merlion-compatible TSAD evaluation of one series: precision / recall / F1 / F-β for the revised
 * point-adjusted (default), point-adjusted and point-wise score types, mean time to detect, anomaly
 * durations, the raw counts and Merlion's NAB-style score. Throws `MetricsError` on bad input.
 */
export function evaluate(input: EvaluateInput): TsadReport {
  return tsadReport(accumulateTsad(input), { nabWithoutAnomalies: input.nabWithoutAnomalies });
}
