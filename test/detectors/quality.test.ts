import { describe, expect, it } from 'vitest';
import { ChangePointDetector } from '../../src/detectors/changepoint/detector.js';
import { DiscordCore } from '../../src/detectors/discord/core.js';
import { DiscordDetector } from '../../src/detectors/discord/detector.js';
import { dominantPeriod } from '../../src/detectors/discord/period.js';
import { FlatLineDetector } from '../../src/detectors/flatline/detector.js';
import type { Detector } from '../../src/detectors/types.js';
import { type SynthKind, synthCorpus } from '../../src/lab/synth.js';

/** Trains on the first 30 % of a one-anomaly synthetic file, streams the rest; where is the top score? */
function locate(det: Detector, kind: SynthKind, seed: number) {
  const f = synthCorpus({ seed, perKind: 1, clean: 0, length: 1500, kinds: [kind] }).files[0];
  const cut = Math.floor(f.t.length * 0.3);
  det.train({ t: f.t.subarray(0, cut), v: f.v.subarray(0, cut) });
  const s = det.stream();
  let best = -1;
  let top = Number.NEGATIVE_INFINITY;
  for (let i = cut; i < f.t.length; i++) {
    const x = Math.abs(s.push(f.t[i], f.v[i]).score);
    if (x > top) {
      top = x;
      best = i;
    }
  }
  const onset = Array.from(f.t).indexOf(f.windows[0].onset);
  const until = Array.from(f.t).indexOf(f.windows[0].until);
  return { best, onset, until };
}

describe('detectors for the kinds the default ensemble misses', () => {
  it('FlatLineDetector puts its highest score inside a stuck stretch', () => {
    for (const seed of [1, 2, 3]) {
      const r = locate(new FlatLineDetector(), 'flatline', seed);
      expect(r.best).toBeGreaterThan(r.onset);
      expect(r.best).toBeLessThanOrEqual(r.until);
    }
  });

  it('ChangePointDetector peaks after a level shift in a seasonal series, not before it', () => {
    const n = 2000;
    const t = Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * 300_000);
    let g = 7;
    const noise = () => {
      g = (Math.imul(g, 1664525) + 1013904223) >>> 0;
      return g / 2 ** 32 - 0.5;
    };
    const v = Float64Array.from(
      { length: n },
      (_, i) => 10 + Math.sin((2 * Math.PI * i) / 48) + 0.3 * noise() + (i >= 1500 ? 1 : 0),
    );
    const det = new ChangePointDetector();
    det.train({ t: t.subarray(0, 1000), v: v.subarray(0, 1000) });
    const s = det.stream();
    const scores = Array.from({ length: n - 1000 }, (_, k) => s.push(t[1000 + k], v[1000 + k]).score);
    const before = Math.max(...scores.slice(0, 500));
    const after = Math.max(...scores.slice(500, 600));
    expect(after).toBeGreaterThan(before);
  });

  it('DiscordDetector scores a repeated shape 0 and a new shape high', () => {
    const core = new DiscordCore(16, 200);
    core.reset(0);
    let last = 0;
    for (let i = 0; i < 400; i++) last = core.push(Math.sin((2 * Math.PI * i) / 16));
    expect(last).toBeLessThan(1e-6);
    let peak = 0;
    for (let i = 400; i < 440; i++) peak = Math.max(peak, core.push(Math.sin((2 * Math.PI * i) / 5)));
    expect(peak).toBeGreaterThan(0.5);
    // the wrapper learns m from the training data's period (24 here)
    const d = new DiscordDetector();
    const n = 800;
    const t = Float64Array.from({ length: n }, (_, i) => i * 60_000);
    const v = Float64Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * i) / 24));
    d.train({ t, v });
    expect(d.length).toBe(24);
  });

  it('dominantPeriod finds the period of a noisy cycle and none in a trend', () => {
    const v = new Float64Array(600);
    for (let i = 0; i < v.length; i++) v[i] = Math.sin((2 * Math.PI * i) / 24) + 0.1 * Math.cos(i * 7.3);
    expect(dominantPeriod(v)).toBe(24);
    const trend = Float64Array.from({ length: 300 }, (_, i) => i);
    expect(dominantPeriod(trend)).toBe(0);
  });
});
