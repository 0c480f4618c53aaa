import { DetectorError } from '../../errors.js';
import type { ObjectiveWithGradient } from '../../math/lbfgsb.js';
import { minimizeLbfgsb } from '../../math/lbfgsb.js';
import { numericGradient } from '../../math/numeric-gradient.js';
import { NormalRng } from '../../math/rng.js';
import { forecastMean, forecastVariance } from './forecast.js';
import {
  type FilterSums,
  filter,
  logLik,
  oneStep,
  primeFilter,
  seasonRing,
  sseGradientAdditive,
} from './recursions.js';

/**
 * The ETS (error, trend, seasonal) state-space family in statsmodels' component form
 * (docs/ets.md, "What is implemented").
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

/**
 * Maximum-likelihood fit (docs/ets.md, What is implemented): L-BFGS-B on −llf/n over α, β*, γ*, φ and the initial
 * states (the oldest seasonal state fixed). The gradient is exact for the additive classes (reverse mode,
 * `sseGradientAdditive`) and 2-point numeric differences with step 1e-8 for the multiplicative ones.
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
  // The additive classes (the default detector's grid): the exact gradient (`sseGradientAdditive`, two
  // passes over the data); the others: forward differences (k + 1 passes).
  const additive = spec.error === 'add' && spec.trend !== 'mul' && spec.seasonal !== 'mul';
  const bounds = { lower, upper };
  const fg = additive ? additiveGradient(spec, y, n) : numericGradient(objective, bounds);
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

/**
 * @internal `fitEts`'s objective (−llf/n) for an additive class with its exact gradient (`sseGradientAdditive`): the
 * parameters as `fitEts`'s objective unpacks them, d(−llf/n)/d sse = 1/(2·sse) (0 where the mean squared
 * error is floored). Scratch space (3n numbers) allocated once per fit.
 */
export function additiveGradient(spec: EtsSpec, y: ArrayLike<number>, n: number): ObjectiveWithGradient {
  const m = spec.seasonal ? spec.period : 1;
  const p = new Float64Array(6);
  const ring = new Float64Array(m);
  const work = new Float64Array(m);
  const tape = new Float64Array(3 * n);
  const g = new Float64Array(6);
  const gRing = new Float64Array(m);
  const sums: FilterSums = { sse: 0, sumLogAbsYhat: 0 };
  return (x, grad) => {
    let i = 0;
    p[0] = x[i++];
    p[1] = spec.trend ? x[i++] : 0;
    p[2] = spec.seasonal ? x[i++] : 0;
    p[3] = spec.trend && spec.damped ? x[i++] : 1;
    p[4] = x[i++];
    p[5] = spec.trend ? x[i++] : 0;
    // ring[j] = s_{j−m} = s(m−1−j); s(m−1) fixed at 0
    ring[0] = 0;
    for (let j = 0; j < m - 1; j++) ring[m - 1 - j] = x[i + j];
    const sse = sseGradientAdditive(p, ring, m, y, n, tape, work, g, gRing);
    sums.sse = sse;
    const v = -logLik(n, sums, false) / n;
    const c = (2 * Math.PI * sse) / n > 1e-300 ? 0.5 / sse : 0;
    let k = 0;
    grad[k++] = c * g[0];
    if (spec.trend) grad[k++] = c * g[1];
    if (spec.seasonal) grad[k++] = c * g[2];
    if (spec.trend && spec.damped) grad[k++] = c * g[3];
    grad[k++] = c * g[4];
    if (spec.trend) grad[k++] = c * g[5];
    for (let j = 0; j < m - 1; j++) grad[k + j] = c * gRing[m - 1 - j];
    return Number.isNaN(v) ? Number.POSITIVE_INFINITY : v;
  };
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
