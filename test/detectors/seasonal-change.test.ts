import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFloats, loadModel, Rng, SeasonalChangeDetector } from '../../src/detectors/index.js';
import { ModelFormatError } from '../../src/index.js';
import {
  gaussOne,
  gridStep,
  RECIPES,
  SEASONAL_CHANGE_DEFAULTS,
  SeasonalChangeCore,
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

describe('SeasonalChangeCore', () => {
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

  it('scores the quantile of the window it saves, sorted afresh, through gaps and repeats (property)', () => {
    // the oracle sorts the saved window of |r| (state().win) at every point; the core keeps a sorted
    // copy up to date by moving values (its own bookkeeping is not what is checked)
    // a 15-minute grid: a window of 96, so values move both by hand and with copyWithin
    const s = series({ stepMin: 15, n: 96 * 4, seed: 4 });
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 1, max: 30 }),
            fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), fc.constantFrom(40, 50, 60)),
          ),
          { minLength: 1, maxLength: 300 },
        ),
        fc.constantFrom(0.5, 0.25, 0.9),
        (steps, quantile) => {
          const core = new SeasonalChangeCore({ ...SEASONAL_CHANGE_DEFAULTS, quantile });
          core.fit(s.t.subarray(0, 96 * 3), s.v.subarray(0, 96 * 3));
          let t = s.t[96 * 3 - 1];
          for (const [k, v] of steps) {
            t += (k > 25 ? k - 24 : 1) * 900_000;
            const score = core.scoreRow(t, v);
            const st = core.state() as { win: unknown };
            const win = Array.from(decodeFloats(st.win, 'win')).filter((x) => !Number.isNaN(x));
            const sorted = Float64Array.from(win).sort();
            const n = sorted.length;
            let want = 0;
            if (n * 2 >= core.window) {
              const q = quantile * (n - 1);
              const lo = Math.floor(q);
              const hi = Math.min(n - 1, lo + 1);
              want = (sorted[lo] + (q - lo) * (sorted[hi] - sorted[lo])) * core.scaleFactor;
            }
            expect(score).toBe(want);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('SeasonalChangeDetector', () => {
  const s = series({ stepMin: 30, n: 1500, at: 1000, len: 120, factor: 2.5, seed: 5 });
  const train = { t: s.t.subarray(0, 500), v: s.v.subarray(0, 500) };
  const test = { t: s.t.subarray(500), v: s.v.subarray(500) };

  it('scores what the core scores, training points included, and score() runs on a copy', () => {
    // train() returns the alarm rule's output unless the rule is off (a member's case)
    const d = new SeasonalChangeDetector({ enableThreshold: false });
    const tr = d.train(train).v;
    const core = new SeasonalChangeCore();
    const own = core.fit(train.t, train.v);
    expect(Array.from(tr)).toEqual(Array.from(own));
    // its own training scores: 0 only until r is defined (a period and a lag) on half a window
    const first = core.period + core.lag + core.window / 2;
    expect(tr.subarray(0, first - 1).every((x) => x === 0)).toBe(true);
    expect(tr.subarray(first).every((x) => x > 0)).toBe(true);
    const a = d.score(test).v;
    const b = d.score(test).v;
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(a)).toEqual(Array.from(test.t, (t, i) => core.scoreRow(t, test.v[i])));
    const st = d.stream();
    const c = Array.from(test.t, (t, i) => st.push(t, test.v[i]).score);
    expect(c).toEqual(Array.from(a));
    expect(max(a)).toBeGreaterThan(3);
  });

  it('with floor 3 its training scores are 0 or at least 3 as well', () => {
    const d = new SeasonalChangeDetector({ floor: 3, enableThreshold: false });
    const full = new SeasonalChangeDetector({ enableThreshold: false }).train(train).v;
    const tr = d.train(train).v;
    for (let i = 0; i < tr.length; i++) expect(tr[i]).toBe(full[i] >= 3 ? full[i] : 0);
  });

  it('its model file reloads and streams bit for bit, mid-stream included', () => {
    const d = new SeasonalChangeDetector();
    d.train(train);
    const st = d.stream();
    const half = 400;
    for (let i = 0; i < half; i++) st.push(test.t[i], test.v[i]);
    const json = JSON.parse(JSON.stringify(st.toJSON()));
    const re = loadModel(json);
    expect(re).toBeInstanceOf(SeasonalChangeDetector);
    const st2 = re.stream();
    for (let i = half; i < test.t.length; i++) {
      const x = st.push(test.t[i], test.v[i]).score;
      const y = st2.push(test.t[i], test.v[i]).score;
      if (!Object.is(x, y)) expect.fail(`point ${i}: ${x} against ${y}`);
    }
  });

  it('an off member saves why and stores no values', () => {
    const d = new SeasonalChangeDetector();
    d.train({ t: s.t.subarray(0, 60), v: s.v.subarray(0, 60) });
    const state = (d.toJSON().state as { model: { off: string; vals: unknown[] } }).model;
    expect(state.off).not.toBe('');
    expect(state.vals).toEqual([]);
    expect(max(loadModel(JSON.parse(JSON.stringify(d.toJSON()))).score(test).v)).toBe(0);
  });

  it('refuses model files whose rings do not fit the period, or whose slots are out of place', () => {
    const d = new SeasonalChangeDetector();
    d.train(train);
    const good = JSON.parse(JSON.stringify(d.toJSON()));
    const bad = (edit: (m: Record<string, unknown[] | string>) => void) => {
      const j = structuredClone(good);
      edit(j.state.model);
      return () => loadModel(j);
    };
    expect(bad((m) => (m.vals as unknown[]).pop())).toThrow(ModelFormatError);
    expect(bad((m) => (m.win as unknown[]).push(1))).toThrow(/window of/);
    expect(bad((m) => ((m.slots as unknown[])[0] = 7))).toThrow(/slots\[0\]/);
    expect(bad((m) => ((m.num as unknown[])[1] = 0))).toThrow(/lag/);
    expect(bad((m) => (m.off = 'no period'))).toThrow(ModelFormatError);
    expect(bad((m) => ((m.win as unknown[])[0] = -1))).toThrow(/win\[0\]/);
  });

  it('refuses to score before training', () => {
    expect(() => new SeasonalChangeDetector().score({ t: [1, 2], v: [1, 2] })).toThrow(/train\(\)/);
  });

  it('round 10 recipes are registered with the online mapping', () => {
    expect(RECIPES.defaultSeasonal.mapping).toBe('online');
    expect(RECIPES.defaultSeasonalAlarm.mapping).toBe('online');
  });
});
