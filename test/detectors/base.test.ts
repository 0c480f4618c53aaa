import { describe, expect, it } from 'vitest';
import { IsolationForest } from '../../src/detectors/index.js';
import { DetectorError } from '../../src/index.js';
import { syntheticSeries } from '../../src/testing/index.js';

const all = syntheticSeries(900);
const train = { t: all.t.slice(0, 600), v: all.v.slice(0, 600) };
const test = { t: all.t.slice(600), v: all.v.slice(600) };

describe('BaseDetector post-rule (docs/detectors.md, Post-processing)', () => {
  it('calibrates, then thresholds: detect() = AggregateAlarms(score())', () => {
    const d = new IsolationForest({ nEstimators: 20 });
    d.train(train);
    const s = d.score(test, { prev: train });
    const { scores, alarms } = d.detect(test, { prev: train });
    for (let i = 0; i < s.v.length; i++) expect(scores.v[i] === 0 || scores.v[i] === s.v[i]).toBe(true);
    expect(alarms.every((a) => Math.abs(a.score) >= 3)).toBe(true);
    expect(d.toJSON().state).toMatchObject({ threshold: { almThreshold: 3 } });
  });
  it('trains the threshold from labels by grid search', () => {
    const labels = { t: train.t, v: train.v.map((_, i) => (i % 97 >= 50 && i % 97 <= 51 ? 1 : 0)) };
    const d = new IsolationForest({ nEstimators: 20 });
    d.train(train, { labels });
    const thr = (d.toJSON().state as { threshold: { almThreshold: number } }).threshold.almThreshold;
    expect(Number.isFinite(thr)).toBe(true);
    expect(d.trainScores?.v.length).toBe(train.v.length - 1);
  });
  it('calibrator disabled: the unsupervised quantile 2Φ(3) − 1 of the raw scores sets the threshold', () => {
    const d = new IsolationForest({ nEstimators: 20, enableCalibrator: false });
    d.train(train);
    const raw = Float64Array.from(d.trainScores!.v).sort();
    const thr = (d.toJSON().state as { threshold: { almThreshold: number } }).threshold.almThreshold;
    expect(thr).toBeGreaterThan(raw[Math.floor(0.99 * raw.length)]);
    expect(thr).toBeLessThanOrEqual(raw[raw.length - 1]);
  });
  it('threshold disabled: train returns calibrated scores and every non-zero score is an alarm', () => {
    const d = new IsolationForest({ nEstimators: 20, enableThreshold: false });
    const tr = d.train(train);
    expect(Array.from(tr.v)).toEqual(Array.from(d.trainScores!.v));
    const { scores, alarms } = d.detect(test, { prev: train });
    expect(alarms.length).toBe(Array.from(scores.v).filter((x) => x !== 0).length);
  });
  it('the calibrator is trained once unless retrainCalibrator', () => {
    const d = new IsolationForest({ nEstimators: 20 });
    d.train(train);
    const a = JSON.stringify((d.toJSON().state as { calibrator: unknown }).calibrator);
    d.train(test);
    expect(JSON.stringify((d.toJSON().state as { calibrator: unknown }).calibrator)).toBe(a);
    const e = new IsolationForest({ nEstimators: 20, postRuleTrain: { retrainCalibrator: true } });
    e.train(train);
    e.train(test);
    expect(JSON.stringify((e.toJSON().state as { calibrator: unknown }).calibrator)).not.toBe(a);
  });
  it('prev must end before the data; too few points is a typed error', () => {
    const d = new IsolationForest({ nEstimators: 5 });
    d.train(train);
    expect(() => d.score(train, { prev: train })).toThrow(DetectorError);
    expect(() => new IsolationForest().train({ t: all.t.slice(0, 2), v: all.v.slice(0, 2) })).toThrow(
      /needs at least 24 training points, got 2/,
    );
  });
});

describe('stream arguments', () => {
  it("push('x', 1) and other non-number arguments name the wrong one and what push takes", () => {
    const d = new IsolationForest({ nEstimators: 5 });
    d.train(train);
    const s = d.stream();
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as DetectorError;
      }
      throw new Error('no error');
    };
    const bad = (t: unknown, v: unknown) => err(() => s.push(t as number, v as number));
    const e = bad('x', 1);
    expect(e).toBeInstanceOf(DetectorError);
    expect(e.code).toBe('bad_point');
    expect(e.message).toBe(
      `IsolationForest stream: push(t, v) takes the point's time in epoch milliseconds and its value, both numbers; t is "x" (a string) (for an ISO 8601 time, pass Date.parse(t)). One stream scores one series: keep a stream per series id (tsad serve does this for you)`,
    );
    const next = test.t[0];
    expect(bad(next, '1').message).toMatch(/; v is "1" \(a string\)\. One stream/);
    expect(bad(next, { v: 1 }).message).toMatch(/; v is an object\. One stream/);
    expect(bad({ t: next, v: 1 }, undefined).message).toMatch(/; t is an object\. One stream/);
    expect(err(() => s.scoreOne('x' as unknown as number, 1)).code).toBe('bad_point');
    // numbers that are not finite keep their own codes; the stream still accepts the next point
    expect(bad(next, Number.NaN).code).toBe('non_finite');
    expect(bad(Number.NaN, 1).code).toBe('bad_time');
    expect(Number.isFinite(s.push(next, test.v[0]).score)).toBe(true);
  });
});
