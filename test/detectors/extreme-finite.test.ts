/**
 * Finite input, finite score: every registered detector (and the default detector) streams any
 * sequence of finite doubles, the extremes included (±Number.MAX_VALUE, ±1e308, 5e-324), and every
 * score is finite (or the point is refused with a TsadError, after which the stream takes ordinary values
 * as if the refused point had never come).
 * A model trained on values near 1e16 loads and streams (its data-scale state is not bounded by 1e15).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DETECTORS } from '../../src/detectors/index.js';
import { defaultDetector, loadModel, TsadError } from '../../src/index.js';
import { makeDetector } from '../../src/internal.js';

const n = 600;
const t = Float64Array.from({ length: n + 200 }, (_, i) => i * 60_000);
const v = Float64Array.from({ length: n + 200 }, (_, i) => 50 + 10 * Math.sin(i / 20) + Math.sin(i * 1.7));
const M = Number.MAX_VALUE;
const extreme = fc.oneof(
  fc.constantFrom(M, -M, 1e308, -1e308, 5e-324, -5e-324, 0),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const entries = [
  ...DETECTORS.map((e) => ({ type: e.type, make: e.example })),
  { type: 'default', make: () => defaultDetector() },
];

describe('extreme finite values in the stream', () => {
  for (const e of entries) {
    it(`${e.type}: any finite values score finitely (or are refused typed)`, {
      timeout: 120_000,
    }, () => {
      const d = e.make();
      d.train({ t: t.subarray(0, n), v: v.subarray(0, n) });
      fc.assert(
        fc.property(fc.array(extreme, { minLength: 1, maxLength: 8 }), (seq) => {
          const s = d.stream();
          let i = n;
          for (const x of seq) {
            let score: number;
            try {
              score = s.push(t[i], x).score;
            } catch (err) {
              // refused, typed: the stream must be as before the point (checked by what follows)
              if (!(err instanceof TsadError)) throw err;
              continue;
            }
            expect(Number.isFinite(score)).toBe(true);
            i++;
          }
          // ordinary values after the extremes (scored or refused): always accepted and finite (no
          // Infinity − Infinity left in the state, no half-applied refused point)
          for (let k = 0; k < 40; k++, i++) expect(Number.isFinite(s.push(t[i], v[i]).score)).toBe(true);
        }),
        { numRuns: 25, seed: 17 },
      );
    });
  }

  it('the changePoint recipe: M, 0, M, 0 then ordinary values stay finite (the CUSUM run sum overflowed to NaN)', () => {
    const tt = Float64Array.from({ length: 1200 }, (_, i) => i * 300_000);
    const vv = Float64Array.from({ length: 1200 }, (_, i) => 50 + 10 * Math.sin(i / 20) + Math.sin(i * 1.7));
    const d = makeDetector('changePoint', { seed: 1 });
    d.train({ t: tt.subarray(0, 800), v: vv.subarray(0, 800) });
    const s = d.stream();
    const out: number[] = [];
    for (let i = 800; i < 805; i++) out.push(s.push(tt[i], vv[i]).score);
    for (const [k, x] of [M, 0, M, 0].entries()) out.push(s.push(tt[805 + k], x).score);
    for (let k = 0; k < 60; k++) out.push(s.push(tt[809 + k], vv[805 + k]).score);
    expect(out.every(Number.isFinite)).toBe(true);
  });

  it('a default model trained on values near 1e16 saves, loads and streams', () => {
    const big = Float64Array.from(v.subarray(0, n), (x) => x * 1e16);
    const d = defaultDetector();
    d.train({ t: t.subarray(0, n), v: big });
    const m = loadModel(JSON.parse(JSON.stringify(d.toJSON())) as Parameters<typeof loadModel>[0]);
    const s = m.stream();
    for (let k = 0; k < 50; k++) expect(Number.isFinite(s.push(t[n + k], v[n + k] * 1e16).score)).toBe(true);
  });
});
