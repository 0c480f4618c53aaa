import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatasetError } from '../errors.js';
import { UMASK_MODE, writeFileAtomic } from '../fs-atomic.js';
import { makeDirs } from '../fs-dirs.js';
import { readCsvRows, validateCsvRows } from '../series/csv.js';
import { parseTime, type SeriesOptions } from '../series/series.js';
import { MAX_TIME_MS } from '../series/time.js';
import type { TimeSeries, Window } from '../series/types.js';
import { userCacheDir } from './cache-dir.js';
import { NAB_BASE_URL, NAB_DATA_FILES, NAB_OTHER_FILES, type NabManifestEntry } from './manifest.js';

export interface NabLocationOptions {
  /**
   * Folder that contains `nab/` (same meaning as `TSAD_DATA_DIR`). Default: `TSAD_DATA_DIR`, else
   * `<repo root>/../shared/datasets` or `./../shared/datasets` when it exists, else the download cache.
   */
  dataDir?: string;
  /** Base URL that manifest paths are appended to. Default `TSAD_NAB_BASE_URL`, else GitHub raw (`NAB_BASE_URL`). */
  baseUrl?: string;
  /** Folder that contains the download cache's `nab/`. Default `userCacheDir()` (`TSAD_CACHE_DIR`, `XDG_CACHE_HOME/tsad`, `~/.cache/tsad`). */
  cacheDir?: string;
  /** Hash files found on disk too (downloads are always verified). Default false. */
  verify?: boolean;
}

export interface LoadNabOptions extends NabLocationOptions, SeriesOptions {}

export interface NabDataset {
  /** Path under `data/`, e.g. `realKnownCause/machine_temperature_system_failure.csv`. */
  readonly name: string;
  /** The file's rows as they are (file order, duplicate timestamps kept). */
  readonly rows: { readonly t: Float64Array; readonly v: Float64Array };
  /** Validated series: sorted (stable), duplicates resolved (default `'max'`). */
  readonly series: TimeSeries;
  /** The file's NAB label windows (inclusive, epoch ms), from `labels/combined_windows.json`. */
  readonly windows: Window[];
}

const ALL: readonly NabManifestEntry[] = [...NAB_DATA_FILES, ...NAB_OTHER_FILES];
const BY_PATH = new Map(ALL.map((e) => [e.path, e]));

let repoRootCache: string | null | undefined;

/** The tsad package root (the folder whose package.json is named `tsad`), found from this module's location. */
export function packageRoot(): string | null {
  if (repoRootCache !== undefined) return repoRootCache;
  let dir = dirname(fileURLToPath(import.meta.url));
  repoRootCache = null;
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: unknown }).name === 'tsad') {
          repoRootCache = dir;
          break;
        }
      } catch {
        // not a readable package.json: keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return repoRootCache;
}

interface Resolved {
  /** NAB root to read from. */
  dir: string;
  /** Where missing files are downloaded to (a NAB root). */
  downloadDir: string;
}

export { userCacheDir } from './cache-dir.js';

function cacheNabDir(opts: NabLocationOptions): string {
  return opts.cacheDir ? resolve(opts.cacheDir, 'nab') : join(userCacheDir(), 'nab');
}

function resolveDirs(opts: NabLocationOptions): Resolved {
  const explicit = opts.dataDir ?? process.env.TSAD_DATA_DIR;
  if (explicit) {
    const dir = resolve(explicit, 'nab');
    return { dir, downloadDir: dir };
  }
  const candidates: string[] = [];
  const root = packageRoot();
  if (root) candidates.push(resolve(root, '..', 'shared', 'datasets', 'nab'));
  candidates.push(resolve(process.cwd(), '..', 'shared', 'datasets', 'nab'));
  for (const c of candidates) if (existsSync(c)) return { dir: c, downloadDir: cacheNabDir(opts) };
  const cache = cacheNabDir(opts);
  return { dir: cache, downloadDir: cache };
}

/**
 * The NAB root folder files are read from: `<TSAD_DATA_DIR>/nab`, else `../shared/datasets/nab`
 * beside the repository (or the working directory) when it exists, else the download cache
 * `<userCacheDir()>/nab`.
 */
export function nabDataDir(opts: NabLocationOptions = {}): string {
  return resolveDirs(opts).dir;
}

/** Manifest entry for a path relative to the NAB root (a data file may omit the `data/` prefix). */
export function nabManifestEntry(rel: string): NabManifestEntry {
  const clean = rel.replace(/\\/g, '/').replace(/^\.?\//, '');
  const hit = BY_PATH.get(clean) ?? BY_PATH.get(`data/${clean}`);
  if (hit) return hit;
  const base = clean.replace(/\.csv$/, '');
  const byName = NAB_DATA_FILES.filter((e) => e.path.endsWith(`/${base}.csv`));
  if (byName.length === 1) return byName[0];
  throw new DatasetError(
    'unknown_file',
    `${JSON.stringify(rel)} is not a NAB file tsad knows; use a path such as 'realKnownCause/nyc_taxi.csv' or 'labels/combined_windows.json' (nabFiles() lists the data files)`,
  );
}

/** All 58 NAB data files, as paths under `data/` (e.g. `realKnownCause/nyc_taxi.csv`). */
export function nabFiles(): string[] {
  return NAB_DATA_FILES.map((e) => e.path.slice('data/'.length));
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const inflight = new Map<string, Promise<void>>();
const DOWNLOAD_TIMEOUT_MS = 120_000;

async function download(entry: NabManifestEntry, dest: string, baseUrl: string): Promise<void> {
  const url = `${baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`}${entry.path}`;
  let bytes: Uint8Array;
  try {
    // a stalled connection fails (after 2 minutes, the largest NAB file is a few MB) instead of hanging
    const res = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
    if (!res.ok) {
      throw new DatasetError(
        'download_failed',
        `downloading ${url} failed with HTTP ${res.status}; check the network, TSAD_NAB_BASE_URL, or set TSAD_DATA_DIR to a folder that contains nab/${entry.path}`,
      );
    }
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    throw new DatasetError(
      'download_failed',
      `downloading ${url} failed (${(err as Error).message}); check the network, or set TSAD_DATA_DIR to a folder that contains nab/${entry.path}`,
      { cause: err },
    );
  }
  const got = sha256(bytes);
  if (got !== entry.sha256) {
    throw new DatasetError(
      'sha256_mismatch',
      `${url} has sha256 ${got} but the manifest expects ${entry.sha256} for ${entry.path}; the file was not saved (wrong mirror or corrupted download)`,
    );
  }
  await makeDirs(dirname(dest));
  try {
    // whole or not at all, and durable: a cached file is trusted on later runs without its sha256
    await writeFileAtomic(dest, bytes, true, UMASK_MODE);
  } catch (err) {
    throw new DatasetError('write_failed', `cannot write ${dest}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Absolute path of a NAB file (see `nabManifestEntry` for accepted names), downloading it once into
 * the cache when no local copy exists; downloads are checked against the manifest's sha256.
 */
export async function nabPath(rel: string, opts: NabLocationOptions = {}): Promise<string> {
  const entry = nabManifestEntry(rel);
  const { dir, downloadDir } = resolveDirs(opts);
  for (const d of dir === downloadDir ? [dir] : [dir, downloadDir]) {
    const p = join(d, entry.path);
    if (existsSync(p)) {
      if (opts.verify) {
        const got = sha256(await readFile(p));
        if (got !== entry.sha256) {
          throw new DatasetError(
            'sha256_mismatch',
            `${p} has sha256 ${got} but the manifest expects ${entry.sha256}; delete or replace the file`,
          );
        }
      }
      return p;
    }
  }
  const dest = join(downloadDir, entry.path);
  const baseUrl = opts.baseUrl ?? process.env.TSAD_NAB_BASE_URL ?? NAB_BASE_URL;
  let job = inflight.get(dest);
  if (!job) {
    job = download(entry, dest, baseUrl).finally(() => inflight.delete(dest));
    inflight.set(dest, job);
  }
  await job;
  return dest;
}

/**
 * @internal A NAB root that holds every file of `paths` (manifest paths such as `data/<category>/<file>.csv`
 * and `labels/combined_windows.json`), for a reader that takes one folder (the corpus bench). The folder
 * files are read from when it holds them all; else the download folder: a file missing from both is
 * downloaded (verified), and a file only the read folder holds (a partial `../shared` copy) is copied there
 * after its sha256 is checked, so that no file is looked for where it is not.
 */
export async function nabCorpusRoot(
  paths: readonly string[],
  opts: NabLocationOptions = {},
): Promise<string> {
  const entries = paths.map(nabManifestEntry);
  const { dir, downloadDir } = resolveDirs(opts);
  if (dir === downloadDir || entries.every((e) => existsSync(join(dir, e.path)))) {
    await Promise.all(entries.map((e) => nabPath(e.path, opts)));
    return dir;
  }
  await Promise.all(
    entries.map(async (e) => {
      const dest = join(downloadDir, e.path);
      if (existsSync(dest)) return;
      const local = join(dir, e.path);
      if (!existsSync(local)) {
        await nabPath(e.path, opts); // downloads to downloadDir
        return;
      }
      const bytes = await readFile(local);
      const got = sha256(bytes);
      if (got !== e.sha256) {
        throw new DatasetError(
          'sha256_mismatch',
          `${local} has sha256 ${got} but the manifest expects ${e.sha256}; delete or replace the file (or add the NAB files missing beside it, so that the run reads that folder alone)`,
        );
      }
      await makeDirs(dirname(dest));
      try {
        await writeFileAtomic(dest, bytes, true, UMASK_MODE);
      } catch (err) {
        throw new DatasetError('write_failed', `cannot write ${dest}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }),
  );
  return downloadDir;
}

const windowsCache = new Map<string, Record<string, Window[]>>();

/** All NAB label windows (`labels/combined_windows.json`) by data file name (path under `data/`), in epoch ms. */
export async function nabWindows(opts: NabLocationOptions = {}): Promise<Record<string, Window[]>> {
  const p = await nabPath('labels/combined_windows.json', opts);
  const cached = windowsCache.get(p);
  if (cached) return cached;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(p, 'utf8'));
  } catch (err) {
    throw new DatasetError('bad_labels', `cannot read ${p}: ${(err as Error).message}`, { cause: err });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new DatasetError('bad_labels', `${p} must hold an object of file name → [start, end][]`);
  }
  const out: Record<string, Window[]> = {};
  for (const [name, list] of Object.entries(raw as Record<string, unknown>)) {
    if (!Array.isArray(list)) throw new DatasetError('bad_labels', `${p}: windows of ${name} are not a list`);
    out[name] = list.map((w, k) => {
      const s = Array.isArray(w) && typeof w[0] === 'string' ? parseTime(w[0]) : Number.NaN;
      const e = Array.isArray(w) && typeof w[1] === 'string' ? parseTime(w[1]) : Number.NaN;
      if (!Number.isFinite(s) || !Number.isFinite(e) || e < s) {
        throw new DatasetError('bad_labels', `${p}: window ${k} of ${name} is not [start, end] timestamps`);
      }
      return [s, e] as const;
    });
  }
  windowsCache.set(p, out);
  return out;
}

function nabDataEntry(name: string): NabManifestEntry {
  const entry = nabManifestEntry(name);
  if (!entry.path.startsWith('data/')) {
    throw new DatasetError('unknown_file', `${name} is not a NAB data file; loadNab reads files under data/`);
  }
  return entry;
}

/**
 * The rows of one NAB data file as they are (`loadNab(name).rows`), without what `loadNab` adds: no
 * sorted series is built and the label windows are not read. For a caller that bins the rows itself
 * (the machine-temperature command: the sort and duplicate pass cost about as much as reading the
 * file). A file `loadNab` refuses is refused with the same error: rows that `loadNab`'s validation
 * would reject (no rows, a non-finite value, a timestamp out of range) are handed to it to throw. @internal
 */
export async function loadNabRows(name: string, opts: NabLocationOptions = {}): Promise<NabDataset['rows']> {
  const rows = await readCsvRows(await nabPath(nabDataEntry(name).path, opts), {
    time: 'timestamp',
    value: 'value',
  });
  const { t, v } = rows;
  let refused = t.length === 0;
  for (let i = 0; i < t.length && !refused; i++)
    refused = !Number.isFinite(v[i]) || !(Math.abs(t[i]) <= MAX_TIME_MS);
  if (refused) validateCsvRows(rows, { onWarning: () => {} }); // throws loadNab's own error
  return { t, v };
}

/**
 * Loads one NAB data file with its label windows. `rows` keeps the file as it is; `series` is sorted
 * (stable) with duplicate timestamps resolved by `'max'` unless `duplicates` says otherwise; each
 * repair is reported through `onWarning` (default `process.emitWarning`, code `TSAD_DUPLICATES` etc.).
 */
export async function loadNab(name: string, opts: LoadNabOptions = {}): Promise<NabDataset> {
  const entry = nabDataEntry(name);
  const canonical = entry.path.slice('data/'.length);
  const [path, all] = await Promise.all([nabPath(entry.path, opts), nabWindows(opts)]);
  const rows = await readCsvRows(path, { time: 'timestamp', value: 'value' });
  const series = validateCsvRows(rows, opts);
  return { name: canonical, rows: { t: rows.t, v: rows.v }, series, windows: all[canonical] ?? [] };
}
