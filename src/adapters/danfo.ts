/**
 * danfo.js adapter (`tsad/adapters/danfo`): DataFrame ⇄ TimeSeries.
 *
 * danfojs-node is an optional peer dependency: it is loaded with a dynamic `import()` only when
 * `toDataFrame` needs its constructor, so nothing else in tsad ever loads it. `fromDataFrame` only
 * reads the frame it is given.
 */
import type { DataFrame } from 'danfojs-node';
import { SeriesError, TsadError } from '../errors.js';
import { type SeriesOptions, series } from '../series/series.js';
import type { TimeInput, TimeSeries } from '../series/types.js';

/** The codes of `MissingDependencyError` (one: the peer dependency is not installed). */
export type MissingDependencyErrorCode = 'missing_peer_dependency';

/** An optional peer dependency is not installed. */
export class MissingDependencyError extends TsadError<MissingDependencyErrorCode> {}

/** The part of a danfo.js `DataFrame` that `fromDataFrame` reads. */
export interface DataFrameLike {
  readonly columns: string[];
  column(name: string): { readonly values: ArrayLike<unknown> };
}

export interface FromDataFrameOptions extends SeriesOptions {
  /**
   * Time column: strings (ISO-8601, UTC unless zoned), `Date`s or epoch-ms numbers. Default
   * `'timestamp'` if present, else the other column of a two-column frame (as `readCsv`; with more
   * columns a missing `timestamp` is a `missing_column` error).
   */
  time?: string;
  /**
   * Value column: numbers; `null`/`undefined`/`NaN` count as missing (see `nonFinite`). Default
   * `'value'` if present, else the other column of a two-column frame (with more columns a missing
   * `value` is a `missing_column` error).
   */
  value?: string;
}

export interface ToDataFrameOptions {
  /** Name of the time column. Default `'timestamp'`. */
  time?: string;
  /** Name of the value column. Default `'value'`. */
  value?: string;
  /** Time column contents: `Date` objects (danfo dtype `datetime`, default), epoch `'ms'` numbers, or `'iso'` strings. */
  timeAs?: 'date' | 'ms' | 'iso';
}

type DanfoModule = typeof import('danfojs-node');

let danfo: Promise<DanfoModule> | undefined;

/**
 * Loads danfojs-node (once). Throws `MissingDependencyError` with install instructions when it is
 * not installed. `specifier` exists for tests.
 * @internal
 */
export async function importDanfo(specifier = 'danfojs-node'): Promise<DanfoModule> {
  const load = async (): Promise<DanfoModule> => {
    try {
      return (await import(specifier)) as DanfoModule;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
        throw new MissingDependencyError(
          'missing_peer_dependency',
          `tsad/adapters/danfo needs the optional peer dependency ${specifier}; install it with \`npm install danfojs-node@1.1.2\` (and the TensorFlow.js override in tsad's docs/api.md, "Optional peer dependencies")`,
          { cause: err },
        );
      }
      throw err;
    }
  };
  if (specifier !== 'danfojs-node') return load();
  danfo ??= load().catch((err: unknown) => {
    danfo = undefined;
    throw err;
  });
  return danfo;
}

function columnValues(df: DataFrameLike, name: string, role: string): ArrayLike<unknown> {
  if (!df.columns.includes(name)) {
    throw new SeriesError(
      'missing_column',
      `the DataFrame has no ${role} column ${JSON.stringify(name)}; its columns are: ${df.columns.join(', ')}`,
    );
  }
  return df.column(name).values;
}

/** The time and value columns: as given, else `timestamp` / `value` if present, else the first others. */
function pickColumns(df: DataFrameLike, opts: FromDataFrameOptions): { time: string; value: string } {
  const cols = df.columns;
  const named = (want: string | undefined, dflt: string) => want ?? (cols.includes(dflt) ? dflt : undefined);
  const t0 = named(opts.time, 'timestamp');
  const v0 = named(opts.value, 'value');
  if (cols.length > 2 && (t0 === undefined || v0 === undefined)) {
    // a guess among three or more columns would read a wrong one without a word: name it
    const [role, dflt] = t0 === undefined ? ['time', 'timestamp'] : ['value', 'value'];
    throw new SeriesError(
      'missing_column',
      `the DataFrame has no column "${dflt}", and with ${cols.length} columns (${cols.join(', ')}) the ${role} column is not guessed: pass { ${role}: NAME }`,
    );
  }
  const time = t0 ?? cols.find((c) => c !== v0);
  const value = v0 ?? cols.find((c) => c !== time);
  if (time === undefined || value === undefined) {
    throw new SeriesError(
      'missing_column',
      `the DataFrame has only the column${cols.length === 1 ? '' : 's'} ${cols.join(', ') || '(none)'}; fromDataFrame needs a time and a value column: pass { time, value } naming them`,
    );
  }
  if (time === value) {
    throw new SeriesError(
      'missing_column',
      `time and value are the same column (${JSON.stringify(time)}); pass { time, value } naming two columns`,
    );
  }
  return { time, value };
}

/**
 * Builds a validated `TimeSeries` from two columns of a danfo.js DataFrame (errors name the row).
 * Without `time`/`value`, it reads the columns `toDataFrame` writes (`timestamp`, `value`), falling
 * back to the first columns as `readCsv` does.
 */
export function fromDataFrame(df: DataFrameLike, opts: FromDataFrameOptions = {}): TimeSeries {
  const { time: _t, value: _v, ...rest } = opts;
  const { time, value } = pickColumns(df, opts);
  const tc = columnValues(df, time, 'time');
  const vc = columnValues(df, value, 'value');
  const n = tc.length;
  const t: TimeInput[] = new Array(n);
  const v = new Float64Array(vc.length);
  for (let i = 0; i < n; i++) {
    const x = tc[i];
    if (typeof x === 'number' || typeof x === 'string' || x instanceof Date) t[i] = x;
    else {
      throw new SeriesError(
        'bad_timestamp',
        `row ${i}: time column ${JSON.stringify(time)} holds ${String(x)}; expected an ISO string, a Date or epoch ms`,
      );
    }
  }
  for (let i = 0; i < vc.length; i++) {
    const x = vc[i];
    if (typeof x === 'number') v[i] = x;
    else if (x === null || x === undefined) v[i] = Number.NaN;
    else if (typeof x === 'string' && x.trim() !== '' && Number.isFinite(Number(x))) v[i] = Number(x);
    else {
      throw new SeriesError(
        'bad_value',
        `row ${i}: value column ${JSON.stringify(value)} holds ${JSON.stringify(x)}, which is not a number`,
      );
    }
  }
  return series(t, v, rest);
}

/** Converts a `TimeSeries` to a danfo.js DataFrame with a time and a value column. Loads danfojs-node. */
export async function toDataFrame(ts: TimeSeries, opts: ToDataFrameOptions = {}): Promise<DataFrame> {
  const dfd = await importDanfo();
  const timeAs = opts.timeAs ?? 'date';
  const n = ts.t.length;
  const times: (Date | number | string)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const ms = ts.t[i];
    times[i] = timeAs === 'ms' ? ms : timeAs === 'iso' ? new Date(ms).toISOString() : new Date(ms);
  }
  return new dfd.DataFrame({ [opts.time ?? 'timestamp']: times, [opts.value ?? 'value']: Array.from(ts.v) });
}
