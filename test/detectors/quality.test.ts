import { describe, expect, it } from 'vitest';
import type { Detector } from '../../src/detectors/index.js';
import { ChangePointDetector, DiscordDetector, FlatLineDetector } from '../../src/detectors/index.js';
import { calendarPeriodMs, DiscordCore, dominantPeriod } from '../../src/internal.js';
import { type SynthKind, synthCorpus } from '../../src/lab/index.js';
import { lcg } from '../helpers/random.js';

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
    const u = lcg(7);
    const noise = () => u() - 0.5;
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

  it('ChangePointDetector alarms on the first weekday/weekend change, not on its weekly repeats, and on a real shift', () => {
    const step = 600_000; // 10 minutes: four days of training never show a weekend
    const t0 = Date.UTC(2024, 0, 1); // a Monday
    const n = 5 * 7 * 144;
    const shiftAt = 3 * 7 * 144 + 2 * 144 + 60; // week 4, Wednesday 10:00
    const u = lcg(11);
    const noise = () => u() - 0.5;
    const t = Float64Array.from({ length: n }, (_, i) => t0 + i * step);
    const v = Float64Array.from({ length: n }, (_, i) => {
      const day = Math.floor(i / 144) % 7;
      return (
        10 +
        Math.sin((2 * Math.PI * i) / 144) +
        (day >= 5 ? -1.5 : 0) +
        0.2 * noise() +
        (i >= shiftAt ? 2 : 0)
      );
    });
    const cut = 4 * 144; // Monday to Thursday
    const det = new ChangePointDetector();
    det.train({ t: t.subarray(0, cut), v: v.subarray(0, cut) });
    const s = det.stream();
    const alarms: number[] = [];
    for (let i = cut; i < n; i++) if (s.push(t[i], v[i]).alarm) alarms.push(i);
    const week = 7 * 144;
    const inFirstWeek = alarms.filter((i) => i < week + 144);
    const laterWeekends = alarms.filter((i) => i >= week + 144 && i < shiftAt);
    const afterShift = alarms.filter((i) => i >= shiftAt && i < shiftAt + 144);
    expect(inFirstWeek.length).toBeGreaterThan(0); // the first weekend is new: it is reported
    expect(laterWeekends).toEqual([]); // its weekly repeats are recognised
    expect(afterShift.length).toBeGreaterThan(0); // a shift of a new size, at a new time, is not
  });

  it('DiscordDetector does not train its calibrator on warm-up distances (no neighbour one period back yet)', () => {
    const n = 1200;
    const t = Float64Array.from({ length: n }, (_, i) => i * 60_000);
    const v = Float64Array.from(
      { length: n },
      (_, i) => Math.sin((2 * Math.PI * i) / 144) + 0.01 * Math.cos(i * 7.3),
    );
    const d = new DiscordDetector();
    d.train({ t, v });
    const train = d.trainScores ?? { v: new Float64Array(0) };
    // ½, 1 and 2 periods (72, 144, 288) shrink together until the longest fits maxLength (96): 24, 48,
    // 96 points; in blocks of 3 (3 lengths and a quarter-cost whole-cycle core × a 2,880-point window /
    // 3² ≤ the 1,500 budget): 8, 16, 32; the whole cycle, 0.75 × 144 = 108 points, in pairs of blocks: 18
    expect(d.block).toBe(3);
    expect(d.lengths).toEqual([8, 16, 32]);
    expect(d.cycleLength).toBe(18);
    expect(d.length).toBe(16);
    // the shortest length's warm-up, in blocks (a period is 48 blocks); block b closes at point 3b + 2
    const warm = 3 * (8 - 1 + 48) + 2;
    expect(Array.from(train.v.subarray(0, warm)).every((x) => x === 0)).toBe(true);
    expect(Array.from(train.v.subarray(warm)).some((x) => x !== 0)).toBe(true);
  });

  it('FlatLineDetector: a series constant through training is not stuck for staying constant; an often-repeating one needs a long run', () => {
    const n = 1000;
    const t = Float64Array.from({ length: n }, (_, i) => i * 60_000);
    const flat = new FlatLineDetector();
    flat.train({ t: t.subarray(0, 200), v: new Float64Array(200).fill(5) });
    const s = flat.stream();
    for (let i = 200; i < n; i++) expect(s.push(t[i], 5).alarm).toBe(false);
    // a quantised sensor: every other step repeats the value, runs of up to a few points
    const u = lcg(5);
    const coin = () => u() < 0.5;
    const v = new Float64Array(n);
    for (let i = 1; i < n; i++) v[i] = coin() ? v[i - 1] : v[i - 1] + (coin() ? 1 : -1);
    const q = new FlatLineDetector();
    q.train({ t: t.subarray(0, 300), v: v.subarray(0, 300) });
    const qs = q.stream();
    let alarms = 0;
    for (let i = 300; i < 900; i++) if (qs.push(t[i], v[i]).alarm) alarms++;
    expect(alarms).toBe(0);
    // …and it is stuck when the value stays put for far longer than chance allows
    let stuck = 0;
    for (let i = 900; i < 1000; i++) if (qs.push(t[i], v[899]).alarm) stuck++;
    expect(stuck).toBeGreaterThan(0);
  });

  it('DiscordDetector scores and streams a large-valued series (byte counts ~1e8)', () => {
    const n = 600;
    const t = Float64Array.from({ length: n }, (_, i) => i * 300_000);
    const v = Float64Array.from(
      { length: n },
      (_, i) => 2e8 + 5e7 * Math.sin((2 * Math.PI * i) / 48) + 1e6 * Math.cos(i * 1.7),
    );
    const d = new DiscordDetector();
    d.train({ t: t.subarray(0, 400), v: v.subarray(0, 400) });
    const s = d.score({ t: t.subarray(400), v: v.subarray(400) });
    expect(s.v.every((x) => Number.isFinite(x))).toBe(true);
    const st = d.stream();
    for (let i = 400; i < n; i++) expect(Number.isFinite(st.push(t[i], v[i]).score)).toBe(true);
  });

  it('calendarPeriodMs snaps a period a few points off an hour, a day or a week, and keeps others', () => {
    expect(calendarPeriodMs(141, 600_000)).toBe(86_400_000);
    expect(calendarPeriodMs(1000, 600_000)).toBe(604_800_000);
    expect(calendarPeriodMs(62, 60_000)).toBe(3_600_000);
    expect(calendarPeriodMs(37, 60_000)).toBe(37 * 60_000);
    // a period of fewer than four steps is not a calendar period
    expect(calendarPeriodMs(1, 3_600_000)).toBe(3_600_000);
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
    // the wrapper learns m from the training data's period (24 here; no blocks with paa: 1)
    const d = new DiscordDetector({ paa: 1 });
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
