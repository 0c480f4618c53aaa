import { SeriesError } from '../errors.js';
import { inferGranularity } from './ops.js';
import { formatTime } from './series.js';
import type { TimeSeries } from './types.js';

/** How the values falling into one bin are combined. */
export type Aggregate = 'mean' | 'max' | 'min' | 'first' | 'last' | 'sum';
/** How empty bins are filled. `'none'` leaves them out of the result. */
export type FillPolicy = 'interpolate' | 'ffill' | 'bfill' | 'none';

const AGGREGATES: readonly Aggregate[] = ['mean', 'max', 'min', 'first', 'last', 'sum'];
const FILLS: readonly FillPolicy[] = ['interpolate', 'ffill', 'bfill', 'none'];

export interface ResampleOptions {
  /** Bin width in ms. Default: `inferGranularity(ts.t)`. */
  granularityMs?: number;
  /**
   * A point of the grid (epoch ms). Default `gridOrigin(ts.t, granularityMs)`, which puts the last
   * timestamp on the grid (Merlion's trained origin). Pass the origin computed on training data to
   * resample test data onto the same grid.
   */
  originMs?: number;
  /** Default `'mean'` (Merlion's default aggregation policy). */
  aggregate?: Aggregate;
  /** Default `'interpolate'` (linear in time, Merlion's default missing-value policy). */
  fill?: FillPolicy;
  /**
   * Most bins the result may have (default 50,000,000, about 850 MB of output arrays). A larger grid
   * is a `SeriesError` before anything is allocated: pass a coarser `granularityMs`, or a larger limit.
   */
  maxBins?: number;
}

/** Default of `ResampleOptions.maxBins`. */
export const DEFAULT_MAX_BINS = 50_000_000;

/** Merlion's trained origin: `t0 + ((tf − t0) mod g)`, so that the last timestamp lies on the grid. */
export function gridOrigin(t: ArrayLike<number>, granularityMs: number): number {
  checkStep(granularityMs, 'granularityMs');
  if (t.length === 0) throw new SeriesError('empty', 'cannot place a grid on an empty series');
  const t0 = t[0];
  const tf = t[t.length - 1];
  return t0 + ((tf - t0) % granularityMs);
}

function checkStep(g: number, name: string): void {
  if (!(Number.isFinite(g) && g > 0)) {
    throw new SeriesError('bad_granularity', `${name} must be a positive finite number of ms, got ${g}`);
  }
}

function checkAggregate(a: string): asserts a is Aggregate {
  if (!AGGREGATES.includes(a as Aggregate)) {
    throw new SeriesError(
      'bad_option',
      `aggregate ${JSON.stringify(a)} is not one of ${AGGREGATES.join(', ')}`,
    );
  }
}

/**
 * Resamples onto a regular grid, following Merlion's `TemporalResample`: right-closed, right-labelled
 * bins `(origin + (k−1)g, origin + kg]`, one aggregate per bin, empty bins filled (linear in time by
 * default), bin labels kept only between the first and the last input timestamp (inclusive), then
 * any remaining gap forward- and back-filled. On a regular series whose points lie on the grid this
 * is the identity. The input must be a valid `TimeSeries` (strictly increasing `t`).
 */
export function resample(ts: TimeSeries, opts: ResampleOptions = {}): TimeSeries {
  const { t, v } = ts;
  const n = t.length;
  if (n === 0) throw new SeriesError('empty', 'cannot resample an empty series');
  if (n !== v.length) {
    throw new SeriesError('length_mismatch', `t has ${n} points but v has ${v.length}`);
  }
  const g = opts.granularityMs ?? inferGranularity(t);
  checkStep(g, 'granularityMs');
  const aggregate = opts.aggregate ?? 'mean';
  checkAggregate(aggregate);
  const fill = opts.fill ?? 'interpolate';
  if (!FILLS.includes(fill)) {
    throw new SeriesError('bad_option', `fill ${JSON.stringify(fill)} is not one of ${FILLS.join(', ')}`);
  }
  const origin = opts.originMs ?? gridOrigin(t, g);
  if (!Number.isFinite(origin)) throw new SeriesError('bad_option', `originMs must be finite, got ${origin}`);
  const t0 = t[0];
  const tf = t[n - 1];
  const kFirst = ceilBin(t0, origin, g);
  let kLast = Math.floor((tf - origin) / g);
  if (origin + kLast * g > tf) kLast--;
  else if (origin + (kLast + 1) * g <= tf) kLast++;
  const m = kLast - kFirst + 1;
  if (m <= 0) return { t: new Float64Array(0), v: new Float64Array(0) };
  const maxBins = opts.maxBins ?? DEFAULT_MAX_BINS;
  if (!(m <= maxBins)) {
    throw new SeriesError(
      'too_many_bins',
      `resampling ${formatTime(t0)} to ${formatTime(tf)} at granularityMs ${g} gives ${m} bins, more than maxBins ${maxBins}; pass a coarser granularityMs (at least ${Math.ceil((tf - t0) / maxBins)} ms) or raise maxBins`,
    );
  }
  let out: Float64Array;
  let tOut: Float64Array;
  let has: Uint8Array;
  try {
    out = new Float64Array(m);
    tOut = new Float64Array(m);
    has = new Uint8Array(m);
  } catch (err) {
    throw new SeriesError(
      'too_many_bins',
      `cannot allocate ${m} bins (${(err as Error).message}); pass a coarser granularityMs or a smaller maxBins`,
      { cause: err },
    );
  }
  const isMean = aggregate === 'mean';
  const isSum = aggregate === 'sum';
  const isMax = aggregate === 'max';
  const isMin = aggregate === 'min';
  const isLast = aggregate === 'last';
  let filled = 0;
  // Walk the (sorted) points bin by bin; a division only when a point leaves the current bin.
  let i = 0;
  let k = kFirst - 1;
  let hi = origin + k * g;
  while (i < n) {
    const ti = t[i];
    // the next point usually falls in the next bin: avoid the division then
    const next = origin + (k + 1) * g;
    if (ti <= next) {
      k++;
      hi = next;
    } else {
      k = ceilBin(ti, origin, g);
      hi = origin + k * g;
    }
    if (k > kLast) break; // t[i] lies in the bin just after the last kept label
    let acc = v[i];
    let c = 1;
    i++;
    while (i < n && t[i] <= hi) {
      const x = v[i];
      if (isMean || isSum) acc += x;
      else if (isMax) {
        if (x > acc) acc = x;
      } else if (isMin) {
        if (x < acc) acc = x;
      } else if (isLast) acc = x;
      c++;
      i++;
    }
    const j = k - kFirst;
    out[j] = isMean ? acc / c : acc;
    tOut[j] = hi;
    has[j] = 1;
    filled++;
  }
  if (filled === m) return { t: tOut, v: out };
  for (let j = 0; j < m; j++) if (!has[j]) tOut[j] = origin + (kFirst + j) * g;
  // Merlion fills before trimming: the (dropped) bin after the last label still anchors the fill.
  const anchor = i < n ? aggregateBin(t, v, i, origin + (kLast + 1) * g, aggregate) : Number.NaN;
  if (fill === 'none') {
    const tt = new Float64Array(filled);
    const vv = new Float64Array(filled);
    let q = 0;
    for (let j = 0; j < m; j++) {
      if (has[j]) {
        tt[q] = tOut[j];
        vv[q++] = out[j];
      }
    }
    return { t: tt, v: vv };
  }
  fillGaps(out, has, fill, anchor);
  return { t: tOut, v: out };
}

/** Aggregate of the points from index i with t <= hi (i must be in that bin). */
function aggregateBin(t: Float64Array, v: Float64Array, i: number, hi: number, aggregate: Aggregate): number {
  const n = t.length;
  let acc = v[i];
  let c = 1;
  for (let p = i + 1; p < n && t[p] <= hi; p++) {
    const x = v[p];
    if (aggregate === 'mean' || aggregate === 'sum') acc += x;
    else if (aggregate === 'max') acc = Math.max(acc, x);
    else if (aggregate === 'min') acc = Math.min(acc, x);
    else if (aggregate === 'last') acc = x;
    c++;
  }
  return aggregate === 'mean' ? acc / c : acc;
}

/** Smallest k with origin + k·g ≥ x (so that x lies in the right-closed bin labelled origin + k·g). */
function ceilBin(x: number, origin: number, g: number): number {
  let k = Math.ceil((x - origin) / g);
  if (origin + (k - 1) * g >= x) k--;
  else if (origin + k * g < x) k++;
  return k;
}

/**
 * Fills empty slots of an evenly spaced grid in place. `anchor` (NaN if none) is the value of the slot
 * just after the grid (index m); leftovers at the ends are held (ffill, then bfill).
 */
function fillGaps(
  out: Float64Array,
  has: Uint8Array,
  fill: Exclude<FillPolicy, 'none'>,
  anchor: number,
): void {
  const m = out.length;
  let prev = -1;
  for (let j = 0; j < m; j++) {
    if (!has[j]) continue;
    if (prev + 1 < j && prev >= 0) {
      const a = out[prev];
      const b = out[j];
      const span = j - prev;
      for (let q = prev + 1; q < j; q++) {
        out[q] = fill === 'interpolate' ? a + ((b - a) * (q - prev)) / span : fill === 'ffill' ? a : b;
      }
    }
    prev = j;
  }
  let first = 0;
  while (!has[first]) first++;
  for (let q = 0; q < first; q++) out[q] = out[first];
  const a = out[prev];
  const span = m - prev;
  for (let q = prev + 1; q < m; q++) {
    if (Number.isNaN(anchor) || fill === 'ffill') out[q] = a;
    else out[q] = fill === 'interpolate' ? a + ((anchor - a) * (q - prev)) / span : anchor;
  }
}

/** Raw rows in any order, possibly with repeated timestamps (like a SQL table). */
export interface Rows {
  readonly t: ArrayLike<number>;
  readonly v: ArrayLike<number>;
}

export interface DateBinOptions {
  /** Bin width in ms, e.g. `5 * 60_000` for `DATE_BIN('5 min', ts, 0)`. */
  everyMs: number;
  aggregate: Aggregate;
  /** A bin boundary (epoch ms). Default 0 (the Unix epoch), as in `DATE_BIN(..., 0)`. */
  originMs?: number;
}

/**
 * Row indices sorted by bin, ties in row order (a stable sort). Bin `i` is `origin + k[i]·g`; when
 * that arithmetic is exact (integer step and origin, safe-integer range: then distinct bin numbers
 * are distinct bins, in the same order) and every (bin number, row) pair fits one exact integer
 * key, the keys sort natively without a comparator (several times faster; the same order), and when
 * the bins span at most about four times as many bin numbers as there are rows, a counting sort by bin
 * number gives that order without sorting at all (22,695 machine-temperature rows with one out of
 * order: ≈ 1 ms instead of 10–15 ms for the native sort, which V8 runs on boxed numbers).
 */
function stableBinOrder(bin: Float64Array, k: Float64Array, origin: number, g: number): Uint32Array {
  const n = bin.length;
  const order = new Uint32Array(n);
  let kMin = Number.POSITIVE_INFINITY;
  let kMax = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    if (k[i] < kMin) kMin = k[i];
    if (k[i] > kMax) kMax = k[i];
  }
  const safe = (x: number) => Math.abs(x) <= Number.MAX_SAFE_INTEGER;
  if (
    Number.isInteger(g) &&
    Number.isInteger(origin) &&
    safe(origin) &&
    safe(kMin * g) &&
    safe(kMax * g) &&
    safe(origin + kMin * g) &&
    safe(origin + kMax * g) &&
    (kMax - kMin + 1) * n <= Number.MAX_SAFE_INTEGER
  ) {
    const range = kMax - kMin + 1;
    if (range <= 4 * n + 1024) {
      // few bins for the rows (the usual case: a time series with a few rows out of order): a counting
      // sort by bin number, stable by construction, O(n + bins), no comparisons
      const start = new Uint32Array(range + 1);
      for (let i = 0; i < n; i++) start[k[i] - kMin + 1]++;
      for (let j = 1; j <= range; j++) start[j] += start[j - 1];
      for (let i = 0; i < n; i++) order[start[k[i] - kMin]++] = i;
      return order;
    }
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = (k[i] - kMin) * n + i;
    keys.sort();
    for (let i = 0; i < n; i++) order[i] = keys[i] % n;
    return order;
  }
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort((a, b) => bin[a] - bin[b] || a - b);
}

/**
 * SQL `DATE_BIN(every, t, origin)` + `GROUP BY` + aggregate: each row goes to the left-closed bin
 * `[origin + k·every, origin + (k+1)·every)` labelled by its start; only non-empty bins appear, in
 * time order. Rows may come in any order and repeat timestamps; `'first'`/`'last'` mean input order
 * within a bin. Timestamps and values must be finite (`SeriesError` names the row otherwise).
 */
export function dateBin(rows: Rows, opts: DateBinOptions): TimeSeries {
  const { t, v } = rows;
  const n = t.length;
  if (n !== v.length) {
    throw new SeriesError(
      'length_mismatch',
      `timestamps and values differ in length (${n} timestamps, ${v.length} values): pass one value per timestamp`,
    );
  }
  if (n === 0) throw new SeriesError('empty', 'no rows to bin: pass at least one (timestamp, value) pair');
  const g = opts.everyMs;
  checkStep(g, 'everyMs');
  const aggregate = opts.aggregate;
  checkAggregate(aggregate);
  const origin = opts.originMs ?? 0;
  if (!Number.isFinite(origin)) throw new SeriesError('bad_option', `originMs must be finite, got ${origin}`);
  const bin = new Float64Array(n);
  const binNo = new Float64Array(n);
  let monotone = true;
  for (let i = 0; i < n; i++) {
    const ti = t[i];
    if (!Number.isFinite(ti)) {
      throw new SeriesError('bad_timestamp', `row ${i}: timestamp ${ti} is not a finite epoch-ms number`);
    }
    if (!Number.isFinite(v[i])) {
      throw new SeriesError(
        'non_finite',
        `row ${i} (${formatTime(ti)}): value ${v[i]} is not finite; clean the rows first (e.g. series(..., { nonFinite }))`,
      );
    }
    let k = Math.floor((ti - origin) / g);
    if (origin + k * g > ti) k--;
    else if (origin + (k + 1) * g <= ti) k++;
    const b = origin + k * g;
    bin[i] = b;
    binNo[i] = k;
    if (i > 0 && b < bin[i - 1]) monotone = false;
  }
  let order: Uint32Array | null = null;
  if (!monotone) order = stableBinOrder(bin, binNo, origin, g);
  const to = new Float64Array(n);
  const vo = new Float64Array(n);
  let m = 0;
  let p = 0;
  while (p < n) {
    const i0 = order ? order[p] : p;
    const b = bin[i0];
    let acc = v[i0];
    let c = 1;
    p++;
    while (p < n) {
      const i = order ? order[p] : p;
      if (bin[i] !== b) break;
      const x = v[i];
      if (aggregate === 'mean' || aggregate === 'sum') acc += x;
      else if (aggregate === 'max') {
        if (x > acc) acc = x;
      } else if (aggregate === 'min') {
        if (x < acc) acc = x;
      } else if (aggregate === 'last') acc = x;
      c++;
      p++;
    }
    to[m] = b;
    vo[m++] = aggregate === 'mean' ? acc / c : acc;
  }
  return { t: to.slice(0, m), v: vo.slice(0, m) };
}
