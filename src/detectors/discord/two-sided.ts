/**
 * The two-sided discord score for locate mode (docs/detectors-quality.md, "Two-sided locate score";
 * docs/evaluation.md, locate round 4). Offline: it sees the whole series at once.
 *
 * The streaming `DiscordDetector` compares each subsequence with the past only (a left matrix profile).
 * A normal pattern that first appears after the training part (a new rate, a rare-but-normal cycle, a
 * stretch of baseline wander) has no past neighbour and scores as high as an anomaly, although it
 * recurs later. The textbook discord (the subsequence farthest from its nearest non-trivial match
 * anywhere in the series) compares with both sides. Here each test subsequence's distance is the
 * smaller of its nearest past and its nearest future neighbour (`windowMul` widens both windows;
 * `rightExclusion` makes future neighbours count only some periods ahead, so that an anomaly lasting
 * several cycles does not match itself; `tsad bench --locate` uses 3 and 4, `TWO_SIDED_LOCATE` in
 * src/lab/locate.ts): the future side is the left profile of the reversed series (a distance between two subsequences is
 * the same read backwards), run by the same streaming core. Everything else is the streaming
 * detector's: the period, block size, lengths, windows, noise floor, gaps, both views, and each length
 * and view divided by its 0.99 quantile of left distances over the training part. So the two-sided
 * score is never above the left one, and `sides: 'left'` gives exactly the streaming detector's raw
 * scores (a test checks this).
 */

import { ConfigError, DetectorError } from '../../errors.js';
import { clampFinite } from '../../math/finite.js';
import { parseConfig } from '../config.js';
import { DiscordCore } from './core.js';
import {
  blockMeans,
  type DiscordConfig,
  type DiscordInput,
  discordConfigSchema,
  discordSetup,
  discordWindow,
  pushedBlocks,
  viewScales,
  warmup,
} from './detector.js';

export interface TwoSidedOptions {
  /**
   * `both` (default): min(past, future) nearest-neighbour distance; `left`: the past only (streaming);
   * `train` (locate round 7): a test subsequence's nearest neighbour among the training part's
   * subsequences only (the whole training part, whatever the window), so an anomaly that recurs in the
   * test part cannot match itself; training subsequences keep their left distances over the whole
   * training part. `windowMul` and `rightExclusion` do not apply to `train`.
   */
  readonly sides?: 'left' | 'both' | 'train';
  /** Each side's window × this (default 1: the streaming detector's window). */
  readonly windowMul?: number;
  /**
   * Future neighbours count only from this many periods ahead (raw points: × the period found, or ×
   * 32 without one), and the future window grows by as much. Default 0 (trivial matches only).
   */
  readonly rightExclusion?: number;
  /**
   * Each length and view is divided by the 0.99 quantile of its training distances: `left` (default)
   * the streaming detector's (past neighbours), `both` the two-sided ones.
   */
  readonly scaleFrom?: 'left' | 'both';
  /**
   * Where a test subsequence's score lands: `end` (default; where the stream gives it, the block that
   * closes the subsequence) or `centre` (the block in its middle, so that the argmax points at the
   * middle of the most anomalous subsequence rather than up to a whole length after it; offline only).
   */
  readonly align?: 'end' | 'centre';
  /**
   * Broad tops (docs/evaluation.md, locate round 5): each test score becomes the geometric mean of
   * itself and the mean of the scores over a centred window of this fraction of the period found (raw
   * points: × the period, or × 32 without one), so a top must be both high and sustained over neighbouring subsequences. 0
   * (default): off.
   */
  readonly broad?: number;
}

/**
 * Raw discord scores of the points `cut … n − 1` of (`t`, `v`) after training on the points before
 * `cut`, as the streaming detector would give them (`between: 'zero'`: a point that closes a block
 * gets its score, the others 0; `hold` keeps the latest block's) but with two-sided distances.
 */
export function discordLocateScores(
  input: DiscordInput,
  t: Float64Array,
  v: Float64Array,
  cut: number,
  opts: TwoSidedOptions = {},
): Float64Array {
  const c: DiscordConfig = parseConfig(discordConfigSchema, input);
  const n = v.length;
  if (t.length !== n) {
    throw new DetectorError('bad_series', `t and v must have the same length, got ${t.length} and ${n}`);
  }
  if (!Number.isInteger(cut) || cut < 16 || cut >= n) {
    throw new DetectorError(
      'too_few_points',
      `cut must be an integer in [16, ${n - 1}] (training points), got ${cut}`,
    );
  }
  const mul = opts.windowMul ?? 1;
  if (!(mul > 0 && Number.isFinite(mul))) {
    throw new ConfigError('bad_option', `windowMul must be a finite number > 0, got ${mul}`);
  }
  const excl = opts.rightExclusion ?? 0;
  if (!(excl >= 0 && Number.isFinite(excl))) {
    throw new ConfigError('bad_option', `rightExclusion must be a finite number ≥ 0 (periods), got ${excl}`);
  }
  const broad = opts.broad ?? 0;
  if (!(broad >= 0 && Number.isFinite(broad))) {
    throw new ConfigError('bad_option', `broad must be a finite number ≥ 0 (periods), got ${broad}`);
  }
  const align = opts.align ?? 'end';
  if (align !== 'end' && align !== 'centre') {
    throw new ConfigError('bad_option', `align must be 'end' or 'centre', got ${String(align)}`);
  }
  const sides = opts.sides ?? 'both';
  if (sides !== 'left' && sides !== 'both' && sides !== 'train') {
    throw new ConfigError('bad_option', `sides must be 'left', 'both' or 'train', got ${String(sides)}`);
  }
  const both = sides === 'both';
  const trainOnly = sides === 'train';
  const centre = align === 'centre';
  const setup = discordSetup(c, t.subarray(0, cut), v.subarray(0, cut));
  const { k, pk, mean, floor, plan } = setup;
  const all = blockMeans(t, v, k, setup.step, c.gapFactor);
  const { x, pend, pgap, np } = all;
  // training blocks: those closed before the cut (the training part's open block closes in the test)
  let npTrain = 0;
  while (npTrain < np && pend[npTrain] < cut) npTrain++;
  const spread = setup.spread;
  const isGap = (dt: number) => setup.step > 0 && dt > c.gapFactor * setup.step;
  const blockScore = new Float64Array(np);
  // test blocks with combine 'mean': the sum of the lengths' scores, divided at the end as the stream
  // divides it (training blocks add each score already divided, as `fit` does)
  const blockSum = new Float64Array(np);
  // per core: the pushed values, the block each closes, and whether a gap precedes it
  const ys = new Float64Array(np);
  const at = new Int32Array(np);
  const gapBefore = new Uint8Array(np);
  const lz = new Float64Array(np);
  const le = new Float64Array(np);
  const rz = new Float64Array(np);
  const re = new Float64Array(np);
  for (const [m, pair] of plan) {
    const base = pair ? discordWindow(c, setup.period, 2 * k) : setup.window;
    const window = Math.max(8, Math.round(base * mul));
    const { pushed } = pushedBlocks(x, pgap, np, pair, ys, at, gapBefore);
    let pushedTrain = 0;
    while (pushedTrain < pushed && at[pushedTrain] < npTrain) pushedTrain++;
    // `train`: a window over every push, neighbours of test subsequences cut at the training part's end
    const core = new DiscordCore(m, trainOnly ? Math.max(8, pushed) : window);
    const kk = pair ? 2 * k : k;
    const lag = Math.round((excl * (setup.period > 0 ? setup.period : 32)) / kk);
    const rightCore = lag > 0 ? new DiscordCore(m, window + lag, m + lag) : core;
    const coreFloor = pair ? floor / Math.SQRT2 : floor;
    core.reset(mean, coreFloor);
    for (let j = 0; j < pushed; j++) {
      // the last subsequence wholly in the training part starts at pushedTrain − m
      if (trainOnly && j === pushedTrain) core.lastStart = pushedTrain - m;
      if (gapBefore[j]) core.gap();
      lz[j] = core.push(ys[j]);
      le[j] = core.euclid;
    }
    const w = warmup(m, pair, pk, pushedTrain);
    const half = (m - 1) >> 1;
    if (both) {
      // the reversed stream: push j (ending the forward subsequence that starts at j) is the reversed
      // subsequence ending at pushed − 1 − j; its left profile is the forward one's right profile
      const rc = rightCore;
      rc.reset(mean, coreFloor);
      rz.fill(Number.POSITIVE_INFINITY, 0, pushed);
      re.fill(Number.POSITIVE_INFINITY, 0, pushed);
      for (let j = pushed - 1; j >= 0; j--) {
        const d = rc.push(ys[j]);
        const end = j + m - 1; // forward end of the subsequence starting at j
        if (rc.matched && end < pushed) {
          rz[end] = d;
          re[end] = rc.euclid;
        }
        if (gapBefore[j]) rc.gap();
      }
    }
    let trainZ = lz.subarray(w, pushedTrain);
    let trainE = le.subarray(w, pushedTrain);
    if (both && opts.scaleFrom === 'both') {
      trainZ = trainZ.map((d, q) => Math.min(d, rz[w + q]));
      trainE = trainE.map((d, q) => Math.min(d, re[w + q]));
    }
    const [scale, scaleE] = viewScales(c, trainZ, trainE, spread, setup.mean);
    // training pushes score as in training (left only: what `fit` gives them; they matter only for the
    // score `between: 'hold'` carries into the test part)
    // `centre`: the test subsequences whose middle is a training block all land on the first test
    // block; with `combine: 'mean'` that block takes their largest score once for this length (as
    // `max` does), never their sum
    let firstTest = 0;
    for (let j = w; j < pushed; j++) {
      const two = both && j >= pushedTrain;
      const dz = two && rz[j] < lz[j] ? rz[j] : lz[j];
      const de = two && re[j] < le[j] ? re[j] : le[j];
      const sc = clampFinite(Math.max(dz / scale, de / scaleE));
      // `centre`: a test subsequence's score on its middle block, never on a training block
      const b = centre && j >= pushedTrain ? Math.max(at[j - half], npTrain) : at[j];
      if (c.combine !== 'mean') {
        if (sc > blockScore[b]) blockScore[b] = sc;
      } else if (b < npTrain) blockScore[b] += sc / plan.length;
      else if (centre && b === npTrain) firstTest = Math.max(firstTest, sc);
      else blockSum[b] += sc;
    }
    if (npTrain < np) blockSum[npTrain] += firstTest;
  }
  if (c.combine === 'mean') {
    for (let b = npTrain; b < np; b++) blockScore[b] = clampFinite(blockSum[b] / plan.length);
  }
  // raw points as the stream gives them: a point that closes a block gets its score; the others 0
  // (`zero`) or the latest block's (`hold`), which a gap resets
  const out = new Float64Array(n - cut);
  let b = 0;
  let held = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0 && isGap(t[i] - t[i - 1])) held = 0;
    let s = c.between === 'zero' ? 0 : held;
    if (b < np && pend[b] === i) s = held = blockScore[b++];
    if (i >= cut) out[i - cut] = s;
  }
  if (broad > 0) broaden(out, Math.max(1, Math.round(broad * (setup.period > 0 ? setup.period : 32))));
  return out;
}

/**
 * In place: each score → √(score × the mean of the scores in the centred window of `w` points around
 * it, cut at the ends). A high top that is also sustained keeps most of its height; a lone narrow top
 * among low scores loses to a broad one of similar height. Order-preserving where the local means are
 * equal, never above the larger of the two, and 0 stays 0.
 */
export function broaden(x: Float64Array, w: number): void {
  const n = x.length;
  const c = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) c[i + 1] = c[i] + x[i];
  const h = w >> 1;
  for (let i = 0; i < n; i++) {
    const a = Math.max(0, i - h);
    const b = Math.min(n, i - h + w);
    const mean = (c[b] - c[a]) / (b - a);
    x[i] = Math.sqrt(Math.max(0, x[i]) * Math.max(0, mean));
  }
}
