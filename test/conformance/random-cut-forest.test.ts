import fc from 'fast-check';
import { RandomCutForest } from '../../src/detectors/index.js';
import { runDetectorConformance } from './kit.js';

const configArb = fc.record(
  {
    seed: fc.integer({ min: -1000, max: 1000 }),
    nEstimators: fc.integer({ min: 1, max: 12 }),
    maxNSamples: fc.integer({ min: 1, max: 300 }),
    onlineUpdates: fc.boolean(),
    enableCalibrator: fc.boolean(),
    timeDecay: fc.double({ min: 0, max: 0.1, noNaN: true }),
    transforms: fc.constantFrom(
      [{ type: 'difference' }, { type: 'shingle', size: 4 }],
      [{ type: 'shingle', size: 3 }],
      [{ type: 'lag', k: 2 }, { type: 'meanVarNormalize' }],
      [],
    ),
  },
  { requiredKeys: [] },
);

// Small forests keep the suite fast; the online variant exercises score-then-update everywhere.
runDetectorConformance(
  'RandomCutForest',
  (over) => new RandomCutForest({ seed: 7, nEstimators: 20, maxNSamples: 128, ...over }),
  {
    configArb,
    seeded: true,
  },
);
runDetectorConformance(
  'RandomCutForest (onlineUpdates)',
  (over) => new RandomCutForest({ seed: 7, nEstimators: 20, maxNSamples: 128, onlineUpdates: true, ...over }),
  // online: score(a ++ b) learns a, while prev is transform context only
  // (its model file has the plain variant's shape, fuzzed 300 times above)
  { configArb, seeded: true, prevIsContext: false, fuzzRuns: 100 },
);
