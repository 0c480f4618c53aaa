/**
 * Streaming left matrix-profile discord core (docs/detectors-quality.md).
 *
 * The score of a point is the z-normalised Euclidean distance from the subsequence that ends at it
 * (length `m`) to its nearest neighbour among the previous `window` subsequences, excluding the `m`
 * subsequences that overlap it (trivial matches), divided by √(2m). A shape seen before scores low
 * wherever its level is; a new shape (a changed frequency, a distorted cycle) scores high even inside the
 * normal range of values.
 *
 * - **Noise floor**: a subsequence is z-normalised by `max(sd, floor)`, not by `sd`. A stretch whose
 *   spread is no larger than the series' noise is nearly flat; dividing by its own tiny spread would blow
 *   its noise up into a random "shape" that matches nothing. With the floor it stays a nearly flat shape
 *   and matches the other flat stretches.
 * - **Gaps**: `gap()` marks a break in the data (missing rows). A subsequence that spans a break is not
 *   a shape of the series: it scores 0 and is never anyone's neighbour.
 *
 * Incremental per point (the STOMP recurrence): the dot products of the new subsequence with every stored
 * one follow from the previous point's in O(1) each, `QTᵢ[j] = QTᵢ₋₁[j−1] − x[i−1]·x[j−1] + x[i+m−1]·x[j+m−1]`,
 * so a point costs O(window); every `refresh` points the products are recomputed exactly (O(window · m)) to
 * bound floating-point drift. Values are stored centred on the training mean. Typed-array ring buffers, no
 * allocation per point.
 */
import { ModelFormatError } from '../../errors.js';
import { decodeFloats, encodeFloats, field } from '../json.js';
import type { JsonValue } from '../types.js';

const REFRESH = 4096;
/** `sd` ring value of a subsequence that spans a gap (never a neighbour). */
const SPANS_GAP = -1;

export class DiscordCore {
  readonly m: number;
  readonly window: number;
  /** Values (centred), ring of size R = window + m + 1, by global index mod R. */
  private readonly x: Float64Array;
  /** Per-subsequence mean and standard deviation, ring of size Q = window + 1 by start index. */
  private readonly mu: Float64Array;
  private readonly sd: Float64Array;
  /** Derived from `sd` and the floor (not saved): 1 / max(sd, floor) and (sd / max(sd, floor))². */
  private readonly inv: Float64Array;
  private readonly r2: Float64Array;
  /**
   * Dot products of the latest subsequence (start i) with the stored ones, by lag: qt[ℓ] is the product
   * with the one starting at i − ℓ (ℓ = 1 … window). The model file keeps them as a ring by start index.
   */
  private readonly qt: Float64Array;
  /** Doubled copies of the rings (entry q also at q + size), so the hot loop reads without wrapping. */
  private readonly x2: Float64Array;
  private readonly mu2: Float64Array;
  private readonly sd2: Float64Array;
  private readonly inv2: Float64Array;
  private readonly r22: Float64Array;
  private center = 0;
  /** z-normalisation divides by max(sd, floor). */
  private floor = 0;
  /** Values seen (global index of the next value). */
  private count = 0;
  /** Global index of the first value after the latest gap (subsequences starting earlier span it). */
  private segment = 0;
  private sum = 0;
  private sumSq = 0;
  private sinceRefresh = 0;
  /**
   * The last point's nearest-neighbour distance without the z-normalisation (means removed, spreads
   * kept), / √m: the amplitude view of the same comparison (0 while warming up or across a gap).
   */
  euclid = 0;
  /**
   * Whether the last push had a neighbour to compare with (false while warming up, when every stored
   * subsequence overlaps it or spans a gap, and for a subsequence that spans a gap).
   */
  matched = false;

  /**
   * The smallest lag compared (at least `m`: closer subsequences overlap, trivial matches). A larger
   * one also skips neighbours that begin fewer than `minLag` points away (the two-sided locate score's
   * future side, two-sided.ts). Not part of the model file: streaming cores use `m`.
   */
  readonly minLag: number;

  /**
   * The last start index (global, from the latest `reset`) a neighbour may have; later subsequences
   * are never compared. Infinity (default, the streaming detector): every stored one. The locate score
   * with `sides: 'train'` (two-sided.ts, locate round 7) sets it once the training part is pushed, so
   * that test subsequences are compared with training ones only; it must never decrease afterwards
   * (products at lags it leaves behind are no longer kept up to date). Not part of the model file.
   */
  lastStart = Number.POSITIVE_INFINITY;

  constructor(m: number, window: number, minLag = m) {
    this.m = m;
    this.window = window;
    this.minLag = Math.max(m, minLag);
    this.x = new Float64Array(window + m + 1);
    this.mu = new Float64Array(window + 1);
    this.sd = new Float64Array(window + 1);
    this.inv = new Float64Array(window + 1);
    this.r2 = new Float64Array(window + 1);
    this.qt = new Float64Array(window + 1);
    this.x2 = new Float64Array(2 * (window + m + 1));
    this.mu2 = new Float64Array(2 * (window + 1));
    this.sd2 = new Float64Array(2 * (window + 1));
    this.inv2 = new Float64Array(2 * (window + 1));
    this.r22 = new Float64Array(2 * (window + 1));
  }

  /** Resets the stream, centres values on `center` and sets the noise floor of the z-normalisation. */
  reset(center: number, floor = 0): void {
    this.center = center;
    this.floor = Math.max(0, floor);
    this.count = 0;
    this.segment = 0;
    this.lastStart = Number.POSITIVE_INFINITY;
    this.sum = 0;
    this.sumSq = 0;
    this.sinceRefresh = 0;
    this.x.fill(0);
    this.mu.fill(0);
    this.sd.fill(0);
    this.inv.fill(0);
    this.r2.fill(0);
    this.qt.fill(0);
    this.x2.fill(0);
    this.mu2.fill(0);
    this.sd2.fill(0);
    this.inv2.fill(0);
    this.r22.fill(0);
  }

  /** A break in the data before the next value: subsequences spanning it are excluded. */
  gap(): void {
    this.segment = this.count;
  }

  /** Fills the derived divisors of the subsequence at ring position q from its sd and the floor. */
  private derive(q: number, tiny: number): void {
    const sd = this.sd[q];
    const d = Math.max(sd, this.floor, tiny);
    const Q = this.mu.length;
    this.inv[q] = 1 / d;
    this.r2[q] = sd > 0 ? (sd / d) ** 2 : 0;
    this.inv2[q] = this.inv2[q + Q] = this.inv[q];
    this.r22[q] = this.r22[q + Q] = this.r2[q];
    this.mu2[q] = this.mu2[q + Q] = this.mu[q];
    this.sd2[q] = this.sd2[q + Q] = this.sd[q];
  }

  private xa(g: number): number {
    return this.x[g % this.x.length];
  }

  /** Direct dot product of the subsequences starting at a and b. */
  private dot(a: number, b: number): number {
    let s = 0;
    for (let k = 0; k < this.m; k++) s += this.xa(a + k) * this.xa(b + k);
    return s;
  }

  /** Pushes one value; returns the discord score of the subsequence ending at it (0 while warming up). */
  push(v: number): number {
    const m = this.m;
    const R = this.x.length;
    const Q = this.mu.length;
    const c = v - this.center;
    const g = this.count++;
    const gr = g % R;
    this.x[gr] = c;
    this.x2[gr] = c;
    this.x2[gr + R] = c;
    this.sum += c;
    this.sumSq += c * c;
    if (g >= m) {
      const old = this.x[(g - m) % R];
      this.sum -= old;
      this.sumSq -= old * old;
    }
    if (g < m - 1) {
      this.matched = false;
      return 0;
    }
    const i = g - m + 1; // start of the new subsequence
    const mean = this.sum / m;
    const varc = Math.max(this.sumSq / m - mean * mean, 0);
    const tiny = 1e-8 * (1 + Math.abs(this.center));
    const spans = i < this.segment;
    const sd = spans ? SPANS_GAP : Math.sqrt(varc);
    const iq = i % Q;
    this.mu[iq] = mean;
    this.sd[iq] = sd;
    this.derive(iq, tiny);
    const refresh = ++this.sinceRefresh >= REFRESH;
    if (refresh) this.sinceRefresh = 0;
    // Products by lag ℓ = i − j (qt[ℓ], ℓ = 1 … min(i, window)): the recurrence keeps the lag, so each
    // entry updates in place; the per-start rings are read through their doubled copies, from index
    // (i mod size) + size downwards, with no wrap test in the hot loop.
    const x2 = this.x2;
    const qt = this.qt;
    const mu2 = this.mu2;
    const sd2 = this.sd2;
    const inv2 = this.inv2;
    const r22 = this.r22;
    const xi0 = this.xa(i - 1);
    const xi1 = this.xa(i + m - 1);
    const top = Math.min(i, this.window); // lags in use
    // z-normalised distance² with divisors max(sd, floor): for a (this) and b (stored),
    // Σ(a'−b')² = m·ra² + m·rb² − 2·(QT − m·μa·μb)/(da·db), r = sd/d, d = max(sd, floor)
    const ia2 = 2 * this.inv[iq];
    const ra2 = this.r2[iq];
    let best = Number.POSITIVE_INFINITY;
    let bestE = Number.POSITIVE_INFINITY;
    const sa2 = sd > 0 ? sd * sd : 0;
    // exact products on refresh, and for j = 0 (lag i: no product of j − 1 to update from)
    let recTo = top; // lags 1 … recTo by the recurrence
    // with `lastStart`, lags below `lo` are never compared again: their products are not kept
    const limited = this.lastStart !== Number.POSITIVE_INFINITY;
    const lo = limited ? Math.max(this.minLag, i - this.lastStart) : this.minLag;
    if (refresh) {
      for (let l = limited ? lo : 1; l <= top; l++) qt[l] = this.dot(i, i - l);
      recTo = 0;
    } else if (top === i && i > 0) {
      qt[i] = this.dot(i, 0);
      recTo = i - 1;
    }
    const a0 = ((i - 1 + R) % R) + R; // x2[a0 − ℓ] = x[j − 1]
    const a1 = ((i + m - 1) % R) + R; // x2[a1 − ℓ] = x[j + m − 1]
    if (spans) {
      for (let l = limited ? lo : 1; l <= recTo; l++) qt[l] = qt[l] - xi0 * x2[a0 - l] + xi1 * x2[a1 - l];
    } else {
      // lags below m overlap the new subsequence (below minLag are skipped): products only; from
      // minLag on, products and distances
      const head = limited ? 0 : Math.min(lo - 1, recTo);
      for (let l = 1; l <= head; l++) qt[l] = qt[l] - xi0 * x2[a0 - l] + xi1 * x2[a1 - l];
      const b = iq + Q; // ring index of j = i − ℓ is b − ℓ
      for (let l = lo; l <= top; l++) {
        if (l <= recTo) qt[l] = qt[l] - xi0 * x2[a0 - l] + xi1 * x2[a1 - l];
        const jb = b - l;
        const sj = sd2[jb];
        if (sj >= 0) {
          const cov = qt[l] - m * mean * mu2[jb];
          const d2 = m * (ra2 + r22[jb]) - cov * ia2 * inv2[jb];
          if (d2 < best) best = d2;
          const e2 = m * (sa2 + sj * sj) - 2 * cov;
          if (e2 < bestE) bestE = e2;
        }
      }
    }
    if (spans || best === Number.POSITIVE_INFINITY) {
      this.euclid = 0;
      this.matched = false;
      return 0;
    }
    this.matched = true;
    this.euclid = Math.sqrt(Math.max(bestE, 0) / m);
    return Math.sqrt(Math.max(best, 0) / (2 * m));
  }

  /** Ring slot (by start index mod Q) of lag ℓ from the latest subsequence. */
  private slot(l: number): number {
    const Q = this.qt.length;
    return (((this.count - this.m - l) % Q) + Q) % Q;
  }

  /** The products as the model file keeps them: a ring by start index. */
  private qtRing(): Float64Array {
    const ring = new Float64Array(this.qt.length);
    for (let l = 0; l < this.qt.length; l++) ring[this.slot(l)] = this.qt[l];
    return ring;
  }

  state(): JsonValue {
    return {
      x: encodeFloats(this.x),
      mu: encodeFloats(this.mu),
      sd: encodeFloats(this.sd),
      qt: encodeFloats(this.qtRing()),
      num: encodeFloats([
        this.center,
        this.count,
        this.sum,
        this.sumSq,
        this.sinceRefresh,
        this.floor,
        this.segment,
      ]),
    };
  }

  /** Restores `state()` exactly (the stream continues bit for bit). */
  restore(state: unknown, path: string): void {
    const R = this.x.length;
    const Q = this.qt.length;
    const x = decodeFloats(field(state, 'x', path), `${path}.x`, R);
    const mu = decodeFloats(field(state, 'mu', path), `${path}.mu`, Q);
    const sd = decodeFloats(field(state, 'sd', path), `${path}.sd`, Q);
    const qt = decodeFloats(field(state, 'qt', path), `${path}.qt`, Q);
    const num = decodeFloats(field(state, 'num', path), `${path}.num`, 7);
    // dot products and sums of squares of large-valued series (bytes, counts ~1e8) exceed any fixed bound:
    // finite is the check
    const finite = (a: Float64Array) => a.every((v) => Number.isFinite(v));
    const [center, count, sum, sumSq, since, floor, segment] = num;
    if (
      !finite(x) ||
      !finite(mu) ||
      !finite(qt) ||
      !finite(num) ||
      !sd.every((v) => (v >= 0 || v === SPANS_GAP) && Number.isFinite(v)) ||
      !(floor >= 0)
    ) {
      throw new ModelFormatError(
        'bad_field',
        `${path}: ring buffers must hold finite numbers (sd ≥ 0 or −1 for a gap), floor ≥ 0`,
      );
    }
    if (
      !Number.isSafeInteger(count) ||
      count < 0 ||
      !Number.isSafeInteger(segment) ||
      segment < 0 ||
      segment > count ||
      !Number.isInteger(since) ||
      since < 0 ||
      since >= REFRESH
    ) {
      throw new ModelFormatError(
        'bad_field',
        `${path}.num: count, segment start and refresh counter must be integers in range`,
      );
    }
    this.x.set(x);
    this.mu.set(mu);
    this.sd.set(sd);
    this.center = center;
    this.count = count;
    this.sum = sum;
    this.sumSq = sumSq;
    this.sinceRefresh = since;
    this.floor = floor;
    this.segment = segment;
    for (let l = 0; l < Q; l++) this.qt[l] = qt[this.slot(l)];
    this.x2.set(x);
    this.x2.set(x, R);
    const tiny = 1e-8 * (1 + Math.abs(center));
    for (let q = 0; q < Q; q++) this.derive(q, tiny);
  }
}
