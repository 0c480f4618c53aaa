import { DetectorError } from '../../errors.js';
import { minimizeLbfgsb } from '../../math/lbfgsb.js';
import { numericGradient } from '../../math/numeric-gradient.js';
import { NormalRng } from '../../math/rng.js';

/**
 * The ETS (error, trend, seasonal) state-space family in statsmodels' component form
 * (spec merlion-detectors §4.5–§4.6).
 */
export type EtsError = 'add' | 'mul';
export type EtsComponent = 'add' | 'mul' | null;

export interface EtsSpec {
  readonly error: EtsError;
  readonly trend: EtsComponent;
  /** Damped trend (φ < 1); ignored without a trend. */
  readonly damped: boolean;
  readonly seasonal: EtsComponent;
  /** Seasonal period m (1 when non-seasonal). */
  readonly period: number;
}

/** Smoothing parameters and initial states of a fitted model. */
export interface EtsParams {
  readonly alpha: number;
  /** β = β*·α (0 without a trend). */
  readonly beta: number;
  /** γ = γ*·(1 − α) (0 without a season). */
  readonly gamma: number;
  /** φ (1 when undamped). */
  readonly phi: number;
  /** Initial level l₋₁. */
  readonly level: number;
  /** Initial trend b₋₁ (0 without a trend). */
  readonly trend: number;
  /** Initial seasonal states s(0…m−1): s(j) is the state j+1 steps before the first observation. */
  readonly seasonal: readonly number[];
}

/** The state after the last observation: level, trend, and the last m seasonal states, oldest first. */
export interface EtsState {
  level: number;
  trend: number;
  /** Seasonal states s_{n−m} … s_{n−1} (oldest first); `[0]` when non-seasonal. */
  seasonal: Float64Array;
}

/** A short model name: e.g. AAdA, MNM. */
export function specName(spec: EtsSpec): string {
  const c = (x: EtsComponent): string => (x === 'add' ? 'A' : x === 'mul' ? 'M' : 'N');
  return `${spec.error === 'add' ? 'A' : 'M'}${c(spec.trend)}${spec.trend && spec.damped ? 'd' : ''}${c(spec.seasonal)}`;
}

export function normalizeSpec(spec: Partial<EtsSpec>): EtsSpec {
  const error = spec.error ?? 'add';
  const trend = spec.trend === undefined ? 'add' : spec.trend;
  const seasonal = spec.seasonal === undefined ? null : spec.seasonal;
  const period = seasonal ? (spec.period ?? 1) : 1;
  if (!Number.isInteger(period) || period < 1) {
    throw new DetectorError('ets_bad_period', `seasonal period must be a positive integer, got ${period}`);
  }
  if (seasonal && period < 2) {
    throw new DetectorError(
      'ets_bad_period',
      `a seasonal ETS model needs period ≥ 2 (got ${period}); set seasonal: null or give the period`,
    );
  }
  return { error, trend, damped: trend ? (spec.damped ?? false) : false, seasonal, period };
}

/** Number of model parameters k (smoothing parameters + all initial states); IC use df = k + 1. */
export function parameterCount(spec: EtsSpec): number {
  let k = 2; // α, level
  if (spec.trend) k += 2;
  if (spec.trend && spec.damped) k += 1;
  if (spec.seasonal) k += 1 + spec.period;
  return k;
}

const T_NONE = 0;
const T_ADD = 1;
const T_MUL = 2;
const kind = (c: EtsComponent): number => (c === 'add' ? T_ADD : c === 'mul' ? T_MUL : T_NONE);

/** Accumulators returned by `filter`. */
interface FilterSums {
  sse: number;
  sumLogAbsYhat: number;
}

/**
 * Runs the recursions over `y[0..n)` from the given state, mutating the state (level/trend are
 * returned in `st`; `sea` is a ring buffer with `sea[pos]` = s_{t−m}). Optionally writes the
 * one-step forecasts and residuals. No allocation.
 */
function filter(
  spec: EtsSpec,
  alpha: number,
  betaStar: number,
  gammaStar: number,
  phi: number,
  st: { level: number; trend: number; pos: number },
  sea: Float64Array,
  y: ArrayLike<number>,
  n: number,
  yhatOut: Float64Array | null,
  residOut: Float64Array | null,
  sums: FilterSums,
): void {
  const tk = kind(spec.trend);
  const sk = kind(spec.seasonal);
  const mulErr = spec.error === 'mul';
  const m = sk === T_NONE ? 1 : spec.period;
  let l = st.level;
  let b = st.trend;
  let pos = st.pos;
  let sse = 0;
  let sla = 0;
  for (let t = 0; t < n; t++) {
    const yt = y[t];
    let lb: number;
    let bphi = 0;
    if (tk === T_ADD) {
      bphi = phi * b;
      lb = l + bphi;
    } else if (tk === T_MUL) {
      bphi = b ** phi;
      lb = l * bphi;
    } else lb = l;
    let s = 0;
    let yhat: number;
    let lNew: number;
    if (sk === T_ADD) {
      s = sea[pos];
      yhat = lb + s;
      lNew = alpha * (yt - s) + (1 - alpha) * lb;
    } else if (sk === T_MUL) {
      s = sea[pos];
      yhat = lb * s;
      lNew = alpha * (yt / s) + (1 - alpha) * lb;
    } else {
      yhat = lb;
      lNew = alpha * yt + (1 - alpha) * lb;
    }
    if (tk === T_ADD) b = betaStar * (lNew - l) + (1 - betaStar) * bphi;
    else if (tk === T_MUL) b = betaStar * (lNew / l) + (1 - betaStar) * bphi;
    if (sk === T_ADD) {
      sea[pos] = gammaStar * (yt - lNew) + (1 - gammaStar) * s;
      pos = pos + 1 === m ? 0 : pos + 1;
    } else if (sk === T_MUL) {
      sea[pos] = gammaStar * (yt / lNew) + (1 - gammaStar) * s;
      pos = pos + 1 === m ? 0 : pos + 1;
    }
    l = lNew;
    let e: number;
    if (mulErr) {
      e = (yt - yhat) / yhat;
      sla += Math.log(Math.abs(yhat === 0 ? 1e-32 : yhat));
    } else e = yt - yhat;
    sse += e * e;
    if (yhatOut) yhatOut[t] = yhat;
    if (residOut) residOut[t] = e;
  }
  st.level = l;
  st.trend = b;
  st.pos = pos;
  sums.sse = sse;
  sums.sumLogAbsYhat = sla;
}

/** Concentrated Gaussian log-likelihood from the filter sums. */
function logLik(n: number, sums: FilterSums, mulErr: boolean): number {
  // A perfect fit (constant data) would give llf = +∞; floor the mean squared error instead.
  let llf = -(n / 2) * (Math.log(Math.max((2 * Math.PI * sums.sse) / n, 1e-300)) + 1);
  if (mulErr) llf -= sums.sumLogAbsYhat;
  return llf;
}

/** Fills a ring buffer (pos 0 = s_{−m}) from s(0…m−1). */
function seasonRing(spec: EtsSpec, seasonal: readonly number[], out: Float64Array): void {
  if (!spec.seasonal) {
    out[0] = 0;
    return;
  }
  const m = spec.period;
  for (let i = 0; i < m; i++) out[i] = seasonal[m - 1 - i];
}

/** Heuristic / simple initial states (docs/ets.md, What is implemented, statsmodels "estimated" start values). */
export function initialStates(
  y: ArrayLike<number>,
  spec: EtsSpec,
): { level: number; trend: number; seasonal: number[] } {
  const n = y.length;
  const m = spec.seasonal ? spec.period : 1;
  const minObs = 10 + 2 * Math.floor(m / 2);
  if (spec.seasonal && n < 2 * m) {
    throw new DetectorError(
      'ets_too_short',
      `a seasonal ETS model with period ${m} needs at least ${2 * m} points (two full cycles), got ${n}`,
    );
  }
  if (n < 2) {
    throw new DetectorError('ets_too_short', `ETS needs at least 2 points to start, got ${n}`);
  }
  let level: number;
  let trend = 0;
  let hs: number[] = [];
  if (n < minObs) {
    if (!spec.seasonal) {
      level = y[0];
      if (spec.trend === 'add') trend = y[1] - y[0];
      else if (spec.trend === 'mul') trend = y[1] / y[0];
    } else {
      let s = 0;
      for (let i = 0; i < m; i++) s += y[i];
      level = s / m;
      if (spec.trend) {
        let d = 0;
        for (let i = 0; i < m; i++) d += (y[m + i] - y[i]) / m;
        trend = d / m;
      }
      for (let i = 0; i < m; i++) hs.push(spec.seasonal === 'add' ? y[i] - level : y[i] / level);
    }
  } else {
    let base: ArrayLike<number> = y;
    if (spec.seasonal) {
      const k = Math.max(Math.min(5, Math.floor(n / m)), Math.ceil(minObs / m));
      const len = Math.min(k * m, n);
      // centred moving average of length m (2×m for even m)
      const ma = new Float64Array(len).fill(Number.NaN);
      const off = Math.floor((m - 1) / 2);
      const raw = new Float64Array(len).fill(Number.NaN);
      for (let i = 0; i < len; i++) {
        const hi = i + off;
        const lo = hi - m + 1;
        if (lo < 0 || hi >= len) continue;
        let s = 0;
        for (let j = lo; j <= hi; j++) s += y[j];
        raw[i] = s / m;
      }
      if (m % 2 === 0) {
        for (let i = 0; i < len; i++) {
          if (i >= 1 && i < len - 1) ma[i] = (raw[i] + raw[i + 1]) / 2;
        }
      } else ma.set(raw);
      const sum = new Float64Array(m);
      const cnt = new Float64Array(m);
      for (let i = 0; i < len; i++) {
        if (Number.isNaN(ma[i])) continue;
        const v = spec.seasonal === 'add' ? y[i] - ma[i] : y[i] / ma[i];
        sum[i % m] += v;
        cnt[i % m]++;
      }
      hs = Array.from(sum, (s, i) => s / cnt[i]);
      const mean = hs.reduce((a, b) => a + b, 0) / m;
      hs = hs.map((v) => (spec.seasonal === 'add' ? v - mean : v / mean));
      const kept: number[] = [];
      for (let i = 0; i < len; i++) if (!Number.isNaN(ma[i])) kept.push(ma[i]);
      base = kept;
    }
    if (base.length < 10) {
      throw new DetectorError(
        'ets_too_short',
        `ETS initialisation needs 10 smoothed points, got ${base.length}`,
      );
    }
    // least squares line through the first 10 values against t = 1…10
    let sy = 0;
    let sty = 0;
    for (let i = 0; i < 10; i++) {
      sy += base[i];
      sty += (i + 1) * base[i];
    }
    // Σt = 55, Σt² = 385, n = 10
    const slope = (10 * sty - 55 * sy) / (10 * 385 - 55 * 55);
    const intercept = (sy - slope * 55) / 10;
    level = intercept;
    if (spec.trend === 'add') trend = slope;
    else if (spec.trend === 'mul') trend = 1 + slope / intercept;
  }
  let seasonal: number[] = [];
  if (spec.seasonal) {
    const last = hs[m - 1];
    if (spec.seasonal === 'add') {
      level += last;
      seasonal = hs.map((h) => h - last);
    } else {
      level *= last;
      seasonal = hs.map((h) => h / last);
    }
  }
  return { level, trend, seasonal };
}

export interface FitOptions {
  /** Starting parameters (default: α 0.1, β 0.01, γ 0.01, φ 0.98 and heuristic initial states). */
  start?: Partial<EtsParams>;
  /** Maximum optimiser iterations (default 1000). */
  maxIter?: number;
}

const LB = 1e-4;
const UB = 1 - 1e-4;
const PHI_LB = 0.8;
const PHI_UB = 0.98;

/** Result of fitting or smoothing an ETS model on a series. */
export class EtsModel {
  readonly spec: EtsSpec;
  readonly params: EtsParams;
  readonly nobs: number;
  /** Mean squared residual (the innovation variance estimate). */
  readonly mse: number;
  readonly llf: number;
  readonly df: number;
  readonly aic: number;
  readonly aicc: number;
  readonly bic: number;
  /** State after the last observation. */
  readonly state: EtsState;
  /** In-sample one-step forecasts and residuals (not part of the model file). */
  readonly fitted: Float64Array;
  readonly resid: Float64Array;
  /** Optimiser status when fitted, 'given' when smoothed with given parameters. */
  readonly status: string;

  constructor(spec: EtsSpec, params: EtsParams, y: ArrayLike<number>, status = 'given') {
    this.spec = spec;
    this.params = params;
    this.status = status;
    const n = y.length;
    this.nobs = n;
    const m = spec.seasonal ? spec.period : 1;
    const ring = new Float64Array(m);
    seasonRing(spec, params.seasonal, ring);
    const st = { level: params.level, trend: params.trend, pos: 0 };
    this.fitted = new Float64Array(n);
    this.resid = new Float64Array(n);
    const sums: FilterSums = { sse: 0, sumLogAbsYhat: 0 };
    const bs = spec.trend ? params.beta / params.alpha : 0;
    const gs = spec.seasonal ? params.gamma / (1 - params.alpha) : 0;
    filter(spec, params.alpha, bs, gs, params.phi, st, ring, y, n, this.fitted, this.resid, sums);
    this.mse = sums.sse / n;
    this.llf = logLik(n, sums, spec.error === 'mul');
    this.df = parameterCount(spec) + 1;
    this.aic = -2 * this.llf + 2 * this.df;
    this.bic = -2 * this.llf + Math.log(n) * this.df;
    this.aicc = n - this.df - 1 > 0 ? this.aic + (2 * this.df * (this.df + 1)) / (n - this.df - 1) : Infinity;
    const seasonal = new Float64Array(m);
    for (let i = 0; i < m; i++) seasonal[i] = ring[(st.pos + i) % m];
    this.state = { level: st.level, trend: st.trend, seasonal };
  }

  /** Information criterion by name. */
  ic(name: 'aic' | 'aicc' | 'bic'): number {
    return name === 'aic' ? this.aic : name === 'aicc' ? this.aicc : this.bic;
  }

  /** Point forecasts h = 1…H from the end of the data. */
  forecast(steps: number): Float64Array {
    return forecastMean(this.spec, this.params, this.state, steps);
  }

  /**
   * Forecast variances h = 1…H: analytic for the additive-error classes without multiplicative
   * components (and for h = 1 always); otherwise the sample variance (ddof 1) of `simulations`
   * seeded simulated paths.
   */
  forecastVariance(steps: number, opts: { simulations?: number; seed?: number } = {}): Float64Array {
    return forecastVariance(this.spec, this.params, this.state, this.mse, steps, opts);
  }
}

/** Point forecasts from a state (zero future errors). */
export function forecastMean(spec: EtsSpec, params: EtsParams, state: EtsState, steps: number): Float64Array {
  const out = new Float64Array(steps);
  const m = spec.seasonal ? spec.period : 1;
  const phi = params.phi;
  let phiSum = 0;
  let phiPow = 1;
  for (let h = 1; h <= steps; h++) {
    phiPow *= phi;
    phiSum += phiPow;
    let v: number;
    if (spec.trend === 'add') v = state.level + phiSum * state.trend;
    else if (spec.trend === 'mul') v = state.level * state.trend ** phiSum;
    else v = state.level;
    if (spec.seasonal) {
      const s = state.seasonal[(h - 1) % m];
      v = spec.seasonal === 'add' ? v + s : v * s;
    }
    out[h - 1] = v;
  }
  return out;
}

/** True when the forecast variance has a closed form (additive error, no multiplicative part). */
export function hasAnalyticVariance(spec: EtsSpec): boolean {
  return spec.error === 'add' && spec.trend !== 'mul' && spec.seasonal !== 'mul';
}

/** Analytic variance factor v(h) (var_h = mse·v(h)) for the additive classes (docs/ets.md, What is implemented). */
export function varianceFactor(spec: EtsSpec, params: EtsParams, h: number): number {
  const { alpha: a, beta: b, gamma: g, phi } = params;
  const m = spec.seasonal ? spec.period : 1;
  const k = Math.floor((h - 1) / m);
  let v: number;
  if (!spec.trend) v = 1 + a * a * (h - 1);
  else if (!spec.damped) v = 1 + (h - 1) * (a * a + a * b * h + (b * b * h * (2 * h - 1)) / 6);
  else {
    const ph = phi ** h;
    v =
      1 +
      a * a * (h - 1) +
      (b * phi * h * (2 * a * (1 - phi) + b * phi)) / (1 - phi) ** 2 -
      (b * phi * (1 - ph) * (2 * a * (1 - phi * phi) + b * phi * (1 + 2 * phi - ph))) /
        ((1 - phi) ** 2 * (1 - phi * phi));
  }
  if (spec.seasonal) {
    if (!spec.trend) v += g * k * (2 * a + g);
    else if (!spec.damped) v += g * k * (2 * a + g + b * m * (k + 1));
    else {
      const pm = phi ** m;
      v +=
        g * k * (2 * a + g) +
        (2 * b * g * phi * (k * (1 - pm) - pm * (1 - phi ** (m * k)))) / ((1 - phi) * (1 - pm));
    }
  }
  return v;
}

export function forecastVariance(
  spec: EtsSpec,
  params: EtsParams,
  state: EtsState,
  mse: number,
  steps: number,
  opts: { simulations?: number; seed?: number } = {},
): Float64Array {
  const out = new Float64Array(steps);
  if (steps === 0) return out;
  if (hasAnalyticVariance(spec)) {
    for (let h = 1; h <= steps; h++) out[h - 1] = mse * varianceFactor(spec, params, h);
    return out;
  }
  const sim = new VarianceSimulator(spec, params, state, mse, opts.simulations ?? 1000, opts.seed ?? 0);
  sim.extendTo(steps);
  for (let h = 1; h <= steps; h++) out[h - 1] = sim.variance(h);
  return out;
}

/**
 * Seeded simulation of forecast variances for the classes without a closed form (docs/ets.md, What is implemented):
 * `paths` sample paths with N(0, mse) innovations pushed through the model, var_h = their sample
 * variance (ddof 1); h = 1 uses the exact value (mse, or mse·ŷ² for multiplicative error).
 * Horizon-major and incremental: extending the horizon continues the same paths, so the
 * variance of a given h does not depend on how far ahead was asked for first.
 */
export class VarianceSimulator {
  private readonly levels: Float64Array;
  private readonly trends: Float64Array;
  private readonly seas: Float64Array;
  private readonly rng: NormalRng;
  private readonly vars: number[] = [];
  private readonly m: number;
  private readonly sd: number;
  private readonly first: number;

  constructor(
    private readonly spec: EtsSpec,
    private readonly params: EtsParams,
    state: EtsState,
    mse: number,
    private readonly paths: number,
    seed: number,
  ) {
    this.m = spec.seasonal ? spec.period : 1;
    this.levels = new Float64Array(paths).fill(state.level);
    this.trends = new Float64Array(paths).fill(state.trend);
    this.seas = new Float64Array(paths * this.m);
    for (let p = 0; p < paths; p++) {
      for (let j = 0; j < this.m; j++) this.seas[p * this.m + j] = spec.seasonal ? state.seasonal[j] : 0;
    }
    this.rng = new NormalRng(seed);
    this.sd = Math.sqrt(mse);
    const y1 = forecastMean(spec, params, state, 1)[0];
    this.first = spec.error === 'add' ? mse : mse * y1 * y1;
  }

  /** Variance at horizon h (≥ 1); call `extendTo(h)` first. */
  variance(h: number): number {
    return h === 1 ? this.first : this.vars[h - 1];
  }

  get horizon(): number {
    return this.vars.length;
  }

  extendTo(steps: number): void {
    const { spec, params, m, paths } = this;
    const bs = spec.trend ? params.beta / params.alpha : 0;
    const gs = spec.seasonal ? params.gamma / (1 - params.alpha) : 0;
    const st = { level: 0, trend: 0, pos: 0 };
    const ring = new Float64Array(m);
    const ys = new Float64Array(1);
    const sums: FilterSums = { sse: 0, sumLogAbsYhat: 0 };
    while (this.vars.length < steps) {
      const h = this.vars.length; // 0-based horizon being simulated
      const pos = h % m;
      let sum = 0;
      let sumSq = 0;
      let ref = 0;
      for (let p = 0; p < paths; p++) {
        st.level = this.levels[p];
        st.trend = this.trends[p];
        st.pos = pos;
        // ring holds this path's seasonal states, rotated so that ring[pos] = s_{t−m}
        for (let j = 0; j < m; j++) ring[(pos + j) % m] = this.seas[p * m + j];
        const yhat = oneStep(spec, params.phi, st, ring);
        const e = this.sd * this.rng.next();
        ys[0] = spec.error === 'add' ? yhat + e : yhat * (1 + e);
        if (p === 0) ref = ys[0];
        filter(spec, params.alpha, bs, gs, params.phi, st, ring, ys, 1, null, null, sums);
        this.levels[p] = st.level;
        this.trends[p] = st.trend;
        for (let j = 0; j < m; j++) this.seas[p * m + j] = ring[(st.pos + j) % m];
        const dv = ys[0] - ref;
        sum += dv;
        sumSq += dv * dv;
      }
      this.vars.push((sumSq - (sum * sum) / paths) / (paths - 1));
    }
  }
}

/** One-step forecast from a ring-buffer state. */
function oneStep(
  spec: EtsSpec,
  phi: number,
  st: { level: number; trend: number; pos: number },
  ring: Float64Array,
) {
  let v: number;
  if (spec.trend === 'add') v = st.level + phi * st.trend;
  else if (spec.trend === 'mul') v = st.level * st.trend ** phi;
  else v = st.level;
  if (spec.seasonal === 'add') v += ring[st.pos];
  else if (spec.seasonal === 'mul') v *= ring[st.pos];
  return v;
}

/**
 * Maximum-likelihood fit (docs/ets.md, What is implemented): L-BFGS-B on −llf/n over α, β*, γ*, φ and the initial
 * states (the oldest seasonal state fixed), 2-point numeric gradients with step 1e-8.
 */
export function fitEts(y: ArrayLike<number>, specIn: Partial<EtsSpec>, opts: FitOptions = {}): EtsModel {
  primeFilter();
  const spec = normalizeSpec(specIn);
  const n = y.length;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(y[i])) {
      throw new DetectorError(
        'ets_non_finite',
        `ETS input has a non-finite value at index ${i}; clean the series first`,
      );
    }
    if ((spec.error === 'mul' || spec.trend === 'mul' || spec.seasonal === 'mul') && y[i] <= 0) {
      throw new DetectorError(
        'ets_non_positive',
        `a multiplicative ETS model (${specName(spec)}) needs positive data; index ${i} is ${y[i]}`,
      );
    }
  }
  const init = initialStates(y, spec);
  const start = opts.start ?? {};
  const m = spec.seasonal ? spec.period : 1;
  const alpha0 = start.alpha ?? 0.1;
  const x0: number[] = [alpha0];
  const lower: number[] = [LB];
  const upper: number[] = [UB];
  if (spec.trend) {
    x0.push((start.beta ?? 0.01) / alpha0);
    lower.push(LB);
    upper.push(UB);
  }
  if (spec.seasonal) {
    x0.push((start.gamma ?? 0.01) / (1 - alpha0));
    lower.push(LB);
    upper.push(UB);
  }
  if (spec.trend && spec.damped) {
    x0.push(start.phi ?? 0.98);
    lower.push(PHI_LB);
    upper.push(PHI_UB);
  }
  x0.push(start.level ?? init.level);
  lower.push(Number.NEGATIVE_INFINITY);
  upper.push(Number.POSITIVE_INFINITY);
  if (spec.trend) {
    x0.push(start.trend ?? init.trend);
    lower.push(Number.NEGATIVE_INFINITY);
    upper.push(Number.POSITIVE_INFINITY);
  }
  const sea0 = start.seasonal ?? init.seasonal;
  if (spec.seasonal) {
    for (let j = 0; j < m - 1; j++) {
      x0.push(sea0[j]);
      lower.push(Number.NEGATIVE_INFINITY);
      upper.push(Number.POSITIVE_INFINITY);
    }
  }
  for (let i = 0; i < x0.length; i++) x0[i] = Math.min(upper[i], Math.max(lower[i], x0[i]));
  const fixedSeason = spec.seasonal === 'mul' ? 1 : 0;
  const ring = new Float64Array(m);
  const st = { level: 0, trend: 0, pos: 0 };
  const sums: FilterSums = { sse: 0, sumLogAbsYhat: 0 };
  const unpack = (x: Float64Array) => {
    let i = 0;
    const alpha = x[i++];
    const bs = spec.trend ? x[i++] : 0;
    const gs = spec.seasonal ? x[i++] : 0;
    const phi = spec.trend && spec.damped ? x[i++] : 1;
    const level = x[i++];
    const trend = spec.trend ? x[i++] : 0;
    return { alpha, bs, gs, phi, level, trend, i };
  };
  const objective = (x: Float64Array): number => {
    const p = unpack(x);
    if (spec.seasonal) {
      // ring[k] = s_{k−m} = s(m−1−k); s(m−1) fixed
      ring[0] = fixedSeason;
      for (let j = 0; j < m - 1; j++) ring[m - 1 - j] = x[p.i + j];
    } else ring[0] = 0;
    st.level = p.level;
    st.trend = p.trend;
    st.pos = 0;
    filter(spec, p.alpha, p.bs, p.gs, p.phi, st, ring, y, n, null, null, sums);
    const v = -logLik(n, sums, spec.error === 'mul') / n;
    return Number.isNaN(v) ? Number.POSITIVE_INFINITY : v;
  };
  const fg = numericGradient(objective, { lower, upper });
  let res: ReturnType<typeof minimizeLbfgsb>;
  try {
    res = minimizeLbfgsb(fg, x0, { lower, upper, maxIter: opts.maxIter ?? 1000 });
  } catch (e) {
    throw new DetectorError(
      'ets_fit_failed',
      `cannot fit ${specName(spec)}: ${(e as Error).message} (the likelihood overflows or is undefined; rescale the data or choose another model)`,
      { cause: e },
    );
  }
  const p = unpack(res.x);
  const seasonal: number[] = [];
  if (spec.seasonal) {
    for (let j = 0; j < m - 1; j++) seasonal.push(res.x[p.i + j]);
    seasonal.push(fixedSeason);
  }
  const params: EtsParams = {
    alpha: p.alpha,
    beta: spec.trend ? p.bs * p.alpha : 0,
    gamma: spec.seasonal ? p.gs * (1 - p.alpha) : 0,
    phi: p.phi,
    level: p.level,
    trend: p.trend,
    seasonal,
  };
  return new EtsModel(spec, params, y, res.status);
}

/** Simulates n observations from a model with given parameters (seeded Gaussian errors, sd σ). */
export function simulateEts(
  specIn: Partial<EtsSpec>,
  params: EtsParams,
  n: number,
  sigma: number,
  seed: number,
): Float64Array {
  const spec = normalizeSpec(specIn);
  const m = spec.seasonal ? spec.period : 1;
  const ring = new Float64Array(m);
  seasonRing(spec, params.seasonal, ring);
  const st = { level: params.level, trend: params.trend, pos: 0 };
  const rng = new NormalRng(seed);
  const out = new Float64Array(n);
  const ys = new Float64Array(1);
  const sums: FilterSums = { sse: 0, sumLogAbsYhat: 0 };
  const bs = spec.trend ? params.beta / params.alpha : 0;
  const gs = spec.seasonal ? params.gamma / (1 - params.alpha) : 0;
  for (let t = 0; t < n; t++) {
    const yhat = oneStep(spec, params.phi, st, ring);
    const e = sigma * rng.next();
    ys[0] = spec.error === 'add' ? yhat + e : yhat * (1 + e);
    out[t] = ys[0];
    filter(spec, params.alpha, bs, gs, params.phi, st, ring, ys, 1, null, null, sums);
  }
  return out;
}

let primed = false;

/**
 * Gives the recursions type feedback for every model class once, before the first fit
 * (microseconds), so that the optimised code V8 builds later covers all branches and AutoETS does
 * not deoptimise and re-tier each time the grid reaches a new class. Called from `fitEts`, not at
 * import (importing tsad runs no code).
 */
function primeFilter(): void {
  if (primed) return;
  primed = true;
  const y = Float64Array.from([5, 6, 5.5, 6.5, 5.8, 6.2]);
  const sums: FilterSums = { sse: 0, sumLogAbsYhat: 0 };
  const yh = new Float64Array(y.length);
  const rs = new Float64Array(y.length);
  for (const error of ['add', 'mul'] as const) {
    for (const trend of ['add', 'mul', null] as const) {
      for (const seasonal of ['add', 'mul', null] as const) {
        const spec: EtsSpec = { error, trend, damped: trend !== null, seasonal, period: seasonal ? 2 : 1 };
        const sea = Float64Array.from(seasonal === 'mul' ? [1, 1] : [0, 0]);
        const st = { level: 5, trend: trend === 'mul' ? 1 : 0, pos: 0 };
        filter(spec, 0.5, 0.1, 0.1, 0.9, st, sea, y, y.length, null, null, sums);
        filter(spec, 0.5, 0.1, 0.1, 0.9, st, sea, y, y.length, yh, rs, sums);
      }
    }
  }
}
