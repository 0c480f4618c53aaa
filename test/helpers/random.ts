/**
 * Seeded pseudo-random numbers and noisy series for tests and benches: reproducible without a seed
 * library, and independent of the generators under test (`Rng`, the forest's). One place for each
 * generator, so that every test that says "a noisy sine from a seeded LCG" means the same numbers.
 */

/**
 * Uniforms in [0, 1) from the 32-bit LCG of Numerical Recipes (x ← 1664525·x + 1013904223 mod 2^32),
 * exact in integer arithmetic. The first draw is the successor of `seed >>> 0` (0 included: the
 * increment keeps 0 from being a fixed point). Tests whose generators took a seed of 0 as 1 pass
 * `nonZeroSeed(seed)`.
 */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Uniforms in [0, 1) from the 31-bit LCG x ← (1103515245·x + 12345) mod 2^31 as the older tests write it:
 * in double arithmetic, where the product is rounded before the remainder (so it is not the C library's
 * sequence). Kept to the letter: the figures of the tests that use it were taken with these numbers.
 */
export function lcg31(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

/** `seed` as the older noise generators read it: `seed >>> 0`, and 1 for 0. */
export function nonZeroSeed(seed: number): number {
  return seed >>> 0 || 1;
}

/** Uniforms in [−1, 1) from `lcg(nonZeroSeed(seed))`. */
export function signedNoise(seed: number): () => number {
  const u = lcg(nonZeroSeed(seed));
  return () => u() * 2 - 1;
}

/** `n` draws of `lcg(nonZeroSeed(seed))` − 0.5: noise in [−0.5, 0.5). */
export function centredNoise(n: number, seed: number): Float64Array {
  const u = lcg(nonZeroSeed(seed));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = u() - 0.5;
  return out;
}

/**
 * `n` points at `t0 + i · stepMs` whose values are `value(i, u)`, `u` the next draw of `rand` (one draw a
 * point, in order).
 */
export function seededSeries(
  n: number,
  stepMs: number,
  t0: number,
  rand: () => number,
  value: (i: number, u: number) => number,
): { t: Float64Array; v: Float64Array } {
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = rand();
    t[i] = t0 + i * stepMs;
    v[i] = value(i, u);
  }
  return { t, v };
}

/**
 * A noisy daily cycle at 5-minute steps: 10 + 3 · sin(2πi / 288) + (u − 0.5), `u` from `lcg31(seed)`
 * (the lab candidates' tests).
 */
export function dailyCycle(
  n: number,
  seed = 7,
  t0 = Date.UTC(2024, 0, 1),
): { t: Float64Array; v: Float64Array } {
  return seededSeries(
    n,
    300_000,
    t0,
    lcg31(seed),
    (i, u) => 10 + 3 * Math.sin((2 * Math.PI * i) / 288) + (u - 0.5),
  );
}
