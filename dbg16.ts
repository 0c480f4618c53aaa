import { makeDetector } from './src/experiments/detectors.js';
import { loadNab } from './src/datasets/index.js';
import { dateBin } from './src/series/index.js';
import { simulate } from './src/lifecycle/simulate.js';
import { SPLIT_TIME, TEST_WINDOWS } from './src/experiments/machine-temperature.js';
import './src/index.js';
const ds = await loadNab('realKnownCause/machine_temperature_system_failure.csv', { onWarning: () => {} });
const full = dateBin(ds.rows, { everyMs: 300000, aggregate: 'max' });
for (const [every, win] of [['never', 'expanding'], ['7d', 'expanding'], ['7d', 'sliding:14d'], ['1d', 'expanding'], ['1d', 'sliding:14d']] as const) {
  const r = await simulate(() => makeDetector('default', { seed: 0 }), full, { initialTrainEnd: SPLIT_TIME, retrainEvery: every, trainWindow: win, labels: TEST_WINDOWS });
  console.log(every, win, r.report!.precision.toFixed(4), r.report!.recall.toFixed(4), r.report!.f1.toFixed(4), r.report!.meanTimeToDetectSec, r.alarms.length, r.retrains.length - 1, r.skippedRetrains, Math.round(r.wallMs));
}
