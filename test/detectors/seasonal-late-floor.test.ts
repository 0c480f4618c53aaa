import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultDetector, loadModel, SeasonalChangeDetector } from '../../src/detectors/index.js';
import { ConfigError } from '../../src/index.js';
import {
  RECIPES,
  SEASONAL_CHANGE_DEFAULTS,
  SEASONAL_LATE_DEFAULTS,
  SeasonalChangeCore,
  type SeasonalChangeSettings,
} from '../../src/internal.js';
import { lateSeries, streamLateCore } from './seasonal-late-stream.js';

// Round 13a of docs/evaluation.md: a floor on the reference late arming learns on the stream (`late.refFloor`,
// a fraction of the interquartile range of the history's values). A 5-minute series with a daily cycle
// (288 points): the 450-point training part shows no period, the stream shows one after three days.

const series = lateSeries;

const late = (refFloor?: number): SeasonalChangeSettings => ({
  ...SEASONAL_CHANGE_DEFAULTS,
  floor: 0,
  late: refFloor === undefined ? SEASONAL_LATE_DEFAULTS : { ...SEASONAL_LATE_DEFAULTS, refFloor },
});

const stream = streamLateCore;

/** The interquartile range by its definition (sorted copy, linear interpolation), written apart from the core's. */
function iqr(x: ArrayLike<number>): number {
  const s = Array.from(x).sort((a, b) => a - b);
  const at = (p: number) => {
    const h = p * (s.length - 1);
    const lo = Math.floor(h);
    return s[lo] + (h - lo) * ((s[Math.min(lo + 1, s.length - 1)] ?? s[lo]) - s[lo]);
  };
  return at(0.75) - at(0.25);
}

describe('SeasonalChangeCore, late arming with a floor on its reference (round 13a)', () => {
  it('absent and 0 are the member of round 12a bit for bit', () => {
    const s = series(3000, { at: 2200, len: 100, factor: 2.5 });
    const a = stream(s, 450, late());
    const b = stream(s, 450, late(0));
    expect(a.armedAt).toBeGreaterThan(0);
    expect(Array.from(b.out)).toEqual(Array.from(a.out));
    expect(b.core.scaleFactor).toBe(a.core.scaleFactor);
  });

  it('on a near-noiseless cycle the reference is refFloor × the IQR of the values it armed on', () => {
    const s = series(3000, { noise: 0.01, square: true });
    const a = stream(s, 450, late());
    const f = 0.05;
    const b = stream(s, 450, late(f));
    expect(b.armedAt).toBe(a.armedAt);
    // the ring holds the last (3 + 1) × 300 slots up to the arming point, all present here
    const H = (SEASONAL_LATE_DEFAULTS.minPeriods + 1) * SEASONAL_LATE_DEFAULTS.maxPeriod;
    const hist = s.v.subarray(Math.max(0, b.armedAt - H + 1), b.armedAt + 1);
    const want = 3 / (SEASONAL_CHANGE_DEFAULTS.ratio * f * iqr(hist));
    expect(b.core.scaleFactor).toBeCloseTo(want, 12);
    // the unfloored reference was far below it: the floor binds
    expect(a.core.scaleFactor).toBeGreaterThan(10 * b.core.scaleFactor);
  });

  it('a floor never raises a score, and a noisy cycle whose reference is above it is untouched', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: 0.001, max: 3, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        fc.double({ min: 0.4, max: 3, noNaN: true }),
        (seed, noise, refFloor, square, factor) => {
          const s = series(1400, { seed, noise, square, at: 1100, len: 80, factor });
          const a = stream(s, 450, late());
          const b = stream(s, 450, late(refFloor));
          expect(b.armedAt).toBe(a.armedAt);
          expect(b.core.scaleFactor).toBeLessThanOrEqual(a.core.scaleFactor);
          for (let i = 0; i < s.t.length; i++) expect(b.out[i]).toBeLessThanOrEqual(a.out[i]);
        },
      ),
      { numRuns: 25 },
    );
    // noise of sd 3 on a cycle of amplitude 10: the stream's reference is above 0.02 × IQR
    const s = series(1400, { seed: 3, noise: 3 });
    expect(Array.from(stream(s, 450, late(0.02)).out)).toEqual(Array.from(stream(s, 450, late()).out));
  });

  it('a member on from training ignores the floor (it applies to late arming only)', () => {
    const s = series(1400, { noise: 0.01 });
    const a = stream(s, 900, late());
    const b = stream(s, 900, late(0.5));
    // on from training (three days of the cycle in the training part)
    const c = new SeasonalChangeCore(late(0.5));
    c.fit(s.t.subarray(0, 900), s.v.subarray(0, 900));
    expect(c.period).toBe(288);
    expect(Array.from(b.out)).toEqual(Array.from(a.out));
  });
});

describe('SeasonalChangeDetector, late.refFloor', () => {
  it('refuses a negative, too large or non-number floor with a ConfigError naming the field', () => {
    for (const refFloor of [-0.1, 11, Number.NaN]) {
      expect(() => new SeasonalChangeDetector({ late: { refFloor } })).toThrow(ConfigError);
      expect(() => new SeasonalChangeDetector({ late: { refFloor } })).toThrow(/refFloor/);
    }
    expect(() => new SeasonalChangeDetector({ late: { refFloor: 0.05 } })).not.toThrow();
  });

  it('a config without it writes no field (model files of round 12a are what they were), and a model with it reloads bit for bit', () => {
    const s = series(2600, { seed: 6, at: 2000, len: 100, factor: 2.5, noise: 0.02 });
    const train = { t: s.t.subarray(0, 450), v: s.v.subarray(0, 450) };
    const plain = new SeasonalChangeDetector({ floor: 3, late: {} });
    plain.train(train);
    expect(
      Object.keys((plain.toJSON() as unknown as { config: { late: object } }).config.late).sort(),
    ).toEqual(['checks', 'every', 'maxPeriod', 'minPeriods']);
    const d = new SeasonalChangeDetector({ floor: 3, late: { refFloor: 0.05 }, enableThreshold: false });
    d.train(train);
    const st = d.stream();
    for (let i = 450; i < 1500; i++) st.push(s.t[i], s.v[i]);
    const st2 = loadModel(JSON.parse(JSON.stringify(st.toJSON()))).stream();
    let top = 0;
    for (let i = 1500; i < s.t.length; i++) {
      const x = st.push(s.t[i], s.v[i]).score;
      expect(st2.push(s.t[i], s.v[i]).score).toBe(x);
      top = Math.max(top, x);
    }
    // a 2.5 × faster cycle for 100 points is far above 0.05 × the cycle's spread: still found
    expect(top).toBeGreaterThan(3);
  });
});

describe('recipe defaultSeasonalLate13 (round 13a)', () => {
  it('is the default of its round (before round 17) with `seasonal: { late: { refFloor: 0.1 } }`, online mapping', () => {
    expect(RECIPES.defaultSeasonalLate13.mapping).toBe('online');
    const a = JSON.stringify(RECIPES.defaultSeasonalLate13.build({ seed: 0 }).toJSON());
    const b = JSON.stringify(
      defaultDetector({
        threshold: { strongThreshold: 5.5, countPoints: undefined },
        drift: false,
        seasonal: { late: { refFloor: 0.1 } },
      }).toJSON(),
    );
    expect(a).toBe(b);
    expect(a).toContain('"refFloor":0.1');
    expect(JSON.stringify(defaultDetector().toJSON())).not.toContain('refFloor');
  });
});
