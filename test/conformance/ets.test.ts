import fc from 'fast-check';
import { EtsDetector } from '../../src/detectors/index.js';
import { runDetectorConformance } from './kit.js';

const arb = fc.record(
  {
    error: fc.constantFrom('add', 'mul'),
    trend: fc.constantFrom('add', null),
    damped: fc.boolean(),
    seasonal: fc.constantFrom('add', 'mul', null),
    seasonalPeriods: fc.option(fc.integer({ min: 2, max: 12 }), { nil: null }),
    mode: fc.constantFrom('stream', 'reference'),
    simulations: fc.constantFrom(50, 200),
  },
  { requiredKeys: [] },
);

runDetectorConformance('EtsDetector', (over) => new EtsDetector({ ...over }), {
  configArb: arb,
  numRuns: 10,
});
runDetectorConformance('EtsDetector (AutoETS)', (over) => new EtsDetector({ auto: true, ...over }), {
  numRuns: 5,
});
runDetectorConformance(
  'EtsDetector (reference mode, AAdA m=4)',
  (over) => new EtsDetector({ mode: 'reference', seasonalPeriods: 4, ...over }),
  { numRuns: 5 },
);
