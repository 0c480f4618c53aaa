import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultDetector, ZmsDetector } from '../../src/detectors/index.js';
import { ConfigError } from '../../src/index.js';
import { MT_RECIPES, mtDetector, RECIPES, SustainedScore } from '../../src/internal.js';
import { dailyCycle } from '../helpers/random.js';

/** A noisy daily cycle at 5-minute steps (deterministic). */
const series = dailyCycle;

function zms(): ZmsDetector {
  return new ZmsDetector({ nLags: 0, enableCalibrator: true, enableThreshold: false });
}

describe('SustainedScore (lab detector of the machine-temperature round)', () => {
  it('streams the smallest |inner score| of the last `minutes`, with the current sign (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 240 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 30, maxLength: 120 }),
        fc.array(fc.double({ min: -8, max: 8, noNaN: true }), { minLength: 30, maxLength: 120 }),
        (seed, minutes, gaps, jumps) => {
          const n = Math.min(gaps.length, jumps.length);
          const train = series(400, seed);
          const t = new Float64Array(n);
          const v = new Float64Array(n);
          let now = train.t[399];
          for (let i = 0; i < n; i++) {
            now += gaps[i] * 300_000; // steps of 5–20 minutes: a window holds a varying number of points
            t[i] = now;
            v[i] = 10 + jumps[i];
          }
          const inner = zms();
          inner.train(train);
          const ref = inner.stream();
          const own = zms();
          own.train(train);
          const held = new SustainedScore(own, minutes);
          const st = held.stream();
          const innerScores: number[] = [];
          for (let i = 0; i < n; i++) {
            const x = ref.push(t[i], v[i]).score;
            innerScores.push(x);
            let m = Math.abs(x);
            for (let j = i - 1; j >= 0 && t[j] >= t[i] - minutes * 60_000; j--)
              m = Math.min(m, Math.abs(innerScores[j]));
            const got = st.push(t[i], v[i]);
            expect(got.alarm).toBe(false);
            expect(got.score).toBe(Math.sign(x) * m);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('scores in batch as it streams, and scoreOne changes nothing', () => {
    const all = series(900);
    const train = { t: all.t.subarray(0, 500), v: all.v.subarray(0, 500) };
    const test = { t: all.t.subarray(500), v: all.v.subarray(500).slice() };
    test.v.fill(2, 200, 260); // a low level for five hours
    const a = new SustainedScore(zms(), 60);
    a.train(train);
    const batch = a.score(test).v;
    const st = a.stream();
    let high = 0;
    for (let i = 0; i < test.t.length; i++) {
      const peek = st.scoreOne(test.t[i], test.v[i]);
      const r = st.push(test.t[i], test.v[i]);
      expect(peek).toBe(r.score);
      expect(r.score).toBe(batch[i]);
      if (Math.abs(r.score) > 3) high++;
    }
    // the held score rises only once the low level has lasted an hour, and stays while it lasts
    expect(Math.abs(batch[205])).toBeLessThan(3);
    expect(high).toBeGreaterThan(30);
  });

  it('learnOne keeps the window: a stream that learns a point scores the next as one that pushed it', () => {
    const all = series(700);
    const train = { t: all.t.subarray(0, 500), v: all.v.subarray(0, 500) };
    const a = new SustainedScore(zms(), 30);
    a.train(train);
    const s1 = a.stream();
    const s2 = a.stream();
    for (let i = 500; i < 700; i++) {
      const v = i >= 600 && i < 640 ? 0 : all.v[i];
      if (i % 3 === 0) s1.learnOne(all.t[i], v);
      else s1.push(all.t[i], v);
      s2.push(all.t[i], v);
      if (i % 3 !== 0) expect(s1.scoreOne(all.t[i] + 1, v)).toBe(s2.scoreOne(all.t[i] + 1, v));
    }
  });

  it('refuses a negative or non-finite hold', () => {
    expect(() => new SustainedScore(zms(), -1)).toThrow(ConfigError);
    expect(() => new SustainedScore(zms(), Number.NaN)).toThrow(/minutes/);
  });
});

describe('mtDetector', () => {
  it('without options scores exactly as the default before round 12c (no lone-alarm paths)', () => {
    const all = series(1200);
    const train = { t: all.t.subarray(0, 700), v: all.v.subarray(0, 700) };
    const test = { t: all.t.subarray(700), v: all.v.subarray(700).slice() };
    test.v.fill(test.v[50], 50, 90);
    test.v[200] += 6;
    const a = mtDetector(5);
    const b = defaultDetector({ seed: 5, etsAlone: false, threshold: { strongThreshold: undefined } });
    a.train(train);
    b.train(train);
    const sa = a.stream();
    const sb = b.stream();
    for (let i = 0; i < test.t.length; i++) {
      const ra = sa.push(test.t[i], test.v[i]);
      const rb = sb.push(test.t[i], test.v[i]);
      expect(ra.score).toBe(rb.score);
      expect(ra.alarm).toBe(rb.alarm);
    }
  });

  it('with the sustained path alarms on a long low level that the mean alone leaves below the threshold', () => {
    const all = series(1500);
    const train = { t: all.t.subarray(0, 800), v: all.v.subarray(0, 800) };
    const test = { t: all.t.subarray(800), v: all.v.subarray(800).slice() };
    // a slow slide to a level 1.5 daily amplitudes below the cycle, held for a day: a drift the forecast follows
    for (let i = 100; i < 700; i++) test.v[i] -= Math.min(1, (i - 100) / 150) * 6.5;
    const count = (d: ReturnType<typeof mtDetector>) => {
      d.train(train);
      const st = d.stream();
      let n = 0;
      for (let i = 0; i < test.t.length; i++) if (st.push(test.t[i], test.v[i]).alarm) n++;
      return n;
    };
    expect(count(mtDetector(1, { sustainMinutes: 180 }))).toBeGreaterThan(count(mtDetector(1)));
  });

  it('its recipes are registered with the online mapping', () => {
    for (const name of Object.keys(MT_RECIPES)) {
      expect(RECIPES[name]).toBe(MT_RECIPES[name]);
      expect(RECIPES[name].mapping).toBe('online');
    }
  });
});
