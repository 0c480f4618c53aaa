/**
 * A score clamped to the finite doubles: a ratio or z-score that overflows (a value near ±1e308, or a
 * distance over a scale near zero) becomes ±`Number.MAX_VALUE`, so finite input keeps a finite,
 * still top-ranked score. NaN passes through unchanged (callers reject it where it can arise).
 *
 * @example
 * clampFinite(2.5); // => 2.5
 * clampFinite(Infinity) === Number.MAX_VALUE; // => true
 * clampFinite(-Infinity) === -Number.MAX_VALUE; // => true
 * Number.isNaN(clampFinite(NaN)); // => true
 */
export function clampFinite(x: number): number {
  return x > Number.MAX_VALUE ? Number.MAX_VALUE : x < -Number.MAX_VALUE ? -Number.MAX_VALUE : x;
}

/**
 * The [min, max] of the finite values of `v` (NaN and ±Infinity skipped); undefined when none is finite.
 *
 * @example
 * finiteRange([3, NaN, -1, Infinity]); // => [-1, 3]
 * finiteRange([NaN]) === undefined; // => true
 */
export function finiteRange(v: ArrayLike<number>): [number, number] | undefined {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!Number.isFinite(x)) continue;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return lo <= hi ? [lo, hi] : undefined;
}
