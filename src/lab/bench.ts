/**
 * `tsad bench --corpus DIR`: any labelled corpus in NAB's layout, under NAB's rules (docs/evaluation.md).
 *
 * Each recipe streams every file (the first 15 % learned, not scored; each later point scored before it
 * is learned from), writes result files in NAB's layout and is scored by the NAB scorer with thresholds
 * optimised per profile. Beside the NAB score each row reports, at its standard-profile threshold, Merlion's
 * revised point-adjusted F1 and mean time to detect per file, a per-kind table (windows with an alarm at
 * or after the anomaly's onset) and false alarms on anomaly-free files. Every scoreboard carries the floor
 * row of each score mapping it shows (the same post-processing fed zeros). A run over part of the corpus
 * (`files`) is labelled partial and never ranked among full-corpus rows.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nabCorpusRoot, nabDataDir, nabFiles } from '../datasets/nab.js';
import { ConfigError, MetricsError, SeriesError, type SeriesErrorCode, TrackingError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { makeDirsSync } from '../fs-dirs.js';
import { nabProbationaryLength } from '../metrics/nab.js';
import {
  type NabResultFile,
  parseNabTime,
  readNabResultsDir,
  scoreNabResultsOf,
} from '../metrics/nab-files.js';
import { detectedMttdSec, evaluate, NAB_PROFILE_NAMES, type NabProfileName } from '../metrics/tsad.js';
import type { Window } from '../series/types.js';
import { acquireLock, releaseLock } from '../tracking/fsutil.js';
import {
  type CorpusFileData,
  corpusWindows,
  fmtTimestamp,
  loadCorpusFile,
  type NabFileJob,
  type NabFileResult,
  nabResultPath,
} from './nab-corpus-file.js';
import { type NabFileFailure, runPool } from './nab-pool.js';
import type { NabScoreMapping } from './nab-stream.js';
import { assertRecipe, FLOOR_RECIPE, RECIPES, recipeMapping } from './recipes.js';
import { KINDS_FILE } from './synth.js';

export interface BenchOptions {
  /** Corpus folder in NAB's layout; `'nab'` = the NAB corpus (the datasets layer's copy). */
  readonly corpus: string;
  /** Recipes (keys of `RECIPES`). Default `['default']`. */
  readonly detectors?: readonly string[];
  /** Only these files (keys of the windows file): the run is partial. */
  readonly files?: readonly string[];
  /** Results root. Default `bench/results/corpus/<corpus folder name>` (the corpus itself is never written to). */
  readonly outDir?: string;
  readonly force?: boolean;
  readonly workers?: number;
  readonly seed?: number;
  /** Add the floor row of each mapping shown (default true). */
  readonly floor?: boolean;
  /** Called before each recipe runs: how many files it runs now and how many already have results. */
  readonly onRecipe?: (detector: string, toRun: number, skipped: number) => void;
  /** Called as each file finishes. */
  readonly onFile?: (detector: string, result: NabFileResult) => void;
  /** Write `scoreboard.json` (or `scoreboard-partial.json`) below the results root (default true). */
  readonly writeScoreboard?: boolean;
}

/** One labelled window and what a row did with it. */
export interface BenchWindow {
  readonly file: string;
  readonly kind: string;
  readonly onset: number;
  readonly end: number;
}

export interface BenchFileRow {
  readonly file: string;
  readonly windows: number;
  /** Alarm rows (score ≥ the standard threshold, after the probationary period). */
  readonly alarms: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Mean time to detect (s), revised point-adjusted; `null` when nothing was detected. */
  readonly mttdSec: number | null;
}

export interface BenchKindRow {
  readonly kind: string;
  readonly windows: number;
  /** Windows with an alarm at or after the onset, inside the window. */
  readonly found: number;
}

export interface BenchRow {
  readonly recipe: string;
  readonly detector: string;
  readonly mapping: NabScoreMapping;
  readonly floor: boolean;
  readonly partial: boolean;
  readonly files: number;
  readonly scores: Record<NabProfileName, number>;
  readonly thresholds: Record<NabProfileName, number>;
  readonly perFile: BenchFileRow[];
  readonly kinds: BenchKindRow[];
  /** Anomaly-free files, and how many of them have at least one alarm. */
  readonly clean: { readonly files: number; readonly withAlarm: number };
  /** The same figures for the detector's own alarm rule (`stream().push().alarm`) instead of the NAB threshold. */
  readonly own: Pick<BenchRow, 'perFile' | 'kinds' | 'clean'>;
  /** The files run by this call (timings), sorted by file; files whose results were reused are absent. */
  readonly runs: NabFileResult[];
  readonly wallMs: number;
}

export interface BenchReport {
  readonly corpus: string;
  readonly partial: boolean;
  readonly rows: BenchRow[];
  /**
   * Windows (`<file> window <k>`) that end inside their file's probationary part, which NAB never scores:
   * the null score leaves them out, the perfect score counts them, so no row can reach 100 (NAB's own
   * labeller drops such windows).
   */
  readonly unscorableWindows: string[];
  readonly wallMs: number;
}

/** One window's entry of `labels/combined_windows_kinds.json`, checked against the window. @internal */
export interface CorpusKindEntry {
  readonly kind: string | undefined;
  /** Epoch ms, inside the window; NaN when the entry gives none. */
  readonly onset: number;
  /** Epoch ms, at or after the onset; NaN when the entry gives none. */
  readonly until: number;
}

/**
 * @internal `labels/combined_windows_kinds.json` of a corpus (`{}` when it has none), checked against its
 * windows: valid JSON holding an object; each key a file of `combined_windows.json` with one entry per
 * window, in order; each entry's `kind` (if given) a non-empty string, its `onset` (if given) a timestamp
 * inside its window, its `until` (if given) a timestamp at or after the onset. Anything else is
 * `ConfigError` `bad_corpus` naming the file and the entry: a kind or an onset must never fall back silently.
 */
export function readCorpusKinds(
  corpusDir: string,
  windows: Record<string, Window[]>,
): Record<string, CorpusKindEntry[]> {
  const path = join(corpusDir, KINDS_FILE);
  if (!existsSync(path)) return {};
  const windowsPath = join(corpusDir, 'labels', 'combined_windows.json');
  const bad = (message: string): ConfigError => new ConfigError('bad_corpus', message);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw bad(
      `${path} is not valid JSON: ${(err as Error).message}; fix it, or delete it (each window's kind is then its category folder)`,
    );
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw bad(`${path} must hold a JSON object { "<category>/<file>.csv": [{ kind, onset, until }, …] }`);
  }
  const out: Record<string, CorpusKindEntry[]> = {};
  for (const [file, entries] of Object.entries(raw as Record<string, unknown>)) {
    const ws = windows[file];
    if (!ws) {
      throw bad(
        `${path} lists "${file}", which ${windowsPath} does not: the two label files disagree (write the corpus again, or remove the key)`,
      );
    }
    if (!Array.isArray(entries) || entries.length !== ws.length) {
      const got = Array.isArray(entries) ? `${entries.length} entries` : 'no list of entries';
      throw bad(
        `${file} has ${got} in ${path} but ${ws.length} window${ws.length === 1 ? '' : 's'} in ${windowsPath}: give one entry per window, in the same order`,
      );
    }
    out[file] = entries.map((e: unknown, i) => {
      const where = `${path}: ${file} entry ${i}`;
      if (e === null || typeof e !== 'object' || Array.isArray(e)) {
        throw bad(`${where} must be an object { kind, onset, until }`);
      }
      const { kind, onset, until } = e as { kind?: unknown; onset?: unknown; until?: unknown };
      if (kind !== undefined && (typeof kind !== 'string' || kind === '')) {
        throw bad(`${where}: "kind" must be a non-empty string, got ${JSON.stringify(kind)}`);
      }
      const time = (name: string, v: unknown): number => {
        if (v === undefined) return Number.NaN;
        const ms = typeof v === 'string' ? parseNabTime(v) : Number.NaN;
        if (!Number.isFinite(ms)) {
          throw bad(
            `${where}: "${name}" (${JSON.stringify(v)}) is not a timestamp; write it as the windows are written, e.g. "2024-01-01 00:00:00"`,
          );
        }
        return ms;
      };
      const [start, end] = ws[i];
      const on = time('onset', onset);
      if (on < start || on > end) {
        throw bad(
          `${where}: "onset" ${fmtTimestamp(on)} is outside its window [${fmtTimestamp(start)}, ${fmtTimestamp(end)}]; the onset is where the anomaly begins, inside its label window`,
        );
      }
      const un = time('until', until);
      if (un < on)
        throw bad(`${where}: "until" ${fmtTimestamp(un)} is before its "onset" ${fmtTimestamp(on)}`);
      return { kind: kind as string | undefined, onset: on, until: un };
    });
  }
  return out;
}

/**
 * @internal The labels of a corpus checked before any detector runs, each defect a `ConfigError`
 * `bad_corpus` naming it: a key that is not `<category>/<file>.csv` (the results and the scorer read one
 * folder deep), a file's windows out of order or overlapping (NAB's are sorted and disjoint; the
 * scorer would refuse them only after the whole run), and data files (`data/<category>/<file>.csv`) that
 * `combined_windows.json` does not list (left out without a word, a file the user meant to count would
 * never count).
 */
export function assertCorpusLabels(corpusDir: string, windows: Record<string, Window[]>): void {
  const windowsPath = join(corpusDir, 'labels', 'combined_windows.json');
  for (const [file, ws] of Object.entries(windows)) {
    const parts = file.split('/');
    if (parts.length !== 2 || parts[0] === '' || !/^[^/]+\.csv$/.test(parts[1])) {
      // the result files and the scorer read one category folder deep, as NAB does
      throw new ConfigError(
        'bad_corpus',
        `${windowsPath}: ${JSON.stringify(file)} is not a NAB file key: NAB's layout keys each file as "<category>/<file>.csv" (data/<category>/<file>.csv, one folder deep); move the file and rename its key`,
      );
    }
    for (let k = 1; k < ws.length; k++) {
      if (ws[k][0] <= ws[k - 1][1]) {
        throw new ConfigError(
          'bad_corpus',
          `${windowsPath}: ${file} window ${k} starts at ${fmtTimestamp(ws[k][0])}, at or before window ${k - 1} ends at ${fmtTimestamp(ws[k - 1][1])}; NAB windows are sorted and do not overlap: sort the windows and merge overlapping ones`,
        );
      }
    }
  }
  const data = join(corpusDir, 'data');
  if (!existsSync(data)) return;
  const missing: string[] = [];
  for (const category of readdirSync(data, { withFileTypes: true })) {
    if (!category.isDirectory()) continue;
    for (const f of readdirSync(join(data, category.name))) {
      const key = `${category.name}/${f}`;
      if (f.endsWith('.csv') && !windows[key]) missing.push(key);
    }
  }
  if (missing.length === 0) return;
  missing.sort();
  const shown = missing.slice(0, 3).map((k) => join(data, k));
  throw new ConfigError(
    'bad_corpus',
    `${shown.join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''} ${missing.length === 1 ? 'has' : 'have'} no key in ${join(corpusDir, 'labels', 'combined_windows.json')}: add "${missing[0]}": [] (anomaly-free) or its windows, or move the file out of data/`,
  );
}

/** Per-window kinds: from `labels/combined_windows_kinds.json` when present, else the file's category. */
export function corpusKinds(corpusDir: string): Record<string, BenchWindow[]> {
  const windows = readCorpusWindows(corpusDir);
  const kinds = readCorpusKinds(corpusDir, windows);
  const out: Record<string, BenchWindow[]> = {};
  for (const [file, ws] of Object.entries(windows)) {
    out[file] = ws.map(([start, end], i) => {
      const k = kinds[file]?.[i];
      return {
        file,
        kind: k?.kind ?? dirname(file),
        onset: k !== undefined && Number.isFinite(k.onset) ? k.onset : start,
        end,
      };
    });
  }
  return out;
}

/**
 * Unique timestamps in increasing order with the largest prediction of each (NAB's files can repeat a
 * timestamp, and a few step back in time).
 */
function dedupe(t: Float64Array, pred: Float64Array): { t: Float64Array; pred: Float64Array } {
  let sorted = true;
  for (let i = 1; i < t.length && sorted; i++) sorted = t[i] >= t[i - 1];
  let order: Uint32Array | null = null;
  if (!sorted) {
    order = new Uint32Array(t.length);
    for (let i = 0; i < t.length; i++) order[i] = i;
    order.sort((a, b) => t[a] - t[b] || a - b);
  }
  let m = 0;
  const tt = new Float64Array(t.length);
  const pp = new Float64Array(t.length);
  for (let k = 0; k < t.length; k++) {
    const i = order ? order[k] : k;
    if (m > 0 && tt[m - 1] === t[i]) pp[m - 1] = Math.max(pp[m - 1], pred[i]);
    else {
      tt[m] = t[i];
      pp[m++] = pred[i];
    }
  }
  return { t: tt.subarray(0, m), pred: pp.subarray(0, m) };
}

/** The `alarm` column of a result file written with `alarms: true` (the detector's own alarm rule). */
function readAlarmColumn(path: string): Uint8Array {
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  const col = lines[0].split(',').indexOf('alarm');
  const out = new Uint8Array(lines.length - 1);
  if (col < 0) return out;
  for (let i = 1; i < lines.length; i++) out[i - 1] = lines[i].split(',')[col] === '1' ? 1 : 0;
  return out;
}

function analyse(
  results: Record<string, NabResultFile>,
  outDir: string,
  detector: string,
  files: readonly string[],
  windows: Record<string, Window[]>,
  kinds: Record<string, BenchWindow[]>,
  threshold: number | 'own',
): Pick<BenchRow, 'perFile' | 'kinds' | 'clean'> {
  const perFile: BenchFileRow[] = [];
  const byKind = new Map<string, { windows: number; found: number }>();
  let cleanFiles = 0;
  let cleanAlarm = 0;
  for (const file of files) {
    const r = results[file];
    if (!r) continue;
    const n = r.t.length;
    const probation = nabProbationaryLength(n);
    const pred = new Float64Array(n);
    let alarms = 0;
    const own = threshold === 'own' ? readAlarmColumn(nabResultPath(outDir, detector, file)) : null;
    for (let i = probation; i < n; i++) {
      if (own ? own[i] === 1 : r.scores[i] >= (threshold as number)) {
        pred[i] = 1;
        alarms++;
      }
    }
    const ws = windows[file];
    if (ws.length === 0) {
      cleanFiles++;
      if (alarms > 0) cleanAlarm++;
    }
    for (const w of kinds[file]) {
      const k = byKind.get(w.kind) ?? { windows: 0, found: 0 };
      k.windows++;
      for (let i = probation; i < n; i++) {
        if (pred[i] === 1 && r.t[i] >= w.onset && r.t[i] <= w.end) {
          k.found++;
          break;
        }
      }
      byKind.set(w.kind, k);
    }
    const d = dedupe(r.t, pred);
    const e = evaluate({ t: d.t, truth: ws, pred: d.pred });
    perFile.push({
      file,
      windows: ws.length,
      alarms,
      precision: e.precision,
      recall: e.recall,
      f1: e.f1,
      mttdSec: detectedMttdSec(e),
    });
  }
  const kindRows = [...byKind.entries()]
    .map(([kind, k]) => ({ kind, windows: k.windows, found: k.found }))
    .sort((a, b) => a.kind.localeCompare(b.kind));
  return { perFile, kinds: kindRows, clean: { files: cleanFiles, withAlarm: cleanAlarm } };
}

/** Windows whose last row comes before the first scored row (NAB locates rows by timestamp equality). */
function windowsInProbation(
  results: Record<string, NabResultFile>,
  files: readonly string[],
  windows: Record<string, Window[]>,
): string[] {
  const out: string[] = [];
  for (const file of files) {
    const r = results[file];
    if (!r) continue;
    const p0 = Math.ceil(nabProbationaryLength(r.t.length));
    windows[file].forEach(([, end], k) => {
      const last = r.t.indexOf(end);
      if (last >= 0 && last < p0) out.push(`${file} window ${k}`);
    });
  }
  return out;
}

/**
 * A result file that can be reused: it exists and has the `alarm` column (files written by older
 * versions, or by NAB's own runner, lack it and are run again so the own-alarm figures are real).
 */
function reusable(path: string): boolean {
  if (!existsSync(path)) return false;
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(256);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const header = buf.subarray(0, n).toString('utf8').split('\n')[0];
    return header.split(',').includes('alarm');
  } finally {
    closeSync(fd);
  }
}

/**
 * What a detector's result files were computed from, kept beside them (`<outDir>/<detector>.run.json`):
 * the recipe's fingerprint (its mapping, seed and the config of the detector it builds, and of its partner
 * if it has one, and the digest of tsad's code, `codeDigest`) and, per data file, its size and modification
 * time. A result file is reused only when both still match, so a changed recipe (a new default), a change
 * to a detector's code with the same config, another seed, or a corpus written again into the same folder
 * (`tsad synth DIR --seed N` with another seed) runs again instead of reporting stale scores.
 */
interface RunManifest {
  fingerprint: string;
  files: Record<string, { size: number; mtimeMs: number }>;
}

let digest: string | undefined;

/**
 * @internal The SHA-256 of tsad's code as this process runs it: every module file (`.js`, `.ts`, not
 * `.d.ts`) under tsad's code folder (the parent of lab/), with its path relative to it, in sorted order: the
 * compiled dist/src (what the bin, the library and the workers that compute the scores run), or src/
 * when tsad runs from its TypeScript sources (tsx, vitest). Any change to tsad's code, a detector's or
 * not, changes it; a build of the same sources does not. Read once per process (≈ 220 files, 1.7 MB).
 */
export function codeDigest(): string {
  if (digest !== undefined) return digest;
  const root = fileURLToPath(new URL('..', import.meta.url));
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(js|ts)$/.test(e.name) && !e.name.endsWith('.d.ts')) files.push(p);
    }
  };
  walk(root);
  const h = createHash('sha256');
  for (const f of files.map((p) => relative(root, p).split('\\').join('/')).sort()) {
    h.update(`${f}\0`);
    h.update(readFileSync(join(root, f)));
    h.update('\0');
  }
  digest = h.digest('hex');
  return digest;
}

function recipeFingerprint(recipe: string, seed: number): string {
  // the file's range (`artNab`) is per-file data, not a setting: a placeholder keeps such recipes buildable
  const built = RECIPES[recipe as keyof typeof RECIPES].build({ seed, range: [0, 1] }) as {
    config?: unknown;
  };
  // a composite's partner (round 27) is part of what the scores were computed from; recipes without one
  // keep the fingerprint text they always had
  const partner = RECIPES[recipe as keyof typeof RECIPES].partner?.({ seed, range: [0, 1] }) as
    | { config?: unknown }
    | undefined;
  const text = JSON.stringify({
    recipe,
    seed,
    mapping: recipeMapping(recipe),
    config: built.config ?? null,
    ...(partner ? { partner: partner.config ?? null } : {}),
    code: codeDigest(),
  });
  return createHash('sha256').update(text).digest('hex');
}

function readManifest(path: string, fingerprint: string): RunManifest {
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as Partial<RunManifest>;
    if (m.fingerprint === fingerprint && m.files !== null && typeof m.files === 'object') {
      return { fingerprint, files: m.files };
    }
  } catch {
    // no manifest yet, or an unreadable one: nothing is reused
  }
  return { fingerprint, files: {} };
}

/**
 * Writes the manifest whole (`writeFileAtomic`) whenever `save()` is called, one write at a time: calls
 * during a write are folded into one more write after it. A failed write leaves the last whole manifest,
 * which lists fewer files (they run again); the recipe's final write reports such an error.
 */
function manifestSaver(
  outDir: string,
  path: string,
  manifest: RunManifest,
): { save: () => void; settled: () => Promise<void> } {
  let writing: Promise<void> | null = null;
  let again = false;
  const loop = async (): Promise<void> => {
    try {
      while (again) {
        again = false;
        makeDirsSync(outDir);
        await writeFileAtomic(path, `${JSON.stringify(manifest, null, 2)}\n`, true);
      }
    } catch {
      // the last whole manifest stays; the final write after the pool reports the error
    } finally {
      writing = null;
    }
  };
  return {
    save: () => {
      again = true;
      writing ??= loop();
    },
    settled: async () => {
      while (writing) await writing;
    },
  };
}

/**
 * Holds `<outDir>/<detector>.lock` (the tracking store's inter-process lock: a holder that died is
 * broken by the next run) while a recipe's result files and manifest are written and scored: a second
 * process on the same folder and recipe would list in its manifest files the other rewrote (another seed,
 * another recipe version) and report them as its own. It is refused at once, `results_busy`.
 */
async function lockResults(outDir: string, detector: string): Promise<() => Promise<void>> {
  const path = join(outDir, `${detector}.lock`);
  let token: string;
  try {
    token = await acquireLock(path, { timeoutMs: 0 });
  } catch (err) {
    if (err instanceof TrackingError && err.code === 'lock_timeout') {
      const holder = /\(held by [^)]*\)/.exec(err.message)?.[0] ?? '';
      throw new ConfigError(
        'results_busy',
        `${join(outDir, detector)}: another tsad process ${holder} is writing these results (tsad bench or tsad nab run on the same folder and recipe); wait for it to finish, or give this run another folder (--out); if no tsad process is running, delete ${path}`,
        { cause: err },
      );
    }
    throw err;
  }
  return () => releaseLock(path, token);
}

/**
 * @internal The label windows of a corpus (`corpusWindows`), a labels file that does not parse as NAB's
 * windows refused as `ConfigError` `bad_corpus` naming it, as the kinds file is (`readNabWindows`' own
 * `MetricsError` is the library's, for `scoreNabResults`' callers).
 */
export function readCorpusWindows(corpusDir: string): Record<string, Window[]> {
  try {
    return corpusWindows(corpusDir);
  } catch (err) {
    if (!(err instanceof MetricsError)) throw err;
    throw new ConfigError(
      'bad_corpus',
      `${err.message}; fix it: the labels file is a JSON object { "<category>/<file>.csv": [[start, end], …] } (NAB's layout; \`tsad synth DIR\` writes one)`,
      { cause: err },
    );
  }
}

/** How many bytes of parsed data files `tsad bench`'s pre-run check keeps for the runs (NAB's 58 files take 6.3 MiB). */
const CHECKED_DATA_KEPT_BYTES = 64 * 1024 * 1024;

/** The bytes of the distinct buffers behind a parsed file's arrays. */
function dataBytes(d: CorpusFileData): number {
  const seen = new Set<ArrayBufferLike>();
  let n = 0;
  for (const a of [d.rows.t, d.rows.v, d.series.t, d.series.v]) {
    if (seen.has(a.buffer)) continue;
    seen.add(a.buffer);
    n += a.buffer.byteLength;
  }
  return n;
}

/**
 * @internal Every data file of `files` read as a worker reads it, before any detector runs: a file the
 * reader refuses is a `SeriesError` (exit 3, bad data) naming the file, with nothing run. Answers the
 * first files read while together they fit in `keepBytes` (the rest are dropped once checked and read
 * again by their runs: a large corpus is never held whole), so the runs need not parse them again.
 */
export async function checkCorpusData(
  corpus: string,
  files: readonly string[],
  keepBytes = CHECKED_DATA_KEPT_BYTES,
): Promise<Map<string, CorpusFileData>> {
  const kept = new Map<string, CorpusFileData>();
  let bytes = 0;
  for (const file of files) {
    let data: CorpusFileData;
    try {
      data = await loadCorpusFile(corpus, file);
    } catch (err) {
      if (!(err instanceof SeriesError)) throw err;
      throw new SeriesError(
        err.code,
        `the corpus data file ${file} cannot be read, so no detector ran; fix the file (tsad bench reads each corpus file as it is): ${err.message}`,
        { cause: err },
      );
    }
    bytes += dataBytes(data);
    if (bytes <= keepBytes) kept.set(file, data); // the first files, up to the first that does not fit
  }
  return kept;
}

/**
 * @internal What a recipe's failed files throw: a `SeriesError` when every failure is one (exit 3: the
 * data refused while the detector ran, each file having been read before the run), else `ConfigError`
 * `file_failed`; the first three failures quoted with their class and code.
 */
export function poolFailureError(
  detector: string,
  failures: readonly NabFileFailure[],
): SeriesError | ConfigError {
  const quoted = failures
    .slice(0, 3)
    .map((f) => `${f.file}: ${f.error}`)
    .join('; ');
  if (failures.every((f) => f.name === 'SeriesError')) {
    return new SeriesError(
      failures[0].code as SeriesErrorCode,
      `${detector} stopped on ${failures.length} corpus data file(s) with a SeriesError (the data refused while the detector ran; every file was read before the run): ${quoted}; fix the file, or leave it out with --files`,
    );
  }
  return new ConfigError('file_failed', `${detector} failed on ${failures.length} file(s): ${quoted}`);
}

function dataStamp(corpus: string, file: string): { size: number; mtimeMs: number } {
  const path = join(corpus, 'data', file);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (err as Error).message})`;
    throw new ConfigError(
      'bad_corpus',
      `${join(corpus, 'labels', 'combined_windows.json')} lists "${file}", but its data file ${path} ${why}: add the file, or remove its key from the labels file`,
      { cause: err },
    );
  }
  return { size: st.size, mtimeMs: st.mtimeMs };
}

/** A corpus argument as a folder: `'nab'` is the NAB corpus folder of the datasets layer. */
export function resolveCorpus(corpus: string): string {
  return corpus === 'nab' ? nabDataDir() : resolve(corpus);
}

/**
 * @internal `resolveCorpus`, and for `'nab'` the files a run reads first made present: the data files of `files`
 * (else all 58) and the labels, downloaded and verified where no copy holds them, as `tsad nab run` does.
 */
export async function fetchCorpus(corpus: string, files?: readonly string[]): Promise<string> {
  if (corpus !== 'nab') return resolveCorpus(corpus);
  // a name that is no NAB file is not fetched: the run refuses it (unknown_file), as for any corpus
  // every file from one folder: ../shared's copy when it holds them all, else the download cache (nabCorpusRoot)
  const known = new Set(nabFiles());
  const wanted = (files ?? [...known]).filter((f) => known.has(f)).map((f) => `data/${f}`);
  return nabCorpusRoot([...wanted, 'labels/combined_windows.json']);
}

/** Runs recipes (and their floor rows) over a corpus in NAB's layout and scores them. */
export async function runBench(opts: BenchOptions): Promise<BenchReport> {
  const start = performance.now();
  // what a name alone decides is checked before a corpus is read or downloaded
  const recipes = [...(opts.detectors ?? ['default'])];
  for (const d of recipes) assertRecipe(d);
  const workers = opts.workers ?? 2;
  if (!Number.isInteger(workers) || workers < 1) {
    throw new ConfigError('bad_workers', `workers must be an integer ≥ 1, got ${workers}`);
  }
  const corpus = await fetchCorpus(opts.corpus, opts.files);
  if (!existsSync(join(corpus, 'labels', 'combined_windows.json'))) {
    throw new ConfigError(
      'bad_corpus',
      `${corpus} has no labels/combined_windows.json; a corpus needs NAB's layout (data/<category>/<file>.csv, labels/combined_windows.json); \`tsad synth DIR\` writes one`,
    );
  }
  const windows = readCorpusWindows(corpus);
  const all = Object.keys(windows).sort();
  if (all.length === 0) {
    throw new ConfigError(
      'empty_corpus',
      `${join(corpus, 'labels', 'combined_windows.json')} lists no files: there is nothing to run; give each data file (data/<category>/<file>.csv) a key, "<category>/<file>.csv": [] for an anomaly-free file, or write a corpus with \`tsad synth DIR\``,
    );
  }
  assertCorpusLabels(corpus, windows);
  const kinds = corpusKinds(corpus);
  const partial = opts.files !== undefined && new Set(opts.files).size < all.length;
  const files = opts.files ? [...opts.files] : all;
  for (const f of files) {
    if (!windows[f]) {
      throw new ConfigError(
        'unknown_file',
        `${f} is not a file of ${corpus} (see labels/combined_windows.json)`,
      );
    }
  }
  if (opts.floor !== false) {
    const mappings = new Set(recipes.map(recipeMapping));
    for (const m of mappings) if (!recipes.includes(FLOOR_RECIPE[m])) recipes.push(FLOOR_RECIPE[m]);
  }
  const outDir = resolve(opts.outDir ?? join('bench', 'results', 'corpus', basename(corpus)));
  try {
    makeDirsSync(outDir); // before any work: a folder that cannot be made fails once, not per file
  } catch (err) {
    throw new ConfigError(
      'output_failed',
      `cannot write the results under ${outDir}: ${(err as Error).message}; give --out a folder this user can write`,
      { cause: err },
    );
  }
  const seed = opts.seed ?? 0;
  const rows: BenchRow[] = [];
  let unscorableWindows: string[] | undefined;
  // each data file's stamp once, before it is read: what a manifest records is never newer than the
  // data a run scored (a file edited during the run is run again next time)
  const stamps = new Map(files.map((file) => [file, dataStamp(corpus, file)]));
  // the files the check read, handed to every recipe's runs (up to CHECKED_DATA_KEPT_BYTES)
  let checked: Map<string, CorpusFileData> | undefined;
  for (const recipe of recipes) {
    const t0 = performance.now();
    const detector = `tsad_${recipe}`;
    const manifestPath = join(outDir, `${detector}.run.json`);
    const unlock = await lockResults(outDir, detector);
    try {
      const manifest = readManifest(manifestPath, recipeFingerprint(recipe, seed));
      const fresh = (file: string): boolean => {
        const was = manifest.files[file];
        const now = stamps.get(file);
        return (
          was !== undefined &&
          now !== undefined &&
          was.size === now.size &&
          was.mtimeMs === now.mtimeMs &&
          reusable(nabResultPath(outDir, detector, file))
        );
      };
      // every data file read once before the first detector runs: a file the reader refuses is named
      // now, not after every other file has run; the runs take this parse rather than reading again
      if (!checked && files.some((file) => opts.force || !fresh(file)))
        checked = await checkCorpusData(corpus, files);
      const jobs: NabFileJob[] = files
        .filter((file) => opts.force || !fresh(file))
        .map((file) => ({
          detectorName: detector,
          recipe,
          seed,
          file,
          outDir,
          corpusDir: corpus,
          alarms: true,
          data: checked?.get(file),
        }));
      opts.onRecipe?.(detector, jobs.length, files.length - jobs.length);
      // each finished file joins the manifest at once (its result file is whole by then), so a run cut
      // short (Ctrl-C, a crash) keeps what it finished and the next run goes on from there
      const saver = manifestSaver(outDir, manifestPath, manifest);
      let pool: Awaited<ReturnType<typeof runPool>>;
      try {
        pool = await runPool(jobs, workers, (r) => {
          const st = stamps.get(r.file);
          if (st) {
            manifest.files[r.file] = st;
            saver.save();
          }
          opts.onFile?.(detector, r);
        });
      } finally {
        await saver.settled();
      }
      const { results, failures } = pool;
      if (failures.length > 0) throw poolFailureError(detector, failures);
      makeDirsSync(outDir);
      // a later run trusts the files this manifest lists: whole, and durable with its folder
      await writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`, true);
      // a partial run scores its own files only: the folder's others may be stale (another seed or recipe)
      const report = scoreNabResultsOf(
        join(outDir, detector),
        { detector, windowsFile: join(corpus, 'labels', 'combined_windows.json'), partial: true },
        partial ? new Set(files) : undefined,
      );
      if (!partial && report.files !== all.length) {
        throw new ConfigError(
          'bad_results',
          `${join(outDir, detector)} holds results for ${report.files} of ${all.length} files`,
        );
      }
      const scores = {} as Record<NabProfileName, number>;
      const thresholds = {} as Record<NabProfileName, number>;
      for (const p of NAB_PROFILE_NAMES) {
        scores[p] = report.scores[p].normalized;
        thresholds[p] = report.scores[p].threshold;
      }
      // the result files read once for the note and both analyses (each read parses every row: about
      // half a CPU-second on NAB's corpus)
      const resultFiles = readNabResultsDir(join(outDir, detector), { detector }).files;
      unscorableWindows ??= windowsInProbation(resultFiles, files, windows);
      const a = analyse(resultFiles, outDir, detector, files, windows, kinds, thresholds.standard);
      const own = analyse(resultFiles, outDir, detector, files, windows, kinds, 'own');
      rows.push({
        recipe,
        detector,
        mapping: recipeMapping(recipe),
        floor: recipe.startsWith('floor'),
        partial,
        files: files.length,
        scores,
        thresholds,
        ...a,
        own,
        runs: results.sort((x, y) => x.file.localeCompare(y.file)),
        wallMs: performance.now() - t0,
      });
    } finally {
      await unlock();
    }
  }
  const report: BenchReport = {
    corpus,
    partial,
    rows,
    unscorableWindows: unscorableWindows ?? [],
    wallMs: performance.now() - start,
  };
  if (opts.writeScoreboard !== false) {
    makeDirsSync(outDir);
    await writeFileAtomic(
      join(outDir, partial ? 'scoreboard-partial.json' : 'scoreboard.json'),
      `${JSON.stringify(report, null, 2)}\n`,
      true,
    );
  }
  return report;
}

function pct(a: number, b: number): string {
  return b === 0 ? '—' : `${a}/${b}`;
}

/** A figure with `digits` decimals, or the table's "none" (`—`) when there is none (no file to average). */
function fixedOrNone(x: number | undefined, digits: number): string {
  return x === undefined ? '—' : x.toFixed(digits);
}

/** The scoreboard, the per-kind table and a per-file summary, as text. */
export function formatBench(report: BenchReport): string {
  const rows = [...report.rows].sort((a, b) => b.scores.standard - a.scores.standard);
  const lines: string[] = [];
  const head = report.partial
    ? `PARTIAL run (${rows[0]?.files ?? 0} files): not ranked among full-corpus rows`
    : `corpus ${report.corpus}`;
  lines.push(head);
  const label = (r: BenchRow) => `${r.floor ? '(floor) ' : ''}${r.detector}${r.partial ? ' [partial]' : ''}`;
  // the name column fits the longest name (a partial floor row's is 38 characters)
  const nw = Math.max(30, ...rows.map((r) => label(r).length));
  lines.push(
    `${'detector'.padEnd(nw)} ${'mapping'.padEnd(10)} ${'standard'.padStart(9)} ${'low FP'.padStart(8)} ${'low FN'.padStart(8)} ${'found θ'.padStart(8)} ${'found'.padStart(8)} ${'clean ok'.padStart(9)} ${'F1'.padStart(6)} ${'MTTD h'.padStart(7)}`,
  );
  for (const r of rows) {
    const o = r.own;
    const found = o.kinds.reduce((x, k) => x + k.found, 0);
    const total = o.kinds.reduce((x, k) => x + k.windows, 0);
    const foundTh = r.kinds.reduce((x, k) => x + k.found, 0);
    const withWin = o.perFile.filter((f) => f.windows > 0);
    const f1 = withWin.length ? withWin.reduce((x, f) => x + f.f1, 0) / withWin.length : undefined;
    const det = withWin.flatMap((f) => (f.mttdSec === null ? [] : [f.mttdSec]));
    // no detected window (a floor row): no time to detect, printed as "—"
    const mttd = det.length ? det.reduce((x, s) => x + s, 0) / det.length / 3600 : undefined;
    lines.push(
      `${label(r).padEnd(nw)} ${r.mapping.padEnd(10)} ${r.scores.standard.toFixed(2).padStart(9)} ${r.scores.reward_low_FP_rate.toFixed(2).padStart(8)} ${r.scores.reward_low_FN_rate.toFixed(2).padStart(8)} ${pct(foundTh, total).padStart(8)} ${pct(found, total).padStart(8)} ${pct(o.clean.files - o.clean.withAlarm, o.clean.files).padStart(9)} ${fixedOrNone(f1, 3).padStart(6)} ${fixedOrNone(mttd, 1).padStart(7)}`,
    );
  }
  const kindNames = [...new Set(rows.flatMap((r) => r.kinds.map((k) => k.kind)))].sort();
  const kw = kindColumnWidth(kindNames);
  const kindTable = (title: string, pick: (r: BenchRow) => Pick<BenchRow, 'kinds' | 'clean'>) => {
    lines.push('', title);
    lines.push(
      `${'detector'.padEnd(30)} ${kindNames.map((k) => kindHeader(k, kw)).join(' ')} ${'clean ok'.padStart(9)}`,
    );
    for (const r of rows) {
      const p = pick(r);
      const cells = kindNames.map((k) => {
        const x = p.kinds.find((y) => y.kind === k);
        return (x ? pct(x.found, x.windows) : '—').padStart(kw);
      });
      lines.push(
        `${r.detector.padEnd(30)} ${cells.join(' ')} ${pct(p.clean.files - p.clean.withAlarm, p.clean.files).padStart(9)}`,
      );
    }
  };
  if (kindNames.length > 0) {
    kindTable('windows found at or after onset, per kind, by the detector’s own alarm rule:', (r) => r.own);
    kindTable('the same at the NAB standard-profile threshold:', (r) => r);
  }
  lines.push(
    '',
    'standard / low FP / low FN: NAB scores (thresholds optimised over the corpus); found θ: windows with a',
    'score ≥ the standard threshold at or after onset; found, clean ok (anomaly-free files without an alarm), F1',
    'and MTTD (revised point-adjusted, mean over files with windows; MTTD over detected ones, from the label',
    'window’s start, not the onset): the detector’s own alarm rule. floor: the same mapping fed a detector that',
    'outputs 0.',
  );
  const u = report.unscorableWindows ?? [];
  if (u.length > 0) {
    lines.push(
      '',
      `note: ${u.length} window${u.length === 1 ? ' lies' : 's lie'} wholly in the probationary part (its file's first 15 % of rows, at most 750), which NAB never scores: ${u.slice(0, 5).join(', ')}${u.length > 5 ? ', …' : ''}; no row can reach 100 (move or drop ${u.length === 1 ? 'it' : 'them'}: NAB's labeller drops such windows)`,
    );
  }
  return lines.join('\n');
}

/** The width of a per-kind column: the longest kind name, at least 9 and at most 24 characters. */
export function kindColumnWidth(kinds: readonly string[]): number {
  return Math.min(24, Math.max(9, ...kinds.map((k) => k.length)));
}

/** A kind's column header, right-aligned; a name longer than the column ends in "…". */
export function kindHeader(kind: string, width: number): string {
  return (kind.length > width ? `${kind.slice(0, width - 1)}…` : kind).padStart(width);
}
