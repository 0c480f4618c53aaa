import type { z } from 'zod';
import { ConfigError } from '../errors.js';

/**
 * Parses a config with its zod schema (`undefined`/`null` = all defaults); a failure is a ConfigError
 * naming the first bad field, e.g. `config field nEstimators: Too small: expected number to be >=1`.
 */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, what = 'config'): z.infer<S> {
  const r = schema.safeParse(input ?? {});
  if (!r.success) {
    const iss = r.error.issues[0];
    const where = iss.path.length ? iss.path.map(String).join('.') : '(config)';
    throw new ConfigError('bad_config', `${what} field ${where}: ${iss.message}`);
  }
  return r.data;
}

/**
 * The known key closest to a misspelt `key` (edit distance at most 2, or equal ignoring case), as
 * ` (did you mean "seed"?)`, else `''`.
 */
export function didYouMean(key: string, known: readonly string[]): string {
  let best = '';
  let bestD = 3;
  for (const k of known) {
    const d = k.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, k, bestD);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best ? ` (did you mean "${best}"?)` : '';
}

/** Levenshtein distance of two short strings, or `cap` once it is clearly at least `cap`. */
function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return Math.min(prev[b.length], cap);
}
