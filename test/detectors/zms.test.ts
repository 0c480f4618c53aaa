import { describe, expect, it } from 'vitest';
import { loadModel, ZmsDetector } from '../../src/detectors/index.js';
import { ConfigError } from '../../src/index.js';

const MIN = 60_000;
const ts = (v: number[], start = 0) => ({
  t: Float64Array.from(v, (_, i) => start + i * 5 * MIN),
  v: Float64Array.from(v),
});

describe('ZmsDetector: worked example Z1 (merlion-detectors.md §3)', () => {
  const train = ts([1, 2, 4, 7, 11, 16, 22, 29]);
  const test = ts([30, 45], 8 * 5 * MIN);
  const make = () => new ZmsDetector({ nLags: 3, enableCalibrator: false, enableThreshold: false });

  it('train scores and test scores with context, uncalibrated', () => {
    const d = make();
    const tr = d.train(train);
    const want = [-1.212626, -1.081531, -0.819342, -0.426058, 0.218218, 0.654654, 1.111438, 1.852396];
    for (const [i, w] of want.entries()) expect(tr.v[i]).toBeCloseTo(w, 6);
    const s = d.score(test, { prev: train });
    expect(s.v[0]).toBeCloseTo(1.958248, 6);
    expect(s.v[1]).toBeCloseTo(5.019011, 6);
  });

  it('the stream continues from the training data with the same numbers', () => {
    const d = make();
    d.train(train);
    const st = d.stream();
    expect(st.push(test.t[0], 30).score).toBeCloseTo(1.958248, 6);
    expect(st.push(test.t[1], 45).score).toBeCloseTo(5.019011, 6);
  });

  it('a saved model resumes its stream exactly', () => {
    // calibrated: the calibrator needs 22 train scores (docs/detectors.md, Training minimums), so the
    // example's pattern (differences 1, 2, 3, …) runs on to 24 points
    const long = ts(Array.from({ length: 24 }, (_, i) => 1 + (i * (i + 1)) / 2));
    const d = new ZmsDetector({ nLags: 3 });
    d.train(long);
    const e = loadModel(JSON.parse(JSON.stringify(d.toJSON())));
    const a = d.stream();
    const b = e.stream();
    for (const [i, v] of [300, 345, 200, 380].entries()) {
      const t = 24 * 5 * MIN + i * 5 * MIN;
      expect(Object.is(a.push(t, v).score, b.push(t, v).score)).toBe(true);
    }
  });

  it('calibrates with maxScore 1000 and alarms through AggregateAlarms(3) by default', () => {
    const d = new ZmsDetector();
    expect(d.config.maxScore).toBe(1000);
    expect(d.config.threshold).toMatchObject({ type: 'aggregateAlarms', almThreshold: 3 });
    expect(d.type).toBe('ZmsDetector');
  });

  it('rejects a negative lag inflation with a ConfigError naming the field', () => {
    expect(() => new ZmsDetector({ lagInflation: -1 })).toThrow(ConfigError);
    expect(() => new ZmsDetector({ lagInflation: -1 })).toThrow(/lagInflation/);
  });
});

describe('ZmsDetector: adaptive level reference (levelHalfLife)', () => {
  // training: 0, 1, 0, 1, … (mean 0.5, sd 0.5); then a persistent level of 10.5 (z 20 against training)
  const train = ts(Array.from({ length: 40 }, (_, i) => i % 2));
  const raw = (h?: number, adaptScale?: boolean) =>
    new ZmsDetector({
      nLags: 0,
      enableCalibrator: false,
      enableThreshold: false,
      ...(h === undefined ? {} : { levelHalfLife: h }),
      ...(adaptScale === undefined ? {} : { levelAdaptScale: adaptScale }),
    });

  it('the first point of a new level scores as the frozen reference does; then the score decays by half per half-life', () => {
    const frozen = raw();
    const adapt = raw(10);
    frozen.train(train);
    adapt.train(train);
    const a = adapt.stream();
    const f = frozen.stream();
    const t0 = 40 * 5 * MIN;
    const sa: number[] = [];
    for (let i = 0; i < 31; i++) {
      const fs = f.push(t0 + i * 5 * MIN, 10.5).score;
      expect(fs).toBeCloseTo(20, 12); // frozen: the level stays news forever
      sa.push(a.push(t0 + i * 5 * MIN, 10.5).score);
    }
    expect(sa[0]).toBeCloseTo(20, 12);
    // the mean moves by alpha = 1 − 2^(−1/10) per point: the distance halves every 10 points
    expect(sa[10]).toBeCloseTo(10, 9);
    expect(sa[20]).toBeCloseTo(5, 9);
    expect(sa[30]).toBeCloseTo(2.5, 9);
  });

  it('with levelAdaptScale the variance learns the change too (scores fall faster), never below the training scale', () => {
    const m = raw(10);
    const v = raw(10, true);
    m.train(train);
    v.train(train);
    const sm = m.stream();
    const sv = v.stream();
    const t0 = 40 * 5 * MIN;
    let last = { m: 0, v: 0 };
    for (let i = 0; i < 5; i++)
      last = { m: sm.push(t0 + i * 5 * MIN, 10.5).score, v: sv.push(t0 + i * 5 * MIN, 10.5).score };
    expect(last.v).toBeLessThan(last.m);
    // back inside the training range for a long time: the scale returns to (not below) the training sd
    for (let i = 5; i < 400; i++) sv.push(t0 + i * 5 * MIN, i % 2);
    expect(Math.abs(sv.push(t0 + 400 * 5 * MIN, 1.5).score)).toBeLessThanOrEqual(2 + 1e-9);
  });

  it('batch scores equal the stream, and nothing is learnt by scoring', () => {
    const d = raw(7);
    d.train(train);
    const test = ts([3, 3, 4, 9, 9, 9, 0, 1], 40 * 5 * MIN);
    const b1 = d.score(test).v;
    const b2 = d.score(test).v;
    const st = d.stream();
    for (let i = 0; i < test.v.length; i++) {
      expect(b1[i]).toBe(b2[i]);
      expect(Object.is(st.push(test.t[i], test.v[i]).score, b1[i])).toBe(true);
    }
  });

  it('a saved model resumes its stream exactly (the reference is in the model file)', () => {
    const d = raw(5, true);
    d.train(train);
    const st = d.stream();
    const t0 = 40 * 5 * MIN;
    for (let i = 0; i < 6; i++) st.push(t0 + i * 5 * MIN, 8 + i);
    const e = loadModel(JSON.parse(JSON.stringify(d.toJSON())));
    const a = d.stream();
    const b = e.stream();
    for (const [i, v] of [30, 45, 20, 80, 0].entries()) {
      const t = t0 + (6 + i) * 5 * MIN;
      expect(Object.is(a.push(t, v).score, b.push(t, v).score)).toBe(true);
    }
  });

  it('a model file with levelHalfLife but no reference is refused by name; files without the option load as before', () => {
    const d = raw(5);
    d.train(train);
    const j = JSON.parse(JSON.stringify(d.toJSON()));
    delete j.state.model.history.level;
    expect(() => loadModel(j)).toThrow(/history\.level/);
    const f = raw();
    f.train(train);
    const jf = JSON.parse(JSON.stringify(f.toJSON()));
    expect(jf.state.model.history.level).toBeUndefined();
    expect(jf.config.levelHalfLife).toBeUndefined();
  });

  it('rejects a half-life below 1 with a ConfigError naming the field', () => {
    expect(() => new ZmsDetector({ levelHalfLife: 0 })).toThrow(/levelHalfLife/);
  });
});

describe('ZmsDetector: cumulative level reference (levelCumulative)', () => {
  const train = ts([0, 1, 0, 1]);
  it('is the mean and population variance of everything seen, training included (Welford)', () => {
    const d = new ZmsDetector({
      nLags: 0,
      enableCalibrator: false,
      enableThreshold: false,
      levelCumulative: true,
      levelAdaptScale: true,
    });
    d.train(train);
    const st = d.stream();
    const seen = [0, 1, 0, 1];
    const t0 = 4 * 5 * MIN;
    for (const [i, v] of [5, 7, 2, 9, 9].entries()) {
      const m = seen.reduce((a, b) => a + b, 0) / seen.length;
      const varc = seen.reduce((a, b) => a + (b - m) ** 2, 0) / seen.length;
      // one column (no lags): the score is |z|
      const want = Math.abs(v - m) / Math.sqrt(Math.max(varc, 0.25));
      expect(st.push(t0 + i * 5 * MIN, v).score).toBeCloseTo(want, 12);
      seen.push(v);
    }
    const e = loadModel(JSON.parse(JSON.stringify(d.toJSON())));
    expect(
      Object.is(d.stream().push(t0 + 5 * 5 * MIN, 3).score, e.stream().push(t0 + 5 * 5 * MIN, 3).score),
    ).toBe(true);
  });

  it('batch scores equal the stream (the cumulative reference, not the training one)', () => {
    const d = new ZmsDetector({
      nLags: 0,
      enableCalibrator: false,
      enableThreshold: false,
      levelCumulative: true,
    });
    d.train(train);
    const test = ts([3, 3, 4, 9, 9, 9, 0, 1], 4 * 5 * MIN);
    const b = d.score(test).v;
    const st = d.stream();
    for (let i = 0; i < test.v.length; i++)
      expect(Object.is(st.push(test.t[i], test.v[i]).score, b[i])).toBe(true);
  });

  it('cannot be combined with levelHalfLife', () => {
    expect(() => new ZmsDetector({ levelCumulative: true, levelHalfLife: 10 })).toThrow(/levelCumulative/);
  });
});
