/**
 * numpy's default ("linear") quantile of an ascending-sorted array, with numpy's own arithmetic
 * (virtual index `n·q + (1 − q) − 1`, and a lerp taken from the nearer end) so results match numpy
 * to the bit. `q` in [0, 1]; an empty array gives NaN. The caller sorts (no copy is made).
 *
 * @example
 * quantileSorted([1, 2, 3, 4], 0.5); // => 2.5
 * quantileSorted([1, 2, 3, 4], 0); // => 1
 * quantileSorted([1, 2, 3, 4], 1); // => 4
 * quantileSorted([0, 10], 0.25); // => 2.5
 * quantileSorted([], 0.5); // => NaN
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const virt = n * q + (1 - q) - 1;
  let lo = Math.floor(virt);
  let gamma = virt - lo;
  if (lo < 0) {
    lo = 0;
    gamma = 0;
  }
  if (lo >= n - 1) return sorted[n - 1];
  const a = sorted[lo];
  const b = sorted[lo + 1];
  const diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/**
 * numpy `percentile(sorted, p)` (linear rule) of an ascending-sorted array, `p` in [0, 100].
 *
 * @example
 * percentileSorted([1, 2, 3, 4, 5], 50); // => 3
 * percentileSorted([1, 2, 3, 4, 5], 90); // => 4.6
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  return quantileSorted(sorted, p / 100);
}
