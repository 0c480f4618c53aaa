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
