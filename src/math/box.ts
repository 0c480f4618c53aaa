import { NumericError } from '../errors.js';

/**
 * Bounds of a box-constrained problem as a `Float64Array` of length `n`: `undefined` gives all
 * `fill` (±Infinity = unbounded), NaN entries become `fill`. A `NumericError` (`bad_bounds`) if the
 * length is not `n`.
 *
 * @example
 * Array.from(boxBounds([0, Number.NaN], 2, -Infinity, 'lower')).join(); // => "0,-Infinity"
 * boxBounds(undefined, 3, Infinity, 'upper').length; // => 3
 */
export function boxBounds(
  b: ArrayLike<number> | undefined,
  n: number,
  fill: number,
  name: string,
): Float64Array {
  const out = new Float64Array(n).fill(fill);
  if (b === undefined) return out;
  if (b.length !== n) {
    throw new NumericError('bad_bounds', `${name} has ${b.length} entries; pass one per variable (${n})`);
  }
  for (let i = 0; i < n; i++) out[i] = Number.isNaN(b[i]) ? fill : b[i];
  return out;
}

/**
 * Infinity norm of the projected gradient of a box-constrained problem: components that would push
 * `x` out of the box are cut to the distance to the bound (the L-BFGS-B stopping measure).
 *
 * @example
 * const x = Float64Array.of(0, 0.5);
 * const g = Float64Array.of(2, -1);
 * projectedGradientNorm(x, g, Float64Array.of(0, 0), Float64Array.of(1, 1)); // => 0.5
 */
export function projectedGradientNorm(
  x: Float64Array,
  g: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    let gi = g[i];
    if (gi < 0) {
      if (upper[i] < Number.POSITIVE_INFINITY) gi = Math.max(x[i] - upper[i], gi);
    } else if (lower[i] > Number.NEGATIVE_INFINITY) gi = Math.min(x[i] - lower[i], gi);
    const a = Math.abs(gi);
    if (a > m) m = a;
  }
  return m;
}
