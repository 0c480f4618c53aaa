import fc from 'fast-check';
import { IsolationForest } from '../../src/detectors/index.js';
import { runDetectorConformance } from './kit.js';

runDetectorConformance(
  'IsolationForest',
  (over) => new IsolationForest({ seed: 7, nEstimators: 50, ...over }),
  {
    configArb: fc.record(
      {
        seed: fc.integer({ min: -1000, max: 1000 }),
        nEstimators: fc.integer({ min: 1, max: 30 }),
        maxSamples: fc.integer({ min: 1, max: 400 }),
        enableCalibrator: fc.boolean(),
        transforms: fc.constantFrom(
          [{ type: 'difference' }, { type: 'shingle', size: 2 }],
          [{ type: 'shingle', size: 3 }],
          [{ type: 'lag', k: 2 }, { type: 'meanVarNormalize' }],
          [],
        ),
      },
      { requiredKeys: [] },
    ),
  },
);
