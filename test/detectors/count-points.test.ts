import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AggregateAlarms } from '../../src/detectors/index.js';
import { ConfigError, defaultDetector } from '../../src/index.js';
import { makeDetector } from '../../src/internal.js';
import { alarms, series, timesFromSteps } from './alarm-rule-stream.js';

describe('AggregateAlarms countPoints (round 17)', () => {
  it('at a 30-minute step, two raw alarms three points apart alarm only when counted over the last six points', () => {
    const { t, s } = series(40, 30, { 20: 4, 23: 4 });
    // Merlion's rule: the 60-minute window before row 23 holds rows 21 and 22, so row 20's raw alarm is gone
    expect(alarms({}, t, s).indexOf(1)).toBe(-1);
    const a = alarms({ countPoints: 6 }, t, s);
    expect(a.indexOf(1)).toBe(23);
    expect(a.reduce((x, y) => x + y, 0)).toBe(1);
  });

  it('keeps the relaxed requirement of the minutes window: at a 60-minute step one raw alarm still fires alone', () => {
    const { t, s } = series(40, 60, { 20: 4 });
    expect(alarms({}, t, s).indexOf(1)).toBe(20);
    expect(alarms({ countPoints: 6 }, t, s).indexOf(1)).toBe(20);
  });

  it('counts no further back than the minutes window when that holds more points (a 5-minute step, six points)', () => {
    const { t, s } = series(60, 5, { 20: 4, 30: 4 });
    // 50 minutes apart: inside the 60-minute window, an alarm with or without the option
    expect(alarms({}, t, s).indexOf(1)).toBe(30);
    expect(alarms({ countPoints: 6 }, t, s).indexOf(1)).toBe(30);
  });

  it('refuses a countPoints that is not a positive integer, naming it', () => {
    for (const bad of [0, -2, 1.5]) {
      expect(() => new AggregateAlarms({ countPoints: bad })).toThrow(ConfigError);
      expect(() => new AggregateAlarms({ countPoints: bad })).toThrow(/countPoints/);
    }
  });

  it('the streamer state saved mid-stream and loaded again continues as the same rule', () => {
    const { t, s } = series(60, 30, { 10: 4, 13: 3.5, 30: 4, 34: 4, 35: 4 });
    const rule = new AggregateAlarms({ countPoints: 6, almSuppressMinutes: 0 });
    const a = rule.streamer();
    const out: number[] = [];
    for (let i = 0; i < 32; i++) out.push(a.push(t[i], s[i]));
    const b = rule.streamer();
    b.load(JSON.parse(JSON.stringify(a.save())), 'state');
    for (let i = 32; i < 60; i++) expect(b.push(t[i], s[i])).toBe(a.push(t[i], s[i]));
  });

  it('property: without suppression it only adds alarms, and adds none when the minutes window already holds the points', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -8, max: 8, noNaN: true }), { minLength: 1, maxLength: 120 }),
        fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 120, maxLength: 120 }),
        fc.constantFrom(1, 2, 3, 4, 5, 6, 10, 12),
        fc.constantFrom(undefined, 5.5),
        (s, steps, k, strong) => {
          const t = timesFromSteps(steps, s.length);
          const base = { almSuppressMinutes: 0, strongThreshold: strong };
          const plain = alarms(base, t, s);
          const counted = alarms({ ...base, countPoints: k }, t, s);
          for (let i = 0; i < s.length; i++) if (plain[i] === 1) expect(counted[i]).toBe(1);
          // every step at most 60 / k minutes: the last k points lie inside the 60-minute window
          const st = series(s.length, 60 / k, {});
          const p2 = alarms(base, st.t, s);
          const c2 = alarms({ ...base, countPoints: k }, st.t, s);
          expect(c2).toEqual(p2);
        },
      ),
    );
  });

  it("the default counts over 8 points with strong alarms from 4.5 (round 17); defaultBefore17 is round 12c's rule", () => {
    const cfg = (d: { config: unknown }) => (d.config as { threshold: Record<string, unknown> }).threshold;
    expect(cfg(defaultDetector())).toMatchObject({ countPoints: 8, strongThreshold: 4.5 });
    expect(cfg(makeDetector('defaultCount17'))).toEqual(cfg(defaultDetector()));
    const before = cfg(makeDetector('defaultBefore17'));
    expect(before.strongThreshold).toBe(5.5);
    expect('countPoints' in before && before.countPoints !== undefined).toBe(false);
  });
});
