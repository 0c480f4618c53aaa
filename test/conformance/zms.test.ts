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

// Rounds 11–13c: the cumulative level reference, bounded by `levelCumulativeSpanMs` (round 13c). On the
// kit's 5-minute series a span of 1 ms leaves it frozen from training (no level in the model file), 3 days
// freezes it inside the stream (the state keeps `until`), 1e15 ms never does. `score(b, { prev: a })`
// learns a first, so it is the tail of `score(a ++ b)` (the kit's prev clause; it failed before stop 28)
runDetectorConformance(
  'ZmsDetector (cumulative level reference bounded by a span)',
  (over) => new ZmsDetector({ nLags: 3, levelCumulative: true, ...over }),
  {
    configArb: fc.record(
      {
        nLags: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }),
        levelAdaptScale: fc.boolean(),
        levelCumulativeSpanMs: fc.constantFrom(1, 3 * 86_400_000, 1e15),
        enableCalibrator: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
  },
);

// Round 44, built in harm45: the daily harmonic (the fit and the RLS matrix in ZMS's state, an optional part
// of state version 2). The kit's checkpoints mid-stream, model files, `score()` against the stream and `prev`
// run with it, every K the config allows, alone and under each kind of adaptive level reference (rev47: the
// exponential one, `levelHalfLife`, and the option's upper K range were not drawn before).
runDetectorConformance(
  'ZmsDetector (daily harmonics)',
  (over) => new ZmsDetector({ nLags: 0, dailyHarmonics: 1, ...over }),
  {
    configArb: fc
      .tuple(
        fc.record(
          {
            nLags: fc.option(fc.integer({ min: 0, max: 4 }), { nil: null }),
            dailyHarmonics: fc.integer({ min: 1, max: 6 }),
            enableCalibrator: fc.boolean(),
          },
          { requiredKeys: [] },
        ),
        fc.oneof(
          fc.constant({}),
          fc.record({ levelCumulative: fc.constant(true), levelAdaptScale: fc.boolean() }),
          fc.record({ levelHalfLife: fc.integer({ min: 1, max: 500 }), levelAdaptScale: fc.boolean() }),
        ),
      )
      .map(([a, b]) => ({ ...a, ...b })),
  },
);
