import { describe, expect, it } from 'vitest';
import { Ensemble, loadModel } from '../../src/detectors/index.js';
import { maxDetector, onlineMaxDetector } from '../../src/internal.js';

/** A noisy daily-ish cycle at 5-minute steps (deterministic). */
function series(n: number, t0 = Date.UTC(2024, 0, 1)): { t: Float64Array; v: Float64Array } {
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let s = 7;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    t[i] = t0 + i * 300_000;
    v[i] = 10 + 3 * Math.sin((2 * Math.PI * i) / 288) + (s / 2147483648 - 0.5);
  }
  return { t, v };
}

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
