import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { loadNab } from '../datasets/index.js';
import { makeDetector, NAB_MAPPING } from './detectors.js';
import { runNabStream } from './nab-stream.js';

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

function fmtTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** Runs one detector over one NAB file and writes the result file atomically (temp, then rename). */
export async function runNabFile(job: NabFileJob): Promise<NabFileResult> {
  const start = performance.now();
  // Repeated timestamps keep the FIRST row's value: a later row's value would be look-ahead.
  const ds = await loadNab(job.file, { duplicates: 'first', onWarning: () => {} });
  const det = makeDetector(job.recipe, { seed: job.seed });
  const r = runNabStream(det, ds.series, ds.rows, ds.windows, NAB_MAPPING[job.recipe] ?? 'cdf');
  const lines: string[] = ['timestamp,value,anomaly_score,label'];
  for (let i = 0; i < ds.rows.t.length; i++) {
    lines.push(`${fmtTimestamp(ds.rows.t[i])},${ds.rows.v[i]},${r.anomaly[i]},${r.label[i]}`);
  }
  const path = nabResultPath(job.outDir, job.detectorName, job.file);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${lines.join('\n')}\n`);
  renameSync(tmp, path);
  return {
    file: job.file,
    rows: ds.rows.t.length,
    trainMs: r.trainMs,
    scoreMs: r.scoreMs,
    totalMs: performance.now() - start,
    path,
  };
}
