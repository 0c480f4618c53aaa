/**
 * DiscordDetector behaviour: gaps in the data never make the top score, a planted shape change inside the
 * normal range of a periodic series is located, flat stretches stay finite and quiet, and model files
 * written before state version 3 still load and score as they did.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DiscordDetector, type DiscordInput } from '../../src/detectors/index.js';
import { loadModel } from '../../src/index.js';
import { checkedPeriod, dominantPeriod, robustPeriod } from '../../src/internal.js';
import { signedNoise } from '../helpers/random.js';

/** A model file the discord wrote at state version `v`, the points streamed after it and the scores that version gave. */
interface DiscordFixture {
  model: { config: Record<string, unknown> };
  next: { t: number[]; v: number[] };
  scores: number[];
}
function discordFixture(v: number): DiscordFixture {
  return JSON.parse(
    readFileSync(new URL(`./fixtures/discord-state-v${v}.json`, import.meta.url), 'utf8'),
  ) as DiscordFixture;
}

/**
 * An old file's detector streams exactly the scores that version gave (some above 1, so the check
 * can fail), and writes today's state version.
 */
function expectReplays(d: DiscordDetector, fx: DiscordFixture): void {
  const s = d.stream();
  const got = fx.next.t.map((ti, k) => s.push(ti, fx.next.v[k]).score);
  expect(got).toEqual(fx.scores);
  expect(fx.scores.some((x) => x > 1)).toBe(true);
  const state = d.toJSON().state as Record<string, unknown>;
  expect(state.stateVersion).toBe(6);
}

const STEP = 60_000;
const T0 = Date.UTC(2024, 0, 1);

/** Deterministic noise in [−1, 1) (an LCG). */
const noiseGen = signedNoise;

/** Trains on the first `cut` points, streams the rest; returns the test scores and the argmax index. */
function streamScores(cfg: DiscordInput, t: Float64Array, v: Float64Array, cut: number) {
  const d = new DiscordDetector({ enableThreshold: false, ...cfg });
  d.train({ t: t.subarray(0, cut), v: v.subarray(0, cut) });
  const s = d.stream();
  const scores = new Float64Array(t.length - cut);
  let best = -1;
  let top = Number.NEGATIVE_INFINITY;
  for (let i = cut; i < t.length; i++) {
    const x = s.push(t[i], v[i]).score;
    scores[i - cut] = x;
    if (Math.abs(x) > top) {
      top = Math.abs(x);
      best = i;
    }
  }
  return { scores, best, detector: d };
}

describe('DiscordDetector and missing data', () => {
  // a noisy cycle of 30 points; 45 rows go missing at index 700, so the cycle resumes half a period off
  const period = 30;
  const n = 1400;
  const at = 700;
  const rnd = noiseGen(7);
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = i < at ? i : i + 45; // the clock (and the phase) jumps over the missing rows
    t[i] = T0 + k * STEP;
    v[i] = Math.sin((2 * Math.PI * k) / period) + 0.05 * rnd();
  }

  it('a subsequence spanning a gap is never the top score, and scores 0', () => {
    for (const cfg of [{}, { m: 16 }, { views: 'znorm' as const }, { views: 'euclid' as const }]) {
      const r = streamScores({ ...cfg, enableCalibrator: false }, t, v, 400);
      const lengths = r.detector.lengths;
      const longest = Math.max(...lengths);
      expect(r.best < at || r.best >= at + longest - 1).toBe(true);
      // the points whose every subsequence spans the gap (shorter than the shortest length past it) score 0
      for (let i = at; i < at + Math.min(...lengths) - 1; i++) expect(r.scores[i - 400]).toBe(0);
    }
  });

  it('without the gap rule the same gap is the top score (so the check above can fail)', () => {
    const r = streamScores({ m: 16, enableCalibrator: false, gapFactor: 1000 }, t, v, 400);
    expect(r.best).toBeGreaterThanOrEqual(at);
    expect(r.best).toBeLessThan(at + 16);
  });

  it('a gap inside the training part keeps its subsequences out of the scale and the neighbours', () => {
    const r = streamScores({ m: 16, enableCalibrator: false }, t, v, 1000);
    const train = r.detector.trainScores?.v ?? new Float64Array(0);
    for (let i = at; i < at + 15; i++) expect(train[i]).toBe(0);
    // after the gap the training part goes on at its usual level
    expect(Math.max(...r.scores)).toBeLessThan(3);
  });
});

describe('DiscordDetector locates a planted shape change inside the normal range', () => {
  it('property: one cycle replaced by two faster ones, same amplitude, is located within 100 points', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 16, max: 90 }),
        fc.double({ min: 0, max: 0.15, noNaN: true }),
        fc.double({ min: 0.55, max: 0.9, noNaN: true }),
        fc.integer({ min: 1, max: 1_000_000 }),
        (period, noise, where, seed) => {
          const n = Math.max(2400, 30 * period);
          const rnd = noiseGen(seed);
          const t = Float64Array.from({ length: n }, (_, i) => T0 + i * STEP);
          const v = new Float64Array(n);
          const start = Math.floor(where * n);
          const a = start - (start % period); // a whole cycle, phase aligned
          for (let i = 0; i < n; i++) {
            const inside = i >= a && i < a + period;
            v[i] = Math.sin((2 * Math.PI * i * (inside ? 2 : 1)) / period) + noise * rnd();
          }
          const r = streamScores({}, t, v, Math.floor(0.3 * n));
          expect(r.best).toBeGreaterThanOrEqual(a - 100);
          expect(r.best).toBeLessThanOrEqual(a + period + 100);
        },
      ),
      { numRuns: 12, seed: 13 },
    );
  });

  it('a missing beat in a pulse train with flat stretches: located, and flat stretches score finite and low', () => {
    // pulses of 10 points every 40, flat (exactly constant) in between: constant subsequences everywhere
    const n = 3000;
    const t = Float64Array.from({ length: n }, (_, i) => T0 + i * STEP);
    const v = Float64Array.from({ length: n }, (_, i) => (i % 40 < 10 ? 1 : 0));
    const miss = 2000; // one pulse missing
    for (let i = miss; i < miss + 10; i++) v[i] = 0;
    const r = streamScores({ enableCalibrator: false }, t, v, 900);
    expect(r.scores.every((x) => Number.isFinite(x) && x >= 0)).toBe(true);
    expect(r.best).toBeGreaterThanOrEqual(miss);
    expect(r.best).toBeLessThanOrEqual(miss + 100);
    // before the missing pulse everything repeats exactly: rounding-size distances, far below the miss
    // (here in blocks of 2 the rolling sums of centred values carry rounding: distances ~2e-4, scores
    // ~0.02 of the 0.01 least scale)
    expect(Math.max(...r.scores.subarray(0, miss - 900))).toBeLessThan(0.05);
    expect(r.scores[r.best - 900]).toBeGreaterThan(1);
  });

  it('a constant training series gives finite scores, and a later change scores above the constant part', () => {
    const n = 600;
    const t = Float64Array.from({ length: n }, (_, i) => T0 + i * STEP);
    const v = Float64Array.from({ length: n }, (_, i) => (i >= 450 && i < 470 ? Math.sin(i) : 5));
    const r = streamScores({ enableCalibrator: false }, t, v, 300);
    expect(r.scores.every((x) => Number.isFinite(x))).toBe(true);
    expect(r.best).toBeGreaterThanOrEqual(450);
    expect(Math.max(...r.scores.subarray(0, 150))).toBe(0);
  });
});

describe('DiscordDetector scores stay finite', () => {
  // found by the kit's mutated-file property (seed 1339180842): a member scale edited to the smallest
  // double turned the next distance into an infinite score
  it.each(['max', 'mean'] as const)(
    'a member scale near zero in a model file gives finite scores (combine %s)',
    (combine) => {
      const n = 800;
      const rnd = noiseGen(3);
      const t = Float64Array.from({ length: n }, (_, i) => T0 + i * STEP);
      const v = Float64Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * i) / 30) + 0.05 * rnd());
      const d = new DiscordDetector({ enableThreshold: false, enableCalibrator: false, combine });
      d.train({ t: t.subarray(0, 500), v: v.subarray(0, 500) });
      const json = JSON.parse(JSON.stringify(d.toJSON()));
      for (const m of json.state.model.members) m.scale = 5e-324;
      const { v: scores } = loadModel(json).score(
        { t: t.subarray(500), v: v.subarray(500) },
        { prev: { t: t.subarray(0, 500), v: v.subarray(0, 500) } },
      );
      expect(scores.every((x) => Number.isFinite(x))).toBe(true);
      // the overflow is real: without the clamp these would be Infinity
      expect(Math.max(...scores)).toBe(Number.MAX_VALUE);
    },
  );
});

describe('DiscordDetector model files before state version 3', () => {
  it('a version-2 file (one length, no gap rule) loads and streams the scores that version gave', () => {
    const fx = discordFixture(2);
    const d = loadModel(fx.model);
    expect(d).toBeInstanceOf(DiscordDetector);
    expect((d as DiscordDetector).lengths).toEqual([8]);
    const s = d.stream();
    fx.next.t.forEach((ti, k) => {
      expect(s.push(ti, fx.next.v[k]).score).toBeCloseTo(fx.scores[k], 9);
    });
    const state = d.toJSON().state as Record<string, unknown>;
    expect(state.stateVersion).toBe(6);
  });
});

describe('DiscordDetector model files of state version 3 (before PAA blocks)', () => {
  it('a version-3 file loads as blocks of 1 and streams exactly the scores that version gave', () => {
    const fx = discordFixture(3);
    const d = loadModel(fx.model) as DiscordDetector;
    expect(d).toBeInstanceOf(DiscordDetector);
    expect(d.block).toBe(1);
    expect(d.config.paa).toBe(1);
    expect(d.config.periodMethod).toBe('acf');
    expectReplays(d, fx);
  });
});

describe('DiscordDetector model files of state version 4 (before the whole-cycle core)', () => {
  it('a version-4 file (blocks of 2, one point of an open block) loads and streams exactly the scores that version gave', () => {
    const fx = discordFixture(4);
    const d = loadModel(fx.model) as DiscordDetector;
    expect(d).toBeInstanceOf(DiscordDetector);
    expect(d.block).toBe(2);
    expect(d.cycleLength).toBeNull();
    // trained with the plain autocorrelation and no whole-cycle length: trains again that way
    expect(d.config.periodMethod).toBe('acf');
    expect(d.config.periodLength).toBeNull();
    expectReplays(d, fx);
  });
});

describe('DiscordDetector model files of state version 5 (before the checked period became the default)', () => {
  it('a version-5 file (a whole-cycle core, an open block and an open pair) loads with the robust period and streams exactly the scores that version gave', () => {
    const fx = discordFixture(5);
    expect(fx.model.config.periodMethod).toBe('robust');
    const d = loadModel(fx.model) as DiscordDetector;
    expect(d).toBeInstanceOf(DiscordDetector);
    expect(d.block).toBe(4);
    expect(d.lengths).toEqual([6, 12, 24]);
    expect(d.cycleLength).toBe(19);
    expect(d.config.periodMethod).toBe('robust');
    expectReplays(d, fx);
  });

  it('a version-5 file whose config omits periodMethod still trains again with the robust period', () => {
    const fx = discordFixture(5);
    const { periodMethod: _, ...rest } = fx.model.config;
    const d = loadModel({ ...fx.model, config: rest }) as DiscordDetector;
    expect(d.config.periodMethod).toBe('robust');
    expect(d.config.periodLength).toBe(0.75);
  });
});

describe('DiscordDetector config of older model files', () => {
  it("a field the old file names is kept, and a version-6 file gets today's defaults", () => {
    const fx = discordFixture(4);
    const named = loadModel({ ...fx.model, config: { ...fx.model.config, periodMethod: 'robust' } });
    expect((named as DiscordDetector).config.periodMethod).toBe('robust');
    expect((named as DiscordDetector).config.periodLength).toBeNull();
    // re-saved, the file is version 6 and names what it was loaded with
    const again = loadModel(loadModel(fx.model).toJSON()) as DiscordDetector;
    expect(again.config.periodMethod).toBe('acf');
    const fresh = new DiscordDetector();
    const t = Float64Array.from({ length: 400 }, (_, i) => i * 60_000);
    const v = Float64Array.from({ length: 400 }, (_, i) => Math.sin((2 * Math.PI * i) / 24));
    fresh.train({ t, v });
    const json = fresh.toJSON();
    const { periodMethod, periodLength, ...rest } = json.config as Record<string, unknown>;
    expect([periodMethod, periodLength]).toEqual(['checked', 0.75]);
    const loaded = loadModel({ ...json, config: rest }) as DiscordDetector;
    expect([loaded.config.periodMethod, loaded.config.periodLength]).toEqual(['checked', 0.75]);
  });
});

describe('DiscordDetector on PAA blocks', () => {
  /** Raw scores (no calibrator, no threshold) of training and stream, concatenated. */
  function allScores(cfg: DiscordInput, t: Float64Array, v: Float64Array, cut: number): Float64Array {
    const d = new DiscordDetector({ enableThreshold: false, enableCalibrator: false, ...cfg });
    d.train({ t: t.subarray(0, cut), v: v.subarray(0, cut) });
    const out = new Float64Array(t.length);
    out.set(d.trainScores?.v ?? new Float64Array(0));
    const s = d.stream();
    for (let i = cut; i < t.length; i++) out[i] = s.push(t[i], v[i]).score;
    return out;
  }

  it('property: a series with each value repeated k times scores, at each block end, what the series scores with k = 1; between block ends 0 or (hold) the last block score', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 6, max: 14 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.boolean(),
        fc.constantFrom('zero' as const, 'hold' as const),
        (k, period, seed, withGap, between) => {
          // values on a 1/1024 grid, so a block's sum and mean are exact and the PAA series is the series
          const n = 700;
          const rnd = noiseGen(seed);
          const gapAt = withGap ? 450 : -1;
          const v = Float64Array.from(
            { length: n },
            (_, i) => Math.round(1024 * (3 * Math.sin((2 * Math.PI * i) / period) + 0.3 * rnd())) / 1024,
          );
          const t = Float64Array.from(
            { length: n },
            (_, i) => T0 + (i + (i >= gapAt && gapAt > 0 ? 50 : 0)) * STEP,
          );
          const tr = Float64Array.from(
            { length: n * k },
            (_, i) => T0 + (i + (gapAt > 0 && i >= gapAt * k ? 50 * k : 0)) * STEP,
          );
          const vr = Float64Array.from({ length: n * k }, (_, i) => v[Math.floor(i / k)]);
          // the length covers the period (so the warm-up does not depend on which period is found)
          const base = allScores({ paa: 1, m: 32, window: 200 }, t, v, 400);
          // the training part ends one point into a block: the open block carries into the stream
          const rep = allScores({ paa: k, m: 32 * k, window: 200 * k, between }, tr, vr, 400 * k + 1);
          let nonzero = 0;
          for (let i = 0; i < n * k; i++) {
            const j = Math.floor((i + 1) / k) - 1; // the latest closed block
            const closes = (i + 1) % k === 0;
            const afterGap = gapAt > 0 && i >= gapAt * k && j < gapAt;
            const want = j < 0 || afterGap || (!closes && between === 'zero') ? 0 : base[j];
            expect(rep[i]).toBe(want);
            if (want > 0) nonzero++;
          }
          expect(nonzero).toBeGreaterThan(n / 2);
        },
      ),
      { numRuns: 10, seed: 7 },
    );
  });

  it('a long period is downsampled (lengths × window / k² within the budget), and the planted change is still located', () => {
    const period = 300;
    const n = 30 * period;
    const rnd = noiseGen(5);
    const t = Float64Array.from({ length: n }, (_, i) => T0 + i * STEP);
    const a = 22 * period;
    const v = Float64Array.from({ length: n }, (_, i) => {
      const inside = i >= a && i < a + period;
      return Math.sin((2 * Math.PI * i * (inside ? 2 : 1)) / period) + 0.05 * rnd();
    });
    const r = streamScores({}, t, v, Math.floor(0.3 * n));
    // three shrunk lengths and the whole-cycle one (0.75 × 300 = 225 points, on pairs of blocks: a
    // quarter of a core), window 20 periods = 6,000 points: k = ⌈√(3.25 · 6000 / 1500)⌉ = 4;
    // 225 / 8 ≈ 28 pair points
    expect(r.detector.block).toBe(4);
    expect(r.detector.lengths).toEqual([6, 12, 24]);
    expect(r.detector.cycleLength).toBe(28);
    expect(r.best).toBeGreaterThanOrEqual(a - 100);
    expect(r.best).toBeLessThanOrEqual(a + period + 100);
  });
});

describe('DiscordDetector finds the period of real-like series (robustPeriod)', () => {
  /** Narrow pulses (an R peak) every `p` points with beat-to-beat jitter, under a strong slow wander. */
  function pulses(p: number, n: number, seed: number): Float64Array {
    const rnd = noiseGen(seed);
    const v = new Float64Array(n);
    let next = 0;
    for (let i = 0; i < n; i++) v[i] = 0.6 * Math.sin((2 * Math.PI * i) / (17.3 * p)) + 0.01 * rnd();
    while (next < n) {
      for (let j = -4; j <= 4; j++) {
        if (next + j >= 0 && next + j < n) v[next + j] += Math.exp(-0.5 * (j / 1.2) ** 2);
      }
      next += Math.round(p * (1 + 0.03 * rnd()));
    }
    return v;
  }

  it('jittered narrow pulses under wander: robustPeriod within 5 % of the period on at least 38 of 40 series, the plain autocorrelation on few', () => {
    let robust = 0;
    let plain = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const p = 60 + ((seed * 37) % 340);
      const v = pulses(p, 12 * p + 500, seed);
      if (Math.abs(robustPeriod(v) - p) <= 0.05 * p) robust++;
      if (Math.abs(dominantPeriod(v) - p) <= 0.05 * p) plain++;
    }
    expect(robust).toBeGreaterThanOrEqual(38);
    expect(plain).toBeLessThanOrEqual(20);
  });

  it('a small high-frequency tone does not replace the cycle that dominates the values', () => {
    for (const p of [24, 144, 400]) {
      const v = Float64Array.from(
        { length: 20_000 },
        (_, i) => Math.sin((2 * Math.PI * i) / p) + 0.1 * Math.cos(i * 7.3),
      );
      expect(Math.abs(robustPeriod(v) - p)).toBeLessThanOrEqual(0.02 * p);
    }
  });

  it('property: a noisy cycle of two harmonics: robustPeriod within 5 % of the period', () => {
    fc.assert(
      fc.property(fc.integer({ min: 20, max: 500 }), fc.integer({ min: 1, max: 1000 }), (p, seed) => {
        const rnd = noiseGen(seed);
        const n = 15 * p + 300;
        const v = Float64Array.from(
          { length: n },
          (_, i) => Math.sin((2 * Math.PI * i) / p) + 0.5 * Math.sin((4 * Math.PI * i) / p + 1) + 0.4 * rnd(),
        );
        expect(Math.abs(robustPeriod(v) - p)).toBeLessThanOrEqual(0.05 * p);
      }),
      { numRuns: 12 },
    );
  });
});

describe("DiscordDetector on a short training part (periodMethod: 'checked')", () => {
  /** Six days of a noisy daily cycle at 10-minute steps (144 points a day), a slow walk under it. */
  function sixDays(seed: number, noise: number): Float64Array {
    const rnd = noiseGen(seed);
    let walk = 0;
    return Float64Array.from({ length: 900 }, (_, i) => {
      walk += 0.05 * rnd();
      return Math.sin((2 * Math.PI * i) / 144) + noise * rnd() + walk;
    });
  }

  it('six days of a daily cycle: checkedPeriod finds the day on every series; robustPeriod, whose unverifiable widest-band candidate sets the bar, on none', () => {
    let checked = 0;
    let robust = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const v = sixDays(seed, 0.6 + 0.03 * seed);
      if (Math.abs(checkedPeriod(v) - 144) <= 7) checked++;
      if (robustPeriod(v) !== 0) robust++;
    }
    expect(checked).toBe(20);
    expect(robust).toBe(0);
  });

  it('property: with eight or more cycles checkedPeriod agrees with robustPeriod', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 10, max: 600 }),
        fc.integer({ min: 8, max: 30 }),
        fc.integer({ min: 1, max: 1000 }),
        (p, cycles, seed) => {
          const rnd = noiseGen(seed);
          const v = Float64Array.from(
            { length: p * cycles + 200 },
            (_, i) =>
              Math.sin((2 * Math.PI * i) / p) + 0.5 * Math.sin((4 * Math.PI * i) / p + 1) + 0.4 * rnd(),
          );
          const c = checkedPeriod(v);
          expect(c).toBe(robustPeriod(v));
          expect(Math.abs(c - p)).toBeLessThanOrEqual(0.05 * p);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('property: checkedPeriod answers for the values it is given, whatever it was asked before (its last answer is reused only for the same values)', () => {
    const cycle = (p: number, n: number, seed: number): Float64Array => {
      const rnd = noiseGen(seed);
      return Float64Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * i) / p) + 0.3 * rnd());
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 12, max: 200 }),
        fc.integer({ min: 12, max: 200 }),
        fc.integer({ min: 1, max: 1000 }),
        (pa, pb, seed) => {
          fc.pre(Math.abs(pa - pb) > 0.1 * Math.max(pa, pb));
          const n = 10 * Math.max(pa, pb);
          const a = cycle(pa, n, seed);
          const b = cycle(pb, n, seed + 1);
          // b's answer with a call on other values before it, then right after a's (same length)
          checkedPeriod(cycle(7, 300, seed));
          const fresh = checkedPeriod(b);
          const pA = checkedPeriod(a);
          expect(Math.abs(pA - pa)).toBeLessThanOrEqual(0.05 * pa);
          expect(checkedPeriod(b)).toBe(fresh);
          // a's values with its second half replaced by b's: not a's answer
          const mixed = a.slice();
          mixed.set(b.subarray(n >> 1), n >> 1);
          checkedPeriod(cycle(7, 300, seed));
          const mixedFresh = checkedPeriod(mixed);
          checkedPeriod(a);
          expect(checkedPeriod(mixed)).toBe(mixedFresh);
          // the same values in another array (a copy, or the tail of a longer one): the same answer
          expect(checkedPeriod(Float64Array.from(b))).toBe(fresh);
          const longer = new Float64Array(n + 5);
          longer.set(b, 5);
          expect(checkedPeriod(longer.subarray(5))).toBe(fresh);
          expect(fresh).toBe(checkedPeriod(b, 2000, 0.3, 0.9, 0.7, n));
          // the caller's own array changed in place after a call: answered for its new values
          const reused = a.slice();
          expect(checkedPeriod(reused)).toBe(pA);
          reused.set(b);
          expect(checkedPeriod(reused)).toBe(fresh);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('random walks: no period on at least 45 of 50 (the repeat check still rejects band-passed noise)', () => {
    let none = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const rnd = noiseGen(seed);
      let w = 0;
      const v = Float64Array.from({ length: 500 + ((seed * 97) % 5000) }, () => {
        w += rnd();
        return w;
      });
      if (checkedPeriod(v) === 0) none++;
    }
    expect(none).toBeGreaterThanOrEqual(45);
  });

  it("the detector takes its lengths and whole-cycle length from the day with 'checked' (the default), falls back to 32 points with 'robust', and a changed day is located", () => {
    const n = 3000;
    const t = Float64Array.from({ length: n }, (_, i) => T0 + i * 600_000);
    const rnd = noiseGen(7);
    let walk = 0;
    // the series of the test above; from point 2,000 one day runs at twice the frequency
    const v = Float64Array.from({ length: n }, (_, i) => {
      const f = i >= 2000 && i < 2144 ? 2 : 1;
      walk += 0.05 * rnd();
      return Math.sin((2 * Math.PI * f * i) / 144) + 0.8 * rnd() + walk;
    });
    const checked = streamScores({}, t, v, 900);
    const robust = streamScores({ periodMethod: 'robust' }, t, v, 900);
    expect(checked.detector.cycleLength).not.toBeNull();
    expect(robust.detector.cycleLength).toBeNull();
    // the fallback lengths (¼, ½, 1 × 32 points in blocks) against the day's (shrunk to 96 points)
    expect(Math.max(...checked.detector.lengths) * checked.detector.block).toBeGreaterThan(
      Math.max(...robust.detector.lengths) * robust.detector.block,
    );
    expect(checked.best).toBeGreaterThanOrEqual(2000 - 100);
    expect(checked.best).toBeLessThanOrEqual(2143 + 100);
  });
});

describe('DiscordDetector compares whole cycles of a long period (periodLength)', () => {
  /** A valve-like cycle: on for 35 % of an 800-point period, then at rest; one actuation missing. */
  function valve() {
    const p = 800;
    const n = 24 * p;
    const rnd = noiseGen(11);
    const a = 17 * p;
    const t = Float64Array.from({ length: n }, (_, i) => T0 + i * STEP);
    const v = Float64Array.from({ length: n }, (_, i) => {
      const u = (i % p) / p;
      const on =
        i >= a && i < a + p ? 0 : 1 / (1 + Math.exp(-80 * (u - 0.1))) / (1 + Math.exp(80 * (u - 0.45)));
      return on + 0.01 * rnd();
    });
    return { t, v, a, p, cut: Math.floor(0.3 * n) };
  }

  it('a missing actuation (a rest longer than any seen) is located with the whole-cycle length', () => {
    const { t, v, a, p, cut } = valve();
    const r = streamScores({}, t, v, cut);
    expect(r.best).toBeGreaterThanOrEqual(a - 100);
    expect(r.best).toBeLessThanOrEqual(a + p + 100);
  });

  it('without it (lengths capped at 96 points, all inside one rest) the same anomaly is not located', () => {
    const { t, v, a, p, cut } = valve();
    const r = streamScores({ periodLength: null }, t, v, cut);
    expect(r.best < a - 100 || r.best > a + p + 100).toBe(true);
  });
});
