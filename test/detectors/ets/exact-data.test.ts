/**
 * ETS refuses training data that has no scale to score against (`tiny_scale`, docs/ets.md, Scoring:
 * "Near-exact fits"): a constant or a straight line (with multiplicative error also a constant growth
 * rate), judged on the data — the one-step changes (ratios) all equal within rounding — and not on how
 * small the fit's one-step error came out. An exactly periodic series is predictable too, but its
 * changes vary: it trains, its σ̂ floored by √ε times the RMS of its changes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EtsCore, type EtsCoreConfig } from '../../../src/detectors/index.js';
import { DetectorError } from '../../../src/index.js';
import { thrownBy } from '../../helpers/thrown.js';
import { etsCoreConfig } from './core-config.js';

const STEP = 3_600_000;
const T0 = 1.7e12;

/** The series `f(i)`, i = 0 … n − 1, hourly, without the points listed in `drop` (gaps the core fills). */
function series(n: number, f: (i: number) => number, drop: readonly number[] = []) {
  const keep = Array.from({ length: n }, (_, i) => i).filter(
    (i) => i === 0 || i === n - 1 || !drop.includes(i),
  );
  return { t: Float64Array.from(keep, (i) => T0 + i * STEP), v: Float64Array.from(keep, f) };
}

/** The structures the additive-error property tries (every trend and season the default's grid fits). */
const ADDITIVE: Partial<EtsCoreConfig>[] = [
  { trend: null, seasonal: null },
  { trend: 'add', damped: false, seasonal: null },
  { trend: 'add', damped: true, seasonal: null },
  { trend: null, seasonal: 'add', seasonalPeriods: 4 },
  { trend: 'add', damped: true, seasonal: 'add', seasonalPeriods: 4 },
];

function refusal(c: EtsCoreConfig, data: { t: Float64Array; v: Float64Array }): DetectorError {
  return thrownBy(DetectorError, () => new EtsCore(c).train(data));
}

describe('ETS training data without scale (tiny_scale), judged on the data', () => {
  it('property: a constant or affine series is always refused, whatever the model and the gaps', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e9, max: 1e9, noNaN: true }),
        fc.oneof(fc.constant(0), fc.double({ min: -1e6, max: 1e6, noNaN: true })),
        fc.integer({ min: 12, max: 150 }),
        fc.nat({ max: ADDITIVE.length - 1 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 148 }), { maxLength: 5 }),
        (a, b, n, k, drop) => {
          const err = refusal(
            etsCoreConfig(ADDITIVE[k]),
            series(n, (i) => a + b * i, drop),
          );
          expect(err.code).toBe('tiny_scale');
          expect(err.message).toMatch(/training points are (constant|a straight line)/);
        },
      ),
      { numRuns: 60, seed: 40 },
    );
  });

  it('property: with multiplicative error, a constant, a line or a constant growth rate is always refused', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-3, max: 1e6, noNaN: true }),
        fc.double({ min: 0.5, max: 1.5, noNaN: true }),
        fc.integer({ min: 12, max: 150 }),
        fc.constantFrom<EtsCoreConfig['trend']>(null, 'add', 'mul'),
        fc.boolean(),
        (y0, q, n, trend, geometric) => {
          const f = geometric ? (i: number) => y0 * q ** i : (i: number) => y0 * (1 + (q - 0.5) * i);
          const c = etsCoreConfig({ error: 'mul', trend, damped: false, seasonal: null });
          const err = refusal(c, series(n, f));
          expect(err.code).toBe('tiny_scale');
        },
      ),
      { numRuns: 40, seed: 41 },
    );
  });

  it('property: a noise-free sine or sum of sines, of any amplitude and offset, always trains', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e9, max: 1e9, noNaN: true }),
        // the amplitude at least 1e-9 of the offset: far smaller, the sine rounds to a constant in float64
        fc.double({ min: 1e-9, max: 1e3, noNaN: true }),
        fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
        fc.array(
          fc.record({ w: fc.double({ min: -1, max: 1, noNaN: true }), p: fc.constantFrom(24, 12, 8, 6) }),
          {
            maxLength: 2,
          },
        ),
        fc.integer({ min: 72, max: 200 }),
        fc.boolean(),
        (c, rel, abs, more, n, trend) => {
          const amp = Math.max(abs, rel * Math.abs(c));
          const f = (i: number) =>
            c +
            amp * Math.sin((2 * Math.PI * i) / 24) +
            more.reduce((s, { w, p }) => s + w * amp * Math.sin((2 * Math.PI * i) / p + 1), 0);
          const core = new EtsCore(
            etsCoreConfig({
              trend: trend ? 'add' : null,
              damped: true,
              seasonal: 'add',
              seasonalPeriods: 24,
            }),
          );
          core.train(series(n, f));
          // σ̂ is positive: the fit's √mse or the floor
          const z = core.push(T0 + n * STEP, f(n) + amp);
          expect(Number.isFinite(z)).toBe(true);
          expect(Math.abs(z)).toBeGreaterThan(0);
        },
      ),
      { numRuns: 30, seed: 42 },
    );
  });

  it('a noise-free sine far from 0 with a small amplitude trains (a bound on the fit’s σ refused it)', () => {
    const core = new EtsCore(etsCoreConfig({ trend: null, seasonal: 'add', seasonalPeriods: 24 }));
    core.train(series(600, (i) => 1e6 + 1e-3 * Math.sin((2 * Math.PI * i) / 24)));
    // the fit's σ (rounding of values near 1e6) is below the former bound n·ε·max|y| = 1.3e-7
    expect(Math.sqrt(core.mse)).toBeLessThan(600 * Number.EPSILON * 1e6);
    const z = core.push(T0 + 600 * STEP, 1e6 + 1e-3);
    expect(Number.isFinite(z)).toBe(true);
  });

  it('the message names what the data is and what to do', () => {
    const c = etsCoreConfig({ trend: null, seasonal: null });
    expect(
      refusal(
        c,
        series(100, () => 7),
      ).message,
    ).toMatch(/the 100 training points are constant: .*train on data with some noise/);
    expect(
      refusal(
        c,
        series(100, (i) => 3 - 0.25 * i),
      ).message,
    ).toMatch(/the 100 training points are a straight line/);
    const g = refusal(
      etsCoreConfig({ error: 'mul', trend: null, seasonal: null }),
      series(100, (i) => 2 * 1.01 ** i),
    );
    expect(g.message).toMatch(/the 100 training points grow at a constant rate/);
  });

  it('one changed point makes a line trainable', () => {
    const core = new EtsCore(etsCoreConfig({ trend: null, seasonal: null }));
    core.train(series(100, (i) => 5 + 2 * i + (i === 50 ? 1e-6 : 0)));
    expect(Number.isFinite(core.push(T0 + 100 * STEP, 205))).toBe(true);
  });
});
