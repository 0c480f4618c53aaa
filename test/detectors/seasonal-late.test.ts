import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultDetector, loadModel, Rng, SeasonalChangeDetector } from '../../src/detectors/index.js';
import { ConfigError, ModelFormatError } from '../../src/index.js';
import {
  gaussOne,
  RECIPES,
  SEASONAL_CHANGE_DEFAULTS,
  SEASONAL_LATE_DEFAULTS,
  SeasonalChangeCore,
  type SeasonalChangeSettings,
} from '../../src/internal.js';
import { lateSeries, streamLateCore } from './seasonal-late-stream.js';

// Round 12a of docs/evaluation.md: late arming. A 5-minute series with a daily cycle (288 points): the
// 450-point training part (1.56 days) shows no period, the stream shows one after three days.

const series = lateSeries;

const LATE: SeasonalChangeSettings = { ...SEASONAL_CHANGE_DEFAULTS, floor: 3, late: SEASONAL_LATE_DEFAULTS };

/** Fits on the first `train` points, streams the rest; the index of the point at which it armed (-1: never). */
const stream = (s: { t: Float64Array; v: Float64Array }, train: number, settings = LATE) =>
  streamLateCore(s, train, settings, true);

const max = (x: Float64Array) => x.reduce((a, b) => Math.max(a, b), 0);

describe('SeasonalChangeCore, late arming', () => {
  it('arms on the stream once it spans three days, learns its scale there, then finds a faster cycle', () => {
    const s = series(3000, { at: 2200, len: 100, factor: 2.5 });
    const off = stream(s, 450, { ...LATE, late: null });
    expect(off.core.period).toBe(0);
    expect(max(off.out)).toBe(0);
    const { core, out, armedAt } = stream(s, 450);
    expect(core.period).toBe(288);
    expect(core.off).toBe('');
    // not before three whole days, and at a check (every 96 points after the training part)
    expect(armedAt + 1).toBeGreaterThanOrEqual(3 * 288);
    expect((armedAt + 1 - 450) % SEASONAL_LATE_DEFAULTS.every).toBe(0);
    // silent on the history it learnt from and at the arming point; quiet until the change
    expect(max(out.subarray(0, armedAt + 1))).toBe(0);
    expect(max(out.subarray(armedAt + 1, 2200))).toBeLessThan(3);
    expect(max(out.subarray(2200, 2500))).toBeGreaterThan(3);
  });

  it('gives up after `checks` checks on noise without a cycle, and drops its history', () => {
    const r = new Rng(9);
    const s = series(3000, { noise: 1 });
    for (let i = 0; i < s.v.length; i++) s.v[i] = 50 + gaussOne(r);
    const late = { ...SEASONAL_LATE_DEFAULTS, every: 50, checks: 5 };
    const core = new SeasonalChangeCore({ ...LATE, late });
    core.fit(s.t.subarray(0, 450), s.v.subarray(0, 450));
    expect((core.state() as { late?: unknown }).late).toBeDefined();
    for (let i = 450; i < 450 + 5 * 50; i++) expect(core.scoreRow(s.t[i], s.v[i])).toBe(0);
    expect(core.period).toBe(0);
    expect(core.off).toMatch(/after 5 checks/);
    expect((core.state() as { late?: unknown }).late).toBeUndefined();
  });

  it('never arms before `minPeriods` whole periods of history, and never at a point it scores above 0 (property)', () => {
    const s = series(2400, { seed: 2 });
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 5 }),
        fc.integer({ min: 24, max: 200 }),
        fc.integer({ min: 100, max: 700 }),
        (minPeriods, every, train) => {
          // enough checks to reach the end of the series: it must arm (5 days fit in 2,400 points)
          const late = { ...SEASONAL_LATE_DEFAULTS, minPeriods, every, checks: 10_000 };
          const { core, out, armedAt } = stream(s, train, { ...LATE, floor: 0, late });
          expect(armedAt).toBeGreaterThan(0);
          expect(core.period).toBe(288);
          expect(armedAt + 1).toBeGreaterThanOrEqual(minPeriods * 288);
          expect(max(out.subarray(0, armedAt + 1))).toBe(0);
          expect(out[armedAt + 1]).toBeGreaterThan(0);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('a checkpoint mid-stream, waiting or armed, restores to identical scores; peekRow changes nothing (property)', () => {
    const s = series(1600, { seed: 4, at: 1300, len: 80, factor: 0.4 });
    fc.assert(
      fc.property(fc.integer({ min: 450, max: 1599 }), fc.integer({ min: 24, max: 120 }), (cut, every) => {
        const settings = { ...LATE, late: { ...SEASONAL_LATE_DEFAULTS, every } };
        const a = new SeasonalChangeCore(settings);
        a.fit(s.t.subarray(0, 450), s.v.subarray(0, 450));
        for (let i = 450; i < cut; i++) {
          const peeked = a.peekRow(s.t[i], s.v[i]);
          const scored = a.scoreRow(s.t[i], s.v[i]);
          if (a.period > 0) expect(scored).toBe(peeked);
        }
        const b = new SeasonalChangeCore(settings);
        b.restore(JSON.parse(JSON.stringify(a.state())), 'state');
        const c = a.clone();
        for (let i = cut; i < 1600; i++) {
          const x = a.scoreRow(s.t[i], s.v[i]);
          expect(b.scoreRow(s.t[i], s.v[i])).toBe(x);
          expect(c.scoreRow(s.t[i], s.v[i])).toBe(x);
        }
        expect(b.state()).toEqual(a.state());
      }),
      { numRuns: 30 },
    );
  });

  it('a checkpoint while the history is still too short for a check restores too, however small `every` (property)', () => {
    // a training part shorter than minPeriods × minPeriodPoints (72) slots: with `every` below the gap,
    // a check falls due before the history can take one; the count of points since the last check
    // used to grow past `every` there, and `restore` refused the state it had written
    const s = series(1100, { seed: 3 });
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 60 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 200 }),
        (train, every, after) => {
          const settings = { ...LATE, floor: 0, late: { ...SEASONAL_LATE_DEFAULTS, every, checks: 10_000 } };
          const a = new SeasonalChangeCore(settings);
          a.fit(s.t.subarray(0, train), s.v.subarray(0, train));
          expect(a.period).toBe(0);
          const cut = train + after;
          for (let i = train; i < cut; i++) a.scoreRow(s.t[i], s.v[i]);
          const st = a.state() as { late: { num: (number | string)[] } };
          expect(Number(st.late.num[4])).toBeLessThanOrEqual(every);
          const b = new SeasonalChangeCore(settings);
          b.restore(JSON.parse(JSON.stringify(st)), 'state');
          let armed = false;
          for (let i = cut; i < s.t.length; i++) {
            const x = a.scoreRow(s.t[i], s.v[i]);
            expect(b.scoreRow(s.t[i], s.v[i])).toBe(x);
            if (a.period > 0) armed = true;
          }
          // the uninterrupted stream arms as it did before the fix: at a check, after three days
          expect(armed).toBe(true);
          expect(b.state()).toEqual(a.state());
        },
      ),
      { numRuns: 40 },
    );
  });

  it('without `late`, states are what they were (no `late` field), so older model files load as before', () => {
    const s = series(1200);
    const core = new SeasonalChangeCore({ ...SEASONAL_CHANGE_DEFAULTS, floor: 3 });
    core.fit(s.t.subarray(0, 450), s.v.subarray(0, 450));
    expect(Object.keys(core.state() as object).sort()).toEqual(['num', 'off', 'slots', 'vals', 'win']);
  });
});

describe('SeasonalChangeDetector, late arming', () => {
  const s = series(2600, { seed: 6, at: 2000, len: 100, factor: 2.5 });
  const train = { t: s.t.subarray(0, 450), v: s.v.subarray(0, 450) };
  const test = { t: s.t.subarray(450), v: s.v.subarray(450) };

  it('a model file whose waiting history has a denormal step streams finitely instead of looping (slots beyond 2^53 are not kept)', () => {
    const d = new SeasonalChangeDetector({ floor: 3, late: { every: 1 }, enableThreshold: false });
    d.train(train);
    const text = JSON.stringify(d.toJSON());
    const m = /"late":\{"num":\[([^\]]*)\]/.exec(text);
    expect(m).not.toBeNull();
    const nums = m![1].split(',');
    nums[0] = '5e-324';
    const st = loadModel(JSON.parse(text.replace(m![0], `"late":{"num":[${nums.join(',')}]`))).stream();
    for (let i = 0; i < 200; i++) expect(Number.isFinite(st.push(test.t[i], test.v[i]).score)).toBe(true);
  });

  it('streams what the core streams, and its model file reloads bit for bit while waiting and once armed', () => {
    const d = new SeasonalChangeDetector({ floor: 3, late: {}, enableThreshold: false });
    d.train(train);
    const { out } = stream(s, 450);
    for (const cut of [200, 900]) {
      const st = d.stream();
      for (let i = 0; i < cut; i++) expect(st.push(test.t[i], test.v[i]).score).toBe(out[450 + i]);
      const st2 = loadModel(JSON.parse(JSON.stringify(st.toJSON()))).stream();
      for (let i = cut; i < test.t.length; i++) {
        const x = st.push(test.t[i], test.v[i]).score;
        expect(st2.push(test.t[i], test.v[i]).score).toBe(x);
        expect(x).toBe(out[450 + i]);
      }
    }
    expect(max(out)).toBeGreaterThan(3);
  });

  it('refuses late settings that could never arm (maxPeriod below minPeriodPoints) with a ConfigError', () => {
    expect(() => new SeasonalChangeDetector({ late: { maxPeriod: 10 } })).toThrow(ConfigError);
    expect(() => new SeasonalChangeDetector({ late: { maxPeriod: 10 } })).toThrow(
      /late\.maxPeriod.*raise late\.maxPeriod or lower minPeriodPoints/,
    );
    expect(() => new SeasonalChangeDetector({ minPeriodPoints: 400, late: {} })).toThrow(ConfigError);
    expect(() => new SeasonalChangeDetector({ minPeriodPoints: 10, late: { maxPeriod: 10 } })).not.toThrow();
    // without late arming minPeriodPoints is free as before
    expect(() => new SeasonalChangeDetector({ minPeriodPoints: 400 })).not.toThrow();
  });

  it('refuses a history in a model without `late`, or one of the wrong size', () => {
    const d = new SeasonalChangeDetector({ late: {} });
    d.train(train);
    const good = JSON.parse(JSON.stringify(d.toJSON()));
    expect(good.state.model.late.hist).toHaveLength(4 * 300);
    const noLate = structuredClone(good);
    delete noLate.config.late;
    expect(() => loadModel(noLate)).toThrow(/no `late` settings/);
    const short = structuredClone(good);
    short.state.model.late.hist.pop();
    expect(() => loadModel(short)).toThrow(ModelFormatError);
    const checks = structuredClone(good);
    checks.state.model.late.num[3] = 24;
    expect(() => loadModel(checks)).toThrow(/checks < 24/);
  });

  it('the recipe defaultSeasonalLate is the default before round 12c with `seasonal: { late: {} }`, online mapping', () => {
    expect(RECIPES.defaultSeasonalLate.mapping).toBe('online');
    const a = JSON.stringify(RECIPES.defaultSeasonalLate.build({ seed: 0 }).toJSON());
    const b = JSON.stringify(
      defaultDetector({
        seasonal: { late: {} },
        etsAlone: false,
        threshold: { strongThreshold: undefined, countPoints: undefined },
        drift: false,
      }).toJSON(),
    );
    expect(a).toBe(b);
    // since round 21a the default arms late (with alarm episodes); `late: undefined` leaves it out
    expect(JSON.stringify(defaultDetector().toJSON())).toContain('maxPeriod');
    expect(JSON.stringify(defaultDetector({ seasonal: { late: undefined } }).toJSON())).not.toContain(
      'maxPeriod',
    );
  });
});
