import { describe, expect, it } from 'vitest';
import {
  type DriftCheck,
  histogram,
  jensenShannon,
  ksAsymptoticPValue,
  ksPValue,
  ksStatistic,
  Monitor,
  monitorMetrics,
  monitorRecords,
  nabDriftSurvey,
  psi,
  quantileEdges,
  renderNabDriftReport,
} from '../../src/lifecycle/index.js';
import { openMemoryTracker } from '../../src/tracking/index.js';

/** Deterministic pseudo-normal values (sum of sines), mean ~0, sd ~1. */
function noise(i: number): number {
  return (Math.sin(i * 12.9898) + Math.sin(i * 78.233) + Math.sin(i * 37.719)) * 0.8;
}

const ref = Float64Array.from({ length: 2000 }, (_, i) => noise(i));

function run(mon: Monitor, values: (i: number) => number, n: number, t0 = 0): DriftCheck[] {
  const out: DriftCheck[] = [];
  for (let i = 0; i < n; i++) {
    const c = mon.push(t0 + i * 1000, values(i), noise(i + 7), i % 50 === 0);
    if (c) out.push(c);
  }
  return out;
}

describe('Monitor', () => {
  it('no drift on data like the reference; a level shift is a drift event on the value channel', () => {
    const opts = {
      reference: { value: ref, score: ref, alarm: ref.map((_, i) => (i % 50 === 0 ? 1 : 0)) },
      window: 500,
    };
    const calm = run(new Monitor(opts), (i) => noise(i + 5000), 3000);
    expect(calm).toHaveLength(1 + Math.floor((3000 - 500) / 500));
    expect(calm.every((c) => !c.drift)).toBe(true);
    const shifted = run(new Monitor(opts), (i) => noise(i + 5000) + (i >= 1000 ? 2 : 0), 3000);
    const first = shifted.findIndex((c) => c.drift);
    expect(shifted[first].t).toBeGreaterThanOrEqual(1000 * 1000);
    expect(shifted[first].channels.value?.drift).toBe(true);
    expect(shifted[first].channels.score?.drift).toBe(false);
    expect(shifted.slice(first).every((c) => c.drift)).toBe(true);
  });

  it('its statistics are those of the fixed reference-quantile histograms of the window', () => {
    const mon = new Monitor({ reference: { value: ref }, window: 400, every: 100, bins: 10 });
    const values = (i: number) => noise(i + 9000) * 1.5 + 0.3;
    const checks = run(mon, values, 1000);
    const last = checks[checks.length - 1];
    const win = Float64Array.from({ length: 400 }, (_, k) => values(600 + k));
    const edges = quantileEdges(ref, 10);
    const hr = histogram(ref, edges);
    const hw = histogram(win, edges);
    const s = last.channels.value;
    expect(s?.psi).toBeCloseTo(psi(hr, hw), 12);
    expect(s?.js).toBeCloseTo(jensenShannon(hr, hw), 12);
    // the binned KS statistic is the exact one evaluated at the bin edges: never above it
    expect(s?.ksD).toBeLessThanOrEqual(ksStatistic(ref, win) + 1e-12);
    expect(s?.ksD).toBeGreaterThan(0.5 * ksStatistic(ref, win));
  });

  it('ks42: ksMethod auto gives ksPValue (scipy’s rule: exact at 2000 × 400); the default, fast, the Kolmogorov limit above 10,000 cells', () => {
    const values = (i: number) => noise(i + 9000) * 1.2 + 0.1;
    const exact = run(
      new Monitor({ reference: { value: ref }, window: 400, ksMethod: 'auto' }),
      values,
      1200,
    );
    const fast = run(new Monitor({ reference: { value: ref }, window: 400 }), values, 1200);
    expect(exact).toHaveLength(3);
    for (let k = 0; k < exact.length; k++) {
      const e = exact[k].channels.value;
      const a = fast[k].channels.value;
      expect(a?.ksD).toBe(e?.ksD);
      const d = e?.ksD ?? Number.NaN;
      expect(ksPValue(d, 2000, 400).method).toBe('exact');
      expect(e?.ksP).toBe(ksPValue(d, 2000, 400).pValue);
      expect(a?.ksP).toBe(ksAsymptoticPValue(d, 2000, 400));
      expect(e?.ksP).not.toBe(a?.ksP);
    }
    expect(new Monitor({ reference: { value: ref } }).ksMethod).toBe('fast');
    expect(() => new Monitor({ reference: { value: ref }, ksMethod: 'exact' as unknown as 'auto' })).toThrow(
      /ksMethod must be 'fast' or 'auto'/,
    );
  });

  it('ksMethod fast is exact while reference × window ≤ 10,000 (50 × 200 here), as the monitor was before ks42', () => {
    const small = ref.subarray(0, 50);
    const values = (i: number) => noise(i + 7000) * 1.5 + 0.4;
    const fast = run(new Monitor({ reference: { value: small }, window: 200, bins: 10 }), values, 400);
    expect(fast.length).toBeGreaterThan(0);
    for (const c of fast) {
      const s = c.channels.value;
      const d = s?.ksD ?? Number.NaN;
      expect(d).toBeGreaterThan(0);
      expect(s?.ksP).toBe(ksPValue(d, 50, 200).pValue);
      expect(s?.ksP).not.toBe(ksAsymptoticPValue(d, 50, 200));
    }
  });

  it('bad input throws and leaves the monitor as it was', () => {
    const a = new Monitor({ reference: { value: ref }, window: 100 });
    const b = new Monitor({ reference: { value: ref }, window: 100 });
    for (let i = 0; i < 150; i++) {
      if (i === 70) {
        expect(() => a.push(i * 1000, Number.NaN)).toThrow(/finite/);
        expect(() => a.push((i - 1) * 1000, 1)).toThrow(/after the previous/);
      }
      expect(a.push(i * 1000, noise(i))).toEqual(b.push(i * 1000, noise(i)));
    }
    expect(() => new Monitor({ reference: { value: [] } })).toThrow(/at least one/);
    expect(() => new Monitor({ reference: { value: ref }, window: 0 })).toThrow(/window/);
    expect(() => new Monitor({ reference: { value: ref, score: ref } }).push(0, 1)).toThrow(/score/);
  });

  it('the alarm channel has one bin for 0 and one for 1 whatever the reference, and refuses a reference that is not 0/1 (usab29)', () => {
    // a training stretch where the model alarmed on most points: before, the bin edge was the
    // reference's median, 1, so 0 and 1 fell into the same bin and the channel could never drift
    const mostly = new Monitor({
      reference: { value: [1, 2, 3, 4], alarm: [1, 1, 1, 0] },
      window: 40,
      thresholds: { ksAlpha: 0.05, psi: 0.1 },
    });
    let check = null;
    for (let i = 0; i < 40; i++) check = mostly.push(i, 2, undefined, false);
    expect(check?.channels.alarm?.ksD).toBeCloseTo(0.75, 12);
    expect(check?.channels.alarm?.drift).toBe(true);
    // alarm flags other than 0/1 (scores passed by mistake, say) are refused; before, they became bins
    for (const alarm of [
      [0, 2, 5],
      [0, 0.5, 1],
      [0, Number.NaN],
    ]) {
      expect(() => new Monitor({ reference: { value: [1, 2, 3], alarm } })).toThrow(
        /reference alarm 1 is .*; pass 0 or 1 per point/,
      );
    }
  });

  it('a pushed alarm other than false/true/0/1 is bad_sample and leaves the monitor unchanged (rev29)', () => {
    // the reference refuses such flags; a live 2, 0.5 or NaN (a score passed by mistake) was counted
    // as an alarm (or, NaN, as none) and moved the alarm channel
    const make = () => new Monitor({ reference: { value: [1, 2, 3, 4], alarm: [0, 1, 0, 0] }, window: 4 });
    const clean = make();
    const m = make();
    for (const bad of [2, 0.5, -1, Number.NaN]) {
      expect(() => m.push(0, 2, undefined, bad)).toThrow(/alarm at 0 is .*; pass false\/true \(or 0\/1\)/);
    }
    const seq = [true, 0, 1, false];
    const a = seq.map((x, i) => m.push(i, 2, undefined, x));
    const b = seq.map((x, i) => clean.push(i, 2, undefined, x));
    expect(a).toEqual(b);
    expect(a[3]?.channels.alarm?.ksD).toBeCloseTo(0.25, 12);
  });

  it('checks become records (monitoring table rows) and metrics logged with a step', async () => {
    const mon = new Monitor({ reference: { value: ref }, window: 200, series: 's1', referenceRun: 'r0' });
    const checks = run(mon, (i) => noise(i) + (i > 500 ? 3 : 0), 1000);
    const rec = monitorRecords(checks[0]);
    expect(rec.map((r) => r.statistic)).toEqual([
      'value.ks_d',
      'value.ks_p',
      'value.psi',
      'value.js',
      'value.drift',
    ]);
    expect(rec[0]).toMatchObject({ series: 's1', referenceRun: 'r0', timestamp: checks[0].t });
    const tracker = openMemoryTracker();
    const id = await tracker.run({ experiment: 'mon' }, async (r) => {
      for (const c of checks) await r.logMetrics(monitorMetrics(c), { step: c.step, timestamp: c.t });
      return r.id;
    });
    const hist = await tracker.getMetricHistory(id, 'drift.value.psi');
    expect(hist.map((p) => p.step)).toEqual(checks.map((_, k) => k));
    expect(hist.map((p) => p.value)).toEqual(checks.map((c) => c.channels.value?.psi));
    await tracker.close();
  });

  it('NAB survey: flags a file with a known regime change, and the report plots the largest drifts', async () => {
    const survey = await nabDriftSurvey({
      files: [
        'realKnownCause/machine_temperature_system_failure.csv',
        'artificialNoAnomaly/art_daily_no_noise.csv',
      ],
      top: 1,
    });
    const [mt, flat] = survey.files;
    expect(mt.drifting).toBe(true);
    expect(flat.drifting).toBe(false);
    expect(flat.maxPsi).toBeLessThan(0.1);
    expect(survey.largest[0].file.file).toBe(mt.file);
    const html = renderNabDriftReport(survey);
    expect(html.match(/<iframe/g)).toHaveLength(1);
    expect(html).toContain('1 of 2 files drift');
  });
});
