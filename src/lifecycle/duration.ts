import { LifecycleError } from './errors.js';

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** A duration: milliseconds, or a string like `'5m'`, `'12h'`, `'1d'`, `'7d'`, `'2w'`. */
export type Duration = number | string;

/** Milliseconds of a duration; throws LifecycleError naming `what` on anything else. */
export function parseDuration(d: Duration, what: string): number {
  if (typeof d === 'number') {
    if (Number.isFinite(d) && d > 0) return d;
  } else if (typeof d === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|m|h|d|w)\s*$/.exec(d);
    if (m) {
      const ms = Number(m[1]) * UNITS[m[2]];
      if (ms > 0) return ms;
    }
  }
  throw new LifecycleError(
    'bad_option',
    `${what}: expected a positive duration such as '30m', '12h', '1d', '7d' or milliseconds, got ${JSON.stringify(d)}`,
  );
}
