/**
 * `DiscordDetector`: shape anomalies (changed frequency, distorted cycles) as streaming left
 * matrix-profile discords at several subsequence lengths around the training data's dominant period
 * (core.ts; docs/detectors-quality.md). Each length's distance is divided by its own high quantile over
 * the training part, and the score is the largest of these ratios. Missing-data gaps (a step far longer
 * than the usual one) exclude the subsequences that span them. Online.
 */

import { z } from 'zod';
import { ModelFormatError } from '../../errors.js';
import { clampFinite } from '../../math/finite.js';
import { baseConfigShape } from '../base-config.js';
import { checkSafeValue, checkSafeValues } from '../input.js';
import { decodeFloat, encodeFloat, intField, jsonFloat } from '../json.js';
import { defineDetector, loadAs, type RowModel, SpecDetector, specLoader } from '../spec.js';
import type { Frame } from '../transforms.js';
import type { JsonObject } from '../types.js';
import { DiscordCore } from './core.js';
import { checkedPeriod, dominantPeriod, median, robustPeriod } from './period.js';

export const discordConfigSchema = z.strictObject({
  ...baseConfigShape(1000),
  /**
   * Piecewise-aggregate downsampling: the profile runs on means of `paa` consecutive points (1 = every
   * point). null = chosen from `paaBudget`.
   */
  paa: z.number().int().min(1).max(256).nullable().default(null),
  /**
   * With `paa: null`, the cost budget: stored subsequences visited per raw point, all lengths together.
   * The block is the smallest k with lengths × window / k² ≤ budget (window in raw points).
   */
  paaBudget: z.number().min(1).max(1e9).default(1500),
  /** Points that do not close a block: the latest closed block's score (`hold`) or 0 (`zero`). */
  between: z.enum(['hold', 'zero']).default('zero'),
  /**
   * How the period is found in the training data: `acf` (the values' autocorrelation, its highest peak
   * after the first zero crossing) or `robust` (also band-passed copies, and the first peak near the
   * top; see `robustPeriod`) or `checked` (`robust` where only candidates that pass its repeat check
   * count; see `checkedPeriod`). Model files of state version 5 or older keep `robust` (or `acf`).
   */
  periodMethod: z.enum(['acf', 'robust', 'checked']).default('checked'),
  /** One fixed subsequence length (raw points); null = lengths from the dominant period of the training data. */
  m: z.number().int().min(4).max(1024).nullable().default(null),
  /**
   * Subsequence lengths as multiples of the period (each clamped to [minLength, maxLength]); raw points,
   * divided by the PAA block (at least 4 PAA points).
   */
  lengths: z.array(z.number().min(0.05).max(8)).min(1).max(6).default([0.5, 1, 2]),
  /**
   * When the longest length would exceed `maxLength`, shrink all lengths together (keeping their
   * ratios, so a long period still gets several lengths) instead of clamping each one.
   */
  keepRatios: z.boolean().default(true),
  /**
   * One more length, `periodLength` × the period in raw points (at most `maxPeriodLength`), when it is
   * longer than the shrunk ones: a whole cycle compared with whole cycles, for anomalies only a full
   * cycle shows (a missing or slower cycle of a long period). Its core runs on pairs of blocks (means
   * of 2k points, a quarter of a core's cost). null = none. Ignored without a period or with `m`.
   */
  periodLength: z.number().min(0.05).max(8).nullable().default(0.75),
  maxPeriodLength: z.number().int().min(4).max(4096).default(1024),
  minLength: z.number().int().min(4).max(1024).default(8),
  maxLength: z.number().int().min(4).max(1024).default(96),
  /**
   * How far back (raw points) the nearest neighbour is searched: the core keeps ⌈window / paa⌉ past
   * subsequences. null = 20 periods, at least 1,024 and at most 8,192 raw points.
   */
  window: z.number().int().min(8).max(100_000).nullable().default(null),
  /**
   * z-normalisation divides by max(sd, noiseFloor × the training noise level): stretches no wider than
   * the noise stay nearly flat instead of being blown up into random shapes. 0 = plain z-normalisation.
   */
  noiseFloor: z.number().min(0).max(100).default(3),
  /**
   * Which distances score: `znorm` (shape: z-normalised), `euclid` (means removed, spreads kept: shape
   * and amplitude) or `both` (the larger of the two, each divided by its own training quantile).
   */
  views: z.enum(['znorm', 'euclid', 'both']).default('both'),
  /** How the lengths' scores combine: the largest, or their mean (a shape new at every length). */
  combine: z.enum(['max', 'mean']).default('max'),
  /** Each length's distances are divided by this quantile of its training distances (1 = the maximum). */
  scaleQuantile: z.number().min(0.5).max(1).default(0.99),
  /** A step longer than `gapFactor` × the median training step is a gap in the data. */
  gapFactor: z.number().min(1.01).max(1000).default(3),
});
export type DiscordConfig = z.infer<typeof discordConfigSchema>;
export type DiscordInput = z.input<typeof discordConfigSchema>;

const coreStateSchema = z.object({
  x: z.array(jsonFloat),
  mu: z.array(jsonFloat),
  sd: z.array(jsonFloat),
  qt: z.array(jsonFloat),
  num: z.array(jsonFloat),
});

/** The fitted state: the usual step and last time (gaps), and per length its core and scale. */
const discordStateSchema = z.object({
  step: jsonFloat,
  lastT: jsonFloat,
  /** PAA block size, the open block's count and sum, and the score held until the block closes. */
  k: z.number(),
  blockN: z.number(),
  blockSum: jsonFloat,
  /** Block means waiting for their pair (0 or 1) and their sum (for a core on pairs of blocks). */
  pairN: z.number(),
  pairSum: jsonFloat,
  held: jsonFloat,
  members: z.array(
    z.object({
      m: z.number(),
      window: z.number(),
      scale: jsonFloat,
      scaleE: jsonFloat,
      /** This core runs on the means of pairs of blocks (the whole-cycle length). */
      pair: z.boolean(),
      core: coreStateSchema,
    }),
  ),
});
type DiscordState = z.infer<typeof discordStateSchema>;

/** Training noise level: the robust spread of first differences, / √2 (white noise of sd σ gives σ√2). */
function noiseLevel(v: Float64Array): number {
  if (v.length < 3) return 0;
  const d = new Float64Array(v.length - 1);
  for (let i = 1; i < v.length; i++) d[i - 1] = v[i] - v[i - 1];
  const med = median(d);
  for (let i = 0; i < d.length; i++) d[i] = Math.abs(d[i] - med);
  return (1.4826 * median(d)) / Math.SQRT2;
}

/** The q-quantile of x (sorted copy; NaN when empty). */
function quantile(x: Float64Array, q: number): number {
  if (x.length === 0) return Number.NaN;
  const s = Float64Array.from(x).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** The subsequence lengths for a period `p` (0 = none found: lengths around 32). */
export function discordLengths(c: DiscordConfig, p: number): number[] {
  if (c.m !== null) return [c.m];
  const lo = Math.min(c.minLength, c.maxLength);
  const hi = Math.max(c.minLength, c.maxLength);
  let base = p > 0 ? p : 32;
  const top = Math.max(...c.lengths);
  if (c.keepRatios && top * base > hi) base = hi / top;
  const out: number[] = [];
  for (const f of c.lengths) {
    const m = Math.min(hi, Math.max(lo, Math.round(f * base)));
    if (!out.includes(m)) out.push(m);
  }
  return out.sort((a, b) => a - b);
}

/**
 * The whole-cycle length in raw points for a period `p` (`periodLength`), or null when there is none or
 * it is not longer than the longest of `discordLengths`.
 */
export function discordCycleLength(c: DiscordConfig, p: number): number | null {
  if (c.m !== null || c.periodLength === null || !(p > 0)) return null;
  const lo = Math.min(c.minLength, c.maxLength);
  const m = Math.min(c.maxPeriodLength, Math.max(lo, Math.round(c.periodLength * p)));
  return m > Math.max(...discordLengths(c, p)) ? m : null;
}

/** A step longer than `gapFactor` × the usual step is a gap in the data. */
function isGapStep(dt: number, step: number, gapFactor: number): boolean {
  return step > 0 && dt > gapFactor * step;
}

/**
 * What the training part decides: the usual step, the period, the block size, the window (block
 * subsequences per core), the block series' mean and noise floor, and the cores as [length in points
 * of their blocks, runs on pairs of blocks].
 */
export interface DiscordSetup {
  readonly step: number;
  readonly period: number;
  readonly k: number;
  /** The period in block points. */
  readonly pk: number;
  readonly window: number;
  readonly mean: number;
  /** The training block series' standard deviation. */
  readonly spread: number;
  readonly floor: number;
  readonly plan: readonly (readonly [number, boolean])[];
}

/** The PAA series of `v` in blocks of `k` (see `fit`): means, the raw index closing each block, gap marks. */
export function blockMeans(
  t: Float64Array,
  v: Float64Array,
  k: number,
  step: number,
  gapFactor: number,
): { x: Float64Array; pend: Int32Array; pgap: Uint8Array; np: number; bn: number; bs: number } {
  const n = v.length;
  const nb = Math.floor(n / k);
  const pv = new Float64Array(nb);
  const pend = new Int32Array(nb);
  const pgap = new Uint8Array(nb);
  let np = 0;
  let bn = 0;
  let bs = 0;
  let gapNext = false;
  for (let i = 0; i < n; i++) {
    if (i > 0 && isGapStep(t[i] - t[i - 1], step, gapFactor)) {
      bn = 0;
      bs = 0;
      gapNext = true;
    }
    bs += v[i];
    if (++bn === k) {
      pv[np] = bs / k;
      pend[np] = i;
      pgap[np] = gapNext ? 1 : 0;
      np++;
      gapNext = false;
      bn = 0;
      bs = 0;
    }
  }
  return { x: pv.subarray(0, np), pend, pgap, np, bn, bs };
}

/**
 * The values one core pushes over the blocks `x[0..np)` (see `fit`): each block, or with `pair` the
 * mean of each two (a gap drops a half-filled pair). Fills `ys` (the values), `at` (the block each
 * closes) and `gapBefore` (1 when a gap precedes it); returns their count, whether a gap follows the
 * last one, and the pair left open at the end.
 */
export function pushedBlocks(
  x: Float64Array,
  pgap: Uint8Array,
  np: number,
  pair: boolean,
  ys: Float64Array,
  at: Int32Array,
  gapBefore: Uint8Array,
): { pushed: number; gapAfter: boolean; pairN: number; pairSum: number } {
  let pushed = 0;
  let pairN = 0;
  let pairSum = 0;
  let gapOpen = false;
  for (let i = 0; i < np; i++) {
    if (pgap[i]) {
      gapOpen = true;
      pairN = 0;
      pairSum = 0;
    }
    let y = x[i];
    if (pair) {
      pairSum += y;
      if (++pairN < 2) continue;
      y = pairSum / 2;
      pairN = 0;
      pairSum = 0;
    }
    ys[pushed] = y;
    at[pushed] = i;
    gapBefore[pushed] = gapOpen ? 1 : 0;
    gapOpen = false;
    pushed++;
  }
  return { pushed, gapAfter: gapOpen, pairN, pairSum };
}

/** The setup `fit` derives from the training part (`t`, `v`). */
export function discordSetup(c: DiscordConfig, t: Float64Array, v: Float64Array): DiscordSetup {
  const n = v.length;
  const dt = new Float64Array(Math.max(0, n - 1));
  for (let i = 1; i < n; i++) dt[i - 1] = t[i] - t[i - 1];
  const step = dt.length ? median(dt) : 0;
  const p =
    c.periodMethod === 'robust'
      ? robustPeriod(v)
      : c.periodMethod === 'checked'
        ? checkedPeriod(v)
        : dominantPeriod(v);
  const k = discordBlock(c, p);
  const { x, np } = blockMeans(t, v, k, step, c.gapFactor);
  const lengths = [...new Set(discordLengths(c, p).map((m) => paaLength(m, k)))];
  let mean = 0;
  for (let i = 0; i < np; i++) mean += x[i];
  mean = np ? mean / np : 0;
  let spread = 0;
  for (let i = 0; i < np; i++) spread += (x[i] - mean) ** 2;
  spread = np ? Math.sqrt(spread / np) : 0;
  // at least 1e-4 of the spread: on noiseless step data (noise level 0) the rolling sums of
  // block means that are not exact binary fractions leave spreads of rounding size (~1e-8) on flat
  // stretches, and dividing by them would turn rounding into shapes
  const floor = Math.max(c.noiseFloor * noiseLevel(x), 1e-4 * spread);
  const cycle = discordCycleLength(c, p);
  const plan: [number, boolean][] = lengths.map((m) => [m, false]);
  if (cycle !== null) plan.push([paaLength(cycle, 2 * k), true]);
  return {
    step,
    period: p,
    k,
    pk: Math.round(p / k),
    window: discordWindow(c, p, k),
    mean,
    spread,
    floor,
    plan,
  };
}

/**
 * Training warm-up of one core (pushes that score 0 and set no scale): until a subsequence has a
 * neighbour one period back its nearest neighbour is out of phase.
 */
export function warmup(m: number, pair: boolean, pk: number, pushed: number): number {
  const per = pair ? Math.round(pk / 2) : pk;
  return Math.min(pushed, m - 1 + Math.max(per, m));
}

/** √ε of float64: the relative resolution of a difference of two values (docs/detectors-quality.md). */
const SQRT_EPS = Math.sqrt(Number.EPSILON);

/**
 * The divisors of the shape and amplitude views (Infinity: that view is off). The amplitude view's is at
 * least 1 % of the training `spread` and at least √ε × |`level`| (the training mean): a difference of
 * values near `level` smaller than that is rounding (the calibrator's collapse resolution uses the same
 * √ε), so on a training part with no spread (a constant) a change of 1e-9 on a value of 10 no longer
 * scores 165 (1e-12 was the divisor). 1e-12 remains only for a training part constant at 0.
 */
export function viewScales(
  c: DiscordConfig,
  scores: Float64Array,
  eus: Float64Array,
  spread: number,
  level: number,
): [number, number] {
  const scale = c.views === 'euclid' ? Number.POSITIVE_INFINITY : viewScale(scores, c.scaleQuantile, 0.01, 1);
  const least = Math.max(0.01 * spread, SQRT_EPS * Math.abs(level)) || 1e-12;
  const scaleE =
    c.views === 'znorm' ? Number.POSITIVE_INFINITY : viewScale(eus, c.scaleQuantile, least, spread || 1);
  return [scale, scaleE];
}

interface Member {
  readonly core: DiscordCore;
  /** Fed the means of pairs of blocks (the whole-cycle length), not every block mean. */
  readonly pair: boolean;
  /** Divisors of the z-normalised and the Euclidean distance (Infinity: that view is off). */
  scale: number;
  scaleE: number;
}

/**
 * The divisor of one view: a high quantile of its training distances after warm-up, at least `least`
 * (a series that repeats exactly has training distances of rounding size; dividing by them would turn
 * rounding into scores); `fallback` when training leaves fewer than 8 distances.
 */
function viewScale(seen: Float64Array, q: number, least: number, fallback: number): number {
  return seen.length >= 8 ? Math.max(quantile(seen, q), least) : fallback;
}

/** The default window in raw points for a period `p`: 20 periods in [1,024, 8,192]. */
function rawWindow(c: DiscordConfig, p: number): number {
  return c.window ?? Math.min(8192, Math.max(1024, 20 * p));
}

/**
 * The PAA block size for a period `p`: `paa`, or the smallest k whose cost per raw point,
 * lengths × window / k², is within `paaBudget`.
 */
export function discordBlock(c: DiscordConfig, p: number): number {
  if (c.paa !== null) return c.paa;
  // a core on pairs of blocks keeps half the subsequences and runs every other block: a quarter
  const cores = discordLengths(c, p).length + (discordCycleLength(c, p) === null ? 0 : 0.25);
  const cost = cores * rawWindow(c, p);
  return Math.min(256, Math.max(1, Math.ceil(Math.sqrt(cost / c.paaBudget))));
}

/** Past subsequences a core keeps for block size `k`: the window in raw points, / k rounded up. */
export function discordWindow(c: DiscordConfig, p: number, k: number): number {
  return Math.max(8, Math.ceil(rawWindow(c, p) / k));
}

/** A length in raw points as PAA points for block size `k` (at least 4). */
function paaLength(m: number, k: number): number {
  return Math.max(4, Math.round(m / k));
}

/** Its cores keep subsequence sums of squares and dot products: values beyond ±1e150 are refused. */
const WHO = 'DiscordDetector';

/** The raw model: one streaming left matrix-profile core per length (they learn as they score). */
class DiscordRaw implements RowModel<DiscordState> {
  /** PAA block size, the open block's count and sum, the score held until the block closes. */
  k = 1;
  blockN = 0;
  blockSum = 0;
  /** Block means waiting for their pair (0 or 1) and their sum, for a pair core. */
  pairN = 0;
  pairSum = 0;
  held = 0;

  constructor(
    private readonly config: DiscordConfig,
    public members: Member[],
    public step: number,
    public lastT: number,
  ) {}

  fit(frame: Frame): Float64Array {
    const c = this.config;
    const v = frame.x;
    const t = frame.t;
    const n = v.length;
    checkSafeValues(v, t, WHO);
    const setup = discordSetup(c, t, v);
    this.step = setup.step;
    const { k, pk, window, mean, spread, floor, plan } = setup;
    this.k = k;
    // the PAA series: means of k consecutive points; a gap drops the open block (a block never spans a
    // gap) and marks the next block
    const { x, pend, pgap, np, bn, bs } = blockMeans(t, v, k, setup.step, c.gapFactor);
    const p = setup.period;
    const paaOut = new Float64Array(np);
    const scores = new Float64Array(np);
    const eus = new Float64Array(np);
    /** Block index each pushed value closes (every block, or the second of each pair). */
    const at = new Int32Array(np);
    const ys = new Float64Array(np);
    const gapBefore = new Uint8Array(np);
    this.members = [];
    let pairN = 0;
    let pairSum = 0;
    for (const [m, pair] of plan) {
      const core = new DiscordCore(m, pair ? discordWindow(c, p, 2 * k) : window);
      core.reset(mean, pair ? floor / Math.SQRT2 : floor);
      const seq = pushedBlocks(x, pgap, np, pair, ys, at, gapBefore);
      const pushed = seq.pushed;
      for (let j = 0; j < pushed; j++) {
        if (gapBefore[j]) core.gap();
        scores[j] = core.push(ys[j]);
        eus[j] = core.euclid;
      }
      if (seq.gapAfter) core.gap();
      ({ pairN, pairSum } = seq);
      // warm-up: until a subsequence has a neighbour one period back its nearest neighbour is out of
      // phase and its distance says nothing about the series; those scores would set the scale (and
      // teach the calibrator) that large distances are normal
      const w = warmup(m, pair, pk, pushed);
      const [scale, scaleE] = viewScales(
        c,
        scores.subarray(w, pushed),
        eus.subarray(w, pushed),
        spread,
        mean,
      );
      for (let j = w; j < pushed; j++) {
        const sc = clampFinite(Math.max(scores[j] / scale, eus[j] / scaleE));
        if (c.combine === 'mean') paaOut[at[j]] += sc / plan.length;
        else if (sc > paaOut[at[j]]) paaOut[at[j]] = sc;
      }
      this.members.push({ core, pair, scale, scaleE });
    }
    // the open pair as the stream continues it (the same gaps as every pair core saw)
    this.pairN = pairN;
    this.pairSum = pairSum;
    // each raw point gets the score of the latest closed block at or before it (its own block when it
    // closes one; 0 before the first block and from a gap until the next block closes)
    const out = new Float64Array(n);
    let b = 0;
    let held = 0;
    for (let i = 0; i < n; i++) {
      if (i > 0 && this.isGap(t[i] - t[i - 1])) held = 0;
      if (b < np && pend[b] === i) out[i] = held = paaOut[b++];
      else out[i] = c.between === 'zero' ? 0 : held;
    }
    this.held = held;
    this.blockN = bn;
    this.blockSum = bs;
    this.lastT = n ? t[n - 1] : Number.NaN;
    return out;
  }

  private isGap(dt: number): boolean {
    return isGapStep(dt, this.step, this.config.gapFactor);
  }

  scoreRow(row: Float64Array, t: number): number {
    // its cores keep sums of squares and dot products: refused before anything learns the value
    checkSafeValue(row[0], t, WHO);
    if (Number.isFinite(this.lastT) && this.isGap(t - this.lastT)) {
      for (const mb of this.members) mb.core.gap();
      this.blockN = 0;
      this.blockSum = 0;
      this.pairN = 0;
      this.pairSum = 0;
      this.held = 0;
    }
    this.lastT = t;
    this.blockSum += row[0];
    if (++this.blockN < this.k) return this.config.between === 'zero' ? 0 : this.held;
    const x = this.blockSum / this.k;
    this.blockN = 0;
    this.blockSum = 0;
    this.pairSum += x;
    const pairDone = ++this.pairN === 2;
    const y = this.pairSum / 2;
    if (pairDone) {
      this.pairN = 0;
      this.pairSum = 0;
    }
    let best = 0;
    let sum = 0;
    for (const mb of this.members) {
      if (mb.pair && !pairDone) continue;
      const z = mb.core.push(mb.pair ? y : x) / mb.scale;
      const e = mb.core.euclid / mb.scaleE;
      // a distance over a scale near zero (a degenerate or edited model file) stays a finite score
      const s = clampFinite(z > e ? z : e);
      sum += s;
      if (s > best) best = s;
    }
    this.held = this.config.combine === 'mean' ? clampFinite(sum / this.members.length) : best;
    return this.held;
  }

  /** A stream's check, before anything changes: a value beyond ±1e150 is refused (`SAFE_VALUE_MAX`). */
  checkRow(row: Float64Array, t: number): void {
    checkSafeValue(row[0], t, WHO);
  }

  /** Scores without learning: on a copy. */
  peekRow(row: Float64Array, t: number): number {
    return this.copy().scoreRow(row, t);
  }

  /** Learns the row (the cores learn as they score). */
  learnRow(row: Float64Array, t: number): void {
    this.scoreRow(row, t);
  }

  /** The online cores are copied through their own state codec (untrained: nothing to copy). */
  copy(): DiscordRaw {
    return this.members.length ? discordFromState(this.config, this.toState(), 'state.model') : this;
  }

  toState(): DiscordState {
    return {
      step: encodeFloat(this.step),
      lastT: encodeFloat(this.lastT),
      k: this.k,
      blockN: this.blockN,
      blockSum: encodeFloat(this.blockSum),
      pairN: this.pairN,
      pairSum: encodeFloat(this.pairSum),
      held: encodeFloat(this.held),
      members: this.members.map((mb) => ({
        m: mb.core.m,
        window: mb.core.window,
        scale: encodeFloat(mb.scale),
        scaleE: encodeFloat(mb.scaleE),
        pair: mb.pair,
        core: mb.core.state(),
      })),
    } as DiscordState;
  }
}

function discordFromState(config: DiscordConfig, state: DiscordState, path: string): DiscordRaw {
  if (state.members.length < 1 || state.members.length > 7) {
    throw new ModelFormatError(
      'bad_field',
      `${path}.members: expected 1 to 7 lengths, got ${state.members.length}`,
    );
  }
  const step = decodeFloat(state.step, `${path}.step`);
  const lastT = decodeFloat(state.lastT, `${path}.lastT`);
  if (!(step >= 0 && Number.isFinite(step))) {
    throw new ModelFormatError('bad_field', `${path}.step: must be a finite number ≥ 0, got ${step}`);
  }
  const k = intField(state, 'k', path, 1, 256);
  if (config.paa !== null && k !== config.paa) {
    throw new ModelFormatError('bad_field', `${path}.k: ${k} differs from config.paa ${config.paa}`);
  }
  const blockN = intField(state, 'blockN', path, 0, k - 1);
  const blockSum = decodeFloat(state.blockSum, `${path}.blockSum`);
  const held = decodeFloat(state.held, `${path}.held`);
  if (!Number.isFinite(blockSum) || !(held >= 0 && Number.isFinite(held))) {
    throw new ModelFormatError(
      'bad_field',
      `${path}: blockSum must be a finite number and held a finite number ≥ 0`,
    );
  }
  const pairN = intField(state, 'pairN', path, 0, 1);
  const pairSum = decodeFloat(state.pairSum, `${path}.pairSum`);
  if (!Number.isFinite(pairSum)) {
    throw new ModelFormatError('bad_field', `${path}.pairSum: must be a finite number`);
  }
  if (state.members.every((mb) => mb.pair)) {
    throw new ModelFormatError('bad_field', `${path}.members: at least one core must run on every block`);
  }
  const members = state.members.map((s, j) => {
    const p = `${path}.members[${j}]`;
    const m = intField(s, 'm', p, 4, 4096);
    const window = intField(s, 'window', p, 8, 100_000);
    const kk = s.pair ? 2 * k : k;
    const want = config.window === null ? null : Math.max(8, Math.ceil(config.window / kk));
    if (want !== null && window !== want) {
      throw new ModelFormatError(
        'bad_field',
        `${p}.window: ${window} differs from ⌈config.window / (block points)⌉ = ${want}`,
      );
    }
    if (config.m !== null && !s.pair && m !== paaLength(config.m, k)) {
      throw new ModelFormatError(
        'bad_field',
        `${p}.m: ${m} differs from config.m ${config.m} in blocks of ${k} (${paaLength(config.m, k)})`,
      );
    }
    const scale = decodeFloat(s.scale, `${p}.scale`);
    const scaleE = decodeFloat(s.scaleE, `${p}.scaleE`);
    if (!(scale > 0) || !(scaleE > 0) || (scale === Infinity && scaleE === Infinity)) {
      throw new ModelFormatError(
        'bad_field',
        `${p}: scale and scaleE must be numbers > 0 (Infinity turns a view off; not both)`,
      );
    }
    const core = new DiscordCore(m, window);
    core.restore(s.core, `${p}.core`);
    return { core, pair: s.pair, scale, scaleE };
  });
  const raw = new DiscordRaw(config, members, step, lastT);
  raw.k = k;
  raw.blockN = blockN;
  raw.blockSum = blockSum;
  raw.pairN = pairN;
  raw.pairSum = pairSum;
  raw.held = held;
  return raw;
}

/**
 * State version 5 → 6 (`checked` became the default period method): the state is unchanged; the
 * legacy config keeps such a file's `robust` period method, so it trains again as before.
 */
function migrateCheckedDefault(s: JsonObject): JsonObject {
  return { ...s, stateVersion: 6 };
}

/**
 * State version 4 → 5 (a core on pairs of blocks for the whole-cycle length): every core of a version-4
 * model runs on every block, no pair is open: the same scores as before.
 */
function migratePairs(s: JsonObject): JsonObject {
  const model = s.model;
  if (model === null || typeof model !== 'object' || Array.isArray(model)) return { ...s, stateVersion: 5 };
  const members = Array.isArray(model.members)
    ? model.members.map((mb) =>
        mb !== null && typeof mb === 'object' && !Array.isArray(mb) ? { ...mb, pair: false } : mb,
      )
    : model.members;
  return { ...s, stateVersion: 5, model: { ...model, pairN: 0, pairSum: 0, members } };
}

/** State version 3 → 4 (PAA): block size 1, no open block, nothing held: the same scores as before. */
function migrateNoPaa(s: JsonObject): JsonObject {
  const model = s.model;
  if (model === null || typeof model !== 'object' || Array.isArray(model)) return { ...s, stateVersion: 4 };
  return { ...s, stateVersion: 4, model: { ...model, k: 1, blockN: 0, blockSum: 0, held: 0 } };
}

/** State version 2 (one length, no gaps, no noise floor) → 3: one member of scale 1, gaps off. */
function migrateOneLength(s: JsonObject, config: JsonObject): JsonObject {
  const model = s.model;
  if (model === null || typeof model !== 'object' || Array.isArray(model)) return { ...s, stateVersion: 3 };
  const core = model.core;
  const num =
    core !== null && typeof core === 'object' && !Array.isArray(core) && Array.isArray(core.num)
      ? [...core.num, 0, 0]
      : null;
  const newCore =
    num && core !== null && typeof core === 'object' && !Array.isArray(core) ? { ...core, num } : core;
  return {
    ...s,
    stateVersion: 3,
    model: {
      step: 0,
      lastT: 'NaN',
      members: [
        {
          m: model.m ?? null,
          window: config.window ?? 1024,
          scale: 1,
          scaleE: 'Infinity',
          core: newCore ?? null,
        },
      ],
    },
  };
}

/** The DiscordDetector spec (see docs/detectors.md). */
export const discordSpec = defineDetector({
  type: 'DiscordDetector',
  level: 'row',
  learnsPrev: true,
  config: discordConfigSchema,
  state: discordStateSchema,
  stateVersion: 6,
  migrations: { 2: migrateOneLength, 3: migrateNoPaa, 4: migratePairs, 5: migrateCheckedDefault },
  // what files written before PAA blocks (v3), before the robust period and whole-cycle length (v4)
  // and before the checked period became the default (v5) were trained with: a loaded old model
  // trains again as it was configured
  legacyConfig: {
    3: { paa: 1 },
    4: { periodMethod: 'acf', periodLength: null },
    5: { periodMethod: 'robust' },
  },
  minTrainRows: 16,
  create: (c) => new DiscordRaw(c, [], 0, Number.NaN),
  fromState: (s, { config, path }) => discordFromState(config, s, path),
});

export class DiscordDetector extends SpecDetector<DiscordConfig, DiscordRaw> {
  constructor(cfg: DiscordInput = {}) {
    super(discordSpec, cfg);
  }

  /** Loads a DiscordDetector model file (any other type is a ModelFormatError). */
  static load(json: unknown): DiscordDetector {
    return loadAs(json, discordSpec, DiscordDetector);
  }

  /** The middle subsequence length (the period's own, clamped, with the default lengths; null before training). */
  get length(): number | null {
    const ms = this.lengths;
    return ms.length ? ms[ms.length >> 1] : null;
  }

  /** The PAA block size in use (raw points per PAA point; 1 before training). */
  get block(): number {
    return this.raw.k;
  }

  /** Every subsequence length in use (PAA points), shortest first (empty before training). */
  get lengths(): number[] {
    return this.raw.members.filter((mb) => !mb.pair).map((mb) => mb.core.m);
  }

  /** The whole-cycle length in use, in points of its pairs of blocks (null: none). */
  get cycleLength(): number | null {
    return this.raw.members.find((mb) => mb.pair)?.core.m ?? null;
  }
}

/** Loads a `DiscordDetector` model file (see the registry in detectors/registry.ts). */
export const loadDiscordDetector = specLoader((c) => new DiscordDetector(c as DiscordInput), discordSpec);
