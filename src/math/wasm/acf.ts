// AssemblyScript, not TypeScript (kept out of tsc and biome): compiled by scripts/build-wasm.mjs into
// the committed acf-wasm.ts; run it after any change here (wasm-bytes.test.ts checks).
//
// The direct route of `autocorrelation` (src/math/autocorrelation.ts; docs/numerics.md,
// Autocorrelation): the deviations from the mean and their sum of squares, then the sums of the lags
// with 128-bit SIMD, two lags per vector, eight lags per pass over the series. Every
// lag's sum is still one chain of additions in index order, starting from 0 and then its own first
// term, of the same products, and only `+`, `*` and `/` are used (no fused multiply-add), so every
// r_k has the bits of the JavaScript loop. Nothing here allocates: no data segment, no heap; the
// memory is the module's own, a fixed 8 pages (64 Ki doubles) that cannot grow.

/**
 * Replaces the n values at byte 0 by their deviations from their mean and returns Σ c_i²: the mean
 * summed in index order and divided by n, c_i = v_i − mean, the squares summed in index order, as
 * `autocorrelation`'s JavaScript route does.
 */
export function deviations(n: i32): f64 {
  const end: usize = <usize>n << 3;
  let mean: f64 = 0;
  for (let p: usize = 0; p < end; p += 8) mean += load<f64>(p);
  mean /= <f64>n;
  let var0: f64 = 0;
  for (let p: usize = 0; p < end; p += 8) {
    const c = load<f64>(p) - mean;
    store<f64>(p, c);
    var0 += c * c;
  }
  return var0;
}

/**
 * r_k = Σ_{i≥k} c_i·c_{i−k} / var0 for k = from … L into the doubles at byte `out` + 8k, for the
 * deviations c (n doubles) at byte 0. Needs 1 ≤ from, L ≤ n − 1 and out ≥ 8n.
 */
export function acf(n: i32, from: i32, L: i32, var0: f64, out: usize): void {
  let k: i32 = from;
  for (; k + 7 <= L; k += 8) {
    // the terms before every lag of the pass has one (i < k + 7): lag k + j from i = k + j, in index
    // order, summed into r[k + j] as scratch (from 0, like the JavaScript sums)
    for (let j: i32 = 0; j < 7; j++) {
      let s: f64 = 0;
      for (let i: i32 = k + j; i < k + 7; i++) {
        s += load<f64>(<usize>i << 3) * load<f64>(<usize>(i - k - j) << 3);
      }
      store<f64>(out + (<usize>(k + j) << 3), s);
    }
    // lanes: [lag k + 2m + 1, lag k + 2m] (a vector load at c[i − k − 2m − 1] holds the pair)
    const r: usize = out + (<usize>k << 3);
    let a0 = f64x2(load<f64>(r, 8), load<f64>(r));
    let a1 = f64x2(load<f64>(r, 24), load<f64>(r, 16));
    let a2 = f64x2(load<f64>(r, 40), load<f64>(r, 32));
    let a3 = f64x2(0, load<f64>(r, 48));
    let p: usize = <usize>(k + 7) << 3; // c[i]
    let q: usize = 0; // c[i − k − 7]
    const end: usize = <usize>n << 3;
    for (; p < end; p += 8, q += 8) {
      const ci = f64x2.splat(load<f64>(p));
      a3 = f64x2.add(a3, f64x2.mul(ci, v128.load(q)));
      a2 = f64x2.add(a2, f64x2.mul(ci, v128.load(q, 16)));
      a1 = f64x2.add(a1, f64x2.mul(ci, v128.load(q, 32)));
      a0 = f64x2.add(a0, f64x2.mul(ci, v128.load(q, 48)));
    }
    store<f64>(r, f64x2.extract_lane(a0, 1) / var0);
    store<f64>(r, f64x2.extract_lane(a0, 0) / var0, 8);
    store<f64>(r, f64x2.extract_lane(a1, 1) / var0, 16);
    store<f64>(r, f64x2.extract_lane(a1, 0) / var0, 24);
    store<f64>(r, f64x2.extract_lane(a2, 1) / var0, 32);
    store<f64>(r, f64x2.extract_lane(a2, 0) / var0, 40);
    store<f64>(r, f64x2.extract_lane(a3, 1) / var0, 48);
    store<f64>(r, f64x2.extract_lane(a3, 0) / var0, 56);
  }
  // the lags left over (fewer than eight): two at a time, then one
  for (; k + 1 <= L; k += 2) {
    let s: f64 = 0;
    s += load<f64>(<usize>k << 3) * load<f64>(0);
    let a = f64x2(0, s);
    let p: usize = <usize>(k + 1) << 3;
    let q: usize = 0; // c[i − k − 1]
    const end: usize = <usize>n << 3;
    for (; p < end; p += 8, q += 8) a = f64x2.add(a, f64x2.mul(f64x2.splat(load<f64>(p)), v128.load(q)));
    const r: usize = out + (<usize>k << 3);
    store<f64>(r, f64x2.extract_lane(a, 1) / var0);
    store<f64>(r, f64x2.extract_lane(a, 0) / var0, 8);
  }
  if (k <= L) {
    let s: f64 = 0;
    for (let i: i32 = k; i < n; i++) s += load<f64>(<usize>i << 3) * load<f64>(<usize>(i - k) << 3);
    store<f64>(out + (<usize>k << 3), s / var0);
  }
}
