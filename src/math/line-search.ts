import type { ObjectiveWithGradient } from './lbfgsb.js';

/** Moré–Thuente step (MINPACK-2 dcstep): safeguarded cubic/quadratic interpolation. */
interface StepState {
  stx: number;
  fx: number;
  dx: number;
  sty: number;
  fy: number;
  dy: number;
  stp: number;
  brackt: boolean;
}

function cstep(s: StepState, fp: number, dp: number, stpmin: number, stpmax: number): void {
  const { stx, fx, dx, sty, fy, dy, stp } = s;
  const sgnd = dp * Math.sign(dx);
  let stpf: number;
  if (fp > fx) {
    const theta = (3 * (fx - fp)) / (stp - stx) + dx + dp;
    const sc = Math.max(Math.abs(theta), Math.abs(dx), Math.abs(dp));
    let gamma = sc * Math.sqrt(Math.max(0, (theta / sc) ** 2 - (dx / sc) * (dp / sc)));
    if (stp < stx) gamma = -gamma;
    const p = gamma - dx + theta;
    const q = gamma - dx + gamma + dp;
    const stpc = stx + (p / q) * (stp - stx);
    const stpq = stx + (dx / ((fx - fp) / (stp - stx) + dx) / 2) * (stp - stx);
    stpf = Math.abs(stpc - stx) < Math.abs(stpq - stx) ? stpc : stpc + (stpq - stpc) / 2;
    s.brackt = true;
  } else if (sgnd < 0) {
    const theta = (3 * (fx - fp)) / (stp - stx) + dx + dp;
    const sc = Math.max(Math.abs(theta), Math.abs(dx), Math.abs(dp));
    let gamma = sc * Math.sqrt(Math.max(0, (theta / sc) ** 2 - (dx / sc) * (dp / sc)));
    if (stp > stx) gamma = -gamma;
    const p = gamma - dp + theta;
    const q = gamma - dp + gamma + dx;
    const stpc = stp + (p / q) * (stx - stp);
    const stpq = stp + (dp / (dp - dx)) * (stx - stp);
    stpf = Math.abs(stpc - stp) > Math.abs(stpq - stp) ? stpc : stpq;
    s.brackt = true;
  } else if (Math.abs(dp) < Math.abs(dx)) {
    const theta = (3 * (fx - fp)) / (stp - stx) + dx + dp;
    const sc = Math.max(Math.abs(theta), Math.abs(dx), Math.abs(dp));
    let gamma = sc * Math.sqrt(Math.max(0, (theta / sc) ** 2 - (dx / sc) * (dp / sc)));
    if (stp > stx) gamma = -gamma;
    const p = gamma - dp + theta;
    const q = gamma + (dx - dp) + gamma;
    const r = p / q;
    let stpc: number;
    if (r < 0 && gamma !== 0) stpc = stp + r * (stx - stp);
    else if (stp > stx) stpc = stpmax;
    else stpc = stpmin;
    const stpq = stp + (dp / (dp - dx)) * (stx - stp);
    if (s.brackt) {
      stpf = Math.abs(stpc - stp) < Math.abs(stpq - stp) ? stpc : stpq;
      if (stp > stx) stpf = Math.min(stp + 0.66 * (sty - stp), stpf);
      else stpf = Math.max(stp + 0.66 * (sty - stp), stpf);
    } else {
      stpf = Math.abs(stpc - stp) > Math.abs(stpq - stp) ? stpc : stpq;
      stpf = Math.max(stpmin, Math.min(stpmax, stpf));
    }
  } else if (s.brackt) {
    const theta = (3 * (fp - fy)) / (sty - stp) + dy + dp;
    const sc = Math.max(Math.abs(theta), Math.abs(dy), Math.abs(dp));
    let gamma = sc * Math.sqrt(Math.max(0, (theta / sc) ** 2 - (dy / sc) * (dp / sc)));
    if (stp > sty) gamma = -gamma;
    const p = gamma - dp + theta;
    const q = gamma - dp + gamma + dy;
    stpf = stp + (p / q) * (sty - stp);
  } else {
    stpf = stp > stx ? stpmax : stpmin;
  }
  if (fp > fx) {
    s.sty = stp;
    s.fy = fp;
    s.dy = dp;
  } else {
    if (sgnd < 0) {
      s.sty = stx;
      s.fy = fx;
      s.dy = dx;
    }
    s.stx = stp;
    s.fx = fp;
    s.dx = dp;
  }
  s.stp = stpf;
}

/**
 * Moré–Thuente line search (MINPACK-2 dcsrch; ftol 1e-3, gtol 0.9, xtol 0.1) along `d` from `x`
 * (objective `f0`, directional derivative `gd0 < 0`), first trying step `stp0`, never beyond
 * `stpmax`. Evaluates at `xt = x + stp·d` clamped into the box (`xt`, `gt` and `out.f` hold the
 * last evaluation; `out.evals` counts them); returns the accepted step, or −1 on failure.
 *
 * @example
 * const fg = (x: Float64Array, g: Float64Array) => { g[0] = 2 * x[0]; return x[0] * x[0]; };
 * const out = { f: 0, evals: 0 };
 * const xt = new Float64Array(1);
 * const gt = new Float64Array(1);
 * const inf = Float64Array.of(Infinity);
 * const stp = lineSearchMoreThuente(fg, Float64Array.of(1), Float64Array.of(-1), 1, -2, 1, Infinity, 20, inf.map(() => -Infinity), inf, xt, gt, out);
 * stp; // => 1
 * out.f; // => 0
 */
export function lineSearchMoreThuente(
  fg: ObjectiveWithGradient,
  x: Float64Array,
  d: Float64Array,
  f0: number,
  gd0: number,
  stp0: number,
  stpmax: number,
  maxLs: number,
  lower: Float64Array,
  upper: Float64Array,
  xt: Float64Array,
  gt: Float64Array,
  out: { f: number; evals: number },
): number {
  const ftol = 1e-3;
  const gtol = 0.9;
  const xtol = 0.1;
  const stpmin = 0;
  const n = x.length;
  const gtest = ftol * gd0;
  let width = stpmax - stpmin;
  let width1 = 2 * width;
  const s: StepState = { stx: 0, fx: f0, dx: gd0, sty: 0, fy: f0, dy: gd0, stp: stp0, brackt: false };
  let stmin = 0;
  let stmax = stp0 + 4 * stp0;
  let stage = 1;
  for (let it = 0; it < maxLs; it++) {
    const stp = s.stp;
    for (let i = 0; i < n; i++) {
      let v = x[i] + stp * d[i];
      if (v < lower[i]) v = lower[i];
      else if (v > upper[i]) v = upper[i];
      xt[i] = v;
    }
    let f = fg(xt, gt);
    out.evals++;
    let gFinite = true;
    for (let i = 0; i < n; i++) if (!Number.isFinite(gt[i])) gFinite = false;
    if (!Number.isFinite(f) || !gFinite) {
      // Outside the region where the objective is defined: shrink and retry.
      f = Number.POSITIVE_INFINITY;
      s.brackt = true;
      s.sty = stp;
      s.fy = Number.POSITIVE_INFINITY;
      s.stp = s.stx + 0.5 * (stp - s.stx);
      if (s.stp === s.stx) return -1;
      continue;
    }
    let g = 0;
    for (let i = 0; i < n; i++) g += gt[i] * d[i];
    out.f = f;
    const ftest = f0 + stp * gtest;
    if (stage === 1 && f <= ftest && g >= 0) stage = 2;
    if (f <= ftest && Math.abs(g) <= gtol * -gd0) return stp;
    if (s.brackt && (stp <= stmin || stp >= stmax)) return f < f0 ? stp : -1;
    if (s.brackt && stmax - stmin <= xtol * stmax) return f < f0 ? stp : -1;
    if (stp === stpmax && f <= ftest && g <= gtest) return stp;
    if (stp === stpmin && (f > ftest || g >= gtest)) return -1;
    if (stage === 1 && f <= s.fx && f > ftest) {
      const m: StepState = {
        stx: s.stx,
        fx: s.fx - s.stx * gtest,
        dx: s.dx - gtest,
        sty: s.sty,
        fy: s.fy - s.sty * gtest,
        dy: s.dy - gtest,
        stp,
        brackt: s.brackt,
      };
      cstep(m, f - stp * gtest, g - gtest, stmin, stmax);
      s.stx = m.stx;
      s.sty = m.sty;
      s.fx = m.fx + m.stx * gtest;
      s.fy = m.fy + m.sty * gtest;
      s.dx = m.dx + gtest;
      s.dy = m.dy + gtest;
      s.stp = m.stp;
      s.brackt = m.brackt;
    } else {
      cstep(s, f, g, stmin, stmax);
    }
    if (s.brackt) {
      if (Math.abs(s.sty - s.stx) >= 0.66 * width1) s.stp = s.stx + 0.5 * (s.sty - s.stx);
      width1 = width;
      width = Math.abs(s.sty - s.stx);
      stmin = Math.min(s.stx, s.sty);
      stmax = Math.max(s.stx, s.sty);
    } else {
      stmin = s.stp + 1.1 * (s.stp - s.stx);
      stmax = s.stp + 4 * (s.stp - s.stx);
    }
    s.stp = Math.max(stpmin, Math.min(stpmax, s.stp));
    if ((s.brackt && (s.stp <= stmin || s.stp >= stmax)) || (s.brackt && stmax - stmin <= xtol * stmax)) {
      s.stp = s.stx;
    }
  }
  return -1;
}
