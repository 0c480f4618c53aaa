/**
 * In-place Cholesky factorisation L·Lᵀ of the k×k matrix in `a` (row-major, stride k; L is left in
 * the lower triangle). Returns false if the matrix is not positive definite.
 *
 * @example
 * const a = Float64Array.of(4, 2, 2, 5);
 * cholesky(a, 2); // => true
 * a[0]; // => 2
 * cholesky(Float64Array.of(1, 2, 2, 1), 2); // => false
 */
export function cholesky(a: Float64Array, k: number): boolean {
  for (let j = 0; j < k; j++) {
    let d = a[j * k + j];
    for (let p = 0; p < j; p++) d -= a[j * k + p] * a[j * k + p];
    if (!(d > 0)) return false;
    d = Math.sqrt(d);
    a[j * k + j] = d;
    for (let i = j + 1; i < k; i++) {
      let v = a[i * k + j];
      for (let p = 0; p < j; p++) v -= a[i * k + p] * a[j * k + p];
      a[i * k + j] = v / d;
    }
  }
  return true;
}

/**
 * Solves L·Lᵀ·x = b in place (`b` becomes x) with the factor {@link cholesky} left in `l`.
 *
 * @example
 * const a = Float64Array.of(4, 2, 2, 5);
 * cholesky(a, 2);
 * const b = Float64Array.of(6, 7);
 * cholSolve(a, 2, b);
 * Array.from(b).join(); // => "1,1"
 */
export function cholSolve(l: Float64Array, k: number, b: Float64Array): void {
  for (let i = 0; i < k; i++) {
    let v = b[i];
    for (let p = 0; p < i; p++) v -= l[i * k + p] * b[p];
    b[i] = v / l[i * k + i];
  }
  for (let i = k - 1; i >= 0; i--) {
    let v = b[i];
    for (let p = i + 1; p < k; p++) v -= l[p * k + i] * b[p];
    b[i] = v / l[i * k + i];
  }
}
