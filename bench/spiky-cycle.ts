/**
 * The seeded series bench/forest-streams.ts and bench/serve-new-series.ts train on (its first 3,000
 * points) and post from (the 10 after): 3,010 points at 5-minute steps from 2024-01-01, a daily cycle
 * 50 + 10 · sin(2πi / 288) plus uniform noise of ±1 (`lcg(12345)`), and a spike of +20 at every i with
 * i mod 997 = 500. One copy, so both benches measure the same model.
 */
import { lcg, seededSeries } from '../test/helpers/random.js';

export function spikyCycle(): { t: Float64Array; v: Float64Array } {
  return seededSeries(
    3010,
    300_000,
    Date.UTC(2024, 0, 1),
    lcg(12345),
    (i, u) => 50 + 10 * Math.sin((2 * Math.PI * i) / 288) + 2 * (u - 0.5) + (i % 997 === 500 ? 20 : 0),
  );
}
