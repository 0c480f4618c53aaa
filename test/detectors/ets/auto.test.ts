import { describe, expect, it } from 'vitest';
import { acf, autoEts, candidateGrid, detectSeasonality, specName } from '../../../src/detectors/index.js';
import { normalCdf, normalQuantile } from '../../../src/internal.js';
import { machineTemperature } from './nab-helper.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('seasonality detection', () => {
  it('normal quantile used by the z-test', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(-1.959963984540054)).toBeCloseTo(0.025, 14);
  });

  it('acf: r_0 = 1, lags capped at n − 1', () => {
    const r = acf([1, 2, 3, 4], 10);
    expect(r.length).toBe(4);
    expect(r[0]).toBe(1);
    // mean 2.5, deviations -1.5 -0.5 0.5 1.5: c0 = 5, c1 = 0.75 + -0.25 + 0.75 = 1.25
    expect(r[1]).toBeCloseTo(0.25, 15);
  });

  it('no structure gives [1]', () => {
    expect(detectSeasonality(Array.from({ length: 30 }, (_, i) => i))).toEqual([1]);
  });

  it('spec E3: the detector finds m = 10 (not 12)', () => {
    expect(detectSeasonality(e3())[0]).toBe(10);
  });
});

function e3(): number[] {
  return Array.from(
    { length: 72 },
    (_, t) =>
      Math.round((20 + 0.05 * t + 2 * Math.sin((2 * Math.PI * t) / 12) + 0.15 * (((7 * t) % 5) - 2)) * 1e4) /
      1e4,
  );
}

describe('AutoETS', () => {
  it('grid order and restrictions (docs/ets.md, What is implemented)', () => {
    const names = candidateGrid([1, 2, 3, 4, 5, 6, 7], 3).map(specName);
    expect(names).toEqual(['AAdA', 'AAA', 'ANA', 'MAdA', 'MAA', 'MAdM', 'MAM', 'MNA', 'MNM']);
    expect(candidateGrid([1, -2, 3, 4], 1).map(specName)).toEqual(['AAdN', 'AAN', 'ANN']);
    expect(candidateGrid([1, 2, 3], 3).map(specName)).toEqual(['AAdN', 'AAN', 'ANN', 'MAdN', 'MAN', 'MNN']);
    expect(candidateGrid([1, 2, 3, 4, 5], 2, { additiveOnly: true }).map(specName)).toEqual([
      'AAdA',
      'AAA',
      'ANA',
    ]);
  });

  it('spec E3: ANA selected (α = 0.9999, llf −77.94, AIC 183.877704); AAA stalls at α = 1e-4', () => {
    const r = autoEts(e3());
    expect(r.period).toBe(10);
    expect(specName(r.model.spec)).toBe('ANA');
    expect(r.model.params.alpha).toBe(0.9999);
    expect(r.model.llf).toBeCloseTo(-77.94, 2);
    expect(r.model.aic).toBeCloseTo(183.877704, 4);
    const aaa = r.candidates.find((c) => c.name === 'AAA');
    expect(aaa?.llf).toBeCloseTo(-125.85, 2);
  });

  it('spec E1: machine temperature train split → m = 3, AAdA, llf and AIC within tolerance', async () => {
    const { v, nTrain } = await machineTemperature();
    const r = autoEts(v.subarray(0, nTrain));
    expect(r.period).toBe(3);
    expect(specName(r.model.spec)).toBe('AAdA');
    expect(rel(r.model.llf, -4664.7184)).toBeLessThan(1e-4);
    expect(rel(r.model.aic, 9349.43681)).toBeLessThan(1e-4);
    const ref: Record<string, [number, number]> = {
      AAdA: [-4664.7184, 9349.4368],
      AAA: [-4723.5996, 9465.1991],
      ANA: [-4765.6613, 9545.3226],
      MAdA: [-4864.8545, 9749.709],
      MAA: [-4918.8045, 9855.609],
      MAdM: [-4871.3862, 9762.7724],
      MAM: [-4918.5716, 9855.1433],
      MNA: [-4968.9902, 9951.9805],
      MNM: [-4968.7228, 9951.4455],
    };
    expect(r.candidates.map((c) => c.name)).toEqual(Object.keys(ref));
    // Non-selected candidates are optimiser-dependent (docs/ets.md, What is implemented): the additive ones land on the
    // reference optimum, the multiplicative ones within a few parts in 1e3.
    for (const c of r.candidates) {
      expect(rel(c.aic, ref[c.name][1])).toBeLessThan(c.spec.error === 'add' ? 1e-6 : 5e-3);
    }
  });

  it('machine temperature, timestamps before 2013-12-15 (3489 rows): also m = 3 and AAdA', async () => {
    // The spec's figures are for the 3403-row split above; this split has no reference numbers.
    const { t, v } = await machineTemperature();
    let n = 0;
    while (t[n] < Date.UTC(2013, 11, 15)) n++;
    expect(n).toBe(3489);
    const r = autoEts(v.subarray(0, n));
    expect(r.period).toBe(3);
    expect(specName(r.model.spec)).toBe('AAdA');
  });
});

describe('AutoETS with search flags off', () => {
  it('pins disabled dimensions to the base model (docs/ets.md, What is implemented)', () => {
    const y = Array.from(
      { length: 60 },
      (_, t) => 20 + 0.1 * t + 3 * Math.sin((2 * Math.PI * t) / 6) + ((t * 7) % 5) * 0.1,
    );
    const r = autoEts(y, {
      seasonality: false,
      error: false,
      damped: false,
      base: { error: 'add', trend: 'add', damped: false, seasonal: 'add', period: 6 },
    });
    expect(r.period).toBe(6);
    // error pinned to add, damping pinned off; 'restrict' drops the A·M-season candidates
    expect(r.candidates.map((c) => c.name)).toEqual(['AAA', 'ANA']);
  });
});
