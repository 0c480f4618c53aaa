/**
 * Round 27's composite NAB score (docs/evaluation.md): `peakMax` / `peakMaxPeak` combine the detector's
 * `onlinePeak` score with a partner detector's; the detector's alarms stay its own.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArtDetector } from '../../src/detectors/index.js';
import { defaultDetector } from '../../src/index.js';
import {
  FLOOR_RECIPE,
  makeDetector,
  makePartner,
  maxWithPartner,
  NAB_MAPPING,
  PEAK_SPAN_MS,
  peakScores,
  runNabStream,
} from '../../src/internal.js';
import { lcg31 } from '../helpers/random.js';

/** Non-decreasing times with a base score in [0, 1] and a partner score of any double (NaN, ±∞ too). */
const rowsArb = fc
  .array(
    fc.tuple(
      fc.integer({ min: 0, max: 40 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.double()),
    ),
    { minLength: 1, maxLength: 300 },
  )
  .map((xs) => {
    const t = new Float64Array(xs.length);
    const base = new Float64Array(xs.length);
    const partner = new Float64Array(xs.length);
    let now = 0;
    xs.forEach(([dt, b, p], i) => {
      now += dt * 60_000;
      t[i] = now;
      base[i] = b;
      partner[i] = p;
    });
    return { t, base, partner };
  });

const clamp01 = (x: number) => (x >= 0 ? Math.min(x, 1) : 0);

describe('maxWithPartner', () => {
  it('is in [0, 1], at least each part, and equal to one of them on every row', () => {
    fc.assert(
      fc.property(rowsArb, fc.boolean(), ({ t, base, partner }, peak) => {
        const partnerCopy = Float64Array.from(partner);
        const out = maxWithPartner(t, Float64Array.from(base), partner, peak);
        expect(Array.from(partner)).toEqual(Array.from(partnerCopy)); // the partner is not written
        const p = peak ? peakScores(t, partner.map(clamp01), PEAK_SPAN_MS) : partner.map(clamp01);
        for (let r = 0; r < out.length; r++) {
          expect(out[r]).toBeGreaterThanOrEqual(0);
          expect(out[r]).toBeLessThanOrEqual(1);
          expect(out[r]).toBeGreaterThanOrEqual(base[r]);
          expect(out[r]).toBeGreaterThanOrEqual(p[r]);
          expect(out[r] === base[r] || out[r] === p[r]).toBe(true);
        }
      }),
    );
  });

  it('with peakPartner, a sustained partner score counts once per span', () => {
    const t = Float64Array.from({ length: 10 }, (_, i) => i * 300_000);
    const base = new Float64Array(10);
    const partner = new Float64Array(10).fill(0.9);
    expect(
      Array.from(maxWithPartner(t, Float64Array.from(base), partner, true)).filter((x) => x > 0),
    ).toEqual([0.9]);
    expect(
      Array.from(maxWithPartner(t, Float64Array.from(base), partner, false)).filter((x) => x > 0),
    ).toHaveLength(10);
  });
});

describe('runNabStream with a partner (the peakMaxArt recipes)', () => {
  // a daily cycle with noise; a level shift late in the file (ART's kind of anomaly) and a spike
  const n = 2000;
  const t = Float64Array.from({ length: n }, (_, i) => i * 300_000);
  const u = lcg31(11);
  const v = Float64Array.from({ length: n }, (_, i) => 10 * Math.sin((2 * Math.PI * i) / 288) + (u() - 0.5));
  for (let i = 1500; i < n; i++) v[i] += 25;
  v[1200] += 40;
  const windows: [number, number][] = [[t[1150], t[1250]]];
  const series = { t, v };

  it('keeps the detector alarms, and its score is the row-wise max of onlinePeak and the partner', () => {
    const peak = runNabStream(defaultDetector(), series, series, windows, 'onlinePeak');
    const art = runNabStream(new ArtDetector(), series, series, windows, 'identity');
    for (const m of ['peakMax', 'peakMaxPeak'] as const) {
      const r = runNabStream(defaultDetector(), series, series, windows, m, new ArtDetector());
      expect(Array.from(r.alarm), m).toEqual(Array.from(peak.alarm));
      const want = maxWithPartner(t, Float64Array.from(peak.anomaly), art.anomaly, m === 'peakMaxPeak');
      expect(Array.from(r.anomaly), m).toEqual(Array.from(want));
      // ART adds score somewhere the default's onlinePeak has less
      expect(
        r.anomaly.some((x, i) => x > peak.anomaly[i]),
        m,
      ).toBe(true);
      // without a partner the mapping is onlinePeak
      const alone = runNabStream(defaultDetector(), series, series, windows, m);
      expect(Array.from(alone.anomaly), m).toEqual(Array.from(peak.anomaly));
    }
  });

  it('the recipes: default detector plus an ART partner; floors without a partner score 0', () => {
    expect(NAB_MAPPING.peakMaxArt).toBe('peakMax');
    expect(NAB_MAPPING.peakMaxArtPeak).toBe('peakMaxPeak');
    expect(makePartner('peakMaxArt')).toBeInstanceOf(ArtDetector);
    expect(makePartner('peakMaxArtPeak')).toBeInstanceOf(ArtDetector);
    expect(makePartner('default')).toBeUndefined();
    expect(makePartner(FLOOR_RECIPE.peakMax)).toBeUndefined();
    expect(makeDetector('peakMaxArt').config).toEqual(defaultDetector().config);
    for (const m of ['peakMax', 'peakMaxPeak'] as const) {
      const floor = makeDetector(FLOOR_RECIPE[m]);
      expect(NAB_MAPPING[FLOOR_RECIPE[m]]).toBe(m);
      const r = runNabStream(floor, series, series, windows, m);
      expect(r.anomaly.every((x) => x === 0)).toBe(true);
    }
  });
});
