/**
 * Finite input, finite score: every registered detector (and the default detector) streams any
 * sequence of finite doubles, the extremes included (±Number.MAX_VALUE, ±1e308, 5e-324), and every
 * score is finite (or the point is refused with a TsadError, after which the stream takes ordinary values
 * as if the refused point had never come).
 * A model trained on values near 1e16 loads and streams (its data-scale state is not bounded by 1e15).
 * A model trained on huge values (1e100 … 3e306) is refused at training with a typed error that says to
 * rescale, or its model file and its stream checkpoints load (docs/errors.md, `value_too_large`); so does
 * the checkpoint of a stream that was pushed extreme values.
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

/** A model file through JSON text and back, as a file on disk would be. */
function roundTrip(model: unknown): Parameters<typeof loadModel>[0] {
  return JSON.parse(JSON.stringify(model)) as Parameters<typeof loadModel>[0];
}

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
            const before = JSON.stringify(s.toJSON());
            try {
              score = s.push(t[i], x).score;
            } catch (err) {
              // refused, typed: the stream is exactly as before the point (its checkpoint unchanged)
              if (!(err instanceof TsadError)) throw err;
              expect(JSON.stringify(s.toJSON())).toBe(before);
              continue;
            }
            expect(Number.isFinite(score)).toBe(true);
            i++;
          }
          // the stream's checkpoint after the extremes loads: bad input never leaves a state the model
          // file's schema refuses (an overflowed sum of squares)
          const resumed = loadModel(roundTrip(s.toJSON())).stream();
          // ordinary values after the extremes (scored or refused): always accepted and finite (no
          // Infinity − Infinity left in the state, no half-applied refused point)
          for (let k = 0; k < 40; k++, i++) {
            expect(Number.isFinite(s.push(t[i], v[i]).score)).toBe(true);
            expect(Number.isFinite(resumed.push(t[i], v[i]).score)).toBe(true);
          }
        }),
        { numRuns: 25, seed: 17 },
      );
    });
  }

  for (const e of entries) {
    it(`${e.type}: a model trained on huge values (up to ±Number.MAX_VALUE) is refused typed, or loads and streams`, {
      timeout: 120_000,
    }, () => {
      fc.assert(
        fc.property(
          fc.constantFrom(1e100, 1e148, 1e152, 1e155, 1e200, 1e250, 1e300, 1e306, 3e306),
          fc.boolean(),
          (scale, negative) => {
            const k = negative ? -scale : scale;
            const big = Float64Array.from(v.subarray(0, n), (x) => x * k);
            const d = e.make();
            try {
              d.train({ t: t.subarray(0, n), v: big });
            } catch (err) {
              // refused at training, typed, with a message that says to rescale
              if (!(err instanceof TsadError)) throw err;
              expect(err.message).toMatch(/rescale/);
              return;
            }
            // trained: the model file loads (before, an overflowed sum of squares was saved as Infinity)
            const m = loadModel(roundTrip(d.toJSON()));
            const s = m.stream();
            for (let j = n; j < n + 30; j++) {
              let score: number;
              try {
                score = s.push(t[j], v[j] * k).score;
              } catch (err) {
                if (!(err instanceof TsadError)) throw err;
                continue;
              }
              expect(Number.isFinite(score)).toBe(true);
            }
            // and so does the stream's checkpoint
            loadModel(roundTrip(s.toJSON()));
          },
        ),
        { numRuns: 12, seed: 18 },
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
