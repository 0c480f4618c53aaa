import { z } from 'zod';
import { ModelFormatError } from '../errors.js';

/** Keys that could pollute prototypes if a careless consumer copied the object: always rejected. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_DEPTH = 64;

/**
 * Checks that `x` is plain JSON data (null, booleans, finite numbers, strings, arrays, plain
 * objects), at most 64 levels deep, with no `__proto__`/`constructor`/`prototype` keys.
 * Throws a ModelFormatError naming the offending path.
 */
export function assertPlainJson(x: unknown, path = '$', depth = 0): void {
  if (depth > MAX_DEPTH)
    throw new ModelFormatError('too_deep', `${path}: nesting deeper than ${MAX_DEPTH} levels`);
  if (x === null || typeof x === 'string' || typeof x === 'boolean') return;
  if (typeof x === 'number') {
    if (!Number.isFinite(x))
      throw new ModelFormatError('bad_field', `${path}: non-finite number in a model file`);
    return;
  }
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) assertPlainJson(x[i], `${path}[${i}]`, depth + 1);
    return;
  }
  if (typeof x === 'object') {
    const proto = Object.getPrototypeOf(x);
    if (proto !== Object.prototype && proto !== null) {
      throw new ModelFormatError(
        'bad_field',
        `${path}: expected plain JSON data, got a ${proto?.constructor?.name ?? 'non-plain'} object`,
      );
    }
    for (const k of Reflect.ownKeys(x)) {
      if (typeof k !== 'string') throw new ModelFormatError('bad_field', `${path}: symbol keys are not JSON`);
      if (FORBIDDEN_KEYS.has(k))
        throw new ModelFormatError('forbidden_key', `${path}: key "${k}" is not allowed in a model file`);
      const desc = Object.getOwnPropertyDescriptor(x, k);
      if (!desc || !('value' in desc))
        throw new ModelFormatError('bad_field', `${path}.${k}: accessor properties are not JSON`);
      assertPlainJson(desc.value, `${path}.${k}`, depth + 1);
    }
    return;
  }
  throw new ModelFormatError('bad_field', `${path}: ${typeof x} is not a JSON value`);
}

/**
 * How many bytes of typed arrays a model file may make the loader allocate: `perByte` per byte of
 * the file plus a fixed `floor` (small models of large configs). Lengths are checked against it
 * before anything is allocated; an ensemble's members share their ensemble's budget.
 */
export class AllocBudget {
  static readonly PER_BYTE = 64;
  static readonly FLOOR = 16 * 1024 * 1024;
  remaining: number;
  constructor(readonly fileBytes: number) {
    this.remaining = AllocBudget.PER_BYTE * fileBytes + AllocBudget.FLOOR;
  }
  /** The budget for a model file given as a JSON string or a parsed value. */
  static of(json: unknown): AllocBudget {
    const n = typeof json === 'string' ? Buffer.byteLength(json) : Buffer.byteLength(safeStringify(json));
    return new AllocBudget(n);
  }
  /** Reserves `bytes` for `what`, or throws a ModelFormatError before anything is allocated. */
  take(bytes: number, what: string): void {
    if (!(bytes <= this.remaining)) {
      throw new ModelFormatError(
        'too_large',
        `${what}: would allocate ${bytes} bytes, more than a model file of ${this.fileBytes} bytes may (${AllocBudget.PER_BYTE} per byte + ${AllocBudget.FLOOR}); the file claims sizes its content does not back`,
      );
    }
    this.remaining -= bytes;
  }
}

function safeStringify(x: unknown): string {
  try {
    return JSON.stringify(x) ?? '';
  } catch {
    return '';
  }
}

/** The model-file format version this tsad writes and reads (`version` of the envelope). */
const MODEL_FILE_VERSION = 1;

/** The model-file envelope. */
export const modelEnvelopeSchema = z.object({
  format: z.literal('tsad-model'),
  version: z.literal(MODEL_FILE_VERSION),
  type: z.string().min(1).max(200),
  config: z.record(z.string(), z.unknown()),
  state: z.unknown(),
});

/**
 * The error for a version this tsad does not read (`what` = `model file format`, `Ensemble state`, …):
 * `newer_state` for a later tsad's (upgrade tsad), `unsupported_version` for any other (0, 1.5, a string:
 * no tsad wrote it; train the model again). The message names the versions this tsad reads.
 * @internal
 */
export function unsupportedVersion(
  what: string,
  got: unknown,
  oldest: number,
  newest: number,
): ModelFormatError {
  const reads = oldest === newest ? `version ${newest}` : `versions ${oldest} to ${newest}`;
  if (typeof got === 'number' && Number.isInteger(got) && got > newest) {
    return new ModelFormatError(
      'newer_state',
      `${what} version ${got} is newer than this tsad reads (${reads}): a later tsad wrote it; upgrade tsad, or train the model again with this one`,
    );
  }
  return new ModelFormatError(
    'unsupported_version',
    `${what} version ${got === undefined ? '(missing)' : JSON.stringify(got)} is not one this tsad reads (${reads}); no tsad writes it (a hand edit?): train the model again with this tsad (tsad train … -o model.json), or restore the file as it was written`,
  );
}

/** Parses a model file given as a JSON string or an already-parsed value. */
export function parseModelEnvelope(json: unknown): z.infer<typeof modelEnvelopeSchema> {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (e) {
      throw new ModelFormatError('bad_json', `model file is not valid JSON: ${(e as Error).message}`);
    }
  }
  assertPlainJson(value);
  const v = value as { format?: unknown; version?: unknown } | null;
  if (v !== null && typeof v === 'object' && v.format === 'tsad-model' && v.version !== MODEL_FILE_VERSION) {
    throw unsupportedVersion('model file format', v.version, MODEL_FILE_VERSION, MODEL_FILE_VERSION);
  }
  const r = modelEnvelopeSchema.safeParse(value);
  if (!r.success) {
    const iss = r.error.issues[0];
    const where = iss.path.length ? iss.path.map(String).join('.') : '(root)';
    throw new ModelFormatError('bad_field', `model file field ${where}: ${iss.message}`);
  }
  if (!('state' in (value as object)))
    throw new ModelFormatError('missing_field', 'model file field state is missing');
  return r.data;
}
