import type { Rng } from './rng.js';

/**
 * xoroshiro128+ over a flat `Int32Array` of states, for hot loops that keep many generators (one per
 * RCF tree) in shared memory. The state at `rs[b .. b+4)` is in pure-rand's order, so it is the
 * same generator as `Rng.fromState(Array.from(rs.subarray(b, b + 4)))`, and each draw equals that
 * `Rng`'s `float()` to the bit (pure-rand's uniformFloat64: 26 + 27 bits of two consecutive
 * outputs), with both steps done in locals instead of through a generator object.
 *
 * @example
 * const rs = Int32Array.from(new Rng(7).state());
 * const ref = new Rng(7);
 * xoroshiroFloat(rs, 0) === ref.float(); // => true
 * xoroshiroFloat(rs, 0) === ref.float(); // => true
 */
export function xoroshiroFloat(rs: Int32Array, b: number): number {
  let s01 = rs[b];
  let s00 = rs[b + 1];
  let s11 = rs[b + 2];
  let s10 = rs[b + 3];
  const v1 = ((s00 + s10) | 0) & 0x3ffffff;
  let a0 = s10 ^ s00;
  let a1 = s11 ^ s01;
  let o00 = s00;
  let o01 = s01;
  s00 = (o00 << 24) ^ (o01 >>> 8) ^ a0 ^ (a0 << 16);
  s01 = (o01 << 24) ^ (o00 >>> 8) ^ a1 ^ ((a1 << 16) | (a0 >>> 16));
  s10 = (a1 << 5) ^ (a0 >>> 27);
  s11 = (a0 << 5) ^ (a1 >>> 27);
  const v2 = ((s00 + s10) | 0) & 0x7ffffff;
  a0 = s10 ^ s00;
  a1 = s11 ^ s01;
  o00 = s00;
  o01 = s01;
  rs[b + 1] = (o00 << 24) ^ (o01 >>> 8) ^ a0 ^ (a0 << 16);
  rs[b] = (o01 << 24) ^ (o00 >>> 8) ^ a1 ^ ((a1 << 16) | (a0 >>> 16));
  rs[b + 3] = (a1 << 5) ^ (a0 >>> 27);
  rs[b + 2] = (a0 << 5) ^ (a1 >>> 27);
  // v1·2^-26 + v2·2^-53: both products and the sum are exact
  return v1 * 1.4901161193847656e-8 + v2 * 1.1102230246251565e-16;
}

/**
 * Fills `out` (length a multiple of 4) with `out.length / 4` non-overlapping xoroshiro128+ streams:
 * stream 0 is `start`'s state, stream t is stream t − 1 jumped by 2^64 draws. `start` is left at the
 * last stream's state.
 *
 * @example
 * const rs = new Int32Array(8);
 * fillStreams(rs, new Rng(1));
 * const second = new Rng(1);
 * second.jump();
 * Array.from(rs.subarray(4, 8)).join() === second.state().join(); // => true
 */
export function fillStreams(out: { length: number; [i: number]: number }, start: Rng): void {
  const T = out.length >> 2;
  for (let t = 0; t < T; t++) {
    if (t > 0) start.jump();
    const st = start.state();
    for (let k = 0; k < 4; k++) out[4 * t + k] = st[k];
  }
}
