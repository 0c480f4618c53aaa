/**
 * ETS's floor on the one-step error scale (docs/ets.md, Scoring: "Near-exact fits"): σ̂ used for scoring
 * is at least √ε times the RMS of the training part's one-step changes (the error of the naive
 * last-value forecast), so a fit whose residuals are the optimiser's leftovers (a noise-free sine fitted
 * to 3e-9) does not score a change in units of that leftover. Fits above the floor are untouched, bit for
 * bit, and their model files carry no new field.
 */
import { describe, expect, it } from 'vitest';
import { EtsCore, type EtsCoreConfig, EtsDetector, simulateEts } from '../../../src/detectors/index.js';
import { etsCoreConfig } from './core-config.js';

const STEP = 3_600_000;
const T0 = 1.7e12;
const SQRT_EPS = Math.sqrt(Number.EPSILON);

const cfg = (over: Partial<EtsCoreConfig> = {}): EtsCoreConfig =>
  etsCoreConfig({ trend: null, damped: false, seasonalPeriods: 24, ...over });

/** 100 + 10·sin(2πi/24): exactly periodic, so seasonal ETS fits it to the optimiser's precision. */
function sine(n: number) {
  const t = Float64Array.from({ length: n }, (_, i) => T0 + i * STEP);
  const v = Float64Array.from({ length: n }, (_, i) => 100 + 10 * Math.sin((2 * Math.PI * i) / 24));
  return { t, v };
}

function rmsStep(v: Float64Array): number {
  let s = 0;
  for (let i = 1; i < v.length; i++) s += (v[i] - v[i - 1]) ** 2;
  return Math.sqrt(s / (v.length - 1));
}

describe('ETS one-step error scale floor', () => {
  const n = 600;
  const all = sine(n + 10);
  const train = { t: all.t.subarray(0, n), v: all.v.subarray(0, n) };
  const floor = SQRT_EPS * rmsStep(train.v);

  it('a noise-free sine: σ̂ is floored at √ε·RMS(Δy), so a jump of the amplitude scores below 10 / that floor', () => {
    const core = new EtsCore(cfg());
    core.train(train);
    // the fit itself is far below the floor (a sine is not refused: its one-step changes vary)
    expect(Math.sqrt(core.mse)).toBeLessThan(floor / 4);
    const s = core.toJSON() as { sigmaFloor?: number };
    expect(s.sigmaFloor).toBe(floor);
    const z: number[] = [];
    for (let i = n; i < n + 10; i++) z.push(core.push(all.t[i], all.v[i] + (i === n + 5 ? 10 : 0)));
    // the jump: 10 / (floor + 1e-8) (the reference's 1e-8 stays), not 7.5e8 as with σ̂ = 3.3e-9
    expect(z[5]).toBeCloseTo(10 / (floor + 1e-8), -2);
    // the points before it: leftovers of the fit, well under 1 in units of the floor
    for (let i = 0; i < 5; i++) expect(Math.abs(z[i])).toBeLessThan(1);
  });

  it('a deviation of 1e-7 (1e-8 of the series) does not reach the alarm level 3', () => {
    const core = new EtsCore(cfg());
    core.train(train);
    for (let i = n; i < n + 5; i++) core.push(all.t[i], all.v[i]);
    expect(Math.abs(core.push(all.t[n + 5], all.v[n + 5] + 1e-7))).toBeLessThan(3);
  });

  it('reference mode uses the floored scale too', () => {
    const core = new EtsCore(cfg({ mode: 'reference' }));
    core.train(train);
    const z = core.push(all.t[n], all.v[n] + 10);
    expect(Math.abs(z)).toBeLessThanOrEqual(10 / (floor + 1e-8) + 1);
  });

  it('the floor survives a save and load (same scores); the detector scores as the core', () => {
    const det = new EtsDetector({ auto: false, seasonalPeriods: 24, trend: null, seasonal: 'add' });
    det.train(train);
    const again = EtsDetector.load(JSON.parse(JSON.stringify(det.toJSON())));
    const test = {
      t: all.t.subarray(n),
      v: Float64Array.from(all.v.subarray(n), (x, i) => x + (i === 5 ? 10 : 0)),
    };
    const a = det.score(test).v;
    const b = again.score(test).v;
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(a[5]).toBeCloseTo(10 / (floor + 1e-8), -2);
  });

  it('noisy data: the floor does not apply, σ̂ = √mse exactly and the model file has no sigmaFloor', () => {
    const spec = {
      error: 'add' as const,
      trend: 'add' as const,
      damped: true,
      seasonal: 'add' as const,
      period: 4,
    };
    const v = simulateEts(
      spec,
      { alpha: 0.4, beta: 0.05, gamma: 0.1, phi: 0.9, level: 100, trend: 0.5, seasonal: [3, -1, 2, 0] },
      300,
      1,
      3,
    );
    const t = Float64Array.from({ length: 300 }, (_, i) => T0 + i * STEP);
    const core = new EtsCore(cfg({ trend: 'add', damped: true, seasonalPeriods: 4 }));
    core.train({ t: t.subarray(0, 250), v: v.subarray(0, 250) });
    expect('sigmaFloor' in (core.toJSON() as object)).toBe(false);
    expect(Math.sqrt(core.mse)).toBeGreaterThan(1e6 * SQRT_EPS * rmsStep(v.subarray(0, 250)));
    // the same model restored from its file without the field scores the same, bit for bit
    const again = new EtsCore(cfg({ trend: 'add', damped: true, seasonalPeriods: 4 }));
    again.restore(JSON.parse(JSON.stringify(core.toJSON())), 'model');
    for (let i = 250; i < 300; i++) expect(again.push(t[i], v[i])).toBe(core.push(t[i], v[i]));
  });

  it('a model file without sigmaFloor (older builds) loads with σ̂ = √mse', () => {
    const core = new EtsCore(cfg());
    core.train(train);
    const json = core.toJSON() as { sigmaFloor?: number };
    delete json.sigmaFloor;
    const old = new EtsCore(cfg());
    old.restore(json, 'model');
    for (let i = n; i < n + 5; i++) old.push(all.t[i], all.v[i]);
    const z = old.push(all.t[n + 5], all.v[n + 5] + 10);
    expect(z).toBeCloseTo(10 / (Math.sqrt(core.mse) + 1e-8), -3);
  });

  it('a bad sigmaFloor is refused with a message naming the field', () => {
    const core = new EtsCore(cfg());
    core.train(train);
    const json = { ...(core.toJSON() as object), sigmaFloor: -1 };
    expect(() => new EtsCore(cfg()).restore(json, 'model')).toThrow(/model\.sigmaFloor/);
  });
});
