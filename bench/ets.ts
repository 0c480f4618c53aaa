/**
 * ETS throughput: one-step streaming scoring (points/s) and the AutoETS fit on the NAB
 * machine-temperature train split. Run: `npx tsx bench/ets.ts` (TSAD_DATA_DIR if the data is not at
 * ../shared/datasets).
 */
import { autoEts } from '../src/detectors/ets/auto.js';
import { EtsCore } from '../src/detectors/ets/core.js';
import { specName } from '../src/detectors/ets/model.js';
import { etsCoreConfig } from '../test/detectors/ets/core-config.js';
import { machineTemperature } from '../test/detectors/ets/nab-helper.js';

const { t, v, nTrain } = await machineTemperature();
const train = { t: t.slice(0, nTrain), v: v.slice(0, nTrain) };

// AutoETS fit time: the first (cold) call, then the median of 5.
const times: number[] = [];
const tCold = performance.now();
let result = autoEts(train.v);
const coldMs = performance.now() - tCold;
for (let r = 0; r < 5; r++) {
  const t0 = performance.now();
  result = autoEts(train.v);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
console.log(`AutoETS first fit in a fresh process (cold JIT): ${coldMs.toFixed(0)} ms`);
const m = result.model;
console.log(
  `AutoETS fit (${nTrain} points, ${result.candidates.length} candidates): median ${times[2].toFixed(0)} ms → ${specName(m.spec)} m=${m.spec.period} llf ${m.llf.toFixed(4)} AIC ${m.aic.toFixed(4)}`,
);
console.log(`  params ${JSON.stringify(m.params)}`);

const cfg = etsCoreConfig({ auto: true });

const N = 5_000_000;
const step = 300_000;
const vs = new Float64Array(N);
const testV = v.subarray(nTrain);
for (let i = 0; i < N; i++) vs[i] = testV[i % testV.length];
for (const mode of ['stream', 'reference'] as const) {
  const core = new EtsCore({ ...cfg, mode });
  core.train(train);
  const t0 = train.t[nTrain - 1];
  let acc = 0;
  // reference mode forecasts at most 1e6 steps past training
  const count = mode === 'stream' ? N : 1_000_000;
  const start = performance.now();
  for (let i = 0; i < count; i++) acc += core.push(t0 + (i + 1) * step, vs[i]);
  const ms = performance.now() - start;
  console.log(
    `EtsCore.push (${mode}, ${core.describe()}): ${count.toLocaleString('en')} points in ${ms.toFixed(0)} ms → ${(((count / ms) * 1000) / 1e6).toFixed(1)} M points/s (checksum ${acc.toFixed(3)})`,
  );
}
