/**
 * A detector, its streams and its copies each keep their own last time (speed round 20 keeps it in a
 * one-element array per copy instead of a number field): a push on one stream never moves the time
 * another stream, the detector, or an ensemble member's copy checks against.
 */
import { describe, expect, it } from 'vitest';
import { DetectorError, defaultDetector, ZmsDetector } from '../../src/index.js';

const T0 = Date.UTC(2024, 0, 1);
const STEP = 300_000;

function series(n: number, from = 0): { t: Float64Array; v: Float64Array } {
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = T0 + (from + i) * STEP;
    v[i] = 10 + Math.sin((2 * Math.PI * (from + i)) / 288) + (((from + i) * 7919) % 13) / 20;
  }
  return { t, v };
}

describe('last time per copy', () => {
  it('two streams of one detector, and the detector, keep their own last times', () => {
    const det = new ZmsDetector({ enableThreshold: false });
    det.train(series(400));
    const a = det.stream();
    const b = det.stream();
    const next = series(20, 400);
    for (let i = 0; i < 20; i++) a.push(next.t[i], next.v[i]);
    // b has seen none of a's points: the first of them is still after its last time
    expect(() => b.push(next.t[0], next.v[0])).not.toThrow();
    // a refuses a time it has passed
    expect(() => a.push(next.t[5], next.v[5])).toThrow(DetectorError);
    // the detector was not moved by either stream: score() with the same points, a fresh stream too
    const c = det.stream();
    expect(() => c.push(next.t[0], next.v[0])).not.toThrow();
    // update() moves the detector only; a stream opened before it is unaffected
    const d = det.stream();
    det.update(next);
    expect(() => d.push(next.t[0], next.v[0])).not.toThrow();
    expect(() => det.stream().push(next.t[19], next.v[19])).toThrow(DetectorError);
    expect(() => det.stream().push(next.t[19] + STEP, 10)).not.toThrow();
  });

  it("the default ensemble's streams do not share their members' last times", () => {
    const det = defaultDetector();
    det.train(series(2400));
    const next = series(30, 2400);
    const before = JSON.stringify(det.toJSON());
    const a = det.stream();
    const b = det.stream();
    const sa: number[] = [];
    const sb: number[] = [];
    for (let i = 0; i < 30; i++) sa.push(a.push(next.t[i], next.v[i]).score);
    for (let i = 0; i < 30; i++) sb.push(b.push(next.t[i], next.v[i]).score);
    for (let i = 0; i < 30; i++) expect(Object.is(sa[i], sb[i])).toBe(true);
    // the second stream saw the same points after the same time: the same scores, bit for bit
    expect(JSON.stringify(det.toJSON())).toBe(before);
  });
});
