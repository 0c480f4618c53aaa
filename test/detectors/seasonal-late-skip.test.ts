import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultDetector, loadModel, SeasonalChangeDetector } from '../../src/detectors/index.js';
import { ConfigError, ModelFormatError } from '../../src/index.js';
import {
  RECIPES,
  SEASONAL_CHANGE_DEFAULTS,
  SEASONAL_LATE_DEFAULTS,
  type SeasonalChangeSettings,
} from '../../src/internal.js';
import { lateSeries, streamLateCore } from './seasonal-late-stream.js';

// Round 15a of docs/evaluation.md: a member armed late stops comparing with the periods it has flagged
// (`late.lookback`). A 5-minute series with a daily cycle (288 points): the 450-point training part shows
// no period, the stream shows one after three days; on [at, at + len) the cycle runs `factor` × as fast
// (and stays shifted after, as the synthetic corpora's frequency changes do) or, with `flat`, the values
// hold the level while the cycle runs on underneath (it comes back in phase, as NAB's art_daily_flatmiddle).

const P = 288;

const series = lateSeries;

const late = (lookback?: number, lookbackRule?: 'clean' | 'either'): SeasonalChangeSettings => ({
  ...SEASONAL_CHANGE_DEFAULTS,
  floor: 0,
  late:
    lookback === undefined ? SEASONAL_LATE_DEFAULTS : { ...SEASONAL_LATE_DEFAULTS, lookback, lookbackRule },
});

const stream = streamLateCore;

/** Points at or above the alarm level 3 in [a, b). */
const alarms = (x: Float64Array, a: number, b: number) => x.subarray(a, b).filter((y) => y >= 3).length;

describe('SeasonalChangeCore, late arming that skips the periods it flagged (round 15a)', () => {
  it('absent and 0 are the member of rounds 12a/13a bit for bit', () => {
    const s = series(3000, { at: 2000, len: 150, factor: 2.5, noise: 0.05 });
    const a = stream(s, 450, late());
    expect(a.armedAt).toBeGreaterThan(0);
    expect(Array.from(stream(s, 450, late(0)).out)).toEqual(Array.from(a.out));
    expect(a.core.state()).not.toHaveProperty('skip');
  });

  it('is the same member up to its first alarm (no flag before it), then never flags without an alarm', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: 0.01, max: 2, noNaN: true }),
        fc.double({ min: 0.4, max: 3, noNaN: true }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom('clean' as const, 'either' as const),
        fc.boolean(),
        (seed, noise, factor, lookback, rule, flat) => {
          const s = series(1800, { seed, noise, at: 1250, len: 150, factor, flat });
          const a = stream(s, 450, late());
          const b = stream(s, 450, late(lookback, rule));
          expect(b.armedAt).toBe(a.armedAt);
          expect(b.core.scaleFactor).toBe(a.core.scaleFactor);
          let i = 0;
          while (i < s.t.length && a.out[i] < 3) {
            expect(b.out[i]).toBe(a.out[i]);
            i++;
          }
          if (i < s.t.length) expect(b.out[i]).toBe(a.out[i]);
          const st = b.core.state() as { skip?: { flags: number[] } };
          expect(st.skip?.flags.length).toBe((2 + lookback) * P + P / 4 + 1);
          // flags only where some point scored 3 or more
          if (alarms(b.out, 0, s.t.length) === 0) expect(st.skip?.flags.every((f) => f === 0)).toBe(true);
          // `either` keeps the smaller |r| of two comparisons, one of them round 12a's: never a higher score
          if (rule === 'either')
            for (let k = 0; k < s.t.length; k++) expect(b.out[k]).toBeLessThanOrEqual(a.out[k]);
        },
      ),
      { numRuns: 20 },
    );
  });

  const first = (x: Float64Array) => x.findIndex((y) => y >= 3);

  it('on a near-noiseless cycle that comes back in phase, the periods after a flagged stretch stop alarming', () => {
    const at = 1600;
    const len = 150;
    const s = series(3000, { at, len, flat: true, noise: 0.05 });
    const a = stream(s, 450, late());
    expect(a.armedAt).toBeLessThan(at - 2 * P);
    // a period and two after the stretch (its own window gone): round 12a's member alarms again
    const after = at + len + P;
    expect(alarms(a.out, after, s.t.length)).toBeGreaterThan(20);
    for (const rule of ['clean', 'either'] as const) {
      const b = stream(s, 450, late(2, rule));
      // during the stretch: the same first alarm
      expect(first(b.out)).toBe(first(a.out));
      expect(first(a.out)).toBeGreaterThanOrEqual(at);
      expect(first(a.out)).toBeLessThan(at + len);
      expect(alarms(b.out, after, s.t.length)).toBe(0);
    }
  });

  it('after a cycle that stays shifted, `clean` alarms longer than round 12a and `either` no longer', () => {
    const at = 1600;
    const s = series(3000, { at, len: 150, factor: 2.5, noise: 0.05 });
    const a = stream(s, 450, late());
    const clean = stream(s, 450, late(2, 'clean'));
    const either = stream(s, 450, late(2, 'either'));
    expect(first(clean.out)).toBe(first(a.out));
    expect(first(either.out)).toBe(first(a.out));
    const after = at + 150 + P;
    // the unflagged periods are the old phase: `clean` keeps comparing with them until the lookback runs out
    expect(alarms(clean.out, after, s.t.length)).toBeGreaterThan(alarms(a.out, after, s.t.length));
    expect(alarms(either.out, after, s.t.length)).toBeLessThanOrEqual(alarms(a.out, after, s.t.length));
  });
});

describe('SeasonalChangeDetector, late.lookback', () => {
  it('refuses a negative, fractional or too large lookback with a ConfigError naming the field', () => {
    for (const lookback of [-1, 1.5, 11]) {
      expect(() => new SeasonalChangeDetector({ late: { lookback } })).toThrow(ConfigError);
      expect(() => new SeasonalChangeDetector({ late: { lookback } })).toThrow(/lookback/);
    }
    // (a rule outside the two, as a config file could hold it)
    const rule = 'both' as unknown as 'clean';
    expect(() => new SeasonalChangeDetector({ late: { lookback: 2, lookbackRule: rule } })).toThrow(
      /lookbackRule/,
    );
    expect(() => new SeasonalChangeDetector({ late: { lookback: 2 } })).not.toThrow();
  });

  it('a model with flags reloads and streams bit for bit; without the setting a model with flags is refused', () => {
    const s = series(3000, { seed: 4, at: 1600, len: 150, flat: true, noise: 0.05 });
    const train = { t: s.t.subarray(0, 450), v: s.v.subarray(0, 450) };
    const d = new SeasonalChangeDetector({
      floor: 3,
      late: { lookback: 2, lookbackRule: 'either' },
      enableThreshold: false,
    });
    d.train(train);
    const st = d.stream();
    for (let i = 450; i < 1900; i++) st.push(s.t[i], s.v[i]);
    const json = JSON.parse(JSON.stringify(st.toJSON()));
    const text = JSON.stringify(json);
    expect(text).toContain('"skip"');
    expect(text).toMatch(/"flags":\[[^\]]*1/);
    const st2 = loadModel(json).stream();
    for (let i = 1900; i < s.t.length; i++)
      expect(st2.push(s.t[i], s.v[i]).score).toBe(st.push(s.t[i], s.v[i]).score);
    // the same state under a config without a lookback
    const bad = JSON.parse(text.replace(/"lookback":2,?/, '').replace(/,}/g, '}'));
    expect(() => loadModel(bad)).toThrow(ModelFormatError);
    expect(() => loadModel(bad)).toThrow(/lookback/);
  });

  it("today's default and a config without it write no such field", () => {
    expect(JSON.stringify(defaultDetector().toJSON())).not.toMatch(/lookback|"skip"/);
    const d = new SeasonalChangeDetector({ floor: 3, late: {} });
    expect(JSON.stringify(d.toJSON())).not.toContain('lookback');
  });
});

describe('recipe defaultSeasonalLate15 (round 15a)', () => {
  it("is the default of its round (before round 17) with round 13a's floor and a lookback of 2 by the `either` rule, online mapping", () => {
    expect(RECIPES.defaultSeasonalLate15.mapping).toBe('online');
    const a = JSON.stringify(RECIPES.defaultSeasonalLate15.build({ seed: 0 }).toJSON());
    const b = JSON.stringify(
      defaultDetector({
        threshold: { strongThreshold: 5.5, countPoints: undefined },
        drift: false,
        seasonal: { late: { refFloor: 0.1, lookback: 2, lookbackRule: 'either' } },
      }).toJSON(),
    );
    expect(a).toBe(b);
    expect(a).toContain('"lookback":2');
  });
});
