/**
 * Candidate detectors measured by `tsad bench` before any of them may replace `defaultDetector()`
 * (docs/evaluation.md). Kept out of `src/detectors/default.ts` until the measurements justify a change.
 */
import { ChangePointDetector } from '../detectors/changepoint/detector.js';
import { DEFAULT_ALARM_RULE, defaultDetector } from '../detectors/default.js';
import { DiscordDetector } from '../detectors/discord/detector.js';
import { Ensemble } from '../detectors/ensemble.js';
import { FlatLineDetector } from '../detectors/flatline/detector.js';

/**
 * `defaultDetector()` beside the three kind-specific detectors, combined by the maximum of their
 * calibrated scores (a kind one member sees should not be averaged away by members that do not see it),
 * with the default alarm rule.
 */
export function kindsDetector(seed = 0): Ensemble {
  const quiet = { enableThreshold: false, seed } as const;
  return new Ensemble({
    members: [
      defaultDetector({ seed, threshold: {} }),
      new FlatLineDetector(quiet),
      new ChangePointDetector(quiet),
      new DiscordDetector(quiet),
    ],
    combiner: { type: 'max', absScore: true },
    enableCalibrator: false,
    threshold: { ...DEFAULT_ALARM_RULE },
    seed,
  });
}

/**
 * `defaultDetector()` and `FlatLineDetector`, combined by the maximum of their scores, with the default
 * alarm rule: the flat-line member only speaks when values stop moving, so it should add the stuck-sensor
 * kind without new false alarms elsewhere.
 */
export function defaultFlatDetector(seed = 0): Ensemble {
  return new Ensemble({
    members: [defaultDetector({ seed }), new FlatLineDetector({ enableThreshold: false, seed })],
    combiner: { type: 'max', absScore: true },
    enableCalibrator: false,
    threshold: { ...DEFAULT_ALARM_RULE },
    seed,
  });
}
