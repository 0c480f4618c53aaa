/**
 * Forest states written before packed arrays (RCF state version 2: plain JSON number arrays), read by
 * converting them to the packed form `CutForest.toJSON()` writes today (docs/rcf.md, older files).
 */

import { z } from 'zod';
import { ModelFormatError } from '../../errors.js';
import { packFloats, packInts } from '../json.js';
import type { JsonObject } from '../types.js';
import { finite, header, zodError } from './forest-schema.js';

/** Whether a forest state holds plain JSON arrays (written before packed arrays). */
export function isArrayForm(json: unknown): boolean {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return false;
  const points = (json as Record<string, unknown>).points;
  return (
    points !== null && typeof points === 'object' && Array.isArray((points as Record<string, unknown>).coords)
  );
}

/**
 * Converts a forest state written with plain JSON arrays (tsad before packed arrays: per tree
 * `dims`, `values` — cut values, and at leaves the leaf's sequence number — `weights` and `seqs`
 * by sequence number) to the packed form `toJSON()` writes today. Shapes and references are
 * checked here; everything else by `fromJSON`. Throws ModelFormatError naming the field.
 */
export function packForestArrays(json: unknown, path = 'state'): JsonObject {
  const parsed = ArrayFormSchema.safeParse(json);
  if (!parsed.success) throw zodError(parsed.error, path);
  const s = parsed.data;
  const pointIndex = new Map<number, number>();
  s.points.seqs.forEach((seq, i) => {
    if (!pointIndex.has(seq)) pointIndex.set(seq, i);
  });
  const index = (seq: number, field: string): number => {
    const i = pointIndex.get(seq);
    if (i === undefined)
      throw new ModelFormatError('bad_state', `${path}.${field}: sequence ${seq} is not in points.seqs`);
    return i;
  };
  const trees = s.trees.map((ts, t): JsonObject => {
    const where = `trees.${t}`;
    if (ts.dims.length !== ts.values.length) {
      throw new ModelFormatError('bad_state', `${path}.${where}.values: length differs from dims`);
    }
    if (ts.seqs.length !== ts.weights.length) {
      throw new ModelFormatError('bad_state', `${path}.${where}.seqs: length differs from weights'`);
    }
    const cuts: number[] = [];
    const leaves: number[] = [];
    ts.dims.forEach((dim, k) => {
      if (dim === -1) leaves.push(index(ts.values[k], `${where}.values.${k}`));
      else cuts.push(ts.values[k]);
    });
    return {
      dims: packInts(ts.dims),
      cuts: packFloats(cuts),
      leaves: packInts(leaves),
      weights: packFloats(ts.weights),
      slots: packInts(ts.seqs.map((seq, i) => index(seq, `${where}.seqs.${i}`))),
    };
  });
  return {
    ...s,
    points: { seqs: packInts(s.points.seqs), coords: packFloats(s.points.coords) },
    trees,
  };
}

/** The forest state of tsad before packed arrays (plain JSON arrays). */
const ArrayFormSchema = z.object({
  ...header,
  points: z.object({
    seqs: z.array(z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)),
    coords: z.array(finite),
  }),
  trees: z.array(
    z.object({
      dims: z.array(
        z
          .number()
          .int()
          .min(-1)
          .max(2 ** 31 - 1),
      ),
      values: z.array(finite),
      weights: z.array(finite),
      seqs: z.array(z.number().int().min(1)),
    }),
  ),
});
