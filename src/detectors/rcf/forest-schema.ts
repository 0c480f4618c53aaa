/**
 * The zod schema of the forest state `CutForest.toJSON()` writes (packed arrays, decoded after length
 * checks by `CutForest.fromJSON`), and the header it shares with the older plain-array form
 * (`forest-v2.ts`).
 */

import { z } from 'zod';
import { ModelFormatError } from '../../errors.js';

/** A ModelFormatError for the first issue of a failed zod parse, naming the field under `path`. */
export function zodError(error: z.ZodError, path: string): ModelFormatError {
  const issue = error.issues[0];
  const where = [path, ...issue.path.map(String)].join('.');
  return new ModelFormatError('bad_state', `${where}: ${issue.message}`);
}

export const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const int32 = z.number().int().min(-2147483648).max(2147483647);

export const header = {
  dimensions: z.number().int().min(1).max(10_000),
  numberOfTrees: z.number().int().min(1).max(100_000),
  sampleSize: z.number().int().min(1).max(1_000_000),
  lambda: finite.min(0),
  outputAfter: z.number().int().min(0),
  seed: z.number().int(),
  updates: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  rng: z.array(int32),
};

/** The forest state `toJSON()` writes: packed arrays, decoded (after length checks) by `fromJSON`. */
export const ForestStateSchema = z.object({
  ...header,
  points: z.object({ seqs: z.string(), coords: z.string() }),
  trees: z.array(
    z.object({
      dims: z.string(),
      cuts: z.string(),
      leaves: z.string(),
      weights: z.string(),
      slots: z.string(),
    }),
  ),
});
