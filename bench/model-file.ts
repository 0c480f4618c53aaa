/**
 * Size and load time of the default detector's model file, trained on the NAB machine-temperature
 * training part (before 2013-12-15, 5-minute max bins): bytes of `JSON.stringify(toJSON())`, the
 * share of the Random Cut Forest member, and `loadModel(JSON.parse(file))` times (min/median/max).
 *
 * With `--synthetic N`, trained instead on the first N points of bench/throughput.ts's synthetic
 * series (the "default ensemble" row there uses 20,000), and scored on the next N.
 *
 *   npx tsx bench/model-file.ts            # 15 loads
 *   npx tsx bench/model-file.ts --loads 30 --save model.json
 *   npx tsx bench/model-file.ts --synthetic 20000
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { MACHINE_TEMPERATURE_FILE, SPLIT_TIME } from '../src/cli/nab/machine-temperature.js';
import { loadNab } from '../src/datasets/index.js';
import { defaultDetector, loadModel } from '../src/detectors/index.js';
import { dateBin, splitAt, type TimeSeries } from '../src/series/index.js';
import { synthetic } from './harness.js';

const { values } = parseArgs({
  options: {
    loads: { type: 'string', default: '15' },
    save: { type: 'string' },
    synthetic: { type: 'string' },
  },
});
const loads = Number(values.loads);

async function data(): Promise<[TimeSeries, TimeSeries]> {
  if (values.synthetic) {
    const n = Number(values.synthetic);
    const all = synthetic(2 * n, Date.UTC(2020, 0, 1));
    return [
      { t: all.t.subarray(0, n), v: all.v.subarray(0, n) },
      { t: all.t.subarray(n), v: all.v.subarray(n) },
    ];
  }
  const ds = await loadNab(MACHINE_TEMPERATURE_FILE, { onWarning: () => {} });
  const full = dateBin(ds.rows, { everyMs: 5 * 60_000, aggregate: 'max' });
  return splitAt(full, SPLIT_TIME);
}
const [train, test] = await data();
const d = defaultDetector();
d.train(train);
const file = JSON.stringify(d.toJSON());
if (values.save) writeFileSync(values.save, file);
const bytes = Buffer.byteLength(file);
const members = (JSON.parse(file) as { state: { members: unknown[] } }).state.members;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`model file: ${bytes} bytes (${kb(bytes)}, ${(bytes / 2 ** 20).toFixed(3)} MiB)`);
for (const m of members) {
  const type = (m as { type: string }).type;
  console.log(`  member ${type}: ${kb(Buffer.byteLength(JSON.stringify(m)))}`);
}

const times: number[] = [];
let loaded = loadModel(JSON.parse(file));
for (let i = 0; i < loads; i++) {
  const json = JSON.parse(file);
  const t0 = performance.now();
  loaded = loadModel(json);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const med = times[Math.floor(times.length / 2)];
console.log(
  `loadModel (after JSON.parse), ${loads} loads: min ${times[0].toFixed(1)} ms, median ${med.toFixed(1)} ms, max ${times[times.length - 1].toFixed(1)} ms`,
);
const a = d.score(test, { prev: train }).v;
const b = loaded.score(test, { prev: train }).v;
let same = a.length === b.length;
for (let i = 0; same && i < a.length; i++) same = Object.is(a[i], b[i]);
console.log(`loaded copy scores the test part identically: ${same}; load average ${loadavg()[0].toFixed(1)}`);
