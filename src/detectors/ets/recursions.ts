/**
 * The ETS recursions (the hot loop every fit, score and simulation runs): the filter over a series,
 * its log-likelihood, the seasonal ring and the one-step forecast, and the JIT priming of the filter.
 */
import type { EtsComponent, EtsSpec } from './model.js';

export const T_NONE = 0;
export const T_ADD = 1;
export const T_MUL = 2;
export const kind = (c: EtsComponent): number => (c === 'add' ? T_ADD : c === 'mul' ? T_MUL : T_NONE);

/** Accumulators returned by `filter`. */
export interface FilterSums {
  sse: number;
  sumLogAbsYhat: number;
}

/**
 * Runs the recursions over `y[0..n)` from the given state, mutating the state (level/trend are
 * returned in `st`; `sea` is a ring buffer with `sea[pos]` = s_{t−m}). Optionally writes the
 * one-step forecasts and residuals. No allocation.
 */
export function filter(
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
  if (!mulErr && tk !== T_MUL && sk !== T_MUL && yhatOut === null && residOut === null && n > 1) {
    // the optimiser's objective over the additive classes (the default's AutoETS): the same
    // arithmetic as the loop below, without its per-point class tests
    filterAdditive(tk === T_ADD, sk === T_ADD, alpha, betaStar, gammaStar, phi, st, sea, m, y, n, sums);
    return;
  }
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

/**
 * `filter` for additive error, trend and season (each present or not), without forecast or residual
 * outputs: the same operations on the same values in the same order (so the same bits), one loop per
 * class instead of the class tests at every point. `(1 − α)` and the like are computed once: the same
 * rounded value each time.
 */
function filterAdditive(
  trend: boolean,
  seasonal: boolean,
  alpha: number,
  betaStar: number,
  gammaStar: number,
  phi: number,
  st: { level: number; trend: number; pos: number },
  sea: Float64Array,
  m: number,
  y: ArrayLike<number>,
  n: number,
  sums: FilterSums,
): void {
  const a1 = 1 - alpha;
  const b1 = 1 - betaStar;
  const g1 = 1 - gammaStar;
  let l = st.level;
  let b = st.trend;
  let pos = st.pos;
  let sse = 0;
  if (trend && seasonal) {
    for (let t = 0; t < n; t++) {
      const yt = y[t];
      const bphi = phi * b;
      const lb = l + bphi;
      const s = sea[pos];
      const yhat = lb + s;
      const lNew = alpha * (yt - s) + a1 * lb;
      b = betaStar * (lNew - l) + b1 * bphi;
      sea[pos] = gammaStar * (yt - lNew) + g1 * s;
      pos = pos + 1 === m ? 0 : pos + 1;
      l = lNew;
      const e = yt - yhat;
      sse += e * e;
    }
  } else if (trend) {
    for (let t = 0; t < n; t++) {
      const yt = y[t];
      const bphi = phi * b;
      const lb = l + bphi;
      const lNew = alpha * yt + a1 * lb;
      b = betaStar * (lNew - l) + b1 * bphi;
      l = lNew;
      const e = yt - lb;
      sse += e * e;
    }
  } else if (seasonal) {
    for (let t = 0; t < n; t++) {
      const yt = y[t];
      const s = sea[pos];
      const yhat = l + s;
      const lNew = alpha * (yt - s) + a1 * l;
      sea[pos] = gammaStar * (yt - lNew) + g1 * s;
      pos = pos + 1 === m ? 0 : pos + 1;
      l = lNew;
      const e = yt - yhat;
      sse += e * e;
    }
  } else {
    for (let t = 0; t < n; t++) {
      const yt = y[t];
      const lNew = alpha * yt + a1 * l;
      const e = yt - l;
      l = lNew;
      sse += e * e;
    }
  }
  st.level = l;
  st.trend = b;
  st.pos = pos;
  sums.sse = sse;
  sums.sumLogAbsYhat = 0;
}

/**
 * The additive objective's sum of squared one-step errors and its exact gradient by reverse mode (the
 * adjoint of `filterAdditive`: one pass forward recording each point's level, trend and seasonal state,
 * one pass back), for every additive class in the trend-and-season form (no trend: β* = 0, b = 0, φ = 1;
 * no season: γ* = 0, a zero ring of one). Two passes whatever the number of parameters, where a
 * forward-difference gradient takes k + 1 (docs/ets.md, "The exact gradient"; docs/evaluation.md, ETS
 * gradient round 40). `work` is scratch of m numbers (the ring as the forward pass updates it).
 *
 * `p` holds α, β*, γ*, φ, level, trend; `ring` the initial seasonal ring (position 0 first, read only);
 * `tape` scratch of 3n numbers; `grad` receives ∂sse/∂(α, β*, γ*, φ, level, trend), `gradRing` ∂sse/∂ring[j].
 * Returns the sum of squared errors (bit for bit `filter`'s). No allocation.
 */
export function sseGradientAdditive(
  p: Float64Array,
  ring: Float64Array,
  m: number,
  y: ArrayLike<number>,
  n: number,
  tape: Float64Array,
  work: Float64Array,
  grad: Float64Array,
  gradRing: Float64Array,
): number {
  const alpha = p[0];
  const betaStar = p[1];
  const gammaStar = p[2];
  const phi = p[3];
  const a1 = 1 - alpha;
  const b1 = 1 - betaStar;
  const g1 = 1 - gammaStar;
  // forward: `filterAdditive`'s trend-and-season loop on a copy of the ring, recording the inputs of each step
  for (let j = 0; j < m; j++) work[j] = ring[j];
  let l = p[4];
  let b = p[5];
  let pos = 0;
  let sse = 0;
  for (let t = 0; t < n; t++) {
    const yt = y[t];
    const bphi = phi * b;
    const lb = l + bphi;
    const s = work[pos];
    tape[3 * t] = l;
    tape[3 * t + 1] = b;
    tape[3 * t + 2] = s;
    const yhat = lb + s;
    const lNew = alpha * (yt - s) + a1 * lb;
    b = betaStar * (lNew - l) + b1 * bphi;
    work[pos] = gammaStar * (yt - lNew) + g1 * s;
    pos = pos + 1 === m ? 0 : pos + 1;
    l = lNew;
    const e = yt - yhat;
    sse += e * e;
  }
  // backward: adjoints of the level and trend after each step, and of each ring slot's value
  for (let j = 0; j < m; j++) gradRing[j] = 0;
  let L = 0;
  let B = 0;
  let gA = 0;
  let gB = 0;
  let gG = 0;
  let gP = 0;
  pos = (n - 1) % m;
  for (let t = n - 1; t >= 0; t--) {
    const yt = y[t];
    const lPrev = tape[3 * t];
    const bPrev = tape[3 * t + 1];
    const s = tape[3 * t + 2];
    const bphi = phi * bPrev;
    const lb = lPrev + bphi;
    const lNew = alpha * (yt - s) + a1 * lb;
    const e = yt - (lb + s);
    // the seasonal value written at t (read again at t + m)
    const sn = gradRing[pos];
    const lNewBar = L + betaStar * B - gammaStar * sn;
    gG += sn * (yt - lNew - s);
    gB += B * (lNew - lPrev - bphi);
    gA += lNewBar * (yt - s - lb);
    const eBar = 2 * e;
    const lbBar = a1 * lNewBar - eBar;
    const bphiBar = b1 * B + lbBar;
    gP += bphiBar * bPrev;
    gradRing[pos] = g1 * sn - alpha * lNewBar - eBar;
    L = lbBar - betaStar * B;
    B = phi * bphiBar;
    pos = pos === 0 ? m - 1 : pos - 1;
  }
  grad[0] = gA;
  grad[1] = gB;
  grad[2] = gG;
  grad[3] = gP;
  grad[4] = L;
  grad[5] = B;
  return sse;
}

/** Concentrated Gaussian log-likelihood from the filter sums. */
export function logLik(n: number, sums: FilterSums, mulErr: boolean): number {
  // A perfect fit (constant data) would give llf = +∞; floor the mean squared error instead.
  let llf = -(n / 2) * (Math.log(Math.max((2 * Math.PI * sums.sse) / n, 1e-300)) + 1);
  if (mulErr) llf -= sums.sumLogAbsYhat;
  return llf;
}

/** Fills a ring buffer (pos 0 = s_{−m}) from s(0…m−1). */
export function seasonRing(spec: EtsSpec, seasonal: readonly number[], out: Float64Array): void {
  if (!spec.seasonal) {
    out[0] = 0;
    return;
  }
  const m = spec.period;
  for (let i = 0; i < m; i++) out[i] = seasonal[m - 1 - i];
}

/** One-step forecast from a ring-buffer state. */
export function oneStep(
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

let primed = false;

/**
 * Gives the recursions type feedback for every model class once, before the first fit (about a
 * millisecond in a fresh process, most of it compiling), so that the optimised code V8 builds later
 * covers all branches and AutoETS does not deoptimise and re-tier each time the grid reaches a new
 * class. Called from `fitEts`, not at import (importing tsad runs no code).
 *
 * V8 records no feedback for a function until it has run for a while (its feedback vector is
 * allocated lazily, after about eight times its bytecode length has executed), so a few calls on a
 * short series teach it nothing. `filterAdditive` is therefore run over a longer series, each class
 * twice: the first pass pays for the vector, the second records every branch and the stores after
 * the loops. Without that, the first long fit compiled a loop on stack replacement before those
 * stores had ever run, and V8 entered that code again at every call and bailed out at the first
 * store ("insufficient type feedback for generic named access", 170 times in the default detector's
 * training) until it optimised the whole function (docs/evaluation.md, ETS round 28).
 */
export function primeFilter(): void {
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
  // the additive classes' objective path (`filterAdditive`): 64 points, two passes
  const long = new Float64Array(64);
  for (let i = 0; i < long.length; i++) long[i] = y[i % y.length];
  for (let pass = 0; pass < 2; pass++) {
    for (const trend of ['add', null] as const) {
      for (const seasonal of ['add', null] as const) {
        const spec: EtsSpec = {
          error: 'add',
          trend,
          damped: trend !== null,
          seasonal,
          period: seasonal ? 2 : 1,
        };
        const sea = Float64Array.from([0, 0]);
        const st = { level: 5, trend: 0, pos: 0 };
        filter(spec, 0.5, 0.1, 0.1, 0.9, st, sea, long, long.length, null, null, sums);
      }
    }
  }
  // the exact gradient (`sseGradientAdditive`, the fit's objective for the additive classes), the same way
  const p = Float64Array.from([0.5, 0.1, 0.1, 0.9, 5, 0]);
  const ring = new Float64Array(2);
  const tape = new Float64Array(3 * long.length);
  const g = new Float64Array(6);
  const gRing = new Float64Array(2);
  const work = new Float64Array(2);
  for (let pass = 0; pass < 2; pass++)
    sseGradientAdditive(p, ring, 2, long, long.length, tape, work, g, gRing);
}
