import { z } from 'zod';
import { ModelFormatError } from '../errors.js';
import type { JsonObject, JsonValue, ModelJson } from './types.js';

/** A detector's model file: the one envelope (format, version) around its type, config and state. */
export function modelJson(type: string, config: JsonObject, state: JsonValue): ModelJson {
  return { format: 'tsad-model', version: 1, type, config, state };
}

/**
 * Float arrays in model files. JSON numbers round-trip float64 exactly (shortest round-trip
 * printing), but JSON has no NaN, ±Infinity or −0: those are written as the strings
 * "NaN", "Infinity", "-Infinity" and "-0".
 */
export function encodeFloats(a: ArrayLike<number>): JsonValue[] {
  const out: JsonValue[] = new Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = encodeFloat(a[i]);
  return out;
}

export function encodeFloat(x: number): JsonValue {
  if (Number.isFinite(x)) return Object.is(x, -0) ? '-0' : x;
  if (Number.isNaN(x)) return 'NaN';
  return x > 0 ? 'Infinity' : '-Infinity';
}

export function decodeFloat(x: unknown, field: string): number {
  if (typeof x === 'number' && Number.isFinite(x)) return x;
  switch (x) {
    case 'NaN':
      return Number.NaN;
    case 'Infinity':
      return Number.POSITIVE_INFINITY;
    case '-Infinity':
      return Number.NEGATIVE_INFINITY;
    case '-0':
      return -0;
    default:
      throw new ModelFormatError(
        'bad_field',
        `${field}: expected a number (or "NaN"/"Infinity"/"-Infinity"/"-0")`,
      );
  }
}

export function decodeFloats(x: unknown, field: string, length?: number): Float64Array {
  if (!Array.isArray(x)) throw new ModelFormatError('bad_field', `${field}: expected an array of numbers`);
  if (length !== undefined && x.length !== length) {
    throw new ModelFormatError('bad_field', `${field}: expected ${length} numbers, got ${x.length}`);
  }
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = decodeFloat(x[i], `${field}[${i}]`);
  return out;
}

/** Integer arrays (tree structure): plain JSON numbers, checked to be integers in range. */
export function decodeInts(x: unknown, field: string, min: number, max: number, length?: number): Int32Array {
  if (!Array.isArray(x)) throw new ModelFormatError('bad_field', `${field}: expected an array of integers`);
  if (length !== undefined && x.length !== length) {
    throw new ModelFormatError('bad_field', `${field}: expected ${length} integers, got ${x.length}`);
  }
  const out = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new ModelFormatError('bad_field', `${field}[${i}]: expected an integer in [${min}, ${max}]`);
    }
    out[i] = v;
  }
  return out;
}

/** Reads a property of a state object, failing with a ModelFormatError naming the field. */
export function field(obj: unknown, key: string, path: string): unknown {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new ModelFormatError('bad_field', `${path}: expected an object`);
  }
  if (!Object.hasOwn(obj, key)) throw new ModelFormatError('missing_field', `${path}.${key} is missing`);
  return (obj as Record<string, unknown>)[key];
}

export function numberField(obj: unknown, key: string, path: string): number {
  return decodeFloat(field(obj, key, path), `${path}.${key}`);
}

export function intField(obj: unknown, key: string, path: string, min: number, max: number): number {
  const v = field(obj, key, path);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ModelFormatError('bad_field', `${path}.${key}: expected an integer in [${min}, ${max}]`);
  }
  return v;
}

export function boolField(obj: unknown, key: string, path: string): boolean {
  const v = field(obj, key, path);
  if (typeof v !== 'boolean') throw new ModelFormatError('bad_field', `${path}.${key}: expected a boolean`);
  return v;
}

/** A float as a model file writes it: a finite JSON number or one of the strings `encodeFloat` writes. */
export type JsonFloat = number | 'NaN' | 'Infinity' | '-Infinity' | '-0';

/** A float in a state schema (typed explicitly: an inferred enum type would not survive declaration emit). */
export const jsonFloat: z.ZodType<JsonFloat, JsonFloat> = z.union([
  z.number(),
  z.literal(['NaN', 'Infinity', '-Infinity', '-0']),
]);

/**
 * Any JSON value in a state schema, for parts a model's own codec validates field by field (the
 * model-file envelope has already checked that the whole file is plain JSON).
 */
export const jsonAny = z.custom<JsonValue>(() => true);

/** A JSON object in a state schema whose fields the model's own codec validates. */
export const jsonObject = z.record(z.string(), jsonAny) as z.ZodType<JsonObject, unknown>;

/**
 * Packed number arrays in model files, for large arrays (a forest's points and trees): a string
 * `"<type>:<base64>"` of the elements' little-endian bytes (RFC 4648 base64). Exact like
 * `encodeFloats` (every float64 bit pattern, NaN and −0 included) at about 11 characters per float
 * instead of up to 24, and parsed without a JSON number per element. `packInts` picks the narrowest
 * of `i8`, `i16`, `i32` that holds every value, and `f64` for safe integers beyond 32 bits.
 */
export function packFloats(a: ArrayLike<number>): string {
  // a Float64Array's own bytes are the string's on a little-endian machine (no copy, no DataView)
  if (LITTLE_ENDIAN && a instanceof Float64Array) {
    return `f64:${Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64')}`;
  }
  const bytes = new Uint8Array(a.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < a.length; i++) view.setFloat64(i * 8, a[i], true);
  return `f64:${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`;
}

/** See `packFloats`; the values must be safe integers. */
export function packInts(a: ArrayLike<number>): string {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (!Number.isSafeInteger(v)) throw new TypeError(`packInts: element ${i} (${v}) is not a safe integer`);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const type =
    lo >= -128 && hi <= 127
      ? 'i8'
      : lo >= -32768 && hi <= 32767
        ? 'i16'
        : lo >= -(2 ** 31) && hi < 2 ** 31
          ? 'i32'
          : 'f64';
  if (type === 'f64') return packFloats(a);
  const w = PACKED_WIDTH[type];
  const bytes = new Uint8Array(a.length * w);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < a.length; i++) {
    if (w === 1) view.setInt8(i, a[i]);
    else if (w === 2) view.setInt16(i * 2, a[i], true);
    else view.setInt32(i * 4, a[i], true);
  }
  return `${type}:${Buffer.from(bytes.buffer).toString('base64')}`;
}

/**
 * `packInts(a)` for int32 values, from typed-array bytes (the same string: the narrowest of i8,
 * i16, i32 that holds every value and 0, little-endian), without a DataView call per element.
 */
export function packInts32(a: Int32Array): string {
  if (!LITTLE_ENDIAN) return packInts(a);
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo >= -128 && hi <= 127) return `i8:${Buffer.from(Int8Array.from(a).buffer).toString('base64')}`;
  if (lo >= -32768 && hi <= 32767) return `i16:${Buffer.from(Int16Array.from(a).buffer).toString('base64')}`;
  return `i32:${Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64')}`;
}

/** Whether typed arrays store little-endian bytes here (what the packed formats hold). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const PACKED_WIDTH: Readonly<Record<string, number>> = { i8: 1, i16: 2, i32: 4, f64: 8 };
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Element count of a packed array, from the string's length alone (nothing is decoded or
 * allocated): `length` is the exact count expected, or `{ max }` a bound. Throws ModelFormatError.
 */
function packedHeader(
  x: unknown,
  field: string,
  types: readonly string[],
  length: number | { max: number },
): { type: string; data: string; n: number } {
  if (typeof x !== 'string')
    throw new ModelFormatError('bad_field', `${field}: expected a packed array string`);
  const colon = x.indexOf(':');
  const type = colon < 0 ? '' : x.slice(0, colon);
  if (!types.includes(type)) {
    throw new ModelFormatError('bad_field', `${field}: expected a packed array of type ${types.join(', ')}`);
  }
  const w = PACKED_WIDTH[type];
  const data = x.slice(colon + 1);
  const pad = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  const bytes = (data.length / 4) * 3 - pad;
  if (data.length % 4 !== 0 || bytes % w !== 0 || !BASE64.test(data)) {
    throw new ModelFormatError('bad_field', `${field}: is not valid base64 of ${type} elements`);
  }
  const n = bytes / w;
  if (typeof length === 'number' ? n !== length : n > length.max) {
    const want = typeof length === 'number' ? `${length}` : `at most ${length.max}`;
    throw new ModelFormatError('bad_field', `${field}: expected ${want} numbers, got ${n}`);
  }
  return { type, data, n };
}

/** Reads a `packFloats` array (any float64, NaN included: callers check ranges). */
export function unpackFloats(x: unknown, field: string, length: number | { max: number }): Float64Array {
  const { data, n } = packedHeader(x, field, ['f64'], length);
  const bytes = Buffer.from(data, 'base64');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

/** Reads a `packInts` array, checking every value is in [min, max] (safe integers). */
export function unpackInts(
  x: unknown,
  field: string,
  min: number,
  max: number,
  length: number | { max: number },
): Float64Array {
  const { type, data, n } = packedHeader(x, field, ['i8', 'i16', 'i32', 'f64'], length);
  const bytes = Buffer.from(data, 'base64');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v =
      type === 'i8'
        ? view.getInt8(i)
        : type === 'i16'
          ? view.getInt16(i * 2, true)
          : type === 'i32'
            ? view.getInt32(i * 4, true)
            : view.getFloat64(i * 8, true);
    if (!Number.isSafeInteger(v) || v < min || v > max) {
      throw new ModelFormatError('bad_field', `${field}[${i}]: expected an integer in [${min}, ${max}]`);
    }
    out[i] = v;
  }
  return out;
}
