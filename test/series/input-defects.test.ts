/**
 * Input the series layer must refuse (or read correctly) rather than surprise: one test per defect,
 * each asserting the error class and that the message names the row, value or file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fromArrays, labelsFromWindows, readCsv, resample, SeriesError, series } from '../../src/index.js';
import { parseTime, readCsvRows } from '../../src/series/index.js';
import { rejectedWith, thrownBy } from '../helpers/thrown.js';

const dir = mkdtempSync(join(tmpdir(), 'tsad-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
function file(text: string): string {
  const p = join(dir, `f${counter++}.csv`);
  writeFileSync(p, text);
  return p;
}
const quiet = { onWarning: () => {} };

const thrown = (fn: () => unknown): SeriesError => thrownBy(SeriesError, fn);
const rejects = (p: Promise<unknown>): Promise<SeriesError> => rejectedWith(SeriesError, p);

describe('one timestamp parser for readCsv and series()', () => {
  it('an impossible date with an offset is refused by both, naming the line or row and the text', async () => {
    const bad = '2013-02-30T01:00:00+01:00';
    const e1 = await rejects(readCsv(file(`timestamp,value\n2013-02-28T01:00:00+01:00,1\n${bad},2\n`)));
    expect(e1.code).toBe('bad_timestamp');
    expect(e1.message).toContain('line 3');
    expect(e1.message).toContain(bad);
    const e2 = thrown(() => series(['2013-02-28T01:00:00+01:00', bad], [1, 2]));
    expect(e2.code).toBe('bad_timestamp');
    expect(e2.message).toContain('row 1');
    expect(e2.message).toContain(bad);
  });

  it('property: readCsv and series() read every offset timestamp to the same instant', async () => {
    const stamp = fc
      .record({
        ms: fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2040, 0, 1) }),
        oh: fc.integer({ min: 0, max: 14 }),
        om: fc.constantFrom(0, 30, 45),
        neg: fc.boolean(),
        colon: fc.boolean(),
      })
      .map(({ ms, oh, om, neg, colon }) => {
        const off = (neg ? -1 : 1) * (oh * 60 + om) * 60_000;
        const local = new Date(ms + off).toISOString().slice(0, 19);
        const h = String(oh).padStart(2, '0');
        const m = String(om).padStart(2, '0');
        return { text: `${local}${neg ? '-' : '+'}${h}${colon ? ':' : ''}${m}`, ms: ms - (ms % 1000) };
      });
    await fc.assert(
      fc.asyncProperty(stamp, async ({ text, ms }) => {
        expect(parseTime(text)).toBe(ms);
        const rows = await readCsvRows(file(`timestamp,value\n${text},1\n`));
        expect(rows.t[0]).toBe(ms);
      }),
      { numRuns: 60 },
    );
  });

  it('property: over valid and impossible dates alike, readCsv and series() accept the same texts as the same instants', async () => {
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    const text = fc
      .record({
        y: fc.integer({ min: 1900, max: 2100 }),
        mo: fc.integer({ min: 0, max: 13 }),
        // the edges of months, days and hours, where lenient parsers roll over
        d: fc.constantFrom(0, 1, 15, 28, 29, 30, 31, 32),
        h: fc.constantFrom(0, 12, 23, 24),
        mi: fc.constantFrom(0, 59, 60),
        sec: fc.option(fc.integer({ min: 0, max: 61 })),
        frac: fc.option(fc.integer({ min: 0, max: 999_999 })),
        sep: fc.constantFrom(' ', 'T'),
        zone: fc.constantFrom('', 'Z', '+01:00', '-0530', '+01:00', '-0530', '+24:00', '+01:60', 'Z+01:00'),
      })
      .map(({ y, mo, d, h, mi, sec, frac, sep, zone }) => {
        let x = `${y}-${pad(mo)}-${pad(d)}${sep}${pad(h)}:${pad(mi)}`;
        if (sec !== null) x += `:${pad(sec)}${frac !== null ? `.${pad(frac, 6)}` : ''}`;
        return x + zone;
      });
    await fc.assert(
      fc.asyncProperty(text, async (x) => {
        let fromArray: number | string;
        try {
          fromArray = series([x], [1]).t[0];
        } catch (err) {
          expect(err).toBeInstanceOf(SeriesError);
          fromArray = 'refused';
        }
        let fromFile: number | string;
        try {
          fromFile = (await readCsv(file(`timestamp,value\n${x},1\n`), quiet)).t[0];
        } catch (err) {
          expect(err).toBeInstanceOf(SeriesError);
          fromFile = 'refused';
        }
        expect(fromFile).toBe(fromArray);
      }),
      { numRuns: 150 },
    );
  });
});

describe('a CSV without a header', () => {
  const body = '2013-12-02 21:15:00,1\n2013-12-02 21:20:00,2\n2013-12-02 21:25:00,3\n';

  it('is refused, naming the file and the header option, by both parsers', async () => {
    for (const text of [body, body.replace(/^([^,\n]+),/gm, '"$1",')]) {
      const p = file(text);
      const e = await rejects(readCsv(p));
      expect(e.code).toBe('missing_header');
      expect(e.message).toContain(p);
      expect(e.message).toContain('header: false');
    }
    const numeric = file('1386018900,1\n1386019200,2\n');
    const e = await rejects(readCsv(numeric, { timeUnit: 's' }));
    expect(e.code).toBe('missing_header');
    // an explicit header: true is trusted
    const years = await readCsvRows(file('2020,2021\n2013-12-02 21:15:00,5\n'), {
      header: true,
      value: '2021',
    });
    expect(Array.from(years.v)).toEqual([5]);
  });

  it('is read whole with header: false, every line a row (both parsers)', async () => {
    for (const text of [body, body.replace(/^([^,\n]+),/gm, '"$1",')]) {
      const rows = await readCsvRows(file(text), { header: false });
      expect(Array.from(rows.v)).toEqual([1, 2, 3]);
      expect(Array.from(rows.line)).toEqual([1, 2, 3]);
    }
    const swapped = await readCsv(file('7,2013-12-02 21:15:00\n8,2013-12-02 21:20:00\n'), {
      header: false,
      time: 1,
      value: 0,
    });
    expect(Array.from(swapped.v)).toEqual([7, 8]);
    const e = await rejects(readCsv(file(body), { header: false, time: 'timestamp' }));
    expect(e.code).toBe('bad_option');
    expect(e.message).toContain('column index');
  });
});

describe('line endings', () => {
  const row = fc.record({
    dt: fc.integer({ min: 1, max: 3600 }),
    v: fc.double({ noNaN: true, noDefaultInfinity: true }),
  });

  it('property: LF, CRLF and CR-only files give equal series (fast path and csv-parse path)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 40 }), fc.boolean(), async (rs, quote) => {
        let t = Date.UTC(2020, 0, 1);
        const q = quote ? '"' : '';
        const lines = ['timestamp,value'];
        for (const r of rs) {
          t += r.dt * 1000;
          lines.push(`${q}${new Date(t).toISOString()}${q},${r.v}`);
        }
        const read = async (eol: string) => readCsv(file(lines.join(eol) + eol), quiet);
        const lf = await read('\n');
        for (const eol of ['\r\n', '\r']) {
          const other = await read(eol);
          expect(other.t).toEqual(lf.t);
          expect(other.v).toEqual(lf.v);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('a CR-only file over several read chunks keeps every row and its line number', async () => {
    const n = 120_000; // ≈ 3.5 MB: several 1 MiB chunks, lines split across chunk ends
    const t0 = Date.UTC(2020, 0, 1);
    const lines = ['timestamp,value'];
    for (let i = 0; i < n; i++) lines.push(`${new Date(t0 + i * 60_000).toISOString()},${i}`);
    const cr = await readCsvRows(file(`${lines.join('\r')}\r`));
    expect(cr.t.length).toBe(n);
    expect(cr.v[n - 1]).toBe(n - 1);
    expect(cr.line[n - 1]).toBe(n + 1);
    const e = await rejects(readCsv(file(`${lines.slice(0, 5).join('\r')}\r2020-01-01,x\r`)));
    expect(e.message).toContain('line 6');
  });
});

describe('timestamps a Date cannot hold (beyond ±8.64e15 ms)', () => {
  it('series() names the row and the value', () => {
    const e = thrown(() => series([0, 9e15], [1, 2]));
    expect(e.code).toBe('bad_timestamp');
    expect(e.message).toContain('row 1');
    expect(e.message).toContain('9000000000000000');
    const e2 = thrown(() => series([-9e15, 0], [1, 2]));
    expect(e2.message).toContain('row 0');
  });
  it('readCsv names the line and the value', async () => {
    const e = await rejects(readCsv(file('t,v\n1,1\n9000000000000,2\n'), { timeUnit: 's' }));
    expect(e.message).toContain('line 3');
    expect(e.message).toContain('9000000000000000');
  });
  it('labelsFromWindows names the window end and the value', () => {
    const e = thrown(() => labelsFromWindows([1, 2, 3], [[1, 9e15]]));
    expect(e.message).toContain('window 0 end');
    expect(e.message).toContain('9000000000000000');
  });
});

describe('series() values that are not numbers', () => {
  const t = [Date.UTC(2020, 0, 1), Date.UTC(2020, 0, 2), Date.UTC(2020, 0, 3), Date.UTC(2020, 0, 4)];
  for (const [bad, shown] of [
    [null, 'null'],
    ['', '""'],
    ['0x10', '"0x10"'],
    [true, 'true'],
  ] as const) {
    it(`${shown} is refused, naming the index and the value`, () => {
      const e = thrown(() => series(t, [1, 2, bad as unknown as number, 4]));
      expect(e.code).toBe('bad_value');
      expect(e.message).toContain('row 2');
      expect(e.message).toContain(shown);
    });
  }
  it('fromArrays() given plain arrays checks the elements the same way', () => {
    const e = thrown(() =>
      fromArrays(t as unknown as Float64Array, [1, 2, '3', 4] as unknown as Float64Array),
    );
    expect(e.message).toContain('value "3" at row 2 is a string');
    const e2 = thrown(() =>
      fromArrays(['2020-01-01', 1, 2, 3] as unknown as Float64Array, Float64Array.of(1, 2, 3, 4)),
    );
    expect(e2.code).toBe('bad_timestamp');
    expect(e2.message).toContain('row 0: timestamp "2020-01-01"');
  });
  it('a BigInt64Array of values is refused naming the row, not a raw TypeError', () => {
    const e = thrown(() => series(t, BigInt64Array.of(1n, 2n, 3n, 4n) as unknown as number[]));
    expect(e.message).toContain('value 1n at row 0 is a bigint');
  });
  it('a number given as a string is reported as a string, not as "not finite"', () => {
    const e = thrown(() => series(t, [1, 2, 3, '12' as unknown as number]));
    expect(e.message).toContain(`value "12" at row 3 is a string`);
    expect(e.message).not.toContain('finite');
  });
  it('timestamps that all look like epoch seconds get an error saying to multiply by 1000', () => {
    const secs = t.map((x) => x / 1000);
    const e = thrown(() => series(secs, [1, 2, 3, 4]));
    expect(e.code).toBe('epoch_seconds');
    expect(e.message).toContain('multiply them by 1000');
    expect(e.message).toContain(String(secs[0]));
    // the same instants as milliseconds, or as Dates, are fine
    expect(series(t, [1, 2, 3, 4]).t.length).toBe(4);
    expect(
      series(
        secs.map((s) => new Date(s)),
        [1, 2, 3, 4],
      ).t.length,
    ).toBe(4);
  });
});

describe('resample with too many bins', () => {
  it('is a SeriesError with the bin count and what to change, before allocating', () => {
    const ts = series([0, 1e12], [1, 2]);
    const e = thrown(() => resample(ts, { granularityMs: 1 }));
    expect(e.code).toBe('too_many_bins');
    expect(e.message).toContain('1000000000001 bins');
    expect(e.message).toContain('granularityMs');
    expect(e.message).toContain('maxBins');
    const e2 = thrown(() => resample(ts, { granularityMs: 1e9, maxBins: 100 }));
    expect(e2.message).toContain('1001 bins');
    expect(resample(ts, { granularityMs: 1e9, maxBins: 1001 }).t.length).toBe(1001);
  });
});
