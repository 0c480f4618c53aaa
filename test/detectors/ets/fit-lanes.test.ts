import { describe, expect, it } from 'vitest';
import { type EtsSpec, fitEts, specName } from '../../../src/detectors/index.js';

// ETS fit round 29: the additive classes' gradients evaluate their k + 1 points four at a time
// (filterAdditiveLanes, numericGradientRows), which must leave every fit bit for bit as it was. The
// log-likelihoods below were recorded with main's build before that change (9ee280f, one point at a
// time): any difference in a gradient changes the optimiser's path and with it the last digits here.
const RECORDED: Record<string, number> = {
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

describe('fitEts, additive classes: the same fits as before the gradient lanes', () => {
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
    expect(got).toEqual(RECORDED);
    for (const k of Object.keys(RECORDED)) expect(Object.is(got[k], RECORDED[k]), k).toBe(true);
  });
});
