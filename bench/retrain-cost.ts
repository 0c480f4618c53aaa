/**
 * Where the time of a daily retrain goes (machine temperature, default detector, 14-day sliding window):
 * each member of the default ensemble trained alone on the slices a `1d:sliding:14d` simulation trains
 * on, and the ETS member with its structure fixed to what AutoETS chose on the first slice (a refit:
 * parameters re-estimated, no model selection). `npx tsx bench/retrain-cost.ts [--slices 12]`
 */
import '../src/index.js';
import { SPLIT_TIME } from '../src/cli/nab/machine-temperature.js';
import { loadMachineTemperature } from '../src/cli/nab/machine-temperature-data.js';
import { defaultDetector } from '../src/detectors/default.js';
import { EtsDetector } from '../src/detectors/ets/detector.js';
import { RandomCutForest } from '../src/detectors/rcf/detector.js';
import { ZmsDetector } from '../src/detectors/zms.js';
import type { TimeSeries } from '../src/series/types.js';

const arg = process.argv.indexOf('--slices');
const SLICES = arg > 0 ? Number(process.argv[arg + 1]) : 12;
const DAY = 86_400_000;
const { full } = await loadMachineTemperature();

function slice(from: number, to: number): TimeSeries {
  let a = 0;
  while (a < full.t.length && full.t[a] < from) a++;
  let b = a;
  while (b < full.t.length && full.t[b] < to) b++;
  return { t: full.t.slice(a, b), v: full.v.slice(a, b) };
}

const slices: TimeSeries[] = [];
const span = Math.floor((full.t[full.t.length - 1] - SPLIT_TIME) / DAY);
for (let k = 1; k <= SLICES; k++) {
  const at = SPLIT_TIME + Math.round((k * span) / (SLICES + 1)) * DAY;
  slices.push(slice(at - 14 * DAY, at));
}

type EtsJson = { state: { model: { spec: Record<string, unknown> } } };
const ets0 = new EtsDetector({
  auto: true,
  autoOptions: { additiveOnly: true },
  mode: 'stream',
  enableThreshold: false,
});
ets0.train(slices[0]);
const spec = (ets0.toJSON() as unknown as EtsJson).state.model.spec as {
  error: 'add';
  trend: 'add' | null;
  damped: boolean;
  seasonal: 'add' | null;
  period: number;
};

const makers: [string, () => { train(ts: TimeSeries): unknown }][] = [
  ['default (whole ensemble)', () => defaultDetector({ seed: 0 })],
  [
    'ETS, AutoETS selection',
    () =>
      new EtsDetector({
        auto: true,
        autoOptions: { additiveOnly: true },
        mode: 'stream',
        enableThreshold: false,
      }),
  ],
  [
    `ETS, structure fixed (${spec.error},${spec.trend},${spec.damped},${spec.seasonal},m=${spec.period})`,
    () =>
      new EtsDetector({
        auto: false,
        error: spec.error,
        trend: spec.trend,
        damped: spec.damped,
        seasonal: spec.seasonal,
        seasonalPeriods: spec.seasonal ? spec.period : null,
        mode: 'stream',
        enableThreshold: false,
      }),
  ],
  [
    'RCF (20 trees × 512, calibrated)',
    () =>
      new RandomCutForest({
        nEstimators: 20,
        maxNSamples: 512,
        onlineUpdates: true,
        transforms: [{ type: 'shingle', size: 5 }],
        enableCalibrator: true,
        enableThreshold: false,
        seed: 0,
      }),
  ],
  ['ZMS', () => new ZmsDetector({ nLags: 0, enableCalibrator: true, enableThreshold: false, seed: 0 })],
];

console.log(`${SLICES} slices of ${slices[0].t.length} points (14 days); per-retrain ms: min / median / max`);
for (const [name, mk] of makers) {
  const ms: number[] = [];
  for (const s of slices) {
    const d = mk();
    const t0 = performance.now();
    d.train(s);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(0);
  console.log(`${name.padEnd(60)} ${f(ms[0])} / ${f(ms[ms.length >> 1])} / ${f(ms[ms.length - 1])}`);
}
