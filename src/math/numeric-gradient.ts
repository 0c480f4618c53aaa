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
