/**
 * The one check of labelled anomaly windows passed to library functions: `evaluate`'s / `accumulateTsad`'s
 * `truth` windows (MetricsError `bad_window`), `simulate`'s `labels` and `promote`'s `holdout.labels`
 * (LifecycleError `bad_option`). Each caller gives its option's name and its error. @internal
 */

import type { TsadError } from '../errors.js';
import { jsonForMessage } from './series.js';
import type { Window } from './types.js';

const HOW =
  "pass each window as [start, end] in epoch ms, start ≤ end (Date.parse('2024-03-01T00:00:00Z') for a date)";

/**
 * `labels` checked: an array of `[start, end]` windows of finite epoch ms with start ≤ end. A bad value is
 * `fail(message)` thrown, the message naming the option (`name`, such as `truth` or `holdout.labels`) and
 * the window's index; nothing is dropped or misread silently (a NaN or infinite end, a `{ start, end }`
 * object, date strings). Allocates nothing when every window is good.
 * @internal
 */
export function checkLabelWindows(
  labels: unknown,
  name: string,
  fail: (message: string) => TsadError,
): readonly Window[] {
  if (!Array.isArray(labels)) {
    throw fail(`${name}: expected an array of [start, end] windows, got ${jsonForMessage(labels)}; ${HOW}`);
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
        ? `[${w.map((x) => jsonForMessage(x)).join(',')}]`
        : w !== null && typeof w === 'object'
          ? `an object ${jsonForMessage(w)}`
          : jsonForMessage(w);
      throw fail(`${name}[${k}]: expected [start, end] of finite epoch ms, got ${got}; ${HOW}`);
    }
    if (w[1] < w[0]) {
      throw fail(
        `${name}[${k}]: its end ${new Date(w[1]).toISOString()} is before its start ${new Date(w[0]).toISOString()}; ${HOW}`,
      );
    }
  }
  return labels as readonly Window[];
}
