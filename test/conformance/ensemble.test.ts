import fc from 'fast-check';
import { Ensemble, IsolationForest, NabStreamDetector, ZmsDetector } from '../../src/detectors/index.js';
import { ensembleMetric } from '../../src/metrics/index.js';
import { runDetectorConformance } from './kit.js';

const quiet = { onWarning: () => {}, metric: ensembleMetric };

runDetectorConformance(
  'Ensemble',
  (over) =>
    new Ensemble(
      {
        members: [
          new ZmsDetector({ nLags: 3, enableThreshold: false }),
          new IsolationForest({ seed: 3, nEstimators: 10, enableThreshold: false }),
        ],
        ...over,
      },
      quiet,
    ),
  {
    configArb: fc.record(
      {
        combiner: fc.constantFrom('mean', 'median', 'max', 'modelSelector', 'metricWeightedMean'),
        enableCalibrator: fc.boolean(),
        enableThreshold: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
    numRuns: 8,
  },
);

// any tsad detector can be a member, NabStreamDetector (not a BaseDetector) included
runDetectorConformance(
  'Ensemble (NabStreamDetector + ZMS)',
  (over) =>
    new Ensemble(
      {
        members: [
          new NabStreamDetector({ historyWindow: 500, zWindow: 200, learningPeriod: 50 }),
          new ZmsDetector({ nLags: 3, enableThreshold: false }),
        ],
        ...over,
      },
      quiet,
    ),
  { numRuns: 5 },
);

// members calibrated online (and the maximum calibrated again online): the calibrators' histograms are
// stream state, so checkpoint → resume, batch = stream and every other kit property cover them too.
// `prev` is context for the members only: the calibrators learn from scored points, so score(a ++ b)
// has learnt a's scores where score(b, { prev: a }) has not (prevIsContext: false)
runDetectorConformance(
  'Ensemble (online calibrators)',
  (over) =>
    new Ensemble(
      {
        members: [
          new ZmsDetector({ nLags: 3, enableThreshold: false, enableCalibrator: false }),
          new IsolationForest({ seed: 3, nEstimators: 10, enableThreshold: false, enableCalibrator: false }),
        ],
        calibrateMembers: [true, true],
        memberCalibration: 'online',
        combiner: 'max',
        ...over,
      },
      quiet,
    ),
  {
    configArb: fc.record(
      { combinedCalibration: fc.constantFrom('online'), enableThreshold: fc.boolean() },
      { requiredKeys: [] },
    ),
    numRuns: 8,
    prevIsContext: false,
  },
);
