import fc from 'fast-check';
import { ChangePointDetector } from '../../src/detectors/index.js';
import { runDetectorConformance } from './kit.js';

runDetectorConformance('ChangePointDetector', (over) => new ChangePointDetector({ ...over }), {
  configArb: fc.record(
    {
      k: fc.constantFrom(0.25, 0.5, 1),
      h: fc.constantFrom(4, 8),
      period: fc.option(fc.integer({ min: 1, max: 300 }), { nil: null }),
      enableCalibrator: fc.boolean(),
    },
    { requiredKeys: [] },
  ),
});
