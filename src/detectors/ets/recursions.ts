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

/** Runs at once in `filterAdditiveLanes`. */
export const LANES = 4;

/**
 * `filterAdditive` for the trend-and-season class, four runs at once (lanes): the optimiser's
 * numeric gradient evaluates the objective at k + 1 points that differ in one coordinate each, and one
 * run is a chain of dependent multiplications and additions (each point's level and trend wait for
 * the last), so the processor idles between them; four independent chains in one loop fill those
 * gaps (docs/evaluation.md, ETS fit round 29). `trend` picks the loop: with trend (β*, φ, b used) or
 * without (they are ignored). Each lane does exactly `filterAdditive`'s operations on its own values, so
 * each lane's sum is bit for bit that of `filter` on the same arguments; the classes without season run
 * here too, with γ* = 0 and a zero ring of length 1: the extra terms are then exact zeros, and the sums
 * are again bit for bit those of `filter` for the class (checked in
 * test/detectors/ets/filter-additive.test.ts).
 *
 * `p` holds six numbers per lane (α, β*, γ*, φ, level, trend); `ring` the lanes' seasonal rings
 * interleaved (`ring[LANES·j + k]` = lane k's `sea[j]`), all starting at position 0, updated in
 * place; `out[k]` receives lane k's sum of squared one-step errors. No allocation.
 */
export function filterAdditiveLanes(
  trend: boolean,
  p: Float64Array,
  ring: Float64Array,
  m: number,
  y: ArrayLike<number>,
  n: number,
  out: Float64Array,
): void {
  const al0 = p[0];
  const bs0 = p[1];
  const gs0 = p[2];
  const ph0 = p[3];
  let l0 = p[4];
  let b0 = p[5];
  const al1 = p[6];
  const bs1 = p[7];
  const gs1 = p[8];
  const ph1 = p[9];
  let l1 = p[10];
  let b1 = p[11];
  const al2 = p[12];
  const bs2 = p[13];
  const gs2 = p[14];
  const ph2 = p[15];
  let l2 = p[16];
  let b2 = p[17];
  const al3 = p[18];
  const bs3 = p[19];
  const gs3 = p[20];
  const ph3 = p[21];
  let l3 = p[22];
  let b3 = p[23];
  const a0 = 1 - al0;
  const c0 = 1 - bs0;
  const g0 = 1 - gs0;
  const a1 = 1 - al1;
  const c1 = 1 - bs1;
  const g1 = 1 - gs1;
  const a2 = 1 - al2;
  const c2 = 1 - bs2;
  const g2 = 1 - gs2;
  const a3 = 1 - al3;
  const c3 = 1 - bs3;
  const g3 = 1 - gs3;
  const end = LANES * m;
  let q = 0;
  let e0 = 0;
  let e1 = 0;
  let e2 = 0;
  let e3 = 0;
  if (!trend) {
    // no trend: the level's chain is shorter, and the trend terms would be exact zeros computed for nothing
    for (let t = 0; t < n; t++) {
      const yt = y[t];
      {
        const s = ring[q];
        const lNew = al0 * (yt - s) + a0 * l0;
        ring[q] = gs0 * (yt - lNew) + g0 * s;
        const e = yt - (l0 + s);
        l0 = lNew;
        e0 += e * e;
      }
      {
        const s = ring[q + 1];
        const lNew = al1 * (yt - s) + a1 * l1;
        ring[q + 1] = gs1 * (yt - lNew) + g1 * s;
        const e = yt - (l1 + s);
        l1 = lNew;
        e1 += e * e;
      }
      {
        const s = ring[q + 2];
        const lNew = al2 * (yt - s) + a2 * l2;
        ring[q + 2] = gs2 * (yt - lNew) + g2 * s;
        const e = yt - (l2 + s);
        l2 = lNew;
        e2 += e * e;
      }
      {
        const s = ring[q + 3];
        const lNew = al3 * (yt - s) + a3 * l3;
        ring[q + 3] = gs3 * (yt - lNew) + g3 * s;
        const e = yt - (l3 + s);
        l3 = lNew;
        e3 += e * e;
      }
      q = q + LANES === end ? 0 : q + LANES;
    }
    out[0] = e0;
    out[1] = e1;
    out[2] = e2;
    out[3] = e3;
    return;
  }
  for (let t = 0; t < n; t++) {
    const yt = y[t];
    {
      const bphi = ph0 * b0;
      const lb = l0 + bphi;
      const s = ring[q];
      const yhat = lb + s;
      const lNew = al0 * (yt - s) + a0 * lb;
      b0 = bs0 * (lNew - l0) + c0 * bphi;
      ring[q] = gs0 * (yt - lNew) + g0 * s;
      l0 = lNew;
      const e = yt - yhat;
      e0 += e * e;
    }
    {
      const bphi = ph1 * b1;
      const lb = l1 + bphi;
      const s = ring[q + 1];
      const yhat = lb + s;
      const lNew = al1 * (yt - s) + a1 * lb;
      b1 = bs1 * (lNew - l1) + c1 * bphi;
      ring[q + 1] = gs1 * (yt - lNew) + g1 * s;
      l1 = lNew;
      const e = yt - yhat;
      e1 += e * e;
    }
    {
      const bphi = ph2 * b2;
      const lb = l2 + bphi;
      const s = ring[q + 2];
      const yhat = lb + s;
      const lNew = al2 * (yt - s) + a2 * lb;
      b2 = bs2 * (lNew - l2) + c2 * bphi;
      ring[q + 2] = gs2 * (yt - lNew) + g2 * s;
      l2 = lNew;
      const e = yt - yhat;
      e2 += e * e;
    }
    {
      const bphi = ph3 * b3;
      const lb = l3 + bphi;
      const s = ring[q + 3];
      const yhat = lb + s;
      const lNew = al3 * (yt - s) + a3 * lb;
      b3 = bs3 * (lNew - l3) + c3 * bphi;
      ring[q + 3] = gs3 * (yt - lNew) + g3 * s;
      l3 = lNew;
      const e = yt - yhat;
      e3 += e * e;
    }
    q = q + LANES === end ? 0 : q + LANES;
  }
  out[0] = e0;
  out[1] = e1;
  out[2] = e2;
  out[3] = e3;
}

/**
 * The additive objective's sum of squared one-step errors and its exact gradient by reverse mode (the
 * adjoint of `filterAdditive`: one pass forward recording each point's level, trend and seasonal state,
 * one pass back), for every additive class in the trend-and-season form (no trend: β* = 0, b = 0, φ = 1;
 * no season: γ* = 0, a zero ring of one). Two passes whatever the number of parameters, where a
 * forward-difference gradient takes k + 1 (docs/evaluation.md, ETS fit round 29).
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
