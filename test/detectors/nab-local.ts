/**
 * A tiny local NAB reader for tests, until `loadNab()` from src/datasets is merged.
 * Finds the data via TSAD_DATA_DIR or ../shared/datasets relative to the repo root.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TimeSeries } from '../../src/series/types.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function nabPath(rel: string): string | null {
  const dirs = [process.env.TSAD_DATA_DIR, join(repoRoot, '../shared/datasets'), '/work/shared/datasets'];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, 'nab', rel);
    if (existsSync(p)) return p;
  }
  return null;
}

/** Reads a NAB CSV (timestamp,value; UTC) and max-bins it on a `binMs` grid. */
export function readNabMaxBinned(rel: string, binMs = 300_000): TimeSeries {
  const p = nabPath(rel);
  if (!p) throw new Error(`NAB file ${rel} not found: set TSAD_DATA_DIR`);
  const lines = readFileSync(p, 'utf8').trim().split(/\r?\n/).slice(1);
  const bins = new Map<number, number>();
  for (const line of lines) {
    const [ts, val] = line.split(',');
    const t = Date.parse(`${ts.replace(' ', 'T')}Z`);
    const v = Number(val);
    const b = Math.floor(t / binMs) * binMs;
    const cur = bins.get(b);
    if (cur === undefined || v > cur) bins.set(b, v);
  }
  const keys = [...bins.keys()].sort((a, b) => a - b);
  return { t: Float64Array.from(keys), v: Float64Array.from(keys, (k) => bins.get(k)!) };
}
