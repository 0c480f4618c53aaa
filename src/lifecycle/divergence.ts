/**
 * Divergences between two binned distributions: the population stability index (PSI) and the
 * Jensen–Shannon divergence (JS), computed from bin counts.
 *
 * Smoothing (stated, and the same for both): each bin gets `alpha` pseudo-counts before normalising,
 * pᵢ = (cᵢ + α) / (N + Bα) with α = 0.5 by default (the Jeffreys prior), so an empty bin never gives
 * log 0 and the statistics stay finite. With α = 0, PSI is Infinity when a bin is empty on one side only.
 *
 * - PSI = Σ (pᵢ − qᵢ) ln(pᵢ / qᵢ) (nats): KL(p‖q) + KL(q‖p), symmetric and ≥ 0. Rules of thumb:
 *   < 0.1 stable, 0.1–0.25 moderate shift, ≥ 0.25 significant shift.
 * - JS = ½ KL(p‖m) + ½ KL(q‖m), m = ½(p + q), in bits (log₂): symmetric, in [0, 1].
 */
import { lowerBound } from '../series/ops.js';
import { LifecycleError } from './errors.js';
import { checkSample } from './ks.js';

export interface SmoothingOptions {
  /** Pseudo-count added to every bin (default 0.5). */
  readonly alpha?: number;
}

export const DEFAULT_ALPHA = 0.5;

function checkCounts(p: ArrayLike<number>, q: ArrayLike<number>, alpha: number): void {
  if (p.length !== q.length || p.length === 0) {
    throw new LifecycleError(
      'bad_sample',
      `bin counts must have the same, non-zero length (got ${p.length} and ${q.length})`,
    );
  }
  if (!(alpha >= 0) || !Number.isFinite(alpha)) {
    throw new LifecycleError('bad_option', `smoothing alpha must be a finite number ≥ 0, got ${alpha}`);
  }
  for (let i = 0; i < p.length; i++) {
    if (!(p[i] >= 0) || !(q[i] >= 0) || !Number.isFinite(p[i]) || !Number.isFinite(q[i])) {
      throw new LifecycleError(
        'bad_sample',
        `bin ${i}: counts must be finite and ≥ 0 (got ${p[i]}, ${q[i]})`,
      );
    }
  }
  if (alpha === 0 && (total(p) === 0 || total(q) === 0)) {
    throw new LifecycleError(
      'bad_sample',
      `the ${total(p) === 0 ? 'first' : 'second'} bin counts are all 0: with no counts and no smoothing (alpha 0) there is no distribution to compare; pass counts of at least one value on each side, or keep the default smoothing`,
    );
  }
}

function total(c: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < c.length; i++) s += c[i];
  return s;
}

/** PSI of two count vectors over the same bins (nats). */
export function psi(
  expected: ArrayLike<number>,
  actual: ArrayLike<number>,
  opts: SmoothingOptions = {},
): number {
  const alpha = opts.alpha ?? DEFAULT_ALPHA;
  checkCounts(expected, actual, alpha);
  return psiUnchecked(expected, actual, alpha);
}

/** PSI without argument checks (the monitor's hot path; counts are its own). */
export function psiUnchecked(expected: ArrayLike<number>, actual: ArrayLike<number>, alpha: number): number {
  const b = expected.length;
  const ne = total(expected) + b * alpha;
  const na = total(actual) + b * alpha;
  if (ne === 0 || na === 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < b; i++) {
    const p = (expected[i] + alpha) / ne;
    const q = (actual[i] + alpha) / na;
    if (p === q) continue;
    if (p === 0 || q === 0) return Number.POSITIVE_INFINITY;
    s += (q - p) * Math.log(q / p);
  }
  return s;
}

/** Jensen–Shannon divergence of two count vectors over the same bins (bits, in [0, 1]). */
export function jensenShannon(
  p: ArrayLike<number>,
  q: ArrayLike<number>,
  opts: SmoothingOptions = {},
): number {
  const alpha = opts.alpha ?? DEFAULT_ALPHA;
  checkCounts(p, q, alpha);
  return jsUnchecked(p, q, alpha);
}

export function jsUnchecked(p: ArrayLike<number>, q: ArrayLike<number>, alpha: number): number {
  const b = p.length;
  const np = total(p) + b * alpha;
  const nq = total(q) + b * alpha;
  if (np === 0 || nq === 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < b; i++) {
    const a = (p[i] + alpha) / np;
    const c = (q[i] + alpha) / nq;
    const m = (a + c) / 2;
    if (a > 0) s += a * Math.log2(a / m);
    if (c > 0) s += c * Math.log2(c / m);
  }
  return Math.min(1, Math.max(0, s / 2));
}

/**
 * Bin edges at the quantiles of `x` (equal-frequency bins): `bins − 1` interior edges, duplicates removed.
 * Bin k holds values in (edges[k−1], edges[k]]; the first and last bins are open-ended.
 */
export function quantileEdges(x: ArrayLike<number>, bins: number): Float64Array {
  if (!Number.isInteger(bins) || bins < 2) {
    throw new LifecycleError('bad_option', `bins must be an integer ≥ 2, got ${bins}`);
  }
  if (x.length === 0) throw new LifecycleError('bad_sample', 'cannot compute bin edges of an empty sample');
  const s = Float64Array.from(x);
  s.sort();
  const out: number[] = [];
  for (let k = 1; k < bins; k++) {
    const pos = (k / bins) * (s.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, s.length - 1);
    const e = s[lo] + (s[hi] - s[lo]) * (pos - lo);
    if (Number.isNaN(e)) throw new LifecycleError('bad_sample', 'sample contains NaN');
    if (out.length === 0 || e > out[out.length - 1]) out.push(e);
  }
  return Float64Array.from(out);
}

/** Index of the bin of `v` for `edges` (binary search: first edge ≥ v). */
export function binOf(edges: Float64Array, v: number): number {
  return lowerBound(edges, v);
}

/** Counts of `x` in the bins of `edges` (edges.length + 1 bins). */
export function histogram(x: ArrayLike<number>, edges: Float64Array): Float64Array {
  const c = new Float64Array(edges.length + 1);
  for (let i = 0; i < x.length; i++) c[binOf(edges, x[i])]++;
  return c;
}

/**
 * PSI and JS of two samples: bins at the quantiles of the pooled sample (so the result does not
 * depend on which sample is called the reference), or at the `edges` given.
 */
export function sampleDivergence(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  opts: SmoothingOptions & { bins?: number; edges?: Float64Array } = {},
): { psi: number; js: number; edges: Float64Array } {
  checkSample(a, 'sample a');
  checkSample(b, 'sample b');
  let edges = opts.edges;
  if (!edges) {
    const pooled = new Float64Array(a.length + b.length);
    pooled.set(Array.from(a));
    pooled.set(Array.from(b), a.length);
    edges = quantileEdges(pooled, opts.bins ?? 10);
  }
  const ha = histogram(a, edges);
  const hb = histogram(b, edges);
  return { psi: psi(ha, hb, opts), js: jensenShannon(ha, hb, opts), edges };
}
