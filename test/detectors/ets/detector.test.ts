import { beforeAll, describe, expect, it } from 'vitest';
import { loadNab } from '../../../src/datasets/index.js';
import { EtsDetector, loadModel, specName } from '../../../src/detectors/index.js';
import { ConfigError } from '../../../src/index.js';
import type { TimeSeries } from '../../../src/series/index.js';

describe('EtsDetector on NAB machine temperature (train = first 15 %)', () => {
  let train: TimeSeries;
  let test: TimeSeries;
  let windows: [number, number][];
  beforeAll(async () => {
    const ds = await loadNab('realKnownCause/machine_temperature_system_failure.csv', {
      onWarning: () => {},
    });
    const { t, v } = ds.series;
    const n = Math.floor(0.15 * t.length) + 1;
    train = { t: t.slice(0, n), v: v.slice(0, n) };
    test = { t: t.slice(n), v: v.slice(n) };
    windows = ds.windows.filter(([a]) => a > t[n - 1]).map(([a, b]) => [a, b]);
  });

  const maxAbsIn = (s: TimeSeries, [a, b]: [number, number]) => {
    let m = 0;
    for (let i = 0; i < s.t.length; i++) if (s.t[i] >= a && s.t[i] <= b) m = Math.max(m, Math.abs(s.v[i]));
    return m;
  };

  it('AutoETS inside the detector selects AAdA, m = 3; train scores are standardised residuals', () => {
    const d = new EtsDetector({ auto: true, enableThreshold: false });
    const tr = d.train(train);
    expect(d.model?.describe()).toBe('AAdA(m=3)');
    expect(specName(d.model!.spec)).toBe('AAdA');
    // in-sample one-step residuals / sqrt(mse): RMS exactly 1 up to the 1e-8 guard
    const rms = Math.sqrt(tr.v.reduce((a, x) => a + x * x, 0) / tr.v.length);
    expect(rms).toBeCloseTo(1, 6);
    // the model file holds the fitted parameters exactly
    const json = JSON.parse(JSON.stringify(d.toJSON()));
    expect(json.state.model.params.alpha).toBe(d.model!.params.alpha);
    expect(json.state.model.spec).toEqual({
      error: 'add',
      trend: 'add',
      damped: true,
      seasonal: 'add',
      period: 3,
    });
  });

  it('one-step scoring keeps late anomalies visible; the reference mode lets them fade', () => {
    expect(windows.length).toBe(3);
    const ours = new EtsDetector({ auto: true });
    ours.train(train);
    const s = ours.score(test);
    const ref = new EtsDetector({ auto: true, mode: 'reference' });
    ref.train(train);
    const r = ref.score(test);
    for (const w of windows) expect(maxAbsIn(s, w)).toBeGreaterThan(5);
    // the reference's growing forecast variance hides the 2014-01-27 window (docs/ets.md, Scoring: ours vs the reference)
    expect(maxAbsIn(r, windows[1])).toBeLessThan(1);
    // batch equals stream, and a reloaded model continues identically
    const st = ref.stream();
    for (let i = 0; i < 2000; i++) expect(Object.is(st.push(test.t[i], test.v[i]).score, r.v[i])).toBe(true);
    const copy = loadModel(JSON.parse(JSON.stringify(ours.toJSON())));
    const more = { t: test.t.slice(0, 10), v: test.v.slice(0, 10) };
    const next = { t: test.t.slice(10, 500), v: test.v.slice(10, 500) };
    const a = new EtsDetector({ auto: true });
    a.train(train);
    a.score(more);
    const b = loadModel(JSON.parse(JSON.stringify(a.toJSON())));
    const sa = a.score(next).v;
    const sb = b.score(next).v;
    expect(Array.from(sb)).toEqual(Array.from(sa));
    expect(copy.type).toBe('EtsDetector');
  });

  it('rejects bad configs with a ConfigError naming the field', () => {
    expect(() => new EtsDetector({ seasonalPeriods: 1 })).toThrow(ConfigError);
    expect(() => new EtsDetector({ mode: 'later' as 'stream' })).toThrow(/mode/);
  });
});
