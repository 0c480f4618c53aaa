/**
 * Round 13d of docs/evaluation.md: which NAB score mapping for `defaultDetector()` (`online`, `onlinePeak`,
 * `onlineAlarm`), on corpora grouped by seed range, with NAB as a look scored in-sample and by
 * leave-one-category-out. Round 27 added `peakMaxArt` and `peakMaxArtPeak` (`onlinePeak` combined with the
 * `art` recipe's NAB score by `maxWithPartner`, as the recipes of those names score).
 *
 *   npx tsx bench/nab-mapping.ts [--recipe NAME] CACHE NAME=DIR,DIR,… NAME=DIR,… [look:NAME=DIR,…]
 *
 * `--recipe NAME` streams that recipe (src/lab/recipes.ts) in place of the default (round 44 streamed its
 * prototype's recipe, `defaultHarmonic44`, retired in fix46: the default now streams the same scores);
 * give it its own CACHE.
 *
 * A DIR is a corpus in NAB's layout (`nab` = the NAB corpus). Each file is streamed once by the default
 * (`runNabStream`, `online` mapping, as `tsad bench` does) and cached in CACHE (the online scores and the
 * alarm rows); the other mappings are derived from that stream exactly as `runNabStream` derives them
 * (`deriveOnlineMapping`; for round 27's two, `maxWithPartner` with the `art` recipe's stream, `identity`,
 * cached beside it). The floor (`ZeroDetector`, and zeros for ART) goes through every mapping. The cache
 * is keyed by corpus folder and file only: give a new CACHE folder after the default or a corpus changes.
 *
 * Printed per group and mapping: the NAB standard / low-FP / low-FN scores of each corpus (threshold
 * optimised per corpus and profile, as `tsad bench`) and their mean. Selection rule (fixed here before
 * this script first ran): the mapping with the highest mean standard score over every corpus of the
 * tuning groups (not `look:`); its leave-one-group-out figure is printed beside it (per held group, the
 * mapping best on the other groups). For a `look:` group with categories (NAB), leave-one-category-out:
 * for each category, the mapping and the standard threshold best on the other categories, the per-file
 * scores of the held category at them, summed and normalised over the corpus (docs/evaluation.md,
 * Protocol 2); printed, never used to choose.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDetector } from '../src/detectors/default.js';
import type { Detector } from '../src/detectors/types.js';
import { resolveCorpus } from '../src/lab/bench.js';
import { corpusWindows, loadCorpusFile } from '../src/lab/nab-corpus-file.js';
import { deriveOnlineMapping, maxWithPartner, runNabStream } from '../src/lab/nab-stream.js';
import { makeDetector } from '../src/lab/recipes.js';
import { ZeroDetector } from '../src/lab/zero.js';
import {
  nabProbationaryLength,
  optimizeNabThreshold,
  type PreparedNabFile,
  prepareNabFile,
  scoreNabFile,
  scoreNabPrepared,
} from '../src/metrics/nab.js';

const cli = process.argv.slice(2);
const ri = cli.indexOf('--recipe');
const recipe = ri >= 0 ? cli.splice(ri, 2)[1] : undefined;
const [cacheDir, ...groupArgs] = cli;
if (!cacheDir || groupArgs.length < 1)
  throw new Error('usage: nab-mapping.ts [--recipe NAME] CACHE NAME=DIR,… [look:NAME=DIR,…]');
const groups = groupArgs.map((g) => {
  const [name, dirs] = g.split('=');
  return {
    name,
    dirs: dirs.split(',').map((d) => (d === 'nab' ? resolveCorpus('nab') : d)),
    look: name.startsWith('look:'),
  };
});

// round 27 added `peakMaxArt` and `peakMaxArtPeak`: `onlinePeak` combined with the `art` recipe's NAB score
// (`maxWithPartner`, as the recipes of those names compute it); ART is streamed once per file and cached
const MAPPINGS = ['online', 'onlinePeak', 'onlineAlarm', 'peakMaxArt', 'peakMaxArtPeak'] as const;
type Mapping = (typeof MAPPINGS)[number];
const PROFILES = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const;

interface Stream {
  online: Float64Array;
  alarm: Uint8Array;
  /** The `art` recipe's NAB score by row (`identity`); zeros for the floor. */
  art: Float64Array;
}
const emptyRecord = <T>(make: () => T) =>
  Object.fromEntries(MAPPINGS.map((m) => [m, make()])) as Record<Mapping, T>;

const key = (x: string) => x.replace(/[^A-Za-z0-9]+/g, '_');

async function streamOne(
  dir: string,
  file: string,
  who: string,
  make: () => Detector,
  mapping: 'online' | 'identity',
): Promise<{ anomaly: Float64Array; alarm: Uint8Array }> {
  const base = join(cacheDir, key(dir), `${key(file)}.${who}`);
  if (existsSync(`${base}.f64`)) {
    const b = readFileSync(`${base}.f64`);
    const a = readFileSync(`${base}.u8`);
    return {
      anomaly: new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)),
      alarm: new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)),
    };
  }
  const { rows, series, windows } = await loadCorpusFile(dir, file);
  const r = runNabStream(make(), series, rows, windows, mapping);
  mkdirSync(join(cacheDir, key(dir)), { recursive: true });
  writeFileSync(`${base}.f64`, Buffer.from(r.anomaly.buffer));
  writeFileSync(`${base}.u8`, Buffer.from(r.alarm.buffer));
  return r;
}

async function stream(dir: string, file: string, who: string, make: () => Detector): Promise<Stream> {
  const own = await streamOne(dir, file, who, make, 'online');
  const art =
    who === 'zero'
      ? new Float64Array(own.anomaly.length)
      : (await streamOne(dir, file, 'art', () => makeDetector('art'), 'identity')).anomaly;
  return { online: own.anomaly, alarm: own.alarm, art };
}

function mapped(s: Stream, t: Float64Array, m: Mapping): Float64Array {
  if (m === 'online') return s.online;
  if (m === 'peakMaxArt' || m === 'peakMaxArtPeak') {
    const peak = deriveOnlineMapping('onlinePeak', t, Float64Array.from(s.online), s.alarm);
    return maxWithPartner(t, peak, s.art, m === 'peakMaxArtPeak');
  }
  return deriveOnlineMapping(m, t, Float64Array.from(s.online), s.alarm);
}

/** Per corpus: prepared files per mapping (detector and floor), with each file's category. */
interface Corpus {
  dir: string;
  files: string[];
  cats: string[];
  det: Record<Mapping, PreparedNabFile[]>;
  floor: Record<Mapping, PreparedNabFile[]>;
  /** Per file: the detector's mapped scores by row, 1 for rows inside a window, the probationary length. */
  raw: {
    scores: Record<Mapping, Float64Array>;
    t: Float64Array;
    windows: readonly (readonly [number, number])[];
    inWindow: Uint8Array;
    probation: number;
  }[];
}

async function loadCorpus(dir: string): Promise<Corpus> {
  const files = Object.keys(corpusWindows(dir)).sort();
  const det = emptyRecord<PreparedNabFile[]>(() => []);
  const floor = emptyRecord<PreparedNabFile[]>(() => []);
  const raw: Corpus['raw'] = [];
  for (const f of files) {
    const { rows, series, windows } = await loadCorpusFile(dir, f);
    const d = await stream(dir, f, 'default', () => (recipe ? makeDetector(recipe) : defaultDetector()));
    const z = await stream(dir, f, 'zero', () => new ZeroDetector());
    const scoresOf = {} as Record<Mapping, Float64Array>;
    for (const m of MAPPINGS) {
      scoresOf[m] = mapped(d, rows.t, m);
      det[m].push(prepareNabFile(f, { t: rows.t, windows }, scoresOf[m]));
      floor[m].push(prepareNabFile(f, { t: rows.t, windows }, mapped(z, rows.t, m)));
    }
    const inWindow = new Uint8Array(rows.t.length);
    for (let r = 0; r < rows.t.length; r++)
      for (const [a, b] of windows) if (rows.t[r] >= a && rows.t[r] <= b) inWindow[r] = 1;
    // the first scored row: the probationary part is counted in series points (as runNabStream)
    const pt = series.t[nabProbationaryLength(series.t.length)] ?? Number.POSITIVE_INFINITY;
    let probation = 0;
    while (probation < rows.t.length && rows.t[probation] < pt) probation++;
    raw.push({ scores: scoresOf, t: rows.t, windows, inWindow, probation });
    process.stderr.write('.');
  }
  process.stderr.write(` ${dir}\n`);
  return { dir, files, cats: files.map((f) => f.split('/')[0]), det, floor, raw };
}

const fmt = (x: number) => (Number.isNaN(x) ? '  n/a' : x.toFixed(2).padStart(6));
const scores = (fs: PreparedNabFile[]) => PROFILES.map((p) => scoreNabPrepared(fs, p).normalized);

const loaded = [];
for (const g of groups) {
  const corpora: Corpus[] = [];
  for (const d of g.dirs) corpora.push(await loadCorpus(d));
  loaded.push({ ...g, corpora });
}

// per group and mapping: mean over corpora of each profile (NaN scores, e.g. a corpus without windows, skipped)
const meanOf = (xs: number[]) => {
  const ok = xs.filter((x) => !Number.isNaN(x));
  return ok.reduce((a, b) => a + b, 0) / ok.length;
};
const groupMean: Record<string, Record<Mapping, number>> = {};
for (const g of loaded) {
  console.log(
    `\n== ${g.name} (${g.corpora.length} corpora)  standard / low FP / low FN, per corpus and mean`,
  );
  groupMean[g.name] = emptyRecord(() => 0);
  for (const m of MAPPINGS) {
    for (const who of ['det', 'floor'] as const) {
      const per = g.corpora.map((c) => scores(c[who][m]));
      const mean = PROFILES.map((_, k) => meanOf(per.map((p) => p[k])));
      if (who === 'det') groupMean[g.name][m] = mean[0];
      console.log(
        `${(who === 'det' ? m : `floor ${m}`).padEnd(18)} mean ${mean.map(fmt).join(' /')}   per corpus ${per.map((p) => fmt(p[0])).join(' ')}`,
      );
    }
  }
}

const tune = loaded.filter((g) => !g.look);
if (tune.length > 0) {
  const best = (gs: typeof tune) => {
    let bm: Mapping = 'online';
    let bv = Number.NEGATIVE_INFINITY;
    for (const m of MAPPINGS) {
      const v = meanOf(
        gs.flatMap((g) => g.corpora.map((c) => scoreNabPrepared(c.det[m], 'standard').normalized)),
      );
      if (v > bv) [bm, bv] = [m, v];
    }
    return { m: bm, v: bv };
  };
  const pick = best(tune);
  console.log(
    `\nselection (mean standard over ${tune.flatMap((g) => g.corpora).length} tuning corpora): ${pick.m} (${fmt(pick.v)})`,
  );
  if (tune.length > 1) {
    const cv: number[] = [];
    for (const held of tune) {
      const p = best(tune.filter((g) => g !== held));
      const v = held.corpora.map((c) => scoreNabPrepared(c.det[p.m], 'standard').normalized);
      cv.push(...v);
      console.log(`  leave out ${held.name}: chosen ${p.m}; held mean ${fmt(meanOf(v))}`);
    }
    console.log(`  leave-one-group-out mean standard: ${fmt(meanOf(cv))}`);
  }
}

for (const g of loaded.filter((x) => x.look)) {
  for (const c of g.corpora) {
    // at each mapping's optimised standard threshold: windows with a row at or above it, and the rows at
    // or above it outside windows (each a false positive to NAB) with the runs of consecutive such rows
    console.log(
      `\n${g.name}: at the standard threshold, rows at or above it outside windows (runs), windows reached`,
    );
    for (const m of MAPPINGS) {
      const th = optimizeNabThreshold(c.det[m], 'standard').threshold;
      const byCat = new Map<string, [number, number, number, number]>();
      c.raw.forEach((f, k) => {
        const e = byCat.get(c.cats[k]) ?? [0, 0, 0, 0];
        const a = f.scores[m];
        let prev = false;
        for (let r = f.probation; r < a.length; r++) {
          const out = a[r] >= th && !f.inWindow[r];
          if (out) {
            e[0]++;
            if (!prev) e[1]++;
          }
          prev = out;
        }
        for (const [wa, wb] of f.windows) {
          let hit = false;
          for (let r = f.probation; r < a.length && !hit; r++)
            hit = f.t[r] >= wa && f.t[r] <= wb && a[r] >= th;
          if (hit) e[2]++;
          e[3]++;
        }
        byCat.set(c.cats[k], e);
      });
      const tot = [...byCat.values()].reduce((x, y) => x.map((v, i) => v + y[i]) as typeof x, [0, 0, 0, 0]);
      console.log(
        `${m.padEnd(12)} θ ${th.toFixed(5)}: ${tot[0]} rows (${tot[1]} runs), windows ${tot[2]}/${tot[3]}; ${[...byCat.entries()].map(([k, e]) => `${k} ${e[0]} (${e[1]})`).join(', ')}`,
      );
    }
    const cats = [...new Set(c.cats)];
    if (cats.length < 2) continue;
    for (const fixed of [undefined, ...MAPPINGS]) {
      let raw = 0;
      let nul = 0;
      let perfect = 0;
      const chosen: string[] = [];
      for (const cat of cats) {
        const others = (m: Mapping) => c.det[m].filter((_, i) => c.cats[i] !== cat);
        let bm: Mapping = fixed ?? 'online';
        let bt = 0;
        let bv = Number.NEGATIVE_INFINITY;
        for (const m of fixed ? [fixed] : MAPPINGS) {
          const o = optimizeNabThreshold(others(m), 'standard');
          const v = scoreNabPrepared(others(m), 'standard', o.threshold).normalized;
          if (v > bv) [bm, bt, bv] = [m, o.threshold, v];
        }
        chosen.push(`${cat}:${bm}`);
        const held = c.det[bm].filter((_, i) => c.cats[i] === cat);
        for (const f of held) raw += scoreNabFile(f, bt, 'standard').score;
        const s = scoreNabPrepared(held, 'standard', bt);
        nul += s.nullScore;
        perfect += s.perfectScore;
      }
      const norm = (100 * (raw - nul)) / (perfect - nul);
      console.log(
        `\n${g.name} leave-one-category-out standard, ${fixed ? `mapping fixed to ${fixed}` : 'mapping and threshold chosen'}: ${fmt(norm)}${fixed ? '' : `\n  ${chosen.join(', ')}`}`,
      );
    }
  }
}
