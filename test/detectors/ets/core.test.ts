import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EtsCore, simulateEts } from '../../../src/detectors/index.js';
import { inferGranularity } from '../../../src/series/index.js';
import { etsCoreConfig } from './core-config.js';
import { machineTemperature } from './nab-helper.js';

const STEP = 300_000;
const cfg = etsCoreConfig;

function sim(
  n: number,
  seed: number,
  spec = { error: 'add' as const, trend: 'add' as const, damped: true, seasonal: 'add' as const, period: 4 },
) {
  const v = simulateEts(
    spec,
    { alpha: 0.4, beta: 0.05, gamma: 0.1, phi: 0.9, level: 100, trend: 0.5, seasonal: [3, -1, 2, 0] },
    n,
    1,
    seed,
  );
  const t = Float64Array.from({ length: n }, (_, i) => 1.7e12 + i * STEP);
  return { t, v };
}

const slice = (ts: { t: Float64Array; v: Float64Array }, a: number, b?: number) => ({
  t: ts.t.slice(a, b),
  v: ts.v.slice(a, b),
});

describe('EtsCore', () => {
  it('infers the most common gap', () => {
    expect(inferGranularity(Float64Array.from([0, 5, 10, 20, 25]))).toBe(5);
  });

  for (const mode of ['stream', 'reference'] as const) {
    for (const error of ['add', 'mul'] as const) {
      it(`${mode} mode, ${error} error: batch score equals point-by-point push exactly (with gaps)`, () => {
        const all = sim(700, 5);
        const train = slice(all, 0, 500);
        // test with two gaps
        const keep = Array.from({ length: 200 }, (_, i) => 500 + i).filter(
          (i) => i !== 520 && i !== 600 && i !== 601,
        );
        const test = {
          t: Float64Array.from(keep, (i) => all.t[i]),
          v: Float64Array.from(keep, (i) => all.v[i]),
        };
        const c = cfg({ mode, error, seasonalPeriods: 4, simulations: 200 });
        const a = new EtsCore(c);
        a.train(train);
        const b = new EtsCore(c);
        b.train(train);
        const s = a.score(test, train);
        for (let i = 0; i < test.t.length; i++)
          expect(Object.is(b.push(test.t[i], test.v[i]), s.v[i])).toBe(true);
        for (const x of s.v) expect(Number.isFinite(x)).toBe(true);
      });
    }
  }

  it('property: for random models, modes and gaps, batch score() equals push() bit for bit', () => {
    fc.assert(
      fc.property(
        fc.record({
          error: fc.constantFrom('add' as const, 'mul' as const),
          trend: fc.constantFrom('add' as const, 'mul' as const, null),
          damped: fc.boolean(),
          seasonal: fc.constantFrom('add' as const, 'mul' as const, null),
          period: fc.integer({ min: 2, max: 7 }),
          mode: fc.constantFrom('stream' as const, 'reference' as const),
        }),
        fc.integer({ min: 1, max: 1000 }),
        fc.array(fc.integer({ min: 0, max: 199 }), { maxLength: 20 }),
        (c, seed, drop) => {
          const all = sim(400, seed);
          const train = slice(all, 0, 200);
          const dropSet = new Set(drop);
          const idx = Array.from({ length: 200 }, (_, i) => 200 + i).filter((i) => !dropSet.has(i - 200));
          const test = {
            t: Float64Array.from(idx, (i) => all.t[i]),
            v: Float64Array.from(idx, (i) => all.v[i]),
          };
          const config = cfg({ ...c, seasonalPeriods: c.seasonal ? c.period : null, simulations: 50 });
          const a = new EtsCore(config);
          const b = new EtsCore(config);
          let batch: Float64Array;
          try {
            a.train(train);
            batch = a.score(test).v;
          } catch (e) {
            // a model may legitimately fail to fit or leave its range; then the stream fails too
            expect((e as Error).name).toBe('DetectorError');
            return;
          }
          b.train(train);
          for (let i = 0; i < test.t.length; i++)
            expect(Object.is(b.push(test.t[i], test.v[i]), batch[i])).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('stream mode: a missing point is bridged by linear interpolation (same state as feeding it)', () => {
    const all = sim(600, 9);
    const c = cfg({ seasonalPeriods: 4 });
    const a = new EtsCore(c);
    a.train(slice(all, 0, 500));
    const b = new EtsCore(c);
    b.train(slice(all, 0, 500));
    const ta = [all.t[500], all.t[502], all.t[503]];
    const mid = (all.v[500] + all.v[502]) / 2;
    a.push(ta[0], all.v[500]);
    const za = [a.push(ta[1], all.v[502]), a.push(ta[2], all.v[503])];
    b.push(ta[0], all.v[500]);
    b.absorb(all.t[501], mid);
    const zb = [b.push(ta[1], all.v[502]), b.push(ta[2], all.v[503])];
    expect(za[0]).toBeCloseTo(zb[0], 12);
    expect(za[1]).toBeCloseTo(zb[1], 12);
  });

  it('one-step scores on data from the fitted model class are ≈ N(0, 1)', () => {
    const all = sim(3000, 21);
    const c = new EtsCore(cfg({ seasonalPeriods: 4 }));
    const trainScores = c.train(slice(all, 0, 2000));
    const s = c.score(slice(all, 2000));
    const sd = (x: Float64Array) => Math.sqrt(x.reduce((a, b) => a + b * b, 0) / x.length);
    expect(sd(s.v)).toBeGreaterThan(0.9);
    expect(sd(s.v)).toBeLessThan(1.1);
    expect(sd(trainScores.v)).toBeCloseTo(1, 6); // in-sample residuals / sqrt(mse)
  });

  it('model JSON restores fitted parameters and live state exactly', () => {
    const all = sim(800, 3);
    const a = new EtsCore(cfg({ auto: true }));
    a.train(slice(all, 0, 500));
    a.score(slice(all, 500, 600));
    const b = new EtsCore(cfg({ auto: true }));
    b.restore(JSON.parse(JSON.stringify(a.toJSON())), 'state.model');
    expect(JSON.stringify(b.toJSON())).toBe(JSON.stringify(a.toJSON()));
    const sa = a.score(slice(all, 600));
    const sb = b.score(slice(all, 600));
    for (let i = 0; i < sa.v.length; i++) expect(Object.is(sa.v[i], sb.v[i])).toBe(true);
  });

  it('rejects broken model state with a ModelFormatError naming the field', () => {
    const all = sim(300, 3);
    const a = new EtsCore(cfg({ seasonalPeriods: 4 }));
    a.train(all);
    const j = JSON.parse(JSON.stringify(a.toJSON()));
    j.live.seasonal = [1, 2];
    expect(() => new EtsCore(cfg()).restore(j, 'state.model')).toThrow(/state\.model\.live\.seasonal/);
  });

  it('reference mode on NAB machine temperature (spec E1): h-step forecasts and std from the end of training', async () => {
    const { t, v, nTrain } = await machineTemperature();
    const c = new EtsCore(cfg({ mode: 'reference', seasonalPeriods: 3 }));
    c.train({ t: t.slice(0, nTrain), v: v.slice(0, nTrain) });
    const f = [98.12611, 98.09352, 98.08631, 98.00434, 97.98877];
    const sd = [0.95297, 1.13721, 1.33906, 1.55035, 1.7658];
    const s = c.score({ t: t.slice(nTrain, nTrain + 5), v: v.slice(nTrain, nTrain + 5) });
    for (let h = 0; h < 5; h++) {
      const want = (v[nTrain + h] - f[h]) / (sd[h] + 1e-8);
      expect(Math.abs(s.v[h] - want)).toBeLessThan(5e-4);
    }
    // reference mode does not move the state: scoring again gives the same numbers
    const again = c.score({ t: t.slice(nTrain, nTrain + 5), v: v.slice(nTrain, nTrain + 5) });
    expect(Array.from(again.v)).toEqual(Array.from(s.v));
  });
});
