import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DetectorError, defaultDetector, EtsDetector } from '../../src/index.js';
import {
  FLOOR_RECIPE,
  makeDetector,
  NAB_MAPPING,
  PEAK_SPAN_MS,
  peakScores,
  runNabStream,
} from '../../src/internal.js';
import { lcg31 } from '../helpers/random.js';

/** Non-decreasing times (repeats allowed) with scores, as result rows are. */
const rowsArb = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.double({ min: 0, max: 1, noNaN: true })), {
    minLength: 1,
    maxLength: 300,
  })
  .map((xs) => {
    const t = new Float64Array(xs.length);
    const a = new Float64Array(xs.length);
    let now = 0;
    xs.forEach(([dt, s], i) => {
      now += dt * 60_000;
      t[i] = now;
      a[i] = s;
    });
    return { t, a };
  });

describe('peakScores (the onlinePeak mapping)', () => {
  it('keeps a row exactly when it is above every row of the span before it, else 0', () => {
    fc.assert(
      fc.property(rowsArb, fc.integer({ min: 0, max: 300 }), ({ t, a }, spanMin) => {
        const span = spanMin * 60_000;
        const out = peakScores(t, a, span);
        for (let i = 0; i < a.length; i++) {
          // brute force: the maximum over earlier rows within the span
          let m = Number.NEGATIVE_INFINITY;
          for (let j = 0; j < i; j++) if (t[j] >= t[i] - span && a[j] > m) m = a[j];
          expect(out[i]).toBe(a[i] > m ? a[i] : 0);
        }
      }),
    );
  });

  it('in place gives the same as into a new array, and a constant run reports once', () => {
    fc.assert(
      fc.property(rowsArb, ({ t, a }) => {
        const fresh = peakScores(t, a, PEAK_SPAN_MS);
        const copy = Float64Array.from(a);
        expect(peakScores(t, copy, PEAK_SPAN_MS, copy)).toEqual(fresh);
      }),
    );
    const t = Float64Array.from({ length: 30 }, (_, i) => i * 300_000);
    const out = peakScores(t, new Float64Array(30).fill(0.999), PEAK_SPAN_MS);
    expect(Array.from(out).filter((x) => x > 0)).toEqual([0.999]);
    // after a quiet span longer than 120 minutes the same level reports again
    const t2 = Float64Array.from([0, 60_000, 60_000 + PEAK_SPAN_MS + 1]);
    expect(Array.from(peakScores(t2, Float64Array.from([0.9, 0.9, 0.9]), PEAK_SPAN_MS))).toEqual([
      0.9, 0, 0.9,
    ]);
  });
});

describe('runNabStream with the onlinePeak and onlineAlarm mappings', () => {
  // a daily cycle with noise and two spikes after the training part
  const n = 2000;
  const t = Float64Array.from({ length: n }, (_, i) => i * 300_000);
  const u = lcg31(7);
  const v = Float64Array.from({ length: n }, (_, i) => 10 * Math.sin((2 * Math.PI * i) / 288) + (u() - 0.5));
  v[1200] += 40;
  v[1700] -= 40;
  const windows: [number, number][] = [[t[1150], t[1250]]];
  const run = (m: 'online' | 'onlinePeak' | 'onlineAlarm') =>
    runNabStream(defaultDetector(), { t, v }, { t, v }, windows, m);

  it('derive from the online scores: the peaks of them, or them on the alarm rows only', () => {
    const online = run('online');
    const peak = run('onlinePeak');
    const alarm = run('onlineAlarm');
    expect(Array.from(peak.anomaly)).toEqual(Array.from(peakScores(t, online.anomaly, PEAK_SPAN_MS)));
    expect(Array.from(alarm.alarm)).toEqual(Array.from(online.alarm));
    for (let i = 0; i < n; i++) expect(alarm.anomaly[i]).toBe(online.alarm[i] ? online.anomaly[i] : 0);
    // the spike rows alarm and keep their score in both; the sustained rows after them do not
    expect(alarm.anomaly[1200]).toBeGreaterThan(0.99);
    expect(peak.anomaly[1200]).toBeGreaterThan(0.99);
    const aboveOnline = online.anomaly.filter((x) => x >= 0.99).length;
    const abovePeak = peak.anomaly.filter((x) => x >= 0.99).length;
    expect(abovePeak).toBeLessThan(aboveOnline);
  });

  it('the recipes carry the mappings and each mapping has its floor recipe', () => {
    expect(NAB_MAPPING.defaultPeak).toBe('onlinePeak');
    expect(NAB_MAPPING.defaultAlarmMap).toBe('onlineAlarm');
    expect(NAB_MAPPING[FLOOR_RECIPE.onlinePeak]).toBe('onlinePeak');
    expect(NAB_MAPPING[FLOOR_RECIPE.onlineAlarm]).toBe('onlineAlarm');
  });
});

describe('runNabStream on a file whose probationary part a detector refuses', () => {
  // NAB's art_flatline: a constant file; ETS fits it exactly and refuses it (tiny_scale)
  const n = 400;
  const t = Float64Array.from({ length: n }, (_, i) => i * 300_000);
  const v = new Float64Array(n).fill(-21);

  it('the detector does refuse the training part on its own', () => {
    expect(() =>
      new EtsDetector({ auto: true }).train({ t: t.subarray(0, 60), v: v.subarray(0, 60) }),
    ).toThrow(DetectorError);
  });

  it('scores the file as the floor does (a detector of zeros through the same mapping), not a failed run', () => {
    for (const m of ['cdf', 'online', 'likelihood'] as const) {
      const r = runNabStream(new EtsDetector({ auto: true }), { t, v }, { t, v }, [], m);
      const floor = runNabStream(makeDetector(FLOOR_RECIPE[m]), { t, v }, { t, v }, [], m);
      expect(Array.from(r.anomaly), m).toEqual(Array.from(floor.anomaly));
      expect(Array.from(r.alarm), m).toEqual(Array.from(floor.alarm));
    }
  });

  it('a detector error other than a refusal of the data still fails the file', () => {
    const det = new EtsDetector({ auto: true });
    det.train = () => {
      throw new DetectorError('not_implemented', 'boom');
    };
    expect(() => runNabStream(det, { t, v }, { t, v }, [], 'cdf')).toThrow(/boom/);
  });
});
