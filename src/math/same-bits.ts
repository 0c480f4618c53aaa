/**
 * Whether `a` and `b` hold the same first `len` numbers, bit for bit (0 and -0 differ in a model
 * file). A NaN equals nothing: a caller that reuses what it computed from `a` for `b` computes again.
 *
 * @example
 * sameBits(Float64Array.of(1, 2, 3), Float64Array.of(1, 2, 4), 2); // => true
 * sameBits(Float64Array.of(1, 2, 3), Float64Array.of(1, 2, 4), 3); // => false
 * sameBits(Float64Array.of(0), Float64Array.of(-0), 1); // => false
 * sameBits(Float64Array.of(Number.NaN), Float64Array.of(Number.NaN), 1); // => false
 */
export function sameBits(a: Float64Array, b: Float64Array, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[i] !== b[i] || (a[i] === 0 && 1 / a[i] !== 1 / b[i])) return false;
  return true;
}
