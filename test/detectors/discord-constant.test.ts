/**
 * DiscordDetector trained on a constant (docs/detectors-quality.md, "Scores on one scale"): the amplitude
 * view's divisor is at least √ε × |training mean|, so a change at rounding level of the values does not
 * score (it scored 165 and alarmed for 1e-9 on a value of 10, with a divisor of 1e-12), while a real change
 * alarms with a finite score bounded by that divisor (a spike of 100 scored 1.65e13, now about 1e8).
 */
import { describe, expect, it } from 'vitest';
import { DiscordDetector } from '../../src/detectors/index.js';

const T0 = Date.UTC(2020, 0, 1);
const STEP = 300_000;
function series(n: number, from: number, level: number) {
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = T0 + (from + i) * STEP;
    v[i] = level;
  }
  return { t, v };
}
const maxAbs = (x: Float64Array) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe('discord trained on a constant', () => {
  for (const level of [10, 1e6]) {
    it(`level ${level}: a change of 1e-10 of the level scores 0 without alarm; 10 % of it alarms, finite`, () => {
      const train = series(1000, 0, level);
      const det = new DiscordDetector({});
      det.train(train);
      const tiny = series(300, 1000, level);
      tiny.v[150] += 1e-10 * level;
      const a = det.detect(tiny, { prev: train });
      expect(a.alarms).toEqual([]);
      expect(maxAbs(a.scores.v)).toBeLessThan(1);
      const big = series(300, 1000, level);
      big.v[150] += 0.1 * level;
      const b = det.detect(big, { prev: train });
      expect(b.alarms.length).toBeGreaterThan(0);
      const top = maxAbs(b.scores.v);
      expect(Number.isFinite(top)).toBe(true);
      // at most the change over √ε·level (the amplitude view's least divisor), far below 1e13
      expect(top).toBeLessThanOrEqual((0.1 * level) / (Math.sqrt(Number.EPSILON) * level));
    });
  }
});
