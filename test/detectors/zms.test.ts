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
    const d = new ZmsDetector({ nLags: 3 });
    d.train(train);
    const e = loadModel(JSON.parse(JSON.stringify(d.toJSON())));
    const a = d.stream();
    const b = e.stream();
    for (const [i, v] of [30, 45, 20, 80].entries()) {
      const t = test.t[0] + i * 5 * MIN;
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
