/**
 * Values a run logs: param stringification, flattening and the immutability rule; the dataset
 * digest; run ids, default names and system tags; MLflow's "latest metric" order.
 */

import { createHash, randomUUID } from 'node:crypto';
import { endianness, userInfo } from 'node:os';
import { basename } from 'node:path';
import type { TimeSeries } from '../series/types.js';
import { type DatasetInput, type MetricPoint, type Param, ParamConflictError } from './tracker.js';
import { CONTROL_RE, invalid, LIMITS, validateTagValue } from './validate.js';

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/**
 * Stringifies a param value: numbers as JS prints them (NaN, Infinity included), null as 'null'. This
 * is the stored text (what MLflow and the other stores keep), so arrays and objects are plain JSON (a NaN
 * inside one is `null`); messages show values with `jsonForMessage` instead.
 */
export function paramToString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value === null) return 'null';
  if (value instanceof Date) return value.toISOString();
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return JSON.stringify(Array.from(value as unknown as ArrayLike<number>));
  }
  return JSON.stringify(value) ?? String(value);
}

export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/**
 * Flattens a config into params: nested plain objects become dotted keys (`a.b.c`),
 * arrays and other values are stringified with `paramToString`, `undefined` is skipped,
 * an empty nested object becomes `'{}'`.
 */
export function flattenParams(obj: Readonly<Record<string, unknown>>, prefix = ''): Param[] {
  const out: Param[] = [];
  const walk = (o: Readonly<Record<string, unknown>>, pre: string): void => {
    for (const [k, v] of Object.entries(o)) {
      if (v === undefined || typeof v === 'function') continue;
      const key = pre ? `${pre}.${k}` : k;
      if (isPlainObject(v)) {
        if (Object.keys(v).length === 0) out.push({ key, value: '{}' });
        else walk(v, key);
      } else {
        out.push({ key, value: paramToString(v) });
      }
    }
  };
  walk(obj, prefix);
  return out;
}

/**
 * The immutability rule: returns the params of `incoming` not yet in `existing`; throws
 * ParamConflictError if one has a different value (re-logging the same value is allowed).
 */
export function newParams(
  runId: string,
  existing: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
  incoming: readonly Param[],
): Param[] {
  const get =
    existing instanceof Map
      ? (k: string) => existing.get(k)
      : (k: string) =>
          Object.hasOwn(existing, k) ? (existing as Readonly<Record<string, string>>)[k] : undefined;
  const seen = new Map<string, string>();
  const out: Param[] = [];
  for (const p of incoming) {
    const old = get(p.key) ?? seen.get(p.key);
    if (old !== undefined) {
      if (old !== p.value) throw new ParamConflictError(runId, p.key, old, p.value);
      continue;
    }
    seen.set(p.key, p.value);
    out.push(p);
  }
  return out;
}

/** Hex sha256 of the float64 little-endian bytes of all timestamps followed by all values. */
export function datasetDigest(ts: TimeSeries): string {
  const h = createHash('sha256');
  if (endianness() === 'LE') {
    h.update(new Uint8Array(ts.t.buffer, ts.t.byteOffset, ts.t.byteLength));
    h.update(new Uint8Array(ts.v.buffer, ts.v.byteOffset, ts.v.byteLength));
  } else {
    for (const arr of [ts.t, ts.v]) {
      const buf = new DataView(new ArrayBuffer(arr.length * 8));
      for (let i = 0; i < arr.length; i++) buf.setFloat64(i * 8, arr[i], true);
      h.update(new Uint8Array(buf.buffer));
    }
  }
  return h.digest('hex');
}

export function datasetInput(
  ts: TimeSeries,
  opts: { name: string; context?: string; source?: string },
): DatasetInput {
  if (ts.t.length !== ts.v.length) {
    throw invalid(
      'invalid_dataset',
      `dataset "${opts.name}": ${ts.t.length} timestamps but ${ts.v.length} values`,
    );
  }
  const n = ts.t.length;
  const input: DatasetInput = {
    name: validateDatasetName(opts.name),
    digest: datasetDigest(ts),
    rows: n,
    startTime: n > 0 ? ts.t[0] : null,
    endTime: n > 0 ? ts.t[n - 1] : null,
    context: validateTagValue('dataset context', opts.context ?? 'training'),
    ...(opts.source !== undefined ? { source: validateTagValue('dataset source', opts.source) } : {}),
  };
  return input;
}

function validateDatasetName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 500 || CONTROL_RE.test(name)) {
    throw invalid('invalid_name', `dataset name must be a non-empty string without control characters`);
  }
  return name;
}

export function validateDatasetInput(d: DatasetInput): DatasetInput {
  validateDatasetName(d.name);
  if (typeof d.digest !== 'string' || !/^[0-9a-fA-F]{1,128}$/.test(d.digest)) {
    throw invalid('invalid_dataset', `dataset "${d.name}" digest must be hex`);
  }
  if (!Number.isSafeInteger(d.rows) || d.rows < 0) {
    throw invalid('invalid_dataset', `dataset "${d.name}" rows must be a non-negative integer`);
  }
  validateTagValue('dataset context', d.context);
  if (d.source !== undefined) validateTagValue('dataset source', d.source);
  return d;
}

export function newRunId(): string {
  return randomUUID().replace(/-/g, '');
}

export function defaultRunName(runId: string): string {
  return `run-${runId.slice(0, 8)}`;
}

/** MLflow's standard system tags, filled in for every new run. */
export function systemTags(): Record<string, string> {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? 'unknown';
  }
  const script = process.argv[1];
  return {
    'mlflow.user': user,
    'mlflow.source.name': script ? basename(script) : 'node',
    'mlflow.source.type': 'LOCAL',
  };
}

/** Error text for the `tsad.error` tag of a failed run. */
export function describeError(err: unknown): string {
  const text =
    err instanceof Error
      ? `${err.name}: ${err.message}${err.stack ? `\n${err.stack.split('\n').slice(1, 6).join('\n')}` : ''}`
      : String(err);
  return text.split('\u0000').join('').slice(0, LIMITS.tagValueLength);
}

// ---------------------------------------------------------------------------------------------
// Metrics helpers
// ---------------------------------------------------------------------------------------------

/** MLflow's "latest" rule: higher step wins, then later timestamp, then larger value (NaN lowest). */
export function isLater(a: MetricPoint, b: MetricPoint): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  const av = Number.isNaN(a.value) ? Number.NEGATIVE_INFINITY : a.value;
  const bv = Number.isNaN(b.value) ? Number.NEGATIVE_INFINITY : b.value;
  return av > bv;
}

/** Sorts a history by step, then timestamp (stable, so logging order breaks ties). */
export function sortHistory(points: MetricPoint[]): MetricPoint[] {
  return points.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
}

/** A stored experiment id: the first 16 hex digits of sha256(name), so creators agree without a lock. */
export function experimentIdFor(name: string): string {
  return createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 16);
}

/**
 * A run's name as the stores read it back: its `mlflow.runName` tag when set, as an MLflow server
 * renames a run whose tag is set later, else the name stored when it was created (runs the local,
 * memory and SQL stores recorded before audit43 have no such tag).
 */
export function runNameOf(stored: string, tag: string | undefined): string {
  return typeof tag === 'string' && tag !== '' ? tag : stored;
}
