import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AggregateAlarms,
  AnomScoreCalibrator,
  Rng,
  revisedF1,
  revisedPointAdjustedCounts,
  Threshold,
} from '../../src/detectors/index.js';
import { ConfigError } from '../../src/index.js';
import { accumulateTsad } from '../../src/metrics/index.js';
import type { TimeSeries } from '../../src/series/index.js';

const f64 = (a: number[]) => Float64Array.from(a);
const near = (a: ArrayLike<number>, b: number[], tol = 1e-12) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++)
    expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i])));
};

describe('AnomScoreCalibrator (docs/detectors.md, Post-processing: AnomScoreCalibrator, example C1)', () => {
  const x = f64([0, 0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.8, 1.0, 2.0]);
  it('learns the C1 anchors and PCHIP derivatives', () => {
    const c = new AnomScoreCalibrator(1000);
    const out = c.train(x);
    const anchors = c.anchors;
    near(
      anchors.map((a) => a[0]),
      [0, 0.34463243029322366, 0.6288410858467545, 0.9594940754321108, 1.590497624932775, 4.0],
    );
    expect(anchors.map((a) => a[1])).toEqual([0, 0.5, 1, 1.5, 2, 5]);
    near(
      c.derivatives,
      [
        1.2817771392304993, 1.5951360792311564, 1.6294812657308912, 1.074821067678625, 0.9282300117503293,
        1.603806011181083,
      ],
    );
    near(
      out,
      [
        0, 0.13359210470464394, -0.27718016593707145, 0.4295149461441758, 0.5926419551850864,
        -0.7730902213297515, 0.9518511817162781, 1.282182059148695, 1.541784465983434, 2.3997430653297895,
      ],
    );
    near(
      c.calibrate(f64([0.05, -0.7, 2.5, 5.0, -3.0])),
      [0.06546848043927986, -1.1180014948237997, 2.9440464818101924, 6.603806011181083, -3.555248993413098],
    );
  });
  it('is the identity untrained or on all-zero scores, and is trained only once', () => {
    const c = new AnomScoreCalibrator(1);
    expect(Array.from(c.calibrate(f64([0.3, -2])))).toEqual([0.3, -2]);
    c.train(new Float64Array(20));
    expect(c.trained).toBe(false);
    c.train(x);
    const a = c.anchors;
    c.train(f64([5, 6, 7]));
    expect(c.anchors).toEqual(a);
    c.train(f64([5, 6, 7]), true);
    expect(c.anchors).not.toEqual(a);
  });
  it('raises maxScore to 2·max when the train maximum exceeds it', () => {
    const c = new AnomScoreCalibrator(1);
    c.train(x);
    expect(c.maxScore).toBe(4);
  });
  it('property: monotone non-decreasing in |v| and sign-preserving', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 3, maxLength: 60 }),
        fc.double({ min: 0, max: 300, noNaN: true }),
        fc.double({ min: 0, max: 300, noNaN: true }),
        (train, a, b) => {
          const c = new AnomScoreCalibrator(1000);
          c.train(f64(train));
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const fl = c.calibrateOne(lo);
          const fh = c.calibrateOne(hi);
          expect(fh).toBeGreaterThanOrEqual(fl - 1e-9);
          expect(c.calibrateOne(-hi)).toBe(-fh === 0 ? -0 : -fh);
        },
      ),
      { numRuns: 200 },
    );
  });
});

const T1_SCORES = [
  0.1, -0.4, 0.3, 0.2, 2.5, 3.1, 0.2, -0.1, 0.5, 1.2, 0.3, -2.8, 0.1, 0.4, 0.2, 4.0, 3.6, 0.3, -0.2, 0.1,
];
const t1Times = f64(T1_SCORES.map((_, i) => i * 60_000));
const t1Labels: TimeSeries = {
  t: t1Times,
  v: f64(T1_SCORES.map((_, i) => ([5, 6, 15, 16, 17].includes(i) ? 1 : 0))),
};
const t1Scores: TimeSeries = { t: t1Times, v: f64(T1_SCORES) };

describe('Threshold (docs/detectors.md, Post-processing: Threshold, example T1)', () => {
  it('F1 per candidate as listed', () => {
    const th = new Threshold(0);
    const f1At = (c: number) => {
      th.almThreshold = c;
      return revisedF1(t1Labels, th.apply(t1Scores), null, null);
    };
    expect(f1At(0.1)).toBeCloseTo(0.2105, 4);
    expect(f1At(0.49)).toBeCloseTo(0.5, 4);
    expect(f1At(0.88)).toBeCloseTo(0.5714, 4);
    expect(f1At(1.27)).toBeCloseTo(0.6667, 4);
    expect(f1At(2.56)).toBeCloseTo(0.8, 4);
    expect(f1At(2.83)).toBe(1);
    expect(f1At(3.5)).toBeCloseTo(0.6667, 4);
  });
  it('chooses 2.83 and alarms at 5, 15, 16', () => {
    const th = new Threshold(3.5);
    const out = th.train(t1Scores, { labels: t1Labels });
    expect(th.almThreshold).toBeCloseTo(2.83, 12);
    const nz = [...out.v.keys()].filter((i) => out.v[i] !== 0);
    expect(nz).toEqual([5, 15, 16]);
    expect([out.v[5], out.v[15], out.v[16]]).toEqual([3.1, 4.0, 3.6]);
  });
  it('default 3.0 wins the tie with 2.83', () => {
    const th = new Threshold(3.0);
    th.train(t1Scores, { labels: t1Labels });
    expect(th.almThreshold).toBe(3.0);
  });
  it('unsupervised quantile 0.9 gives 3.15; nothing given gives max + 1e-8', () => {
    const th = new Threshold(null);
    th.train(t1Scores, { unsupQuantile: 0.9 });
    expect(th.almThreshold).toBeCloseTo(3.15, 12);
    const th2 = new Threshold(null);
    th2.train(t1Scores);
    expect(th2.almThreshold).toBe(4.00000001);
  });
});

/** Times in ms of points `dt` minutes apart (the first `dt` after 0), from `[dt, value]` pairs. */
function minuteSteps(pts: readonly (readonly [number, number])[]): Float64Array {
  const times = new Float64Array(pts.length);
  let acc = 0;
  pts.forEach(([dt], i) => {
    acc += dt * 60_000;
    times[i] = acc;
  });
  return times;
}

/**
 * AggregateAlarms (alarm level 2) read directly from the spec, O(n²): a raw alarm fires when the window
 * of `win` minutes before it (with `full`, reaching back over the last `minAlm` points too) holds
 * `minAlm` raw alarms (fewer at the start: as many points as it holds), or it reaches `strong`, and no
 * alarm fired in the `sup` minutes before it.
 */
function specAlarms(
  times: Float64Array,
  vals: Float64Array,
  minAlm: number,
  win: number,
  sup: number,
  strong = Number.POSITIVE_INFINITY,
  full = false,
): Float64Array {
  const a = vals.map((s) => (Math.abs(s) >= 2 ? s : 0));
  const o = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] === 0) continue;
    let ws = 0;
    while (times[ws] < times[i] - win * 60_000) ws++;
    if (full) ws = Math.min(ws, Math.max(0, i - minAlm));
    let cnt = 0;
    for (let j = ws; j <= i; j++) if (a[j] !== 0) cnt++;
    let ss = 0;
    while (times[ss] < times[i] - sup * 60_000) ss++;
    let suppressed = false;
    for (let j = ss; j < i; j++) if (o[j] !== 0) suppressed = true;
    if ((cnt >= Math.min(minAlm, i - ws) || Math.abs(a[i]) >= strong) && !suppressed) o[i] = a[i];
  }
  return o;
}

describe('AggregateAlarms (docs/detectors.md, Post-processing: AggregateAlarms, example A1)', () => {
  const n = 60;
  const t = f64(Array.from({ length: n }, (_, i) => i * 300_000));
  const v = new Float64Array(n);
  const put: [number, number][] = [
    [1, 3.5],
    [2, 2.9],
    [4, 4.0],
    [26, 3.3],
    [27, -3.6],
    [30, 5.0],
    [52, 3.1],
    [53, Number.NaN],
    [55, 3.4],
  ];
  for (const [i, s] of put) v[i] = s;
  it('emits 3.5 at 1, −3.6 at 27, 3.4 at 55', () => {
    const out = new AggregateAlarms({ almThreshold: 3 }).apply({ t, v });
    const nz = [...out.v.keys()].filter((i) => out.v[i] !== 0);
    expect(nz).toEqual([1, 27, 55]);
    expect([out.v[1], out.v[27], out.v[55]]).toEqual([3.5, -3.6, 3.4]);
  });
  it('property: the streaming filter equals a direct O(n²) reading of the spec', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.double({ min: -6, max: 6, noNaN: true })), {
          minLength: 1,
          maxLength: 80,
        }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 90 }),
        fc.integer({ min: 0, max: 150 }),
        (pts, minAlm, win, sup) => {
          const times = minuteSteps(pts);
          const vals = f64(pts.map((p) => p[1]));
          const rule = new AggregateAlarms({
            almThreshold: 2,
            minAlmInWindow: minAlm,
            almWindowMinutes: win,
            almSuppressMinutes: sup,
          });
          const got = rule.apply({ t: times, v: vals }).v;
          const o = specAlarms(times, vals, minAlm, win, sup);
          expect(Array.from(got)).toEqual(Array.from(o));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('AggregateAlarms: a label-trained threshold stays below strongThreshold', () => {
  // single true spikes at 7 (labelled) and unlabelled pairs at 5 within the hour: the best F1 alone is
  // a threshold above 5, where every raw alarm would fire alone and the two-exceedance rule is gone
  const n = 400;
  const t = f64(Array.from({ length: n }, (_, i) => i * 300_000));
  const v = f64(Array.from({ length: n }, (_, i) => (i % 7) / 7));
  const y = new Float64Array(n);
  for (const i of [50, 150, 250, 350]) {
    v[i] = 7;
    y[i] = 1;
  }
  for (const i of [100, 200, 300]) {
    v[i] = 5;
    v[i + 2] = 5;
  }
  it('the search stays below 4.5 and the strong path still reports the four spikes', () => {
    const strong = new AggregateAlarms({ almThreshold: 3, strongThreshold: 4.5 });
    const out = strong.train({ t, v }, { labels: { t, v: y } }).v;
    expect(strong.almThreshold).toBeLessThan(4.5);
    for (const i of [50, 150, 250, 350]) expect(out[i]).toBe(7);
  });
  it('property: for any scores and labels the trained threshold is below strongThreshold', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: -8, max: 8, noNaN: true }), fc.boolean()), {
          minLength: 5,
          maxLength: 120,
        }),
        fc.double({ min: 3.1, max: 8, noNaN: true }),
        (rows, strongAt) => {
          const tt = f64(rows.map((_, i) => i * 300_000));
          const sv = f64(rows.map((r) => r[0]));
          const lv = f64(rows.map((r) => (r[1] ? 1 : 0)));
          const a = new AggregateAlarms({ almThreshold: 3, strongThreshold: strongAt });
          a.train({ t: tt, v: sv }, { labels: { t: tt, v: lv } });
          expect(a.almThreshold).toBeLessThan(strongAt);
        },
      ),
      { numRuns: 200, seed: 31 },
    );
  });
});

describe('AggregateAlarms options of round 11 (strongThreshold, fullWindow)', () => {
  it('a strong raw alarm fires alone; a weaker lone one does not', () => {
    const t = f64(Array.from({ length: 40 }, (_, i) => i * 300_000));
    const v = new Float64Array(40);
    v[10] = 3.4;
    v[30] = -3.6;
    const plain = new AggregateAlarms({ almThreshold: 3 }).apply({ t, v }).v;
    const strong = new AggregateAlarms({ almThreshold: 3, strongThreshold: 3.5 }).apply({ t, v }).v;
    expect([...plain.keys()].filter((i) => plain[i] !== 0)).toEqual([]);
    expect([...strong.keys()].filter((i) => strong[i] !== 0)).toEqual([30]);
    expect(strong[30]).toBe(-3.6);
  });
  it('fullWindow: at a 60-minute step one raw alarm no longer fires alone, two of three points do', () => {
    const t = f64(Array.from({ length: 20 }, (_, i) => i * 3_600_000));
    const v = new Float64Array(20);
    v[5] = 3.2;
    v[12] = 3.1;
    v[14] = 3.3;
    const merlion = new AggregateAlarms({ almThreshold: 3 }).apply({ t, v }).v;
    const full = new AggregateAlarms({ almThreshold: 3, fullWindow: true }).apply({ t, v }).v;
    expect([...merlion.keys()].filter((i) => merlion[i] !== 0)).toEqual([5, 12]);
    expect([...full.keys()].filter((i) => full[i] !== 0)).toEqual([14]);
  });
  it('property: the streaming filter with both options equals a direct O(n²) reading', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.double({ min: -6, max: 6, noNaN: true })), {
          minLength: 1,
          maxLength: 80,
        }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 90 }),
        fc.integer({ min: 0, max: 150 }),
        fc.double({ min: 2, max: 7, noNaN: true }),
        fc.boolean(),
        (pts, minAlm, win, sup, strong, full) => {
          const times = minuteSteps(pts);
          const vals = f64(pts.map((p) => p[1]));
          const rule = new AggregateAlarms({
            almThreshold: 2,
            minAlmInWindow: minAlm,
            almWindowMinutes: win,
            almSuppressMinutes: sup,
            strongThreshold: strong,
            fullWindow: full,
          });
          const got = rule.apply({ t: times, v: vals }).v;
          const o = specAlarms(times, vals, minAlm, win, sup, strong, full);
          expect(Array.from(got)).toEqual(Array.from(o));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('AggregateAlarms strongThreshold is monotone (round 12c: raising it never adds an alarm)', () => {
  const arb = fc.record({
    pts: fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.double({ min: -12, max: 12, noNaN: true })), {
      minLength: 1,
      maxLength: 80,
    }),
    minAlm: fc.integer({ min: 1, max: 4 }),
    win: fc.integer({ min: 0, max: 90 }),
    sup: fc.integer({ min: 0, max: 150 }),
    lo: fc.double({ min: 2, max: 11, noNaN: true }),
    up: fc.double({ min: 0, max: 6, noNaN: true }),
    full: fc.boolean(),
  });
  const run = (r: typeof arb extends fc.Arbitrary<infer X> ? X : never, strong: number, sup: number) => {
    const times = minuteSteps(r.pts);
    const rule = new AggregateAlarms({
      almThreshold: 2,
      minAlmInWindow: r.minAlm,
      almWindowMinutes: r.win,
      almSuppressMinutes: sup,
      strongThreshold: strong,
      fullWindow: r.full,
    });
    const out = rule.apply({ t: times, v: f64(r.pts.map((p) => p[1])) }).v;
    return [...out.keys()].filter((i) => out[i] !== 0);
  };
  it('property: without suppression, the alarms at a higher strongThreshold are a subset of those at a lower one', () => {
    fc.assert(
      fc.property(arb, (r) => {
        const low = new Set(run(r, r.lo, 0));
        for (const i of run(r, r.lo + r.up, 0)) expect(low.has(i)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
  it('property: with suppression, the first alarm at a higher strongThreshold is never earlier', () => {
    fc.assert(
      fc.property(arb, (r) => {
        const low = run(r, r.lo, r.sup);
        const high = run(r, r.lo + r.up, r.sup);
        if (high.length > 0) expect(low.length).toBeGreaterThan(0);
        if (high.length > 0) expect(high[0]).toBeGreaterThanOrEqual(low[0]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('revised point-adjusted counts agree with the metrics module', () => {
  it('property: same TP/FN/FP as accumulateTsad on random grids, buffers and predictions', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.boolean()), { minLength: 1, maxLength: 60 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: -1, max: 1 })), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.option(fc.integer({ min: 0, max: 400 }), { nil: null }),
        fc.option(fc.integer({ min: 0, max: 400 }), { nil: null }),
        (truthPts, predPts, early, delay) => {
          let a = 0;
          const t = Float64Array.from(truthPts, ([dt]) => (a += dt * 60_000));
          const y = Float64Array.from(truthPts, ([, b]) => (b ? 1 : 0));
          let b = -120_000;
          const tp = Float64Array.from(predPts, ([dt]) => (b += dt * 30_000));
          const p = Float64Array.from(predPts, ([, s]) => s);
          const mine = revisedPointAdjustedCounts({ t, v: y }, { t: tp, v: p }, early, delay);
          const ref = accumulateTsad({
            t,
            truth: y,
            tPred: tp,
            pred: p,
            maxEarlySec: early,
            maxDelaySec: delay,
          });
          expect(mine).toEqual({ tp: ref.tpAnom, fn: ref.fnAnom, fp: ref.fp });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('post-rule constructors on bad input', () => {
  it('throw ConfigError naming the field (not a ZodError or a silently stored object)', () => {
    expect(() => new AggregateAlarms({ minAlmInWindow: 0 })).toThrow(ConfigError);
    expect(() => new AggregateAlarms({ almWindowMinutes: -5 })).toThrow(/almWindowMinutes/);
    expect(() => new Threshold({ almThreshold: 3 } as unknown as number)).toThrow(ConfigError);
    expect(() => new Threshold(Number.NaN)).toThrow(/almThreshold/);
    expect(new Threshold(null).almThreshold).toBeNull();
  });
});

describe('AnomScoreCalibrator beyond the training range', () => {
  // a large training set: PCHIP's end derivative is 0 there, so Merlion's extrapolation is flat
  const big = (n: number, seed: number) => {
    const g = new Rng(seed);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++)
      out[i] = Math.abs(Math.sqrt(-2 * Math.log(1 - g.float())) * Math.cos(6.283185307179586 * g.float()));
    return out;
  };
  it("'merlion' maps 2×, 3× and 10× the training maximum to one constant; the default keeps them in order", () => {
    const train = big(50_000, 1);
    const max = train.reduce((m, x) => Math.max(m, x), 0);
    const merlion = new AnomScoreCalibrator(1000, true, 'merlion');
    merlion.train(train);
    expect(merlion.derivatives[merlion.derivatives.length - 1]).toBe(0);
    const flat = [2, 3, 10].map((k) => merlion.calibrateOne(k * max));
    expect(new Set(flat).size).toBe(1);
    const mono = new AnomScoreCalibrator(1000, true);
    mono.train(train);
    const ordered = [2, 3, 10].map((k) => mono.calibrateOne(k * max));
    expect(ordered[0]).toBeLessThan(ordered[1]);
    expect(ordered[1]).toBeLessThan(ordered[2]);
    // below the last anchor both are the same curve
    expect(mono.calibrateOne(max * 0.5)).toBe(merlion.calibrateOne(max * 0.5));
  });
  it('property: two different raw scores beyond the training range never map to the same value', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 3, maxLength: 80 }),
        fc.integer({ min: 3000, max: 6000 }),
        fc.double({ min: 1.0001, max: 1e6, noNaN: true }),
        fc.double({ min: 1.0001, max: 1e6, noNaN: true }),
        (extra, n, a, b) => {
          fc.pre(Math.abs(a - b) > 1e-9 * Math.max(a, b));
          const c = new AnomScoreCalibrator(1000);
          const train = new Float64Array([...big(n, n), ...extra]);
          c.train(train);
          const top = c.anchors[c.anchors.length - 1][0];
          const fa = c.calibrateOne(a * top);
          const fb = c.calibrateOne(b * top);
          expect(fa).not.toBe(fb);
          expect(Math.sign(fb - fa)).toBe(Math.sign(b - a));
          expect(c.calibrateOne(-a * top)).toBe(-fa);
        },
      ),
      { numRuns: 60 },
    );
  });
  it('saves the extrapolation mode only when it is not the default and restores it', () => {
    const c = new AnomScoreCalibrator(1000, true, 'merlion');
    c.train(big(4000, 2));
    const json = c.toJSON() as { extrapolation?: string };
    expect(json.extrapolation).toBe('merlion');
    const back = new AnomScoreCalibrator(1000, true);
    back.restore(json, 'state');
    expect(back.extrapolation).toBe('merlion');
    expect(back.calibrateOne(100)).toBe(c.calibrateOne(100));
    const d = new AnomScoreCalibrator(1000);
    d.train(big(4000, 2));
    expect((d.toJSON() as { extrapolation?: string }).extrapolation).toBeUndefined();
    expect(() => back.restore({ ...json, extrapolation: 'flat' }, 'state')).toThrow(/extrapolation/);
  });
});
