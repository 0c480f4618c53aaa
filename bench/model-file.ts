/**
 * Size and load time of the default detector's model file, trained on the NAB machine-temperature
 * training part (before 2013-12-15, 5-minute max bins): bytes of `JSON.stringify(toJSON())`, the
 * share of the Random Cut Forest member, and `loadModel(JSON.parse(file))` times (min/median/max).
 *
 *   npx tsx bench/model-file.ts            # 15 loads
 *   npx tsx bench/model-file.ts --loads 30 --save model.json
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { MACHINE_TEMPERATURE_FILE, SPLIT_TIME } from '../src/cli/nab/machine-temperature.js';
import { loadNab } from '../src/datasets/index.js';
import { defaultDetector, loadModel } from '../src/detectors/index.js';
import { dateBin, splitAt } from '../src/series/index.js';

const { values } = parseArgs({ options: { loads: { type: 'string', default: '15' }, save: { type: 'string' } } });
const loads = Number(values.loads);

const ds = await loadNab(MACHINE_TEMPERATURE_FILE, { onWarning: () => {} });
const full = dateBin(ds.rows, { everyMs: 5 * 60_000, aggregate: 'max' });
const [train, test] = splitAt(full, SPLIT_TIME);
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
