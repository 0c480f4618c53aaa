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

// Late arming (round 12a): 450 training points (1.56 days) leave it off; it checks the stream for a
// period every `every` points and arms inside the kit's 700-point test series (after three days)
runDetectorConformance(
  'SeasonalChangeDetector (late arming)',
  (over) => new SeasonalChangeDetector({ late: { every: 48 }, ...over }),
  {
    trainLength: 450,
    testLength: 700,
    // off at training by design, so its training scores are all 0 and labels cannot train a
    // threshold: the F1 clause runs in the suite above, where the training part switches it on
    labelThreshold: null,
    configArb: fc.record(
      {
        floor: fc.constantFrom(0, 3),
        late: fc.record(
          {
            every: fc.constantFrom(1, 48, 96),
            checks: fc.constantFrom(1, 24),
            // round 13a's floor on the reference learnt at arming (absent, none, binding, largest allowed)
            refFloor: fc.constantFrom(0, 0.1, 10),
            // round 15a: reference periods that skip the flagged ones (none, one, the largest allowed)
            lookback: fc.constantFrom(0, 2, 10),
            lookbackRule: fc.constantFrom('clean' as const, 'either' as const),
          },
          { requiredKeys: ['every', 'checks'] },
        ),
        enableCalibrator: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
  },
);
