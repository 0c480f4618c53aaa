/**
 * Diagnoses the NAB machine-temperature experiment: trains `defaultDetector()` and each of its members
 * alone (as the default builds them: ETS calibrated by an ensemble, the forest and ZMS by their own
 * calibrators, the flat-line onset member) on the part before 2013-12-15, streams the rest, and writes
 * one CSV row per test point: time, value, combined score, alarm, and each member's calibrated score.
 *
 *   npx tsx bench/mt-diag.ts OUT.csv [recipe=default]
 *
 * `recipe` is a recipe name or `default+<json>`: `defaultDetector(<json>)`, e.g.
 * `default+{"zms":{"levelHalfLife":1000}}`, or `mt:<json>`: `mtDetector(0, <json>)` (src/lab/candidates-mt.ts). Prints precision, recall, MTTD and the alarms (as `tsad nab
 * machine-temperature`, streamed point by point).
 */
import { writeFileSync } from 'node:fs';
import { SPLIT_TIME, TEST_WINDOWS } from '../src/cli/nab/machine-temperature.js';
import { loadMachineTemperature } from '../src/cli/nab/machine-temperature-data.js';
import { defaultDetector } from '../src/detectors/default.js';
import { FlatLineDetector } from '../src/detectors/flatline/detector.js';
import type { Detector } from '../src/detectors/types.js';
import { mtDetector } from '../src/lab/candidates-mt.js';
import { makeDetector } from '../src/lab/recipes.js';
import { evaluate } from '../src/metrics/index.js';
import { splitAt } from '../src/series/index.js';
import { defaultMemberAlone } from './harness.js';

const [out, recipe = 'default'] = process.argv.slice(2);
if (!out) throw new Error('usage: mt-diag.ts OUT.csv [recipe]');

const overrides = recipe.startsWith('default+') ? JSON.parse(recipe.slice('default+'.length)) : {};

const { full } = await loadMachineTemperature();
const [train, test] = splitAt(full, SPLIT_TIME);
function run(det: Detector) {
  det.train(train);
  const s = det.stream();
  const score = new Float64Array(test.t.length);
  const alarm = new Uint8Array(test.t.length);
  for (let i = 0; i < test.t.length; i++) {
    const r = s.push(test.t[i], test.v[i]);
    score[i] = r.score;
    alarm[i] = r.alarm ? 1 : 0;
  }
  return { score, alarm };
}
const build = (): Detector =>
  recipe.startsWith('default+')
    ? defaultDetector(overrides)
    : recipe.startsWith('mt:')
      ? mtDetector(0, JSON.parse(recipe.slice('mt:'.length)))
      : makeDetector(recipe);
const main = run(build());
const rep = evaluate({ t: full.t, truth: TEST_WINDOWS, tPred: test.t, pred: main.alarm });
const alarms: string[] = [];
for (let i = 0; i < test.t.length; i++) {
  if (!main.alarm[i]) continue;
  const w = TEST_WINDOWS.findIndex(([a, b]) => test.t[i] >= a && test.t[i] <= b);
  alarms.push(`${new Date(test.t[i]).toISOString().slice(5, 16)}${w < 0 ? ' FP' : ` w${w + 1}`}`);
}
const h = !Number.isFinite(rep.meanTimeToDetectSec) ? 'n/a' : (rep.meanTimeToDetectSec / 3600).toFixed(2);
process.stdout.write(
  `${recipe}: P ${rep.precision.toFixed(4)} R ${rep.recall.toFixed(4)} F1 ${rep.f1.toFixed(4)} MTTD ${h} h, ${alarms.length} alarms: ${alarms.join(', ')}\n`,
);
const mem = [0, 1, 2].map((i) => run(defaultMemberAlone(i, overrides)).score);
const flat = run(new FlatLineDetector({ onsetPoints: 2, enableThreshold: false })).score;
const lines = ['t,v,comb,alarm,ets,rcf,zms,flat'];
for (let i = 0; i < test.t.length; i++) {
  lines.push(
    `${new Date(test.t[i]).toISOString().slice(0, 16)},${test.v[i]},${main.score[i].toFixed(4)},${main.alarm[i]},${mem[0][i].toFixed(4)},${mem[1][i].toFixed(4)},${mem[2][i].toFixed(4)},${flat[i].toFixed(4)}`,
  );
}
writeFileSync(out, `${lines.join('\n')}\n`);
process.stdout.write(
  `train ${train.t.length} (${new Date(train.t[0]).toISOString()} … ${new Date(train.t[train.t.length - 1]).toISOString()}), test ${test.t.length}\n`,
);
