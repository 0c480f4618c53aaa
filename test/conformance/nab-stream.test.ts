import fc from 'fast-check';
import { NabStreamDetector } from '../../src/detectors/index.js';
import { runDetectorConformance } from './kit.js';

runDetectorConformance(
  'NabStreamDetector',
  (over) => new NabStreamDetector({ historyWindow: 500, zWindow: 200, learningPeriod: 50, ...over }),
  {
    configArb: fc.record(
      {
        bins: fc.integer({ min: 2, max: 32 }),
        contextOrder: fc.integer({ min: 1, max: 4 }),
        relativeSurprise: fc.boolean(),
        contextWeight: fc.constantFrom(0, 0.5, 1),
        zWeight: fc.constantFrom(0, 1),
        diffWeight: fc.constantFrom(0, 1),
        binPeriod: fc.integer({ min: 2, max: 700 }),
        restPeriod: fc.integer({ min: 0, max: 50 }),
      },
      { requiredKeys: [] },
    ),
  },
);
