import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Tiny local NAB reader for the ETS tests (until the datasets module's loadNab lands). */
function dataDir(): string {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  const candidates = [process.env.TSAD_DATA_DIR, join(repoRoot, '../shared/datasets')].filter(
    (x): x is string => typeof x === 'string' && x.length > 0,
  );
  for (const c of candidates) if (existsSync(join(c, 'nab'))) return c;
  throw new Error(
    `NAB data not found (looked in ${candidates.join(', ')}); set TSAD_DATA_DIR to the folder holding nab/`,
  );
}

/**
 * machine_temperature_system_failure.csv: duplicate timestamps merged by max (5-minute bins),
 * then the spec's train split (rows with index ≤ 0.15·N, i.e. up to 2013-12-14 16:45).
 */
export function machineTemperature(): { t: Float64Array; v: Float64Array; nTrain: number } {
  const file = join(dataDir(), 'nab/data/realKnownCause/machine_temperature_system_failure.csv');
  const rows = readFileSync(file, 'utf8').trim().split('\n').slice(1);
  const byTime = new Map<number, number>();
  for (const row of rows) {
    const [ts, val] = row.split(',');
    const ms = Date.parse(`${ts.replace(' ', 'T')}Z`);
    const x = Number(val);
    const prev = byTime.get(ms);
    byTime.set(ms, prev === undefined ? x : Math.max(prev, x));
  }
  const t = [...byTime.keys()].sort((a, b) => a - b);
  const v = t.map((ms) => byTime.get(ms) as number);
  const nTrain = Math.floor(0.15 * t.length) + 1;
  return { t: Float64Array.from(t), v: Float64Array.from(v), nTrain };
}
