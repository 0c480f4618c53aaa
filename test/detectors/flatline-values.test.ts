import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlatLineDetector } from '../../src/detectors/index.js';
import { lcg } from '../helpers/random.js';

/** A count series that idles at 0 for long stretches between busy ones (deterministic LCG). */
function idleCounts(n: number, seed: number): Float64Array {
  const u = lcg(seed);
  const v = new Float64Array(n);
  let i = 0;
  while (i < n) {
    const idle = 5 + Math.floor(-40 * Math.log(1 - u())); // zeros, mean ≈ 45 points
    for (let k = 0; k < idle && i < n; k++) v[i++] = 0;
    const busy = 10 + Math.floor(30 * u());
    for (let k = 0; k < busy && i < n; k++) v[i++] = 1 + Math.floor(50 * u());
  }
  return v;
}

const minute = (n: number) => Float64Array.from({ length: n }, (_, i) => i * 60_000);

describe('FlatLineDetector: runs judged against the history of runs at the same value', () => {
  it('an idling count series (long runs of 0) stays quiet; a stall at a value it never idles at alarms', () => {
    const n = 4000;
    const t = minute(n + 1000);
    let quietSeries = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      const v = idleCounts(n, seed);
      const d = new FlatLineDetector();
      d.train({ t: t.subarray(0, 600), v: v.subarray(0, 600) });
      const s = d.stream();
      let alarms = 0;
      for (let i = 600; i < n; i++) if (s.push(t[i], v[i]).alarm) alarms++;
      if (alarms === 0) quietSeries++;
      // a busy value that stays put for far longer than any idle stretch is a stall
      let stuck = 0;
      for (let i = n; i < n + 1000; i++) if (s.push(t[i], 37.5).alarm) stuck++;
      expect(stuck).toBeGreaterThan(0);
    }
    // before runs were judged per value, 4 of these 5 series alarmed on an ordinary idle stretch
    expect(quietSeries).toBeGreaterThanOrEqual(4);
  });

  it('checkpoint → resume mid-run continues bit for bit (the per-value table is in the model file)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 650, max: 1900 }), (seed, cut) => {
        const v = idleCounts(2000, seed);
        const t = minute(2000);
        const a = new FlatLineDetector();
        a.train({ t: t.subarray(0, 600), v: v.subarray(0, 600) });
        const sa = a.stream();
        const whole: number[] = [];
        for (let i = 600; i < 2000; i++) whole.push(sa.push(t[i], v[i]).score);
        const b = new FlatLineDetector();
        b.train({ t: t.subarray(0, 600), v: v.subarray(0, 600) });
        const sb = b.stream();
        const parts: number[] = [];
        for (let i = 600; i < cut; i++) parts.push(sb.push(t[i], v[i]).score);
        const file = JSON.stringify(sb.toJSON());
        const c = FlatLineDetector.load(JSON.parse(file)).stream();
        for (let i = cut; i < 2000; i++) parts.push(c.push(t[i], v[i]).score);
        expect(parts).toEqual(whole);
      }),
      { numRuns: 15 },
    );
  });

  it('refuses a per-value table that cannot be', () => {
    const v = idleCounts(800, 9);
    const d = new FlatLineDetector();
    d.train({ t: minute(800), v });
    const json = JSON.parse(JSON.stringify(d.toJSON()));
    const table = json.state.model.byValue as number[];
    expect(table.length).toBe(40);
    table[1] = -1;
    expect(() => FlatLineDetector.load(json)).toThrow(/byValue/);
  });

  it('onset mode (onsetPoints k) keeps only the first k or so points of each run past its reference, bounded', () => {
    let hits = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 30 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 400, max: 800 }),
        (seed, k, stallLen) => {
          const n = 2400;
          const v = idleCounts(n, seed);
          // a stall at a busy value the series never rests at, well after training
          v.fill(v[1500] === 0 ? 23.25 : v[1500], 1500, 1500 + stallLen);
          const t = minute(n);
          const train = { t: t.subarray(0, 600), v: v.subarray(0, 600) };
          const test = { t: t.subarray(600), v: v.subarray(600) };
          const plain = new FlatLineDetector({ enableThreshold: false });
          const onset = new FlatLineDetector({ enableThreshold: false, onsetPoints: k });
          plain.train(train);
          onset.train(train);
          const p = plain.score(test, { prev: train }).v;
          const o = onset.score(test, { prev: train }).v;
          let inStall = 0;
          for (let i = 0; i < o.length; i++) {
            if (o[i] === 0) continue;
            // an onset point is a point where the plain score is past the alarm level, capped at 6
            expect(p[i]).toBeGreaterThan(3);
            expect(o[i]).toBe(Math.min(p[i], 6));
            if (i + 600 >= 1500 && i + 600 < 1500 + stallLen) inStall++;
          }
          // the stall is reported: k points at least (the run passes its reference by one point per
          // step at most), at most two more (the reference grows slowly with the run)
          if (p.slice(900, 900 + stallLen).some((x) => x > 3 * 2)) {
            hits++;
            expect(inStall).toBeGreaterThanOrEqual(k);
            expect(inStall).toBeLessThanOrEqual(k + 2);
          }
        },
      ),
      { numRuns: 15 },
    );
    // the stall beat its reference by a margin in most draws (the clause above is not vacuous)
    expect(hits).toBeGreaterThanOrEqual(10);
  });

  it('onset mode scores no training point (the training runs are the reference)', () => {
    const v = idleCounts(900, 4);
    const d = new FlatLineDetector({ onsetPoints: 2 });
    d.train({ t: minute(900), v });
    expect(Array.from(d.trainScores?.v ?? [1]).every((x) => x === 0)).toBe(true);
  });
});
