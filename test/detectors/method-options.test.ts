/**
 * train(), score() and detect() check their options object the way stream() does (usab28, issue 17): a
 * JavaScript caller's `detect(ts, 5)` or `detect(ts, { labels })` was ignored without a word, and
 * `detect(ts, null)` was a TypeError. Now each is a DetectorError naming the method and the option.
 */
import { describe, expect, it } from 'vitest';
import { DetectorError, defaultDetector, ZmsDetector } from '../../src/index.js';
import { thrownBy } from '../helpers/thrown.js';

const t = Array.from({ length: 300 }, (_, i) => Date.UTC(2024, 0, 1) + i * 60_000);
const v = t.map((_, i) => Math.sin(i / 5) + (i === 250 ? 6 : 0));
const ts = { t, v };
const zms = new ZmsDetector();
zms.train(ts);
const dflt = defaultDetector();
dflt.train(ts);

const errorOf = (f: () => unknown): DetectorError => thrownBy(DetectorError, f);

// what a JavaScript caller can pass where the options object goes
type Loose = (ts: unknown, opts: unknown) => unknown;

describe('method options are checked, not ignored', () => {
  for (const [name, det] of [
    ['ZmsDetector', zms],
    ['defaultDetector (Ensemble)', dflt],
  ] as const) {
    it(`${name}: an options value that is not an object is bad_option naming the method`, () => {
      for (const [method, bad] of [
        ['detect', 5],
        ['detect', null],
        ['detect', 'prev'],
        ['score', [ts]],
        ['train', 5],
      ] as const) {
        const f = (det[method] as Loose).bind(det);
        const e = errorOf(() => f(ts, bad));
        expect(e.code, `${method}(ts, ${JSON.stringify(bad)})`).toBe('bad_option');
        expect(e.message).toContain(`${method}() takes an options object`);
      }
    });

    it(`${name}: an option the method does not read is bad_option naming it and the ones it reads`, () => {
      const e = errorOf(() => (det.detect as Loose).call(det, ts, { labels: [1] }));
      expect(e.code).toBe('bad_option');
      expect(e.message).toMatch(/unknown detect option "labels": detect\(\) takes prev/);
      expect(e.message).toMatch(/train\(ts, \{ labels \}\)/); // where labels go
      const s = errorOf(() => (det.score as Loose).call(det, ts, { prevv: ts }));
      expect(s.message).toMatch(/unknown score option "prevv": score\(\) takes prev/);
      const tr = errorOf(() => (new ZmsDetector().train as Loose)(ts, { label: ts }));
      expect(tr.message).toMatch(/unknown train option "label": train\(\) takes labels/);
    });
  }

  it('a wrong-typed value of a known option names that option', () => {
    expect(errorOf(() => (zms.detect as Loose).call(zms, ts, { prev: 5 })).message).toMatch(/^prev: /);
    expect(errorOf(() => (new ZmsDetector().train as Loose)(ts, { labels: [1] })).message).toMatch(
      /^labels: /,
    );
  });

  it('valid options (none, {}, undefined values, prev, labels) give the same numbers as before', () => {
    const base = zms.detect(ts);
    expect(zms.detect(ts, {}).scores.v).toEqual(base.scores.v);
    expect(zms.detect(ts, { prev: undefined }).scores.v).toEqual(base.scores.v);
    const prev = { t: Float64Array.from([t[0] - 60_000]), v: Float64Array.from([0]) };
    expect(() => zms.score(ts, { prev })).not.toThrow();
    const labels = { t: Float64Array.from(t), v: Float64Array.from(t, (_, i) => (i === 250 ? 1 : 0)) };
    expect(() => new ZmsDetector().train(ts, { labels })).not.toThrow();
  });
});
