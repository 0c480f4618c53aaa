import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromArrays, SeriesError, series } from '../../src/index.js';
import { parseTime, type SeriesWarningCode } from '../../src/series/index.js';
import { thrownBy } from '../helpers/thrown.js';

const T0 = Date.UTC(2013, 11, 2, 21, 15);
const MIN5 = 300_000;
const grid = (n: number) => Array.from({ length: n }, (_, i) => T0 + i * MIN5);

function collect(): {
  warnings: [string, SeriesWarningCode][];
  onWarning: (m: string, c: SeriesWarningCode) => void;
} {
  const warnings: [string, SeriesWarningCode][] = [];
  return { warnings, onWarning: (m, c) => warnings.push([m, c]) };
}

const thrown = (fn: () => unknown): SeriesError => thrownBy(SeriesError, fn);

describe('series()', () => {
  it('parses ISO strings without zone as UTC', () => {
    const ts = series(['2013-12-02 21:15:00', '2013-12-02 21:20:00'], [1, 2]);
    expect(ts.t[0]).toBe(Date.UTC(2013, 11, 2, 21, 15));
    expect(ts.t[1] - ts.t[0]).toBe(300_000);
  });
  it('accepts numbers, Dates and strings', () => {
    const ts = series([T0, new Date(T0 + MIN5), '2013-12-02T21:25:00Z'], [1, 2, 3]);
    expect(Array.from(ts.t)).toEqual(grid(3));
  });
});

describe('bad input: one typed error per case, naming the problem', () => {
  it('empty series', () => {
    const e = thrown(() => series([], []));
    expect(e.code).toBe('empty');
    expect(e.message).toMatch(/empty/);
  });
  it('length mismatch', () => {
    const e = thrown(() => series(grid(3), [1, 2]));
    expect(e.code).toBe('length_mismatch');
    expect(e.message).toContain('3 timestamps, 2 values');
  });
  it('timestamps or values that are not arrays', () => {
    const e = thrown(() => series(null as unknown as number[], [1]));
    expect(e.code).toBe('bad_input');
    expect(e.message).toContain('timestamps must be an array');
    expect(thrown(() => fromArrays(Float64Array.of(1), 'abc' as unknown as Float64Array)).message).toContain(
      'values must be an array',
    );
  });
  it('a NaN timestamp is shown as NaN', () => {
    const e = thrown(() => series([0, Number.NaN], [1, 2]));
    expect(e.code).toBe('bad_timestamp');
    expect(e.message).toContain('row 1: cannot parse timestamp NaN');
  });
  it('unparseable timestamp names the row and the text', () => {
    const e = thrown(() => series(['2013-12-02 21:15:00', '2013-12-02 21:20:00', 'yesterday'], [1, 2, 3]));
    expect(e.code).toBe('bad_timestamp');
    expect(e.message).toContain('row 2');
    expect(e.message).toContain('"yesterday"');
  });
  it('impossible calendar date is rejected, not rolled over', () => {
    const e = thrown(() => series(['2013-02-28 00:00:00', '2013-02-30 00:00:00'], [1, 2]));
    expect(e.message).toContain('row 1');
    expect(e.message).toContain('2013-02-30');
  });

  for (const [label, bad] of [
    ['NaN', Number.NaN],
    ['+Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
  ] as const) {
    it(`${label} value, policy 'error' (default): names row, timestamp and value`, () => {
      const e = thrown(() => series(grid(4), [1, 2, bad, 4]));
      expect(e.code).toBe('non_finite');
      expect(e.message).toContain('row 2');
      expect(e.message).toContain(String(bad));
      expect(e.message).toContain(new Date(T0 + 2 * MIN5).toISOString());
    });
    it(`${label} value, policy 'drop': the row goes, with a warning`, () => {
      const w = collect();
      const ts = series(grid(4), [1, 2, bad, 4], { nonFinite: 'drop', onWarning: w.onWarning });
      expect(Array.from(ts.t)).toEqual([T0, T0 + MIN5, T0 + 3 * MIN5]);
      expect(Array.from(ts.v)).toEqual([1, 2, 4]);
      expect(w.warnings.map((x) => x[1])).toEqual(['TSAD_NONFINITE']);
    });
    it(`${label} value, policy 'interpolate': linear in time, ends held`, () => {
      const t = [T0, T0 + MIN5, T0 + 3 * MIN5, T0 + 4 * MIN5, T0 + 5 * MIN5];
      const ts = series(t, [bad, 2, bad, 8, bad], { nonFinite: 'interpolate' });
      // row 2 (t = 3·5 min) sits 2/3 of the way in time from t = 1·5 min (2) to t = 4·5 min (8) → 6
      expect(Array.from(ts.v)).toEqual([2, 2, 6, 8, 8]);
    });
  }
  it('all values non-finite under drop is an empty-series error', () => {
    const e = thrown(() => series(grid(2), [Number.NaN, Number.NaN], { nonFinite: 'drop' }));
    expect(e.code).toBe('empty');
  });

  it('unsorted input is sorted (stable) by default, with a warning', () => {
    const w = collect();
    const ts = series([T0 + MIN5, T0, T0 + 2 * MIN5], [2, 1, 3], { onWarning: w.onWarning });
    expect(Array.from(ts.t)).toEqual(grid(3));
    expect(Array.from(ts.v)).toEqual([1, 2, 3]);
    expect(w.warnings[0][1]).toBe('TSAD_UNSORTED');
  });
  it('unsorted input with strict: true is an error naming the row and both timestamps', () => {
    const e = thrown(() => series([T0, T0 + 2 * MIN5, T0 + MIN5], [1, 2, 3], { strict: true }));
    expect(e.code).toBe('unsorted');
    expect(e.message).toContain('row 2');
    expect(e.message).toContain(new Date(T0 + MIN5).toISOString());
    expect(e.message).toContain(new Date(T0 + 2 * MIN5).toISOString());
  });

  // rows 1 and 3 share a timestamp (after sorting they are adjacent; stable order keeps 1 before 3)
  const dupT = [T0, T0 + MIN5, T0 + 2 * MIN5, T0 + MIN5];
  const dupV = [1, 5, 3, 9];
  it("duplicate timestamps, policy 'error' (series default): names both rows and the timestamp", () => {
    const e = thrown(() => series(dupT, dupV));
    expect(e.code).toBe('duplicate_timestamp');
    expect(e.message).toContain('row 1 and row 3');
    expect(e.message).toContain(new Date(T0 + MIN5).toISOString());
  });
  for (const [policy, expected] of [
    ['first', 5],
    ['last', 9],
    ['max', 9],
    ['mean', 7],
  ] as const) {
    it(`duplicate timestamps, policy '${policy}' keeps ${expected}`, () => {
      const w = collect();
      const ts = series(dupT, dupV, { duplicates: policy, onWarning: w.onWarning });
      expect(Array.from(ts.t)).toEqual(grid(3));
      expect(Array.from(ts.v)).toEqual([1, expected, 3]);
      expect(w.warnings.map((x) => x[1])).toEqual(['TSAD_UNSORTED', 'TSAD_DUPLICATES']);
      expect(w.warnings[1][0]).toContain(`'${policy}'`);
    });
  }
  it('fromArrays rejects a non-finite timestamp naming the row', () => {
    const e = thrown(() => fromArrays(Float64Array.of(1, Number.NaN), Float64Array.of(1, 2)));
    expect(e.code).toBe('bad_timestamp');
    expect(e.message).toContain('row 1');
  });
});

describe('parseTime', () => {
  it('agrees with Date on every millisecond-resolution ISO string (property)', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date(Date.UTC(1, 0, 1)),
          max: new Date(Date.UTC(9999, 11, 31)),
          noInvalidDate: true,
        }),
        fc.boolean(),
        (d, space) => {
          const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
          const s = space ? iso.slice(0, 23).replace('T', ' ') : iso;
          expect(parseTime(s)).toBe(d.getTime());
        },
      ),
    );
  });
  it('honours an explicit offset and NAB-style microseconds', () => {
    expect(parseTime('2013-12-10T06:25:00+02:00')).toBe(Date.UTC(2013, 11, 10, 4, 25));
    expect(parseTime('2013-12-10 06:25:00.000000')).toBe(Date.UTC(2013, 11, 10, 6, 25));
    expect(parseTime('2013-12-10 24:00:00')).toBeNaN();
  });
});

describe('sorting and duplicate resolution (property)', () => {
  const naive = (t: number[], v: number[], policy: 'first' | 'last') => {
    const order = t.map((_, i) => i).sort((a, b) => t[a] - t[b] || a - b);
    const outT: number[] = [];
    const outV: number[] = [];
    for (const i of order) {
      if (outT.length && outT[outT.length - 1] === t[i]) {
        if (policy === 'last') outV[outV.length - 1] = v[i];
      } else {
        outT.push(t[i]);
        outV.push(v[i]);
      }
    }
    return { t: outT, v: outV };
  };
  it('equals a stable sort followed by grouping, for nearly sorted and shuffled input', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer()), { minLength: 1, maxLength: 300 }),
        fc.constantFrom('first' as const, 'last' as const),
        (pairs, policy) => {
          const t = pairs.map((p) => p[0]);
          const v = pairs.map((p) => p[1]);
          const got = series(t, v, { duplicates: policy });
          const want = naive(t, v, policy);
          expect(Array.from(got.t)).toEqual(want.t);
          expect(Array.from(got.v)).toEqual(want.v);
        },
      ),
    );
  });
  it('a fully reversed long input takes the full-sort path and stays stable', () => {
    const n = 5000;
    const t = Array.from({ length: n }, (_, i) => Math.floor((n - 1 - i) / 2));
    const v = Array.from({ length: n }, (_, i) => i);
    const got = series(t, v, { duplicates: 'first' });
    expect(got.t.length).toBe(n / 2);
    // within each pair of equal timestamps the earlier row (smaller v) comes first
    expect(Array.from(got.v.slice(0, 3))).toEqual([n - 2, n - 4, n - 6]);
  });
});
