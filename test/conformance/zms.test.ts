import fc from 'fast-check';
import { ZmsDetector } from '../../src/detectors/index.js';
import { runDetectorConformance } from './kit.js';

runDetectorConformance('ZmsDetector', (over) => new ZmsDetector({ nLags: 3, ...over }), {
  configArb: fc.record(
    {
      base: fc.integer({ min: 2, max: 5 }),
      nLags: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }),
      lagInflation: fc.constantFrom(0, 0.5, 1, 2),
      enableCalibrator: fc.boolean(),
    },
    { requiredKeys: [] },
  ),
});
