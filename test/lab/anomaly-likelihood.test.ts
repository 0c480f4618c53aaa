import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Detector, StreamScorer } from '../../src/detectors/index.js';
import { AnomalyLikelihoodPost, logLikelihood } from '../../src/detectors/index.js';
import { ConfigError } from '../../src/index.js';
import { nabAnomalyScore, RollingStats, runNabStream } from '../../src/internal.js';

const pairs = fc.array(
  fc.tuple(fc.double({ min: -0.5, max: 1.5, noNaN: true }), fc.double({ min: -1e6, max: 1e6, noNaN: true })),
  { minLength: 1, maxLength: 300 },
);
const small = { learningPeriod: 5, historyWindow: 40, averagingWindow: 3, restPeriod: 4 };

function run(xs: readonly [number, number][], cfg = small): number[] {
  const p = new AnomalyLikelihoodPost(cfg);
  return xs.map(([r, v]) => p.push(r, v));
}

describe('logLikelihood (Numenta log scale)', () => {
  it('maps 0.5 to about 0.03, 0.99999 to 0.5 and saturates at 1', () => {
    // log(0.5)/log(1e-10) = 0.0301; log(1e-5)/log(1e-10) = 0.5
    expect(logLikelihood(0.5)).toBeCloseTo(Math.log(0.5) / Math.log(1e-10), 6);
    expect(logLikelihood(0.99999)).toBeCloseTo(0.5, 4);
    expect(logLikelihood(1)).toBe(1);
    expect(logLikelihood(0)).toBe(0);
  });
});

describe('AnomalyLikelihoodPost', () => {
  it('outputs scores in [0, 1] whatever the raw scores (clamped, NaN = 0)', () => {
    fc.assert(
      fc.property(pairs, (xs) => {
        for (const s of run(xs)) expect(s >= 0 && s <= 1).toBe(true);
      }),
    );
    const p = new AnomalyLikelihoodPost(small);
    for (let i = 0; i < 20; i++) expect(p.push(Number.NaN, 1)).toBeGreaterThanOrEqual(0);
  });

  it('has no look-ahead: a prefix scores the same when more points follow', () => {
    fc.assert(
      fc.property(pairs, pairs, (a, b) => {
        expect(run([...a, ...b]).slice(0, a.length)).toEqual(run(a));
      }),
    );
  });

  it('reports nothing during the learning period', () => {
    fc.assert(
      fc.property(pairs, (xs) => {
        const out = run(xs, { ...small, learningPeriod: 50 });
        for (const s of out.slice(0, 50)) expect(s).toBe(0);
      }),
    );
  });

  it('scores a sustained rise of the raw scores highly, a steady stream low', () => {
    const p = new AnomalyLikelihoodPost({ restPeriod: 0, spatialTolerance: 0, jumpTolerance: 0 });
    let steady = 0;
    for (let i = 0; i < 2000; i++)
      steady = Math.max(steady, i >= 200 ? p.push(0.1 + 0.02 * Math.sin(i), 0) : p.push(0.1, 0));
    let high = 0;
    for (let i = 0; i < 20; i++) high = Math.max(high, p.push(0.9, 0));
    expect(steady).toBeLessThan(0.35);
    expect(high).toBeGreaterThan(0.9);
  });

  it('spatial novelty: a value outside the seen range widened by the tolerance scores 1; inside it does not', () => {
    const mk = () => {
      const p = new AnomalyLikelihoodPost({
        spatialTolerance: 0.1,
        jumpTolerance: 0,
        restPeriod: 0,
        learningPeriod: 2,
      });
      for (let i = 0; i <= 100; i++) p.push(0, i / 10); // range [0, 10]
      return p;
    };
    expect(mk().push(0, 10.9)).toBeLessThan(1);
    expect(mk().push(0, 11.1)).toBe(1);
    expect(mk().push(0, -1.1)).toBe(1);
  });

  it('jump novelty: a first difference beyond the largest seen by the tolerance scores jumpLevel', () => {
    const p = new AnomalyLikelihoodPost({
      spatialTolerance: 0,
      jumpTolerance: 0.2,
      jumpLevel: 0.9,
      restPeriod: 0,
      learningPeriod: 2,
    });
    for (let i = 0; i < 100; i++) p.push(0, i % 2); // |diff| = 1
    expect(p.push(0, 1 - 1.1)).toBeLessThan(0.9); // |diff| 1.1 (value 0.9 → -0.1 after 1)
    expect(p.push(0, -0.1 + 1.5)).toBe(0.9); // |diff| 1.5 > 1.1 · 1.2
  });

  it('caps the rest period after an alarm at half the alarm level, then alarms again', () => {
    const p = new AnomalyLikelihoodPost({
      spatialTolerance: 0.01,
      jumpTolerance: 0,
      restPeriod: 5,
      alarmLevel: 0.4,
      learningPeriod: 2,
    });
    for (let i = 0; i < 50; i++) p.push(0, i % 3);
    expect(p.push(0, 10)).toBe(1);
    for (let k = 1; k <= 5; k++) expect(p.push(0, 10 + 10 * k)).toBeLessThanOrEqual(0.2);
    expect(p.push(0, 1000)).toBe(1);
  });

  it('copyFrom continues exactly like the original', () => {
    fc.assert(
      fc.property(pairs, pairs, (a, b) => {
        const p1 = new AnomalyLikelihoodPost(small);
        for (const [r, v] of a) p1.push(r, v);
        const p2 = new AnomalyLikelihoodPost(small);
        p2.copyFrom(p1);
        expect(b.map(([r, v]) => p2.push(r, v))).toEqual(b.map(([r, v]) => p1.push(r, v)));
      }),
    );
  });

  it('rejects a bad config with a ConfigError naming the field', () => {
    expect(() => new AnomalyLikelihoodPost({ historyWindow: 3 })).toThrow(ConfigError);
    expect(() => new AnomalyLikelihoodPost({ historyWindow: 3 })).toThrow(/historyWindow/);
    expect(() => new RollingStats(4).copyFrom(new RollingStats(5))).toThrow(ConfigError);
  });
});

describe("runNabStream's likelihood mapping", () => {
  /** A stand-in detector: its calibrated score is the value itself; records what it was trained on. */
  /** Echoes values as scores; `dropFirst` leaves the first train point unscored, like a difference transform. */
  function echo(dropFirst = false): Detector & { trainedOn: number } {
    const d = {
      type: 'Echo',
      config: {},
      trainedOn: 0,
      trainScores: null as { t: Float64Array; v: Float64Array } | null,
      train(ts: { t: Float64Array; v: Float64Array }) {
        d.trainedOn = ts.v.length;
        const k = dropFirst ? 1 : 0;
        d.trainScores = { t: ts.t.slice(k), v: ts.v.slice(k) };
        return ts;
      },
      score: (ts: { t: Float64Array; v: Float64Array }) =>
        dropFirst ? { t: ts.t.slice(1), v: ts.v.slice(1) } : ts,
      detect: (ts: { t: Float64Array; v: Float64Array }) => ({ scores: ts, alarms: [] }),
      update: () => {},
      stream: (): StreamScorer => ({
        push: (_t: number, v: number) => ({ score: v, alarm: false, reset: false }),
        scoreOne: (_t: number, v: number) => v,
        learnOne: () => {},
        toJSON: () => d.toJSON(),
      }),
      toJSON: () => ({
        format: 'tsad-model' as const,
        version: 1 as const,
        type: 'Echo',
        config: {},
        state: null,
      }),
    };
    return d;
  }

  it('equals the post-processor fed with the probationary period first, then the stream (no look-ahead)', () => {
    const n = 1000;
    const v = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 9) + (i === 800 ? 6 : 0));
    const t = Float64Array.from({ length: n }, (_, i) => i * 60_000);
    const det = echo();
    const r = runNabStream(det, { t, v }, { t, v }, [], 'likelihood');
    expect(det.trainedOn).toBe(150);
    const p = new AnomalyLikelihoodPost();
    const ref = Array.from(v, (x) => p.push(nabAnomalyScore(x), x));
    for (let i = 0; i < 150; i++) expect(r.anomaly[i]).toBe(0);
    expect(Array.from(r.anomaly.subarray(150))).toEqual(ref.slice(150));
    expect(r.anomaly[800]).toBe(1);
  });

  it('matches train scores to points by timestamp when the first point has no score', () => {
    const n = 1000;
    const v = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 9) + (i === 100 ? 6 : 0));
    const t = Float64Array.from({ length: n }, (_, i) => i * 60_000);
    const r = runNabStream(echo(true), { t, v }, { t, v }, [], 'likelihood');
    const p = new AnomalyLikelihoodPost();
    const ref = Array.from(v, (x, i) => p.push(i === 0 ? 0 : nabAnomalyScore(x), x));
    expect(Array.from(r.anomaly.subarray(150))).toEqual(ref.slice(150));
  });
});
