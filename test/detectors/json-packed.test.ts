/**
 * Packed arrays of model files (`packFloats` / `packInts`): bit-exact round trips, the narrowest
 * integer width, and lengths checked from the string before anything is decoded.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../src/index.js';
import { packFloats, packInts, unpackFloats, unpackInts } from '../../src/internal.js';

/** The float64 bit patterns of an array, as hex (NaN payloads and −0 included). */
function bits(a: ArrayLike<number>): string {
  return Buffer.from(Float64Array.from(a).buffer).toString('hex');
}

describe('packed arrays', () => {
  it('round-trips every float64 bit pattern through JSON', () => {
    fc.assert(
      fc.property(fc.array(fc.double()), (xs) => {
        const s = JSON.parse(JSON.stringify(packFloats(xs)));
        const back = unpackFloats(s, 'x', xs.length);
        expect(bits(back)).toBe(bits(xs));
      }),
    );
    const odd = new Float64Array(new BigUint64Array([0x7ff8_0000_0000_0001n, 0x8000_0000_0000_0000n]).buffer);
    expect(bits(unpackFloats(packFloats(odd), 'x', 2))).toBe(bits(odd));
  });

  it('round-trips safe integers in the narrowest width', () => {
    fc.assert(
      fc.property(fc.array(fc.maxSafeInteger()), (xs) => {
        const back = unpackInts(
          packInts(xs),
          'x',
          Number.MIN_SAFE_INTEGER,
          Number.MAX_SAFE_INTEGER,
          xs.length,
        );
        expect(Array.from(back)).toEqual(xs);
      }),
    );
    const type = (xs: number[]) => packInts(xs).split(':')[0];
    expect(type([-1, 0, 127])).toBe('i8');
    expect(type([-1, 128])).toBe('i16');
    expect(type([-32768, 40_000])).toBe('i32');
    expect(type([-(2 ** 31), 2 ** 31])).toBe('f64');
    expect(type([Number.MIN_SAFE_INTEGER])).toBe('f64');
    expect(packInts([])).toBe('i8:');
    expect(() => packInts([0.5])).toThrow(TypeError);
  });

  it('refuses wrong lengths, types, ranges and bad base64 with a ModelFormatError naming the field', () => {
    const f = packFloats([1, 2, 3]);
    const cases: [() => unknown, RegExp][] = [
      [() => unpackFloats(f, 'a.b', 4), /a\.b: expected 4 numbers, got 3/],
      [() => unpackFloats(f, 'a.b', { max: 2 }), /a\.b: expected at most 2 numbers, got 3/],
      [() => unpackFloats([1, 2, 3], 'a.b', 3), /a\.b: expected a packed array string/],
      [() => unpackFloats(packInts([1, 2, 3]), 'a.b', 3), /a\.b: expected a packed array of type f64/],
      [() => unpackFloats('f64:AAAA*AAAAAAAAAAA', 'a.b', 1), /a\.b: is not valid base64/],
      [() => unpackFloats('f64:AAAAAAAAAA', 'a.b', 1), /a\.b: is not valid base64/],
      [
        () => unpackInts(packInts([1, 2, 300]), 'a.b', 0, 255, 3),
        /a\.b\[2\]: expected an integer in \[0, 255\]/,
      ],
      [() => unpackInts(packFloats([1.5]), 'a.b', 0, 9, 1), /a\.b\[0\]: expected an integer/],
    ];
    for (const [fn, msg] of cases) {
      expect(fn).toThrow(ModelFormatError);
      expect(fn).toThrow(msg);
    }
  });

  it('checks a claimed length before decoding (no allocation for a huge string)', () => {
    const huge = `f64:${'A'.repeat(40_000_000)}`;
    const before = process.memoryUsage().arrayBuffers;
    expect(() => unpackFloats(huge, 'x', { max: 1000 })).toThrow(
      /expected at most 1000 numbers, got 3750000/,
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1_000_000);
  });
});
