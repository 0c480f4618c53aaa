import fc from 'fast-check';
import { FlatLineDetector } from '../../src/detectors/index.js';
import { runDetectorConformance } from './kit.js';

runDetectorConformance('FlatLineDetector', (over) => new FlatLineDetector({ ...over }), {
  configArb: fc.record(
    {
      relTol: fc.constantFrom(0, 0.01, 0.5),
      enableCalibrator: fc.boolean(),
    },
    { requiredKeys: [] },
  ),
});
