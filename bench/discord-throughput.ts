/**
 * `DiscordDetector` streaming throughput and model size: train on 20,000 points of a noisy cycle, stream
 * 100,000 more, three runs per setting; prints min / median / max points per second. The window (and so
 * the cost per point) follows the period by default, so the cycle length is a parameter.
 *
 *   npx tsx bench/discord-throughput.ts [periods=24,144,288,400] ['<json list of [name, config]>']
 *
 * Default settings: the default (PAA block from the period) and `paa: 1` (no downsampling, the profile
 * on every point as before PAA).
 */
import { DiscordDetector, type DiscordInput } from '../src/detectors/discord/detector.js';

const periods = (process.argv[2] ?? '24,144,288,400').split(',').map(Number);
const nTrain = 20_000;
const nStream = 100_000;
const settings: [string, DiscordInput][] = process.argv[3]
  ? (JSON.parse(process.argv[3]) as [string, DiscordInput][])
  : [
      ['default', {}],
      ['paa 1', { paa: 1 }],
    ];
for (const p of periods) {
  const n = nTrain + nStream;
  const t = Float64Array.from({ length: n }, (_, i) => i * 60_000);
  const v = Float64Array.from(
    { length: n },
    (_, i) => Math.sin((2 * Math.PI * i) / p) + 0.1 * Math.cos(i * 7.3),
  );
  for (const [name, cfg] of settings) {
    const rates: number[] = [];
    let bytes = 0;
    let shape = '';
    for (let run = 0; run < 3; run++) {
      const d = new DiscordDetector(cfg);
      d.train({ t: t.subarray(0, nTrain), v: v.subarray(0, nTrain) });
      const s = d.stream();
      const t0 = performance.now();
      for (let i = nTrain; i < n; i++) s.push(t[i], v[i]);
      rates.push(nStream / ((performance.now() - t0) / 1000));
      bytes = JSON.stringify(d.toJSON()).length;
      shape = `k ${d.block}, lengths ${d.lengths.join('/')}${d.cycleLength ? ` + cycle ${d.cycleLength} (pairs)` : ''}`;
    }
    rates.sort((a, b) => a - b);
    const k = (x: number) => `${Math.round(x / 1000)} k`;
    console.log(
      `period ${p}, ${name} (${shape}): ${k(rates[0])} / ${k(rates[1])} / ${k(rates[2])} points/s, model ${Math.round(bytes / 1024)} KiB`,
    );
  }
}
