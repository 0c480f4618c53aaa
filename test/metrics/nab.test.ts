import { describe, expect, it } from 'vitest';
import { MetricsError } from '../../src/index.js';
import {
  type NabCorpus,
  type NabSweep,
  nabProbationaryLength,
  nabRowScores,
  nabScaledSigmoid,
  nabScore,
  nabSweep,
  optimizeNabThreshold,
  prepareNabFile,
  scoreNabFile,
  selectSweepEntry,
} from '../../src/metrics/index.js';

const MIN = 60_000;

/** Tiny file A of the worked example in docs/metrics.md (numbers from NAB v1.1's scorer). */
function fileA() {
  const t0 = Date.UTC(2020, 0, 1);
  const t = Float64Array.from({ length: 40 }, (_, i) => t0 + i * MIN);
  const scores = new Float64Array(40).fill(0.1);
  scores[2] = 1.0;
  scores[10] = 0.9;
  scores[23] = 0.8;
  scores[25] = 0.95;
  scores[30] = 0.7;
  scores[39] = 0.6;
  return { t, windows: [[t[20], t[27]] as const], scores };
}

/** File B of the same example (no windows). */
function fileB() {
  const t0 = Date.UTC(2020, 1, 1);
  const t = Float64Array.from({ length: 20 }, (_, i) => t0 + i * MIN);
  const scores = new Float64Array(20).fill(0.2);
  scores[1] = 0.99;
  scores[12] = 0.85;
  return { t, windows: [], scores };
}

function rows(sw: NabSweep) {
  return Array.from({ length: sw.length }, (_, k) => ({
    threshold: sw.threshold[k],
    score: sw.score[k],
    tp: sw.tp[k],
    tn: sw.tn[k],
    fp: sw.fp[k],
    fn: sw.fn[k],
  }));
}

describe('NAB scorer: the worked example of docs/metrics.md (tiny file)', () => {
  it('scaled sigmoid and probationary length', () => {
    expect(nabScaledSigmoid(-1)).toBeCloseTo(0.9866142981514303, 15);
    expect(nabScaledSigmoid(0)).toBe(0);
    expect(nabScaledSigmoid(1)).toBeCloseTo(-0.9866142981514303, 15);
    expect(nabScaledSigmoid(3.0001)).toBe(-1);
    expect(nabProbationaryLength(40)).toBe(6);
    expect(nabProbationaryLength(20)).toBe(3);
    expect(nabProbationaryLength(22695)).toBe(750);
  });

  it('per-row S(t) for the standard profile', () => {
    const a = fileA();
    const S = nabRowScores('A', a, 'standard');
    for (let i = 0; i < 20; i++) expect(S[i]).toBeCloseTo(-0.11, 15);
    const win = [1.0, 0.988367, 0.966989, 0.92825, 0.859793, 0.744031, 0.562124, 0.306817];
    for (let k = 0; k < 8; k++) expect(S[20 + k]).toBeCloseTo(win[k], 6);
    expect(S[20]).toBe(1); // exactly tpWeight at the window's first row
    expect(S[28]).toBeCloseTo(-0.037696, 6);
    expect(S[29]).toBeCloseTo(-0.067469, 6);
    expect(S[30]).toBeCloseTo(-0.0869, 6);
    expect(S[31]).toBeCloseTo(-0.098051, 6);
    expect(S[39]).toBeCloseTo(-0.109958, 6);
  });

  it('the sweep table (34 scorable rows)', () => {
    const a = fileA();
    const f = prepareNabFile('A', a, a.scores);
    expect(f.scores.length).toBe(34);
    const r = rows(nabSweep(f, 'standard'));
    expect(r.map((x) => x.threshold)).toEqual([1.1, 0.95, 0.9, 0.8, 0.7, 0.6, 0.1]);
    const expected = [
      [-1.0, 0, 26, 0, 8],
      [0.7440308953354254, 1, 26, 0, 7],
      [0.6340308953354254, 1, 25, 1, 7],
      [0.8182498194934905, 2, 25, 1, 6],
      [0.7313499481979487, 2, 24, 2, 6],
      [0.6213916175055902, 2, 23, 3, 6],
      [-1.6982625479903817, 8, 0, 26, 0],
    ];
    expected.forEach(([score, tp, tn, fp, fn], k) => {
      expect(r[k].score).toBeCloseTo(score, 13);
      expect([r[k].tp, r[k].tn, r[k].fp, r[k].fn]).toEqual([tp, tn, fp, fn]);
    });
  });

  it('optimum and normalised score per profile (one-file corpus)', () => {
    const a = fileA();
    const corpus: NabCorpus = { 'x/a.csv': a };
    const results = { 'x/a.csv': a.scores };
    const std = nabScore(corpus, results, { profile: 'standard' });
    expect(std.threshold).toBe(0.8);
    expect(std.raw).toBeCloseTo(0.8182498194934905, 13);
    expect(std.nullScore).toBe(-1);
    expect(std.perfectScore).toBe(1);
    expect(std.normalized).toBeCloseTo(90.91249097467453, 10);
    const lowFp = nabScore(corpus, results, { profile: 'reward_low_FP_rate' });
    expect(lowFp.threshold).toBe(0.95);
    expect(lowFp.raw).toBeCloseTo(0.7440308953, 10);
    expect(lowFp.normalized).toBeCloseTo(87.20154476677126, 10);
    const lowFn = nabScore(corpus, results, { profile: 'reward_low_FN_rate' });
    expect(lowFn.threshold).toBe(0.8);
    expect(lowFn.raw).toBeCloseTo(0.8182498, 7);
    expect(lowFn.nullScore).toBe(-2);
    expect(lowFn.normalized).toBeCloseTo(93.94166064978303, 10);
  });

  it('scoring at thresholds that are not score values', () => {
    const a = fileA();
    const f = prepareNabFile('A', a, a.scores);
    expect(scoreNabFile(f, 0.85, 'standard').score).toBeCloseTo(0.6340308953354254, 13); // → 0.9 entry
    expect(scoreNabFile(f, 0.5, 'standard').score).toBeCloseTo(0.6213916175055902, 13); // → 0.6 entry
    // below every score: the reference crashes; we take the last entry (everything detected)
    expect(scoreNabFile(f, 0.05, 'standard').score).toBeCloseTo(-1.6982625479903817, 13);
    // above 1.1: the 1.1 entry (nothing detected)
    const sw = nabSweep(f, 'standard');
    expect(selectSweepEntry(sw, 2)).toBe(0);
    expect(scoreNabFile(f, 2, 'standard').score).toBe(-1);
  });

  it('scores outside [0, 1] are swept as NAB sweeps them (published files hold -0.008 and 1.011)', () => {
    const a = fileA();
    const s = Float64Array.from(a.scores);
    s[25] = 1.011; // was 0.95, the top scorable row, inside the window
    s[39] = -0.008; // was 0.6, now below every other row, outside the window
    const r = rows(nabSweep(prepareNabFile('A', a, s), 'standard'));
    expect(r.map((x) => x.threshold)).toEqual([1.1, 1.011, 0.9, 0.8, 0.7, 0.1, -0.008]);
    // the first five entries detect the same rows as 1.1 … 0.7 of the table above
    const expected = [
      [-1.0, 0, 26, 0, 8],
      [0.7440308953354254, 1, 26, 0, 7],
      [0.6340308953354254, 1, 25, 1, 7],
      [0.8182498194934905, 2, 25, 1, 6],
      [0.7313499481979487, 2, 24, 2, 6],
      // everything but row 39: the all-detected total without row 39's S(t) = −0.109958
      [-1.6982625479903817 + 0.109958, 8, 1, 25, 0],
      [-1.6982625479903817, 8, 0, 26, 0],
    ];
    expected.forEach(([score, tp, tn, fp, fn], k) => {
      expect(r[k].score).toBeCloseTo(score, 5);
      expect([r[k].tp, r[k].tn, r[k].fp, r[k].fn]).toEqual([tp, tn, fp, fn]);
    });
    const std = nabScore({ 'x/a.csv': a }, { 'x/a.csv': s }, { profile: 'standard' });
    expect(std.threshold).toBe(0.8);
    expect(std.normalized).toBeCloseTo(90.91249097467453, 10);
  });

  it('two-file corpus: corpus sweep, optimum, per-file scores and total', () => {
    const a = fileA();
    const b = fileB();
    const fa = prepareNabFile('A', a, a.scores);
    const fb = prepareNabFile('B', b, b.scores);
    const r = rows(nabSweep([fa, fb], 'standard'));
    expect(r.map((x) => x.threshold)).toEqual([1.1, 0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.2, 0.1]);
    const scores = [-1.0, 0.74403, 0.63403, 0.52403, 0.70825, 0.62135, 0.51139, -1.24861, -3.56826];
    scores.forEach((s, k) => {
      expect(r[k].score).toBeCloseTo(s, 5);
    });
    const opt = optimizeNabThreshold([fa, fb], 'standard');
    expect(opt.threshold).toBe(0.95);
    expect(opt.score).toBeCloseTo(0.7440308953354254, 13);
    const res = nabScore(
      { 'c/a.csv': a, 'c/b.csv': b },
      { 'c/a.csv': a.scores, 'c/b.csv': b.scores },
      { profile: 'standard' },
    );
    expect(res.threshold).toBe(0.95);
    expect(res.files.map((x) => x.score)).toEqual([expect.closeTo(0.7440308953354254, 13), 0]);
    expect(res.raw).toBeCloseTo(0.7440308953354254, 13);
    expect(res.normalized).toBeCloseTo(87.20154476677126, 10);
  });

  it('a given threshold is used as is', () => {
    const a = fileA();
    const res = nabScore({ 'x/a.csv': a }, { 'x/a.csv': a.scores }, { threshold: 0.85 });
    expect(res.optimized).toBe(false);
    expect(res.raw).toBeCloseTo(0.6340308953354254, 13);
  });

  it('rejects bad input with MetricsError', () => {
    const a = fileA();
    expect(() => prepareNabFile('A', a, a.scores.subarray(1))).toThrow(/one row per data row/);
    for (const x of [Number.NaN, Number.NEGATIVE_INFINITY]) {
      const bad = Float64Array.from(a.scores);
      bad[30] = x;
      expect(() => prepareNabFile('A', a, bad)).toThrow(/row 30 anomaly_score .* finite numbers/);
    }
    expect(() => prepareNabFile('A', { t: a.t, windows: [[a.t[20] + 1, a.t[27]]] }, a.scores)).toThrow(
      /not a row timestamp/,
    );
    expect(() => nabScore({ 'x/a.csv': a, 'x/b.csv': fileB() }, { 'x/a.csv': a.scores })).toThrow(
      MetricsError,
    );
    expect(() =>
      nabScore({ 'x/a.csv': a }, { 'x/a.csv': a.scores }, { profile: 'nope' as 'standard' }),
    ).toThrow(/unknown NAB profile/);
  });
});

describe("nabScore: corpus windows get the library's label-window check (fix31)", () => {
  it('a window that is not [start, end] of finite epoch ms is MetricsError bad_window naming the file and windows[k]', () => {
    // before: a { start, end } object or null threw a raw TypeError ('object is not iterable'), and a string
    // in place of the list read as 'window 0 start (x ms) is not a row timestamp'
    const t = Float64Array.from({ length: 100 }, (_, i) => Date.UTC(2020, 0, 1) + i * MIN);
    const scores = new Float64Array(100);
    const score = (windows: unknown) => () =>
      nabScore(
        { 'a/b.csv': { t, windows: windows as never } },
        { 'a/b.csv': scores },
        { profile: 'standard' },
      );
    const good = [t[10], t[12]];
    for (const [windows, what] of [
      [
        [good, { start: t[30], end: t[33] }],
        /^a\/b\.csv windows\[1\]: expected \[start, end\] .*got an object/,
      ],
      [[good, null], /^a\/b\.csv windows\[1\]: expected \[start, end\] .*got null/],
      [[good, [t[30], Number.POSITIVE_INFINITY]], /^a\/b\.csv windows\[1\]: expected .*got \[\d+,Infinity\]/],
      ['x', /^a\/b\.csv windows: expected an array of \[start, end\] windows, got "x"/],
    ] as const) {
      expect(score(windows)).toThrow(MetricsError);
      expect(score(windows)).toThrow(what);
    }
    // a well-formed window that is not on a row keeps NAB's own message
    expect(score([good, [t[30] + 1, t[33]]])).toThrow(/window 1 start .* is not a row timestamp/);
  });
});
