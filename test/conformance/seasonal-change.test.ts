import fc from 'fast-check';
import { SeasonalChangeDetector } from '../../src/detectors/index.js';
import { runDetectorConformance } from './kit.js';

// 1200 training points of the kit's 5-minute series (a daily cycle of 288 points) switch the member on
// (the registry's example, on 600 points, checks it while off: no period found)
runDetectorConformance('SeasonalChangeDetector', (over) => new SeasonalChangeDetector({ ...over }), {
  trainLength: 1200,
  configArb: fc.record(
    {
      lagFrac: fc.constantFrom(0, 1 / 8, 1 / 4),
      windowFrac: fc.constantFrom(0.5, 1),
      periods: fc.constantFrom(1, 2, 3),
      floor: fc.constantFrom(0, 3),
      stat: fc.constantFrom('quantile' as const, 'trimmed' as const),
      enableCalibrator: fc.boolean(),
    },
    { requiredKeys: [] },
  ),
});
