/**
 * Validation of everything a backend stores: keys, names, values, artifact paths, versions
 * (MLflow's limits, so every backend accepts exactly what an MLflow server accepts).
 */
import { TrackingError, type TrackingErrorCode } from '../errors.js';
import {
  type MetricPoint,
  type RunStatus,
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

/**
 * MLflow's key rule, `^[/\w.\- :]*$` in Python, whose `\w` is Unicode-aware: letters and digits of
 * any script (`\p{L}`, `\p{N}`), `_ - . / :` and space. Emoji, symbols and combining marks are refused
 * (a decomposed `e` + U+0301 is refused, the composed `é` accepted), as the server refuses them.
 */
const KEY_RE = /^[\p{L}\p{N}_\-. /:]+$/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: any character outside ASCII
const NON_ASCII_RE = /[^\u0000-\u007f]/;

/**
 * Length in Unicode code points, as Python's `len` (MLflow's limits) and PostgreSQL's `char_length`
 * count it: an emoji is one character, not two UTF-16 units.
 */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** The first `max` code points of `s` (never splits a surrogate pair). */
export function sliceCodePoints(s: string, max: number): string {
  if (s.length <= max) return s;
  let i = 0;
  for (let n = 0; n < max && i < s.length; n++) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
  }
  return s.slice(0, i);
}

/** A file name's limit in bytes on common filesystems; MLflow's file backend stores a key as a path. */
const SEGMENT_BYTES = 255;
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
export const CONTROL_RE = /[\u0000-\u001f\u007f]/;
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
export function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x !== 'object') return typeof x;
  const ctor = (Object.getPrototypeOf(x) as { constructor?: { name?: string } } | null)?.constructor?.name;
  return ctor && ctor !== 'Object' ? `a ${ctor}` : 'an object';
}

export function invalid(code: TrackingErrorCode, message: string): TrackingValidationError {
  return new TrackingValidationError(code, message);
}

/** An end status (`Run.end`, `Tracker.endRun`) and end time (default now). */
export function validateEnd(
  status: unknown,
  endTime: unknown = Date.now(),
): { status: Exclude<RunStatus, 'RUNNING'>; endTime: number } {
  if (status !== 'FINISHED' && status !== 'FAILED' && status !== 'KILLED') {
    throw invalid(
      'invalid_status',
      `run status must be FINISHED, FAILED or KILLED, got ${JSON.stringify(status)}`,
    );
  }
  if (typeof endTime !== 'number' || !Number.isSafeInteger(endTime)) {
    const got = typeof endTime === 'number' ? String(endTime) : describeValue(endTime);
    throw invalid(
      'invalid_value',
      `endTime must be an integer of epoch ms (such as Date.now()), got ${got}; leave endTime out to end the run now`,
    );
  }
  return { status, endTime };
}

/** Metric, param and tag keys: MLflow's character set, no empty / `.` / `..` segments, no leading `/`. */
export function validateKey(kind: 'metric' | 'param' | 'tag', key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw invalid('invalid_key', `${kind} key must be a non-empty string, got ${JSON.stringify(key)}`);
  }
  if (key.length > LIMITS.keyLength && codePointLength(key) > LIMITS.keyLength) {
    throw invalid(
      'invalid_key',
      `${kind} key "${sliceCodePoints(key, 40)}..." is ${codePointLength(key)} characters; the limit is ${LIMITS.keyLength}`,
    );
  }
  if (!KEY_RE.test(key)) {
    throw invalid(
      'invalid_key',
      `${kind} key ${JSON.stringify(key)} has characters MLflow refuses: use letters and digits (any script), _ - . / : and spaces; no emoji, symbols or combining marks (compose accents: key.normalize('NFC'))`,
    );
  }
  if (NON_ASCII_RE.test(key)) {
    for (const seg of key.split('/')) {
      if (Buffer.byteLength(seg, 'utf8') > SEGMENT_BYTES) {
        throw invalid(
          'invalid_key',
          `${kind} key "${sliceCodePoints(key, 40)}...": the part "${sliceCodePoints(seg, 20)}..." is ${Buffer.byteLength(seg, 'utf8')} bytes in UTF-8, over the ${SEGMENT_BYTES}-byte file-name limit (an MLflow file-backend server stores a key as a file path); shorten it or split it with "/"`,
        );
      }
    }
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
  if (value.length > max && codePointLength(value) > max) {
    throw invalid(
      'invalid_value',
      `${kind} value is ${codePointLength(value)} characters; the limit is ${max}`,
    );
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
  if (!Number.isSafeInteger(p.timestamp) || p.timestamp < 0) {
    throw invalid(
      'invalid_value',
      `metric "${key}" timestamp must be integer epoch milliseconds, 0 or later (MLflow refuses negative ones), got ${p.timestamp}`,
    );
  }
  return p;
}

function validateNameLike(kind: string, name: unknown, max: number, allowSlash: boolean): string {
  if (typeof name !== 'string' || name.trim().length === 0) {
    throw invalid('invalid_name', `${kind} name must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  if (name.length > max && codePointLength(name) > max) {
    throw invalid('invalid_name', `${kind} name is longer than ${max} characters`);
  }
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
      `alias "${alias}" is reserved ("latest" always means the highest version, "v<n>" means version n; MLflow's registry refuses them too): choose another alias, such as "champion"`,
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

/** Checks a version argument (positive integer). */
/** `alias_moved`: a conditional `setAlias` found the alias somewhere else than expected. */
export function aliasMoved(
  name: string,
  alias: string,
  expected: number | null,
  current: number | null,
): TrackingError {
  const where = (v: number | null) => (v === null ? 'unset' : `version ${v}`);
  return new TrackingError(
    'alias_moved',
    `alias "${alias}" of model "${name}" is ${where(current)}, not ${where(expected)} as expected: another client moved it meanwhile; read it again and decide anew`,
  );
}

export function validateVersion(version: unknown): number {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw invalid(
      'invalid_version',
      `model version must be a positive integer, got ${JSON.stringify(version)}`,
    );
  }
  return version;
}
