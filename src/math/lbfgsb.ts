/**
 * Bound-constrained limited-memory quasi-Newton minimisation (L-BFGS-B, after Byrd, Lu, Nocedal
 * and Zhu 1995, with the 2011 "projected subspace step" refinement), written for the small
 * problems ETS fitting produces (tens of variables). Hand-written: no maintained JavaScript port
 * of L-BFGS-B reproduces scipy's iterates, which the ETS fits are checked against.
 *
 * Each iteration:
 * 1. builds the limited-memory BFGS matrix `B` explicitly from the last `memory` correction pairs
 *    (B₀ = θI, then one BFGS update per pair — the same matrix as the compact representation);
 * 2. finds the generalized Cauchy point: the first local minimiser of the quadratic model along
 *    the projected steepest-descent path `P(x − t·g)` (piecewise quadratic, breakpoints where
 *    variables reach their bounds);
 * 3. minimises the model over the variables still free at the Cauchy point (Cholesky solve),
 *    projects the result onto the box, falling back to a truncated step when the projection is not
 *    a descent direction;
 * 4. runs a Moré–Thuente line search (ftol 1e-3, gtol 0.9, xtol 0.1) along `d = x̂ − x`, with the
 *    first step `min(1, 1/‖d‖)` and later ones 1, never leaving the box.
 *
 * Stops when the projected gradient's infinity norm ≤ `pgtol`, when the relative reduction of f
 * ≤ `factr·ε`, or at the iteration / evaluation limits. A failed line search drops the memory and
 * retries once from steepest descent (as the Fortran code does).
 */

import { NumericError } from '../errors.js';
import { boxBounds, projectedGradientNorm } from './box.js';
import { cholesky, cholSolve } from './cholesky.js';
import { lineSearchMoreThuente } from './line-search.js';

/** Objective with gradient: returns f(x) and writes ∇f(x) into `grad`. */
export type ObjectiveWithGradient = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsbOptions {
  /** Lower bounds (−Infinity = unbounded). Default: all unbounded. */
  lower?: ArrayLike<number>;
  /** Upper bounds (+Infinity = unbounded). Default: all unbounded. */
  upper?: ArrayLike<number>;
  /** Number of correction pairs kept. Default 10. */
  memory?: number;
  /** Relative-reduction tolerance factor: stop when (f_old − f)/max(|f_old|, |f|, 1) ≤ factr·ε. Default 1e7. */
  factr?: number;
  /** Stop when max_i |projected gradient_i| ≤ pgtol. Default 1e-5. */
  pgtol?: number;
  /** Maximum number of iterations. Default 15000. */
  maxIter?: number;
  /** Maximum number of objective (f and gradient) evaluations. Default 15000. */
  maxFun?: number;
  /** Maximum number of evaluations in one line search. Default 20. */
  maxLs?: number;
  /** Called after each iteration with the new point and objective value. */
  onIteration?: (x: Float64Array, f: number, iteration: number) => void;
}

export type LbfgsbStatus =
  | 'converged_pgtol'
  | 'converged_factr'
  | 'max_iter'
  | 'max_fun'
  | 'line_search_failed';

export interface LbfgsbResult {
  readonly x: Float64Array;
  readonly f: number;
  readonly grad: Float64Array;
  readonly iterations: number;
  readonly evaluations: number;
  readonly status: LbfgsbStatus;
  /** True for the two convergence statuses. */
  readonly converged: boolean;
}

const EPS = 2.220446049250313e-16;

/**
 * Minimises `fg` subject to `lower ≤ x ≤ upper` from `x0` (projected into the box first).
 * Defaults follow scipy's `fmin_l_bfgs_b`. Throws a `NumericError`: `bad_bounds` (a lower bound
 * above its upper bound, bounds of another length), `not_finite` (f or ∇f not finite at the start).
 *
 * @example
 * const fg = (x: Float64Array, g: Float64Array) => {
 *   g[0] = 2 * (x[0] - 3);
 *   g[1] = 2 * (x[1] + 1);
 *   return (x[0] - 3) ** 2 + (x[1] + 1) ** 2;
 * };
 * const r = minimizeLbfgsb(fg, [0, 0], { lower: [0, 0], upper: [2, 2] });
 * r.converged; // => true
 * Array.from(r.x).join(); // => "2,0"
 */
export function minimizeLbfgsb(
  fg: ObjectiveWithGradient,
  x0: ArrayLike<number>,
  opts: LbfgsbOptions = {},
): LbfgsbResult {
  const n = x0.length;
  const lower = boxBounds(opts.lower, n, Number.NEGATIVE_INFINITY, 'lower');
  const upper = boxBounds(opts.upper, n, Number.POSITIVE_INFINITY, 'upper');
  for (let i = 0; i < n; i++) {
    if (lower[i] > upper[i]) {
      throw new NumericError(
        'bad_bounds',
        `variable ${i}: lower bound ${lower[i]} exceeds upper bound ${upper[i]}; fix the bounds`,
      );
    }
  }
  const mem = opts.memory ?? 10;
  const tol = (opts.factr ?? 1e7) * EPS;
  const pgtol = opts.pgtol ?? 1e-5;
  const maxIter = opts.maxIter ?? 15000;
  const maxFun = opts.maxFun ?? 15000;
  const maxLs = opts.maxLs ?? 20;

  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.min(upper[i], Math.max(lower[i], x0[i]));
  const g = new Float64Array(n);
  const counter = { f: 0, evals: 0 };
  let f = fg(x, g);
  counter.evals = 1;
  for (let i = 0; i < n; i++) if (!Number.isFinite(g[i])) f = Number.NaN;
  if (!Number.isFinite(f)) {
    throw new NumericError(
      'not_finite',
      'the objective or its gradient is not finite at the starting point; start from a feasible point',
    );
  }

  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  let theta = 1;
  const w = workspace(n, lower, upper);
  const { xhat, dir, xt, gt } = w;

  let iter = 0;
  let status: LbfgsbStatus = 'max_iter';
  if (projectedGradientNorm(x, g, lower, upper) <= pgtol) {
    return {
      x,
      f,
      grad: g,
      iterations: 0,
      evaluations: counter.evals,
      status: 'converged_pgtol',
      converged: true,
    };
  }

  // Fortran `iter == 0`: the very first step has length at most 1 (and stpmax 1 when constrained).
  let constrainedFirst = true;
  let constrained = false;
  let boxed = true;
  for (let i = 0; i < n; i++) {
    const hasLo = lower[i] > Number.NEGATIVE_INFINITY;
    const hasUp = upper[i] < Number.POSITIVE_INFINITY;
    if (hasLo || hasUp) constrained = true;
    if (!(hasLo && hasUp)) boxed = false;
  }
  // The steps of an iteration are separate functions: a few small units for V8 to optimise
  // instead of one large function (whose optimised compile cost more CPU than all the
  // iterations of an ETS fit, on a background thread competing with the fit itself).
  while (true) {
    buildB(w, S, Y, theta);
    cauchyPoint(w, x, g);
    subspaceStep(w, x, g, S.length > 0);

    // 4. Line search along dir = xhat − x.
    let dnorm2 = 0;
    let gd = 0;
    for (let i = 0; i < n; i++) {
      dir[i] = xhat[i] - x[i];
      dnorm2 += dir[i] * dir[i];
      gd += g[i] * dir[i];
    }
    const stpmax = constrainedFirst && constrained ? 1 : constrained ? maxStep(w, x) : 1e10;
    const stp0 = constrainedFirst && !boxed ? Math.min(1 / Math.sqrt(dnorm2), stpmax) : 1;
    let stp = -1;
    if (gd < 0 && dnorm2 > 0 && stpmax > 0) {
      counter.f = f;
      stp = lineSearchMoreThuente(
        fg,
        x,
        dir,
        f,
        gd,
        Math.min(stp0, stpmax),
        stpmax,
        maxLs,
        lower,
        upper,
        xt,
        gt,
        counter,
      );
    }
    if (stp <= 0) {
      if (S.length === 0) {
        status = 'line_search_failed';
        break;
      }
      // drop the memory and restart from steepest descent
      S.length = 0;
      Y.length = 0;
      theta = 1;
      if (counter.evals >= maxFun) {
        status = 'max_fun';
        break;
      }
      continue;
    }
    iter++;
    constrainedFirst = false;
    const fOld = f;
    f = counter.f;
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    let sy = 0;
    let yy = 0;
    for (let i = 0; i < n; i++) {
      s[i] = xt[i] - x[i];
      y[i] = gt[i] - g[i];
      sy += s[i] * y[i];
      yy += y[i] * y[i];
      x[i] = xt[i];
      g[i] = gt[i];
    }
    opts.onIteration?.(x, f, iter);
    if (projectedGradientNorm(x, g, lower, upper) <= pgtol) {
      status = 'converged_pgtol';
      break;
    }
    if (fOld - f <= tol * Math.max(Math.abs(fOld), Math.abs(f), 1)) {
      status = 'converged_factr';
      break;
    }
    if (iter >= maxIter) {
      status = 'max_iter';
      break;
    }
    if (counter.evals >= maxFun) {
      status = 'max_fun';
      break;
    }
    if (sy > EPS * -gd * stp) {
      S.push(s);
      Y.push(y);
      if (S.length > mem) {
        S.shift();
        Y.shift();
      }
      theta = yy / sy;
    }
  }
  return {
    x,
    f,
    grad: g,
    iterations: iter,
    evaluations: counter.evals,
    status,
    converged: status === 'converged_pgtol' || status === 'converged_factr',
  };
}

/** Scratch arrays of one minimisation, allocated once and reused by every iteration. */
interface Workspace {
  readonly n: number;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /** The BFGS matrix (n × n, row-major) and a scratch vector for building it. */
  readonly B: Float64Array;
  readonly Bs: Float64Array;
  /** Cauchy-point search: breakpoints, their order, direction, point, and model terms. */
  readonly tBreak: Float64Array;
  readonly order: number[];
  readonly d: Float64Array;
  readonly z: Float64Array;
  readonly wz: Float64Array;
  readonly Bd: Float64Array;
  /** 1 where a variable is free at the Cauchy point; the free variables' indices. */
  readonly free: Uint8Array;
  readonly freeIdx: Int32Array;
  /** Subspace minimisation: the reduced matrix and right-hand side. */
  readonly sub: Float64Array;
  readonly rhs: Float64Array;
  /** The iteration's target point, direction, and the line search's point and gradient. */
  readonly xhat: Float64Array;
  readonly dir: Float64Array;
  readonly xt: Float64Array;
  readonly gt: Float64Array;
}

function workspace(n: number, lower: Float64Array, upper: Float64Array): Workspace {
  return {
    n,
    lower,
    upper,
    B: new Float64Array(n * n),
    Bs: new Float64Array(n),
    tBreak: new Float64Array(n),
    order: [],
    d: new Float64Array(n),
    z: new Float64Array(n),
    wz: new Float64Array(n),
    Bd: new Float64Array(n),
    free: new Uint8Array(n),
    freeIdx: new Int32Array(n),
    sub: new Float64Array(n * n),
    rhs: new Float64Array(n),
    xhat: new Float64Array(n),
    dir: new Float64Array(n),
    xt: new Float64Array(n),
    gt: new Float64Array(n),
  };
}

/** 1. The BFGS matrix B explicitly: θI, then one BFGS update per correction pair. */
function buildB(w: Workspace, S: readonly Float64Array[], Y: readonly Float64Array[], theta: number): void {
  const { n, B, Bs } = w;
  B.fill(0);
  for (let i = 0; i < n; i++) B[i * n + i] = theta;
  for (let k = 0; k < S.length; k++) {
    const s = S[k];
    const y = Y[k];
    let sBs = 0;
    let sy = 0;
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let j = 0; j < n; j++) v += B[i * n + j] * s[j];
      Bs[i] = v;
      sBs += s[i] * v;
      sy += s[i] * y[i];
    }
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) B[i * n + j] += (y[i] * y[j]) / sy - (Bs[i] * Bs[j]) / sBs;
    }
  }
}

/** 2. The generalized Cauchy point along P(x − t g), into `w.z` (and `w.free`, `w.wz`). */
function cauchyPoint(w: Workspace, x: Float64Array, g: Float64Array): void {
  const { n, lower, upper, B, tBreak, order, d, z, wz, Bd, free } = w;
  order.length = 0;
  for (let i = 0; i < n; i++) {
    z[i] = x[i];
    const gi = g[i];
    free[i] = 1;
    d[i] = -gi;
    tBreak[i] = Number.POSITIVE_INFINITY;
    const atLower = x[i] <= lower[i];
    const atUpper = x[i] >= upper[i];
    if ((atLower && gi >= 0) || (atUpper && gi <= 0)) {
      d[i] = 0;
      free[i] = 0;
      continue;
    }
    if (gi < 0 && upper[i] < Number.POSITIVE_INFINITY) tBreak[i] = (x[i] - upper[i]) / gi;
    else if (gi > 0 && lower[i] > Number.NEGATIVE_INFINITY) tBreak[i] = (x[i] - lower[i]) / gi;
    if (tBreak[i] < Number.POSITIVE_INFINITY) order.push(i);
  }
  order.sort((a, b) => tBreak[a] - tBreak[b]);
  let f1 = 0;
  for (let i = 0; i < n; i++) {
    f1 -= d[i] * d[i];
    let v = 0;
    for (let j = 0; j < n; j++) v += B[i * n + j] * d[j];
    Bd[i] = v;
    wz[i] = 0;
  }
  let f2 = 0;
  for (let i = 0; i < n; i++) f2 += d[i] * Bd[i];
  const f2org = f2;
  let tOld = 0;
  let ob = 0;
  if (f1 < 0) {
    while (true) {
      const dtm = -f1 / f2;
      const tNext = ob < order.length ? tBreak[order[ob]] : Number.POSITIVE_INFINITY;
      const dt = tNext - tOld;
      if (dtm < dt) {
        const step = Math.max(dtm, 0);
        for (let i = 0; i < n; i++) z[i] += step * d[i];
        break;
      }
      // Advance to the breakpoint; fix the variable that reaches its bound.
      const b = order[ob++];
      for (let i = 0; i < n; i++) {
        z[i] += dt * d[i];
        wz[i] += dt * Bd[i];
      }
      tOld = tNext;
      const db = d[b];
      z[b] = db > 0 ? upper[b] : lower[b];
      d[b] = 0;
      free[b] = 0;
      for (let i = 0; i < n; i++) Bd[i] -= db * B[i * n + b];
      f1 = 0;
      f2 = 0;
      for (let i = 0; i < n; i++) {
        f1 += d[i] * (g[i] + wz[i]);
        f2 += d[i] * Bd[i];
      }
      f2 = Math.max(EPS * f2org, f2);
      if (f1 >= 0) break;
    }
  }
}

/**
 * 3. Subspace minimisation over the variables free at the Cauchy point (skipped without
 * curvature pairs), into `w.xhat`.
 */
function subspaceStep(w: Workspace, x: Float64Array, g: Float64Array, hasPairs: boolean): void {
  const { n, lower, upper, B, z, free, freeIdx, sub, rhs, xhat, xt } = w;
  for (let i = 0; i < n; i++) xhat[i] = z[i];
  let nf = 0;
  for (let i = 0; i < n; i++) if (free[i]) freeIdx[nf++] = i;
  if (!hasPairs || nf === 0) return;
  // r = −(g + B(z − x)) on F
  for (let a = 0; a < nf; a++) {
    const i = freeIdx[a];
    let v = g[i];
    for (let j = 0; j < n; j++) v += B[i * n + j] * (z[j] - x[j]);
    rhs[a] = -v;
    for (let c = 0; c < nf; c++) sub[a * nf + c] = B[i * n + freeIdx[c]];
  }
  if (!cholesky(sub, nf)) return;
  cholSolve(sub, nf, rhs);
  // projected step
  let ddp = 0;
  for (let i = 0; i < n; i++) xt[i] = z[i];
  for (let a = 0; a < nf; a++) {
    const i = freeIdx[a];
    xt[i] = Math.min(upper[i], Math.max(lower[i], z[i] + rhs[a]));
  }
  for (let i = 0; i < n; i++) ddp += (xt[i] - x[i]) * g[i];
  if (ddp <= 0) {
    for (let i = 0; i < n; i++) xhat[i] = xt[i];
    return;
  }
  // truncated step: largest alpha ≤ 1 keeping z + alpha·du feasible
  let alpha = 1;
  let ibd = -1;
  for (let a = 0; a < nf; a++) {
    const i = freeIdx[a];
    const du = rhs[a];
    if (du < 0 && lower[i] > Number.NEGATIVE_INFINITY) {
      const tmp = lower[i] - z[i];
      if (tmp >= 0) {
        alpha = 0;
        ibd = i;
      } else if (du * alpha < tmp) {
        alpha = tmp / du;
        ibd = i;
      }
    } else if (du > 0 && upper[i] < Number.POSITIVE_INFINITY) {
      const tmp = upper[i] - z[i];
      if (tmp <= 0) {
        alpha = 0;
        ibd = i;
      } else if (du * alpha > tmp) {
        alpha = tmp / du;
        ibd = i;
      }
    }
  }
  for (let a = 0; a < nf; a++) xhat[freeIdx[a]] = z[freeIdx[a]] + alpha * rhs[a];
  if (alpha < 1 && ibd >= 0) {
    const du = rhs[freeIdx.indexOf(ibd)];
    xhat[ibd] = du > 0 ? upper[ibd] : lower[ibd];
  }
}

/** The longest step along `w.dir` from x that stays in the box (from 1e10 down). */
function maxStep(w: Workspace, x: Float64Array): number {
  const { n, lower, upper, dir } = w;
  let stpmax = 1e10;
  for (let i = 0; i < n; i++) {
    const a1 = dir[i];
    if (a1 < 0 && lower[i] > Number.NEGATIVE_INFINITY) {
      const a2 = lower[i] - x[i];
      if (a2 >= 0) stpmax = 0;
      else if (a1 * stpmax < a2) stpmax = a2 / a1;
    } else if (a1 > 0 && upper[i] < Number.POSITIVE_INFINITY) {
      const a2 = upper[i] - x[i];
      if (a2 <= 0) stpmax = 0;
      else if (a1 * stpmax > a2) stpmax = a2 / a1;
    }
  }
  return stpmax;
}
