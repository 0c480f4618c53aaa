/**
 * The dominant period of a series, from its autocorrelation: the lag of the highest autocorrelation
 * peak after the function first drops below zero, if that peak reaches `minCorr`; else 0 (no period).
 * O(n · maxLag) once, at training.
 */
export function dominantPeriod(v: Float64Array, maxLag = 2000, minCorr = 0.3): number {
  const n = v.length;
  const L = Math.min(maxLag, Math.floor(n / 3));
  if (L < 4) return 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += v[i];
  mean /= n;
  let var0 = 0;
  for (let i = 0; i < n; i++) var0 += (v[i] - mean) ** 2;
  if (!(var0 > 0)) return 0;
  const acf = new Float64Array(L + 1);
  for (let k = 1; k <= L; k++) {
    let s = 0;
    for (let i = k; i < n; i++) s += (v[i] - mean) * (v[i - k] - mean);
    acf[k] = s / var0;
  }
  let k = 1;
  while (k <= L && acf[k] > 0) k++;
  let best = 0;
  let bestCorr = minCorr;
  for (; k < L; k++) {
    if (acf[k] > bestCorr && acf[k] >= acf[k - 1] && acf[k] >= acf[k + 1]) {
      best = k;
      bestCorr = acf[k];
    }
  }
  return best;
}

/** The median of a copy of `x` (NaN when empty). */
export function median(x: ArrayLike<number>): number {
  const s = Float64Array.from(x).sort();
  const n = s.length;
  if (n === 0) return Number.NaN;
  return n % 2 ? s[(n - 1) >> 1] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}
