import { NumericError } from '../errors.js';
import { erf } from './erf.js';

/**
 * Standard normal cumulative distribution Φ(x) = ½·(1 + erf(x/√2)), to full double precision.
 *
 * @example
 * normalCdf(0); // => 0.5
 * normalCdf(1.959963984540054); // ≈ 0.975
 * normalCdf(-1); // ≈ 0.15865525393145707
 */
export function normalCdf(x: number): number {
  return 0.5 * (1 + erf(x / Math.SQRT2));
}

/**
 * Inverse standard normal CDF Φ⁻¹(p) for p in (0, 1), by bisection on {@link normalCdf} down to
 * adjacent doubles (so it is exactly as accurate as `normalCdf`). Throws a `NumericError`
 * (`bad_probability`) outside (0, 1).
 *
 * @example
 * Math.abs(normalQuantile(0.5)) < 1e-16; // => true
 * normalQuantile(0.975); // ≈ 1.959963984540054
 * normalQuantile(0.025); // ≈ -1.959963984540054
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    throw new NumericError('bad_probability', `quantile level must be in (0, 1) exclusive, got ${p}`);
  }
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
