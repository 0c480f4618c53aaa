import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsv, SeriesError } from '../../src/index.js';
import { readCsvRows, type SeriesWarningCode } from '../../src/series/index.js';
import { rejectedWith } from '../helpers/thrown.js';

const dir = mkdtempSync(join(tmpdir(), 'tsad-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
function file(text: string | Buffer): string {
  const p = join(dir, `f${counter++}.csv`);
  writeFileSync(p, text);
  return p;
}
const T0 = Date.UTC(2013, 11, 2, 21, 15);
const M5 = 300_000;

const rejects = (p: Promise<unknown>): Promise<SeriesError> => rejectedWith(SeriesError, p);

function sink() {
  const got: [string, SeriesWarningCode][] = [];
  return { got, onWarning: (m: string, c: SeriesWarningCode) => got.push([m, c]) };
}

describe('readCsv: reading', () => {
  it('reads a NAB-style file', async () => {
    const p = file(
      'timestamp,value\n2013-12-02 21:15:00,73.96732207\n2013-12-02 21:20:00,74.93588199999998\n',
    );
    const ts = await readCsv(p);
    expect(Array.from(ts.t)).toEqual([T0, T0 + M5]);
    expect(Array.from(ts.v)).toEqual([73.96732207, 74.93588199999998]);
  });
  it('handles a BOM, CRLF, blank lines, a missing final newline and extra columns', async () => {
    const p = file(
      '\ufeffid,timestamp,value\r\n1,2013-12-02 21:15:00,1.5\r\n\r\n2,2013-12-02T21:20:00Z,-2e3',
    );
    const rows = await readCsvRows(p);
    expect(Array.from(rows.t)).toEqual([T0, T0 + M5]);
    expect(Array.from(rows.v)).toEqual([1.5, -2000]);
    expect(Array.from(rows.line)).toEqual([2, 4]);
  });
  it('selects columns by name or index; numeric times need timeUnit', async () => {
    const p = file('when,a,b\n1386018900,1,10\n1386019200,2,20\n');
    const ts = await readCsv(p, { time: 'when', value: 2, timeUnit: 's' });
    expect(Array.from(ts.t)).toEqual([T0, T0 + M5]);
    expect(Array.from(ts.v)).toEqual([10, 20]);
    const e = await rejects(readCsv(p, { time: 'when', value: 'b' }));
    expect(e.message).toContain('line 2');
    expect(e.message).toContain('timeUnit');
    const e2 = await rejects(readCsv(p, { value: 'nope' }));
    expect(e2.code).toBe('missing_column');
    expect(e2.message).toContain('when, a, b');
  });
  it('numeric times in the other unit are refused with the unit to pass (both parsers)', async () => {
    for (const quote of ['', '"']) {
      const secs = file(`${quote}timestamp${quote},value\n1386018900,1\n1386019200,2\n`);
      const ms = file(`${quote}timestamp${quote},value\n1386018900000,1\n1386019200000,2\n`);
      expect(Array.from((await readCsv(secs, { timeUnit: 's' })).t)).toEqual([T0, T0 + M5]);
      expect(Array.from((await readCsv(ms, { timeUnit: 'ms' })).t)).toEqual([T0, T0 + M5]);
      // seconds read as ms land in January 1970; ms read as seconds after the year 40000
      const e = await rejects(readCsv(secs, { timeUnit: 'ms' }));
      expect(e.code).toBe('epoch_seconds');
      expect(e.message).toMatch(
        /1970-01-17T.*look like epoch seconds: pass timeUnit: 's' \(or trustTimeUnit: true if they really are milliseconds\)$/,
      );
      const e2 = await rejects(readCsv(ms, { timeUnit: 's' }));
      expect(e2.code).toBe('bad_timestamp');
      expect(e2.message).toMatch(
        /\+045891-.*look like epoch milliseconds: pass timeUnit: 'ms' \(or trustTimeUnit: true if they really are seconds\)$/,
      );
      // trustTimeUnit takes the unit as given: genuine 1970 milliseconds and far-future seconds read
      expect(Array.from((await readCsv(secs, { timeUnit: 'ms', trustTimeUnit: true })).t)).toEqual([
        1386018900, 1386019200,
      ]);
      expect((await readCsv(ms, { timeUnit: 's', trustTimeUnit: true })).t[0]).toBe(1386018900000 * 1000);
    }
    // an ISO column with a needless timeUnit is read as it is, even in 1970
    const iso = file('timestamp,value\n1970-02-01 00:00:00,1\n1970-02-01 00:05:00,2\n');
    expect((await readCsv(iso, { timeUnit: 'ms' })).t[0]).toBe(Date.UTC(1970, 1, 1));
  });
  it('a UTF-16 or binary file is refused as not UTF-8 text; Latin-1 bytes in a field are named', async () => {
    const text = 'timestamp,value\n2013-12-02 21:15:00,1\n2013-12-02 21:20:00,2\n';
    for (const bytes of [
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
      Buffer.from(text, 'utf16le'),
      Buffer.concat([
        Buffer.from([0xff, 0xfe]),
        Buffer.from(text.replace('timestamp', '"timestamp"'), 'utf16le'),
      ]),
    ]) {
      const e = await rejects(readCsv(file(bytes)));
      expect(e.code).toBe('bad_csv');
      expect(e.message).toMatch(/is not UTF-8 text: .*save it as UTF-8 CSV/);
    }
    const latin1 = file(
      Buffer.from('timestamp,value\n2013-12-02 21:15:00,1\n2013-12-02 21:20:00,1\xb05\n', 'latin1'),
    );
    const e = await rejects(readCsv(latin1));
    expect(e.code).toBe('bad_value');
    expect(e.message).toMatch(/line 3 .*not a number \(the file has bytes that are not UTF-8/);
  });
  it('a missing file or a folder: read_failed saying what to fix', async () => {
    const missing = await rejects(readCsv(join(dir, 'huge-2GB-export.csv')));
    expect(missing.code).toBe('read_failed');
    expect(missing.message).toMatch(
      /huge-2GB-export\.csv: there is no such file: check the path .*\(ENOENT\)$/,
    );
    const folder = await rejects(readCsv(dir));
    expect(folder.code).toBe('read_failed');
    expect(folder.message).toMatch(/it is a folder, not a file: give the path of a CSV file \(EISDIR\)$/);
    const through = await rejects(readCsv(join(file('timestamp,value\n'), 'x.csv')));
    expect(through.message).toMatch(/a part of the path is a file, not a folder.*\(ENOTDIR\)$/);
  });
  it('quoted files go through csv-parse and read the same numbers', async () => {
    const plain = file('timestamp,value\n2013-12-02 21:15:00,1.25\n2013-12-02 21:20:00,2.5\n');
    const quoted = file('"timestamp","value"\n"2013-12-02 21:15:00","1.25"\n2013-12-02 21:20:00,"2.5"\n');
    const a = await readCsvRows(plain);
    const b = await readCsvRows(quoted);
    expect(b.t).toEqual(a.t);
    expect(b.v).toEqual(a.v);
    expect(Array.from(b.line)).toEqual([2, 3]);
  });
  it('property: every finite double round-trips exactly (fast path and csv-parse path)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 50 }),
        fc.boolean(),
        async (vals, quote) => {
          const q = quote ? '"' : '';
          const body = vals
            .map((v, i) => `${new Date(T0 + i * M5).toISOString()},${q}${Object.is(v, -0) ? '-0' : v}${q}`)
            .join('\n');
          const rows = await readCsvRows(file(`timestamp,value\n${body}\n`));
          expect(rows.v).toEqual(Float64Array.from(vals));
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('readCsv: files read in many chunks', () => {
  it('property: lines across chunk boundaries (LF, CRLF, CR) read as csv-parse reads them', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 600, maxLength: 2500 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.nat(40),
        async (vals, eol, pad) => {
          // rows of uneven lengths (the padding column), so that chunk ends fall anywhere in a line
          const lines = vals.map(
            (v, i) =>
              `${new Date(T0 + i * M5).toISOString()},${Object.is(v, -0) ? '-0' : v},${'x'.repeat((i * 7 + pad) % 41)}`,
          );
          const fast = await readCsvRows(file(`timestamp,value,pad${eol}${lines.join(eol)}${eol}`));
          const quoted = lines.map((l) => l.replace(/,x*$/, ',"p"'));
          const slow = await readCsvRows(file(`timestamp,value,pad\n${quoted.join('\n')}\n`));
          expect(fast.v).toEqual(slow.v);
          expect(fast.t).toEqual(slow.t);
          expect(fast.v).toEqual(Float64Array.from(vals));
        },
      ),
      { numRuns: 12 },
    );
  });

  it('lets the event loop turn while it parses a large file (other I/O goes on)', async () => {
    const n = 40_000; // ≈ 1.3 MB
    const body = Array.from({ length: n }, (_, i) => `${new Date(T0 + i * M5).toISOString()},${i % 97}`);
    const path = file(`timestamp,value\n${body.join('\n')}\n`);
    let turns = 0;
    let reading = true;
    const tick = () => {
      turns++;
      if (reading) setImmediate(tick);
    };
    setImmediate(tick);
    const rows = await readCsvRows(path);
    reading = false;
    expect(rows.t.length).toBe(n);
    // one turn per chunk read (16 KiB each) at least, not one or two for the whole file
    expect(turns).toBeGreaterThan(40);
  });
});

describe('readCsv: bad input names the file line', () => {
  it('empty file and header-only file', async () => {
    expect((await rejects(readCsv(file('')))).code).toBe('empty');
    const e = await rejects(readCsv(file('timestamp,value\n')));
    expect(e.code).toBe('empty');
    expect(e.message).toContain('no data rows');
  });
  it('unparseable timestamp', async () => {
    const p = file('timestamp,value\n2013-12-02 21:15:00,1\n\n2013-13-02 21:20:00,2\n');
    const e = await rejects(readCsv(p));
    expect(e.code).toBe('bad_timestamp');
    expect(e.message).toContain('line 4');
    expect(e.message).toContain('"2013-13-02 21:20:00"');
  });
  it('non-numeric value', async () => {
    const e = await rejects(readCsv(file('timestamp,value\n2013-12-02 21:15:00,abc\n')));
    expect(e.code).toBe('bad_value');
    expect(e.message).toContain('line 2');
    expect(e.message).toContain('"abc"');
  });
  it('a row with the wrong number of fields (both parsers)', async () => {
    const e = await rejects(readCsv(file('timestamp,value\n2013-12-02 21:15:00,1,7\n')));
    expect(e.code).toBe('bad_row');
    expect(e.message).toContain('line 2');
    const e2 = await rejects(
      readCsv(file('"timestamp",value\n2013-12-02 21:15:00,1\n2013-12-02 21:20:00\n')),
    );
    // the same defect gets the same code and message from the quote-aware parser
    expect(e2.code).toBe('bad_row');
    expect(e2.message).toMatch(/line 3 of .*: has 1 fields but the header has 2 \(timestamp, value\)/);
  });
  it('lines of only spaces, tabs or commas are skipped like empty lines (both parsers)', async () => {
    const rows = ['2013-12-02 21:15:00,1', '2013-12-02 21:20:00,2', '2013-12-02 21:25:00,3'];
    const blanks = ['   ', '\t', ',', ' , ', ',,', ''];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: rows.length }), fc.constantFrom(...blanks)), {
          maxLength: 4,
        }),
        fc.boolean(),
        fc.constantFrom('\n', '\r\n'),
        async (inserts, quoted, eol) => {
          const lines = [...rows];
          for (const [at, blank] of [...inserts].sort((a, b) => b[0] - a[0])) lines.splice(at, 0, blank);
          const head = quoted ? '"timestamp",value' : 'timestamp,value';
          const ts = await readCsv(file([head, ...lines].join(eol) + eol));
          expect(Array.from(ts.t)).toEqual([T0, T0 + M5, T0 + 2 * M5]);
          expect(Array.from(ts.v)).toEqual([1, 2, 3]);
        },
      ),
      { numRuns: 40 },
    );
  });
  const nonFinite =
    'timestamp,value\n2013-12-02 21:15:00,1\n2013-12-02 21:20:00,nan\n2013-12-02 21:25:00,-inf\n2013-12-02 21:30:00,4\n';
  it("NaN/-Infinity under 'error' (default): line, timestamp and value", async () => {
    const e = await rejects(readCsv(file(nonFinite)));
    expect(e.code).toBe('non_finite');
    expect(e.message).toContain('line 3');
    expect(e.message).toContain('NaN');
    expect(e.message).toContain(new Date(T0 + M5).toISOString());
  });
  it("NaN/-Infinity under 'drop' and 'interpolate'", async () => {
    const w = sink();
    const dropped = await readCsv(file(nonFinite), { nonFinite: 'drop', onWarning: w.onWarning });
    expect(Array.from(dropped.v)).toEqual([1, 4]);
    expect(w.got[0][1]).toBe('TSAD_NONFINITE');
    const filled = await readCsv(file(nonFinite), { nonFinite: 'interpolate', onWarning: w.onWarning });
    expect(Array.from(filled.v)).toEqual([1, 2, 3, 4]);
  });
  const unsorted = 'timestamp,value\n2013-12-02 21:15:00,1\n2013-12-02 21:25:00,3\n2013-12-02 21:20:00,2\n';
  it('unsorted rows: sorted with a TSAD_UNSORTED warning, or an error naming the line when strict', async () => {
    const w = sink();
    const ts = await readCsv(file(unsorted), { onWarning: w.onWarning });
    expect(Array.from(ts.v)).toEqual([1, 2, 3]);
    expect(w.got.map((x) => x[1])).toEqual(['TSAD_UNSORTED']);
    expect(w.got[0][0]).toContain('line 4');
    const e = await rejects(readCsv(file(unsorted), { strict: true }));
    expect(e.code).toBe('unsorted');
    expect(e.message).toContain('line 4');
    expect(e.message).toContain(new Date(T0 + M5).toISOString());
  });
  const dups =
    'timestamp,value\n2013-12-02 21:15:00,1\n2013-12-02 21:20:00,5\n2013-12-02 21:20:00,9\n2013-12-02 21:20:00,4\n';
  it("duplicates under 'error' name both lines and the timestamp", async () => {
    const e = await rejects(readCsv(file(dups), { duplicates: 'error' }));
    expect(e.code).toBe('duplicate_timestamp');
    expect(e.message).toContain('line 3');
    expect(e.message).toContain('line 4');
    expect(e.message).toContain(new Date(T0 + M5).toISOString());
  });
  for (const [policy, want] of [
    ['first', 5],
    ['last', 4],
    ['max', 9],
    ['mean', 6],
  ] as const) {
    it(`duplicates under '${policy}' keep ${want}`, async () => {
      const w = sink();
      const ts = await readCsv(file(dups), { duplicates: policy, onWarning: w.onWarning });
      expect(Array.from(ts.v)).toEqual([1, want]);
      expect(w.got.map((x) => x[1])).toEqual(['TSAD_DUPLICATES']);
      expect(w.got[0][0]).toContain('line 3');
    });
  }
  it("default is 'max', reported as a process warning with code TSAD_DUPLICATES", async () => {
    const seen: { code?: string; message: string }[] = [];
    const listener = (w: Error & { code?: string }) => seen.push({ code: w.code, message: w.message });
    process.on('warning', listener);
    try {
      const ts = await readCsv(file(dups));
      expect(Array.from(ts.v)).toEqual([1, 9]);
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', listener);
    }
    expect(seen.map((s) => s.code)).toContain('TSAD_DUPLICATES');
  });
});
