import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { labelsFromWindows, SeriesError, splitAt, type TimeSeries } from '../../src/index.js';
import { inferGranularity } from '../../src/series/index.js';

const sortedUnique = fc
  .uniqueArray(fc.integer({ min: -1e12, max: 2e12 }), { minLength: 0, maxLength: 200 })
  .map((xs) => Float64Array.from(xs.sort((a, b) => a - b)));

describe('splitAt', () => {
  it('left is t < time, right is t >= time', () => {
    const s: TimeSeries = { t: Float64Array.of(1, 2, 3, 4), v: Float64Array.of(10, 20, 30, 40) };
    const [l, r] = splitAt(s, 3);
    expect(Array.from(l.t)).toEqual([1, 2]);
    expect(Array.from(r.v)).toEqual([30, 40]);
    expect(splitAt(s, 0)[0].t.length).toBe(0);
    expect(splitAt(s, 99)[1].t.length).toBe(0);
  });
  it('accepts ISO strings and rejects garbage with a typed error', () => {
    const t0 = Date.UTC(2014, 0, 1);
    const s: TimeSeries = { t: Float64Array.of(t0, t0 + 1000), v: Float64Array.of(1, 2) };
    expect(splitAt(s, '2014-01-01 00:00:01')[1].t.length).toBe(1);
    expect(() => splitAt(s, 'soon')).toThrow(SeriesError);
  });
  it('property: the halves concatenate back to the input', () => {
    fc.assert(
      fc.property(sortedUnique, fc.integer({ min: -2e12, max: 3e12 }), (t, time) => {
        const s: TimeSeries = { t, v: t.map((x) => x * 0.5) };
        const [l, r] = splitAt(s, time);
        expect([...l.t, ...r.t]).toEqual([...t]);
        expect([...l.v, ...r.v]).toEqual([...s.v]);
        expect(l.t.every((x) => x < time)).toBe(true);
        expect(r.t.every((x) => x >= time)).toBe(true);
      }),
    );
  });
});

describe('labelsFromWindows', () => {
  it('windows are inclusive at both ends', () => {
    const t = [0, 5, 10, 15, 20, 25];
    expect(Array.from(labelsFromWindows(t, [[5, 10]]))).toEqual([0, 1, 1, 0, 0, 0]);
    expect(Array.from(labelsFromWindows(t, [[11, 14]]))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(labelsFromWindows(t, [[20, 30]]))).toEqual([0, 0, 0, 0, 1, 1]);
  });
  it('a window with end before start is an error naming it', () => {
    expect(() => labelsFromWindows([1, 2], [[3, 1]])).toThrow(/window 0/);
  });
  it('property: marks exactly the points inside some inclusive window', () => {
    fc.assert(
      fc.property(
        sortedUnique,
        fc.array(
          fc
            .tuple(fc.integer({ min: -2e12, max: 3e12 }), fc.integer({ min: 0, max: 5e11 }))
            .map(([s, d]) => [s, s + d] as const),
          { maxLength: 6 },
        ),
        (t, windows) => {
          const labels = labelsFromWindows(t, windows);
          t.forEach((x, i) => {
            expect(labels[i]).toBe(windows.some(([s, e]) => s <= x && x <= e) ? 1 : 0);
          });
        },
      ),
    );
  });
});

describe('inferGranularity', () => {
  it('regular series: the gap; two points: their difference', () => {
    expect(inferGranularity([0, 300, 600, 900])).toBe(300);
    expect(inferGranularity([10, 17])).toBe(7);
  });
  it('irregular series: the most common gap, the smallest on ties', () => {
    expect(inferGranularity([0, 5, 10, 20, 25, 35])).toBe(5);
    expect(inferGranularity([0, 5, 15, 20, 30])).toBe(5);
    expect(inferGranularity([0, 10, 15, 25, 30])).toBe(5);
  });
  it('fewer than two timestamps, or unsorted ones, are typed errors', () => {
    expect(() => inferGranularity([1])).toThrow(SeriesError);
    expect(() => inferGranularity([0, 5, 3])).toThrow(/row 2/);
  });
});
