/**
 * The NAB machine-temperature experiment's data, read directly from the shared corpus (tests only;
 * the datasets layer's `loadNab()` replaces this once merged): 5-minute `date_bin` bins with `max`,
 * train = before 2013-12-15, truth = the three inclusive windows after the split.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TimeSeries } from '../../../src/series/types.js';

const FILE = 'nab/data/realKnownCause/machine_temperature_system_failure.csv';

export function dataDir(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [process.env.TSAD_DATA_DIR, resolve(here, '../../../../shared/datasets')].filter(
    (x): x is string => typeof x === 'string',
  );
  for (const c of candidates) if (existsSync(join(c, FILE))) return c;
  return null;
}

const utc = (s: string) => Date.parse(`${s.replace(' ', 'T')}Z`);

export const SPLIT = utc('2013-12-15 00:00:00');
export const WINDOWS: readonly [number, number][] = [
  [utc('2013-12-15 17:50:00'), utc('2013-12-17 17:00:00')],
  [utc('2014-01-27 14:20:00'), utc('2014-01-29 13:30:00')],
  [utc('2014-02-07 14:55:00'), utc('2014-02-09 14:05:00')],
];

export interface Experiment {
  all: TimeSeries;
  train: TimeSeries;
  test: TimeSeries;
  /** 1 inside the three windows, over the whole series. */
  truth: TimeSeries;
}

export function machineTemperature(): Experiment {
  const dir = dataDir();
  if (dir === null) throw new Error(`NAB data not found: set TSAD_DATA_DIR (looked for ${FILE})`);
  const lines = readFileSync(join(dir, FILE), 'utf8').trim().split('\n').slice(1);
  const bins = new Map<number, number>();
  const BIN = 300_000;
  for (const line of lines) {
    const [ts, val] = line.split(',');
    const t = utc(ts);
    const b = Math.floor(t / BIN) * BIN;
    const v = Number(val);
    const old = bins.get(b);
    if (old === undefined || v > old) bins.set(b, v);
  }
  const keys = [...bins.keys()].sort((a, b) => a - b);
  const t = Float64Array.from(keys);
  const v = Float64Array.from(keys, (k) => bins.get(k) as number);
  let s = 0;
  while (t[s] < SPLIT) s++;
  const y = new Float64Array(t.length);
  for (let i = 0; i < t.length; i++) for (const [a, b] of WINDOWS) if (t[i] >= a && t[i] <= b) y[i] = 1;
  return {
    all: { t, v },
    train: { t: t.slice(0, s), v: v.slice(0, s) },
    test: { t: t.slice(s), v: v.slice(s) },
    truth: { t, v: y },
  };
}
