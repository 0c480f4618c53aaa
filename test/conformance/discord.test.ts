import fc from 'fast-check';
import { DiscordDetector } from '../../src/detectors/index.js';
import { runDetectorConformance } from './kit.js';

runDetectorConformance('DiscordDetector', (over) => new DiscordDetector({ ...over }), {
  configArb: fc.record(
    {
      m: fc.option(fc.integer({ min: 4, max: 40 }), { nil: null }),
      window: fc.integer({ min: 8, max: 300 }),
      paa: fc.option(fc.integer({ min: 1, max: 5 }), { nil: null }),
      enableCalibrator: fc.boolean(),
      periodMethod: fc.constantFrom('acf' as const, 'robust' as const, 'checked' as const),
    },
    { requiredKeys: [] },
  ),
});
