import { describe, expect, it } from 'vitest';
import { defaultDetector, Ensemble, loadModel } from '../../src/detectors/index.js';
import {
  GatedShapeDetector,
  makeDetector,
  maxDetector,
  onlineMaxDetector,
  PeriodicShapeDetector,
  periodicShapeGate,
  periodStrength,
  SHAPE_8B_BUDGET,
  shapeDefault,
} from '../../src/internal.js';
import { centredNoise, dailyCycle } from '../helpers/random.js';

/** A noisy daily-ish cycle at 5-minute steps (deterministic). */
const series = (n: number, t0?: number) => dailyCycle(n, 7, t0);

describe('maxDetector (lab candidate)', () => {
  it('reads every member and its score is at least the mean of the same calibrated members', () => {
    const all = series(1600);
    const train = { t: all.t.subarray(0, 1000), v: all.v.subarray(0, 1000) };
    const test = { t: all.t.subarray(1000), v: all.v.subarray(1000).slice() };
    test.v.fill(test.v[100], 100, 160); // a stuck value
    const max = maxDetector(3, { flat: false });
    max.train(train);
    const [ets, rcf, zms] = max.members;
    const mean = new Ensemble({
      members: [ets, rcf, zms],
      combiner: { type: 'mean', absScore: true },
      calibrateMembers: [true, false, false],
      enableCalibrator: false,
      enableThreshold: false,
      seed: 3,
    });
    mean.train(train);
    const a = max.score(test, { prev: train }).v;
    const b = mean.score(test, { prev: train }).v;
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i])).toBeGreaterThanOrEqual(Math.abs(b[i]) - 1e-12);
  });

  it('with the flat-line member, alarms on a stuck value and reloads from its model file bit for bit', () => {
    const all = series(1600);
    const train = { t: all.t.subarray(0, 1000), v: all.v.subarray(0, 1000) };
    const test = { t: all.t.subarray(1000), v: all.v.subarray(1000).slice() };
    test.v.fill(test.v[300], 300, 420);
    const det = maxDetector(1, { discord: true });
    det.train(train);
    const back = loadModel(JSON.parse(JSON.stringify(det.toJSON())));
    const sa = det.stream();
    const sb = back.stream();
    let stuckAlarm = false;
    for (let i = 0; i < test.t.length; i++) {
      const oa = sa.push(test.t[i], test.v[i]);
      const ob = sb.push(test.t[i], test.v[i]);
      expect(Object.is(oa.score, ob.score)).toBe(true);
      if (oa.alarm && i >= 300 && i < 420) stuckAlarm = true;
    }
    expect(stuckAlarm).toBe(true);
  });
});

describe('onlineMaxDetector (lab candidate)', () => {
  it('alarms on a stuck value; a mid-stream checkpoint resumes bit for bit, online calibrators included', () => {
    const all = series(1600);
    const train = { t: all.t.subarray(0, 600), v: all.v.subarray(0, 600) };
    const test = { t: all.t.subarray(600), v: all.v.subarray(600).slice() };
    test.v.fill(test.v[500], 500, 620);
    const det = onlineMaxDetector(2, { combined: true });
    det.train(train);
    const sa = det.stream();
    const whole: number[] = [];
    let stuckAlarm = false;
    for (let i = 0; i < test.t.length; i++) {
      const o = sa.push(test.t[i], test.v[i]);
      whole.push(o.score);
      if (o.alarm && i >= 500 && i < 620) stuckAlarm = true;
    }
    expect(stuckAlarm).toBe(true);
    const sb = det.stream();
    const parts: number[] = [];
    for (let i = 0; i < 333; i++) parts.push(sb.push(test.t[i], test.v[i]).score);
    const file = JSON.stringify(sb.toJSON());
    // the calibrators' histograms are in the file: it differs from the trained model's
    expect(file).not.toBe(JSON.stringify(det.toJSON()));
    const sc = loadModel(JSON.parse(file)).stream();
    for (let i = 333; i < test.t.length; i++) parts.push(sc.push(test.t[i], test.v[i]).score);
    expect(parts).toEqual(whole);
    // batch scoring gives the stream's numbers
    const batch = det.score(test, { prev: train }).v;
    expect(Array.from(batch)).toEqual(whole);
  });
});

describe('round-7 shape candidates (lab)', () => {
  const base = { rcf: { nEstimators: 10, maxNSamples: 256 } };

  function streamed(det: {
    train: (x: never) => unknown;
    stream: () => { push: (t: number, v: number) => { score: number } };
  }) {
    const all = series(1800);
    const train = { t: all.t.subarray(0, 1000), v: all.v.subarray(0, 1000) };
    const test = { t: all.t.subarray(1000), v: all.v.subarray(1000).slice() };
    // a faster cycle for a while: a shape change inside the normal range
    for (let i = 300; i < 500; i++) test.v[i] = 10 + 3 * Math.sin((2 * Math.PI * i) / 96);
    det.train(train as never);
    const s = det.stream();
    return Array.from(test.t, (t, i) => Math.abs(s.push(t, test.v[i]).score));
  }

  it('with gate 0 the gated detector is the maximum of the default parts and the discord (shapeDefault)', () => {
    const gated = streamed(new GatedShapeDetector({ seed: 2, gate: 0, base, paaBudget: 800 }));
    const plain = streamed(shapeDefault(2, { base, paaBudget: 800 }));
    expect(gated.length).toBe(plain.length);
    for (let i = 0; i < gated.length; i++) expect(gated[i]).toBeCloseTo(plain[i], 12);
    // the discord adds to the default somewhere (the faster cycle), never takes away
    const alone = streamed(defaultDetector({ seed: 2, ...base, seasonal: false, drift: false }));
    for (let i = 0; i < gated.length; i++) expect(gated[i]).toBeGreaterThanOrEqual(alone[i] - 1e-12);
    expect(gated.some((x, i) => x > alone[i] + 1e-9)).toBe(true);
  });

  it('with a gate no score reaches, the gated detector scores as the default alone', () => {
    const gated = streamed(new GatedShapeDetector({ seed: 2, gate: Number.POSITIVE_INFINITY, base }));
    const alone = streamed(defaultDetector({ seed: 2, ...base, seasonal: false, drift: false }));
    for (let i = 0; i < gated.length; i++) expect(gated[i]).toBeCloseTo(alone[i], 12);
  });
});

describe('round-8 periodicity gate (lab)', () => {
  /** Deterministic noise in [−0.5, 0.5). */
  const noise = centredNoise;
  function grid(n: number, stepMs: number, t0 = Date.UTC(2024, 0, 1)): Float64Array {
    return Float64Array.from({ length: n }, (_, i) => t0 + i * stepMs);
  }

  it('periodStrength: near 1 for a clean cycle, near 0 for noise, 0 without a period or with fewer than 3 cycles', () => {
    const e = noise(2000, 3);
    const cycle = Float64Array.from(e, (x, i) => Math.sin((2 * Math.PI * i) / 50) + 0.1 * x);
    expect(periodStrength(cycle, 50)).toBeGreaterThan(0.9);
    expect(periodStrength(e, 50)).toBeLessThan(0.2);
    expect(periodStrength(cycle, 0)).toBe(0);
    expect(periodStrength(cycle.subarray(0, 140), 50)).toBe(0);
  });

  it('periodicShapeGate: shut on noise and on a random walk, open at once on a short cycle, after 8 days on a daily one', () => {
    const e = noise(1500, 5);
    const walk = new Float64Array(e.length);
    for (let i = 1; i < walk.length; i++) walk[i] = walk[i - 1] + e[i];
    const t1 = grid(1500, 60_000);
    expect(periodicShapeGate(t1, e, 0.6, 8)).toBe(-1);
    expect(periodicShapeGate(t1, walk, 0.6, 8)).toBe(-1);
    const short = Float64Array.from(e, (x, i) => Math.sin((2 * Math.PI * i) / 40) + 0.1 * x);
    expect(periodicShapeGate(t1, short, 0.6, 8)).toBe(Number.NEGATIVE_INFINITY);
    // a daily cycle at 15-minute steps (96 points a day), 5 days of training
    const daily = Float64Array.from(e.subarray(0, 480), (x, i) => Math.sin((2 * Math.PI * i) / 96) + 0.1 * x);
    const t15 = grid(480, 900_000);
    expect(periodicShapeGate(t15, daily, 0.6, 8)).toBe(t15[0] + 8 * 86_400_000);
    expect(periodicShapeGate(t15, daily, 0.6, 0)).toBe(Number.NEGATIVE_INFINITY);
    // a strength the cycle does not reach shuts it
    expect(periodicShapeGate(t15, daily, 1.01, 8)).toBe(-1);
  });

  function run(
    det: {
      train: (x: never) => unknown;
      stream: () => { push: (t: number, v: number) => { score: number } };
    },
    t: Float64Array,
    v: Float64Array,
    cut: number,
  ) {
    det.train({ t: t.subarray(0, cut), v: v.subarray(0, cut) } as never);
    const s = det.stream();
    return Array.from(t.subarray(cut), (x, i) => Math.abs(s.push(x, v[cut + i]).score));
  }
  const base = { rcf: { nEstimators: 10, maxNSamples: 128 } };

  it('with the gate shut (noise), PeriodicShapeDetector scores exactly as the default parts alone and writes no discord state', () => {
    const v = Float64Array.from(noise(1400, 9), (x) => 10 + x);
    const t = grid(1400, 60_000);
    const det = new PeriodicShapeDetector({ seed: 1, base });
    const gated = run(det, t, v, 1000);
    const alone = run(defaultDetector({ seed: 1, ...base, seasonal: false, drift: false }), t, v, 1000);
    expect(gated).toEqual(alone);
    expect((det.toJSON().state as { shape: unknown }).shape).toBeNull();
  });

  it('with the gate open (a daily cycle), the discord is silent for 8 days, then lifts the score of a faster cycle', () => {
    const all = series(3300);
    const v = all.v.slice();
    for (let i = 2700; i < 2900; i++) v[i] = 10 + 3 * Math.sin((2 * Math.PI * i) / 96);
    const det = new PeriodicShapeDetector({ seed: 1, base });
    const gated = run(det, all.t, v, 1000);
    const alone = run(defaultDetector({ seed: 1, ...base, seasonal: false, drift: false }), all.t, v, 1000);
    const from = all.t[0] + 8 * 86_400_000;
    let lifted = false;
    for (let i = 0; i < gated.length; i++) {
      if (all.t[1000 + i] < from) expect(gated[i]).toBe(alone[i]);
      else expect(gated[i]).toBeGreaterThanOrEqual(alone[i]);
      if (i + 1000 >= 2700 && i + 1000 < 2900 && gated[i] >= 3 && alone[i] < 3) lifted = true;
    }
    expect(lifted).toBe(true);
  });

  it("round 8b's recipe is the default's own forest and flat-line member with the gated discord at level 4 and the budget the speed bar allowed", () => {
    const det = makeDetector('shapePeriodic20L4') as PeriodicShapeDetector;
    expect(det).toBeInstanceOf(PeriodicShapeDetector);
    expect(det.config).toMatchObject({
      level: 4,
      paaBudget: SHAPE_8B_BUDGET,
      minStrength: 0.6,
      weekDays: 8,
      base: {},
    });
    expect(SHAPE_8B_BUDGET).toBe(200);
  });
});
