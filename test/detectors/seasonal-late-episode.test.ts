import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SEASONAL_LATE,
  defaultDetector,
  loadModel,
  SeasonalChangeDetector,
} from '../../src/detectors/index.js';
import { ConfigError, ModelFormatError } from '../../src/index.js';
import {
  RECIPES,
  SEASONAL_CHANGE_DEFAULTS,
  SEASONAL_LATE_DEFAULTS,
  SeasonalChangeCore,
  type SeasonalChangeSettings,
} from '../../src/internal.js';
import { lateSeries, streamLateCore } from './seasonal-late-stream.js';

// Round 21a of docs/evaluation.md: a member armed late reports a changed cycle in alarm episodes
// (`late.refractory`, `late.burst`): after a score at the alarm level opens an episode, only its first
// `burst` points keep their scores for `refractory` points. A 5-minute series with a daily cycle (288
// points): the 450-point training part shows no period, the stream shows one after three days.

const P = 288;

const late = (refractory?: number, burst?: number): SeasonalChangeSettings => ({
  ...SEASONAL_CHANGE_DEFAULTS,
  floor: 0,
  late: refractory === undefined ? SEASONAL_LATE_DEFAULTS : { ...SEASONAL_LATE_DEFAULTS, refractory, burst },
});

/** Points at or above the alarm level 3 in [a, b). */
const alarms = (x: Float64Array, a: number, b: number) => x.subarray(a, b).filter((y) => y >= 3).length;

describe('SeasonalChangeCore, alarm episodes of a member armed late (round 21a)', () => {
  it('absent and 0 are the member of round 12a bit for bit, and write no episode', () => {
    const s = lateSeries(3000, { at: 2000, len: 150, factor: 2.5, noise: 0.05 });
    const a = streamLateCore(s, 450, late());
    expect(a.armedAt).toBeGreaterThan(0);
    expect(alarms(a.out, 2000, 3000)).toBeGreaterThan(10);
    expect(Array.from(streamLateCore(s, 450, late(0, 1)).out)).toEqual(Array.from(a.out));
    expect(a.core.state()).not.toHaveProperty('ep');
  });

  it('keeps each point’s score or sets it to 0; at most `burst` alarm-level points in any `refractory` in a row; the same first alarm', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: 0.01, max: 2, noNaN: true }),
        fc.double({ min: 0.4, max: 3, noNaN: true }),
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        (seed, noise, factor, refractory, burst0, flat) => {
          const burst = Math.min(burst0, refractory);
          const s = lateSeries(1800, { seed, noise, at: 1250, len: 150, factor, flat });
          const a = streamLateCore(s, 450, late());
          const b = streamLateCore(s, 450, late(refractory, burst));
          expect(b.armedAt).toBe(a.armedAt);
          for (let i = 0; i < s.t.length; i++) expect([a.out[i], 0]).toContain(b.out[i]);
          expect(b.out.findIndex((y) => y >= 3)).toBe(a.out.findIndex((y) => y >= 3));
          for (let i = 0; i + refractory <= s.t.length; i++)
            expect(alarms(b.out, i, i + refractory)).toBeLessThanOrEqual(burst);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('on a near-noiseless flattened stretch, a period-long episode keeps 2 alarm-level points of the dozens', () => {
    const at = 1600;
    const s = lateSeries(3000, { at, len: 150, flat: true, noise: 0.05 });
    const a = streamLateCore(s, 450, late());
    const b = streamLateCore(s, 450, late(P, 2));
    expect(alarms(a.out, at, s.t.length)).toBeGreaterThan(40);
    expect(alarms(b.out, at, at + P)).toBe(2);
  });

  it('a member on from training is unchanged by the setting (it applies to a member armed late only)', () => {
    const s = lateSeries(3000, { at: 2000, len: 150, factor: 2.5, noise: 0.05 });
    const a = streamLateCore(s, 1200, late(), true);
    const b = streamLateCore(s, 1200, late(P, 2), true);
    expect(a.armedAt).toBe(1199);
    expect(alarms(a.out, 2000, 3000)).toBeGreaterThan(2);
    expect(Array.from(b.out)).toEqual(Array.from(a.out));
    expect(b.core.state()).not.toHaveProperty('ep');
  });
});

describe('SeasonalChangeDetector, late.refractory and late.burst', () => {
  it('refuses a bad refractory or burst with a ConfigError naming the field', () => {
    for (const refractory of [-1, 1.5, 2_000_000]) {
      expect(() => new SeasonalChangeDetector({ late: { refractory } })).toThrow(ConfigError);
      expect(() => new SeasonalChangeDetector({ late: { refractory } })).toThrow(/refractory/);
    }
    expect(() => new SeasonalChangeDetector({ late: { refractory: 10, burst: 0 } })).toThrow(/burst/);
    expect(() => new SeasonalChangeDetector({ late: { refractory: 10, burst: 11 } })).toThrow(/burst/);
    expect(() => new SeasonalChangeDetector({ late: { refractory: 288, burst: 2 } })).not.toThrow();
  });

  it('a model in an open episode reloads and streams bit for bit; without the setting its episode is refused', () => {
    const s = lateSeries(3000, { seed: 4, at: 1600, len: 150, flat: true, noise: 0.05 });
    const d = new SeasonalChangeDetector({
      floor: 3,
      late: { refractory: P, burst: 2 },
      enableThreshold: false,
    });
    d.train({ t: s.t.subarray(0, 450), v: s.v.subarray(0, 450) });
    const st = d.stream();
    // up to 10 points after the first alarm-level score (an episode open)
    let i = 450;
    let opened = -1;
    for (; i < s.t.length && (opened < 0 || i < opened + 10); i++)
      if (st.push(s.t[i], s.v[i]).score >= 3 && opened < 0) opened = i;
    expect(opened).toBeGreaterThanOrEqual(1600);
    const text = JSON.stringify(st.toJSON());
    const ep = /"ep":(\d+)/.exec(text);
    expect(ep).not.toBeNull();
    expect(Number(ep?.[1])).toBe(9);
    const st2 = loadModel(JSON.parse(text)).stream();
    for (; i < s.t.length; i++) expect(st2.push(s.t[i], s.v[i]).score).toBe(st.push(s.t[i], s.v[i]).score);
    const bad = JSON.parse(text.replace(/"refractory":288,"burst":2,?/, '').replace(/,}/g, '}'));
    expect(() => loadModel(bad)).toThrow(ModelFormatError);
    expect(() => loadModel(bad)).toThrow(/refractory/);
    const outOfRange = JSON.parse(text.replace(/"ep":\d+/, '"ep":289'));
    expect(() => loadModel(outOfRange)).toThrow(/ep/);
  });

  it('a file of a member armed late with both a lookback and episodes must carry both skip and ep', () => {
    // a member armed late under a config with `lookback` and `refractory` writes `skip` and `ep`; a file
    // with one and not the other is not one this code writes (without `ep` it would load as a member
    // with no episodes, silently scoring every point of a changed stretch)
    const s = lateSeries(3000, { at: 1600, len: 150, flat: true, noise: 0.05 });
    const both = {
      ...SEASONAL_CHANGE_DEFAULTS,
      floor: 0,
      late: { ...SEASONAL_LATE_DEFAULTS, lookback: 2, refractory: P, burst: 2 },
    };
    const a = streamLateCore(s, 450, both);
    expect(a.armedAt).toBeGreaterThan(0);
    const st = a.core.state() as Record<string, unknown>;
    expect(st).toHaveProperty('skip');
    expect(st).toHaveProperty('ep');
    new SeasonalChangeCore(both).restore(JSON.parse(JSON.stringify(st)), 'state');
    const { ep: _ep, ...noEp } = st;
    expect(() => new SeasonalChangeCore(both).restore(noEp, 'state')).toThrow(ModelFormatError);
    expect(() => new SeasonalChangeCore(both).restore(noEp, 'state')).toThrow(/state\.ep/);
    const { skip: _skip, ...noSkip } = st;
    expect(() => new SeasonalChangeCore(both).restore(noSkip, 'state')).toThrow(/state\.skip/);
  });

  it("today's default arms late in episodes: a checkpoint inside an open episode streams on bit for bit; defaultBefore21a writes no episode", () => {
    // 450 training points of a 5-minute daily cycle show no period; the default's seasonal-change member
    // arms on the stream and opens an episode on the flattened stretch at 1600
    const s = lateSeries(3000, { at: 1600, len: 150, flat: true, noise: 0.05 });
    const train = { t: s.t.subarray(0, 450), v: s.v.subarray(0, 450) };
    // the constant the docs name is the subpath entry's, as DEFAULT_DRIFT is
    expect(DEFAULT_SEASONAL_LATE).toEqual({ refractory: 576, burst: 2 });
    const d = defaultDetector();
    d.train(train);
    const st = d.stream();
    let i = 450;
    let text = '';
    for (; i < s.t.length; i++) {
      st.push(s.t[i], s.v[i]);
      if (i < 1600) continue;
      text = JSON.stringify(st.toJSON());
      // the seasonal-change member's episode position (the level-drift member's would be "ep":n too, but
      // it is closed at 672 on this series)
      const eps = (text.match(/"ep":\d+/g) ?? []).map((x) => Number(x.slice(5)));
      if (eps.some((e) => e < DEFAULT_SEASONAL_LATE.refractory)) break;
    }
    expect(i).toBeLessThan(1800);
    i++;
    const back = loadModel(JSON.parse(text)).stream();
    for (; i < s.t.length; i++) expect(back.push(s.t[i], s.v[i]).score).toBe(st.push(s.t[i], s.v[i]).score);
    const old = defaultDetector({ seasonal: { late: undefined } });
    old.train(train);
    const os = old.stream();
    for (let j = 450; j < 1800; j++) os.push(s.t[j], s.v[j]);
    const oldText = JSON.stringify(os.toJSON());
    expect(oldText).not.toContain('maxPeriod');
    expect(oldText.match(/"ep":\d+/g) ?? []).toHaveLength(1); // the level-drift member's only
  });
});

describe('recipe defaultLate21a (round 21a)', () => {
  it("is today's default with late arming in episodes of 576 points (two days at 5 minutes), 2 kept, onlinePeak mapping", () => {
    expect(RECIPES.defaultLate21a.mapping).toBe('onlinePeak');
    const a = JSON.stringify(RECIPES.defaultLate21a.build({ seed: 0 }).toJSON());
    const b = JSON.stringify(defaultDetector({ seasonal: { late: { refractory: 576, burst: 2 } } }).toJSON());
    expect(a).toBe(b);
  });
});
