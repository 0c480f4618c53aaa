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
