/**
 * The two-sided discord score of locate mode (src/detectors/discord/two-sided.ts): with the past only it
 * is exactly the streaming detector's raw score; with the future too it never exceeds that; and a
 * normal pattern new to the past but repeated later no longer outscores a real anomaly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DiscordDetector, type DiscordInput } from '../../src/detectors/index.js';
import { ConfigError } from '../../src/index.js';
import { broaden, discordLocateScores } from '../../src/internal.js';
import { LOCATE_RECIPES, TWO_SIDED_LOCATE } from '../../src/lab/index.js';
import { signedNoise } from '../helpers/random.js';

const STEP = 60_000;
const T0 = Date.UTC(2024, 0, 1);

/** Deterministic noise in [−1, 1) (an LCG). */
const noiseGen = signedNoise;

/** The streaming detector's raw test scores (no calibrator, no alarm rule) after training on `cut` points. */
function streamed(cfg: DiscordInput, t: Float64Array, v: Float64Array, cut: number): Float64Array {
  const d = new DiscordDetector({ enableCalibrator: false, enableThreshold: false, ...cfg });
  d.train({ t: t.subarray(0, cut), v: v.subarray(0, cut) });
  const s = d.stream();
  const out = new Float64Array(t.length - cut);
  for (let i = cut; i < t.length; i++) out[i - cut] = s.push(t[i], v[i]).score;
  return out;
}

function argmax(x: Float64Array): number {
  let at = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[at]) at = i;
  return at;
}

/** A noisy cycle of period `p` (two harmonics), with gaps (missing rows) at the given indices. */
function cycle(
  n: number,
  p: number,
  seed: number,
  gaps: number[] = [],
): { t: Float64Array; v: Float64Array } {
  const r = noiseGen(seed);
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let ti = T0;
  for (let i = 0; i < n; i++) {
    if (gaps.includes(i)) ti += 20 * STEP;
    t[i] = ti;
    ti += STEP;
    const ph = (2 * Math.PI * i) / p;
    v[i] = Math.sin(ph) + 0.4 * Math.sin(2 * ph + 1) + 0.1 * r();
  }
  return { t, v };
}

describe('discordLocateScores', () => {
  it("with the past only it gives the streaming detector's raw scores bit for bit (whole-cycle core, blocks, gaps, zero and hold)", () => {
    // period 300: blocks of 4, three shrunk lengths and a whole-cycle core on pairs of blocks; gaps in
    // the training and the test part
    const { t, v } = cycle(9000, 300, 7, [1500, 5003, 7001]);
    const cut = 2700;
    const probe = new DiscordDetector();
    probe.train({ t: t.subarray(0, cut), v: v.subarray(0, cut) });
    expect(probe.block).toBeGreaterThan(1);
    expect(probe.cycleLength).not.toBeNull();
    for (const between of ['zero', 'hold'] as const) {
      const want = streamed({ between }, t, v, cut);
      const got = discordLocateScores({ between }, t, v, cut, { sides: 'left' });
      expect(Array.from(got)).toEqual(Array.from(want));
      expect(want.some((x) => x > 0.5)).toBe(true);
    }
  });

  it("with the past only and combine 'mean' over three lengths it gives the streaming detector's raw scores bit for bit", () => {
    // period 40: three lengths and no whole-cycle core, so the mean divides by 3 (not exact in binary):
    // the stream adds the lengths' scores, then divides
    const { t, v } = cycle(6000, 40, 3, [2500]);
    const cut = 1800;
    const probe = new DiscordDetector({ combine: 'mean' });
    probe.train({ t: t.subarray(0, cut), v: v.subarray(0, cut) });
    expect(probe.cycleLength).toBeNull();
    for (const between of ['zero', 'hold'] as const) {
      const cfg = { combine: 'mean', between } as const;
      const want = streamed(cfg, t, v, cut);
      expect(Array.from(discordLocateScores(cfg, t, v, cut, { sides: 'left' }))).toEqual(Array.from(want));
    }
  });

  it('property: the two-sided score never exceeds the left score, and is below it somewhere', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 12, max: 200 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.constantFrom(0, 2, 4),
        fc.constantFrom(1, 3),
        (p, seed, rightExclusion, windowMul) => {
          const n = Math.max(2400, 16 * p);
          const { t, v } = cycle(n, p, seed, [Math.floor(0.6 * n)]);
          const cut = Math.floor(0.3 * n);
          const left = discordLocateScores({}, t, v, cut, { sides: 'left', windowMul });
          const both = discordLocateScores({}, t, v, cut, { rightExclusion, windowMul });
          let below = 0;
          for (let i = 0; i < left.length; i++) {
            if (!(both[i] <= left[i])) return false;
            if (both[i] < left[i]) below++;
          }
          return below > 0;
        },
      ),
      { numRuns: 25 },
    );
  });

  it('a normal pattern first seen in the test part and repeated later: the two-sided score locates the anomaly, the left one the pattern', () => {
    const P = 40;
    const n = 6000;
    const cut = 1800;
    // three episodes of three square cycles (a normal, recurring regime the training part never saw),
    // 12 periods apart; one cycle at 70 % height much later is the anomaly
    const episodes = [2400, 2400 + 12 * P, 2400 + 24 * P];
    const anomaly = 4800;
    for (const seed of [1, 2, 3]) {
      const r = noiseGen(seed);
      const t = new Float64Array(n);
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        t[i] = T0 + i * STEP;
        const s = Math.sin((2 * Math.PI * (i % P)) / P);
        let y = s;
        if (episodes.some((e) => i >= e && i < e + 3 * P)) y = s > 0 ? 1 : -1;
        if (i >= anomaly && i < anomaly + P) y = 0.7 * s;
        v[i] = y + 0.05 * r();
      }
      const located = (x: Float64Array) => {
        const at = argmax(x) + cut;
        return at >= anomaly - 100 && at < anomaly + P + 100;
      };
      const left = discordLocateScores({}, t, v, cut, { sides: 'left' });
      expect(located(left)).toBe(false);
      expect(argmax(left) + cut).toBeGreaterThanOrEqual(episodes[0]);
      expect(argmax(left) + cut).toBeLessThan(episodes[0] + 3 * P + 100);
      expect(located(discordLocateScores({}, t, v, cut))).toBe(true);
      // and with the settings `tsad bench --locate` uses (future from four periods ahead, windows × 3)
      expect(located(discordLocateScores({}, t, v, cut, TWO_SIDED_LOCATE))).toBe(true);
    }
  });

  it("property (locate round 7): with sides 'train' the score is never below the left score over the whole past, and above it somewhere", () => {
    fc.assert(
      fc.property(fc.integer({ min: 12, max: 120 }), fc.integer({ min: 1, max: 1_000_000 }), (p, seed) => {
        const n = Math.max(2400, 16 * p);
        const { t, v } = cycle(n, p, seed, [Math.floor(0.6 * n)]);
        const cut = Math.floor(0.3 * n);
        // a window × 100 holds the whole past, so the left neighbours are a superset of the training ones
        const left = discordLocateScores({}, t, v, cut, { sides: 'left', windowMul: 100 });
        const train = discordLocateScores({}, t, v, cut, { sides: 'train' });
        let above = 0;
        for (let i = 0; i < left.length; i++) {
          if (!(train[i] >= left[i] - 1e-9)) return false;
          if (train[i] > left[i] + 1e-9) above++;
        }
        return above > 0;
      }),
      { numRuns: 20 },
    );
  });

  it("an anomaly that occurs twice in the test part (locate round 7): sides 'train' locates it, the two-sided score masks it", () => {
    const P = 40;
    const n = 6000;
    const cut = 1800;
    // the same distorted cycle (a square wave) twice, six periods apart: each copy is the other's
    // neighbour on one side; a cycle at 80 % height later is a weaker, one-off distraction
    const twins = [3000, 3000 + 6 * P];
    const other = 4800;
    for (const seed of [1, 2, 3]) {
      const r = noiseGen(seed);
      const t = new Float64Array(n);
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        t[i] = T0 + i * STEP;
        const s = Math.sin((2 * Math.PI * (i % P)) / P);
        let y = s;
        if (twins.some((e) => i >= e && i < e + P)) y = s > 0 ? 1 : -1;
        if (i >= other && i < other + P) y = 0.8 * s;
        v[i] = y + 0.05 * r();
      }
      const at = (x: Float64Array) => argmax(x) + cut;
      const nearTwin = (g: number) => twins.some((e) => g >= e - 100 && g < e + P + 100);
      expect(nearTwin(at(discordLocateScores({}, t, v, cut, TWO_SIDED_LOCATE)))).toBe(false);
      expect(nearTwin(at(discordLocateScores({}, t, v, cut, { sides: 'train' })))).toBe(true);
    }
  });

  it('broad tops (locate round 5): a sustained top outranks a slightly higher lone one, and a planted discord is still located', () => {
    // a lone top of 1.2 among 0.1s and a top of 1.0 sustained over 9 points: the raw argmax is the lone
    // one; after broadening over 9 points, the sustained one
    const x = new Float64Array(400).fill(0.1);
    x[100] = 1.2;
    for (let i = 296; i <= 304; i++) x[i] = 1;
    expect(argmax(x)).toBe(100);
    const y = Float64Array.from(x);
    broaden(y, 9);
    expect(argmax(y)).toBe(300);
    // a distorted cycle in a noisy periodic series: located with and without broad tops
    const P = 50;
    const n = 8000;
    const cut = 2400;
    for (const seed of [4, 5, 6]) {
      const { t, v } = cycle(n, P, seed);
      const at = 5000 + seed * 7;
      for (let i = at; i < at + P; i++) v[i] = 0.5 * Math.sin((4 * Math.PI * (i - at)) / P);
      for (const broad of [0, 0.25]) {
        const got = argmax(discordLocateScores({}, t, v, cut, { ...TWO_SIDED_LOCATE, broad })) + cut;
        expect(got).toBeGreaterThanOrEqual(at - 100);
        expect(got).toBeLessThan(at + P + 100);
      }
    }
  });

  it('discordMultiScale (locate round 6): the pointwise maximum of discordTwoSided and the two-sided discord at one length of ½, 1 and 2 periods; a distorted cycle is located', () => {
    const multi = LOCATE_RECIPES.discordMultiScale;
    expect(multi).toBeDefined();
    const P = 50;
    const cut = 2400;
    for (const seed of [9, 10]) {
      const { t, v } = cycle(8000, P, seed);
      const at = 5000 + seed * 13;
      for (let i = at; i < at + P; i++) v[i] = 0.5 * Math.sin((4 * Math.PI * (i - at)) / P);
      const two = discordLocateScores({ seed }, t, v, cut, TWO_SIDED_LOCATE);
      const want = Float64Array.from(two);
      for (const m of [0.5, 1, 2]) {
        const part = discordLocateScores(
          { seed, lengths: [m], periodLength: null },
          t,
          v,
          cut,
          TWO_SIDED_LOCATE,
        );
        for (let i = 0; i < want.length; i++) want[i] = Math.max(want[i], part[i]);
      }
      // the single-length parts add something (the maximum is not discordTwoSided's score alone)
      expect(want.some((y, i) => y > two[i])).toBe(true);
      const got = multi.score(t, v, cut, seed);
      expect(Array.from(got)).toEqual(Array.from(want));
      const top = argmax(got) + cut;
      expect(top).toBeGreaterThanOrEqual(at - 100);
      expect(top).toBeLessThan(at + P + 100);
    }
  });

  it("align 'centre' puts a planted discord's top at the subsequence's middle: earlier than at its end, still located", () => {
    const P = 50;
    const cut = 2400;
    for (const seed of [7, 8]) {
      const { t, v } = cycle(8000, P, seed);
      const at = 5000 + seed * 11;
      for (let i = at; i < at + P; i++) v[i] = 0.5 * Math.sin((4 * Math.PI * (i - at)) / P);
      const end = argmax(discordLocateScores({}, t, v, cut, TWO_SIDED_LOCATE)) + cut;
      const mid = argmax(discordLocateScores({}, t, v, cut, { ...TWO_SIDED_LOCATE, align: 'centre' })) + cut;
      expect(mid).toBeLessThan(end);
      expect(mid).toBeGreaterThanOrEqual(at - 100);
      expect(mid).toBeLessThan(at + P + 100);
    }
  });

  it("align 'centre' with combine 'mean': each point's mean over the lengths stays below their maximum (the first test block included)", () => {
    // subsequences that end in the test part but whose middle is a training block all land on the first
    // test block: one score per length there, never their sum
    const P = 50;
    const cut = 2400;
    for (const seed of [7, 8]) {
      const { t, v } = cycle(8000, P, seed);
      const o = { ...TWO_SIDED_LOCATE, align: 'centre' } as const;
      const mean = discordLocateScores({ combine: 'mean' }, t, v, cut, o);
      const max = discordLocateScores({ combine: 'max' }, t, v, cut, o);
      for (let i = 0; i < mean.length; i++) {
        if (!(mean[i] <= max[i] * (1 + 1e-12))) expect.fail(`point ${i}: mean ${mean[i]} > max ${max[i]}`);
      }
    }
  });

  it('property: a broadened score lies between the score and its centred local mean, 0 stays 0, a constant stays', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0, max: 100, noNaN: true })), {
          minLength: 1,
          maxLength: 200,
        }),
        fc.integer({ min: 1, max: 50 }),
        (xs, w) => {
          const x = Float64Array.from(xs);
          const y = Float64Array.from(x);
          broaden(y, w);
          const h = w >> 1;
          for (let i = 0; i < x.length; i++) {
            const a = Math.max(0, i - h);
            const b = Math.min(x.length, i - h + w);
            let sum = 0;
            for (let j = a; j < b; j++) sum += x[j];
            const mean = sum / (b - a);
            const lo = Math.min(x[i], mean);
            const hi = Math.max(x[i], mean);
            const tol = 1e-9 * (1 + hi);
            if (!(y[i] >= lo - tol && y[i] <= hi + tol)) return false;
            if (x[i] === 0 && y[i] !== 0) return false;
          }
          const c = new Float64Array(x.length).fill(2.5);
          broaden(c, w);
          return c.every((q) => Math.abs(q - 2.5) < 1e-12);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a training part too short, bad options and a bad config, naming the fix', () => {
    const { t, v } = cycle(500, 20, 1);
    expect(() => discordLocateScores({}, t, v, 8)).toThrow(/cut must be an integer in \[16, 499\]/);
    expect(() => discordLocateScores({}, t, v, 200, { windowMul: 0 })).toThrow(/windowMul must be/);
    expect(() => discordLocateScores({}, t, v, 200, { rightExclusion: -1 })).toThrow(
      /rightExclusion must be a finite number ≥ 0/,
    );
    expect(() => discordLocateScores({}, t, v, 200, { broad: -0.5 })).toThrow(
      /broad must be a finite number ≥ 0/,
    );
    expect(() => discordLocateScores({}, t, v, 200, { align: 'middle' as 'centre' })).toThrow(
      /align must be 'end' or 'centre', got middle/,
    );
    expect(() => discordLocateScores({}, t, v, 200, { sides: 'right' as 'left' })).toThrow(
      /sides must be 'left', 'both' or 'train', got right/,
    );
    expect(() => discordLocateScores({ noiseFloor: -1 }, t, v, 200)).toThrow(ConfigError);
  });
});
