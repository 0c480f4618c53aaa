import { boxBounds } from './box.js';
import type { ObjectiveWithGradient } from './lbfgsb.js';

/**
 * The point a forward difference evaluates at in coordinate i: `xi + h` with the absolute step, reversed
 * to a backward step where the forward point would leave the box (scipy's `approx_derivative` "2-point"
 * rule), or a relative step where the absolute one vanishes next to a huge coordinate. The step
 * actually taken is `(xi + h) − xi`, exactly representable.
 */
function steppedCoordinate(xi: number, lo: number, up: number, step: number): number {
  let h = step;
  const fwd = xi + h;
  if ((fwd > up || fwd < lo) && Math.abs(h) <= Math.max(lo - xi, up - xi, xi - lo)) h = -h;
  const v = xi + h;
  if (v - xi !== 0) return v;
  // the absolute step vanishes next to a huge coordinate: fall back to a relative one
  return xi + Math.abs(xi) * 1.4901161193847656e-8 * (h < 0 ? -1 : 1);
}

/**
 * Forward-difference gradient with an absolute step (default 1e-8), reversed to a backward step
 * where the forward point would leave the box (scipy's `approx_derivative` "2-point" rule).
 * The step actually taken is recomputed as `(x + h) − x` so it is exactly representable.
 *
 * @example
 * const fg = numericGradient((x) => x[0] * x[0]);
 * const grad = new Float64Array(1);
 * fg(Float64Array.of(3), grad); // => 9
 * Math.abs(grad[0] - 6) < 1e-6; // => true
 */
export function numericGradient(
  f: (x: Float64Array) => number,
  opts: { lower?: ArrayLike<number>; upper?: ArrayLike<number>; step?: number } = {},
): ObjectiveWithGradient {
  const step = opts.step ?? 1e-8;
  return (x, grad) => {
    const n = x.length;
    const lo = boxBounds(opts.lower, n, Number.NEGATIVE_INFINITY, 'lower');
    const up = boxBounds(opts.upper, n, Number.POSITIVE_INFINITY, 'upper');
    const f0 = f(x);
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      x[i] = steppedCoordinate(xi, lo[i], up[i], step);
      const dx = x[i] - xi;
      const fi = f(x);
      x[i] = xi;
      grad[i] = (fi - f0) / dx;
    }
    return f0;
  };
}

/**
 * `numericGradient` for an objective that evaluates several points in one call: `fRows(rows, count,
 * out)` writes f of each of the `count` points stored one after another in `rows` (n numbers each)
 * into `out`. The points are x and the n points of `numericGradient`, in that order, and the gradient
 * is computed from their values with the same arithmetic, so an `fRows` that gives each point the
 * value `f` would give has the same gradient, bit for bit. For objectives that are cheaper per point in
 * batches (the ETS fit's: docs/evaluation.md, ETS fit round 29). The scratch space is allocated once
 * per dimension, not per call.
 *
 * @example
 * const fg = numericGradientRows((rows, count, out) => {
 *   for (let r = 0; r < count; r++) out[r] = rows[r] * rows[r];
 * });
 * const grad = new Float64Array(1);
 * fg(Float64Array.of(3), grad); // => 9
 * Math.abs(grad[0] - 6) < 1e-6; // => true
 *
 * @internal
 */
export function numericGradientRows(
  fRows: (rows: Float64Array, count: number, out: Float64Array) => void,
  opts: { lower?: ArrayLike<number>; upper?: ArrayLike<number>; step?: number } = {},
): ObjectiveWithGradient {
  const step = opts.step ?? 1e-8;
  let rows = new Float64Array(0);
  let values = new Float64Array(0);
  return (x, grad) => {
    const n = x.length;
    const lo = boxBounds(opts.lower, n, Number.NEGATIVE_INFINITY, 'lower');
    const up = boxBounds(opts.upper, n, Number.POSITIVE_INFINITY, 'upper');
    if (values.length !== n + 1) {
      rows = new Float64Array(n * (n + 1));
      values = new Float64Array(n + 1);
    }
    for (let r = 0; r <= n; r++) rows.set(x, r * n);
    for (let i = 0; i < n; i++) rows[(i + 1) * n + i] = steppedCoordinate(x[i], lo[i], up[i], step);
    fRows(rows, n + 1, values);
    const f0 = values[0];
    for (let i = 0; i < n; i++) grad[i] = (values[i + 1] - f0) / (rows[(i + 1) * n + i] - x[i]);
    return f0;
  };
}
