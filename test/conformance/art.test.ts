import fc from 'fast-check';
import { ArtDetector } from '../../src/detectors/index.js';
import { runDetectorConformance } from './kit.js';

runDetectorConformance('ArtDetector', (over) => new ArtDetector({ ...over }), {
  // the whole training part is ART's probationary period, where it never raises an alarm: its train
  // scores are all 0, so labels cannot train its alarm level (a fixed one: any raised alarm)
  labelThreshold: null,
  configArb: fc.record(
    {
      rangeMargin: fc.constantFrom(0, 0.25, 1),
      rangeMode: fc.constantFrom('clamp' as const, 'grow' as const),
      maxCategories: fc.integer({ min: 16, max: 256 }),
    },
    { requiredKeys: [] },
  ),
});
