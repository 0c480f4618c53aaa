import { statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { loadNab } from '../datasets/index.js';
import { DatasetError } from '../errors.js';
import { UMASK_MODE, writeFileAtomic } from '../fs-atomic.js';
import { makeDirsSync } from '../fs-dirs.js';
import { finiteRange } from '../math/finite.js';
import { readNabWindows } from '../metrics/nab-files.js';
import { readCsvRows, validateCsvRows } from '../series/csv.js';
import type { TimeSeries, Window } from '../series/types.js';
import { runNabStream } from './nab-stream.js';
import { makeDetector, makePartner, recipeMapping } from './recipes.js';

export interface NabFileJob {
  /** Row name in the scoreboard and folder name, e.g. `tsad_default`. */
  readonly detectorName: string;
  /** Detector recipe for `makeDetector`. */
  readonly recipe: string;
  readonly seed: number;
  /** Corpus file, e.g. `realKnownCause/nyc_taxi.csv`. */
  readonly file: string;
  /** Results root: files go to `<outDir>/<detectorName>/<category>/<detectorName>_<file>.csv`. */
  readonly outDir: string;
  /**
   * A corpus in NAB's layout (`data/<file>`, `labels/combined_windows.json`) to read the file from;
   * default: the NAB corpus (through the datasets layer).
   */
  readonly corpusDir?: string;
  /** Add an `alarm` column: the detector's own alarm rule (NAB's scorer ignores it). Default false. */
  readonly alarms?: boolean;
  /**
   * @internal The file as `loadCorpusFile` already read it (`tsad bench`'s pre-run check), run instead
   * of reading the file again.
   */
  readonly data?: CorpusFileData;
}

/** One corpus file as `loadCorpusFile` reads it: its rows as they are, its series, its label windows. */
export interface CorpusFileData {
  readonly rows: { readonly t: Float64Array; readonly v: Float64Array };
  readonly series: TimeSeries;
  readonly windows: Window[];
}

export interface NabFileResult {
  readonly file: string;
  readonly rows: number;
  readonly trainMs: number;
  readonly scoreMs: number;
  readonly totalMs: number;
  readonly path: string;
}

/** Where NAB's layout puts a detector's result file for one corpus file. */
export function nabResultPath(outDir: string, detectorName: string, file: string): string {
  return join(outDir, detectorName, dirname(file), `${detectorName}_${basename(file)}`);
}

/** `YYYY-MM-DD HH:MM:SS` (UTC), as NAB writes timestamps. @internal */
export function fmtTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Runs one detector over one NAB file and writes the result file whole (`writeFileAtomic`: temp file,
 * fsync, rename, folder fsync).
 */
export async function runNabFile(job: NabFileJob): Promise<NabFileResult> {
  const start = performance.now();
  // Repeated timestamps keep the FIRST row's value: a later row's value would be look-ahead.
  const ds =
    job.data ??
    (job.corpusDir
      ? await loadCorpusFile(job.corpusDir, job.file)
      : await loadNab(job.file, { duplicates: 'first', onWarning: () => {} }));
  // the file's finite [min, max]: NAB's inputMin/inputMax, which NAB lets every detector know (only `artNab` uses it)
  const det = makeDetector(job.recipe, { seed: job.seed, range: finiteRange(ds.series.v) });
  const partner = makePartner(job.recipe, { seed: job.seed, range: finiteRange(ds.series.v) });
  const r = runNabStream(det, ds.series, ds.rows, ds.windows, recipeMapping(job.recipe), partner);
  const lines: string[] = [`timestamp,value,anomaly_score,label${job.alarms ? ',alarm' : ''}`];
  for (let i = 0; i < ds.rows.t.length; i++) {
    const base = `${fmtTimestamp(ds.rows.t[i])},${ds.rows.v[i]},${r.anomaly[i]},${r.label[i]}`;
    lines.push(job.alarms ? `${base},${r.alarm[i]}` : base);
  }
  const path = nabResultPath(job.outDir, job.detectorName, job.file);
  makeDirsSync(dirname(path));
  await writeFileAtomic(path, `${lines.join('\n')}\n`, true, UMASK_MODE);
  return {
    file: job.file,
    rows: ds.rows.t.length,
    trainMs: r.trainMs,
    scoreMs: r.scoreMs,
    totalMs: performance.now() - start,
    path,
  };
}

/**
 * A labels file as last parsed: its stamp then (device, inode, size, mtime, ctime), and whether the stamp
 * may be trusted (`settled`: the file was last changed well before it was read, so an edit in the same
 * clock tick that keeps its size cannot hide behind the same stamp).
 */
interface WindowsEntry {
  readonly stamp: string;
  readonly settled: boolean;
  readonly windows: Record<string, Window[]>;
}
const windowsCache = new Map<string, WindowsEntry>();
/** How long ago a file's last change must be for its stamp to tell an edit (coarse file clocks). */
const SETTLED_NS = 2_000_000_000n;

function labelsStamp(path: string): { stamp: string; changedNs: bigint } | undefined {
  try {
    const st = statSync(path, { bigint: true });
    const changedNs = st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs;
    return { stamp: `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`, changedNs };
  } catch {
    return undefined; // readNabWindows says what is wrong with it
  }
}

/**
 * The label windows of a corpus in NAB's layout. Parsed once per corpus and process while its labels
 * file stays as it was (same size, times and inode): a file edited since, even within one process (a
 * test run, a second benchmark after editing the labels), is read again. Each call costs a `stat`; the
 * parse it saves grows with the corpus (a labels file lists every file, and each file's run asks).
 */
export function corpusWindows(corpusDir: string): Record<string, Window[]> {
  const path = join(corpusDir, 'labels', 'combined_windows.json');
  const now = labelsStamp(path);
  const hit = windowsCache.get(corpusDir);
  if (hit && now && hit.settled && hit.stamp === now.stamp) return hit.windows;
  const readAtNs = BigInt(Date.now()) * 1_000_000n;
  const windows = readNabWindows(path);
  // a file changed just before (or, on a skewed clock, after) this read is read again next time
  const settled = readAtNs - (now?.changedNs ?? readAtNs) > SETTLED_NS;
  if (now) windowsCache.set(corpusDir, { stamp: now.stamp, settled, windows });
  else windowsCache.delete(corpusDir);
  return windows;
}

/**
 * One file of a corpus in NAB's layout, loaded the way the NAB runner loads NAB's files: rows as they
 * are, and the series with repeated timestamps keeping the first row (a later row would be look-ahead).
 */
export async function loadCorpusFile(corpusDir: string, file: string): Promise<CorpusFileData> {
  const windows = corpusWindows(corpusDir)[file];
  if (!windows) {
    throw new DatasetError(
      'unknown_file',
      `${file} is not listed in ${join(corpusDir, 'labels', 'combined_windows.json')}; use a key of that file`,
    );
  }
  const rows = await readCsvRows(join(corpusDir, 'data', file));
  const series = validateCsvRows(rows, { duplicates: 'first', onWarning: () => {} });
  return { rows: { t: rows.t, v: rows.v }, series, windows };
}
