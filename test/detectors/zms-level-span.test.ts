import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadModel, ZmsDetector } from '../../src/index.js';
import { makeDetector } from '../../src/internal.js';

const MIN = 60_000;
const DAY = 86_400_000;
const series = (v: number[], stepMs: number, start = 0) => ({
  t: Float64Array.from(v, (_, i) => start + i * stepMs),
  v: Float64Array.from(v),
});
// values in tenths (no denormal spreads); a training part always starts with 0, 1 (never constant)
const values = (min: number, max: number) =>
  fc.array(
    fc.integer({ min: -500, max: 500 }).map((x) => x / 10),
    { minLength: min, maxLength: max },
  );
const training = (min: number, max: number) => values(min, max).map((xs) => [0, 1, ...xs]);
const plain = { nLags: 0, enableCalibrator: false, enableThreshold: false } as const;
const bounded = (spanMs: number) =>
  new ZmsDetector({ ...plain, levelCumulative: true, levelAdaptScale: true, levelCumulativeSpanMs: spanMs });

/** The population mean and variance of `xs`, computed directly (the oracle). */
function stats(xs: number[]): { m: number; v: number } {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { m, v: xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length };
}

describe('ZmsDetector: a cumulative level reference bounded by levelCumulativeSpanMs (round 13c)', () => {
  it('a training part that covers the span keeps the frozen reference: scores and state as without it', () => {
    fc.assert(
      fc.property(training(4, 28), values(1, 30), (tr, te) => {
        const step = 10 * MIN;
        // the training part covers tr.length steps: a span of exactly that (or less) keeps it frozen
        const d = bounded(tr.length * step);
        const f = new ZmsDetector(plain);
        d.train(series(tr, step));
        f.train(series(tr, step));
        const test = series(te, step, tr.length * step);
        const b = d.score(test).v;
        const sd = d.stream();
        const sf = f.stream();
        for (let i = 0; i < te.length; i++) {
          const x = sd.push(test.t[i], test.v[i]).score;
          expect(Object.is(x, sf.push(test.t[i], test.v[i]).score)).toBe(true);
          expect(Object.is(x, b[i])).toBe(true);
        }
        const jd = d.toJSON() as { state: unknown };
        const jf = f.toJSON() as { state: unknown };
        expect(jd.state).toEqual(jf.state);
      }),
      { numRuns: 60 },
    );
  });

  it('a shorter training part: the mean and variance of every value seen until the span is covered, then fixed', () => {
    fc.assert(
      fc.property(training(1, 10), values(1, 40), fc.integer({ min: 1, max: 20 }), (tr, te, extra) => {
        const step = MIN;
        const until = tr.length + extra; // the reference learns from `until` values in all
        const d = bounded(until * step);
        d.train(series(tr, step));
        const floor = stats(tr).v;
        const st = d.stream();
        const seen = tr.slice();
        for (const [i, v] of te.entries()) {
          const r = stats(seen.slice(0, until));
          const want = Math.abs(v - r.m) / Math.sqrt(Math.max(r.v, floor, 1e-12));
          const got = st.push((tr.length + i) * step, v).score;
          // one column (no lags): the score is |z| against the reference (tolerance: Welford vs direct sums)
          expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-6 * Math.max(1, want));
          seen.push(v);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a model file saved mid-stream, before or after the span is covered, scores on bit for bit', () => {
    fc.assert(
      fc.property(training(1, 8), values(2, 40), fc.integer({ min: 1, max: 20 }), (tr, te, extra) => {
        const step = MIN;
        const d = bounded((tr.length + extra) * step);
        d.train(series(tr, step));
        const cut = te.length >> 1;
        const st = d.stream();
        for (let i = 0; i < cut; i++) st.push((tr.length + i) * step, te[i]);
        const a = loadModel(JSON.parse(JSON.stringify(st.toJSON())));
        const sa = a.stream();
        for (let i = cut; i < te.length; i++) {
          const t = (tr.length + i) * step;
          expect(Object.is(st.push(t, te[i]).score, sa.push(t, te[i]).score)).toBe(true);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('is refused without levelCumulative, with a message that says what to set', () => {
    expect(() => new ZmsDetector({ levelCumulativeSpanMs: DAY })).toThrow(ConfigError);
    expect(() => new ZmsDetector({ levelCumulativeSpanMs: DAY })).toThrow(/levelCumulative: true/);
  });

  it('defaultQuiet13 scores a series whose training part covers a day exactly as the default of its round (before round 17)', () => {
    // 60-minute steps: the training part (15 % of 240 points, 36 hours) covers a day
    const v = Array.from(
      { length: 240 },
      (_, i) => 10 + 3 * Math.sin((2 * Math.PI * i) / 24) + ((i * 7919) % 13) / 13,
    );
    const s = series(v, 60 * MIN);
    const p = 36;
    const tr = { t: s.t.subarray(0, p), v: s.v.subarray(0, p) };
    const a = makeDetector('defaultBefore17');
    const b = makeDetector('defaultQuiet13');
    a.train(tr);
    b.train(tr);
    const sa = a.stream();
    const sb = b.stream();
    for (let i = p; i < v.length; i++) {
      const x = sa.push(s.t[i], s.v[i]);
      const y = sb.push(s.t[i], s.v[i]);
      expect(Object.is(x.score, y.score)).toBe(true);
      expect(x.alarm).toBe(y.alarm);
    }
  });
});
