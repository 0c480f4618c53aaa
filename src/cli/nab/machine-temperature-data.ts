/**
 * The machine-temperature series, from the NAB CSV or from a PostgreSQL table (`--data postgres://…`):
 * the CSV's raw rows are loaded into the table once (`?table=` names it, default
 * `nab_machine_temperature`), then read back with `date_bin('5 minutes') + max`, which gives the same
 * bins as `dateBin` on the file.
 */

import { readFile } from 'node:fs/promises';
import { loadNabRows, nabPath } from '../../datasets/nab.js';
import type { SqlSource } from '../../datasets/sql.js';
import { dateBin } from '../../series/index.js';
import type { TimeSeries } from '../../series/types.js';
import { cachedSeries } from './series-cache.js';

export const MACHINE_TEMPERATURE_TABLE = 'nab_machine_temperature';
const FILE = 'realKnownCause/machine_temperature_system_failure.csv';

export interface MachineTemperatureData {
  readonly full: TimeSeries;
  readonly rawRows: number;
  /** Set when the series came from a database. */
  readonly sql?: SqlSource;
}

/** Splits `?table=` off a database URI. */
export function splitTableParam(uri: string): { uri: string; table: string } {
  const u = new URL(uri);
  const table = u.searchParams.get('table') ?? MACHINE_TEMPERATURE_TABLE;
  u.searchParams.delete('table');
  return { uri: u.toString(), table };
}

export async function loadMachineTemperature(data?: string): Promise<MachineTemperatureData> {
  if (!data) {
    // the binned series of this very file from an earlier run when there is one (src/cli/nab/series-cache.ts)
    const source = await readFile(await nabPath(`data/${FILE}`));
    const s = await cachedSeries('nab-machine-temperature-5min-max', source, async () => {
      const rows = await loadNabRows(FILE);
      // the file's rows as they are (`loadNab(FILE).rows`): binning sorts them and takes the max of duplicates
      return { ...dateBin(rows, { everyMs: 5 * 60_000, aggregate: 'max' }), rawRows: rows.t.length };
    });
    return { full: { t: s.t, v: s.v }, rawRows: s.rawRows };
  }
  const rows = await loadNabRows(FILE);
  // the SQL layer loads only for `--data` (the CSV experiment does not compile it)
  const { loadSeriesSql, readSql } = await import('../../datasets/sql.js');
  const { uri, table } = splitTableParam(data);
  const loaded = await loadSeriesSql(uri, table, rows);
  const { series, source } = await readSql(uri, { table, bin: '5m', aggregate: 'max' });
  return { full: series, rawRows: loaded.inserted || loaded.existing, sql: source };
}

/** Dataset name and source of a slice [from, to) of a SQL-read series, for `run.logDataset`. */
export async function sqlSlice(
  source: SqlSource,
  from: number,
  to: number,
  rows: number,
): Promise<{ name: string; source: string }> {
  const { describeSqlSource } = await import('../../datasets/sql.js');
  const iso = (t: number) => new Date(t).toISOString();
  return {
    name: `${source.table}[${iso(from)},${iso(to)})`,
    source: describeSqlSource({ ...source, from, to, rows }),
  };
}
