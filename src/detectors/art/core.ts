/**
 * The raw model of `ArtDetector`: an adaptive-resonance (dual-vigilance fuzzy ART) detector over wavelet
 * features of a downsampled window, after the method of ARTime (Mark Hampton; docs/detectors.md, "ART",
 * names every constant and where it comes from). An independent TypeScript implementation written from a
 * description of the method, not a translation of ARTime's (AGPL) code.
 */
import { z } from 'zod';
import { DetectorError, ModelFormatError } from '../../errors.js';
import { parseConfig } from '../config.js';
import {
  boolField,
  decodeFloats,
  encodeFloat,
  field,
  intField,
  numberField,
  packFloats,
  unpackFloats,
} from '../json.js';
import type { JsonObject } from '../types.js';

/** Blocks in a feature window (ARTime's `window`). */
export const ART_WINDOW = 8;
/** Feature windows per probationary period (sets the downsampling step). */
const WINDOWS_PER_PROBATION = 13;
/** Discretisation levels of a normalised block value. */
const LEVELS = 80;
/** A block value this close (normalised units) to the running median level snaps to it. */
const CHOMP = 0.075;
/** A block's extreme replaces its mean only when it differs from the mean by this fraction of the mean. */
const SPIKE_FRACTION = 0.1;
/** Vigilance of the pass that finds the initial vigilance. */
const INITIAL_RHO = 0.8;
/** Cap of the upper vigilance. */
const RHO_UB_CAP = 0.97;
/** Fraction of the gap to the smallest recent match by which the lower vigilance rises. */
const RHO_LB_RISE = 0.19;
/** Shortfalls below the upper vigilance that count when the lower vigilance falls, and their cap. */
const SHORTFALL_MIN = 0.05;
const SHORTFALL_CAP = 0.37;
/** Smallest fall of the lower vigilance (half of it is applied). */
const RHO_LB_MIN_FALL = 0.01;
/** A new cluster alarms inside a mask when its match is below this fraction of the last anomaly's. */
const BELOW_LAST_IN_ANOMALY_MASK = 0.9;
const BELOW_LAST_IN_CATEGORY_MASK = 0.7;
/** Confidence weights: upper-vigilance term, lower-vigilance term, energy term; match cap. */
const CONF_UB = 0.35;
const CONF_LB = 0.65;
const CONF_ENERGY = 1.5;
const CONF_MATCH_CAP = 0.999;
/** Features per block: the DWT of the normalised window, then the window's levels. */
const DIM = 2 * ART_WINDOW;
/** Complement-coded width. */
const CDIM = 2 * DIM;
/** The energy components: the newest level and its complement. */
const E1 = DIM - 1;
const E2 = CDIM - 1;
/** Smallest training part (the vigilance search needs a few feature windows). */
export const ART_MIN_TRAIN = 32;

export const artSchema = z.strictObject({
  /**
   * The value range to normalise by. `null` (default): causal, the training part's range widened by
   * `rangeMargin` of its span on each side. `[min, max]`: a fixed range (NAB hands every detector the
   * file's min/max; the `artNab` lab recipe fills it that way). What happens to values outside is
   * `rangeMode`'s.
   */
  range: z
    .tuple([z.number().finite(), z.number().finite()])
    .refine(([a, b]) => a <= b, 'range: expected [min, max] with min ≤ max')
    .nullable()
    .default(null),
  /**
   * Widening of the causal range on each side, as a fraction of the training part's span; under
   * `rangeMode: 'grow'` also the margin past a new extreme, as a fraction of the grown span.
   */
  rangeMargin: z.number().min(0).max(10).default(0.25),
  /**
   * What a value outside the range does after the training part. `'clamp'`: it takes the end level
   * (round 16). `'grow'`: the range grows on that side to the value plus `rangeMargin` of the new span,
   * and the feature window, the categories and the running median are re-expressed in it
   * (docs/detectors.md, "ART"). Model files of state version 2 (before this option) load as `'clamp'`.
   */
  rangeMode: z.enum(['clamp', 'grow']).default('grow'),
  /**
   * Most categories the ART memory keeps (32 float64 each). At the cap a new category overwrites the
   * least recently matched one, so memory and time per block stay bounded.
   */
  maxCategories: z
    .number()
    .int()
    .min(16)
    .max(1 << 16)
    .default(4096),
});
export type ArtCoreConfig = z.infer<typeof artSchema>;
export type ArtCoreInput = z.input<typeof artSchema>;

export function parseArtConfig(input: unknown): ArtCoreConfig {
  return parseConfig(artSchema, input, 'ART config');
}

/** The probationary geometry of a training length: even length, downsampling step, blocks of it. */
export function artGeometry(trainLength: number): { probation: number; step: number; trendWindow: number } {
  const probation = trainLength - (trainLength % 2);
  const step = Math.max(1, Math.floor(probation / (ART_WINDOW * WINDOWS_PER_PROBATION)));
  return { probation, step, trendWindow: Math.floor(probation / step) };
}

/** Width of a complement-coded category: the features, then their complements. */
export const ART_CDIM = CDIM;

/**
 * Re-expresses the first `n` categories of `w` (ART_CDIM weights each: 8 Haar features, 8 levels,
 * then their complements) in a range grown by the map `y ↦ a·y + b` of normalised units (a > 0). On
 * each level dimension the box [w_k, 1 − w_{k+16}] maps to its image; a dimension no input has touched
 * (the uncommitted all-ones weights, w_k + w_{k+16} = 2) stays; the Haar half does not change.
 */
export function artReexpress(w: Float64Array, n: number, a: number, b: number): void {
  for (let j = 0; j < n; j++) {
    const o = j * CDIM;
    for (let k = ART_WINDOW; k < DIM; k++) {
      const lower = w[o + k];
      const comp = w[o + k + DIM];
      if (lower + comp > 1.5) continue;
      const lo = a * lower + b;
      const up = a * (1 - comp) + b;
      w[o + k] = lo < 0 ? 0 : lo > 1 ? 1 : lo;
      w[o + k + DIM] = up > 1 ? 0 : up < 0 ? 1 : 1 - up;
    }
  }
}

/**
 * Dual-vigilance fuzzy ART on complement-coded features of width `DIM`. The match of category `w` and
 * input `x` is `(|x∧w|₁ / |w|₁)³ · e²`, `e` the fuzzy match over the energy components alone. `train`
 * returns whether the input started a new cluster (no category reached the lower vigilance).
 */
class FuzzyArt {
  w: Float64Array;
  /** Block index at which each category was last the best match, learned, or created. */
  used: Float64Array;
  n = 0;
  rhoLb = 0;
  rhoUb = 0;
  /** The best match and its energy term of the last `train` call. */
  best = 0;
  bestEnergy = 0;
  private m: Float64Array;
  private readonly x = new Float64Array(CDIM);

  constructor(
    private readonly cap: number,
    initial = 64,
  ) {
    const c = Math.min(cap, initial);
    this.w = new Float64Array(c * CDIM);
    this.used = new Float64Array(c);
    this.m = new Float64Array(c);
  }

  copyFrom(o: FuzzyArt): void {
    if (this.w.length < o.n * CDIM) this.grow(o.n);
    this.w.set(o.w.subarray(0, o.n * CDIM));
    this.used.set(o.used.subarray(0, o.n));
    this.n = o.n;
    this.rhoLb = o.rhoLb;
    this.rhoUb = o.rhoUb;
    this.best = o.best;
    this.bestEnergy = o.bestEnergy;
  }

  setWeights(w: Float64Array, used: Float64Array, n: number): void {
    if (this.w.length < n * CDIM) this.grow(n);
    this.w.set(w.subarray(0, n * CDIM));
    this.used.set(used.subarray(0, n));
    this.n = n;
  }

  private grow(need: number): void {
    let c = Math.max(1, this.used.length);
    while (c < need) c *= 2;
    c = Math.min(this.cap, c);
    const w = new Float64Array(c * CDIM);
    w.set(this.w.subarray(0, this.n * CDIM));
    const used = new Float64Array(c);
    used.set(this.used.subarray(0, this.n));
    this.w = w;
    this.used = used;
    this.m = new Float64Array(c);
  }

  /** A slot for a new category: the next free one, or (at the cap) the least recently used. */
  private slot(): number {
    if (this.n < this.cap) {
      if (this.n >= this.used.length) this.grow(this.n + 1);
      return this.n++;
    }
    let j = 0;
    for (let k = 1; k < this.n; k++) if (this.used[k] < this.used[j]) j = k;
    return j;
  }

  /**
   * Re-expresses every category in a range grown by the map `y ↦ a·y + b` of normalised units: on the
   * level dimensions the box [w_k, 1 − w_{k+DIM}] maps exactly (its lower corner and upper corner by the
   * map); a dimension no input has touched yet (the uncommitted all-ones weights: w_k + w_{k+DIM} = 2)
   * stays as it is. The Haar dimensions are min-max normalised per window, so they do not change.
   */
  reexpress(a: number, b: number): void {
    artReexpress(this.w, this.n, a, b);
  }

  /**
   * Presents `f` (DIM features in [0, 1]) at block `t`. Without `learning` the memory is left as it is.
   * The first input ever only creates the uncommitted all-ones category (match 0). Returns true when the
   * input starts a new cluster (or when it is not learned), false when it resonates or joins a cluster.
   */
  train(f: Float64Array, t: number, learning: boolean): boolean {
    const x = this.x;
    for (let k = 0; k < DIM; k++) {
      x[k] = f[k];
      x[k + DIM] = 1 - f[k];
    }
    if (this.n === 0) {
      const j = this.slot();
      this.w.fill(1, j * CDIM, (j + 1) * CDIM);
      this.used[j] = t;
      this.best = 0;
      this.bestEnergy = 0;
      return false;
    }
    const w = this.w;
    const m = this.m;
    let best = 0;
    let bestJ = -1;
    let bestE = 0;
    for (let j = 0; j < this.n; j++) {
      const o = j * CDIM;
      let num = 0;
      let den = 0;
      for (let k = 0; k < CDIM; k++) {
        const wk = w[o + k];
        const xk = x[k];
        num += xk < wk ? xk : wk;
        den += wk;
      }
      if (den === 0) den = 0.001;
      const we1 = w[o + E1];
      const we2 = w[o + E2];
      const eDen = we1 + we2;
      // a category whose energy components both learned 0 cannot match (ARTime's 0/0)
      const e = eDen > 0 ? ((x[E1] < we1 ? x[E1] : we1) + (x[E2] < we2 ? x[E2] : we2)) / eDen : 0;
      const fs = num / den;
      const mj = fs * fs * fs * e * e;
      m[j] = mj;
      if (mj > best) {
        best = mj;
        bestJ = j;
        bestE = e;
      }
    }
    this.best = best;
    this.bestEnergy = bestE;
    if (!learning) return true;
    if (bestJ >= 0) this.used[bestJ] = t;
    if (best >= this.rhoUb && bestJ >= 0) {
      // fast commit: every category at or above the upper vigilance learns x ∧ w
      for (let j = 0; j < this.n; j++) {
        if (m[j] < this.rhoUb) continue;
        const o = j * CDIM;
        for (let k = 0; k < CDIM; k++) if (x[k] < w[o + k]) w[o + k] = x[k];
        this.used[j] = t;
      }
      return false;
    }
    const j = this.slot();
    this.w.set(x, j * CDIM);
    this.used[j] = t;
    return !(best >= this.rhoLb);
  }
}

/** Cosine similarity of two feature vectors (one zero vector: 1 − the other's norm). */
function similarity(a: Float64Array, ao: number, b: Float64Array, bo: number): number {
  let na = 0;
  let nb = 0;
  let dot = 0;
  for (let k = 0; k < DIM; k++) {
    na += a[ao + k] * a[ao + k];
    nb += b[bo + k] * b[bo + k];
    dot += a[ao + k] * b[bo + k];
  }
  na = Math.sqrt(na);
  nb = Math.sqrt(nb);
  if (na === 0) return 1 - nb;
  if (nb === 0) return 1 - na;
  return dot / (na * nb);
}

/** Rounds to the nearest integer, a tie to the even one (ARTime's rounding of a level). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Min-max normalises `a[0..n)` in place (a constant vector becomes 0s). */
function minMax(a: Float64Array, n: number): void {
  let lo = a[0];
  for (let k = 1; k < n; k++) if (a[k] < lo) lo = a[k];
  let hi = 0;
  for (let k = 0; k < n; k++) {
    a[k] -= lo;
    if (a[k] > hi) hi = a[k];
  }
  if (hi !== 0) for (let k = 0; k < n; k++) a[k] /= hi;
}

/**
 * Full orthonormal Haar DWT of 8 values in place, coarsest first: [approximation, detail of level 3,
 * 2 details of level 2, 4 details of level 1]; a detail is (later − earlier)/√2.
 */
function haar8(a: Float64Array, tmp: Float64Array): void {
  let n = ART_WINDOW;
  tmp.set(a.subarray(0, n));
  while (n > 1) {
    const h = n >> 1;
    for (let k = 0; k < h; k++) {
      const e = tmp[2 * k];
      const l = tmp[2 * k + 1];
      a[k] = (e + l) * Math.SQRT1_2;
      a[h + k] = (l - e) * Math.SQRT1_2;
    }
    tmp.set(a.subarray(0, h));
    n = h;
  }
}

/**
 * The streaming ART scorer. `begin(trainLength, lo, hi)` fixes the probationary geometry and the value
 * range; `push(v)` takes one raw point and returns its anomaly confidence in [0, 1] (0 on points that do
 * not close a block, in the probationary blocks, and whenever no alarm is raised). O(categories · 32) per
 * block, no allocation after the probationary batch (the category matrix grows by doubling up to the cap).
 */
export class ArtCore {
  readonly config: ArtCoreConfig;
  // geometry and range (set by begin)
  probation = 0;
  step = 1;
  trendWindow = 0;
  mask = Math.floor(ART_WINDOW * 1.5);
  lo = 0;
  hi = 0;
  // downsampling
  private i = 0;
  private bSum = 0;
  private bMax = Number.NEGATIVE_INFINITY;
  private bMin = Number.POSITIVE_INFINITY;
  private lastFinite = Number.NaN;
  private dsMa = 0;
  private dsi = 1;
  private medBin = new Float64Array(LEVELS + 1);
  private readonly medScratch = new Float64Array(LEVELS + 1);
  private medLevel = 0;
  private belowMed = 0;
  private aboveMed = 0;
  private fWin = new Float64Array(ART_WINDOW);
  private readonly feat = new Float64Array(DIM);
  private readonly tmp = new Float64Array(ART_WINDOW);
  // probationary features, blocks 1..trendWindow
  private probFeat = new Float64Array(0);
  // ART and the vigilance adaptation
  private readonly art: FuzzyArt;
  private lastAnomalyI = 0;
  private lastAnomalySim = 0;
  private lastRhoUpdateI = 0;
  private maskAfterCat = false;
  private noNewCatCount = 0;
  private simSum = 0;
  private simCount = 0;
  private simWin = new Float64Array(1);
  private simPos = 0;
  private diffWin = new Float64Array(1);
  private diffPos = 0;
  private histCount = 0;
  private histSumBefore = 0;
  private histLast = 0;

  private readonly grow: boolean;

  constructor(config: ArtCoreInput = {}) {
    this.config = parseArtConfig(config);
    this.grow = this.config.rangeMode === 'grow';
    this.art = new FuzzyArt(this.config.maxCategories);
  }

  /** Whether `begin` has run. */
  get begun(): boolean {
    return this.probation > 0;
  }

  /** Categories held now. */
  get categories(): number {
    return this.art.n;
  }

  /**
   * Fixes the geometry from the training length (its even part is the probationary period) and the
   * value range `[lo, hi]` (lo ≤ hi, finite). Throws DetectorError `too_few_points` below ART_MIN_TRAIN.
   */
  begin(trainLength: number, lo: number, hi: number): void {
    if (trainLength < ART_MIN_TRAIN) {
      throw new DetectorError(
        'too_few_points',
        `ArtDetector: needs at least ${ART_MIN_TRAIN} training points (its probationary period), got ${trainLength}`,
      );
    }
    const g = artGeometry(trainLength);
    this.probation = g.probation;
    this.step = g.step;
    this.trendWindow = g.trendWindow;
    this.lo = lo;
    this.hi = hi;
    this.simWin = new Float64Array((g.trendWindow >> 1) + 1).fill(1);
    this.diffWin = new Float64Array(g.trendWindow + 1);
    this.probFeat = new Float64Array(g.trendWindow * DIM);
  }

  /** One raw point; its anomaly confidence (0 unless this point closes a block that raises an alarm). */
  push(v: number): number {
    if (!Number.isFinite(v)) v = Number.isNaN(this.lastFinite) ? (this.lo + this.hi) / 2 : this.lastFinite;
    else this.lastFinite = v;
    this.i++;
    this.bSum += v;
    if (v > this.bMax) this.bMax = v;
    if (v < this.bMin) this.bMin = v;
    if (this.i % this.step !== 0) return 0;
    const mean = this.bSum / this.step;
    const max = this.bMax;
    const min = this.bMin;
    this.bSum = 0;
    this.bMax = Number.NEGATIVE_INFINITY;
    this.bMin = Number.POSITIVE_INFINITY;
    return this.block(mean, max, min);
  }

  private block(mean: number, max: number, min: number): number {
    const dsi = this.dsi;
    if (dsi === 1) this.dsMa = mean;
    this.dsMa = (this.dsMa + mean) / 2;
    let ds = Math.abs(max - this.dsMa) < Math.abs(min - this.dsMa) ? min : max;
    if (Math.abs(ds - mean) < SPIKE_FRACTION * mean) ds = mean;
    if (this.grow && dsi > this.trendWindow && (ds > this.hi || ds < this.lo)) this.growRange(ds);
    ds -= this.lo;
    if (this.hi !== this.lo) ds /= this.hi - this.lo;
    ds = ds < 0 ? 0 : ds > 1 ? 1 : ds;
    const level = roundHalfEven(ds * LEVELS);
    ds = level / LEVELS;
    // an approximate running median of the levels
    const bin = this.medBin;
    bin[level]++;
    const medPos = dsi >> 1;
    if (dsi === 1) this.medLevel = level;
    if (this.medLevel > level) this.belowMed++;
    else if (this.medLevel < level) this.aboveMed++;
    if (medPos < this.aboveMed) {
      this.belowMed += bin[this.medLevel];
      this.medLevel++;
      while (this.medLevel < LEVELS && bin[this.medLevel] === 0) this.medLevel++;
      this.aboveMed -= bin[this.medLevel];
    } else if (medPos < this.belowMed) {
      this.aboveMed += bin[this.medLevel];
      this.medLevel--;
      while (this.medLevel > 0 && bin[this.medLevel] === 0) this.medLevel--;
      this.belowMed -= bin[this.medLevel];
    }
    const med = this.medLevel / LEVELS;
    if (Math.abs(ds - med) < CHOMP) ds = med;
    // features: the window's DWT (normalised), then its levels
    const fw = this.fWin;
    fw.copyWithin(0, 1);
    fw[ART_WINDOW - 1] = ds;
    const f = this.feat;
    if (dsi >= ART_WINDOW) {
      f.set(fw, 0);
      minMax(f, ART_WINDOW);
      haar8(f, this.tmp);
      minMax(f, ART_WINDOW);
      f.set(fw, ART_WINDOW);
    } else f.fill(0);
    this.dsi++;
    const tw = this.trendWindow;
    if (dsi > tw) return this.detect(f, dsi);
    this.probFeat.set(f, (dsi - 1) * DIM);
    if (dsi === tw) {
      const rho = this.initialRho();
      this.art.rhoLb = rho;
      this.art.rhoUb = rho;
      for (let b = 1; b <= tw; b++) this.detect(this.probFeat.subarray((b - 1) * DIM, b * DIM), b);
    }
    return 0;
  }

  /**
   * Grows the range to take `x` (`rangeMode: 'grow'`, after the probationary blocks): on x's side only,
   * to x plus `rangeMargin` of the new span. The map `y ↦ a·y + b` of normalised units re-expresses the
   * feature window and the categories exactly (as boxes in raw units); the median's level histogram moves
   * each old bin to the new bin nearest its image (approximate, within half a new level); the
   * match-valued state (vigilances, recent matches) is left as it is. A range that would overflow stays.
   */
  private growRange(x: number): void {
    const lo = this.lo;
    const hi = this.hi;
    const m = this.config.rangeMargin;
    const nlo = x < lo ? x - m * (hi - x) : lo;
    const nhi = x > hi ? x + m * (x - lo) : hi;
    const span = nhi - nlo;
    if (!(Number.isFinite(nlo) && Number.isFinite(nhi) && Number.isFinite(span) && span > 0)) return;
    const a = (hi - lo) / span;
    const b = (lo - nlo) / span;
    const fw = this.fWin;
    for (let k = 0; k < ART_WINDOW; k++) {
      const y = a * fw[k] + b;
      fw[k] = y < 0 ? 0 : y > 1 ? 1 : y;
    }
    this.art.reexpress(a, b);
    const bin = this.medBin;
    const nb = this.medScratch;
    nb.fill(0);
    const at = (l: number): number => {
      const r = roundHalfEven(a * l + LEVELS * b);
      return r < 0 ? 0 : r > LEVELS ? LEVELS : r;
    };
    for (let l = 0; l <= LEVELS; l++) if (bin[l] > 0) nb[at(l)] += bin[l];
    bin.set(nb);
    const med = at(this.medLevel);
    let below = 0;
    let above = 0;
    for (let l = 0; l < med; l++) below += bin[l];
    for (let l = med + 1; l <= LEVELS; l++) above += bin[l];
    this.medLevel = med;
    this.belowMed = below;
    this.aboveMed = above;
    this.lo = nlo;
    this.hi = nhi;
  }

  /**
   * The initial vigilance: the probationary feature windows ordered by their summed cosine similarity
   * to the others (least similar first) go through a fresh ART at vigilance INITIAL_RHO; the mean best
   * match over the second half of that pass.
   */
  private initialRho(): number {
    const tw = this.trendWindow;
    const first = ART_WINDOW; // 1-based block of the first full feature window
    const n = tw - first + 1;
    const pf = this.probFeat;
    const sum = new Float64Array(n).fill(1);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < a; b++) {
        const s = similarity(pf, (first - 1 + a) * DIM, pf, (first - 1 + b) * DIM);
        sum[a] += s;
        sum[b] += s;
      }
    }
    const order = Array.from({ length: n }, (_, k) => k);
    order.sort((a, b) => sum[a] - sum[b] || a - b);
    const art = new FuzzyArt(n + 1, n + 1);
    art.rhoLb = INITIAL_RHO;
    art.rhoUb = INITIAL_RHO;
    const from = tw >> 1; // 1-based position in the pass
    let acc = 0;
    let cnt = 0;
    for (let p = 0; p < n; p++) {
      const o = (first - 1 + order[p]) * DIM;
      art.train(pf.subarray(o, o + DIM), p, true);
      if (p + 1 >= from) {
        acc += art.best;
        cnt++;
      }
    }
    return cnt > 0 ? acc / cnt : INITIAL_RHO;
  }

  private detect(f: Float64Array, i: number): number {
    const art = this.art;
    const tw = this.trendWindow;
    const mask = this.mask;
    const sinceAnomaly = i - this.lastAnomalyI;
    const rhoAfterAnomaly = sinceAnomaly === mask;
    const rhoForTrend = i - this.lastRhoUpdateI >= tw >> 1;
    const inAnomalyMask = sinceAnomaly <= mask;
    if (i > tw + mask && this.maskAfterCat && this.noNewCatCount >= mask) this.maskAfterCat = false;
    let newCluster = true;
    if (i < ART_WINDOW) art.train(f, i, false);
    else newCluster = art.train(f, i, true);
    this.noNewCatCount = newCluster ? 0 : this.noNewCatCount + 1;
    const a = art.best;
    this.simSum += a;
    this.simCount++;
    this.simWin[this.simPos] = a;
    this.simPos = (this.simPos + 1) % this.simWin.length;
    this.diffWin[this.diffPos] = art.rhoUb - a;
    this.diffPos = (this.diffPos + 1) % this.diffWin.length;
    if (sinceAnomaly < mask && this.histCount > 0 && a < this.histLast) this.histLast = a;
    const masking = this.maskAfterCat || inAnomalyMask;
    const belowLast =
      a < this.lastAnomalySim * (inAnomalyMask ? BELOW_LAST_IN_ANOMALY_MASK : BELOW_LAST_IN_CATEGORY_MASK);
    let out = 0;
    if (i > tw && newCluster && (!masking || belowLast)) {
      out = this.confidence(a, art.bestEnergy);
      if (this.histCount > 0) this.histSumBefore += this.histLast;
      this.histCount++;
      this.histLast = a;
      this.lastAnomalySim = a;
      this.lastAnomalyI = i;
    }
    if (newCluster) this.maskAfterCat = true;
    if (i > tw && (rhoAfterAnomaly || rhoForTrend)) this.adaptRho(i);
    return out;
  }

  private adaptRho(i: number): void {
    const art = this.art;
    let minSim = Number.POSITIVE_INFINITY;
    for (let k = 0; k < this.simWin.length; k++) if (this.simWin[k] < minSim) minSim = this.simWin[k];
    const ub = Math.min(RHO_UB_CAP, this.simSum / this.simCount);
    const prev = art.rhoLb;
    let lb: number;
    if (prev <= minSim) lb = prev + (minSim - prev) * RHO_LB_RISE;
    else {
      let fall = 0;
      if (i > 2 * this.trendWindow) {
        let s = 0;
        let c = 0;
        for (let k = 0; k < this.diffWin.length; k++) {
          const d = this.diffWin[k];
          if (d > SHORTFALL_MIN) {
            s += Math.min(SHORTFALL_CAP, d);
            c++;
          }
        }
        if (c > 0) fall = s / c;
      }
      fall = Math.max(RHO_LB_MIN_FALL, fall);
      lb = prev - fall / 2;
      if (this.histCount > 0) lb = Math.max((this.histSumBefore + this.histLast) / this.histCount, lb);
    }
    art.rhoLb = Math.min(ub, lb);
    art.rhoUb = ub;
    this.lastRhoUpdateI = i;
    this.maskAfterCat = true;
  }

  private confidence(match: number, energy: number): number {
    const fs = Math.min(CONF_MATCH_CAP, match);
    const gap = 1 - fs;
    const ub = (gap - (1 - this.art.rhoUb)) / gap;
    const lb = (gap - (1 - this.art.rhoLb)) / gap;
    const s = Math.min(1, CONF_UB * ub + CONF_LB * lb + CONF_ENERGY * (1 - energy));
    return Math.round(s * 1e6) / 1e6;
  }

  /** Copies another core's state (same config), e.g. to score without learning. */
  copyFrom(o: ArtCore): void {
    this.probation = o.probation;
    this.step = o.step;
    this.trendWindow = o.trendWindow;
    this.lo = o.lo;
    this.hi = o.hi;
    this.i = o.i;
    this.bSum = o.bSum;
    this.bMax = o.bMax;
    this.bMin = o.bMin;
    this.lastFinite = o.lastFinite;
    this.dsMa = o.dsMa;
    this.dsi = o.dsi;
    this.medBin.set(o.medBin);
    this.medLevel = o.medLevel;
    this.belowMed = o.belowMed;
    this.aboveMed = o.aboveMed;
    this.fWin.set(o.fWin);
    if (this.probFeat.length !== o.probFeat.length) this.probFeat = new Float64Array(o.probFeat.length);
    this.probFeat.set(o.probFeat);
    this.art.copyFrom(o.art);
    this.lastAnomalyI = o.lastAnomalyI;
    this.lastAnomalySim = o.lastAnomalySim;
    this.lastRhoUpdateI = o.lastRhoUpdateI;
    this.maskAfterCat = o.maskAfterCat;
    this.noNewCatCount = o.noNewCatCount;
    this.simSum = o.simSum;
    this.simCount = o.simCount;
    if (this.simWin.length !== o.simWin.length) this.simWin = new Float64Array(o.simWin.length);
    this.simWin.set(o.simWin);
    this.simPos = o.simPos;
    if (this.diffWin.length !== o.diffWin.length) this.diffWin = new Float64Array(o.diffWin.length);
    this.diffWin.set(o.diffWin);
    this.diffPos = o.diffPos;
    this.histCount = o.histCount;
    this.histSumBefore = o.histSumBefore;
    this.histLast = o.histLast;
  }

  /** The whole state as plain JSON (the category matrix packed). */
  toJSON(): JsonObject {
    const art = this.art;
    const probDone = this.dsi > this.trendWindow;
    return {
      trainLength: this.probation,
      lo: this.lo,
      hi: this.hi,
      i: this.i,
      bSum: encodeFloat(this.bSum),
      bMax: encodeFloat(this.bMax),
      bMin: encodeFloat(this.bMin),
      lastFinite: encodeFloat(this.lastFinite),
      dsMa: encodeFloat(this.dsMa),
      dsi: this.dsi,
      medBin: Array.from(this.medBin),
      medLevel: this.medLevel,
      belowMed: this.belowMed,
      aboveMed: this.aboveMed,
      fWin: Array.from(this.fWin),
      probFeat: probDone ? '' : packFloats(this.probFeat.subarray(0, (this.dsi - 1) * DIM)),
      w: packFloats(art.w.subarray(0, art.n * CDIM)),
      used: packFloats(art.used.subarray(0, art.n)),
      rhoLb: art.rhoLb,
      rhoUb: art.rhoUb,
      best: art.best,
      bestEnergy: art.bestEnergy,
      lastAnomalyI: this.lastAnomalyI,
      lastAnomalySim: this.lastAnomalySim,
      lastRhoUpdateI: this.lastRhoUpdateI,
      maskAfterCat: this.maskAfterCat,
      noNewCatCount: this.noNewCatCount,
      simSum: this.simSum,
      simCount: this.simCount,
      simWin: Array.from(this.simWin),
      simPos: this.simPos,
      diffWin: Array.from(this.diffWin),
      diffPos: this.diffPos,
      histCount: this.histCount,
      histSumBefore: this.histSumBefore,
      histLast: this.histLast,
    };
  }

  /** Restores `toJSON()` output into a fresh core of the same config, checking every field. */
  restore(state: unknown, path: string): void {
    const bad = (name: string, what: string): never => {
      throw new ModelFormatError('bad_field', `${path}.${name}: expected ${what}`);
    };
    const trainLength = intField(state, 'trainLength', path, ART_MIN_TRAIN, Number.MAX_SAFE_INTEGER);
    const lo = numberField(state, 'lo', path);
    const hi = numberField(state, 'hi', path);
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi)) bad('hi', 'a finite range with lo ≤ hi');
    this.begin(trainLength, lo, hi);
    const tw = this.trendWindow;
    const big = Number.MAX_SAFE_INTEGER;
    this.i = intField(state, 'i', path, 0, big);
    this.bSum = numberField(state, 'bSum', path);
    this.bMax = numberField(state, 'bMax', path);
    this.bMin = numberField(state, 'bMin', path);
    this.lastFinite = numberField(state, 'lastFinite', path);
    this.dsMa = numberField(state, 'dsMa', path);
    this.dsi = intField(state, 'dsi', path, 1, big);
    if (this.dsi !== Math.floor(this.i / this.step) + 1)
      bad('dsi', 'one more than the blocks closed (i / step)');
    this.medBin.set(decodeFloats(field(state, 'medBin', path), `${path}.medBin`, LEVELS + 1));
    for (let k = 0; k <= LEVELS; k++) {
      if (!(Number.isInteger(this.medBin[k]) && this.medBin[k] >= 0)) bad(`medBin[${k}]`, 'a count');
    }
    this.medLevel = intField(state, 'medLevel', path, 0, LEVELS);
    this.belowMed = intField(state, 'belowMed', path, -big, big);
    this.aboveMed = intField(state, 'aboveMed', path, -big, big);
    this.fWin.set(decodeFloats(field(state, 'fWin', path), `${path}.fWin`, ART_WINDOW));
    for (let k = 0; k < ART_WINDOW; k++) {
      if (!(this.fWin[k] >= 0 && this.fWin[k] <= 1)) bad(`fWin[${k}]`, 'a normalised level in [0, 1]');
    }
    const probDone = this.dsi > tw;
    const pf = field(state, 'probFeat', path);
    if (probDone) {
      if (pf !== '') bad('probFeat', '"" once the probationary blocks are done');
    } else this.probFeat.set(unpackFloats(pf, `${path}.probFeat`, (this.dsi - 1) * DIM));
    const used = unpackFloats(field(state, 'used', path), `${path}.used`, { max: this.config.maxCategories });
    const n = used.length;
    if (probDone !== n > 0) bad('used', 'categories exactly once the probationary blocks are done');
    const w = unpackFloats(field(state, 'w', path), `${path}.w`, n * CDIM);
    for (let k = 0; k < w.length; k++) if (!(w[k] >= 0 && w[k] <= 1)) bad(`w[${k}]`, 'a weight in [0, 1]');
    this.art.setWeights(w, used, n);
    const unit = (name: string): number => {
      const x = numberField(state, name, path);
      if (!(x >= 0 && x <= 1)) bad(name, 'a number in [0, 1]');
      return x;
    };
    // the lower vigilance's fall has no floor (as ARTime's): past 0 it can reach about −0.185 (a fall is at
    // most half of 0.37 and starts from above the smallest recent match, ≥ 0); below 0 it acts as 0
    const rhoLb = numberField(state, 'rhoLb', path);
    if (!(rhoLb >= -1 && rhoLb <= 1)) bad('rhoLb', 'a number in [-1, 1]');
    this.art.rhoLb = rhoLb;
    this.art.rhoUb = unit('rhoUb');
    this.art.best = unit('best');
    this.art.bestEnergy = unit('bestEnergy');
    this.lastAnomalyI = intField(state, 'lastAnomalyI', path, 0, big);
    this.lastAnomalySim = unit('lastAnomalySim');
    this.lastRhoUpdateI = intField(state, 'lastRhoUpdateI', path, 0, big);
    this.maskAfterCat = boolField(state, 'maskAfterCat', path);
    this.noNewCatCount = intField(state, 'noNewCatCount', path, 0, big);
    this.simSum = numberField(state, 'simSum', path);
    this.simCount = intField(state, 'simCount', path, 0, big);
    if (probDone && this.simCount < 1) bad('simCount', 'at least 1 once the probationary blocks are done');
    if (!(this.simSum >= 0 && this.simSum <= this.simCount))
      bad('simSum', 'a sum of simCount matches in [0, 1]');
    this.simWin.set(decodeFloats(field(state, 'simWin', path), `${path}.simWin`, (tw >> 1) + 1));
    for (let k = 0; k < this.simWin.length; k++) {
      if (!(this.simWin[k] >= 0 && this.simWin[k] <= 1)) bad(`simWin[${k}]`, 'a match in [0, 1]');
    }
    this.simPos = intField(state, 'simPos', path, 0, this.simWin.length - 1);
    this.diffWin.set(decodeFloats(field(state, 'diffWin', path), `${path}.diffWin`, tw + 1));
    this.diffPos = intField(state, 'diffPos', path, 0, this.diffWin.length - 1);
    this.histCount = intField(state, 'histCount', path, 0, big);
    this.histSumBefore = numberField(state, 'histSumBefore', path);
    this.histLast = numberField(state, 'histLast', path);
  }
}
