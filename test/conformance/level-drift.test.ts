import fc from 'fast-check';
import { LevelDriftDetector } from '../../src/detectors/index.js';
import { runDetectorConformance } from './kit.js';

// 1200 training points of the kit's 5-minute series (a daily cycle of 288 points, four days) switch the
// member on when it asks for two whole periods (its default asks for seven: off there, 0 everywhere);
// floor 0 by default here so that its training scores are not all 0 (the labelled-threshold clause)
runDetectorConformance(
  'LevelDriftDetector',
  (over) => new LevelDriftDetector({ minPeriods: 2, floor: 0, ...over }),
  {
    trainLength: 1200,
    configArb: fc.record(
      {
        k: fc.constantFrom(0.5, 1, 2),
        ratio: fc.constantFrom(1, 3),
        bins: fc.constantFrom(1, 24, 48),
        floor: fc.constantFrom(0, 3),
        reanchor: fc.constantFrom(1, 2),
        // round 13b's options: alarm episodes and a profile that keeps learning
        refractory: fc.constantFrom(0, 5, 50),
        burst: fc.constantFrom(1, 2),
        relearnHalfLife: fc.constantFrom(0, 2),
        enableCalibrator: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
  },
);
