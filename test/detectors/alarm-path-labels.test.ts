/**
 * `alarmPaths` (bench/quiet13-diag.ts): the rule itself says which path emitted each alarm, so the labels
 * follow `countPoints` (round 17: raw alarms counted over the last 60 minutes or the last 8 points). Before,
 * the diagnostic recounted over the 60 minutes only and labelled a count-points alarm at a 30-minute step
 * as a strong one (or '?').
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AggregateAlarms,
  DEFAULT_ALARM_RULE,
  DEFAULT_COUNT_POINTS,
  DEFAULT_STRONG_THRESHOLD,
} from '../../src/detectors/index.js';
import { DetectorError } from '../../src/index.js';
import { alarmPaths } from '../../src/internal.js';

const HALF_HOUR = 30 * 60_000;
const rule = () =>
  new AggregateAlarms({
    ...DEFAULT_ALARM_RULE,
    strongThreshold: DEFAULT_STRONG_THRESHOLD,
    countPoints: DEFAULT_COUNT_POINTS,
  });
const series = (v: number[], step = HALF_HOUR) => ({
  t: Float64Array.from(v, (_, i) => i * step),
  v: Float64Array.from(v),
});

describe('alarmPaths: the rule labels its own alarms', () => {
  it('two raw alarms 4 points apart at a 30-minute step: emitted by the count over the last 8 points', () => {
    const v = [0, 0, 0, 0, 0, 0, 3.5, 0, 0, 0, 3.5, 0];
    const paths = alarmPaths(rule(), series(v));
    // the 60-minute window holds two earlier points, neither a raw alarm: only countPoints counts both
    expect(paths[10]).toBe('count');
    expect(paths.filter((p) => p !== null)).toEqual(['count']);
  });

  it('a lone raw alarm at the strong level, and one at the start of the stream (relaxed)', () => {
    const paths = alarmPaths(rule(), series([3.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4.6]));
    expect(paths[0]).toBe('relaxed');
    expect(paths[12]).toBe('strong');
  });

  it('alarms exactly where the rule emits them, for any scores and steps', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -6, max: 6, noNaN: true }), { minLength: 1, maxLength: 80 }),
        fc.constantFrom(60_000, 5 * 60_000, HALF_HOUR, 60 * 60_000),
        (v, step) => {
          const ts = series(v, step);
          const paths = alarmPaths(rule(), ts);
          const emitted = rule().apply(ts).v;
          expect(paths.map((p) => p !== null)).toEqual(Array.from(emitted, (x) => x !== 0));
        },
      ),
      { numRuns: 300, seed: 18 },
    );
  });

  it("a rule whose streamer() is not the rule's own (a subclass overriding it) is refused, not labelled with nothing", () => {
    class Plain extends AggregateAlarms {
      override streamer() {
        const inner = super.streamer();
        return {
          push: (t: number, s: number) => inner.push(t, s),
          save: () => inner.save(),
          load: inner.load,
        };
      }
    }
    const r = new Plain({ ...DEFAULT_ALARM_RULE, strongThreshold: DEFAULT_STRONG_THRESHOLD });
    expect(() => alarmPaths(r, series([0, 4.6]))).toThrow(DetectorError);
    expect(() => alarmPaths(r, series([0, 4.6]))).toThrow(/Plain\.streamer\(\).*AggregateAlarms/);
  });
});
