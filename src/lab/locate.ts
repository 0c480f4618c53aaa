/**
 * Locate mode (docs/evaluation.md): on series with one labelled anomaly, train on a prefix, score the rest
 * as a stream, and ask whether the highest score of the test part falls within `margin` points of the
 * anomaly (the KDD Cup 2021 rule uses 100). Accuracy = the share of series located. A recipe `a+b`
 * combines members by the larger of their robust z-scores over the test part (see `robustZ`).
 */

import { join } from 'node:path';
import { discordLocateScores, type TwoSidedOptions } from '../detectors/discord/two-sided.js';
import { streamOnce } from '../detectors/stream-once.js';
import type { Detector } from '../detectors/types.js';
import { ConfigError, isTrainRefusal } from '../errors.js';
import { lowerBound } from '../series/ops.js';
import {
  assertCorpusLabels,
  corpusKinds,
  fetchCorpus,
  kindColumnWidth,
  kindHeader,
  readCorpusKinds,
  readCorpusWindows,
} from './bench.js';
import { loadCorpusFile } from './nab-corpus-file.js';
import { isRecipe, makeDetector, RECIPES } from './recipes.js';

export interface LocateOptions {
  readonly corpus: string;
  readonly detectors?: readonly string[];
  readonly files?: readonly string[];
  /** Points either side of the anomaly that still count. Default 100. */
  readonly margin?: number;
  /** Training prefix as a fraction of the series (cut before the anomaly's window). Default 0.3. */
  readonly trainFraction?: number;
  readonly seed?: number;
  /**
   * Extra detectors by name (benches that compare settings of one detector); a name here wins over a
   * recipe of the same name. The run trains what each call returns and scores the test part with its
   * `stream()` (a copy of its state): the detector stays the caller's, trained on that file's training part.
   */
  readonly build?: Readonly<Record<string, (seed: number) => Detector>>;
  /** Extra offline scorers by name (benches), as `LOCATE_RECIPES`; a name here wins over both. */
  readonly scorers?: Readonly<Record<string, LocateScorer>>;
}

/**
 * An offline locate scorer: the scores of the test points `cut … n − 1` of (`t`, `v`), trained on the
 * points before `cut`, seeing the whole series at once (so it may look ahead: locate mode only).
 */
export type LocateScorer = (t: Float64Array, v: Float64Array, cut: number, seed: number) => Float64Array;

/**
 * The two-sided discord of `discordTwoSided` (docs/evaluation.md, locate round 4, chosen on tuning
 * corpora only): future neighbours from four periods ahead (an anomaly of several cycles does not
 * match itself), each side's window × 3.
 */
export const TWO_SIDED_LOCATE: TwoSidedOptions = { sides: 'both', rightExclusion: 4, windowMul: 3 };

/**
 * `discordTwoSidedBroad` (docs/evaluation.md, locate round 5; a lab recipe, not the default): the
 * two-sided discord with broad tops, each score the geometric mean of itself and its centred mean over
 * a quarter of the period found.
 */
export const TWO_SIDED_BROAD_LOCATE: TwoSidedOptions = { ...TWO_SIDED_LOCATE, broad: 0.25 };

/**
 * `discordMultiScale` (docs/evaluation.md, locate round 6; a lab recipe, not the default): the pointwise
 * maximum of `discordTwoSided`'s score and the two-sided discord run at one subsequence length each of
 * ½, 1 and 2 periods (every part on its own training scale, with the block size its one length
 * chooses). About four times `discordTwoSided`'s cost.
 */
function multiScaleLocateScores(t: Float64Array, v: Float64Array, cut: number, seed: number): Float64Array {
  const out = discordLocateScores({ seed }, t, v, cut, TWO_SIDED_LOCATE);
  for (const m of [0.5, 1, 2]) {
    const part = discordLocateScores({ seed, lengths: [m], periodLength: null }, t, v, cut, TWO_SIDED_LOCATE);
    for (let i = 0; i < out.length; i++) if (part[i] > out[i]) out[i] = part[i];
  }
  return out;
}

/**
 * Recipes for locate mode only: offline scorers that see the whole test part (never streamed, so
 * `tsad bench` without `--locate` refuses them). `discordTwoSided`: the discord with each test
 * subsequence compared with its past and its future neighbours (`TWO_SIDED_LOCATE`);
 * `discordTwoSidedBroad`: the same with broad tops (`TWO_SIDED_BROAD_LOCATE`); `discordMultiScale`: the
 * same with single-length parts (`multiScaleLocateScores`).
 */
export const LOCATE_RECIPES: Readonly<Record<string, { description: string; score: LocateScorer }>> = {
  discordTwoSided: {
    description:
      'DiscordDetector, two-sided: each test subsequence against its nearest past and future neighbour (offline, locate mode only)',
    score: (t, v, cut, seed) => discordLocateScores({ seed }, t, v, cut, TWO_SIDED_LOCATE),
  },
  discordTwoSidedBroad: {
    description:
      'discordTwoSided with broad tops: each score the geometric mean of itself and its centred mean over a quarter period (offline, locate mode only)',
    score: (t, v, cut, seed) => discordLocateScores({ seed }, t, v, cut, TWO_SIDED_BROAD_LOCATE),
  },
  discordMultiScale: {
    description:
      'discordTwoSided and the two-sided discord at one length of 0.5, 1 and 2 periods each, pointwise maximum (offline, locate mode only)',
    score: multiScaleLocateScores,
  },
};

export interface LocateFile {
  readonly file: string;
  readonly kind: string;
  /** Index of the highest test score, and the anomaly's first and last index. */
  readonly argmax: number;
  readonly from: number;
  readonly to: number;
  readonly hit: boolean;
  /**
   * The detector refused this file's training part (`too_few_points`, `tiny_scale`), or the training part
   * would be under 10 points: counted as a miss (argmax −1), so every recipe of a run has the same files
   * in its accuracy.
   */
  readonly refused?: true;
}

export interface LocateRow {
  readonly recipe: string;
  /** Wall time to score the corpus' series with this recipe (training and scoring), seconds. */
  readonly seconds: number;
  readonly accuracy: number;
  readonly hits: number;
  readonly files: LocateFile[];
  readonly byKind: { kind: string; files: number; hits: number }[];
}

export interface LocateReport {
  readonly corpus: string;
  readonly margin: number;
  readonly partial: boolean;
  readonly rows: LocateRow[];
}

/** Runs locate mode for each recipe over the corpus' single-window files (in this thread). */
export async function runLocate(opts: LocateOptions): Promise<LocateReport> {
  const margin = opts.margin ?? 100;
  const frac = opts.trainFraction ?? 0.3;
  if (!Number.isInteger(margin) || margin < 0) {
    throw new ConfigError('bad_margin', `margin must be an integer ≥ 0 (points), got ${margin}`);
  }
  if (!(frac > 0 && frac < 1)) {
    throw new ConfigError('bad_train_fraction', `trainFraction must be in (0, 1), got ${frac}`);
  }
  const recipes = opts.detectors ?? ['default'];
  for (const d of recipes.flatMap((r) => r.split('+'))) {
    if (!isRecipe(d) && !opts.build?.[d] && !opts.scorers?.[d] && !LOCATE_RECIPES[d]) {
      throw new ConfigError(
        'unknown_detector',
        `unknown detector "${d}"; choose from ${[...Object.keys(RECIPES), ...Object.keys(LOCATE_RECIPES)].join(', ')}`,
      );
    }
  }
  // the recipes are checked first: a NAB corpus may be downloaded now
  const corpus = await fetchCorpus(opts.corpus, opts.files);
  const windows = readCorpusWindows(corpus);
  assertCorpusLabels(corpus, windows);
  const kinds = corpusKinds(corpus);
  // the anomaly's own extent when the corpus records it (`onset`, `until`), else the label window
  const extent = readCorpusKinds(corpus, windows);
  const single = Object.keys(windows)
    .filter((f) => windows[f].length === 1)
    .sort();
  for (const f of opts.files ?? []) {
    if (!windows[f]) {
      throw new ConfigError(
        'unknown_file',
        `${f} is not a file of ${join(corpus, 'labels', 'combined_windows.json')}; use one of its keys`,
      );
    }
    if (windows[f].length !== 1) {
      throw new ConfigError(
        'bad_option',
        `locate mode needs files with exactly one window: ${f} has ${windows[f].length}; leave it out of the files to locate (--files)`,
      );
    }
  }
  const files = opts.files ? [...opts.files] : single;
  const loaded = await Promise.all(files.map((f) => loadCorpusFile(corpus, f)));
  const rows: LocateRow[] = [];
  for (const recipe of recipes) {
    const started = performance.now();
    const out: LocateFile[] = [];
    for (let k = 0; k < files.length; k++) {
      const file = files[k];
      const { series } = loaded[k];
      const n = series.t.length;
      const [ws, we] = windows[file][0];
      const ext = extent[file]?.[0];
      const a = ext && Number.isFinite(ext.onset) ? ext.onset : ws;
      const b = ext && Number.isFinite(ext.until) ? ext.until : we;
      const from = lowerBound(series.t, a);
      const to = Math.max(from, lowerBound(series.t, b + 1) - 1);
      const cut = Math.min(Math.floor(n * frac), lowerBound(series.t, ws));
      // a training part under 10 points (a window at the very start) or no test part: no recipe can be
      // judged on this file, so it is a miss for every recipe, flagged like a refused training part (before,
      // it was left out without a word)
      if (cut < 10 || cut >= n - 1) {
        out.push({ file, kind: kinds[file][0].kind, argmax: -1, from, to, hit: false, refused: true });
        continue;
      }
      const members = recipe.split('+');
      const combined = new Float64Array(n - cut).fill(Number.NEGATIVE_INFINITY);
      let refused = false;
      for (const member of members) {
        const x = locateScores(member, series.t, series.v, cut, opts);
        // a member that refuses the training part (too few points, no scale): the file counts as a miss
        if (x === null) {
          refused = true;
          break;
        }
        if (members.length > 1) robustZ(x);
        for (let i = 0; i < x.length; i++) if (x[i] > combined[i]) combined[i] = x[i];
      }
      if (refused) {
        out.push({ file, kind: kinds[file][0].kind, argmax: -1, from, to, hit: false, refused: true });
        continue;
      }
      let best = -1;
      let bestScore = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < combined.length; i++) {
        if (combined[i] > bestScore) {
          bestScore = combined[i];
          best = i + cut;
        }
      }
      out.push({
        file,
        kind: kinds[file][0].kind,
        argmax: best,
        from,
        to,
        hit: best >= from - margin && best <= to + margin,
      });
    }
    const hits = out.filter((f) => f.hit).length;
    const kindMap = new Map<string, { files: number; hits: number }>();
    for (const f of out) {
      const e = kindMap.get(f.kind) ?? { files: 0, hits: 0 };
      e.files++;
      if (f.hit) e.hits++;
      kindMap.set(f.kind, e);
    }
    rows.push({
      recipe,
      seconds: (performance.now() - started) / 1000,
      hits,
      accuracy: out.length ? hits / out.length : Number.NaN,
      files: out,
      byKind: [...kindMap.entries()]
        .map(([kind, e]) => ({ kind, ...e }))
        .sort((x, y) => x.kind.localeCompare(y.kind)),
    });
  }
  return { corpus, margin, partial: opts.files !== undefined, rows };
}

/**
 * One member's absolute test scores: an offline scorer's, or a streaming detector's after training; null
 * when the detector refuses the training part (`DetectorError` `too_few_points` or `tiny_scale`).
 */
function locateScores(
  member: string,
  t: Float64Array,
  v: Float64Array,
  cut: number,
  opts: LocateOptions,
): Float64Array | null {
  const seed = opts.seed ?? 0;
  const n = t.length;
  const offline =
    opts.scorers?.[member] ?? (opts.build?.[member] ? undefined : LOCATE_RECIPES[member]?.score);
  if (offline) {
    const x = offline(t, v, cut, seed);
    for (let i = 0; i < x.length; i++) x[i] = Math.abs(x[i]);
    return x;
  }
  const own = opts.build?.[member];
  const det = own ? own(seed) : makeDetector(member, { seed });
  try {
    det.train({ t: t.subarray(0, cut), v: v.subarray(0, cut) });
  } catch (e) {
    if (isTrainRefusal(e)) return null;
    throw e;
  }
  // a recipe's detector is built here and dropped after: the stream takes its own state, no copy; one
  // from the caller's build is the caller's (it may keep it): streamed on a copy, left as trained
  const s = own ? det.stream() : streamOnce(det);
  const x = new Float64Array(n - cut);
  for (let i = cut; i < n; i++) x[i - cut] = Math.abs(s.push(t[i], v[i]).score);
  return x;
}

export function formatLocate(r: LocateReport): string {
  const kinds = [...new Set(r.rows.flatMap((x) => x.byKind.map((k) => k.kind)))].sort();
  const kw = kindColumnWidth(kinds);
  const lines = [
    `locate mode${r.partial ? ' (PARTIAL)' : ''}: highest test score within ${r.margin} points of the anomaly`,
    `${'detector'.padEnd(36)} ${'accuracy'.padStart(9)} ${kinds.map((k) => kindHeader(k, kw)).join(' ')}`,
  ];
  for (const row of [...r.rows].sort((a, b) => b.accuracy - a.accuracy)) {
    const cells = kinds.map((k) => {
      const e = row.byKind.find((x) => x.kind === k);
      return (e ? `${e.hits}/${e.files}` : '—').padStart(kw);
    });
    lines.push(
      `${row.recipe.padEnd(36)} ${`${(100 * row.accuracy).toFixed(1)} %`.padStart(9)} ${cells.join(' ')}`,
    );
  }
  for (const row of r.rows) {
    const refused = row.files.filter((f) => f.refused).length;
    if (refused > 0)
      lines.push(
        `${row.recipe}: ${refused} file(s) whose training part it refused (too few points, no scale; or under 10 points, for every recipe), counted as misses`,
      );
  }
  return lines.join('\n');
}

/**
 * In place: each score as a robust z-score against the member's own test scores, `(x − median) /
 * (1.4826 · MAD)` (MAD floored so a constant member stays finite). A combination `a+b` in locate mode
 * takes the larger of its members' z-scores: the member whose peak stands out most from its own usual
 * level decides, whatever the members' score units.
 */
function robustZ(x: Float64Array): void {
  const sorted = Float64Array.from(x).sort();
  const med = sorted[sorted.length >> 1] ?? 0;
  const dev = Float64Array.from(x, (v) => Math.abs(v - med)).sort();
  const mad = 1.4826 * (dev[dev.length >> 1] ?? 0);
  const scale = Math.max(mad, 1e-12 * (1 + Math.abs(med)));
  for (let i = 0; i < x.length; i++) x[i] = (x[i] - med) / scale;
}
