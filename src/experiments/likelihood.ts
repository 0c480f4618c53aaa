/**
 * The `likelihood` score mapping of the NAB runner: a detector's calibrated score `s` becomes a raw score
 * `2Φ(|s|) − 1` on [0, 1], which `AnomalyLikelihoodPost` (src/detectors/post/anomaly-likelihood.ts) turns
 * into a NAB anomaly score comparable across files: anomaly likelihood of the short-term average against
 * the stream's own history, Numenta's log scale, spatial and jump novelty of the value, and a rest period
 * after an alarm.
 */
import {
  AnomalyLikelihoodPost,
  type AnomalyLikelihoodPostInput,
  logLikelihood,
} from '../detectors/post/anomaly-likelihood.js';

export { AnomalyLikelihoodPost, logLikelihood };

/** The post-processor of the `likelihood` mapping (the defaults the nabStream recipe uses). */
export function likelihoodMapper(config: AnomalyLikelihoodPostInput = {}): AnomalyLikelihoodPost {
  return new AnomalyLikelihoodPost(config);
}
