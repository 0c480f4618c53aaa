/**
 * The detector rows of the throughput benchmarks (`bench/throughput.ts` runs them all,
 * `bench/rcf.ts` the RandomCutForest ones). To add a detector, add one line.
 */
import { defaultDetector } from '../src/detectors/default.js';
import { EtsDetector } from '../src/detectors/ets/index.js';
import { IsolationForest } from '../src/detectors/isolation-forest.js';
import { NabStreamDetector } from '../src/detectors/nab-stream/detector.js';
import { RandomCutForest } from '../src/detectors/rcf/index.js';
import type { Detector } from '../src/detectors/types.js';
import { ZmsDetector } from '../src/detectors/zms.js';
import { PeriodicShapeDetector } from '../src/lab/candidates.js';
import { makeDetector } from '../src/lab/recipes.js';

export interface BenchRow {
  name: string;
  make: () => Detector;
}

export const ROWS: BenchRow[] = [
  { name: 'IsolationForest (100 trees)', make: () => new IsolationForest() },
  // Online: stream = score-then-learn per point; batch (best of 3) re-scores rows already learned.
  {
    name: 'RandomCutForest (100 trees, 256 samples, shingle 4, online)',
    make: () =>
      new RandomCutForest({
        nEstimators: 100,
        maxNSamples: 256,
        transforms: [{ type: 'difference' }, { type: 'shingle', size: 4 }],
        onlineUpdates: true,
      }),
  },
  {
    name: 'RandomCutForest (100 trees, 256 samples, shingle 4, online, 2 threads)',
    make: () =>
      new RandomCutForest({
        nEstimators: 100,
        maxNSamples: 256,
        transforms: [{ type: 'difference' }, { type: 'shingle', size: 4 }],
        onlineUpdates: true,
        threads: 2,
      }),
  },
  {
    name: 'RandomCutForest (defaults: 100 trees, 512 samples, shingle 5)',
    make: () => new RandomCutForest(),
  },
  { name: 'EtsDetector (AAdN, one-step stream)', make: () => new EtsDetector() },
  { name: 'ZmsDetector (3 lags)', make: () => new ZmsDetector({ nLags: 3 }) },
  { name: 'NabStreamDetector (defaults: the nabStream recipe)', make: () => new NabStreamDetector() },
  { name: 'ArtDetector (the art recipe: causal range, grows)', make: () => makeDetector('art') },
  {
    name: 'default ensemble (mean of AutoETS, RCF 20×512 raw shingles online, ZMS level; max with flat-line onset; level drift)',
    make: () => defaultDetector(),
  },
  // round 11 of docs/evaluation.md: the candidates (the default with an alarm-rule option, and the ETS member alone)
  {
    name: 'round 11 defaultRule11 (the default, full-window rule, strong single alarms at 3.5)',
    make: () => makeDetector('defaultRule11'),
  },
  {
    name: 'round 11 defaultJump11 (defaultRule11 + the ETS member alone from 4 inside the mean)',
    make: () => makeDetector('defaultJump11'),
  },
  // round 12b of docs/evaluation.md: the default with the level-drift member
  {
    name: 'round 12b defaultDrift (the default + the level-drift member, CUSUM on the seasonal residual)',
    make: () => makeDetector('defaultDrift'),
  },
  // round 13b: the member with alarm episodes beside today's default
  {
    name: 'round 13b defaultDrift13 (the default + the level-drift member with alarm episodes)',
    make: () => makeDetector('defaultDrift13'),
  },
  // round 19a adopted round 18a's level-drift member into the default: the default before it, for comparison
  {
    name: 'round 19a defaultBefore19a (the default without the level-drift member, as before round 19a)',
    make: () => makeDetector('defaultBefore19a'),
  },
  // round 12a of docs/evaluation.md: late arming (on this series the training part has the daily
  // period, so the member is on from training and the option costs only its flag)
  {
    name: 'round 12a defaultSeasonalLate (the default, the seasonal member arming late when off at training)',
    make: () => makeDetector('defaultSeasonalLate'),
  },
  // round 13a: today's default with late arming and a floor on the reference it learns late
  {
    name: 'round 13a defaultSeasonalLate13 (the default, late arming with its reference at least 0.1 × the IQR)',
    make: () => makeDetector('defaultSeasonalLate13'),
  },
  // round 15a: round 13a's candidate, and reference periods that skip the ones a member armed late flagged
  {
    name: 'round 15a defaultSeasonalLate15 (the default, late arming with 13a floor and a lookback past flagged periods)',
    make: () => makeDetector('defaultSeasonalLate15'),
  },
  // round 21a: the default before it (no late arming; on this series the member is on from training, so
  // late arming costs only a test of its episode length per point)
  {
    name: 'round 21a defaultBefore21a (the default without late arming of the seasonal-change member, as before round 21a)',
    make: () => makeDetector('defaultBefore21a'),
  },
  // round 23: round 21b's level-drift member armed late (on this series the member is on from training
  // only where the training part spans a week; elsewhere it keeps the series until it does)
  {
    name: 'round 23 defaultDriftLate23 (the default, the level-drift member calibrated out of sample and armed late)',
    make: () => makeDetector('defaultDriftLate23'),
  },
  // round 24: round 23's candidate with tries that back off (on this series the member runs the same code
  // once on; where it waits, its fits total at most 2 points per point seen)
  {
    name: 'round 24 defaultDriftLate24 (round 23 defaultDriftLate23 with tries that back off geometrically)',
    make: () => makeDetector('defaultDriftLate24'),
  },
  // round 12c: the lone-alarm paths at the cross-validated levels, Merlion window
  {
    name: 'round 12c defaultStrong12 (the default, strong single alarms at 5.5, the ETS member alone from 4.5)',
    make: () => makeDetector('defaultStrong12'),
  },
  // round 8b of docs/evaluation.md: the budget of the gated discord is the largest that keeps the bar
  ...[800, 500, 300, 200].map((b) => ({
    name: `default ensemble + gated discord at level 4, budget ${b} (lab shapePeriodic20L4; docs/evaluation.md round 8b)`,
    make: () => new PeriodicShapeDetector({ base: {}, level: 4, paaBudget: b }),
  })),
  {
    name: 'lab mtAdaptSustain (default, ZMS level half-life 1000, + the level member held 3 h; docs/evaluation.md)',
    make: () => makeDetector('mtAdaptSustain'),
  },
  {
    name: 'lab shapePeriodic (default with a 10×512 forest + a discord gated by the training part’s periodicity; docs/evaluation.md round 8)',
    make: () => makeDetector('shapePeriodic'),
  },
];
