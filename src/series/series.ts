import { SeriesError } from '../errors.js';
import type { DuplicatePolicy, NonFinitePolicy, TimeInput, TimeSeries } from './types.js';

export interface SeriesOptions {
  /** What to do with NaN / ±Infinity values. Default `'error'`. */
  nonFinite?: NonFinitePolicy;
  /** What to do with repeated timestamps. Default `'error'`. */
  duplicates?: DuplicatePolicy;
  /** Unsorted input is sorted (stable) unless `strict` is true, in which case it is an error. */
  strict?: boolean;
  /** Called once with a human-readable note when input was repaired (sorted, deduplicated, values dropped). */
  onWarning?: (message: string) => void;
}

const ISO_NO_ZONE = /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?$/;

/**
 * Parses one timestamp to epoch milliseconds. Numbers are epoch ms; strings are ISO-8601
 * (a space may separate date and time; a string without a zone is UTC). Returns NaN if unparseable.
 */
export function parseTime(x: TimeInput): number {
  if (typeof x === 'number') return x;
  if (x instanceof Date) return x.getTime();
  if (typeof x !== 'string') return Number.NaN;
  const s = x.trim();
  if (ISO_NO_ZONE.test(s)) {
    const iso = s.length === 10 ? `${s}T00:00:00Z` : `${s.replace(' ', 'T')}Z`;
    return Date.parse(iso);
  }
  if (/^\d{4}-\d{2}-\d{2}[ T]/.test(s)) return Date.parse(s.replace(' ', 'T'));
  return Number.NaN;
}

export function formatTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}

/**
 * Builds a validated `TimeSeries` from timestamps and values.
 * Throws `SeriesError` with the offending row, value or timestamp in the message.
 */
export function series(t: ArrayLike<TimeInput>, v: ArrayLike<number>, opts: SeriesOptions = {}): TimeSeries {
  const n = t.length;
  if (n !== v.length) {
    throw new SeriesError(
      'length_mismatch',
      `timestamps and values differ in length (${n} timestamps, ${v.length} values): pass one value per timestamp`,
    );
  }
  if (n === 0)
    throw new SeriesError('empty', 'the series is empty: pass at least one (timestamp, value) pair');
  const tt = new Float64Array(n);
  const vv = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ms = parseTime(t[i]);
    if (!Number.isFinite(ms)) {
      throw new SeriesError(
        'bad_timestamp',
        `row ${i}: cannot parse timestamp ${JSON.stringify(t[i])}; use epoch milliseconds, a Date or an ISO-8601 string`,
      );
    }
    tt[i] = ms;
    vv[i] = v[i];
  }
  return fromArrays(tt, vv, opts);
}

/**
 * Validates and repairs typed arrays in place order (the arrays may be reused by the result):
 * sorting, duplicate resolution and the non-finite policy, in that order.
 */
export function fromArrays(t: Float64Array, v: Float64Array, opts: SeriesOptions = {}): TimeSeries {
  const n = t.length;
  if (n !== v.length) {
    throw new SeriesError(
      'length_mismatch',
      `timestamps and values differ in length (${n} timestamps, ${v.length} values): pass one value per timestamp`,
    );
  }
  if (n === 0)
    throw new SeriesError('empty', 'the series is empty: pass at least one (timestamp, value) pair');
  const warn = opts.onWarning;
  let sorted = true;
  let dup = false;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(t[i])) {
      throw new SeriesError('bad_timestamp', `row ${i}: timestamp ${t[i]} is not a finite epoch-ms number`);
    }
    if (i > 0) {
      if (t[i] < t[i - 1]) sorted = false;
      else if (t[i] === t[i - 1]) dup = true;
    }
  }
  if (!sorted) {
    if (opts.strict) {
      let i = 1;
      while (t[i] >= t[i - 1]) i++;
      throw new SeriesError(
        'unsorted',
        `row ${i}: timestamp ${formatTime(t[i])} comes before the previous row's ${formatTime(t[i - 1])}; sort the input or drop strict: true`,
      );
    }
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    // Stable sort: equal timestamps keep file order, so 'first' / 'last' mean what they say.
    const order = Array.from(idx).sort((a, b) => t[a] - t[b] || a - b);
    const t2 = new Float64Array(n);
    const v2 = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      t2[i] = t[order[i]];
      v2[i] = v[order[i]];
    }
    t = t2;
    v = v2;
    warn?.(`input was not sorted by time; sorted ${n} rows`);
    dup = false;
    for (let i = 1; i < n; i++) if (t[i] === t[i - 1]) dup = true;
  }
  if (dup) ({ t, v } = resolveDuplicates(t, v, opts.duplicates ?? 'error', warn));
  return applyNonFinite(t, v, opts.nonFinite ?? 'error', warn);
}

function resolveDuplicates(
  t: Float64Array,
  v: Float64Array,
  policy: DuplicatePolicy,
  warn: ((m: string) => void) | undefined,
): TimeSeries {
  const n = t.length;
  if (policy === 'error') {
    let i = 1;
    while (t[i] !== t[i - 1]) i++;
    throw new SeriesError(
      'duplicate_timestamp',
      `rows ${i - 1} and ${i} (after sorting) share timestamp ${formatTime(t[i])}; choose duplicates: 'first' | 'last' | 'max' | 'mean'`,
    );
  }
  const to = new Float64Array(n);
  const vo = new Float64Array(n);
  let m = 0;
  let removed = 0;
  let firstDup = Number.NaN;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && t[j] === t[i]) j++;
    let val: number;
    if (j - i === 1) val = v[i];
    else {
      if (Number.isNaN(firstDup)) firstDup = t[i];
      removed += j - i - 1;
      if (policy === 'first') val = v[i];
      else if (policy === 'last') val = v[j - 1];
      else if (policy === 'max') {
        val = v[i];
        for (let k = i + 1; k < j; k++) if (v[k] > val) val = v[k];
      } else {
        let s = 0;
        for (let k = i; k < j; k++) s += v[k];
        val = s / (j - i);
      }
    }
    to[m] = t[i];
    vo[m] = val;
    m++;
    i = j;
  }
  warn?.(
    `${removed} rows repeated an earlier timestamp (first at ${formatTime(firstDup)}); kept one value per timestamp by '${policy}'`,
  );
  return { t: to.slice(0, m), v: vo.slice(0, m) };
}

function applyNonFinite(
  t: Float64Array,
  v: Float64Array,
  policy: NonFinitePolicy,
  warn: ((m: string) => void) | undefined,
): TimeSeries {
  const n = t.length;
  let bad = 0;
  for (let i = 0; i < n; i++) if (!Number.isFinite(v[i])) bad++;
  if (bad === 0) return { t, v };
  if (policy === 'error') {
    let i = 0;
    while (Number.isFinite(v[i])) i++;
    throw new SeriesError(
      'non_finite',
      `row ${i} (${formatTime(t[i])}): value ${v[i]} is not finite; clean the data or pass nonFinite: 'drop' | 'interpolate'`,
    );
  }
  if (bad === n)
    throw new SeriesError('empty', `all ${n} values are NaN or infinite: nothing is left to use`);
  if (policy === 'drop') {
    const to = new Float64Array(n - bad);
    const vo = new Float64Array(n - bad);
    let m = 0;
    for (let i = 0; i < n; i++) {
      if (Number.isFinite(v[i])) {
        to[m] = t[i];
        vo[m++] = v[i];
      }
    }
    warn?.(`dropped ${bad} rows with NaN or infinite values`);
    return { t: to, v: vo };
  }
  // interpolate linearly in time between finite neighbours; hold the nearest value at the ends
  const vo = Float64Array.from(v);
  let prev = -1;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(vo[i])) continue;
    if (prev + 1 < i) {
      for (let k = prev + 1; k < i; k++) {
        vo[k] = prev < 0 ? vo[i] : vo[prev] + ((vo[i] - vo[prev]) * (t[k] - t[prev])) / (t[i] - t[prev]);
      }
    }
    prev = i;
  }
  for (let k = prev + 1; k < n; k++) vo[k] = vo[prev];
  warn?.(`interpolated ${bad} NaN or infinite values`);
  return { t, v: vo };
}

/** Number of points. */
export function length(ts: TimeSeries): number {
  return ts.t.length;
}
