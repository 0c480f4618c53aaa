/**
 * Round 13c of docs/evaluation.md (tuning seeds only): today's default against `defaultDetector()` with
 * ZMS overrides, on the files of synthetic corpora whose training part (NAB's first 15 %) spans less than
 * `SPAN_DAYS` days (default 1), the only files an option that adapts ZMS's level reference there alone can
 * change. Prints per setting and per corpus group: windows found by the own alarm rule (per kind), quiet
 * anomaly-free files, alarms on anomaly-free files; with DIAG=1 every file whose verdict differs.
 *
 *   npx tsx bench/short-train-sweep.ts NAME=DIR,DIR… [NAME=DIR,…]… -- '<zms json>'…
 */
import { defaultDetector } from '../src/detectors/default.js';
import { groupFiles, streamAfterTraining } from './harness.js';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const groups = (sep < 0 ? argv : argv.slice(0, sep)).map((g) => {
  const [name, dirs] = g.split('=');
  return { name, dirs: dirs.split(',') };
});
const settings = sep < 0 ? [] : argv.slice(sep + 1);
const spanDays = Number(process.env.SPAN_DAYS ?? '1');
const diag = process.env.DIAG === '1';
const all = ['none', ...settings];

interface Tally {
  found: Map<string, number>;
  windows: Map<string, number>;
  quiet: number;
  clean: number;
  cleanAlarms: number;
}
const blank = (): Tally => ({ found: new Map(), windows: new Map(), quiet: 0, clean: 0, cleanAlarms: 0 });
const tallies = all.map(() => new Map<string, Tally>());

for await (const { gi, corpus, file, t, v, p, ws } of groupFiles(groups)) {
  const g = groups[gi];
  const dt = t[1] - t[0];
  if (t[p - 1] - t[0] + dt >= spanDays * 86_400_000) continue;
  const verdicts: string[] = [];
  for (let k = 0; k < all.length; k++) {
    const zms = all[k] === 'none' ? undefined : JSON.parse(all[k]);
    const det = zms === undefined ? defaultDetector() : defaultDetector({ zms });
    const { alarm } = streamAfterTraining(det, t, v, p);
    const tl = tallies[k].get(g.name) ?? blank();
    tallies[k].set(g.name, tl);
    let verdict = '';
    for (const w of ws) {
      tl.windows.set(w.kind, (tl.windows.get(w.kind) ?? 0) + 1);
      let f = false;
      for (let i = p; i < t.length && !f; i++) f = alarm[i] === 1 && t[i] >= w.onset && t[i] <= w.end;
      if (f) tl.found.set(w.kind, (tl.found.get(w.kind) ?? 0) + 1);
      verdict += f ? 'found' : 'missed';
    }
    if (ws.length === 0) {
      const na = alarm.reduce((a, b) => a + b, 0);
      tl.clean++;
      tl.cleanAlarms += na;
      if (na === 0) tl.quiet++;
      verdict = na === 0 ? 'quiet' : `${na} alarms`;
    }
    verdicts.push(verdict);
  }
  if (diag && verdicts.some((x) => x !== verdicts[0]))
    process.stdout.write(`${corpus} ${file}: ${verdicts.join(' | ')}\n`);
}

const kindList = [...new Set([...tallies[0].values()].flatMap((x) => [...x.windows.keys()]))].sort();
process.stdout.write(`training part < ${spanDays} d; kinds: ${kindList.join(', ')}\n`);
for (let k = 0; k < all.length; k++) {
  const sum = blank();
  const rows: string[] = [];
  for (const [name, tl] of tallies[k]) {
    const f = kindList.reduce((a, x) => a + (tl.found.get(x) ?? 0), 0);
    const w = kindList.reduce((a, x) => a + (tl.windows.get(x) ?? 0), 0);
    rows.push(`${name} ${f}/${w} quiet ${tl.quiet}/${tl.clean} (${tl.cleanAlarms} alarms)`);
    for (const x of kindList) {
      sum.found.set(x, (sum.found.get(x) ?? 0) + (tl.found.get(x) ?? 0));
      sum.windows.set(x, (sum.windows.get(x) ?? 0) + (tl.windows.get(x) ?? 0));
    }
    sum.quiet += tl.quiet;
    sum.clean += tl.clean;
    sum.cleanAlarms += tl.cleanAlarms;
  }
  const f = kindList.reduce((a, x) => a + (sum.found.get(x) ?? 0), 0);
  const w = kindList.reduce((a, x) => a + (sum.windows.get(x) ?? 0), 0);
  process.stdout.write(
    `[${k}] ${all[k]}: found ${f}/${w}, quiet ${sum.quiet}/${sum.clean} (${sum.cleanAlarms} alarms); ${kindList.map((x) => `${x} ${sum.found.get(x) ?? 0}/${sum.windows.get(x) ?? 0}`).join(', ')}\n    ${rows.join('; ')}\n`,
  );
}
