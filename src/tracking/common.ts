/**
 * Shared rules for every tracking backend: validation of keys, names, values and
 * artifact paths; param flattening and immutability; the dataset digest; MLflow-style
 * filter/orderBy parsing and an in-memory evaluator; model URIs and the injected model
 * loader; and `BaseRun` / `BaseTracker`, which implement the run lifecycle once.
 */
import { createHash, randomUUID } from 'node:crypto';
import { endianness, userInfo } from 'node:os';
import { basename } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { TrackingError } from '../errors.js';
import type { TimeSeries } from '../series/types.js';
import {
  type ArtifactInfo,
  type ArtifactSource,
  type DatasetInput,
  type Experiment,
  type FilterClause,
  type FilterOp,
  type LogBatch,
  type LoggableModel,
  type MetricOptions,
  type MetricPoint,
  type ModelVersion,
  type NormalizedQuery,
  type OrderBy,
  type Param,
  ParamConflictError,
  type ParamValue,
  type RegisteredModel,
  type Run,
  type RunAttribute,
  RunNotActiveError,
  type RunOptions,
  type RunRecord,
  type RunStatus,
  type SearchEntity,
  type SearchRunsQuery,
  type Tag,
  type Tracker,
  TrackingNotFoundError,
  TrackingValidationError,
  UnsafePathError,
} from './tracker.js';

// ---------------------------------------------------------------------------------------------
// Limits (MLflow 2.x server limits, so every backend accepts exactly what MLflow accepts)
// ---------------------------------------------------------------------------------------------

export const LIMITS = {
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  runNameLength: 250,
  experimentNameLength: 500,
  modelNameLength: 250,
  aliasLength: 255,
  artifactPathLength: 1024,
  artifactSegmentLength: 255,
} as const;

const KEY_RE = /^[A-Za-z0-9_\-. /:]+$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL_RE = /[\u0000-\u001f\u007f]/;
/** A UTF-16 surrogate without its partner: no backend can store it as text (UTF-8, JSON, PostgreSQL). */
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Names that cannot round-trip through a plain object (`__proto__` is swallowed by assignment). */
function checkRoundTrip(kind: string, s: string): void {
  if (s === '__proto__') {
    throw new TrackingValidationError(
      'invalid_name',
      `${kind} "__proto__" is reserved (it cannot be stored as an object key); choose another name`,
    );
  }
  if (LONE_SURROGATE_RE.test(s)) {
    throw new TrackingValidationError(
      'invalid_text',
      `${kind} ${JSON.stringify(s)} contains a lone UTF-16 surrogate, which no backend stores as text; fix the string's encoding`,
    );
  }
}

/** A short description of a value for error messages. */
function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x !== 'object') return typeof x;
  const ctor = (Object.getPrototypeOf(x) as { constructor?: { name?: string } } | null)?.constructor?.name;
  return ctor && ctor !== 'Object' ? `a ${ctor}` : 'an object';
}

function invalid(code: string, message: string): TrackingValidationError {
  return new TrackingValidationError(code, message);
}

/** Metric, param and tag keys: MLflow's character set, no empty / `.` / `..` segments, no leading `/`. */
export function validateKey(kind: 'metric' | 'param' | 'tag', key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw invalid('invalid_key', `${kind} key must be a non-empty string, got ${JSON.stringify(key)}`);
  }
  if (key.length > LIMITS.keyLength) {
    throw invalid('invalid_key', `${kind} key "${key.slice(0, 40)}..." is longer than ${LIMITS.keyLength}`);
  }
  if (!KEY_RE.test(key)) {
    throw invalid(
      'invalid_key',
      `${kind} key ${JSON.stringify(key)} has characters MLflow rejects: use letters, digits, _ - . / : and spaces`,
    );
  }
  checkRoundTrip(`${kind} key`, key);
  const segs = key.split('/');
  if (key.startsWith('/') || segs.some((s) => s === '' || s === '.' || s === '..')) {
    throw new UnsafePathError(
      `${kind} key ${JSON.stringify(key)} is path-like (leading "/", empty, "." or ".." segment); rename it`,
    );
  }
  return key;
}

function validateText(kind: string, value: unknown, max: number): string {
  if (typeof value !== 'string') {
    throw invalid('invalid_value', `${kind} value must be a string, got ${typeof value}`);
  }
  if (value.length > max) {
    throw invalid('invalid_value', `${kind} value is ${value.length} characters; the limit is ${max}`);
  }
  if (value.includes('\u0000')) {
    throw invalid('invalid_value', `${kind} value contains a NUL character, which no backend can store`);
  }
  if (LONE_SURROGATE_RE.test(value)) {
    throw invalid(
      'invalid_text',
      `${kind} value contains a lone UTF-16 surrogate, which no backend stores as text; fix the string's encoding`,
    );
  }
  return value;
}

export function validateParamValue(key: string, value: unknown): string {
  return validateText(`param "${key}"`, value, LIMITS.paramValueLength);
}

export function validateTagValue(key: string, value: unknown): string {
  return validateText(`tag "${key}"`, value, LIMITS.tagValueLength);
}

/**
 * MLflow's SQL stores keep ±Infinity as ±Number.MAX_VALUE, so the two cannot be told apart there.
 * Every backend therefore stores ±Number.MAX_VALUE as ±Infinity (docs/tracking.md, "What each
 * backend keeps").
 */
export function normalizeMetricValue(v: number): number {
  if (v === Number.MAX_VALUE) return Number.POSITIVE_INFINITY;
  if (v === -Number.MAX_VALUE) return Number.NEGATIVE_INFINITY;
  return v;
}

export function validateMetric(p: MetricPoint): MetricPoint {
  const key = validateKey('metric', p.key);
  if (typeof p.value !== 'number') {
    throw invalid('invalid_value', `metric "${key}" value must be a number, got ${typeof p.value}`);
  }
  if (!Number.isSafeInteger(p.step)) {
    throw invalid('invalid_value', `metric "${key}" step must be an integer, got ${p.step}`);
  }
  if (!Number.isSafeInteger(p.timestamp)) {
    throw invalid(
      'invalid_value',
      `metric "${key}" timestamp must be integer epoch milliseconds, got ${p.timestamp}`,
    );
  }
  return p;
}

function validateNameLike(kind: string, name: unknown, max: number, allowSlash: boolean): string {
  if (typeof name !== 'string' || name.trim().length === 0) {
    throw invalid('invalid_name', `${kind} name must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  if (name.length > max) throw invalid('invalid_name', `${kind} name is longer than ${max} characters`);
  if (name.includes('\u0000')) throw new UnsafePathError(`${kind} name contains a NUL byte`);
  if (CONTROL_RE.test(name)) {
    throw invalid('invalid_name', `${kind} name ${JSON.stringify(name)} contains control characters`);
  }
  if (name.includes('..')) {
    throw new UnsafePathError(`${kind} name ${JSON.stringify(name)} contains ".."; choose a name without it`);
  }
  if (name.includes('\\') || (!allowSlash && name.includes('/'))) {
    throw new UnsafePathError(
      `${kind} name ${JSON.stringify(name)} contains a path separator; choose a name without "/" or "\\"`,
    );
  }
  if (name.startsWith('/'))
    throw new UnsafePathError(`${kind} name ${JSON.stringify(name)} is an absolute path`);
  checkRoundTrip(`${kind} name`, name);
  return name;
}

/** Experiment names may contain `/` (MLflow workspace paths) but not `..`, a leading `/`, NUL or control characters. */
export function validateExperimentName(name: unknown): string {
  return validateNameLike('experiment', name, LIMITS.experimentNameLength, true);
}

export function validateRunName(name: unknown): string {
  return validateNameLike('run', name, LIMITS.runNameLength, false);
}

export function validateModelName(name: unknown): string {
  const n = validateNameLike('model', name, LIMITS.modelNameLength, false);
  if (n.includes('@')) throw invalid('invalid_name', `model name ${JSON.stringify(n)} must not contain "@"`);
  return n;
}

/** Aliases: letters, digits, `_` and `-`; `latest` and `v<digits>` are reserved (as in MLflow). */
export function validateAlias(alias: unknown, forWrite: boolean): string {
  if (typeof alias !== 'string' || !/^[A-Za-z0-9_-]+$/.test(alias) || alias.length > LIMITS.aliasLength) {
    throw invalid('invalid_alias', `alias ${JSON.stringify(alias)} must be letters, digits, "_" or "-"`);
  }
  checkRoundTrip('alias', alias);
  if (forWrite && (alias.toLowerCase() === 'latest' || /^v\d+$/i.test(alias))) {
    throw invalid(
      'invalid_alias',
      `alias "${alias}" is reserved ("latest" always means the highest version, "v<n>" means version n)`,
    );
  }
  return alias;
}

export function validateRunId(runId: unknown): string {
  if (typeof runId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(runId)) {
    throw new TrackingNotFoundError(`run id ${JSON.stringify(runId)} is not a valid run id`);
  }
  return runId;
}

/**
 * Artifact paths: relative POSIX paths, no empty, `.` or `..` segments, no backslashes,
 * no NUL or control characters, no drive letters. Returns the path unchanged.
 */
export function validateArtifactPath(path: unknown, opts: { reading?: boolean } = {}): string {
  if (typeof path !== 'string' || path.length === 0) {
    throw invalid(
      'invalid_artifact_path',
      `artifact path must be a non-empty string, got ${JSON.stringify(path)}`,
    );
  }
  if (path.length > LIMITS.artifactPathLength) {
    throw invalid('invalid_artifact_path', `artifact path is longer than ${LIMITS.artifactPathLength}`);
  }
  if (path.includes('\u0000')) throw new UnsafePathError('artifact path contains a NUL byte');
  if (CONTROL_RE.test(path)) throw new UnsafePathError('artifact path contains control characters');
  if (path.includes('\\')) {
    throw new UnsafePathError(`artifact path ${JSON.stringify(path)} contains "\\"; use "/" separators`);
  }
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) {
    throw new UnsafePathError(
      `artifact path ${JSON.stringify(path)} is absolute; use a path relative to the run`,
    );
  }
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') {
      throw new UnsafePathError(
        `artifact path ${JSON.stringify(path)} has an empty, "." or ".." segment; it must stay inside the run`,
      );
    }
    // naming rules for new files; a store written before them can still be read (and exported)
    if (!opts.reading && (seg.includes('#') || seg.includes('%'))) {
      throw invalid(
        'invalid_artifact_path',
        `artifact path ${JSON.stringify(path)} contains "#" or "%": the MLflow server refuses "#" and decodes "%xx", so such names do not round-trip on every backend; rename it`,
      );
    }
    if (seg.startsWith('.tmp-') || seg.startsWith('.lock')) {
      throw invalid(
        'invalid_artifact_path',
        `artifact path ${JSON.stringify(path)} has a segment starting with ".tmp-" or ".lock", which the local store reserves for its own files; rename it`,
      );
    }
    checkRoundTrip('artifact path', path);
    if (seg.length > LIMITS.artifactSegmentLength) {
      throw invalid('invalid_artifact_path', `artifact path segment "${seg.slice(0, 40)}..." is too long`);
    }
  }
  return path;
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/** Stringifies a param value: numbers as JS prints them (NaN, Infinity included), null as 'null'. */
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

function isPlainObject(x: unknown): x is Record<string, unknown> {
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

// ---------------------------------------------------------------------------------------------
// Search: parsing
// ---------------------------------------------------------------------------------------------

const ATTRIBUTES: readonly RunAttribute[] = ['run_id', 'run_name', 'status', 'start_time', 'end_time'];
const ATTRIBUTE_ALIASES: Record<string, RunAttribute> = {
  run_id: 'run_id',
  runid: 'run_id',
  run_name: 'run_name',
  runname: 'run_name',
  status: 'status',
  start_time: 'start_time',
  starttime: 'start_time',
  end_time: 'end_time',
  endtime: 'end_time',
};
const ENTITY_PREFIX: Record<string, SearchEntity> = {
  metric: 'metric',
  metrics: 'metric',
  param: 'param',
  params: 'param',
  parameter: 'param',
  parameters: 'param',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  run: 'attribute',
};

export function isNumericAttribute(key: string): boolean {
  return key === 'start_time' || key === 'end_time';
}

function queryError(message: string): TrackingValidationError {
  return invalid('invalid_query', message);
}

interface Token {
  kind: 'ident' | 'string' | 'number' | 'op' | 'dot' | 'comma';
  text: string;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= src.length) throw queryError(`unterminated ${c}-quoted text in ${JSON.stringify(src)}`);
        const d = src[j];
        if (d === '\\' && j + 1 < src.length) {
          text += src[j + 1];
          j += 2;
          continue;
        }
        if (d === c) {
          if (src[j + 1] === c) {
            text += c;
            j += 2;
            continue;
          }
          break;
        }
        text += d;
        j++;
      }
      out.push({ kind: c === "'" ? 'string' : 'ident', text });
      // a double-quoted token is an identifier part after a dot, a string value otherwise
      if (c === '"' && out.length >= 2 && out[out.length - 2].kind === 'op')
        out[out.length - 1].kind = 'string';
      i = j + 1;
      continue;
    }
    const op = /^(<=|>=|!=|<>|==|=|<|>)/.exec(src.slice(i));
    if (op) {
      out.push({ kind: 'op', text: op[1] === '<>' ? '!=' : op[1] === '==' ? '=' : op[1] });
      i += op[1].length;
      continue;
    }
    if (c === ',') {
      out.push({ kind: 'comma', text: c });
      i++;
      continue;
    }
    const num = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?(?![\w])/.exec(src.slice(i));
    if (num && (out.length === 0 || out[out.length - 1].kind === 'op')) {
      out.push({ kind: 'number', text: num[0] });
      i += num[0].length;
      continue;
    }
    if (c === '.') {
      out.push({ kind: 'dot', text: c });
      i++;
      continue;
    }
    const id = /^[A-Za-z0-9_\-/:]+/.exec(src.slice(i));
    if (id) {
      out.push({ kind: 'ident', text: id[0] });
      i += id[0].length;
      continue;
    }
    throw queryError(`unexpected character ${JSON.stringify(c)} at ${i} in ${JSON.stringify(src)}`);
  }
  return out;
}

/** Reads `entity.key` (key may be quoted or dotted) from tokens starting at `pos`. */
function readIdentifier(
  toks: Token[],
  pos: number,
  src: string,
): { entity: SearchEntity; key: string; pos: number } {
  const first = toks[pos];
  if (first?.kind !== 'ident') throw queryError(`expected a key like metrics.f1 in ${JSON.stringify(src)}`);
  const prefix = ENTITY_PREFIX[first.text.toLowerCase()];
  if (prefix && toks[pos + 1]?.kind === 'dot') {
    let p = pos + 2;
    const parts: string[] = [];
    for (;;) {
      const t = toks[p];
      if (t?.kind !== 'ident')
        throw queryError(`expected a key after "${first.text}." in ${JSON.stringify(src)}`);
      parts.push(t.text);
      p++;
      if (toks[p]?.kind === 'dot') p++;
      else break;
    }
    let key = parts.join('.');
    if (prefix === 'attribute') {
      const a = ATTRIBUTE_ALIASES[key.toLowerCase()];
      if (!a) throw queryError(`unknown attribute "${key}"; use one of ${ATTRIBUTES.join(', ')}`);
      key = a;
    }
    return { entity: prefix, key, pos: p };
  }
  const a = ATTRIBUTE_ALIASES[first.text.toLowerCase()];
  if (a) return { entity: 'attribute', key: a, pos: pos + 1 };
  throw queryError(
    `"${first.text}" is not a search key; prefix it with metrics., params., tags. or attributes. (in ${JSON.stringify(src)})`,
  );
}

/** Checks a clause's operator and value type against its entity; normalises numbers. */
export function checkClause(c: FilterClause): FilterClause {
  const numeric = c.entity === 'metric' || (c.entity === 'attribute' && isNumericAttribute(c.key));
  const op = (typeof c.op === 'string' ? c.op.toUpperCase() : c.op) as FilterOp;
  if (!['=', '!=', '<', '<=', '>', '>=', 'LIKE', 'ILIKE'].includes(op)) {
    throw queryError(`unknown operator ${JSON.stringify(c.op)}`);
  }
  if (c.entity === 'attribute' && !ATTRIBUTES.includes(c.key as RunAttribute)) {
    throw queryError(`unknown attribute "${c.key}"; use one of ${ATTRIBUTES.join(', ')}`);
  }
  if (typeof c.key !== 'string' || c.key.length === 0)
    throw queryError('filter key must be a non-empty string');
  if (numeric) {
    if (op === 'LIKE' || op === 'ILIKE')
      throw queryError(`${c.entity} "${c.key}" is numeric: LIKE is for strings`);
    const v = typeof c.value === 'number' ? c.value : Number(c.value);
    if (typeof c.value === 'string' && (c.value.trim() === '' || Number.isNaN(v))) {
      throw queryError(`${c.entity} "${c.key}" compares with numbers, got ${JSON.stringify(c.value)}`);
    }
    return { entity: c.entity, key: c.key, op, value: v };
  }
  if (!['=', '!=', 'LIKE', 'ILIKE'].includes(op)) {
    throw queryError(`${c.entity} "${c.key}" compares as a string: use =, !=, LIKE or ILIKE, not ${op}`);
  }
  if (typeof c.value !== 'string') {
    throw queryError(`${c.entity} "${c.key}" compares with a quoted string, got ${JSON.stringify(c.value)}`);
  }
  return { entity: c.entity, key: c.key, op, value: c.value };
}

/** Parses MLflow filter syntax: `clause (AND clause)*`, e.g. `metrics.f1 > 0.5 and params.model = 'zms'`. */
export function parseFilter(src: string): FilterClause[] {
  const toks = tokenize(src);
  const out: FilterClause[] = [];
  let pos = 0;
  while (pos < toks.length) {
    const id = readIdentifier(toks, pos, src);
    pos = id.pos;
    const opTok = toks[pos];
    let op: string;
    if (opTok?.kind === 'op') op = opTok.text;
    else if (opTok?.kind === 'ident' && /^i?like$/i.test(opTok.text)) op = opTok.text.toUpperCase();
    else throw queryError(`expected a comparison operator after "${id.key}" in ${JSON.stringify(src)}`);
    pos++;
    const valTok = toks[pos];
    if (!valTok || (valTok.kind !== 'string' && valTok.kind !== 'number')) {
      throw queryError(
        `expected a number or a quoted string after "${id.key} ${op}" in ${JSON.stringify(src)}`,
      );
    }
    pos++;
    out.push(
      checkClause({
        entity: id.entity,
        key: id.key,
        op: op as FilterOp,
        value: valTok.kind === 'number' ? Number(valTok.text) : valTok.text,
      }),
    );
    if (pos < toks.length) {
      const and = toks[pos];
      if (and.kind !== 'ident' || and.text.toLowerCase() !== 'and') {
        throw queryError(`expected AND between comparisons (OR is not supported) in ${JSON.stringify(src)}`);
      }
      pos++;
      if (pos >= toks.length) throw queryError(`dangling AND at the end of ${JSON.stringify(src)}`);
    }
  }
  return out;
}

/** Parses `metrics.f1 DESC`, `attributes.start_time`, `params.window ASC`. */
export function parseOrderBy(src: string): OrderBy {
  const toks = tokenize(src);
  const id = readIdentifier(toks, 0, src);
  let direction: 'ASC' | 'DESC' = 'ASC';
  if (id.pos < toks.length) {
    const d = toks[id.pos];
    if (d.kind !== 'ident' || !/^(asc|desc)$/i.test(d.text) || id.pos + 1 !== toks.length) {
      throw queryError(`orderBy ${JSON.stringify(src)} must be "<key> [ASC|DESC]"`);
    }
    direction = d.text.toUpperCase() as 'ASC' | 'DESC';
  }
  return { entity: id.entity, key: id.key, direction };
}

/** Turns any accepted query form into clauses and sort keys (validated). */
export function normalizeQuery(q: SearchRunsQuery = {}): NormalizedQuery {
  const experiments =
    q.experiment === undefined ? null : typeof q.experiment === 'string' ? [q.experiment] : [...q.experiment];
  const filter =
    q.filter === undefined
      ? []
      : typeof q.filter === 'string'
        ? parseFilter(q.filter)
        : q.filter.map((c) => checkClause(c));
  const rawOrder = q.orderBy === undefined ? [] : Array.isArray(q.orderBy) ? q.orderBy : [q.orderBy];
  const orderBy = (rawOrder as readonly (string | OrderBy)[]).map((o) => {
    if (typeof o === 'string') return parseOrderBy(o);
    if (!['metric', 'param', 'tag', 'attribute'].includes(o.entity)) {
      throw queryError(
        `orderBy entity must be metric, param, tag or attribute, got ${JSON.stringify(o.entity)}`,
      );
    }
    if (o.entity === 'attribute' && !ATTRIBUTES.includes(o.key as RunAttribute)) {
      throw queryError(`unknown attribute "${o.key}"; use one of ${ATTRIBUTES.join(', ')}`);
    }
    const direction = (o.direction ?? 'ASC').toUpperCase();
    if (direction !== 'ASC' && direction !== 'DESC')
      throw queryError(`orderBy direction must be ASC or DESC`);
    return { entity: o.entity, key: o.key, direction: direction as 'ASC' | 'DESC' };
  });
  let maxResults: number | null = null;
  if (q.maxResults !== undefined) {
    if (!Number.isSafeInteger(q.maxResults) || q.maxResults < 0) {
      throw queryError(`maxResults must be a non-negative integer, got ${q.maxResults}`);
    }
    maxResults = q.maxResults;
  }
  return { experiments, filter, orderBy, maxResults };
}

function quoteIdent(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : `\`${key.replace(/`/g, '``')}\``;
}

function quoteString(v: string): string {
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const ENTITY_WORD: Record<SearchEntity, string> = {
  metric: 'metrics',
  param: 'params',
  tag: 'tags',
  attribute: 'attributes',
};

/** Formats clauses back to MLflow filter syntax (for the REST backend). */
export function formatFilter(clauses: readonly FilterClause[]): string {
  return clauses
    .map((c) => {
      const v = typeof c.value === 'number' ? String(c.value) : quoteString(c.value);
      return `${ENTITY_WORD[c.entity]}.${quoteIdent(c.key)} ${c.op} ${v}`;
    })
    .join(' AND ');
}

export function formatOrderBy(o: OrderBy): string {
  return `${ENTITY_WORD[o.entity]}.${quoteIdent(o.key)} ${o.direction ?? 'ASC'}`;
}

// ---------------------------------------------------------------------------------------------
// Search: evaluation (memory and file backends)
// ---------------------------------------------------------------------------------------------

/** SQL LIKE semantics: `%` any run, `_` one character, `\` escapes the next character. */
export function likeToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) {
      re += pattern[++i].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else if (c === '%') re += '[\\s\\S]*';
    else if (c === '_') re += '[\\s\\S]';
    else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, caseInsensitive ? 'iu' : 'u');
}

function attributeValue(r: RunRecord, key: string): string | number | null {
  switch (key) {
    case 'run_id':
      return r.info.runId;
    case 'run_name':
      return r.info.runName;
    case 'status':
      return r.info.status;
    case 'start_time':
      return r.info.startTime;
    case 'end_time':
      return r.info.endTime;
    default:
      return null;
  }
}

/** The value a clause or sort key looks at, or null when the run lacks it. */
export function searchValue(r: RunRecord, entity: SearchEntity, key: string): string | number | null {
  switch (entity) {
    case 'metric': {
      const m = Object.hasOwn(r.data.metrics, key) ? r.data.metrics[key] : undefined;
      return m === undefined ? null : m.value;
    }
    case 'param':
      return Object.hasOwn(r.data.params, key) ? r.data.params[key] : null;
    case 'tag':
      return Object.hasOwn(r.data.tags, key) ? r.data.tags[key] : null;
    case 'attribute':
      return attributeValue(r, key);
  }
}

/** Whether a run satisfies every clause. NaN metric values match no comparison. */
export function matchesFilter(r: RunRecord, clauses: readonly FilterClause[]): boolean {
  for (const c of clauses) {
    const v = searchValue(r, c.entity, c.key);
    if (v === null) return false;
    if (typeof c.value === 'number') {
      const x = Number(v);
      if (Number.isNaN(x) || Number.isNaN(c.value)) return false;
      const ok =
        c.op === '='
          ? x === c.value
          : c.op === '!='
            ? x !== c.value
            : c.op === '<'
              ? x < c.value
              : c.op === '<='
                ? x <= c.value
                : c.op === '>'
                  ? x > c.value
                  : c.op === '>='
                    ? x >= c.value
                    : false;
      if (!ok) return false;
    } else {
      const s = String(v);
      const ok =
        c.op === '='
          ? s === c.value
          : c.op === '!='
            ? s !== c.value
            : c.op === 'LIKE' || c.op === 'ILIKE'
              ? likeToRegExp(c.value, c.op === 'ILIKE').test(s)
              : false;
      if (!ok) return false;
    }
  }
  return true;
}

function cmpStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sort comparator: the given keys (missing/NaN last), then start_time DESC, then run_id ASC. */
export function compareRuns(orderBy: readonly OrderBy[]): (a: RunRecord, b: RunRecord) => number {
  return (a, b) => {
    for (const o of orderBy) {
      const va = searchValue(a, o.entity, o.key);
      const vb = searchValue(b, o.entity, o.key);
      const missA = va === null || (typeof va === 'number' && Number.isNaN(va));
      const missB = vb === null || (typeof vb === 'number' && Number.isNaN(vb));
      if (missA || missB) {
        if (missA && missB) continue;
        return missA ? 1 : -1;
      }
      let c: number;
      if (typeof va === 'number' && typeof vb === 'number') c = va < vb ? -1 : va > vb ? 1 : 0;
      else c = cmpStrings(String(va), String(vb));
      if (c !== 0) return o.direction === 'DESC' ? -c : c;
    }
    return b.info.startTime - a.info.startTime || cmpStrings(a.info.runId, b.info.runId);
  };
}

/** Filters, sorts and truncates in memory. */
export function applyQuery(runs: RunRecord[], q: NormalizedQuery): RunRecord[] {
  const exps = q.experiments ? new Set(q.experiments) : null;
  const out = runs.filter((r) => (!exps || exps.has(r.experiment)) && matchesFilter(r, q.filter));
  out.sort(compareRuns(q.orderBy));
  return q.maxResults === null ? out : out.slice(0, q.maxResults);
}

// ---------------------------------------------------------------------------------------------
// Model URIs and the model loader
// ---------------------------------------------------------------------------------------------

export type ModelUri =
  | { kind: 'registry'; name: string; version: number; alias?: undefined }
  | { kind: 'registry'; name: string; alias: string; version?: undefined }
  | { kind: 'run'; runId: string; path: string };

/**
 * Parses `models:/name@alias`, `models:/name/3`, `models:/name/latest` and
 * `runs:/<runId>/<artifact path>` (a directory holding model.json, or a .json file).
 */
export function parseModelUri(uri: string): ModelUri {
  const bad = () =>
    invalid(
      'invalid_model_uri',
      `model URI ${JSON.stringify(uri)} must be models:/<name>@<alias>, models:/<name>/<version> or runs:/<runId>/<path>`,
    );
  if (typeof uri !== 'string') throw bad();
  if (uri.startsWith('models:/')) {
    const rest = uri.slice('models:/'.length);
    const at = rest.lastIndexOf('@');
    if (at > 0) {
      return {
        kind: 'registry',
        name: validateModelName(rest.slice(0, at)),
        alias: validateAlias(rest.slice(at + 1), false),
      };
    }
    const slash = rest.lastIndexOf('/');
    if (slash <= 0) throw bad();
    const name = validateModelName(rest.slice(0, slash));
    const ver = rest.slice(slash + 1);
    if (ver.toLowerCase() === 'latest') return { kind: 'registry', name, alias: 'latest' };
    if (!/^[1-9]\d*$/.test(ver)) throw bad();
    return { kind: 'registry', name, version: Number(ver) };
  }
  if (uri.startsWith('runs:/')) {
    const rest = uri.slice('runs:/'.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) throw bad();
    return {
      kind: 'run',
      runId: validateRunId(rest.slice(0, slash)),
      path: validateArtifactPath(rest.slice(slash + 1)),
    };
  }
  throw bad();
}

/** The artifact file holding the model JSON under an artifact path. */
export function modelJsonPath(artifactPath: string): string {
  return artifactPath.endsWith('.json') ? artifactPath : `${artifactPath}/model.json`;
}

// ---------------------------------------------------------------------------------------------
// MLflow Model directories
// ---------------------------------------------------------------------------------------------

/** The file naming an MLflow Model directory's flavors. */
export const MLMODEL_FILE = 'MLmodel';
/** The tsad flavor's data file inside a model directory. */
export const MODEL_DATA_FILE = 'model.json';

export interface MlmodelInfo {
  /** The artifact path of the directory inside the run (`model`). */
  artifactPath: string;
  runId: string;
  /** The MLflow 3 logged model id, when the backend has logged models. */
  modelId?: string;
  /** `type` of the tsad model (`zms`, `rcf`, ...). */
  modelType: string;
  /** `format` and `version` of the model JSON. */
  format: string;
  formatVersion: number | string;
  createdAt?: Date;
}

function utcCreated(d: Date): string {
  return `${d.toISOString().replace('T', ' ').replace('Z', '')}000`;
}

/**
 * The `MLmodel` file of a tsad model directory: MLflow's model metadata with one `tsad` flavor
 * naming the data file, its format and version, and how to load it (tsad's `Tracker.loadModel`).
 */
export function mlmodelText(m: MlmodelInfo): string {
  const doc: Record<string, unknown> = {
    artifact_path: m.artifactPath,
    flavors: {
      tsad: {
        data: MODEL_DATA_FILE,
        model_format: m.format,
        format_version: m.formatVersion,
        model_type: m.modelType,
        loader: 'tsad (npm): openTracker(uri).loadModel("runs:/<run_id>/<artifact_path>")',
      },
    },
    ...(m.modelId ? { model_id: m.modelId } : {}),
    model_uuid: m.modelId ?? randomUUID().replace(/-/g, ''),
    run_id: m.runId,
    utc_time_created: utcCreated(m.createdAt ?? new Date()),
  };
  return stringifyYaml(doc);
}

/** The data file the `tsad` flavor of an `MLmodel` names (relative to the model directory). */
export function tsadFlavorData(text: string, where: string): string {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 10 });
  } catch (err) {
    throw new TrackingError('invalid_mlmodel', `${where} is not valid YAML: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const flavors = (doc as { flavors?: unknown } | null)?.flavors;
  const tsad =
    typeof flavors === 'object' && flavors !== null ? (flavors as { tsad?: unknown }).tsad : undefined;
  if (typeof tsad !== 'object' || tsad === null) {
    const names = typeof flavors === 'object' && flavors !== null ? Object.keys(flavors).join(', ') : 'none';
    throw new TrackingError(
      'not_a_tsad_model',
      `${where} has no "tsad" flavor (flavors: ${names}); tsad loads only models it logged with run.logModel`,
    );
  }
  const data = (tsad as { data?: unknown }).data;
  return validateArtifactPath(typeof data === 'string' ? data : MODEL_DATA_FILE);
}

export type ModelLoader = (json: unknown) => unknown;

let modelLoader: ModelLoader | undefined;

/** Installs the function that turns model JSON into a model (tsad wires its `loadModel` here). */
export function setModelLoader(fn: ModelLoader | undefined): void {
  modelLoader = fn;
}

export function getModelLoader(): ModelLoader | undefined {
  return modelLoader;
}

function isLoggableModel(x: unknown): x is LoggableModel {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as { type?: unknown; config?: unknown; toJSON?: unknown };
  return typeof m.type === 'string' && typeof m.config === 'object' && typeof m.toJSON === 'function';
}

/** Applies the installed loader (whose own typed errors, e.g. ModelFormatError, propagate). */
export function instantiateModel(json: unknown, uri: string): LoggableModel {
  const loader = modelLoader;
  if (!loader) {
    throw new TrackingError(
      'no_model_loader',
      `cannot load ${uri}: no model loader is installed; import tsad from its main entry (which installs loadModel) or call setModelLoader(loadModel)`,
    );
  }
  const model = loader(json);
  if (!isLoggableModel(model)) {
    throw new TrackingError(
      'bad_model_loader',
      `the model loader returned something without type, config and toJSON()`,
    );
  }
  return model;
}

export function parseModelJson(bytes: Uint8Array, where: string): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new TrackingError('invalid_model_json', `${where} is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** The highest version, or the alias target; throws TrackingNotFoundError. */
export function resolveAlias(
  name: string,
  alias: string,
  aliases: Readonly<Record<string, number>>,
  latestVersion: number | null,
): number {
  if (alias.toLowerCase() === 'latest') {
    if (latestVersion === null) throw new TrackingNotFoundError(`model "${name}" has no versions yet`);
    return latestVersion;
  }
  const m = /^v(\d+)$/i.exec(alias);
  if (m) return Number(m[1]);
  const v = Object.hasOwn(aliases, alias) ? aliases[alias] : undefined;
  if (v === undefined) throw new TrackingNotFoundError(`model "${name}" has no alias "${alias}"`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Base classes
// ---------------------------------------------------------------------------------------------

function toBytes(b: Uint8Array | string): Uint8Array {
  return typeof b === 'string' ? new TextEncoder().encode(b) : b;
}

/** The validated batch a backend writes (params already filtered by the immutability rule). */
export interface ValidBatch {
  params: Param[];
  metrics: MetricPoint[];
  tags: Tag[];
}

/**
 * Implements every `Run` method on four backend primitives. Backends enforce param
 * immutability again at storage level (other processes may write the same run).
 */
export abstract class BaseRun implements Run {
  protected _status: RunStatus = 'RUNNING';
  /** Params this Run object has written (fast local immutability check). */
  protected readonly knownParams = new Map<string, string>();

  constructor(
    readonly id: string,
    readonly experimentId: string,
    readonly experiment: string,
    readonly name: string,
    readonly startTime: number,
  ) {}

  get status(): RunStatus {
    return this._status;
  }

  protected abstract writeBatch(batch: ValidBatch): Promise<void>;
  protected abstract writeInputs(inputs: readonly DatasetInput[]): Promise<void>;
  protected abstract writeArtifact(path: string, bytes: Uint8Array): Promise<void>;
  protected abstract writeEnd(status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void>;

  async flush(): Promise<void> {}

  /**
   * Writes an MLflow Model directory `<name>/` (model.json, then MLmodel, so a directory with
   * an MLmodel is complete). Backends with logged models (MLflow 3) also register one.
   */
  protected async writeModel(name: string, modelJson: Uint8Array, info: MlmodelInfo): Promise<void> {
    await this.writeArtifact(`${name}/${MODEL_DATA_FILE}`, modelJson);
    await this.writeArtifact(`${name}/${MLMODEL_FILE}`, new TextEncoder().encode(mlmodelText(info)));
  }

  protected assertActive(): void {
    if (this._status !== 'RUNNING') throw new RunNotActiveError(this.id, this._status);
  }

  async logBatch(batch: LogBatch): Promise<void> {
    this.assertActive();
    const params = (batch.params ?? []).map((p) => ({
      key: validateKey('param', p.key),
      value: validateParamValue(p.key, p.value),
    }));
    const tags = (batch.tags ?? []).map((t) => ({
      key: validateKey('tag', t.key),
      value: validateTagValue(t.key, t.value),
    }));
    let metrics = batch.metrics ?? [];
    for (const m of metrics) validateMetric(m);
    if (metrics.some((m) => Math.abs(m.value) === Number.MAX_VALUE)) {
      metrics = metrics.map((m) => ({ ...m, value: normalizeMetricValue(m.value) }));
    }
    const fresh = newParams(this.id, this.knownParams, params);
    if (fresh.length === 0 && metrics.length === 0 && tags.length === 0) return;
    await this.writeBatch({ params: fresh, metrics: metrics as MetricPoint[], tags });
    for (const p of fresh) this.knownParams.set(p.key, p.value);
  }

  async logParams(params: Readonly<Record<string, unknown>>): Promise<void> {
    if (!isPlainObject(params)) {
      throw invalid(
        'invalid_params',
        `logParams expects an object of params ({ name: value }), got ${describeValue(params)}`,
      );
    }
    return this.logBatch({ params: flattenParams(params) });
  }

  logParam(key: string, value: ParamValue): Promise<void> {
    return this.logBatch({ params: [{ key, value: paramToString(value) }] });
  }

  logMetric(key: string, value: number, opts: MetricOptions = {}): Promise<void> {
    return this.logBatch({
      metrics: [{ key, value, step: opts.step ?? 0, timestamp: opts.timestamp ?? Date.now() }],
    });
  }

  logMetrics(metrics: Readonly<Record<string, number>>, opts: MetricOptions = {}): Promise<void> {
    const step = opts.step ?? 0;
    const timestamp = opts.timestamp ?? Date.now();
    return this.logBatch({
      metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, step, timestamp })),
    });
  }

  setTag(key: string, value: string): Promise<void> {
    return this.logBatch({ tags: [{ key, value }] });
  }

  setTags(tags: Readonly<Record<string, string>>): Promise<void> {
    return this.logBatch({ tags: Object.entries(tags).map(([key, value]) => ({ key, value })) });
  }

  async logDataset(
    ts: TimeSeries,
    opts: { name: string; context?: string; source?: string },
  ): Promise<DatasetInput> {
    this.assertActive();
    const input = datasetInput(ts, opts);
    await this.writeInputs([input]);
    return input;
  }

  async logInputs(inputs: readonly DatasetInput[]): Promise<void> {
    this.assertActive();
    for (const d of inputs) validateDatasetInput(d);
    if (inputs.length > 0) await this.writeInputs(inputs);
  }

  async logModel(model: LoggableModel, opts: { name?: string } = {}): Promise<string> {
    this.assertActive();
    const name = validateArtifactPath(opts.name ?? 'model');
    if (typeof model?.toJSON !== 'function') {
      throw invalid(
        'invalid_model',
        `logModel expects a model with a toJSON() method (e.g. a tsad detector); got ${describeValue(model)}`,
      );
    }
    const json = model.toJSON();
    const text = JSON.stringify(json, null, 1);
    if (text === undefined) throw invalid('invalid_model', `model ${model.type}: toJSON() returned nothing`);
    const path = `${name}/${MODEL_DATA_FILE}`;
    const j = (typeof json === 'object' && json !== null ? json : {}) as {
      format?: unknown;
      version?: unknown;
    };
    await this.writeModel(name, new TextEncoder().encode(text), {
      artifactPath: name,
      runId: this.id,
      modelType: String(model.type),
      format: typeof j.format === 'string' ? j.format : 'tsad-model',
      formatVersion: typeof j.version === 'number' || typeof j.version === 'string' ? j.version : 1,
    });
    const config = JSON.parse(JSON.stringify(model.config ?? {})) as Record<string, unknown>;
    // as MLflow's autologging does, over-long config values are truncated (the model file has them whole)
    const marker = '...[truncated]';
    const params = flattenParams(config, `${name}.config`).map((p) =>
      p.value.length > LIMITS.paramValueLength
        ? { key: p.key, value: p.value.slice(0, LIMITS.paramValueLength - marker.length) + marker }
        : p,
    );
    await this.logBatch({ params: [{ key: `${name}.type`, value: String(model.type) }, ...params] });
    return path;
  }

  async logArtifact(source: string | ArtifactSource, opts: { dir?: string } = {}): Promise<string> {
    this.assertActive();
    let name: string;
    let bytes: Uint8Array;
    if (typeof source === 'string') {
      const { readFile } = await import('node:fs/promises');
      try {
        bytes = await readFile(source);
      } catch (err) {
        throw new TrackingNotFoundError(`cannot read artifact file ${source}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      name = basename(source);
    } else {
      name = source.name;
      bytes = toBytes(source.bytes);
    }
    const path = validateArtifactPath(opts.dir ? `${opts.dir}/${name}` : name);
    await this.writeArtifact(path, bytes);
    return path;
  }

  async end(
    status: Exclude<RunStatus, 'RUNNING'> = 'FINISHED',
    opts: { endTime?: number } = {},
  ): Promise<void> {
    this.assertActive();
    if (!['FINISHED', 'FAILED', 'KILLED'].includes(status)) {
      throw invalid(
        'invalid_status',
        `run status must be FINISHED, FAILED or KILLED, got ${JSON.stringify(status)}`,
      );
    }
    const endTime = opts.endTime ?? Date.now();
    if (!Number.isSafeInteger(endTime)) throw invalid('invalid_value', `endTime must be integer epoch ms`);
    await this.flush();
    await this.writeEnd(status, endTime);
    this._status = status;
  }
}

/** Validates run options and fills defaults; backends call it first in `startRun`. */
export function prepareRunOptions(opts: RunOptions): {
  experiment: string;
  runId: string;
  name: string;
  startTime: number;
  tags: Tag[];
} {
  if (typeof opts !== 'object' || opts === null) {
    throw invalid('invalid_run_options', 'startRun needs { experiment, name?, tags?, startTime? }');
  }
  const experiment = validateExperimentName(opts.experiment);
  const runId = newRunId();
  const name = opts.name === undefined ? defaultRunName(runId) : validateRunName(opts.name);
  const startTime = opts.startTime ?? Date.now();
  if (!Number.isSafeInteger(startTime)) throw invalid('invalid_value', 'startTime must be integer epoch ms');
  const tagObj: Record<string, string> = { ...systemTags(), ...(opts.tags ?? {}) };
  const tags = Object.entries(tagObj).map(([key, value]) => ({
    key: validateKey('tag', key),
    value: validateTagValue(key, value),
  }));
  return { experiment, runId, name, startTime, tags };
}

/** Runs `fn` in a run: FINISHED on success; on error the `tsad.error` tag, FAILED, rethrow. */
export async function withRun<T>(run: Run, fn: (run: Run) => Promise<T> | T): Promise<T> {
  let result: T;
  try {
    result = await fn(run);
  } catch (err) {
    if (run.status === 'RUNNING') {
      // the caller's error wins; a failure to record it is reported as a process warning
      try {
        await run.setTag('tsad.error', describeError(err));
      } catch (tagErr) {
        process.emitWarning(`tsad: could not record the error of run ${run.id}: ${describeError(tagErr)}`);
      }
      try {
        await run.end('FAILED');
      } catch (endErr) {
        process.emitWarning(`tsad: could not end run ${run.id} as FAILED: ${describeError(endErr)}`);
      }
    }
    throw err;
  }
  if (run.status === 'RUNNING') await run.end('FINISHED');
  else await run.flush();
  return result;
}

/**
 * Implements `run`, `loadModelJson` and `loadModel` once; backends implement storage.
 */
export abstract class BaseTracker implements Tracker {
  abstract readonly uri: string;

  abstract startRun(opts: RunOptions): Promise<Run>;
  abstract getOrCreateExperiment(name: string): Promise<Experiment>;
  abstract getExperiment(name: string): Promise<Experiment | undefined>;
  abstract listExperiments(): Promise<Experiment[]>;
  abstract getRun(runId: string): Promise<RunRecord>;
  abstract getMetricHistory(runId: string, key: string): Promise<MetricPoint[]>;
  abstract listArtifacts(runId: string): Promise<ArtifactInfo[]>;
  abstract readArtifact(runId: string, path: string): Promise<Uint8Array>;
  abstract searchRuns(query?: SearchRunsQuery): Promise<RunRecord[]>;
  abstract deleteRun(runId: string): Promise<void>;
  abstract registerModel(
    name: string,
    runId: string,
    opts?: { artifactPath?: string },
  ): Promise<ModelVersion>;
  abstract setAlias(name: string, alias: string, version: number): Promise<void>;
  abstract deleteAlias(name: string, alias: string): Promise<void>;
  abstract getModelVersion(name: string, versionOrAlias: number | string): Promise<ModelVersion>;
  abstract listRegisteredModels(): Promise<RegisteredModel[]>;
  abstract listModelVersions(name: string): Promise<ModelVersion[]>;
  abstract close(): Promise<void>;

  async run<T>(opts: RunOptions, fn: (run: Run) => Promise<T> | T): Promise<T> {
    const run = await this.startRun(opts);
    return withRun(run, fn);
  }

  async loadModelJson(uri: string): Promise<unknown> {
    const parsed = parseModelUri(uri);
    let runId: string;
    let path: string;
    if (parsed.kind === 'run') {
      runId = parsed.runId;
      path = modelJsonPath(parsed.path);
    } else {
      const mv = await this.getModelVersion(parsed.name, parsed.alias ?? parsed.version);
      runId = mv.runId;
      path = modelJsonPath(mv.artifactPath);
    }
    if (!path.endsWith('.json') || path.endsWith(`/${MODEL_DATA_FILE}`)) {
      // An MLflow Model directory: its MLmodel names the data file of the tsad flavor.
      const dir = path.endsWith(`/${MODEL_DATA_FILE}`) ? path.slice(0, -MODEL_DATA_FILE.length - 1) : path;
      let mlmodel: Uint8Array | undefined;
      try {
        mlmodel = await this.readArtifact(runId, `${dir}/${MLMODEL_FILE}`);
      } catch (err) {
        if (!(err instanceof TrackingNotFoundError)) throw err;
        // a directory without MLmodel: tsad's earlier layout, model.json alone
      }
      if (mlmodel !== undefined) {
        const where = `${uri} (runs:/${runId}/${dir}/${MLMODEL_FILE})`;
        path = `${dir}/${tsadFlavorData(Buffer.from(mlmodel).toString('utf8'), where)}`;
      }
    }
    const bytes = await this.readArtifact(runId, path);
    return parseModelJson(bytes, `${uri} (runs:/${runId}/${path})`);
  }

  async loadModel(uri: string): Promise<LoggableModel> {
    const json = await this.loadModelJson(uri);
    return instantiateModel(json, uri);
  }
}

/** Checks a version argument (positive integer). */
export function validateVersion(version: unknown): number {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw invalid(
      'invalid_version',
      `model version must be a positive integer, got ${JSON.stringify(version)}`,
    );
  }
  return version;
}

/** Resolves `versionOrAlias` for backends: a number, a numeric string, `latest`, `v<n>` or an alias. */
export function resolveVersionArg(
  name: string,
  versionOrAlias: number | string,
  aliases: Readonly<Record<string, number>>,
  latestVersion: number | null,
): number {
  if (typeof versionOrAlias === 'number') return validateVersion(versionOrAlias);
  if (/^[1-9]\d*$/.test(versionOrAlias)) return Number(versionOrAlias);
  return resolveAlias(name, validateAlias(versionOrAlias, false), aliases, latestVersion);
}
