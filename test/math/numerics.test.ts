import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/detectors/index.js';
import { NumericError } from '../../src/index.js';
import { fillStreams, minimizeLbfgsb, normalQuantile, xoroshiroFloat } from '../../src/internal.js';

const root = join(import.meta.dirname, '..', '..');

describe('xoroshiro128+ family', () => {
  it('property: the Int32Array draw equals pure-rand uniformFloat64 on a warmed-up generator', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 300 }), (seed, draws) => {
        const ref = xoroshiro128plus(seed | 0);
        for (let i = 0; i < 32; i++) ref.next();
        const rs = Int32Array.from(new Rng(seed).state());
        for (let i = 0; i < draws; i++) expect(xoroshiroFloat(rs, 0)).toBe(uniformFloat64(ref));
      }),
      { numRuns: 100 },
    );
  });

  it('streams are pure-rand jumps of the start state, and independent of each other', () => {
    const rs = new Int32Array(4 * 5);
    fillStreams(rs, new Rng(99));
    const ref = xoroshiro128plus(99);
    for (let i = 0; i < 32; i++) ref.next();
    for (let t = 0; t < 5; t++) {
      if (t > 0) ref.jump();
      expect(Array.from(rs.subarray(4 * t, 4 * t + 4))).toEqual(ref.getState());
    }
    const first = Array.from({ length: 8 }, () => xoroshiroFloat(rs, 0));
    const second = Array.from({ length: 8 }, () => xoroshiroFloat(rs, 4));
    expect(first).not.toEqual(second);
  });
});

describe('NumericError', () => {
  it('docs/errors.md lists exactly the codes of NumericErrorCode', () => {
    const src = readFileSync(join(root, 'src', 'errors.ts'), 'utf8');
    const body = /export type NumericErrorCode =([^;]*);/.exec(src)?.[1] ?? '';
    const codes = [...body.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]).sort();
    const doc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| `NumericError` \| `([^`]+)` \|/gm)].map((m) => m[1]).sort();
    expect(codes.length).toBe(3);
    expect(rows).toEqual(codes);
  });

  it('the optimiser and the quantile throw NumericErrors with their codes', () => {
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(NumericError);
        return (e as NumericError).code;
      }
      return undefined;
    };
    const fg = (x: Float64Array, g: Float64Array) => {
      g[0] = 2 * x[0];
      return x[0] * x[0];
    };
    expect(code(() => minimizeLbfgsb(fg, [0], { lower: [1], upper: [0] }))).toBe('bad_bounds');
    expect(code(() => minimizeLbfgsb(fg, [0, 0], { lower: [0] }))).toBe('bad_bounds');
    expect(code(() => minimizeLbfgsb(() => Number.NaN, [0]))).toBe('not_finite');
    expect(code(() => normalQuantile(1))).toBe('bad_probability');
    expect(code(() => normalQuantile(Number.NaN))).toBe('bad_probability');
  });
});
