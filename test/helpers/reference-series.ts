import { loadNabRows } from '../../src/internal.js';
import { lcg } from './random.js';

/**
 * The series of the statsmodels comparison (ref42, docs/ets.md "Checked against statsmodels"). The Python
 * script that printed the reference figures builds the same doubles bit for bit: the generator's every
 * operation is exact or a single IEEE addition in the same order, and the NAB values are parsed from the
 * same text (correctly rounded on both sides).
 */

/** The first k draws of `lcg(seed)` (`x = (1664525·x + 1013904223) mod 2³²`, `u = x / 2³²`): uniforms in [0, 1). */
export function uniforms(seed: number, k: number): Float64Array {
  const next = lcg(seed);
  return Float64Array.from({ length: k }, () => next());
}

/** Sum of three uniforms − 1.5 (+ shift, added last): bell-shaped noise on [−1.5, 1.5], variance 1/4. */
export function noise(seed: number, k: number, shift = 0): Float64Array {
  const u = uniforms(seed, 3 * k);
  return Float64Array.from({ length: k }, (_, i) => u[3 * i] + u[3 * i + 1] + u[3 * i + 2] - 1.5 + shift);
}

const SEASON = [0, 3, 5, 6, 5, 3, 0, -3, -5, -6, -5, -3];

/** 240 points, period 12: a random-walk level near 50 plus a fixed season plus noise. */
export function seasonalSeries(): Float64Array {
  const n = 240;
  const e = noise(21, n);
  const w = noise(22, n);
  const y = new Float64Array(n);
  let lvl = 50;
  for (let t = 0; t < n; t++) {
    lvl = lvl + 0.25 * w[t];
    y[t] = lvl + SEASON[t % 12] + e[t];
  }
  return y;
}

/** 150 points: a level drifting up by 0.25 per step with random-walk steps, plus noise. */
export function trendSeries(): Float64Array {
  const n = 150;
  const e = noise(31, n);
  const w = noise(32, n);
  const y = new Float64Array(n);
  let lvl = 20;
  for (let t = 0; t < n; t++) {
    lvl = lvl + 0.25 + 0.5 * w[t];
    y[t] = lvl + e[t];
  }
  return y;
}

/** NAB ambient temperature (hourly), its probationary part: the first ⌊0.15·7267⌋ = 1090 rows as in the file. */
export async function nabAmbientTrain(): Promise<Float64Array> {
  const { v } = await loadNabRows('realKnownCause/ambient_temperature_system_failure.csv');
  return v.slice(0, Math.floor(0.15 * v.length));
}
