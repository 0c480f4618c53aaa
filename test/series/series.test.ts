import { describe, expect, it } from 'vitest';
import { SeriesError, series } from '../../src/index.js';

describe('series()', () => {
  it('parses ISO strings without zone as UTC', () => {
    const ts = series(['2013-12-02 21:15:00', '2013-12-02 21:20:00'], [1, 2]);
    expect(ts.t[0]).toBe(Date.UTC(2013, 11, 2, 21, 15));
    expect(ts.t[1] - ts.t[0]).toBe(300_000);
  });
  it('rejects an empty series with a typed error', () => {
    expect(() => series([], [])).toThrow(SeriesError);
  });
});
