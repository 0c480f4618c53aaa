import fc from 'fast-check';
import { FlatLineDetector } from '../../src/detectors/flatline/detector.js';
import { runDetectorConformance } from './kit.js';

runDetectorConformance('FlatLineDetector', (over) => new FlatLineDetector({ ...over }), {
  configArb: fc.record(
    {
      relTol: fc.constantFrom(0, 0.01, 0.5),
      enableCalibrator: fc.boolean(),
    },
    { requiredKeys: [] },
  ),
  // not yet on the runtime: its threshold search does not reach the best F1 candidate (0.0299 vs 0.0302); for the port to lift
  labelThreshold: null,
  // its run length does not restart from `prev` as from the concatenation; for the port to lift
  prevIsContext: false,
});
