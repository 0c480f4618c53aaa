import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';
import { ModelFormatError } from '../errors.js';

/**
 * The seeded random generator every detector uses: xoroshiro128+ from pure-rand. Its state is
 * four 32-bit integers, so online models save and resume it exactly (`state()` / `fromState`).
 *
 * @example
 * const a = new Rng(42);
 * const b = new Rng(42);
 * a.float() === b.float(); // => true
 * const u = a.float();
 * u >= 0 && u < 1; // => true
 * const k = a.int(1, 6);
 * k >= 1 && k <= 6; // => true
 * const resumed = Rng.fromState(a.state());
 * resumed.float() === a.float(); // => true
 */
export class Rng {
  private readonly g: JumpableRandomGenerator;

  constructor(seed: number | JumpableRandomGenerator) {
    if (typeof seed === 'number') {
      this.g = xoroshiro128plus(seed | 0);
      // xoroshiro128+ seeded from a small integer starts with poorly mixed outputs: warm it up.
      for (let i = 0; i < 32; i++) this.g.next();
    } else {
      this.g = seed;
    }
  }

  /** Uniform in [0, 1), 53 random bits. */
  float(): number {
    return uniformFloat64(this.g);
  }

  /** Uniform integer in [from, to] (both inclusive). */
  int(from: number, to: number): number {
    return uniformInt(this.g, from, to);
  }

  /** Advances the generator by 2^64 draws: the next non-overlapping stream of the same seed. */
  jump(): void {
    this.g.jump();
  }

  /** The generator state, for model files. */
  state(): number[] {
    return [...this.g.getState()];
  }

  /** A generator resumed from `state()`; a `ModelFormatError` (`bad_rng_state`) if it is not one. */
  static fromState(state: unknown): Rng {
    if (!Array.isArray(state) || !state.every((x) => Number.isInteger(x))) {
      throw new ModelFormatError('bad_rng_state', 'rng state must be an array of integers');
    }
    try {
      return new Rng(xoroshiro128plusFromState(state as number[]));
    } catch (e) {
      throw new ModelFormatError('bad_rng_state', `rng state is invalid: ${(e as Error).message}`);
    }
  }
}

/**
 * One standard normal draw by the Box–Muller transform (the cosine half of the pair; two uniforms a
 * draw): stateless beside `r`, so generators that interleave it with other draws of the same `Rng`
 * stay reproducible. {@link NormalRng} keeps the second half instead.
 *
 * @example
 * const x = gaussOne(new Rng(5));
 * x === gaussOne(new Rng(5)); // => true
 * Number.isFinite(x); // => true
 */
export function gaussOne(r: Rng): number {
  const u = 1 - r.float();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.float());
}

/**
 * Standard normal draws by the Box–Muller transform over an {@link Rng} (two uniforms give two
 * normals; the second is kept for the next call).
 *
 * @example
 * const a = new NormalRng(3);
 * const b = new NormalRng(3);
 * a.next() === b.next(); // => true
 * Number.isFinite(a.next()); // => true
 */
export class NormalRng {
  private readonly u: Rng;
  private spare = Number.NaN;

  constructor(seed: number) {
    this.u = new Rng(seed);
  }

  next(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = Number.NaN;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.u.float();
    const v = this.u.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}
