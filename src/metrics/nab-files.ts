/**
 * Reading NAB's own files: label windows (`labels/combined_windows.json`), stored thresholds
 * (`config/thresholds.json`) and a detector's result CSVs (`<dir>/<category>/<detector>_<file>.csv`), and
 * `scoreNabResults()`, the programmatic form of `tsad nab score`.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, type Stats, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { nabDataDir } from '../datasets/nab.js';
import { MetricsError, type MetricsErrorCode } from '../errors.js';
import { parseTimeString } from '../series/time.js';
import type { Window } from '../series/types.js';
import {
  type NabCorpus,
  type NabCorpusFile,
  type NabProfileScore,
  nabScoreAllProfiles,
  type PreparedNabFile,
  prepareNabCorpus,
} from './nab.js';
import { NAB_PROFILE_NAMES, type NabProfileName } from './tsad.js';

/**
 * Parses NAB's `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC) to epoch ms with the series layer's timestamp
 * parser (the same one `readCsv` and `series()` use: ISO-8601, calendar fields checked, an optional
 * `±HH:MM` offset; fractions truncated to the millisecond). NaN if it does not parse.
 */
export function parseNabTime(s: string): number {
  return parseTimeString(s.trim());
}

/** A plain decimal number as text (no hex, no words, no empty string). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** `statSync` that turns a missing target (also a dangling symlink) into a MetricsError naming it. */
function statOrThrow(path: string, what: string, code: MetricsErrorCode): Stats {
  try {
    return statSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    let why = e.message;
    if (e.code === 'ENOENT') {
      let link = false;
      try {
        link = lstatSync(path).isSymbolicLink();
      } catch {}
      why = link ? 'it is a symbolic link to something that does not exist' : 'it does not exist';
    }
    throw new MetricsError(code, `cannot read ${what} ${path}: ${why}; fix or remove it`, { cause: err });
  }
}

/**
 * The NAB corpus folder (holding `labels/`, `data/`, `config/`): `explicit` if given, else the datasets
 * layer's choice (`$TSAD_DATA_DIR/nab`, else `../shared/datasets/nab` beside the repository or the working
 * directory, else the download cache).
 */
export function resolveNabDir(explicit?: string): string {
  return explicit ? resolve(explicit) : nabDataDir();
}

/**
 * How the caller names the options that locate NAB's labels, for a `missing_labels` message: the library's
 * (`nabDir`, `windowsFile`) or the command line's (`--data`, `--windows`). @internal
 */
export interface LabelOptionNames {
  readonly nabDir: string;
  readonly windowsFile: string;
  /** What to do, in the caller's terms. */
  readonly fix: string;
}

/** The library's option names (`scoreNabResults`, `readNabWindows`). @internal */
export const LIBRARY_LABEL_OPTIONS: LabelOptionNames = {
  nabDir: 'nabDir',
  windowsFile: 'windowsFile',
  fix: "pass nabDir (a NAB folder holding labels/combined_windows.json) or windowsFile: await nabPath('labels/combined_windows.json') (from 'tsad/datasets': downloads the file into the cache once, sha256 checked)",
};

/** `tsad nab score`'s flags. @internal */
export const CLI_LABEL_OPTIONS: LabelOptionNames = {
  nabDir: '--data',
  windowsFile: '--windows',
  fix: 'pass the NAB folder with --data or the labels file with --windows (without either, tsad nab score downloads the labels, sha256 checked)',
};

/**
 * The label windows file `scoreNabResults` reads, which must exist: a missing one is `missing_labels`
 * naming the option (in `names`' terms) that pointed at it.
 */
function labelsFileOf(opts: ScoreNabResultsOptions, names: LabelOptionNames): string {
  if (opts.windowsFile) {
    const f = resolve(opts.windowsFile);
    if (!existsSync(f)) {
      throw new MetricsError('missing_labels', `${names.windowsFile} ${f} does not exist; ${names.fix}`);
    }
    return f;
  }
  const dir = resolveNabDir(opts.nabDir);
  const f = join(dir, 'labels', 'combined_windows.json');
  if (existsSync(f)) return f;
  throw new MetricsError(
    'missing_labels',
    opts.nabDir
      ? `${names.nabDir} ${dir} has no labels/combined_windows.json; ${names.fix}`
      : `NAB label windows not found at ${f}: the NAB folder nabDataDir() chose (TSAD_DATA_DIR/nab, else ../shared/datasets/nab, else the download cache) has no labels file, and scoreNabResults downloads nothing; ${names.fix}`,
  );
}

/** Reads a NAB windows file (`{ file: [[start, end], …] }`, NAB timestamp strings) into epoch-ms windows. */
export function readNabWindows(path: string): Record<string, Window[]> {
  if (!existsSync(path)) {
    throw new MetricsError(
      'missing_labels',
      `NAB label windows not found at ${path}: no such file; ${LIBRARY_LABEL_OPTIONS.fix}`,
    );
  }
  const raw = readJsonObject(path, 'bad_window');
  const out: Record<string, Window[]> = {};
  for (const [key, wins] of Object.entries(raw)) {
    if (!Array.isArray(wins)) {
      throw new MetricsError('bad_window', `${path}: ${key} must be a list of [start, end] windows`);
    }
    out[key] = wins.map((w: unknown, i) => {
      if (!Array.isArray(w) || w.length !== 2 || typeof w[0] !== 'string' || typeof w[1] !== 'string') {
        throw new MetricsError(
          'bad_window',
          `${path}: window ${i} of ${key} must be [start, end] timestamp strings`,
        );
      }
      const a = parseNabTime(w[0]);
      const b = parseNabTime(w[1]);
      if (!Number.isFinite(a) || !Number.isFinite(b)) {
        throw new MetricsError('bad_window', `${path}: window ${i} of ${key} has unparseable timestamps`);
      }
      return [a, b] as const;
    });
  }
  return out;
}

/** A JSON file whose top level is an object; anything else is a MetricsError with `code`. */
function readJsonObject(path: string, code: MetricsErrorCode): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new MetricsError(code, `${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new MetricsError(code, `${path} must hold a JSON object`);
  }
  return v as Record<string, unknown>;
}

/** One detector's result file: row timestamps and anomaly scores. */
export interface NabResultFile {
  readonly t: Float64Array;
  readonly scores: Float64Array;
}

/**
 * Throws `MetricsError` `missing_results` unless `dir` is a folder. `tsad nab score` calls it before it
 * looks for (and may download) the label windows, so a mistyped folder costs no download.
 */
export function assertResultsFolder(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new MetricsError(
      'missing_results',
      `results folder ${dir} ${existsSync(dir) ? 'is not a folder' : 'does not exist'}; pass one detector's results folder in NAB's layout (<dir>/<category>/<detector>_<file>.csv)`,
    );
  }
}

/**
 * Reads the result CSVs of one detector in NAB's layout: `<dir>/<category>/<detector>_<name>.csv` with
 * columns `timestamp,…,anomaly_score,…`; keys are `<category>/<name>.csv`. The detector name is `detector`
 * if given, else the folder name when every file starts with it, else the text before the first `_`.
 */
export function readNabResultsDir(
  dir: string,
  opts: { detector?: string } = {},
): { detector: string; files: Record<string, NabResultFile> } {
  assertResultsFolder(dir);
  const entries: { category: string; file: string }[] = [];
  for (const category of readdirSync(dir).sort()) {
    const sub = join(dir, category);
    if (!statOrThrow(sub, 'results entry', 'missing_results').isDirectory()) continue;
    for (const file of readdirSync(sub).sort()) if (file.endsWith('.csv')) entries.push({ category, file });
  }
  if (entries.length === 0) {
    throw new MetricsError(
      'missing_results',
      `no result CSVs under ${dir}; expected NAB's layout <dir>/<category>/<detector>_<file>.csv`,
    );
  }
  let detector = opts.detector;
  if (!detector) {
    const folder = basename(resolve(dir));
    if (entries.every((e) => e.file.startsWith(`${folder}_`))) detector = folder;
    else {
      const first = entries[0].file;
      detector = first.slice(0, Math.max(0, first.indexOf('_')));
    }
  }
  if (!detector)
    throw new MetricsError('bad_results', `cannot tell the detector name from ${entries[0].file}`);
  const files: Record<string, NabResultFile> = {};
  for (const { category, file } of entries) {
    if (!file.startsWith(`${detector}_`)) {
      throw new MetricsError(
        'bad_results',
        `${category}/${file} does not start with "${detector}_"; one results folder holds one detector's files`,
      );
    }
    const key = `${category}/${file.slice(detector.length + 1)}`;
    files[key] = readResultCsv(join(dir, category, file));
  }
  return { detector, files };
}

function readResultCsv(path: string): NabResultFile {
  statOrThrow(path, 'result file', 'missing_results');
  let rows: string[][];
  try {
    rows = parse(readFileSync(path), { skip_empty_lines: true, bom: true }) as string[][];
  } catch (err) {
    throw new MetricsError('bad_results', `${path} is not a readable CSV: ${(err as Error).message}`);
  }
  if (rows.length === 0) throw new MetricsError('bad_results', `${path} is empty`);
  const header = rows[0].map((h) => h.trim());
  const ti = header.indexOf('timestamp');
  const si = header.indexOf('anomaly_score');
  if (ti < 0 || si < 0) {
    throw new MetricsError('bad_results', `${path}: header needs "timestamp" and "anomaly_score" columns`);
  }
  const n = rows.length - 1;
  const t = new Float64Array(n);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i + 1];
    const ms = parseNabTime(r[ti] ?? '');
    if (!Number.isFinite(ms)) {
      throw new MetricsError(
        'bad_results',
        `${path} line ${i + 2}: timestamp ${JSON.stringify(r[ti])} does not parse; NAB writes YYYY-MM-DD HH:MM:SS`,
      );
    }
    const raw = r[si]?.trim() ?? '';
    const s = DECIMAL.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isFinite(s)) {
      throw new MetricsError(
        'bad_score',
        `${path} line ${i + 2}: anomaly_score ${JSON.stringify(r[si])} is not a finite decimal number; write plain numbers such as 0.25`,
      );
    }
    t[i] = ms;
    scores[i] = s;
  }
  return { t, scores };
}

/**
 * Reads one detector's thresholds from NAB's `config/thresholds.json`
 * (`{ detector: { profile: { threshold, score } } }`).
 */
export function readNabThresholds(path: string, detector: string): Record<NabProfileName, number> {
  if (!existsSync(path))
    throw new MetricsError('missing_thresholds', `thresholds file ${path} does not exist`);
  const all = readJsonObject(path, 'missing_thresholds') as Record<
    string,
    Record<string, { threshold?: unknown }> | undefined
  >;
  const entry = Object.hasOwn(all, detector) ? all[detector] : undefined;
  if (!entry) {
    throw new MetricsError(
      'missing_thresholds',
      `${path} has no entry for detector "${detector}" (it has: ${Object.keys(all).join(', ')})`,
    );
  }
  const out = {} as Record<NabProfileName, number>;
  for (const p of NAB_PROFILE_NAMES) {
    const th = typeof entry === 'object' ? entry[p]?.threshold : undefined;
    if (typeof th !== 'number') {
      throw new MetricsError(
        'missing_thresholds',
        `${path}: ${detector}.${p}.threshold is missing or not a number`,
      );
    }
    out[p] = th;
  }
  return out;
}

export interface ScoreNabResultsOptions {
  /** NAB folder holding `labels/`; default from {@link resolveNabDir}. */
  readonly nabDir?: string;
  /** Label windows file; default `<nabDir>/labels/combined_windows.json`. */
  readonly windowsFile?: string;
  /** Fixed thresholds: a NAB `thresholds.json` path (entry = detector name) or per-profile numbers. */
  readonly thresholds?: string | Partial<Record<NabProfileName, number>>;
  /** Detector name (default: inferred from the file names). */
  readonly detector?: string;
  /** Score only the corpus files that have results (normalised over those). Default false. */
  readonly partial?: boolean;
}

export interface NabResultsReport {
  readonly detector: string;
  readonly resultsDir: string;
  readonly windowsFile: string;
  readonly files: number;
  /** Scores at the given thresholds, or at the corpus-optimised ones if none were given. */
  readonly scores: Readonly<Record<NabProfileName, NabProfileScore>>;
  /** With given thresholds: what re-optimised thresholds give (absent otherwise). */
  readonly reoptimized?: Readonly<Record<NabProfileName, NabProfileScore>>;
}

/**
 * Scores a detector's NAB result files against the corpus labels under the three profiles: at the given
 * thresholds (also reporting re-optimised ones), or at thresholds optimised over the corpus as NAB does.
 */
export function scoreNabResults(resultsDir: string, opts: ScoreNabResultsOptions = {}): NabResultsReport {
  return scoreNabResultsOf(resultsDir, opts, undefined);
}

/**
 * `scoreNabResults` over the result files of the corpus keys in `only` (all when `undefined`): the
 * folder's other result files count as absent (`tsad bench --files`: they may be stale, from another
 * seed or an older recipe). With `partial`, the scores are those of a folder holding only those files.
 * @internal
 */
export function scoreNabResultsOf(
  resultsDir: string,
  opts: ScoreNabResultsOptions,
  only: ReadonlySet<string> | undefined,
  names: LabelOptionNames = LIBRARY_LABEL_OPTIONS,
): NabResultsReport {
  const dir = resolve(resultsDir);
  const windowsFile = labelsFileOf(opts, names);
  const windows = readNabWindows(windowsFile);
  const { detector, files } = readNabResultsDir(dir, { detector: opts.detector });
  const unknown = Object.keys(files).filter((k) => windows[k] === undefined);
  if (unknown.length > 0) {
    throw new MetricsError(
      'unknown_file',
      `result file(s) for data not in ${windowsFile}: ${unknown.slice(0, 3).join(', ')}; check the names (<category>/<detector>_<file>.csv)`,
    );
  }
  const corpus: Record<string, NabCorpusFile> = {};
  const results: Record<string, Float64Array> = {};
  for (const key of Object.keys(windows)) {
    const f = only === undefined || only.has(key) ? files[key] : undefined;
    corpus[key] = { t: f ? f.t : new Float64Array(0), windows: windows[key] };
    if (f) results[key] = f.scores;
  }
  const prepared: PreparedNabFile[] = prepareNabCorpus(corpus as NabCorpus, results, {
    partial: opts.partial,
  });
  let thresholds: Partial<Record<NabProfileName, number>> | undefined;
  if (typeof opts.thresholds === 'string') thresholds = readNabThresholds(resolve(opts.thresholds), detector);
  else thresholds = opts.thresholds;
  const optimized = nabScoreAllProfiles(prepared);
  const scores = thresholds ? nabScoreAllProfiles(prepared, thresholds) : optimized;
  return {
    detector,
    resultsDir: dir,
    windowsFile,
    files: prepared.length,
    scores,
    ...(thresholds ? { reoptimized: optimized } : {}),
  };
}
