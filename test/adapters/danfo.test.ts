import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataFrame } from 'danfojs-node';
import { describe, expect, it } from 'vitest';
import { fromDataFrame, importDanfo, MissingDependencyError, toDataFrame } from '../../src/adapters/danfo.js';
import { SeriesError, type TimeSeries } from '../../src/index.js';

const T0 = Date.UTC(2013, 11, 2, 21, 15);
const M5 = 300_000;

describe('danfo adapter (real danfojs-node)', () => {
  it('round-trips a TimeSeries through a DataFrame, with every time representation', async () => {
    const ts: TimeSeries = {
      t: Float64Array.of(T0, T0 + M5, T0 + 2 * M5),
      v: Float64Array.of(73.9, -0.1, 1e-9),
    };
    for (const timeAs of ['date', 'ms', 'iso'] as const) {
      const df = await toDataFrame(ts, { timeAs });
      expect(df).toBeInstanceOf(DataFrame);
      expect(df.columns).toEqual(['timestamp', 'value']);
      expect(df.shape).toEqual([3, 2]);
      const back = fromDataFrame(df, { time: 'timestamp', value: 'value' });
      expect(back.t).toEqual(ts.t);
      expect(back.v).toEqual(ts.v);
    }
    const named = await toDataFrame(ts, { time: 'ts', value: 'temp' });
    expect(named.columns).toEqual(['ts', 'temp']);
  });
  it('reads a user-built frame with string times, unsorted rows and a missing value', () => {
    const df = new DataFrame({
      when: ['2013-12-02 21:20:00', '2013-12-02 21:15:00', '2013-12-02 21:25:00'],
      temp: [2, 1, null],
      other: ['a', 'b', 'c'],
    });
    const ts = fromDataFrame(df, { time: 'when', value: 'temp', nonFinite: 'drop' });
    expect(Array.from(ts.t)).toEqual([T0, T0 + M5]);
    expect(Array.from(ts.v)).toEqual([1, 2]);
  });
  it('without options, reads columns timestamp and value, else the first column and the first other one', async () => {
    const ts: TimeSeries = { t: Float64Array.of(T0, T0 + M5), v: Float64Array.of(3.5, -1) };
    const back = fromDataFrame(await toDataFrame(ts));
    expect(back.t).toEqual(ts.t);
    expect(back.v).toEqual(ts.v);
    // value named, time not: time is the first column other than the value column
    const reordered = fromDataFrame(new DataFrame({ value: [3.5, -1], when: [T0, T0 + M5] }));
    expect(Array.from(reordered.t)).toEqual([T0, T0 + M5]);
    expect(Array.from(reordered.v)).toEqual([3.5, -1]);
    const unnamed = fromDataFrame(new DataFrame({ when: [T0, T0 + M5], temp: [7, 8] }));
    expect(Array.from(unnamed.t)).toEqual([T0, T0 + M5]);
    expect(Array.from(unnamed.v)).toEqual([7, 8]);
    // one option given: the other still defaults
    const half = fromDataFrame(new DataFrame({ when: [T0, T0 + M5], temp: [7, 8] }), { value: 'temp' });
    expect(Array.from(half.v)).toEqual([7, 8]);
    // three or more columns: nothing is guessed (a typo or a label column would be read silently)
    const three = new DataFrame({ when: [T0, T0 + M5], temp: [7, 8], label: [0, 1] });
    expect(() => fromDataFrame(three)).toThrow(/no column "timestamp".*\(when, temp, label\).*time: NAME/);
    expect(() => fromDataFrame(three, { time: 'when' })).toThrow(/no column "value".*value: NAME/);
    expect(Array.from(fromDataFrame(three, { time: 'when', value: 'temp' }).v)).toEqual([7, 8]);
    const one = new DataFrame({ only: [1, 2] });
    expect(() => fromDataFrame(one)).toThrow(SeriesError);
    expect(() => fromDataFrame(one)).toThrow(/only[\s\S]*time.*value/);
  });
  it('bad frames give SeriesErrors that name the column or row', () => {
    const df = new DataFrame({ timestamp: ['2013-12-02 21:15:00', 'later'], value: [1, 2] });
    expect(() => fromDataFrame(df, { time: 'timestamp', value: 'nope' })).toThrow(/timestamp, value/);
    expect(() => fromDataFrame(df, { time: 'timestamp', value: 'value' })).toThrow(SeriesError);
    expect(() => fromDataFrame(df, { time: 'timestamp', value: 'value' })).toThrow(/row 1/);
    const words = new DataFrame({ timestamp: ['2013-12-02 21:15:00'], value: ['abc'] });
    expect(() => fromDataFrame(words, { time: 'timestamp', value: 'value' })).toThrow(/row 0.*"abc"/);
  });
  it('a missing danfojs-node is a MissingDependencyError that says how to install it', async () => {
    const err = await importDanfo('danfojs-node-not-installed').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingDependencyError);
    expect((err as MissingDependencyError).code).toBe('missing_peer_dependency');
    expect((err as Error).message).toContain('npm install danfojs-node');
  });
});

describe('the core does not depend on danfo', () => {
  it('no module outside src/adapters mentions danfojs-node', () => {
    const root = fileURLToPath(new URL('../../src', import.meta.url));
    const offenders = readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.startsWith('adapters'))
      .filter((f) => readFileSync(join(root, f), 'utf8').includes('danfojs'));
    expect(offenders).toEqual([]);
  });
});
