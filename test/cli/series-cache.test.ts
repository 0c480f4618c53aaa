import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { dateBin } from '../../src/index.js';
import {
  type CachedSeries,
  cachedSeries,
  loadMachineTemperature,
  loadNabRows,
  seriesCacheFile,
} from '../../src/internal.js';

const dir = mkdtempSync(join(tmpdir(), 'tsad-series-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let folders = 0;
/** A fresh cache folder (TSAD_CACHE_DIR) for one test. */
const freshEnv = (): NodeJS.ProcessEnv => ({ TSAD_CACHE_DIR: join(dir, `c${folders++}`) });

/** Whether two arrays hold the same doubles bit for bit (−0 and 0 apart). */
function sameBits(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
}

/** `compute` for `cachedSeries` that counts its calls. */
function counted(s: CachedSeries): { compute: () => Promise<CachedSeries>; calls: () => number } {
  let n = 0;
  return {
    compute: async () => {
      n++;
      return { t: s.t.slice(), v: s.v.slice(), rawRows: s.rawRows };
    },
    calls: () => n,
  };
}

const SERIES: CachedSeries = {
  t: Float64Array.from([1000, 2000, 3000.5, 4000]),
  v: Float64Array.from([-0, 5e-324, -1.5, 1e308]),
  rawRows: 6,
};
const SOURCE = new TextEncoder().encode('timestamp,value\n…the file the series came from\n');

describe('cachedSeries (start-up round 24)', () => {
  it('computes once, then reads the same doubles back without computing', async () => {
    const env = freshEnv();
    const c = counted(SERIES);
    const first = await cachedSeries('s', SOURCE, c.compute, env);
    const second = await cachedSeries('s', SOURCE, c.compute, env);
    expect(c.calls()).toBe(1);
    for (const got of [first, second]) {
      expect(sameBits(got.t, SERIES.t)).toBe(true);
      expect(sameBits(got.v, SERIES.v)).toBe(true);
      expect(got.rawRows).toBe(6);
    }
    const file = seriesCacheFile('s', SOURCE, env)!;
    expect(file.startsWith(join(env.TSAD_CACHE_DIR!, 'series-cache', 's-'))).toBe(true);
    expect(readFileSync(file).length).toBe(16 + 16 * 4);
  });

  it('another source (an edited file) is computed again, and the older file of that name is removed', async () => {
    const env = freshEnv();
    const c = counted(SERIES);
    await cachedSeries('s', SOURCE, c.compute, env);
    await cachedSeries('s-other', SOURCE, c.compute, env); // another name with the same prefix: kept
    const edited = Uint8Array.from([...SOURCE, 10]);
    await cachedSeries('s', edited, c.compute, env);
    await cachedSeries('s', edited, c.compute, env);
    expect(c.calls()).toBe(3);
    const names = readdirSync(join(env.TSAD_CACHE_DIR!, 'series-cache')).sort();
    expect(names).toHaveLength(2);
    expect(names).toContain(seriesCacheFile('s', edited, env)!.split(/[\\/]/).pop());
    expect(names).toContain(seriesCacheFile('s-other', SOURCE, env)!.split(/[\\/]/).pop());
  });

  it('a new build of tsad (other binning or parsing code) computes the series again (fix29)', async () => {
    // the user saw the series an earlier build had binned after a change to the code that bins it:
    // the cache was keyed by the file's bytes alone
    const env = freshEnv();
    const c = counted(SERIES);
    await cachedSeries('s', SOURCE, c.compute, env, 'build-1');
    await cachedSeries('s', SOURCE, c.compute, env, 'build-1');
    expect(c.calls()).toBe(1);
    await cachedSeries('s', SOURCE, c.compute, env, 'build-2');
    expect(c.calls()).toBe(2);
    await cachedSeries('s', SOURCE, c.compute, env, 'build-2');
    expect(c.calls()).toBe(2);
    expect(seriesCacheFile('s', SOURCE, env, 'build-1')).not.toBe(
      seriesCacheFile('s', SOURCE, env, 'build-2'),
    );
    // the older build's file is removed with the new one written
    expect(readdirSync(join(env.TSAD_CACHE_DIR!, 'series-cache'))).toEqual([
      seriesCacheFile('s', SOURCE, env, 'build-2')!.split(/[\\/]/).pop(),
    ]);
  });

  it('a damaged cache file is not used: computed again and written whole', async () => {
    const whole = (() => {
      const env = freshEnv();
      return cachedSeries('s', SOURCE, counted(SERIES).compute, env).then(() =>
        readFileSync(seriesCacheFile('s', SOURCE, env)!),
      );
    })();
    const good = await whole;
    const badTimes = Uint8Array.from(good);
    new DataView(badTimes.buffer).setFloat64(16 + 8, 500, true); // t[1] < t[0]
    const nanValue = Uint8Array.from(good);
    new DataView(nanValue.buffer).setFloat64(16 + 32 + 16, Number.NaN, true);
    const tooFewRows = Uint8Array.from(good);
    new DataView(tooFewRows.buffer).setUint32(8, 3, true); // 3 raw rows for 4 bins
    const damaged = [
      good.subarray(0, good.length - 1), // cut short
      Uint8Array.from([...good, 0]), // longer than its header says
      Uint8Array.from(good).fill(0x41, 0, 8), // another layout
      badTimes,
      nanValue,
      tooFewRows,
      new Uint8Array(0),
    ];
    for (const bytes of damaged) {
      const env = freshEnv();
      const c = counted(SERIES);
      await cachedSeries('s', SOURCE, c.compute, env);
      const file = seriesCacheFile('s', SOURCE, env)!;
      writeFileSync(file, bytes);
      const got = await cachedSeries('s', SOURCE, c.compute, env);
      expect(c.calls()).toBe(2);
      expect(sameBits(got.t, SERIES.t) && sameBits(got.v, SERIES.v)).toBe(true);
      expect(Buffer.compare(readFileSync(file), good)).toBe(0);
    }
  });

  it('TSAD_DISABLE_SERIES_CACHE=1 computes every time and writes nothing; an unusable folder only costs the compute', async () => {
    const env: NodeJS.ProcessEnv = { ...freshEnv(), TSAD_DISABLE_SERIES_CACHE: '1' };
    const c = counted(SERIES);
    await cachedSeries('s', SOURCE, c.compute, env);
    await cachedSeries('s', SOURCE, c.compute, env);
    expect(c.calls()).toBe(2);
    expect(seriesCacheFile('s', SOURCE, env)).toBeUndefined();
    expect(() => readdirSync(env.TSAD_CACHE_DIR!)).toThrow();

    // the cache folder's path is taken by a file: nothing can be written, the series is still given
    const blocked = join(dir, 'a-file');
    writeFileSync(blocked, 'x');
    const c2 = counted(SERIES);
    const got = await cachedSeries('s', SOURCE, c2.compute, { TSAD_CACHE_DIR: blocked });
    await cachedSeries('s', SOURCE, c2.compute, { TSAD_CACHE_DIR: blocked });
    expect(c2.calls()).toBe(2);
    expect(sameBits(got.v, SERIES.v)).toBe(true);
  });

  it('property: any binned series (finite, strictly increasing times) reads back bit for bit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.double({ noNaN: true, noDefaultInfinity: true }),
            fc.double({ noNaN: true, noDefaultInfinity: true }),
          ),
          {
            minLength: 1,
            maxLength: 50,
          },
        ),
        fc.nat(1000),
        async (pairs, extra) => {
          const t = Float64Array.from(new Set(pairs.map(([x]) => x))).sort();
          const v = Float64Array.from(pairs.slice(0, t.length).map(([, y]) => y));
          const s = { t, v, rawRows: t.length + extra };
          const env = freshEnv();
          const c = counted(s);
          await cachedSeries('p', SOURCE, c.compute, env);
          const got = await cachedSeries('p', SOURCE, c.compute, env);
          expect(c.calls()).toBe(1);
          expect(sameBits(got.t, t) && sameBits(got.v, v) && got.rawRows === s.rawRows).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('loadMachineTemperature: the series computed and the one read back are the binned file, bit for bit', async () => {
    const rows = await loadNabRows('realKnownCause/machine_temperature_system_failure.csv');
    const want = dateBin(rows, { everyMs: 5 * 60_000, aggregate: 'max' });
    // the suite runs with the cache off (vitest.config.ts): on here, with a folder of its own
    const before = { dir: process.env.TSAD_CACHE_DIR, off: process.env.TSAD_DISABLE_SERIES_CACHE };
    process.env.TSAD_CACHE_DIR = join(dir, 'mt');
    process.env.TSAD_DISABLE_SERIES_CACHE = '';
    try {
      for (let run = 0; run < 2; run++) {
        const d = await loadMachineTemperature();
        expect(d.rawRows).toBe(22_695);
        expect(sameBits(d.full.t, want.t) && sameBits(d.full.v, want.v)).toBe(true);
        expect(readdirSync(join(dir, 'mt', 'series-cache'))).toHaveLength(1);
      }
      // the second run read the file: a value changed in it (still a valid file) comes back
      const [name] = readdirSync(join(dir, 'mt', 'series-cache'));
      const file = join(dir, 'mt', 'series-cache', name);
      const bytes = readFileSync(file);
      new DataView(bytes.buffer, bytes.byteOffset).setFloat64(16 + 8 * want.t.length, 1234.5, true);
      writeFileSync(file, bytes);
      expect((await loadMachineTemperature()).full.v[0]).toBe(1234.5);
    } finally {
      for (const [k, was] of [
        ['TSAD_CACHE_DIR', before.dir],
        ['TSAD_DISABLE_SERIES_CACHE', before.off],
      ] as const) {
        if (was === undefined) delete process.env[k];
        else process.env[k] = was;
      }
    }
  });
});
