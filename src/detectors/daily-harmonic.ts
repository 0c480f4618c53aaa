/**
 * The daily harmonic of ZMS's `dailyHarmonics` option (round 44 of docs/evaluation.md; docs/detectors.md,
 * ZmsDetector): a linear regression of the value on `[1, sin kωt, cos kωt]` (k = 1..K, ω = 2π / day on
 * the UTC time of day), fitted by least squares on the training part (a tiny ridge on the harmonic terms
 * keeps a part far shorter than a day solvable) and then updated by every learnt point by recursive least
 * squares without forgetting. `cycle(t)` is the fitted curve less its intercept: what the level member
 * subtracts, so it still sees the level. A training part with no variance, or whose fit explains less
 * than nothing, switches the harmonic off for good (`on` false: the cycle is 0). The coefficients never
 * leave ±`SAFE_VALUE_MAX` (what a model file may hold): a fit that would is switched off with the
 * harmonic terms at 0, and a learnt point whose update would is not learnt (rev47: values near ±1e150
 * after a short training part reached ±5e152, and the library wrote files it could not load).
 *
 * Every buffer is allocated once; `cycle` and `learn` allocate nothing.
 */
import { SAFE_VALUE_MAX } from './input.js';

const DAY = 86_400_000;

export class DailyHarmonic {
  /** Number of regressors, `1 + 2K`. */
  readonly d: number;
  /** Coefficients `[w₀, a₁, b₁, …]` (intercept first). */
  readonly w: Float64Array;
  /** The inverse of the regressors' (ridged) cross-product matrix, row-major `d × d`. */
  readonly P: Float64Array;
  /** Whether the harmonic part is used (false: the cycle is 0; the coefficients still learn). */
  on = false;
  private readonly x: Float64Array;
  private readonly px: Float64Array;
  /** The coefficients a `learn` step would give (checked against the bound before they are kept). */
  private readonly wn: Float64Array;
  /** The time `x` holds the regressors of (NaN: none). */
  private xt = Number.NaN;

  constructor(readonly K: number) {
    this.d = 1 + 2 * K;
    this.w = new Float64Array(this.d);
    this.P = new Float64Array(this.d * this.d);
    this.x = new Float64Array(this.d);
    this.px = new Float64Array(this.d);
    this.wn = new Float64Array(this.d);
  }

  /** The regressors at time `t` (a reused buffer). */
  row(t: number): Float64Array {
    const x = this.x;
    if (t === this.xt) return x;
    const u = (2 * Math.PI * (((t % DAY) + DAY) % DAY)) / DAY;
    x[0] = 1;
    for (let k = 1; k <= this.K; k++) {
      x[2 * k - 1] = Math.sin(k * u);
      x[2 * k] = Math.cos(k * u);
    }
    this.xt = t;
    return x;
  }

  /** The harmonic part (no intercept) at `t`; 0 when off. */
  cycle(t: number): number {
    if (!this.on) return 0;
    const x = this.row(t);
    let s = 0;
    for (let j = 1; j < this.d; j++) s += this.w[j] * x[j];
    return s;
  }

  /**
   * Least squares on the training part (`v.length ≥ 1`, values finite and within ±1e150: the caller
   * checks). Switches the harmonic on when the part has variance, the fit's R² is at least 0 and every
   * coefficient is within ±`SAFE_VALUE_MAX` (else off, with the harmonic terms at 0 and the mean as the
   * intercept, so the state stays one a model file holds).
   */
  fit(t: ArrayLike<number>, v: ArrayLike<number>): void {
    const d = this.d;
    const A = new Float64Array(d * d);
    const b = new Float64Array(d);
    let m = 0;
    for (let i = 0; i < v.length; i++) m += v[i];
    m /= v.length;
    let ss = 0;
    for (let i = 0; i < v.length; i++) {
      const x = this.row(t[i]);
      const y = v[i] - m;
      ss += y * y;
      for (let a = 0; a < d; a++) {
        b[a] += x[a] * y;
        for (let c = 0; c < d; c++) A[a * d + c] += x[a] * x[c];
      }
    }
    const ridge = 1e-6 * v.length;
    for (let a = 1; a < d; a++) A[a * d + a] += ridge;
    invertInto(A, d, this.P);
    // the elimination leaves P symmetric only to rounding; the RLS update keeps whatever asymmetry it
    // starts with while P shrinks, until P is indefinite (K = 6 after a 22-point part: 7e5 points)
    symmetrize(this.P, d);
    for (let a = 0; a < d; a++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += this.P[a * d + c] * b[c];
      this.w[a] = s;
    }
    this.w[0] += m;
    let rss = 0;
    for (let i = 0; i < v.length; i++) {
      const x = this.row(t[i]);
      let f = 0;
      for (let j = 0; j < d; j++) f += this.w[j] * x[j];
      rss += (v[i] - f) ** 2;
    }
    this.on = ss > 0 && 1 - rss / ss >= 0;
    if (!inBound(this.w)) {
      this.on = false;
      this.w.fill(0);
      this.w[0] = m;
    }
  }

  /**
   * One recursive-least-squares step on `(t, v)` (no forgetting); skipped (nothing changes) when it
   * would take a coefficient beyond ±`SAFE_VALUE_MAX`.
   */
  learn(t: number, v: number): void {
    const d = this.d;
    const x = this.row(t);
    const P = this.P;
    const px = this.px;
    let den = 1;
    for (let a = 0; a < d; a++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += P[a * d + c] * x[c];
      px[a] = s;
      den += x[a] * s;
    }
    let f = 0;
    for (let j = 0; j < d; j++) f += this.w[j] * x[j];
    const e = v - f;
    const wn = this.wn;
    let ok = true;
    for (let a = 0; a < d; a++) {
      const c = this.w[a] + (px[a] / den) * e;
      wn[a] = c;
      if (!(Math.abs(c) <= SAFE_VALUE_MAX)) ok = false;
    }
    if (!ok) return;
    for (let a = 0; a < d; a++) this.w[a] = wn[a];
    for (let a = 0; a < d; a++) for (let c = 0; c < d; c++) P[a * d + c] -= (px[a] * px[c]) / den;
  }

  /** Copies another harmonic's fitted state (same K) into this one. */
  copyFrom(o: DailyHarmonic): this {
    this.w.set(o.w);
    this.P.set(o.P);
    this.on = o.on;
    return this;
  }

  /** An independent copy. */
  copy(): DailyHarmonic {
    return new DailyHarmonic(this.K).copyFrom(this);
  }
}

/**
 * Replaces the `d × d` matrix `P` (row-major) by its symmetric part `(P + Pᵀ) / 2`; a symmetric one is
 * unchanged. The RLS update subtracts an exactly symmetric term, so a symmetric `P` stays symmetric.
 */
export function symmetrize(P: Float64Array, d: number): void {
  for (let a = 0; a < d; a++)
    for (let c = 0; c < a; c++) {
      const s = (P[a * d + c] + P[c * d + a]) / 2;
      P[a * d + c] = s;
      P[c * d + a] = s;
    }
}

/** Whether every entry is a finite number within ±`SAFE_VALUE_MAX`. */
function inBound(w: Float64Array): boolean {
  for (let j = 0; j < w.length; j++) if (!(Math.abs(w[j]) <= SAFE_VALUE_MAX)) return false;
  return true;
}

/** `A⁻¹` into `out` by Gauss-Jordan elimination with partial pivoting (`A` is `d × d`, row-major). */
function invertInto(A: Float64Array, d: number, out: Float64Array): void {
  const w = 2 * d;
  const M = new Float64Array(d * w);
  for (let a = 0; a < d; a++) {
    for (let c = 0; c < d; c++) M[a * w + c] = A[a * d + c];
    M[a * w + d + a] = 1;
  }
  for (let c = 0; c < d; c++) {
    let piv = c;
    for (let a = c + 1; a < d; a++) if (Math.abs(M[a * w + c]) > Math.abs(M[piv * w + c])) piv = a;
    for (let k = 0; k < w; k++) {
      const tmp = M[c * w + k];
      M[c * w + k] = M[piv * w + k];
      M[piv * w + k] = tmp;
    }
    const p = M[c * w + c];
    for (let k = 0; k < w; k++) M[c * w + k] /= p;
    for (let a = 0; a < d; a++) {
      if (a === c) continue;
      const f = M[a * w + c];
      if (f !== 0) for (let k = 0; k < w; k++) M[a * w + k] -= f * M[c * w + k];
    }
  }
  for (let a = 0; a < d; a++) for (let c = 0; c < d; c++) out[a * d + c] = M[a * w + d + c];
}
