/**
 * Round 7 of docs/evaluation.md: the streaming cost of each part of a candidate default (CPU points/s
 * over `n` test points after training on `n`, the data of bench/throughput.ts), to see which member
 * costs what. `npx tsx bench/shape-cost.ts [n] [name filter]` (round 9: `50000 Level`).
 */

import { defaultDetector } from '../src/detectors/default.js';
import { DiscordDetector } from '../src/detectors/discord/detector.js';
import { EtsDetector } from '../src/detectors/ets/detector.js';
import { RandomCutForest } from '../src/detectors/rcf/detector.js';
import { SeasonalChangeDetector } from '../src/detectors/seasonal-change/detector.js';
import type { Detector } from '../src/detectors/types.js';
import { ZmsDetector } from '../src/detectors/zms.js';
import { PeriodicShapeDetector, shapeDefault } from '../src/lab/candidates.js';
import { dayLevelDefault, daySustainDefault } from '../src/lab/candidates-kinds.js';
import { seasonalDefault } from '../src/lab/seasonal-change.js';
import { fmt, timedPushes, trainRow } from './harness.js';

const n = Number(process.argv[2] ?? 50_000);
const rcf = (o: object) =>
  new RandomCutForest({
    nEstimators: 20,
    maxNSamples: 512,
    onlineUpdates: true,
    transforms: [{ type: 'shingle', size: 5 }],
    enableThreshold: false,
    ...o,
  });
const small = { rcf: { nEstimators: 10, maxNSamples: 256 } };
const rows: [string, () => Detector][] = [
  ['default', () => defaultDetector()],
  [
    'ets (auto, additive)',
    () => new EtsDetector({ auto: true, autoOptions: { additiveOnly: true }, mode: 'stream' }),
  ],
  ['rcf 20x512', () => rcf({})],
  ['rcf 10x512', () => rcf({ nEstimators: 10 })],
  ['rcf 20x256', () => rcf({ maxNSamples: 256 })],
  ['zms', () => new ZmsDetector({ nLags: 0 })],
  ['discord budget 1500', () => new DiscordDetector({ between: 'hold' })],
  ['discord budget 500', () => new DiscordDetector({ between: 'hold', paaBudget: 500 })],
  ['discord budget 300', () => new DiscordDetector({ between: 'hold', paaBudget: 300 })],
  ['rcf 10x256', () => rcf({ nEstimators: 10, maxNSamples: 256 })],
  ['shapeDefault', () => shapeDefault()],
  ['shapeDefault budget 500', () => shapeDefault(0, { paaBudget: 500 })],
  ['shapeDefault rcf 10x256', () => shapeDefault(0, { base: small })],
  ['shapeDefault rcf 10x256 budget 500', () => shapeDefault(0, { base: small, paaBudget: 500 })],
  ['shapeDefault rcf 10x256 budget 800', () => shapeDefault(0, { base: small, paaBudget: 800 })],
  ['shapeDefault rcf 10x256 budget 300', () => shapeDefault(0, { base: small, paaBudget: 300 })],
  [
    'shapeDefault rcf 20x256 budget 300',
    () => shapeDefault(0, { base: { rcf: { maxNSamples: 256 } }, paaBudget: 300 }),
  ],
  ['shapePeriodic (round 8)', () => new PeriodicShapeDetector()],
  ['shapePeriodic rcf 20x512', () => new PeriodicShapeDetector({ base: {} })],
  ['default (again, beside Level)', () => defaultDetector()],
  ['defaultWeekLevel (round 9)', () => dayLevelDefault(0, 7)],
  ['default (again, beside Sustain)', () => defaultDetector()],
  ['defaultWeekSustain (round 9b)', () => daySustainDefault(0, 7)],
  ['default (again, beside Seasonal)', () => defaultDetector()],
  ['defaultSeasonal (round 10)', () => seasonalDefault(0)],
  ['seasonal member alone (Seasonal)', () => new SeasonalChangeDetector()],
];
const only = process.argv[3];
for (const [name, make] of rows) {
  if (only && !name.includes(only)) continue;
  const { test, det, json } = trainRow(make, n);
  const { cpuPps: pps } = timedPushes(det.stream(), test, n);
  process.stdout.write(
    `${name.padEnd(28)} ${fmt(pps).padStart(9)} points/s  model ${(Buffer.byteLength(json) / 1024).toFixed(0)} KiB\n`,
  );
}
