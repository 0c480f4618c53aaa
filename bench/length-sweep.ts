/**
 * Length round 20 of docs/evaluation.md: does a recipe (default: `defaultDetector()`) generalise across
 * file lengths? For every length × seed it writes a `tsad synth` corpus of that many points per file
 * (`<root>/s<seed>_L<length>`, written again each run: a corpus an earlier generator left there, e.g. before gen20
 * lengthened frequency changes, would disagree with the windows and steps of the corpus made here), runs `tsad bench` on it (the recipe and its floor
 * row, `--workers 2`, results below `<root>/res`), and prints, per length and over the seeds: windows found
 * per kind and anomaly-free files without an alarm (the recipe's own alarm rule), the NAB standard score of
 * each seed and its floor; then per file step: windows found and quiet files per length, with the training
 * part's span in days (NAB's probationary part: 15 % of the rows, at most 750, so from 5,000 points on
 * every length trains on the same 750 points; shown for a file without gaps). Tuning seeds only: it refuses 2301–2303 and 2401 on.
 *
 *   npx tsx bench/length-sweep.ts [root=/tmp/len20] [lengths=1500,3000,6000,12000] [seeds=2001,2101,2201] [recipe=default]
 */
import { join } from 'node:path';
import { runBench } from '../src/lab/bench.js';
import { SYNTH_KINDS, synthCorpus, writeSynthCorpus } from '../src/lab/synth.js';
import { nabProbationaryLength } from '../src/metrics/nab-prepare.js';

const root = process.argv[2] ?? '/tmp/len20';
const lengths = (process.argv[3] ?? '1500,3000,6000,12000').split(',').map(Number);
const seeds = (process.argv[4] ?? '2001,2101,2201').split(',').map(Number);
const recipe = process.argv[5] ?? 'default';
for (const s of seeds) {
  if ((s >= 2301 && s <= 2303) || s >= 2401) {
    throw new Error(`seed ${s} is never-used held-out data (docs/evaluation.md, Protocol): use tuning seeds`);
  }
}

/** Per length: found / windows per kind, quiet / anomaly-free files, standard scores (recipe, floor). */
interface LengthRow {
  found: Map<string, [number, number]>;
  quiet: [number, number];
  standard: number[];
  floor: number[];
  wallMs: number;
}
/** Per step and length: windows found, windows, quiet files, anomaly-free files, training days. */
const bySteps = new Map<number, Map<number, { f: number; w: number; q: number; c: number; days: number }>>();
const rows = new Map<number, LengthRow>();
for (const L of lengths) {
  const row: LengthRow = { found: new Map(), quiet: [0, 0], standard: [], floor: [], wallMs: 0 };
  rows.set(L, row);
  for (const seed of seeds) {
    const dir = join(root, `s${seed}_L${L}`);
    const corpus = synthCorpus({ seed, length: L });
    // rewritten, not reused: gen20 changed frequency-change windows, so an older corpus there differs
    writeSynthCorpus(dir, corpus, { force: true });
    const stepOf = new Map(corpus.files.map((f) => [f.name, f.stepMin]));
    const report = await runBench({
      corpus: dir,
      detectors: [recipe],
      workers: 2,
      outDir: join(root, 'res', `s${seed}_L${L}`),
      writeScoreboard: false,
    });
    row.wallMs += report.wallMs;
    const main = report.rows.find((r) => !r.floor);
    const floor = report.rows.find((r) => r.floor);
    if (!main) throw new Error(`no row for ${recipe} on ${dir}`);
    row.standard.push(main.scores.standard);
    row.floor.push(floor ? floor.scores.standard : Number.NaN);
    for (const k of main.own.kinds) {
      const a = row.found.get(k.kind) ?? [0, 0];
      row.found.set(k.kind, [a[0] + k.found, a[1] + k.windows]);
    }
    row.quiet[0] += main.own.clean.files - main.own.clean.withAlarm;
    row.quiet[1] += main.own.clean.files;
    const trainPts = nabProbationaryLength(L);
    for (const pf of main.own.perFile) {
      const step = stepOf.get(pf.file) ?? Number.NaN;
      const m = bySteps.get(step) ?? new Map();
      bySteps.set(step, m);
      const c = m.get(L) ?? { f: 0, w: 0, q: 0, c: 0, days: (trainPts * step) / 1440 };
      m.set(L, c);
      if (pf.windows === 0) {
        c.c++;
        if (pf.alarms === 0) c.q++;
      } else {
        c.w += pf.windows;
        c.f += Math.round(pf.recall * pf.windows);
      }
    }
  }
}

const kinds = SYNTH_KINDS.filter((k) => lengths.some((L) => rows.get(L)?.found.has(k)));
const pad = (s: string, n: number) => s.padStart(n);
console.log(
  `recipe ${recipe}, seeds ${seeds.join(', ')}, own alarm rule (found/windows), standard score per seed`,
);
console.log(
  `${[
    pad('length', 6),
    ...kinds.map((k) => pad(k, Math.max(7, k.length))),
    pad('found', 8),
    pad('quiet', 6),
  ].join(' ')}  standard (floor)`,
);
for (const L of lengths) {
  const r = rows.get(L);
  if (!r) continue;
  let f = 0;
  let w = 0;
  const cells = kinds.map((k) => {
    const [a, b] = r.found.get(k) ?? [0, 0];
    f += a;
    w += b;
    return pad(`${a}/${b}`, Math.max(7, k.length));
  });
  const mean = r.standard.reduce((s, x) => s + x, 0) / r.standard.length;
  console.log(
    [pad(String(L), 6), ...cells, pad(`${f}/${w}`, 8), pad(`${r.quiet[0]}/${r.quiet[1]}`, 6)].join(' ') +
      `  ${r.standard.map((x) => x.toFixed(2)).join(' ')} mean ${mean.toFixed(2)} (${r.floor.map((x) => x.toFixed(2)).join(' ')}); bench wall ${(r.wallMs / 1000).toFixed(0)} s`,
  );
}
console.log('\nper step: windows found/windows, quiet/anomaly-free files [training part in days]');
for (const step of [...bySteps.keys()].sort((a, b) => a - b)) {
  const m = bySteps.get(step);
  const cells = lengths.map((L) => {
    const c = m?.get(L);
    return c ? `L${L} ${c.f}/${c.w} q${c.q}/${c.c} [${c.days.toFixed(2)} d]` : `L${L} —`;
  });
  console.log(`${pad(String(step), 3)} min  ${cells.join('  ')}`);
}
