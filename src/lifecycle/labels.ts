/**
 * The one check of labelled anomaly windows given to the lifecycle functions (`simulate`'s `labels`,
 * `promote`'s `holdout.labels`). @internal
 */

import type { Window } from '../series/types.js';
import { LifecycleError } from './errors.js';

const HOW =
  "pass each window as [start, end] in epoch ms, start ≤ end (Date.parse('2024-03-01T00:00:00Z') for a date)";

/**
 * `labels` checked: an array of `[start, end]` windows of finite epoch ms with start ≤ end. A bad value is
 * `LifecycleError` `bad_option` naming the option (`name`, such as `labels` or `holdout.labels`) and the
 * window's index; nothing is dropped silently (a NaN end, a `{ start, end }` object, date strings).
 * @internal
 */
export function checkLabelWindows(labels: unknown, name: string): readonly Window[] {
  if (!Array.isArray(labels)) {
    throw new LifecycleError(
      'bad_option',
      `${name}: expected an array of [start, end] windows, got ${showJson(labels)}; ${HOW}`,
    );
  }
  for (let k = 0; k < labels.length; k++) {
    const w: unknown = labels[k];
    if (
      !Array.isArray(w) ||
      w.length !== 2 ||
      typeof w[0] !== 'number' ||
      typeof w[1] !== 'number' ||
      !Number.isFinite(w[0]) ||
      !Number.isFinite(w[1])
    ) {
      const got = Array.isArray(w)
        ? `[${w.map(showJson).join(',')}]`
        : w !== null && typeof w === 'object'
          ? `an object ${showJson(w)}`
          : showJson(w);
      throw new LifecycleError(
        'bad_option',
        `${name}[${k}]: expected [start, end] of finite epoch ms, got ${got}; ${HOW}`,
      );
    }
    if (w[1] < w[0]) {
      throw new LifecycleError(
        'bad_option',
        `${name}[${k}]: its end ${new Date(w[1]).toISOString()} is before its start ${new Date(w[0]).toISOString()}; ${HOW}`,
      );
    }
  }
  return labels as readonly Window[];
}

/** A value as JSON for a message (NaN and ±Infinity by name). */
function showJson(x: unknown): string {
  if (typeof x === 'number') return String(x);
  try {
    return JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}
