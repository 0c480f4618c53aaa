import { describe, expect, it } from 'vitest';
import { type EtsSpec, fitEts, specName } from '../../../src/detectors/index.js';

// The additive classes' fits, recorded: any change to the objective or its gradient changes the
// optimiser's path and with it the last digits here. EXACT: the exact gradient (sseGradientAdditive,
// ETS gradient round 40). FORWARD: the forward differences before it (main 9ee280f, ETS fit round 29);
// the exact gradient's optima are the same to within 0.02 of the log-likelihood, higher or lower by a
// little (the two stop at slightly different points of a flat optimum).
const EXACT: Record<string, number> = {
  '50 AAdA': -8.156033208630525,
  '50 AAdN': -108.41229367723102,
  '50 AAA': -7.363181884223091,
  '50 AAN': -108.47071618412886,
  '50 ANA': -12.88877000675685,
  '50 ANN': -108.48166433134602,
  '777 AAdA': -147.9392193949306,
  '777 AAdN': -1696.5918545937284,
  '777 AAA': -115.98994122046003,
  '777 AAN': -1693.0841842684638,
  '777 ANA': -163.4665818488767,
  '777 ANN': -1711.6180955845834,
};
const FORWARD: Record<string, number> = {
  '50 AAdA': -8.175065334304216,
  '50 AAdN': -108.4122936773297,
  '50 AAA': -7.363180268003139,
  '50 AAN': -108.4707161840871,
  '50 ANA': -12.888770009963944,
  '50 ANN': -108.48166433134763,
  '777 AAdA': -147.93921988921585,
  '777 AAdN': -1696.5918546109124,
  '777 AAA': -115.98827074988452,
  '777 AAN': -1693.0841158718893,
  '777 ANA': -163.466581901003,
  '777 ANN': -1711.6180955855543,
};

describe('fitEts, additive classes: the recorded fits', () => {
  it('every additive class, 50 and 777 points (period 7): log-likelihood bit for bit as recorded', () => {
    let u = 3;
    const rnd = () => {
      u = (u * 16807) % 2147483647;
      return u / 2147483647;
    };
    const got: Record<string, number> = {};
    for (const n of [50, 777]) {
      const y = Float64Array.from(
        { length: n },
        (_, i) => 20 + 0.01 * i + 3 * Math.sin((2 * Math.PI * i) / 7) + rnd(),
      );
      for (const trend of ['add', null] as const) {
        for (const damped of [true, false]) {
          for (const seasonal of ['add', null] as const) {
            if (!trend && damped) continue;
            const spec: EtsSpec = { error: 'add', trend, damped, seasonal, period: seasonal ? 7 : 1 };
            got[`${n} ${specName(spec)}`] = fitEts(y, spec).llf;
          }
        }
      }
    }
    expect(got).toEqual(EXACT);
    for (const k of Object.keys(EXACT)) {
      expect(Object.is(got[k], EXACT[k]), k).toBe(true);
      expect(Math.abs(got[k] - FORWARD[k]), k).toBeLessThan(0.02);
    }
  });
});
