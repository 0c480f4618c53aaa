/**
 * Releasing a stream's state for reuse: `tsad serve` drops a series' stream (LRU eviction once its
 * checkpoint landed, `DELETE`, a reload's restart, `close()`) and its Random Cut Forests' WebAssembly
 * memories go to a pool the next forests take from (rcf/forest-pool.ts), instead of waiting for a
 * full collection V8 may not run for a long time (docs/evaluation.md, serve44). Internal: no entry
 * point exports it; a symbol, so that no public type shows it.
 */
import type { StreamScorer } from './types.js';

/**
 * The method key of an object that can give up the state it alone holds: a stream of a tsad detector
 * (`BaseDetector.stream()`, `streamOnce`), and inside it the raw models that own a forest (a Random Cut
 * Forest's, an ensemble's members). After the call the object refuses every use (`DetectorError`
 * `internal`) or is never used again by its owner.
 */
export const RELEASE: unique symbol = Symbol('tsad.release');

/** An object with a `RELEASE` method (see there). */
export interface Releasable {
  [RELEASE](): void;
}

/** Whether `x` has a `RELEASE` method. */
export function isReleasable(x: unknown): x is Releasable {
  return typeof x === 'object' && x !== null && typeof (x as Partial<Releasable>)[RELEASE] === 'function';
}

/**
 * Gives up stream `s` for good, by its only user: the memory of the forests it alone holds goes back
 * for reuse, and every later call of `s` throws `DetectorError` `internal`. A stream of another
 * detector (a third party's, a lab wrapper's) is left to the collector: returns false. A second call
 * does nothing.
 */
export function releaseStream(s: StreamScorer): boolean {
  if (!isReleasable(s)) return false;
  s[RELEASE]();
  return true;
}
