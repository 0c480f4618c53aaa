/**
 * Whether `a` and `b` hold the same first `len` numbers, bit for bit (0 and -0 differ in a model
 * file). A NaN equals nothing: a caller that reuses what it computed from `a` for `b` computes again.
 */
export function sameBits(a: Float64Array, b: Float64Array, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[i] !== b[i] || (a[i] === 0 && 1 / a[i] !== 1 / b[i])) return false;
  return true;
}
