import { SeriesError } from '../errors.js';
import { MAX_TIME_MS, parseTimeString } from './time.js';
import type { DuplicatePolicy, NonFinitePolicy, TimeInput, TimeSeries } from './types.js';

/** Machine-readable kinds of repair reported through `onWarning`. */
export type SeriesWarningCode = 'TSAD_UNSORTED' | 'TSAD_DUPLICATES' | 'TSAD_NONFINITE';

export interface SeriesOptions {
  /** What to do with NaN / ±Infinity values. Default `'error'`. */
  nonFinite?: NonFinitePolicy;
  /** What to do with repeated timestamps. Default `'error'` (`readCsv` / `loadNab` default to `'max'`). */
  duplicates?: DuplicatePolicy;
  /** Unsorted input is sorted (stable) unless `strict` is true, in which case it is an error. */
  strict?: boolean;
  /**
   * Called once per kind of repair (sorted, deduplicated, values dropped or interpolated) with a
   * human-readable note and a code. `series()`/`fromArrays()` are silent without it.
   */
  onWarning?: (message: string, code: SeriesWarningCode) => void;
}

/**
 * Parses one timestamp to epoch milliseconds. Numbers are epoch ms; strings are ISO-8601
 * (`YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS[.fff]]`; a space or `T` between date and time; a string without
 * a zone, or with `Z`, is UTC; a `±HH:MM` offset is honoured). Out-of-range fields (Feb 30, hour 24)
 * and anything else give NaN. `readCsv` reads time fields with the same parser.
 */
export function parseTime(x: TimeInput): number {
  if (typeof x === 'number') return x;
  if (x instanceof Date) return x.getTime();
  if (typeof x !== 'string') return Number.NaN;
  return parseTimeString(x.trim());
}

/**
 * Formats epoch ms as ISO-8601 UTC. Numbers a `Date` cannot hold (non-finite, or beyond ±8.64e15 ms)
 * are printed as numbers, so an error message about them never throws.
 */
export function formatTime(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_TIME_MS ? new Date(ms).toISOString() : `${ms} ms`;
}

/** `''` for an epoch-ms timestamp a `Date` can hold, else what is wrong with it and what to do. */
export function timeRangeProblem(ms: number): string {
  if (Math.abs(ms) <= MAX_TIME_MS) return '';
  const hint =
    Math.abs(ms) <= MAX_TIME_MS * 1e6 ? ' (microseconds or nanoseconds? divide by 1000 or 1e6)' : '';
  return `timestamp ${ms} ms is outside the range a Date can hold (±8.64e15 ms, about ±273,790 years around 1970)${hint}`;
}

/** Epoch-ms timestamps that all lie in [1e8, 1e11) read as epoch seconds from 1973 to 5138. */
const SECONDS_LO = 1e8;
const SECONDS_HI = 1e11;

/**
 * Builds a validated `TimeSeries` from timestamps and values.
 * Throws `SeriesError` with the offending row (0-based index), value or timestamp in the message.
 */
export function series(t: ArrayLike<TimeInput>, v: ArrayLike<number>, opts: SeriesOptions = {}): TimeSeries {
  checkShape(arrayLength('timestamps', t), arrayLength('values', v));
  const n = t.length;
  const tt = new Float64Array(n);
  const vv = new Float64Array(n);
  // a typed array of numbers needs no check; a plain array (or a BigInt64Array) is checked per element
  const typed = isNumericView(v);
  let allNumbers = true;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const x = t[i];
    const ms = parseTime(x);
    if (!Number.isFinite(ms)) throw badTimestamp(`row ${i}`, x);
    if (typeof x !== 'number') allNumbers = false;
    if (ms < lo) lo = ms;
    if (ms > hi) hi = ms;
    tt[i] = ms;
    const y = v[i];
    if (!typed && typeof y !== 'number') throw badValueType(i, y);
    vv[i] = y;
  }
  if (allNumbers && lo >= SECONDS_LO && hi < SECONDS_HI) {
    throw new SeriesError(
      'epoch_seconds',
      `timestamps ${lo} to ${hi} look like epoch seconds (${formatTime(lo * 1000)} to ${formatTime(hi * 1000)}): series() takes epoch milliseconds, so multiply them by 1000 (or pass Date objects if they really are milliseconds in ${formatTime(lo).slice(0, 4)})`,
    );
  }
  return validateSeries(tt, vv, opts, rowIndexName);
}

/**
 * A value as JSON for an error message, never throwing: NaN and ±Infinity by name, also inside arrays
 * and objects (JSON alone writes null, which the caller did not pass); what JSON cannot write (a BigInt,
 * a cycle, undefined) as `String(x)`; cut to `max` characters (with `...`) when given.
 * @internal
 */
export function jsonForMessage(x: unknown, max = Number.POSITIVE_INFINITY): string {
  let s: string;
  try {
    s =
      JSON.stringify(x, (_k, v: unknown) =>
        typeof v === 'number' && !Number.isFinite(v) ? `\u0001${v}\u0001` : v,
      )?.replace(/"\\u0001(NaN|-?Infinity)\\u0001"/g, '$1') ?? String(x);
  } catch {
    s = String(x);
  }
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

/** A value as an error message shows it: strings quoted, anything else readable, never throwing. */
export function showValue(x: unknown): string {
  if (typeof x === 'string') return JSON.stringify(x);
  if (typeof x === 'bigint') return `${x}n`;
  if (x instanceof Date) return Number.isNaN(x.getTime()) ? 'Invalid Date' : x.toISOString();
  if (typeof x === 'object' && x !== null) return Array.isArray(x) ? 'an array' : 'an object';
  if (typeof x === 'function') return 'a function';
  return String(x);
}

/** The error for a value of `series()` that is not a number: names the row, the value and its type. */
function badValueType(i: number, y: unknown): SeriesError {
  if (typeof y === 'string') {
    return new SeriesError(
      'bad_value',
      `value ${JSON.stringify(y)} at row ${i} is a string; values must be numbers: convert them first (Number(x), or readCsv() for a file)`,
    );
  }
  const kind = typeof y === 'object' ? 'an object' : `a ${typeof y}`;
  const what = y === null || y === undefined ? 'is not a number' : `is ${kind}, not a number`;
  return new SeriesError(
    'bad_value',
    `value ${showValue(y)} at row ${i} ${what}; pass numbers (NaN for a missing value, with nonFinite: 'drop' | 'interpolate')`,
  );
}

/**
 * Validates and repairs typed arrays (sort, duplicate resolution, non-finite policy). The input arrays
 * are not modified; the result may share them when nothing needed repair.
 */
export function fromArrays(t: Float64Array, v: Float64Array, opts: SeriesOptions = {}): TimeSeries {
  arrayLength('timestamps', t);
  arrayLength('values', v);
  // JavaScript callers may pass plain arrays: every element must then be a number
  if (!isNumericView(t)) {
    for (let i = 0; i < t.length; i++) {
      if (typeof t[i] !== 'number') {
        throw new SeriesError(
          'bad_timestamp',
          `row ${i}: timestamp ${showValue(t[i])} is not a number; fromArrays() takes epoch ms (use series() for Dates and ISO strings)`,
        );
      }
    }
  }
  if (!isNumericView(v))
    for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'number') throw badValueType(i, v[i]);
  return validateSeries(t, v, opts, rowIndexName);
}

/** A typed array whose elements read as numbers (not a BigInt64Array). */
function isNumericView(x: unknown): boolean {
  return ArrayBuffer.isView(x) && !(x instanceof BigInt64Array || x instanceof BigUint64Array);
}

/** The length of an array-like argument; anything else is a SeriesError. */
function arrayLength(what: string, x: unknown): number {
  const n = (x as { length?: unknown } | null | undefined)?.length;
  if (typeof x === 'string' || typeof n !== 'number') {
    throw new SeriesError(
      'bad_input',
      `${what} must be an array (or typed array), got ${x === null ? 'null' : typeof x}`,
    );
  }
  return n;
}

/** The error for a timestamp that does not parse; `where` names the row or argument. @internal */
export function badTimestamp(where: string, x: unknown): SeriesError {
  return new SeriesError(
    'bad_timestamp',
    `${where}: cannot parse timestamp ${showValue(x)}; use epoch milliseconds, a Date or an ISO-8601 string`,
  );
}

function rowIndexName(i: number): string {
  return `row ${i}`;
}

function checkShape(nt: number, nv: number): void {
  if (nt !== nv) {
    throw new SeriesError(
      'length_mismatch',
      `timestamps and values differ in length (${nt} timestamps, ${nv} values): pass one value per timestamp`,
    );
  }
  if (nt === 0)
    throw new SeriesError('empty', 'the series is empty: pass at least one (timestamp, value) pair');
}

/**
 * The validation core shared by `series()`, `fromArrays()`, `readCsv()` and `loadNab()`.
 * `rowName(i)` names input row `i` (original order) in error messages, e.g. `line 12 of x.csv`.
 *
 * Order: shape → timestamps finite → non-finite values (`error` names the first bad row in input order;
 * `drop` removes them) → stable sort (or `unsorted` error when strict) → duplicates → interpolation of
 * non-finite values (policy `interpolate`, in time, after sorting).
 * @internal
 */
export function validateSeries(
  t: Float64Array,
  v: Float64Array,
  opts: SeriesOptions,
  rowName: (i: number) => string,
): TimeSeries {
  const n = t.length;
  checkShape(n, v.length);
  const warn = opts.onWarning;
  const nonFinite = opts.nonFinite ?? 'error';
  let sorted = true;
  let dup = false;
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const ti = t[i];
    if (!Number.isFinite(ti)) {
      throw new SeriesError(
        'bad_timestamp',
        `${rowName(i)}: timestamp ${ti} is not a finite epoch-ms number; fix or remove that row`,
      );
    }
    if (ti > MAX_TIME_MS || ti < -MAX_TIME_MS) {
      throw new SeriesError(
        'bad_timestamp',
        `${rowName(i)}: ${timeRangeProblem(ti)}; fix or remove that row`,
      );
    }
    if (!Number.isFinite(v[i])) bad++;
    if (i > 0) {
      const tp = t[i - 1];
      if (ti < tp) sorted = false;
      else if (ti === tp) dup = true;
    }
  }
  // Original row index of each kept row; null while it is the identity.
  let orig: Uint32Array | null = null;
  if (bad > 0) {
    if (nonFinite === 'error') {
      let i = 0;
      while (Number.isFinite(v[i])) i++;
      throw new SeriesError(
        'non_finite',
        `${rowName(i)} (${formatTime(t[i])}): value ${v[i]} is not finite; clean the data or pass nonFinite: 'drop' | 'interpolate'`,
      );
    }
    if (bad === n)
      throw new SeriesError('empty', `all ${n} values are NaN or infinite: nothing is left to use`);
    if (nonFinite === 'drop') {
      const m = n - bad;
      const t2 = new Float64Array(m);
      const v2 = new Float64Array(m);
      orig = new Uint32Array(m);
      let k = 0;
      for (let i = 0; i < n; i++) {
        if (Number.isFinite(v[i])) {
          t2[k] = t[i];
          v2[k] = v[i];
          orig[k++] = i;
        }
      }
      t = t2;
      v = v2;
      warn?.(`dropped ${bad} rows with NaN or infinite values`, 'TSAD_NONFINITE');
      bad = 0;
      if (!sorted || dup) {
        sorted = true;
        dup = false;
        for (let i = 1; i < m; i++) {
          if (t[i] < t[i - 1]) sorted = false;
          else if (t[i] === t[i - 1]) dup = true;
        }
      }
    }
  }
  const origOf = (i: number): number => (orig ? orig[i] : i);
  if (!sorted) {
    const m = t.length;
    let i = 1;
    while (t[i] >= t[i - 1]) i++;
    if (opts.strict) {
      throw new SeriesError(
        'unsorted',
        `${rowName(origOf(i))}: timestamp ${formatTime(t[i])} comes before the previous row's ${formatTime(t[i - 1])}; sort the input or drop strict: true`,
      );
    }
    const order = stableOrder(t);
    const t2 = new Float64Array(m);
    const v2 = new Float64Array(m);
    const o2 = new Uint32Array(m);
    for (let k = 0; k < m; k++) {
      const j = order[k];
      t2[k] = t[j];
      v2[k] = v[j];
      o2[k] = origOf(j);
    }
    warn?.(
      `input was not sorted by time (first at ${rowName(origOf(i))}, ${formatTime(t[i])} after ${formatTime(t[i - 1])}); sorted ${m} rows (stable)`,
      'TSAD_UNSORTED',
    );
    t = t2;
    v = v2;
    orig = o2;
    dup = false;
    for (let k = 1; k < m; k++) {
      if (t[k] === t[k - 1]) {
        dup = true;
        break;
      }
    }
  }
  if (dup) {
    const r = resolveDuplicates(t, v, orig, opts.duplicates ?? 'error', warn, rowName);
    t = r.t;
    v = r.v;
  }
  if (bad > 0) v = interpolateNonFinite(t, v, warn);
  return { t, v };
}

/**
 * Stable ascending order of `t` (ties keep input order). Nearly sorted input (a clock stepping back
 * once, say) is ordered by insertion sort in O(n + inversions); anything messier by a full sort.
 */
function stableOrder(t: Float64Array): Uint32Array {
  const m = t.length;
  const idx = new Uint32Array(m);
  for (let i = 0; i < m; i++) idx[i] = i;
  let budget = 8 * m + 1024;
  for (let i = 1; i < m; i++) {
    const x = idx[i];
    const tx = t[x];
    let j = i - 1;
    while (j >= 0 && t[idx[j]] > tx) {
      idx[j + 1] = idx[j];
      j--;
      if (--budget < 0) {
        for (let k = 0; k < m; k++) idx[k] = k;
        return idx.sort((a, b) => t[a] - t[b] || a - b);
      }
    }
    idx[j + 1] = x;
  }
  return idx;
}

function resolveDuplicates(
  t: Float64Array,
  v: Float64Array,
  orig: Uint32Array | null,
  policy: DuplicatePolicy,
  warn: SeriesOptions['onWarning'],
  rowName: (i: number) => string,
): TimeSeries {
  const n = t.length;
  const origOf = (i: number): number => (orig ? orig[i] : i);
  if (policy === 'error') {
    let i = 1;
    while (t[i] !== t[i - 1]) i++;
    throw new SeriesError(
      'duplicate_timestamp',
      `${rowName(origOf(i - 1))} and ${rowName(origOf(i))} share timestamp ${formatTime(t[i])}; pass duplicates: 'first' | 'last' | 'max' | 'mean' to keep one value`,
    );
  }
  const to = new Float64Array(n);
  const vo = new Float64Array(n);
  let m = 0;
  let removed = 0;
  let groups = 0;
  let firstDup = -1;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && t[j] === t[i]) j++;
    let val: number;
    if (j - i === 1) val = v[i];
    else {
      if (firstDup < 0) firstDup = i;
      groups++;
      removed += j - i - 1;
      val = aggregateGroup(v, i, j, policy);
    }
    to[m] = t[i];
    vo[m] = val;
    m++;
    i = j;
  }
  warn?.(
    `${removed} rows repeated an earlier timestamp (${groups} timestamps; first ${formatTime(t[firstDup])} at ${rowName(origOf(firstDup))}); kept one value per timestamp by '${policy}'`,
    'TSAD_DUPLICATES',
  );
  return { t: to.slice(0, m), v: vo.slice(0, m) };
}

/** Aggregates v[i..j) by a duplicate policy; non-finite values are ignored unless all are non-finite. */
function aggregateGroup(v: Float64Array, i: number, j: number, policy: DuplicatePolicy): number {
  if (policy === 'first' || policy === 'last') {
    if (policy === 'first') {
      for (let k = i; k < j; k++) if (Number.isFinite(v[k])) return v[k];
    } else {
      for (let k = j - 1; k >= i; k--) if (Number.isFinite(v[k])) return v[k];
    }
    return Number.NaN;
  }
  let acc = policy === 'max' ? Number.NEGATIVE_INFINITY : 0;
  let c = 0;
  for (let k = i; k < j; k++) {
    const x = v[k];
    if (!Number.isFinite(x)) continue;
    c++;
    if (policy === 'max') {
      if (x > acc) acc = x;
    } else acc += x;
  }
  if (c === 0) return Number.NaN;
  return policy === 'max' ? acc : acc / c;
}

/** Linear interpolation in time between finite neighbours; the nearest value is held at the ends. */
function interpolateNonFinite(
  t: Float64Array,
  v: Float64Array,
  warn: SeriesOptions['onWarning'],
): Float64Array {
  const n = t.length;
  const vo = Float64Array.from(v);
  let prev = -1;
  let filled = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(vo[i])) continue;
    if (prev + 1 < i) {
      for (let k = prev + 1; k < i; k++) {
        vo[k] = prev < 0 ? vo[i] : vo[prev] + ((vo[i] - vo[prev]) * (t[k] - t[prev])) / (t[i] - t[prev]);
        filled++;
      }
    }
    prev = i;
  }
  for (let k = prev + 1; k < n; k++) {
    vo[k] = vo[prev];
    filled++;
  }
  if (filled > 0) warn?.(`interpolated ${filled} NaN or infinite values linearly in time`, 'TSAD_NONFINITE');
  return vo;
}

/** Number of points. */
export function length(ts: TimeSeries): number {
  return ts.t.length;
}
