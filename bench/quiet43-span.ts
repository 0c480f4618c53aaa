/**
 * Round 43 of docs/evaluation.md: does today's default keep anomaly-free files quiet when its training part
 * spans the cycle the test part shows, and what does that do to the windows? Each file of each corpus is
 * run twice: trained on NAB's probationary part (as `tsad bench` does), and trained on a longer part that
 * spans `days` days (never shorter than the probationary part). Both runs are judged on the same rows,
 * those after the longer part: an anomaly-free file is quiet when no alarm falls there, and a window whose
 * onset falls there is found by an alarm at or after its onset, inside it (windows that begin inside the
 * longer part are not counted for either run). Prints both per step. Tuning seeds only.
 *
 *   npx tsx bench/quiet43-span.ts DAYS_1MIN,DAYS_OTHER DIR…   (e.g. 1,7: a day at 1 minute, a week otherwise)
 */
import { defaultDetector } from '../src/detectors/default.js';
import { groupFiles, streamAfterTraining } from './harness.js';

const [spans, ...dirs] = process.argv.slice(2);
const [d1, dOther] = (spans ?? '').split(',').map(Number);
if (!(d1 > 0 && dOther > 0) || dirs.length === 0)
  throw new Error('usage: quiet43-span.ts DAYS_1MIN,DAYS_OTHER <corpusDir>…');

const DAY = 86_400_000;
interface Row {
  clean: number;
  quietNab: number;
  quietLong: number;
  windows: number;
  foundNab: number;
  foundLong: number;
  /** Per kind: windows judged, found after NAB's part, found after the longer part. */
  kinds: Map<string, [number, number, number]>;
}
const newRow = (): Row => ({
  clean: 0,
  quietNab: 0,
  quietLong: 0,
  windows: 0,
  foundNab: 0,
  foundLong: 0,
  kinds: new Map(),
});
const rows = new Map<number, Row>();
const all = newRow();

for await (const f of groupFiles([{ dirs }])) {
  const { t, v, p, ws } = f;
  const n = t.length;
  const step = (t[1] - t[0]) / 60_000;
  // the longer training part ends at the first row at least `span` after the first point
  const span = (step === 1 ? d1 : dOther) * DAY;
  let q = p;
  while (q < n && t[q] - t[0] < span) q++;
  // a file shorter than the span leaves nothing to judge
  if (q >= n) continue;
  const judged = ws.filter((w) => w.onset >= t[q]);
  if (ws.length > 0 && judged.length === 0) continue;
  const nab = streamAfterTraining(defaultDetector(), t, v, p).alarm;
  const long = streamAfterTraining(defaultDetector(), t, v, q).alarm;
  const row = rows.get(step) ?? newRow();
  rows.set(step, row);
  for (const r of [row, all]) {
    if (ws.length === 0) {
      r.clean++;
      if (!nab.subarray(q).some((x) => x === 1)) r.quietNab++;
      if (!long.subarray(q).some((x) => x === 1)) r.quietLong++;
    }
    for (const w of judged) {
      const found = (alarm: Uint8Array) => {
        for (let i = q; i < n; i++) if (alarm[i] && t[i] >= w.onset && t[i] <= w.end) return 1;
        return 0;
      };
      const a = found(nab);
      const b = found(long);
      r.windows++;
      r.foundNab += a;
      r.foundLong += b;
      const k = r.kinds.get(w.kind) ?? [0, 0, 0];
      r.kinds.set(w.kind, [k[0] + 1, k[1] + a, k[2] + b]);
    }
  }
}
const line = (name: string, r: Row) =>
  `${name}: anomaly-free ${r.clean}, quiet after NAB's part ${r.quietNab}, after the longer part ${r.quietLong}; windows judged ${r.windows}, found ${r.foundNab} / ${r.foundLong} (${[
    ...r.kinds,
  ]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, [w, a, b]]) => `${k} ${a}/${b} of ${w}`)
    .join(', ')})\n`;
for (const [step, r] of [...rows].sort((a, b) => a[0] - b[0]))
  process.stdout.write(line(`step ${step} min (longer part ${step === 1 ? d1 : dOther} days)`, r));
process.stdout.write(line('all', all));
