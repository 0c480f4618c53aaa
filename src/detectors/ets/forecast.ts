import { NormalRng } from '../../math/rng.js';
import type { EtsParams, EtsSpec, EtsState } from './model.js';
import { type FilterSums, filter, oneStep } from './recursions.js';

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
