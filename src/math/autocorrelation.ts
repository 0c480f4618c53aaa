import { ACF_WASM } from './wasm/acf-wasm.js';

/**
 * Sample autocorrelation of `v` at lags 0 … L (L = min(maxLag, n − 1)): r_k = Σ_{i≥k} c_i·c_{i−k} / Σ c_i²
 * with c = v − mean(v) (sums over the whole series, divided by the same total, as statsmodels' `acf`
 * does by default), or null when `v` is constant (or has fewer than two values). r_0 is 1.
 *
 * Up to 2^24 multiply-adds (n · L), or with at most 128 lags, every lag is summed directly, in index order; above, the lags come
 * from one fast Fourier transform of the zero-padded deviations and its inverse (the Wiener–Khinchin
 * route: the autocovariance is the inverse transform of the power spectrum), O(N log N) for N the power
 * of two ≥ 2n instead of O(n · L). The two agree to about 1e-15 of r_0 (rounding only). Typed arrays;
 * one buffer per call.
 *
 * The direct sums run in WebAssembly with SIMD (src/math/wasm/acf.ts, two lags per vector) when
 * n + L + 1 ≤ `ACF_WASM_DOUBLES`, in JavaScript otherwise (or without WebAssembly); both give the
 * same bits (docs/numerics.md, Autocorrelation).
 *
 * @example
 * autocorrelation([1, 2, 3, 4], 2)![0]; // => 1
 * autocorrelation([1, 2, 3, 4], 2)![1]; // => 0.25
 * autocorrelation([1, -1, 1, -1], 1)![1]; // => -0.75
 * autocorrelation([5, 5, 5], 1); // => null
 */
export function autocorrelation(v: ArrayLike<number>, maxLag: number): Float64Array | null {
  const n = v.length;
  if (n < 2) return null;
  const L = lagsOf(n, maxLag);
  // Above 2^24 multiply-adds the FFT route is faster even cold (the first call in a process, as at
  // training, before V8 has optimised the transform); below, the direct sums are (docs/numerics.md)
  // (and only for many lags: with a few dozen the direct sums stay cheap per point, and the FFT's
  // buffer of 3N doubles would be about six times the deviations' n)
  if (n * L > FFT_FROM && L > FFT_MIN_LAGS) return viaFft(v, meanOf(v), L, paddedLength(n));
  return direct(v, L, n + L + 1 <= ACF_WASM_DOUBLES ? acfWasm() : null);
}

/**
 * The direct sums of `autocorrelation` (whatever n · L) by one route: `javascript` (the fallback) or
 * `webassembly` (the route `autocorrelation` takes when it can). The two give the same bits; the tests
 * compare them. Throws a RangeError when the WebAssembly route cannot run: no WebAssembly with SIMD,
 * n + L + 1 above `ACF_WASM_DOUBLES`, or a call made while another is reading its input (from an
 * array-like's getter).
 *
 * @example
 * directAutocorrelation([1, 2, 3, 4], 2, 'webassembly')![1]; // => 0.25
 * directAutocorrelation([1, 2, 3, 4], 2, 'javascript')![1]; // => 0.25
 * directAutocorrelation([5, 5, 5], 1, 'webassembly'); // => null
 */
export function directAutocorrelation(
  v: ArrayLike<number>,
  maxLag: number,
  route: 'javascript' | 'webassembly',
): Float64Array | null {
  const n = v.length;
  if (n < 2) return null;
  const L = lagsOf(n, maxLag);
  let w: AcfWasm | null = null;
  if (route === 'webassembly') {
    w = n + L + 1 <= ACF_WASM_DOUBLES ? acfWasm() : null;
    if (!w) throw new RangeError(`no WebAssembly route for ${n} values and ${L} lags`);
  }
  return direct(v, L, w);
}

/** L = min(maxLag, n − 1), at least 0. */
function lagsOf(n: number, maxLag: number): number {
  return Math.max(0, Math.min(maxLag, n - 1));
}

function meanOf(v: ArrayLike<number>): number {
  const n = v.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += v[i];
  return mean / n;
}

/**
 * The direct sums, in WebAssembly when `w` is given: the values are copied into its memory, and the
 * mean, the deviations and Σ c² are computed there by the same operations in the same order as below.
 */
function direct(v: ArrayLike<number>, L: number, w: AcfWasm | null): Float64Array | null {
  const n = v.length;
  if (w) {
    // reading `v` may run a caller's code (an array-like's getters), which may call `autocorrelation`
    // itself: that call finds the memory taken and sums in JavaScript (acfWasm), so the values being
    // copied here are not overwritten; after the copy, nothing but this function's code runs
    acfReading = true;
    try {
      w.mem.set(v);
    } finally {
      acfReading = false;
    }
    const var0 = w.deviations(n);
    if (!(var0 > 0)) return null;
    // r at doubles n … n + L; the lags in calls of ACF_WASM_LAGS each, so that V8 can move to its
    // optimised code of the sums between calls (a WebAssembly function runs to its end in the code it
    // was entered with)
    w.mem[n] = 1;
    for (let k = 1; k <= L; k += ACF_WASM_LAGS) w.acf(n, k, Math.min(L, k + ACF_WASM_LAGS - 1), var0, 8 * n);
    return w.mem.slice(n, n + L + 1);
  }
  const mean = meanOf(v);
  const c = new Float64Array(n);
  let var0 = 0;
  for (let i = 0; i < n; i++) {
    c[i] = v[i] - mean;
    var0 += c[i] * c[i];
  }
  if (!(var0 > 0)) return null;
  const r = new Float64Array(L + 1);
  r[0] = 1;
  // four lags per pass over the series, each lag's sum still taken in index order (so the same bits
  // as one lag at a time): c[i] is read once for four products, and the four sums are independent
  // chains of additions instead of one
  let k = 1;
  for (; k + 3 <= L; k += 4) {
    const k1 = k + 1;
    const k2 = k + 2;
    const k3 = k + 3;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    // the first terms of the shorter-starting lags: lag k from i = k, lag k + 1 from k + 1, …
    s0 += c[k] * c[0];
    s0 += c[k1] * c[1];
    s1 += c[k1] * c[0];
    s0 += c[k2] * c[2];
    s1 += c[k2] * c[1];
    s2 += c[k2] * c[0];
    for (let i = k3; i < n; i++) {
      const ci = c[i];
      s0 += ci * c[i - k];
      s1 += ci * c[i - k1];
      s2 += ci * c[i - k2];
      s3 += ci * c[i - k3];
    }
    r[k] = s0 / var0;
    r[k1] = s1 / var0;
    r[k2] = s2 / var0;
    r[k3] = s3 / var0;
  }
  for (; k <= L; k++) {
    let s = 0;
    for (let i = k; i < n; i++) s += c[i] * c[i - k];
    r[k] = s / var0;
  }
  return r;
}

let primed = false;

/**
 * Gives the direct route of `autocorrelation` type feedback for all of its code once, on a short
 * series, before the first long call (a period search on a training part: 3,489 × 1,163 on NAB's
 * machine temperature). Called by the period search (src/detectors/discord/period.ts) on first use,
 * not at import (importing tsad runs no code); the numbers it computes are thrown away, so no result
 * depends on it.
 *
 * Why: V8 allocates a function's feedback vector only after it has run for a while, and compiles a
 * long call's four-lag loop on stack replacement before the code after that loop (the lags left
 * over, `k <= L`) has ever run. That code then ends in a bailout ("insufficient type feedback for
 * compare operation"), the function runs unoptimised again and is compiled once more: two or three times per
 * `tsad nab machine-temperature` before this priming, each a TurboFan compile on the two cores the
 * command shares with its forest worker (docs/evaluation.md, Start-up round 44). Two passes of 96
 * points with 31 lags (seven passes of four lags, then three left over), the first paying for the
 * vector, the second recording every branch. Where the sums run in WebAssembly (docs/numerics.md), the
 * four-lag loop is the fallback only, and the priming just compiles and instantiates the module.
 *
 * @example
 * primeAutocorrelation(); // once per process: later calls return at once
 * autocorrelation([1, 2, 3, 4], 2)![1]; // => 0.25
 */
export function primeAutocorrelation(): void {
  if (primed) return;
  primed = true;
  const x = new Float64Array(96);
  for (let i = 0; i < x.length; i++) x[i] = (i * 0.618034) % 1;
  for (let pass = 0; pass < 2; pass++) autocorrelation(x, 31);
}

/** `autocorrelation` takes the FFT route above this many multiply-adds of the direct sums (n · L). */
const FFT_FROM = 2 ** 24;

/** …and only above this many lags (below, the direct sums cost at most this many passes over the series). */
const FFT_MIN_LAGS = 128;

/** The power of two ≥ 2n the FFT route pads to. */
function paddedLength(n: number): number {
  let N = 1;
  while (N < 2 * n) N <<= 1;
  return N;
}

function viaFft(v: ArrayLike<number>, mean: number, L: number, N: number): Float64Array | null {
  const n = v.length;
  // one buffer: re | im | cos table | sin table
  const buf = new Float64Array(3 * N);
  const re = buf.subarray(0, N);
  const im = buf.subarray(N, 2 * N);
  const cos = buf.subarray(2 * N, 2 * N + N / 2);
  const sin = buf.subarray(2 * N + N / 2, 3 * N);
  let var0 = 0;
  for (let i = 0; i < n; i++) {
    const c = v[i] - mean;
    re[i] = c;
    var0 += c * c;
  }
  if (!(var0 > 0)) return null;
  for (let k = 0; k < N / 2; k++) {
    const a = (2 * Math.PI * k) / N;
    cos[k] = Math.cos(a);
    sin[k] = Math.sin(a);
  }
  fft(re, im, cos, sin, -1);
  for (let k = 0; k < N; k++) {
    re[k] = re[k] * re[k] + im[k] * im[k];
    im[k] = 0;
  }
  fft(re, im, cos, sin, 1);
  // the inverse transform without its 1/N; re[0] is then N · Σ c²
  const r = new Float64Array(L + 1);
  const scale = re[0];
  r[0] = 1;
  for (let k = 1; k <= L; k++) r[k] = re[k] / scale;
  return r;
}

/** In-place iterative radix-2 transform of (re, im), length a power of two; `sign` −1 forward, +1 inverse (unscaled). */
function fft(re: Float64Array, im: Float64Array, cos: Float64Array, sin: Float64Array, sign: number): void {
  const N = re.length;
  for (let i = 1, j = 0; i < N; i++) {
    let bit = N >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const tr = re[i];
      re[i] = re[j];
      re[j] = tr;
      const ti = im[i];
      im[i] = im[j];
      im[j] = ti;
    }
  }
  for (let len = 2; len <= N; len <<= 1) {
    const half = len >> 1;
    const step = N / len;
    for (let i = 0; i < N; i += len) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step];
        const wi = sign * sin[k * step];
        const a = i + k;
        const b = a + half;
        const xr = re[b] * wr - im[b] * wi;
        const xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  }
}

/**
 * Doubles in the WebAssembly sums' memory (8 pages of 64 KiB, fixed: a WebAssembly memory cannot
 * shrink, so it is never grown): the deviations and the lags, n + L + 1 of them. Longer calls take
 * the JavaScript route.
 */
export const ACF_WASM_DOUBLES = 65_536;

/** Lags per call into the WebAssembly sums (eight passes of eight lags). */
const ACF_WASM_LAGS = 64;

/** The WebAssembly sums (src/math/wasm/acf.ts) and a view of their memory. */
interface AcfWasm {
  deviations(n: number): number;
  acf(n: number, from: number, L: number, var0: number, out: number): void;
  readonly mem: Float64Array;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

/** The instance (undefined: not tried yet; null: no WebAssembly with SIMD here, or no memory for it). */
let acfInstance: AcfWasm | null | undefined;

/** True while a call copies its input into the instance's memory (a call made meanwhile sums in JavaScript). */
let acfReading = false;

/**
 * The WebAssembly sums, compiled and instantiated on the first call in this thread (importing runs
 * nothing), or null where WebAssembly or its SIMD is missing (the module does not compile) or its
 * memory cannot be had (V8 reserves address space for each WebAssembly memory): the JavaScript route
 * then serves this thread. Also null during another call's copying of its input into the memory (a
 * re-entrant call, from an array-like's getter): that one call sums in JavaScript.
 */
function acfWasm(): AcfWasm | null {
  if (acfReading) return null;
  if (acfInstance !== undefined) return acfInstance;
  acfInstance = null;
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) return null;
  let exports: Omit<AcfWasm, 'mem'> & { memory: { readonly buffer: ArrayBuffer } };
  try {
    exports = new api.Instance(new api.Module(Buffer.from(ACF_WASM, 'base64')), {}).exports as typeof exports;
  } catch {
    return null;
  }
  const mem = new Float64Array(exports.memory.buffer, 0, ACF_WASM_DOUBLES);
  acfInstance = { deviations: exports.deviations, acf: exports.acf, mem };
  return acfInstance;
}
