import { z } from 'zod';
import { ModelFormatError } from '../errors.js';
import type { JsonObject, JsonValue } from './types.js';

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
