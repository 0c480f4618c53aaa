/**
 * The selection metric of tsad's metric-driven ensemble combiners (`modelSelector`,
 * `metricWeightedMean`): pass it as `new Ensemble(config, { metric: ensembleMetric })`.
 */
import type { EnsembleMetric } from '../detectors/ensemble-config.js';
import type { TimeSeries } from '../series/types.js';
import { evaluate, type TsadReport } from './tsad.js';

/**
 * The named figure of a report: the one place a metric name (`EnsembleMetric`) is looked up, shared by
 * the ensemble combiners (`ensembleMetric`) and champion/challenger promotion (`tsad/lifecycle`).
 * `meanTimeToDetect` is `+Infinity` when nothing was detected (the report itself says 0).
 */
export function reportMetric(r: TsadReport, m: EnsembleMetric): number {
  switch (m) {
    case 'f1':
      return r.f1;
    case 'precision':
      return r.precision;
    case 'recall':
      return r.recall;
    case 'f2':
      return r.fBeta(2);
    case 'f5':
      return r.fBeta(5);
    case 'pointwiseF1':
      return r.pointwise.f1;
    case 'pointwisePrecision':
      return r.pointwise.precision;
    case 'pointwiseRecall':
      return r.pointwise.recall;
    case 'pointAdjustedF1':
      return r.pointAdjusted.f1;
    case 'pointAdjustedPrecision':
      return r.pointAdjusted.precision;
    case 'pointAdjustedRecall':
      return r.pointAdjusted.recall;
    case 'nabScore':
      return r.nab.standard;
    case 'nabScoreLowFN':
      return r.nab.reward_low_FN_rate;
    case 'nabScoreLowFP':
      return r.nab.reward_low_FP_rate;
    case 'meanTimeToDetect':
      // nothing detected is never detected, not detected at once: the report's 0 (Merlion's too)
      // would make a silent member the best one (ModelSelector) and the promotion winner
      return r.recall > 0 ? r.meanTimeToDetectSec : Number.POSITIVE_INFINITY;
  }
}

/** The named metric of `pred` (non-zero = alarm) against `truth` (labels), default early/delay. */
export function ensembleMetric(m: EnsembleMetric, truth: TimeSeries, pred: TimeSeries): number {
  return reportMetric(evaluate({ t: truth.t, truth: truth.v, tPred: pred.t, pred: pred.v }), m);
}
