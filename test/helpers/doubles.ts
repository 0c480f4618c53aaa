import fc from 'fast-check';

/**
 * The largest double strictly below `x` (x finite): the bit pattern minus one (plus one below zero),
 * and below either zero the smallest negative subnormal. The reference tree's cut rule uses it
 * (tree-reference.test.ts), written here apart from the WebAssembly insert's own (wasm/walk.ts).
 */
export function prevDouble(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  const f = new Float64Array(1);
  const i = new BigInt64Array(f.buffer);
  f[0] = x;
  i[0] += x > 0 ? -1n : 1n;
  return f[0];
}

/**
 * fast-check doubles of mixed magnitudes: m · 10^k with m in [−1, 1] and k in −maxExp…maxExp (weight 4), or
 * one of 0, −0, 0.1 and 3 (weight 1). Sums of such values round differently in another order, so a
 * reordered sum shows in a result compared with Object.is.
 */
export function mixedDoubles(maxExp: number): fc.Arbitrary<number> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.double({ min: -1, max: 1, noNaN: true }), fc.integer({ min: -maxExp, max: maxExp }))
        .map(([m, k]) => m * 10 ** k),
    },
    { weight: 1, arbitrary: fc.constantFrom(0, -0, 0.1, 3) },
  );
}
