import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/detectors/index.js';
import {
  gaussOne,
  gridStep,
  RECIPES,
  SEASONAL_CHANGE_DEFAULTS,
  SeasonalChangeCore,
  SeasonalChangeDetector,
} from '../../src/internal.js';

const DAY = 86_400_000;

interface Plan {
  stepMin: number;
  n: number;
  /** Points from which the cycle runs `factor` times as fast, for `len` points. */
  at?: number;
  len?: number;
  factor?: number;
  /** A level step of `shift` from point `stepAt` on. */
  stepAt?: number;
  shift?: number;
  seed?: number;
}

/** A daily sine (amplitude 10) with Gaussian noise (sd 1), optionally a frequency change or a level step. */
function series(p: Plan) {
  const r = new Rng(p.seed ?? 1);
  const t = new Float64Array(p.n);
  const v = new Float64Array(p.n);
  const step = p.stepMin * 60_000;
  let phase = 0;
  for (let i = 0; i < p.n; i++) {
    t[i] = Date.UTC(2024, 0, 1) + i * step;
    const fast = p.at !== undefined && i >= p.at && i < p.at + (p.len ?? 0);
    phase += (2 * Math.PI * step * (fast ? (p.factor ?? 1) : 1)) / DAY;
    v[i] =
      50 +
      10 * Math.sin(phase) +
      gaussOne(r) +
      (p.stepAt !== undefined && i >= p.stepAt ? (p.shift ?? 0) : 0);
  }
  return { t, v };
}

/** Trains a core on the first `train` points and returns the scores of the rest. */
function run(s: { t: Float64Array; v: Float64Array }, train: number, o = {}) {
  const core = new SeasonalChangeCore({ ...SEASONAL_CHANGE_DEFAULTS, ...o });
  core.fit(s.t.subarray(0, train), s.v.subarray(0, train));
  const out = new Float64Array(s.t.length - train);
  for (let i = train; i < s.t.length; i++) out[i - train] = core.scoreRow(s.t[i], s.v[i]);
  return { core, out };
}

const max = (x: Float64Array) => x.reduce((a, b) => Math.max(a, b), 0);

describe('SeasonalChangeCore (round 10 lab member)', () => {
  it('finds the daily period on a 15-minute grid and scores a cycle running 2.5× faster above 3', () => {
    // 10 days of training (960 points), the cycle 2.5× faster for 100 points from day 14
    const s = series({ stepMin: 15, n: 2000, at: 1350, len: 100, factor: 2.5 });
    const { core, out } = run(s, 960);
    expect(core.period).toBe(96);
    expect(core.lag).toBe(24);
    expect(core.window).toBe(96);
    const before = out.subarray(0, 1350 - 960);
    const during = out.subarray(1350 - 960, 1350 - 960 + 196);
    expect(max(before)).toBeLessThan(3);
    expect(max(during)).toBeGreaterThan(3);
  });

  it('does not reach 3 on a level step of 8 noise sds (it moves at most a quarter of the window)', () => {
    const s = series({ stepMin: 15, n: 2000, stepAt: 1350, shift: 8 });
    const { core, out } = run(s, 960);
    expect(core.period).toBe(96);
    expect(max(out)).toBeLessThan(3);
  });

  it('is off (score 0) when the training part covers less than two periods', () => {
    // 1-minute steps, 450 training points: 7.5 hours of a daily cycle
    const s = series({ stepMin: 1, n: 1500, at: 900, len: 200, factor: 3 });
    const { core, out } = run(s, 450);
    expect(core.period).toBe(0);
    expect(core.off).not.toBe('');
    expect(max(out)).toBe(0);
  });

  it('is off on an irregular grid', () => {
    const s = series({ stepMin: 15, n: 1200 });
    const t = Float64Array.from(s.t, (x, i) => x + (i % 3) * 170_000);
    const core = new SeasonalChangeCore();
    core.fit(t, s.v);
    expect(gridStep(t).regular).toBe(false);
    expect(core.period).toBe(0);
  });

  it('leaves r undefined across missing rows instead of shifting the lags', () => {
    const s = series({ stepMin: 15, n: 2000 });
    // drop 40 test rows (10 hours): a lag-shifted comparison would score the cycle's own slope
    const keep = Array.from(s.t, (_, i) => i < 1300 || i >= 1340);
    const t = Float64Array.from(s.t.filter((_, i) => keep[i]));
    const v = Float64Array.from(s.v.filter((_, i) => keep[i]));
    const { out } = run({ t, v }, 960);
    expect(out.every((x) => Number.isFinite(x) && x >= 0)).toBe(true);
    expect(max(out)).toBeLessThan(3);
  });

  it('with floor 3, scores are 0 or at least 3, and equal to the unfloored ones at or above 3', () => {
    const s = series({ stepMin: 30, n: 1500, at: 1000, len: 120, factor: 0.4, seed: 7 });
    const a = run(s, 500).out;
    const b = run(s, 500, { floor: 3 }).out;
    for (let i = 0; i < a.length; i++) expect(b[i]).toBe(a[i] >= 3 ? a[i] : 0);
    expect(max(b)).toBeGreaterThan(3);
  });

  it('peekRow gives scoreRow’s number and changes nothing (property)', () => {
    const s = series({ stepMin: 60, n: 24 * 12, seed: 3 });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 4 }), fc.double({ min: 0, max: 100, noNaN: true })), {
          minLength: 1,
          maxLength: 60,
        }),
        (steps) => {
          const a = new SeasonalChangeCore();
          a.fit(s.t.subarray(0, 24 * 8), s.v.subarray(0, 24 * 8));
          const b = a.clone();
          let t = s.t[24 * 8 - 1];
          for (const [k, v] of steps) {
            t += k * 3_600_000;
            const peeked = a.peekRow(t, v);
            a.peekRow(t, v + 1);
            expect(a.scoreRow(t, v)).toBe(peeked);
            expect(b.scoreRow(t, v)).toBe(peeked);
          }
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('SeasonalChangeDetector', () => {
  it('score() runs on a copy; a stream continues from training', () => {
    const s = series({ stepMin: 30, n: 1500, at: 1000, len: 120, factor: 2.5, seed: 5 });
    const d = new SeasonalChangeDetector();
    d.train({ t: s.t.subarray(0, 500), v: s.v.subarray(0, 500) });
    const test = { t: s.t.subarray(500), v: s.v.subarray(500) };
    const a = d.score(test).v;
    const b = d.score(test).v;
    expect(Array.from(b)).toEqual(Array.from(a));
    const st = d.stream();
    const c = Array.from(test.t, (t, i) => st.push(t, test.v[i]).score);
    expect(c).toEqual(Array.from(a));
    expect(max(a)).toBeGreaterThan(3);
  });

  it('refuses to score before training', () => {
    expect(() => new SeasonalChangeDetector().score({ t: [1, 2], v: [1, 2] })).toThrow(/train\(\) first/);
  });

  it('round 10 recipes are registered with the online mapping', () => {
    expect(RECIPES.defaultSeasonal.mapping).toBe('online');
    expect(RECIPES.defaultSeasonalAlarm.mapping).toBe('online');
  });
});
