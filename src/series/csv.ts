import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { SeriesError } from '../errors.js';
import { type SeriesOptions, type SeriesWarningCode, validateSeries } from './series.js';
import { parseIsoBytes, parseTimeString } from './time.js';
import type { TimeSeries } from './types.js';

export interface ReadCsvOptions extends SeriesOptions {
  /**
   * Time column: header name or 0-based index. Default `'timestamp'` if present, else column 0 of a
   * two-column header (with more columns a missing `timestamp` is a `missing_column` error).
   */
  time?: string | number;
  /**
   * Value column: header name or 0-based index. Default `'value'` if present, else the other column
   * of a two-column header (with more columns a missing `value` is a `missing_column` error).
   */
  value?: string | number;
  /**
   * Unit of purely numeric time fields (`'ms'` or `'s'` since the Unix epoch). Without it a numeric
   * time field is an error (it is ambiguous).
   */
  timeUnit?: 'ms' | 's';
  /**
   * Take `timeUnit` as given even when every numeric time looks like the other unit. By default a
   * column that is all in [1e8, 1e11) read as `'ms'` (1970-01-02 to 1973-03-03: most likely epoch
   * seconds) is refused with `epoch_seconds`, and one all at or beyond 1e11 read as `'s'` (after the
   * year 5138: most likely epoch milliseconds) with `bad_timestamp`; `true` accepts such times.
   */
  trustTimeUnit?: boolean;
  /**
   * Whether the first line names the columns. By default it must, and a first line that looks like
   * data (a field that parses as a timestamp, or only numbers) is refused rather than lost. `true`
   * takes the first line as names whatever it holds; `false` reads every line as data: `time` and
   * `value` must then be column indices (default 0 and 1).
   */
  header?: boolean;
}

/** Rows of a CSV file in file order, before any validation beyond parsing. */
export interface CsvRows {
  readonly t: Float64Array;
  readonly v: Float64Array;
  /** File line number (1-based; the header is line 1) of each row. */
  readonly line: Uint32Array;
  readonly path: string;
}

/**
 * Reads a CSV file of (time, value) rows into a validated `TimeSeries`.
 *
 * Defaults differ from `series()` on two points, because real files need them: `duplicates` defaults
 * to `'max'` (the same as binning with SQL `DATE_BIN` + `MAX`) and unsorted rows are sorted (stable).
 * Every repair is reported through `onWarning`, which defaults to `process.emitWarning` with code
 * `TSAD_DUPLICATES`, `TSAD_UNSORTED` or `TSAD_NONFINITE`. Errors are `SeriesError`s naming the file line.
 */
export async function readCsv(path: string, opts: ReadCsvOptions = {}): Promise<TimeSeries> {
  const rows = await readCsvRows(path, opts);
  return validateCsvRows(rows, opts);
}

/** Default warning sink of `readCsv` / `loadNab`: a Node process warning with the tsad code. */
export function emitSeriesWarning(message: string, code: SeriesWarningCode): void {
  process.emitWarning(message, { code });
}

/** Validates rows from `readCsvRows` with `readCsv`'s defaults; errors name file lines. @internal */
export function validateCsvRows(rows: CsvRows, opts: SeriesOptions = {}): TimeSeries {
  const { line, path } = rows;
  return validateSeries(
    rows.t,
    rows.v,
    {
      nonFinite: opts.nonFinite,
      duplicates: opts.duplicates ?? 'max',
      strict: opts.strict,
      onWarning: opts.onWarning ?? emitSeriesWarning,
    },
    (i) => `line ${line[i]} of ${path}`,
  );
}

/**
 * Parses a CSV file into raw rows (file order, duplicates kept). Timestamps and values are parsed,
 * nothing else is checked. A byte-level scanner handles plain files (no quote characters); files with
 * quotes go through csv-parse. Both stream the file.
 */
export async function readCsvRows(path: string, opts: ReadCsvOptions = {}): Promise<CsvRows> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    throw readFailed(path, err);
  }
  const fast = await readFast(path, size, opts);
  return fast ?? (await readWithCsvParse(path, size, opts));
}

/** What to do about a file that cannot be read, by its system error code. */
const READ_HINTS: Record<string, string> = {
  ENOENT: 'there is no such file: check the path (relative paths start at the working directory)',
  EISDIR: 'it is a folder, not a file: give the path of a CSV file',
  EACCES: 'permission denied: make it readable by this user',
  EPERM: 'permission denied: make it readable by this user',
  ENOTDIR: 'a part of the path is a file, not a folder: check the path',
  ELOOP: 'the path loops through symbolic links: check the path',
};

function readFailed(path: string, err: unknown): SeriesError {
  const code = (err as { code?: unknown }).code;
  const hint = typeof code === 'string' ? READ_HINTS[code] : undefined;
  return new SeriesError(
    'read_failed',
    hint
      ? `cannot read CSV file ${path}: ${hint} (${code})`
      : `cannot read CSV file ${path}: ${(err as Error).message}`,
    { cause: err },
  );
}

class Growable {
  /** Rows whose time field was a plain number read with `timeUnit`. */
  numericTimes = 0;
  t: Float64Array;
  v: Float64Array;
  line: Uint32Array;
  n = 0;
  constructor(cap: number) {
    this.t = new Float64Array(cap);
    this.v = new Float64Array(cap);
    this.line = new Uint32Array(cap);
  }
  grow(): void {
    const cap = this.t.length * 2;
    const t = new Float64Array(cap);
    const v = new Float64Array(cap);
    const line = new Uint32Array(cap);
    t.set(this.t);
    v.set(this.v);
    line.set(this.line);
    this.t = t;
    this.v = v;
    this.line = line;
  }
  /** Appends one row (growing the arrays when full). */
  push(t: number, v: number, line: number): void {
    if (this.n === this.t.length) this.grow();
    this.t[this.n] = t;
    this.v[this.n] = v;
    this.line[this.n] = line;
    this.n++;
  }
  result(path: string, unit: ReadCsvOptions['timeUnit'], trust = false): CsvRows {
    const n = this.n;
    if (n === 0) {
      throw new SeriesError('empty', `${path} has no data rows: the series is empty`);
    }
    if (unit && !trust && this.numericTimes === n) checkTimeUnit(this.t.subarray(0, n), unit, path);
    return { t: this.t.slice(0, n), v: this.v.slice(0, n), line: this.line.slice(0, n), path };
  }
}

/** Epoch ms of 1973-03-03 (1e11): numeric times all in [1e8, 1e11) ms are epoch seconds (as in `series()`). */
const SECONDS_LO = 1e8;
const SECONDS_HI = 1e11;

/**
 * Numeric times in the wrong unit parse without complaint but land in 1970 (seconds read as ms) or
 * after the year 5138 (ms read as seconds). When every time field was a number, such a column is
 * refused with the unit to pass instead.
 */
function checkTimeUnit(t: Float64Array, unit: 'ms' | 's', path: string): void {
  let lo = t[0];
  let hi = t[0];
  for (let i = 1; i < t.length; i++) {
    if (t[i] < lo) lo = t[i];
    if (t[i] > hi) hi = t[i];
  }
  const iso = (x: number) => (Math.abs(x) <= 8.64e15 ? new Date(x).toISOString() : 'beyond any date');
  const range = `${iso(lo)} to ${iso(hi)}`;
  if (unit === 'ms' && lo >= SECONDS_LO && hi < SECONDS_HI) {
    throw new SeriesError(
      'epoch_seconds',
      `${path}: the times ${lo} to ${hi} read as epoch milliseconds are ${range}; they look like epoch seconds: pass timeUnit: 's' (or trustTimeUnit: true if they really are milliseconds)`,
    );
  }
  if (unit === 's' && lo >= SECONDS_HI * 1000) {
    throw new SeriesError(
      'bad_timestamp',
      `${path}: the times ${lo / 1000} to ${hi / 1000} read as epoch seconds are ${range}; they look like epoch milliseconds: pass timeUnit: 'ms' (or trustTimeUnit: true if they really are seconds)`,
    );
  }
}

interface Columns {
  ti: number;
  vi: number;
  count: number;
  names: string[];
}

/** The columns of a header line, refusing a first line that is data (it would be lost). */
function headerColumns(names: string[], opts: ReadCsvOptions, path: string): Columns {
  // an explicit header: true is trusted (column names such as 2020,2021 are then allowed)
  if (opts.header === undefined && looksLikeData(names)) {
    throw new SeriesError(
      'missing_header',
      `${path}: the first line (${names.join(',')}) looks like data, not a header; add a header line such as "timestamp,value", or pass header: false to read every line as data (with time and value as column indices), or header: true if it really names the columns`,
    );
  }
  return pickColumns(names, opts, path);
}

/** A header line with a field that reads as a timestamp, or only numeric fields, is data. */
function looksLikeData(names: string[]): boolean {
  let numeric = 0;
  for (const x of names) {
    if (!Number.isNaN(parseTimeString(x))) return true;
    if (NUMERIC.test(x)) numeric++;
  }
  return numeric === names.length;
}

/** Columns of a file without a header (`header: false`): the first data line gives the field count. */
function indexColumns(count: number, opts: ReadCsvOptions, path: string): Columns {
  for (const [k, want] of [
    ['time', opts.time],
    ['value', opts.value],
  ] as const) {
    if (typeof want === 'string') {
      throw new SeriesError(
        'bad_option',
        `${path}: ${k}: ${JSON.stringify(want)} names a column, but header: false means there are no names; give the 0-based column index`,
      );
    }
  }
  const names = Array.from({ length: count }, (_, i) => `column ${i}`);
  return pickColumns(
    names,
    { ...opts, time: opts.time ?? 0, value: opts.value ?? (opts.time === 1 ? 0 : 1) },
    path,
  );
}

function pickColumns(names: string[], opts: ReadCsvOptions, path: string): Columns {
  const pick = (want: string | number | undefined, fallback: string, avoid: number): number => {
    if (typeof want === 'number') {
      if (!Number.isInteger(want) || want < 0 || want >= names.length) {
        throw new SeriesError(
          'missing_column',
          `${path}: column index ${want} is out of range (the header has ${names.length} columns: ${names.join(', ')})`,
        );
      }
      return want;
    }
    if (typeof want === 'string') {
      const i = names.indexOf(want);
      if (i < 0) {
        throw new SeriesError(
          'missing_column',
          `${path}: no column named ${JSON.stringify(want)}; the header has: ${names.join(', ')}`,
        );
      }
      return i;
    }
    const i = names.indexOf(fallback);
    if (i >= 0) return i;
    if (names.length > 2) {
      // a guess among three or more columns would read a wrong one without a word (a typo in the
      // header, a label column): name it
      const role = fallback === 'timestamp' ? 'time' : 'value';
      throw new SeriesError(
        'missing_column',
        `${path}: no column named "${fallback}", and with ${names.length} columns (${names.join(', ')}) the ${role} column is not guessed; rename it "${fallback}" in the header, or pass ${role}: NAME or 0-based INDEX`,
      );
    }
    for (let k = 0; k < names.length; k++) if (k !== avoid) return k;
    const sep = names.length === 1 ? [';', '\t', '|'].find((c) => names[0].includes(c)) : undefined;
    throw new SeriesError(
      'missing_column',
      `${path}: need a time and a value column, the header has only ${names.join(', ')}${sep === undefined ? '' : `; its fields look separated by ${JSON.stringify(sep)}: tsad reads comma-separated files, so write it with commas`}`,
    );
  };
  const ti = pick(opts.time, 'timestamp', -1);
  const vi = pick(opts.value, 'value', ti);
  if (ti === vi) {
    throw new SeriesError('missing_column', `${path}: time and value are the same column (${names[ti]})`);
  }
  return { ti, vi, count: names.length, names };
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE_WORDS: Record<string, number> = {
  nan: Number.NaN,
  '': Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  '+inf': Number.POSITIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
  '+infinity': Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
  '-infinity': Number.NEGATIVE_INFINITY,
};

/** A value field as text: numbers, an empty field (missing → NaN), nan/inf words. Undefined if none. */
function valueFromString(raw: string): number | undefined {
  const s = raw.trim();
  if (NUMERIC.test(s)) return Number(s);
  const w = NON_FINITE_WORDS[s.toLowerCase()];
  return w;
}

/** A time field as text: the series layer's one timestamp parser, or a number with `timeUnit`. */
function timeFromString(raw: string, unit: ReadCsvOptions['timeUnit'], out: Growable): number {
  const s = raw.trim();
  const ms = parseTimeString(s);
  if (Number.isNaN(ms) && unit && NUMERIC.test(s)) {
    out.numericTimes++;
    return Number(s) * (unit === 's' ? 1000 : 1);
  }
  return ms;
}

function badTime(raw: string, line: number, path: string, unit: ReadCsvOptions['timeUnit']): SeriesError {
  const hint =
    !unit && NUMERIC.test(raw.trim())
      ? "it is a plain number: pass timeUnit: 'ms' | 's'"
      : 'use ISO-8601 such as 2013-12-02 21:15:00 (UTC unless a ±HH:MM offset is given)';
  return new SeriesError(
    'bad_timestamp',
    `line ${line} of ${path}: cannot parse timestamp ${JSON.stringify(raw)}${notUtf8(raw)}; ${hint}`,
  );
}

function badValue(raw: string, line: number, path: string): SeriesError {
  return new SeriesError(
    'bad_value',
    `line ${line} of ${path}: value ${JSON.stringify(raw)} is not a number${notUtf8(raw)}; fix that row (empty, nan and inf are read as missing/non-finite)`,
  );
}

const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22,
];
const TWO53 = 2 ** 53;

/**
 * Exact decimal → double for plain decimals `[-+]digits[.digits]` whose digits form an integer
 * below 2^53 with at most 22 fraction digits (Clinger's fast path: one correctly rounded division).
 * Returns undefined otherwise (the caller uses `Number()` on the text).
 */
function fastNumber(b: Uint8Array, s: number, e: number): number | undefined {
  let i = s;
  let neg = false;
  if (i < e && (b[i] === 45 || b[i] === 43)) {
    neg = b[i] === 45;
    i++;
  }
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (; i < e; i++) {
    const c = b[i];
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
    } else if (c === 46 && frac < 0) frac = i;
    else return undefined;
  }
  if (digits === 0 || m >= TWO53) return undefined;
  const fd = frac < 0 ? 0 : e - frac - 1;
  if (fd > 22) return undefined;
  const x = fd === 0 ? m : m / POW10[fd];
  return neg ? -x : x;
}

/** Longest line the byte-level reader accepts (a longer one is not a row of a time-series CSV). */
const MAX_LINE = 1 << 20;
const LF = 10;
const CR = 13;

/**
 * The line terminator of a file from its first one: LF (also for CRLF files: the CR is stripped) or
 * CR (old Mac files; a CR followed by LF also ends one line). 0 while no terminator has been seen, or
 * when the buffer ends on a CR whose next byte is still unknown.
 */
function detectTerminator(b: Buffer, s: number, final: boolean): number {
  const lf = b.indexOf(LF, s);
  // a CR can only come first if it lies before the first LF: search that far, not the whole buffer
  const head = lf < 0 ? b.subarray(s) : b.subarray(s, lf);
  const at = head.indexOf(CR);
  if (at < 0) return lf < 0 ? 0 : LF;
  const cr = s + at;
  if (cr + 1 < b.length) return b[cr + 1] === LF ? LF : CR;
  return final ? CR : 0;
}

/**
 * Bytes of lines the fast reader parses between two turns of the event loop (`nextTurn`), so that
 * other I/O of the process goes on while a large file is parsed (the machine-temperature command's
 * tracked run writes its first records meanwhile): about 50 turns for a 0.75 MB file, each a few µs.
 * It still reads 1 MiB at a time (smaller reads cost ≈ 2 ms more on that file).
 */
const PARSE_SLICE = 1 << 14;

/** Resolves after one turn of the event loop (I/O callbacks included, unlike a microtask). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A UTF-16 file (a byte-order mark FF FE / FE FF, Excel's "Unicode text") or a binary one has NUL
 * bytes, which UTF-8 text never holds: refused at once, instead of as a timestamp of NULs.
 */
function checkEncoding(chunk: Buffer, first: boolean, path: string): void {
  const bom16 =
    first &&
    chunk.length >= 2 &&
    ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff));
  if (bom16 || chunk.indexOf(0) !== -1) {
    throw new SeriesError(
      'bad_csv',
      `${path} is not UTF-8 text: it ${bom16 ? 'starts with a UTF-16 byte-order mark' : 'holds NUL bytes (UTF-16 or a binary file)'}; save it as UTF-8 CSV (in Excel: "CSV UTF-8")`,
    );
  }
}

/** The hint for a field that holds bytes that are not UTF-8 (decoded as U+FFFD). */
const notUtf8 = (raw: string): string =>
  raw.includes('\uFFFD') ? ' (the file has bytes that are not UTF-8, e.g. Latin-1: save it as UTF-8)' : '';

/** A space, a tab or a comma: what a line holding no value at all is made of. */
const isBlankByte = (c: number): boolean => c === 32 || c === 9 || c === 44;

/**
 * A line of only spaces, tabs and commas (an editor's trailing whitespace, a spreadsheet's empty
 * rows `,,`) holds no time and no value: both readers skip it like an empty line.
 */
function blankLine(b: Uint8Array, s: number, e: number): boolean {
  for (let p = s; p < e; p++) if (!isBlankByte(b[p])) return false;
  return true;
}

/** Byte-level reader for quote-free CSV. Returns null when it meets a quote (csv-parse takes over). */
async function readFast(path: string, size: number, opts: ReadCsvOptions): Promise<CsvRows | null> {
  const out = new Growable(Math.max(1024, Math.ceil(size / 16)));
  const unit = opts.timeUnit;
  const header = opts.header ?? true;
  let cols: Columns | null = null;
  let lineNo = 0;
  let rest: Buffer | null = null;
  let first = true;
  let term = 0;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  const handleLine = (b: Buffer, s: number, e: number): void => {
    lineNo++;
    if (e > s && b[e - 1] === CR) e--;
    if (e === s || (isBlankByte(b[s]) && blankLine(b, s, e))) return;
    if (cols === null) {
      if (header) {
        const names = b
          .toString('utf8', s, e)
          .split(',')
          .map((x) => x.trim());
        cols = headerColumns(names, opts, path);
        return;
      }
      let count = 1;
      for (let p = s; p < e; p++) if (b[p] === 44) count++;
      cols = indexColumns(count, opts, path);
    }
    const { ti, vi, count } = cols;
    let ts = -1;
    let te = -1;
    let vs = -1;
    let ve = -1;
    let f = 0;
    let fs = s;
    for (let p = s; p <= e; p++) {
      if (p === e || b[p] === 44) {
        if (f === ti) {
          ts = fs;
          te = p;
        } else if (f === vi) {
          vs = fs;
          ve = p;
        }
        f++;
        fs = p + 1;
      }
    }
    if (f !== count) {
      throw new SeriesError(
        'bad_row',
        `line ${lineNo} of ${path}: has ${f} fields but ${header ? 'the header has' : 'the first line has'} ${count} (${cols.names.join(', ')}); fix that row`,
      );
    }
    let tms = parseIsoBytes(b, ts, te);
    if (Number.isNaN(tms)) {
      const raw = b.toString('utf8', ts, te);
      tms = timeFromString(raw, unit, out);
      if (Number.isNaN(tms)) throw badTime(raw, lineNo, path, unit);
    }
    let val = fastNumber(b, vs, ve);
    if (val === undefined) {
      const raw = b.toString('utf8', vs, ve);
      val = valueFromString(raw);
      if (val === undefined) throw badValue(raw, lineNo, path);
    }
    out.push(tms, val, lineNo);
  };
  /**
   * LF files: handles the complete lines of b that start from s and before `stop`; returns where
   * the first line not handled starts (synchronous, so that it is compiled as one tight loop).
   */
  const lfLines = (b: Buffer, s: number, stop: number): number => {
    let nl = b.indexOf(LF, s);
    while (nl !== -1 && s < stop) {
      handleLine(b, s, nl);
      s = nl + 1;
      nl = b.indexOf(LF, s);
    }
    return s;
  };
  /** CR-only files: handles the complete lines of b from s; returns where the unfinished one starts. */
  const crLines = (b: Buffer, s: number, final: boolean): number => {
    // a CR ends a line; an LF right after it belongs to the same line end
    if (s < b.length && b[s] === LF) s++;
    let nl = b.indexOf(CR, s);
    while (nl !== -1 && (final || nl + 1 < b.length)) {
      handleLine(b, s, nl);
      s = nl + 1;
      if (b[s] === LF) s++;
      nl = b.indexOf(CR, s);
    }
    return s;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      checkEncoding(chunk, first, path);
      if (chunk.indexOf(34) !== -1) return null;
      const b: Buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
      let s = 0;
      if (first) {
        first = false;
        if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) s = 3;
      }
      if (term === 0) term = detectTerminator(b, s, false);
      if (term === LF) {
        // the common case (LF and CRLF files) stays one tight loop, over PARSE_SLICE bytes at a
        // time with a turn of the event loop in between
        for (;;) {
          s = lfLines(b, s, s + PARSE_SLICE);
          if (b.indexOf(LF, s) === -1) break;
          await nextTurn();
        }
      } else if (term === CR) s = crLines(b, s, false);
      rest = s < b.length ? Buffer.from(b.subarray(s)) : null;
      if (rest && rest.length > MAX_LINE) {
        throw new SeriesError(
          'bad_row',
          `line ${lineNo + 1} of ${path} is longer than ${MAX_LINE} bytes without a line end (LF, CRLF or CR); is it a CSV of time,value rows?`,
        );
      }
    }
    if (rest) {
      // the unfinished last line (LF files), or the last lines of a CR file
      if (term === 0) term = detectTerminator(rest, 0, true);
      const s = term === CR ? crLines(rest, 0, true) : 0;
      if (s < rest.length) handleLine(rest, s, rest.length);
    }
  } catch (err) {
    if (err instanceof SeriesError) throw err;
    throw readFailed(path, err);
  } finally {
    stream.destroy();
  }
  if (cols === null) {
    throw new SeriesError(
      'empty',
      `${path} is empty: expected ${header ? 'a header line and ' : ''}data rows`,
    );
  }
  return out.result(path, unit, opts.trustTimeUnit);
}

interface CsvParseRecord {
  record: string[];
  info: { lines: number };
}

/** General path through csv-parse (quotes, escaped separators, multi-line fields). */
async function readWithCsvParse(path: string, size: number, opts: ReadCsvOptions): Promise<CsvRows> {
  const out = new Growable(Math.max(1024, Math.ceil(size / 16)));
  const unit = opts.timeUnit;
  const header = opts.header ?? true;
  let cols: Columns | null = null;
  const source = createReadStream(path);
  const parser = source.pipe(
    parse({
      bom: true,
      skip_empty_lines: true,
      // a row of only blanks and separators, like the fast reader's blankLine
      skip_records_with_empty_values: true,
      // the field count is checked below, with the fast reader's bad_row message
      relax_column_count: true,
      info: true,
      trim: false,
      relax_quotes: false,
    }),
  );
  try {
    for await (const item of parser as AsyncIterable<CsvParseRecord>) {
      const { record, info } = item;
      const lineNo = info.lines;
      if (cols === null) {
        if (header) {
          cols = headerColumns(
            record.map((x) => x.trim()),
            opts,
            path,
          );
          continue;
        }
        cols = indexColumns(record.length, opts, path);
      }
      if (record.length !== cols.count) {
        throw new SeriesError(
          'bad_row',
          `line ${lineNo} of ${path}: has ${record.length} fields but ${header ? 'the header has' : 'the first line has'} ${cols.count} (${cols.names.join(', ')}); fix that row`,
        );
      }
      const rawT = record[cols.ti];
      const tms = timeFromString(rawT, unit, out);
      if (Number.isNaN(tms)) throw badTime(rawT, lineNo, path, unit);
      const rawV = record[cols.vi];
      const val = valueFromString(rawV);
      if (val === undefined) throw badValue(rawV, lineNo, path);
      out.push(tms, val, lineNo);
    }
  } catch (err) {
    if (err instanceof SeriesError) throw err;
    throw new SeriesError('bad_csv', `${path}: ${(err as Error).message}`, { cause: err });
  } finally {
    // leaving the loop early (a bad row) destroys the parser but not the file stream piped into it
    source.destroy();
  }
  if (cols === null) throw new SeriesError('empty', `${path} is empty: expected a header line and data rows`);
  return out.result(path, unit, opts.trustTimeUnit);
}
