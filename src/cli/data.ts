/** Reading the user's CSV files for `tsad train` and `tsad detect`, and the label checks. */
import type { Command } from 'commander';
import type { TimeSeries } from '../series/types.js';

export interface CsvColumnOptions {
  time?: string;
  value?: string;
  timeUnit?: 'ms' | 's';
  /** `--trust-time-unit`: accept numeric times that look like the other unit. */
  trustTimeUnit?: boolean;
  /** `--missing`: what to do with empty or NaN values (default `error`). */
  missing?: string;
}

function column(c: string | undefined): string | number | undefined {
  if (c === undefined) return undefined;
  return /^\d+$/.test(c) ? Number(c) : c;
}

/** The (time, value) series of a CSV file (columns by header name or 0-based index). */
export async function readSeriesCsv(path: string, o: CsvColumnOptions): Promise<TimeSeries> {
  const [{ readCsv }, { ConfigError }] = await Promise.all([
    import('../series/csv.js'),
    import('../errors.js'),
  ]);
  const missing = o.missing ?? 'error';
  if (missing !== 'error' && missing !== 'drop' && missing !== 'interpolate') {
    throw new ConfigError(
      'invalid_option',
      `--missing ${JSON.stringify(missing)}: use error, drop or interpolate`,
    );
  }
  try {
    return await readCsv(path, {
      ...(o.time !== undefined ? { time: column(o.time) } : {}),
      ...(o.value !== undefined ? { value: column(o.value) } : {}),
      ...(o.timeUnit ? { timeUnit: o.timeUnit } : {}),
      ...(o.trustTimeUnit ? { trustTimeUnit: true } : {}),
      nonFinite: missing,
    });
  } catch (err) {
    throw await withCliHints(err);
  }
}

/** The library's hints name its options (`nonFinite`, `timeUnit`, `header`); here they are flags. */
const CLI_HINTS: readonly [RegExp, string][] = [
  [/pass nonFinite: .*$/, 'pass --missing drop (skip such rows) or --missing interpolate'],
  [/pass timeUnit: 'ms' \| 's'/, 'pass --time-unit ms or --time-unit s'],
  [
    /pass timeUnit: '(ms|s)' \(or trustTimeUnit: true (.*)\)$/,
    'pass --time-unit $1 (or --trust-time-unit $2)',
  ],
  [/, or pass header: false .*$/, ''],
  [/pass (time|value): NAME or 0-based INDEX/, 'pass --$1 NAME or --$1 INDEX (0-based)'],
];

async function withCliHints(err: unknown): Promise<unknown> {
  const { SeriesError } = await import('../errors.js');
  if (!(err instanceof SeriesError)) return err;
  let message = err.message;
  for (const [from, to] of CLI_HINTS) message = message.replace(from, to);
  return message === err.message ? err : new SeriesError(err.code, message, { cause: err });
}

/** The `--time-unit` options of the commands that read your CSV. */
export const TIME_UNIT_OPTIONS = [
  ['--time-unit <unit>', 'unit of numeric time fields: ms or s'],
  [
    '--trust-time-unit',
    'accept numeric times that look like the other unit (ms in 1970-1973, s after the year 5138)',
  ],
] as const;

/** The `--missing` option of the commands that read your CSV. */
export const MISSING_OPTION = [
  '--missing <policy>',
  'empty or NaN values: error (default), drop the row, or interpolate from its neighbours',
] as const;

/**
 * The `<data.csv>` argument and the column, time-unit and missing-value options of `tsad train` and
 * `tsad detect` (one declaration, so the two commands read a CSV file the same way).
 */
export function withCsvInput(cmd: Command): Command {
  return cmd
    .argument(
      '<data.csv>',
      'CSV with a header; columns "timestamp" and "value" unless --time/--value say otherwise (without those names: the first column, then the first other one)',
    )
    .option('--time <column>', 'time column (header name or 0-based index)')
    .option('--value <column>', 'value column (header name or 0-based index)')
    .option(...TIME_UNIT_OPTIONS[0])
    .option(...TIME_UNIT_OPTIONS[1])
    .option(...MISSING_OPTION);
}

/**
 * A 0/1 label column of the same file, on the same (sorted, de-duplicated) timestamps. Any other value
 * (a value column named by mistake, a 2, a NaN) is a `SeriesError` `bad_value`: it would count as an
 * anomaly and give meaningless metrics.
 */
export async function readLabelsCsv(
  path: string,
  labels: string,
  o: CsvColumnOptions,
  on?: Float64Array,
): Promise<TimeSeries> {
  const [{ readCsv, readCsvRows }, { SeriesError }] = await Promise.all([
    import('../series/csv.js'),
    import('../errors.js'),
  ]);
  const opts = {
    ...(o.time !== undefined ? { time: column(o.time) } : {}),
    value: column(labels),
    ...(o.timeUnit ? { timeUnit: o.timeUnit } : {}),
    ...(o.trustTimeUnit ? { trustTimeUnit: true } : {}),
  };
  // the raw rows first, with their line numbers: an empty or NaN label is a label error here, not
  // the value column's non_finite (whose hint, --missing, is about values)
  const rows = await readCsvRows(path, opts).catch(async (err: unknown) => {
    throw await withCliHints(err);
  });
  for (let i = 0; i < rows.v.length; i++) {
    const x = rows.v[i];
    if (x !== 0 && x !== 1) {
      const what = Number.isNaN(x) ? 'an empty or NaN cell' : String(x);
      // an empty cell is a row to fill in; another number may mean --labels named the wrong column
      const fix = Number.isNaN(x)
        ? 'fill in that row'
        : `if ${JSON.stringify(labels)} is not the label column, pass the right one to --labels; if it is, fix that row`;
      throw new SeriesError(
        'bad_value',
        `${path}: the label column ${JSON.stringify(labels)} holds ${what} at ${Math.abs(rows.t[i]) <= 8.64e15 ? new Date(rows.t[i]).toISOString() : rows.t[i]} (line ${rows.line[i]}); labels must be 0 (normal) or 1 (anomaly): ${fix}`,
      );
    }
  }
  const ts = await readCsv(path, { ...opts, onWarning: () => {} }).catch(async (err: unknown) => {
    throw await withCliHints(err);
  });
  return on && on.length !== ts.t.length ? onTimes(ts, on) : ts;
}

/** The labels at the times `t` (both sorted; rows `--missing drop` left out of the series go). */
function onTimes(labels: TimeSeries, t: Float64Array): TimeSeries {
  const v = new Float64Array(t.length);
  let j = 0;
  for (let i = 0; i < t.length; i++) {
    while (j < labels.t.length && labels.t[j] < t[i]) j++;
    v[i] = j < labels.t.length && labels.t[j] === t[i] ? labels.v[j] : 0;
  }
  return { t: Float64Array.from(t), v };
}

/**
 * A time given on the command line (`--until`, `--after`): ISO 8601 or epoch milliseconds. Anything
 * else is a `ConfigError` `invalid_option` naming the flag (exit code 2), not a data error.
 */
export async function timeOption(flag: string, raw: string): Promise<number> {
  const [{ ConfigError }, { parseTime, timeRangeProblem }] = await Promise.all([
    import('../errors.js'),
    import('../series/series.js'),
  ]);
  const s = raw.trim();
  const ms = /^[+-]?\d+$/.test(s) ? Number(s) : parseTime(s);
  if (!Number.isFinite(ms) || timeRangeProblem(ms)) {
    throw new ConfigError(
      'invalid_option',
      `${flag} ${JSON.stringify(raw)} is not a time; give ISO 8601 (2024-05-01, 2024-05-01T12:00:00Z) or epoch milliseconds`,
    );
  }
  // four digits are a year in ISO 8601 and a millisecond of 1970 in epoch ms: `--after 2024` meant
  // the year, and read as 2 s after 1970 it silently selected every row
  if (/^\d{4}$/.test(s)) {
    throw new ConfigError(
      'invalid_option',
      `${flag} ${s} reads as the year ${s} or as epoch millisecond ${s} (${new Date(ms).toISOString()}): give the year as ${s}-01-01, or that millisecond as ${new Date(ms).toISOString()}`,
    );
  }
  // what series() refuses as epoch_seconds (1e8 to 1e11 ms: 1970-01-02 to 1973-03-03)
  if (/^\d+$/.test(s) && ms >= 1e8 && ms < 1e11) {
    throw new ConfigError(
      'invalid_option',
      `${flag} ${s} reads as ${new Date(ms).toISOString()} in epoch milliseconds; it looks like epoch seconds: give ${s}000 or an ISO 8601 time`,
    );
  }
  return ms;
}

/** `--time-unit`: `ms` or `s`; anything else is a `ConfigError` `invalid_option` (exit code 2). */
export async function checkTimeUnit(unit: string | undefined, trust?: boolean): Promise<void> {
  const { ConfigError } = await import('../errors.js');
  if (trust && unit === undefined) {
    throw new ConfigError(
      'invalid_option',
      '--trust-time-unit needs --time-unit ms or --time-unit s (the unit to trust)',
    );
  }
  if (unit === undefined || unit === 'ms' || unit === 's') return;
  throw new ConfigError(
    'invalid_option',
    `--time-unit ${JSON.stringify(unit)}: use ms or s (epoch milliseconds or seconds)`,
  );
}

/**
 * The exceedances the model's own alarm rule needs (`minAlmInWindow` of the outermost alarm rule in its
 * config: an ensemble's rule, not its members'), or 1 when it has no such rule.
 */
export function alarmExceedances(config: unknown): number {
  let level: unknown[] = [config];
  while (level.length > 0) {
    let found: number | undefined;
    const next: unknown[] = [];
    for (const x of level) {
      if (Array.isArray(x)) next.push(...x);
      else if (x !== null && typeof x === 'object') {
        for (const [k, v] of Object.entries(x)) {
          if (k === 'minAlmInWindow' && typeof v === 'number') found = Math.max(found ?? 1, v);
          else next.push(v);
        }
      }
    }
    if (found !== undefined) return found;
    level = next;
  }
  return 1;
}

/**
 * The warning for labels that are single points under an alarm rule that needs more than one
 * exceedance: such a rule raises its alarm at the second exceedance at the earliest, one step after a
 * one-point label, so even a detector that scores every labelled point highest gets no true positive
 * (Merlion behaves the same way). Returns undefined when the labels have a run longer than one point,
 * or the rule needs one exceedance.
 */
export function singlePointLabelWarning(labels: ArrayLike<number>, config: unknown): string | undefined {
  const need = alarmExceedances(config);
  if (need <= 1) return undefined;
  let runs = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 0) continue;
    const start = i;
    while (i + 1 < labels.length && labels[i + 1] !== 0) i++;
    if (i > start) return undefined;
    runs++;
  }
  if (runs === 0) return undefined;
  return (
    `all ${runs} labelled anomalies are single points, but the model's alarm rule needs ${need} exceedances ` +
    'in its window, so every alarm comes at least one step after its label and scores as a miss; ' +
    'label each anomaly as a window (e.g. the few points after it too), or use a rule with minAlmInWindow: 1'
  );
}
