import { z } from 'zod';
import { ConfigError } from '../errors.js';

export const anomalyLikelihoodSchema = z.strictObject({
  /** Scores kept to estimate the "normal" distribution of (averaged) scores. */
  historyWindow: z.number().int().min(10).default(8640),
  /** Points before any likelihood is reported (0.5 until then). */
  learningPeriod: z.number().int().min(1).default(288),
  /** Short-term moving average length applied to the scores before comparing. */
  averagingWindow: z.number().int().min(1).default(10),
  /** Floor on the estimated standard deviation (scores that never move would divide by ~0). */
  minStd: z.number().positive().default(0.05),
});
export type AnomalyLikelihoodConfig = z.infer<typeof anomalyLikelihoodSchema>;

/** erfc through the Abramowitz–Stegun 7.1.26 rational approximation (|error| < 1.5e-7). */
function erfc(x: number): number {
  const ax = Math.abs(x);
  const k = 1 / (1 + 0.3275911 * ax);
  const y = ((((1.061405429 * k - 1.453152027) * k + 1.421413741) * k - 0.284496736) * k + 0.254829592) * k;
  const r = y * Math.exp(-ax * ax);
  return x >= 0 ? r : 2 - r;
}

/**
 * Anomaly likelihood, after Ahmad et al. (2017, "Unsupervised real-time anomaly detection for streaming
 * data"): the short-term average of the last `averagingWindow` scores is compared with a normal
 * distribution fitted to the averaged scores of the last `historyWindow` points; the likelihood is one
 * minus the tail probability of that average (the further from typical, the closer to 1). It adapts to
 * each stream's own score level, which is what a corpus-wide threshold needs. O(1) per point, no
 * allocation after construction.
 */
export class AnomalyLikelihood {
  readonly config: AnomalyLikelihoodConfig;
  private readonly recent: Float64Array;
  private readonly history: Float64Array;
  private recentSum = 0;
  private histSum = 0;
  private histSumSq = 0;
  private count = 0;

  constructor(config: Partial<AnomalyLikelihoodConfig> = {}) {
    const r = anomalyLikelihoodSchema.safeParse(config);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new ConfigError(
        'invalid_config',
        `anomaly likelihood: ${issue.path.join('.')}: ${issue.message}`,
      );
    }
    this.config = r.data;
    this.recent = new Float64Array(this.config.averagingWindow);
    this.history = new Float64Array(this.config.historyWindow);
  }

  /** Feeds one score (non-finite counts as 0) and returns the likelihood in [0, 1]. */
  push(score: number): number {
    const s = Number.isFinite(score) ? score : 0;
    const { averagingWindow: a, historyWindow: w, learningPeriod, minStd } = this.config;
    const i = this.count;
    this.recentSum += s - (i >= a ? this.recent[i % a] : 0);
    this.recent[i % a] = s;
    const avg = this.recentSum / Math.min(i + 1, a);
    // compare with the distribution of the averages seen before this point
    let likelihood = 0.5;
    const m = Math.min(i, w);
    if (i >= learningPeriod && m > 1) {
      const mean = this.histSum / m;
      const variance = Math.max(0, this.histSumSq / m - mean * mean);
      const std = Math.max(Math.sqrt(variance), minStd);
      // reflect values below the mean: unusually low scores are not anomalies
      const x = avg < mean ? mean : avg;
      const tail = 0.5 * erfc((x - mean) / std / Math.SQRT2);
      likelihood = 1 - tail;
    }
    if (i >= w) {
      const old = this.history[i % w];
      this.histSum -= old;
      this.histSumSq -= old * old;
    }
    this.history[i % w] = avg;
    this.histSum += avg;
    this.histSumSq += avg * avg;
    this.count++;
    return likelihood;
  }
}

/**
 * Numenta's log scale for likelihoods: `log(1.0000000001 − L) / log(1 − 0.9999999999)`, so 0.5 → ~0.03,
 * 0.999 → 0.3, 0.9999999999 → 1. It spreads the interesting end of the likelihood over [0, 1].
 */
export function logLikelihoodScore(likelihood: number): number {
  return Math.min(1, Math.max(0, Math.log(1.0000000001 - likelihood) / Math.log(1 - 0.9999999999)));
}
