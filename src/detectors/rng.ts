import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { ModelFormatError } from '../errors.js';

/**
 * The one seeded random generator every detector uses (xoroshiro128+ from pure-rand).
 * Its state is a short list of 32-bit integers, so online models can save and resume it exactly.
 */
export class Rng {
  private readonly g: RandomGenerator;

  constructor(seed: number | RandomGenerator) {
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

  /** The generator state, for model files. */
  state(): number[] {
    return [...this.g.getState()];
  }

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
