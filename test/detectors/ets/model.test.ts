import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  EtsModel,
  fitEts,
  forecastVariance,
  initialStates,
  normalizeSpec,
  parameterCount,
  simulateEts,
  varianceFactor,
} from '../../../src/detectors/index.js';
import { NormalRng } from '../../../src/internal.js';
import { machineTemperature } from './nab-helper.js';

// Spec merlion-detectors §4.9 E2 (40 values).
const E2 = `10.5 11.673 12.191 11.408 10.25 9.974 10.548 10.916 10.662 10.572 11.305
12.191 12.038 10.841 9.912 10.178 11.043 11.369 11.099 11.155 11.853 12.269
11.556 10.315 9.933 10.77 11.738 11.845 11.46 11.54 12.057 12.01 11.021
10.112 10.422 11.644 12.418 12.135 11.598 11.673`
  .split(/\s+/)
  .map(Number);

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe('ETS model: spec example E2', () => {
  it('heuristic initial states', () => {
    const init = initialStates(E2, normalizeSpec({ trend: 'add' }));
    expect(init.level).toBeCloseTo(11.3914, 10);
    expect(init.trend).toBeCloseTo(-0.094909, 6);
  });

  it('parameter counts (df = k + 1)', () => {
    expect(parameterCount(normalizeSpec({ trend: null })) + 1).toBe(3);
    expect(parameterCount(normalizeSpec({ trend: 'add' })) + 1).toBe(5);
    expect(parameterCount(normalizeSpec({ trend: 'add', damped: true })) + 1).toBe(6);
    expect(
      parameterCount(normalizeSpec({ trend: 'add', damped: true, seasonal: 'add', period: 3 })) + 1,
    ).toBe(10);
  });

  it('ANN fit: α on its bound, level, llf/AIC/AICc/BIC/mse, forecasts and variances', () => {
    const m = fitEts(E2, { error: 'add', trend: null });
    expect(m.params.alpha).toBe(1e-4);
    expect(m.params.level).toBeCloseTo(11.20485, 4);
    expect(m.llf).toBeCloseTo(-44.093097, 5);
    expect(m.aic).toBeCloseTo(94.186194, 5);
    expect(m.aicc).toBeCloseTo(94.852861, 5);
    expect(m.bic).toBeCloseTo(99.252832, 5);
    expect(m.mse).toBeCloseTo(0.530878, 6);
    const f = m.forecast(3);
    for (const v of f) expect(v).toBeCloseTo(11.204851, 5);
    const v = m.forecastVariance(3);
    for (let h = 1; h <= 3; h++) expect(v[h - 1]).toBeCloseTo(m.mse * (1 + 1e-8 * (h - 1)), 12);
  });

  it('AAN fit', () => {
    const m = fitEts(E2, { error: 'add', trend: 'add', damped: false });
    expect(m.params.alpha).toBe(1e-4);
    expect(m.params.beta).toBeCloseTo(0, 6);
    expect(m.params.level).toBeCloseTo(10.836247, 4);
    expect(m.params.trend).toBeCloseTo(0.017981, 5);
    expect(m.llf).toBeCloseTo(-42.400294, 5);
    expect(m.aic).toBeCloseTo(94.800588, 5);
    expect(m.aicc).toBeCloseTo(96.565294, 5);
    expect(m.bic).toBeCloseTo(103.244985, 5);
    const f = m.forecast(3);
    [11.573454, 11.591434, 11.609415].forEach((want, i) => {
      expect(f[i]).toBeCloseTo(want, 5);
    });
  });

  it('AAdN: forecasts from the reference parameters are exact; our fit is at least as good', () => {
    const spec = normalizeSpec({ trend: 'add', damped: true });
    const ref = new EtsModel(
      spec,
      {
        alpha: 0.0001,
        beta: 0,
        gamma: 0,
        phi: 0.969763,
        level: 10.592754,
        trend: 0.04093,
        seasonal: [],
      },
      E2,
    );
    const f = ref.forecast(3);
    [11.532852, 11.544124, 11.555056].forEach((want, i) => {
      expect(f[i]).toBeCloseTo(want, 5);
    });
    expect(ref.llf).toBeCloseTo(-42.933898, 3);
    // statsmodels' optimiser stops early here (spec: optimiser-dependent); ours reaches φ's bound.
    const m = fitEts(E2, spec);
    expect(m.llf).toBeGreaterThanOrEqual(-42.933898);
    expect(m.aic).toBeGreaterThan(94.186194); // ANN stays the AIC winner
  });
});

describe('ETS model: spec example E1 (NAB machine temperature, train split)', () => {
  let v: Float64Array = new Float64Array(0);
  let nTrain = 0;
  let y: Float64Array = new Float64Array(0);
  beforeAll(async () => {
    ({ v, nTrain } = await machineTemperature());
    y = v.subarray(0, nTrain);
  });

  it('uses the spec split (3403 rows)', () => {
    expect(v.length).toBe(22683);
    expect(nTrain).toBe(3403);
  });

  it('AAdA m = 3: parameters, llf, AIC, mse, forecasts and their std', () => {
    const m = fitEts(y, { error: 'add', trend: 'add', damped: true, seasonal: 'add', period: 3 });
    expect(rel(m.llf, -4664.7184)).toBeLessThan(1e-6);
    expect(rel(m.aic, 9349.4368)).toBeLessThan(1e-6);
    expect(m.df).toBe(10);
    expect(Math.abs(m.params.alpha - 0.54577)).toBeLessThan(1e-3);
    expect(Math.abs(m.params.beta - 0.12255)).toBeLessThan(1e-3);
    expect(Math.abs(m.params.gamma - 5e-5)).toBeLessThan(1e-5);
    expect(Math.abs(m.params.phi - 0.8602)).toBeLessThan(1e-3);
    expect(Math.abs(m.params.level - 72.1952)).toBeLessThan(1e-2);
    expect(Math.abs(m.params.trend - 1.94139)).toBeLessThan(1e-2);
    expect(m.params.seasonal[2]).toBe(0);
    expect(rel(m.mse, 0.908151500768891)).toBeLessThan(1e-5);
    const f = m.forecast(5);
    const sd = Array.from(m.forecastVariance(5), Math.sqrt);
    [98.12611, 98.09352, 98.08631, 98.00434, 97.98877].forEach((want, i) => {
      expect(Math.abs(f[i] - want)).toBeLessThan(2e-4);
    });
    [0.95297, 1.13721, 1.33906, 1.55035, 1.7658].forEach((want, i) => {
      expect(Math.abs(sd[i] - want)).toBeLessThan(1e-4);
    });
  });
});

describe('ETS model: recursions, variances, simulation', () => {
  const params = {
    alpha: 0.3,
    beta: 0.05,
    gamma: 0.1,
    phi: 0.9,
    level: 50,
    trend: 0.4,
    seasonal: [2, -1, -1],
  };

  it('smoothing with the true parameters recovers the simulated innovations exactly', () => {
    const spec = normalizeSpec({ error: 'add', trend: 'add', damped: true, seasonal: 'add', period: 3 });
    const y = simulateEts(spec, params, 200, 0.7, 42);
    const model = new EtsModel(spec, params, y);
    const rng = new NormalRng(42);
    for (let t = 0; t < 200; t++) expect(model.resid[t]).toBeCloseTo(0.7 * rng.next(), 9);
  });

  it('analytic AAdA variance agrees with simulated paths', () => {
    const spec = normalizeSpec({ error: 'add', trend: 'add', damped: true, seasonal: 'add', period: 3 });
    const state = { level: 50, trend: 0.4, seasonal: Float64Array.from([-1, -1, 2]) };
    const analytic = Array.from({ length: 8 }, (_, i) => varianceFactor(spec, params, i + 1));
    // Force the simulation path by asking through a multiplicative-error twin with tiny errors is not
    // equivalent, so simulate the additive model directly.
    const sim = simulatedVariance(spec, state, 8, 20000);
    for (let h = 0; h < 8; h++) expect(rel(sim[h], analytic[h])).toBeLessThan(0.05);
  });

  it('multiplicative models: h = 1 exact, later horizons simulated and seeded (reproducible)', () => {
    const spec = normalizeSpec({ error: 'mul', trend: 'add', damped: true, seasonal: 'mul', period: 3 });
    const p = { ...params, seasonal: [1.05, 0.97, 1] };
    const state = { level: 50, trend: 0.4, seasonal: Float64Array.from([1, 0.97, 1.05]) };
    const a = forecastVariance(spec, p, state, 0.01, 6, { seed: 7 });
    const b = forecastVariance(spec, p, state, 0.01, 6, { seed: 7 });
    expect(Array.from(a)).toEqual(Array.from(b));
    const yhat1 = (50 + 0.9 * 0.4) * 1;
    expect(a[0]).toBeCloseTo(0.01 * yhat1 * yhat1, 10);
    for (let h = 1; h < 6; h++) expect(a[h]).toBeGreaterThan(a[0] * 0.8);
  });

  it('property: parameters are recovered from simulated data', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.15, max: 0.6, noNaN: true }),
        fc.double({ min: 0.05, max: 0.3, noNaN: true }),
        fc.integer({ min: 1, max: 1000 }),
        (alpha, gammaFrac, seed) => {
          const spec = normalizeSpec({ error: 'add', trend: null, seasonal: 'add', period: 4 });
          const truth = {
            alpha,
            beta: 0,
            gamma: gammaFrac * (1 - alpha),
            phi: 1,
            level: 20,
            trend: 0,
            seasonal: [3, -2, 1, 0],
          };
          const y = simulateEts(spec, truth, 1500, 1, seed);
          const m = fitEts(y, spec);
          expect(Math.abs(m.params.alpha - alpha)).toBeLessThan(0.08);
          expect(Math.abs(m.params.gamma - truth.gamma)).toBeLessThan(0.08);
          expect(Math.abs(Math.sqrt(m.mse) - 1)).toBeLessThan(0.08);
        },
      ),
      { numRuns: 6 },
    );
  });
});

describe('ETS model: parameter recovery with trend and multiplicative components', () => {
  it('property: AAN (α, β) and MNM (α, γ, σ) are recovered from seeded simulations', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), (seed) => {
        const aan = normalizeSpec({ error: 'add', trend: 'add', damped: false, seasonal: null });
        const t1 = { alpha: 0.35, beta: 0.08, gamma: 0, phi: 1, level: 10, trend: 0.2, seasonal: [] };
        const m1 = fitEts(simulateEts(aan, t1, 2000, 1, seed), aan);
        expect(Math.abs(m1.params.alpha - 0.35)).toBeLessThan(0.1);
        expect(Math.abs(m1.params.beta - 0.08)).toBeLessThan(0.05);
        const mnm = normalizeSpec({ error: 'mul', trend: null, seasonal: 'mul', period: 5 });
        const t2 = {
          alpha: 0.3,
          beta: 0,
          gamma: 0.1,
          phi: 1,
          level: 100,
          trend: 0,
          seasonal: [1.1, 0.9, 1.05, 0.95, 1],
        };
        const m2 = fitEts(simulateEts(mnm, t2, 2000, 0.02, seed), mnm);
        expect(Math.abs(m2.params.alpha - 0.3)).toBeLessThan(0.08);
        expect(Math.abs(m2.params.gamma - 0.1)).toBeLessThan(0.06);
        expect(Math.abs(Math.sqrt(m2.mse) - 0.02)).toBeLessThan(0.002);
      }),
      { numRuns: 5 },
    );
  });
});

/** Monte Carlo variance of the additive model's forecast errors (independent of forecastVariance). */
function simulatedVariance(
  spec: ReturnType<typeof normalizeSpec>,
  state: { level: number; trend: number; seasonal: Float64Array },
  steps: number,
  paths: number,
): number[] {
  const { alpha, phi } = { alpha: 0.3, phi: 0.9 };
  const beta = 0.05;
  const gamma = 0.1;
  const rng = new NormalRng(3);
  const sum = new Float64Array(steps);
  const sq = new Float64Array(steps);
  const m = spec.period;
  for (let p = 0; p < paths; p++) {
    let l = state.level;
    let b = state.trend;
    const s = Array.from(state.seasonal);
    for (let h = 0; h < steps; h++) {
      const e = rng.next();
      const sIdx = h % m;
      const err = e;
      const yhat = l + phi * b + s[sIdx];
      const y = yhat + err;
      const lNew = l + phi * b + alpha * err;
      b = phi * b + beta * err;
      s[sIdx] += gamma * err;
      l = lNew;
      sum[h] += y;
      sq[h] += y * y;
    }
  }
  return Array.from(sum, (sm, h) => (sq[h] - (sm * sm) / paths) / (paths - 1));
}
