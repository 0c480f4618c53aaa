/**
 * Round 12c of docs/evaluation.md: lone-alarm levels (`strongThreshold`, `etsAlone`, with and without
 * `fullWindow`) replayed over cached streams of `defaultDetector()` and its three mean members, on
 * tuning corpora grouped by seed range, with the levels chosen by leave-one-group-out cross-validation.
 *
 *   npx tsx bench/strong-sweep.ts CACHE NAME=DIR,DIR,… NAME=DIR,… [look:NAME=DIR,…] [--mt MT.csv]
 *
 * A `look:` group (e.g. `look:nab=<NAB's folder>`, NAB's layout, kinds = categories) is replayed and
 * printed per setting (in-sample: never used to choose).
 *
 * The base is the default before round 12c (`defaultDetector(BEFORE_12C)`, no lone-alarm paths; the
 * cache tag `default` is that stream). Every grid setting is replayed on every corpus (no stream is scored again: `cachedStreamScores`, as
 * `bench/combo-sweep.ts`). Printed: the pooled (in-sample) table, then for each group the setting the
 * selection rule picks on the other groups and what it does on the held group (the cross-validated
 * figure is the sum over the held groups). With `--mt`, the CSV `bench/mt-diag.ts OUT.csv default`
 * wrote for machine temperature: each setting's alarms there (in-sample: nothing is chosen by it).
 *
 * Selection rule (on the training groups, pooled): admissible settings keep at least the default's quiet
 * anomaly-free files and no kind below the default's count; among them the most windows found of the
 * four lone-alarm kinds (spike, dip, level shift up, level shift down); ties go to fewer alarms on
 * anomaly-free files, then fewer alarms outside windows in anomalous files, then the Merlion window
 * (no `fullWindow`), then the higher strong level, then the higher ETS level (the most conservative).
 */
import { readFileSync } from 'node:fs';
import { TEST_WINDOWS } from '../src/cli/nab/machine-temperature.js';
import { defaultDetector } from '../src/detectors/default.js';
import { BEFORE_12C } from '../src/lab/alarm-paths.js';
import { corpusKinds } from '../src/lab/bench.js';
import { corpusWindows, loadCorpusFile } from '../src/lab/nab-corpus-file.js';
import { evaluate } from '../src/metrics/index.js';
import { nabProbationaryLength } from '../src/metrics/nab.js';
import { cachedStreamScores, defaultMemberAlone, replayAlarms } from './harness.js';

const args = process.argv.slice(2);
const mtAt = args.indexOf('--mt');
const mtCsv = mtAt >= 0 ? args[mtAt + 1] : undefined;
const rest = mtAt >= 0 ? [...args.slice(0, mtAt), ...args.slice(mtAt + 2)] : args;
const [cacheDir, ...groupArgs] = rest;
if (!cacheDir || groupArgs.length < 2)
  throw new Error('usage: strong-sweep.ts CACHE NAME=DIR,DIR… NAME=DIR,… [--mt MT.csv]');
const parsedGroups = groupArgs.map((g) => {
  const [name, dirs] = g.split('=');
  return { name, dirs: dirs.split(','), look: name.startsWith('look:') };
});
// tuning groups first, then the groups only looked at (`look:NAME=DIR`: printed, never used to choose)
const groups = [...parsedGroups.filter((g) => !g.look), ...parsedGroups.filter((g) => g.look)];
const nTune = groups.filter((g) => !g.look).length;

interface Setting {
  strong: number;
  ets: number;
  full: boolean;
}
const INF = Number.POSITIVE_INFINITY;
const LEVELS = [INF, 3.5, 4, 4.5, 5, 5.5, 6, 7, 8, 10];
const grid: Setting[] = [];
for (const full of [false, true])
  for (const strong of LEVELS) for (const ets of LEVELS) grid.push({ strong, ets, full });
const DEFAULT = 0; // strong ∞, ETS ∞, Merlion window
const label = (s: Setting) =>
  `${s.full ? 'full ' : ''}strong ${s.strong === INF ? '-' : s.strong} ets ${s.ets === INF ? '-' : s.ets}`;

const TARGET = ['dip', 'levelShiftDown', 'levelShiftUp', 'spike'];
const KINDS: string[] = [];
/** Per setting: found per kind, windows per kind, quiet files, anomaly-free files, alarms on them, alarms outside windows. */
interface Tally {
  found: number[];
  windows: number[];
  quiet: number;
  clean: number;
  cleanAlarms: number;
  outside: number;
}
const empty = (): Tally => ({
  found: [],
  windows: [],
  quiet: 0,
  clean: 0,
  cleanAlarms: 0,
  outside: 0,
});
const add = (a: Tally, b: Tally): Tally => ({
  found: KINDS.map((_k, i) => (a.found[i] ?? 0) + (b.found[i] ?? 0)),
  windows: KINDS.map((_k, i) => (a.windows[i] ?? 0) + (b.windows[i] ?? 0)),
  quiet: a.quiet + b.quiet,
  clean: a.clean + b.clean,
  cleanAlarms: a.cleanAlarms + b.cleanAlarms,
  outside: a.outside + b.outside,
});
const total = (x: Tally) => x.found.reduce((a, b) => a + b, 0);
const target = (x: Tally) => TARGET.reduce((a, k) => a + (x.found[KINDS.indexOf(k)] ?? 0), 0);

/** Combined |score| of a setting: the default's, raised to 3·|ETS|/ets where the ETS path is on. */
function combined(def: Float64Array, ets: Float64Array, p: number, s: Setting): Float64Array {
  const c = new Float64Array(def.length);
  for (let i = p; i < def.length; i++) {
    const x = Math.abs(def[i]);
    c[i] = s.ets === INF ? x : Math.max(x, (Math.abs(ets[i]) * 3) / s.ets);
  }
  return c;
}

// per group, per setting
const byGroup: Tally[][] = [];
for (const g of groups) {
  const tallies = grid.map(empty);
  for (const corpus of g.dirs) {
    const windows = corpusWindows(corpus);
    const kinds = corpusKinds(corpus);
    for (const file of Object.keys(windows).sort()) {
      const def = await cachedStreamScores(cacheDir, corpus, file, 'default', () =>
        defaultDetector(BEFORE_12C),
      );
      const ets = await cachedStreamScores(cacheDir, corpus, file, 'ets', () => defaultMemberAlone(0));
      const { t } = (await loadCorpusFile(corpus, file)).series;
      const p = nabProbationaryLength(t.length);
      const ws = kinds[file];
      for (let k = 0; k < grid.length; k++) {
        const alarm = replayAlarms(t, combined(def, ets, p, grid[k]), p, grid[k].strong, grid[k].full);
        const tl = tallies[k];
        if (ws.length === 0) {
          const cnt = alarm.reduce((a, b) => a + b, 0);
          tl.clean++;
          tl.cleanAlarms += cnt;
          if (cnt === 0) tl.quiet++;
          continue;
        }
        for (const w of ws) {
          if (!KINDS.includes(w.kind)) KINDS.push(w.kind);
          const ki = KINDS.indexOf(w.kind);
          tl.windows[ki] = (tl.windows[ki] ?? 0) + 1;
          tl.found[ki] ??= 0;
          let f = false;
          for (let i = p; i < t.length && !f; i++) f = alarm[i] === 1 && t[i] >= w.onset && t[i] <= w.end;
          if (f) tl.found[ki]++;
        }
        const raw = windows[file];
        for (let i = p; i < t.length; i++)
          if (alarm[i] && !raw.some(([a, b]) => t[i] >= a && t[i] <= b)) tl.outside++;
      }
    }
  }
  byGroup.push(tallies);
}

const row = (name: string, x: Tally) =>
  `${name.padEnd(30)} found ${String(total(x)).padStart(3)}/${x.windows.reduce((a, b) => a + b, 0)} target ${String(target(x)).padStart(3)} quiet ${x.quiet}/${x.clean} clean-alarms ${String(x.cleanAlarms).padStart(3)} outside ${String(x.outside).padStart(4)} | ${x.found.filter((_f, i) => (x.windows[i] ?? 0) > 0).join(' ')}`;

const pooled = (gs: number[]) => grid.map((_s, k) => gs.reduce((a, g) => add(a, byGroup[g][k]), empty()));

/** The selection rule of the header, on pooled tallies. */
function choose(t: Tally[]): number {
  const d = t[DEFAULT];
  let best = DEFAULT;
  const better = (a: number, b: number): boolean => {
    const x = t[a];
    const y = t[b];
    if (target(x) !== target(y)) return target(x) > target(y);
    if (x.cleanAlarms !== y.cleanAlarms) return x.cleanAlarms < y.cleanAlarms;
    if (x.outside !== y.outside) return x.outside < y.outside;
    if (grid[a].full !== grid[b].full) return !grid[a].full;
    if (grid[a].strong !== grid[b].strong) return grid[a].strong > grid[b].strong;
    return grid[a].ets > grid[b].ets;
  };
  for (let k = 0; k < grid.length; k++) {
    const x = t[k];
    if (x.quiet < d.quiet || x.found.some((f, i) => f < d.found[i])) continue;
    if (better(k, best)) best = k;
  }
  return best;
}

const tuneIdx = groups.map((_g, i) => i).filter((i) => i < nTune);
process.stdout.write(
  `kinds (per-kind columns, those with windows): ${KINDS.join(' ')}; target: ${TARGET.join(' ')}\n`,
);
const all = pooled(tuneIdx);
process.stdout.write(
  `\n== in-sample, tuning groups pooled (${groups
    .slice(0, nTune)
    .map((g) => g.name)
    .join(', ')})\n`,
);
for (let k = 0; k < grid.length; k++) process.stdout.write(`${row(label(grid[k]), all[k])}\n`);
const inSample = choose(all);
process.stdout.write(`chosen on all groups (in-sample): ${label(grid[inSample])}\n`);
process.stdout.write(
  `${row('  default', all[DEFAULT])}\n${row(`  ${label(grid[inSample])}`, all[inSample])}\n`,
);

process.stdout.write('\n== leave one group out\n');
let cvDef = empty();
let cvSel = empty();
groups.slice(0, nTune).forEach((g, h) => {
  const train = pooled(tuneIdx.filter((i) => i !== h));
  const k = choose(train);
  process.stdout.write(`held ${g.name}: chosen on the others ${label(grid[k])}\n`);
  process.stdout.write(`${row('  train default', train[DEFAULT])}\n${row('  train chosen', train[k])}\n`);
  process.stdout.write(
    `${row('  held default', byGroup[h][DEFAULT])}\n${row('  held chosen', byGroup[h][k])}\n`,
  );
  cvDef = add(cvDef, byGroup[h][DEFAULT]);
  cvSel = add(cvSel, byGroup[h][k]);
});
process.stdout.write(`${row('cross-validated default', cvDef)}\n${row('cross-validated chosen', cvSel)}\n`);

for (let h = nTune; h < groups.length; h++) {
  process.stdout.write(
    `\n== ${groups[h].name} (in-sample look: nothing is chosen by it; kinds = its categories)\n`,
  );
  for (let k = 0; k < grid.length; k++) process.stdout.write(`${row(label(grid[k]), byGroup[h][k])}\n`);
}

if (mtCsv) {
  const lines = readFileSync(mtCsv, 'utf8').trim().split('\n').slice(1);
  const n = lines.length;
  const t = new Float64Array(n);
  const comb = new Float64Array(n);
  const ets = new Float64Array(n);
  lines.forEach((l, i) => {
    const f = l.split(',');
    t[i] = Date.parse(`${f[0]}Z`);
    comb[i] = Number(f[2]);
    ets[i] = Number(f[4]);
  });
  process.stdout.write('\n== machine temperature (in-sample: replayed from the default diagnostic CSV)\n');
  for (let k = 0; k < grid.length; k++) {
    const alarm = replayAlarms(t, combined(comb, ets, 0, grid[k]), 0, grid[k].strong, grid[k].full);
    const rep = evaluate({ t, truth: TEST_WINDOWS, tPred: t, pred: alarm });
    const list: string[] = [];
    for (let i = 0; i < n; i++)
      if (alarm[i]) {
        const w = TEST_WINDOWS.findIndex(([a, b]) => t[i] >= a && t[i] <= b);
        list.push(`${new Date(t[i]).toISOString().slice(5, 16)}${w < 0 ? ' FP' : ` w${w + 1}`}`);
      }
    process.stdout.write(
      `${label(grid[k]).padEnd(30)} P ${rep.precision.toFixed(4)} R ${rep.recall.toFixed(4)} F1 ${rep.f1.toFixed(4)} ${list.join(', ')}\n`,
    );
  }
}
