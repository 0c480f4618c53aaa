/**
 * Round 22 of docs/evaluation.md: `AggregateAlarms.relaxByCount`. Merlion's relaxed requirement lets one raw
 * alarm fire alone while the 60-minute window holds fewer than two earlier points, which at steps of an
 * hour or more is every point; with `relaxByCount` the earlier points of the whole counting window
 * (`countPoints`) count, so a lone raw alarm fires only at the start of the stream.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AggregateAlarms } from '../../src/detectors/index.js';
import { ConfigError, defaultDetector } from '../../src/index.js';
import { makeDetector } from '../../src/internal.js';
import { alarms, series, timesFromSteps } from './alarm-rule-stream.js';

describe('AggregateAlarms relaxByCount (round 22)', () => {
  it('at a 60-minute step a lone raw alarm no longer fires alone; a second within the counting window fires', () => {
    const lone = series(40, 60, { 20: 4 });
    expect(alarms({ countPoints: 8 }, lone.t, lone.s).indexOf(1)).toBe(20);
    expect(alarms({ countPoints: 8, relaxByCount: true }, lone.t, lone.s).indexOf(1)).toBe(-1);
    const pair = series(40, 60, { 20: 4, 25: 3.2 });
    const a = alarms({ countPoints: 8, relaxByCount: true }, pair.t, pair.s);
    expect(a.indexOf(1)).toBe(25);
    expect(a.reduce((x, y) => x + y, 0)).toBe(1);
  });

  it('keeps the relaxed requirement at the start of the stream and the strong path', () => {
    const start = series(40, 60, { 0: 4 });
    expect(alarms({ countPoints: 8, relaxByCount: true }, start.t, start.s).indexOf(1)).toBe(0);
    const strong = series(40, 120, { 20: 5 });
    expect(
      alarms({ countPoints: 8, relaxByCount: true, strongThreshold: 4.5 }, strong.t, strong.s).indexOf(1),
    ).toBe(20);
  });

  it('refuses a relaxByCount that is not a boolean, naming it', () => {
    expect(() => new AggregateAlarms({ relaxByCount: 'yes' as unknown as boolean })).toThrow(ConfigError);
    expect(() => new AggregateAlarms({ relaxByCount: 1 as unknown as boolean })).toThrow(/relaxByCount/);
  });

  it('property: without suppression it only removes alarms, changes nothing without countPoints or while the minutes window holds two points', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -8, max: 8, noNaN: true }), { minLength: 1, maxLength: 120 }),
        fc.array(fc.integer({ min: 1, max: 180 }), { minLength: 120, maxLength: 120 }),
        fc.constantFrom(2, 3, 6, 8, 12),
        fc.constantFrom(undefined, 4.5),
        (s, steps, k, strong) => {
          const t = timesFromSteps(steps, s.length);
          const base = { almSuppressMinutes: 0, strongThreshold: strong };
          const counted = alarms({ ...base, countPoints: k }, t, s);
          const relaxed = alarms({ ...base, countPoints: k, relaxByCount: true }, t, s);
          for (let i = 0; i < s.length; i++) if (relaxed[i] === 1) expect(counted[i]).toBe(1);
          expect(alarms({ ...base, relaxByCount: true }, t, s)).toEqual(alarms(base, t, s));
          // a 30-minute step: the 60-minute window holds two earlier points from the third on
          const st = series(s.length, 30, {});
          expect(alarms({ ...base, countPoints: k, relaxByCount: true }, st.t, s)).toEqual(
            alarms({ ...base, countPoints: k }, st.t, s),
          );
        },
      ),
    );
  });

  it('lab recipe defaultRelax22 is the default with relaxByCount; the default has it not', () => {
    const cfg = (d: { config: unknown }) => (d.config as { threshold: Record<string, unknown> }).threshold;
    expect(cfg(defaultDetector()).relaxByCount).toBeUndefined();
    expect(cfg(makeDetector('defaultRelax22'))).toEqual({ ...cfg(defaultDetector()), relaxByCount: true });
  });
});
