/**
 * The error function and a fast complementary error function.
 *
 * Two formulas live here on purpose, because published figures depend on each:
 * - {@link erf} sums a power series to full double precision. The normal CDF, the calibrator's
 *   uncertainty and the seasonality test use it.
 * - {@link erfcFast} is the Abramowitz–Stegun rational approximation 7.1.26 (absolute error below
 *   1.5e-7). Numenta's anomaly likelihood is defined with that approximation in NAB's reference
 *   code, and the NAB scores tsad reports (docs/nab-corpus.md) were tuned against it, so swapping
 *   it for the exact `1 − erf` would move those scores. Use it only where that reproduction matters.
 */

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt, to full double precision.
 *
 * Sums the everywhere-convergent series erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)),
 * whose terms are all positive (no cancellation); |x| > 6 returns ±1 (the true value rounds to it).
 *
 * @example
 * erf(0); // => 0
 * erf(1); // ≈ 0.8427007929497149
 * erf(-0.5); // ≈ -0.5204998778130465
 * erf(7); // => 1
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const ax = Math.abs(x);
  if (ax > 6) return Math.sign(x);
  let term = ax;
  let sum = ax;
  const x2 = ax * ax;
  for (let n = 1; n < 500; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  const r = TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  return x < 0 ? -r : r;
}

/**
 * erfc(x) = 1 − erf(x) by the Abramowitz–Stegun 7.1.26 rational approximation (absolute error
 * below 1.5e-7): the formula NAB's anomaly likelihood uses, kept for bit-identical NAB scores.
 * For accurate values use `1 - erf(x)`.
 *
 * @example
 * erfcFast(1); // ≈ 0.15729931
 * erfcFast(-1); // ≈ 1.84270069
 * Math.abs(erfcFast(0.7) - (1 - erf(0.7))) < 1.5e-7; // => true
 */
export function erfcFast(x: number): number {
  const ax = Math.abs(x);
  const k = 1 / (1 + 0.3275911 * ax);
  const y = ((((1.061405429 * k - 1.453152027) * k + 1.421413741) * k - 0.284496736) * k + 0.254829592) * k;
  const r = y * Math.exp(-ax * ax);
  return x >= 0 ? r : 2 - r;
}
