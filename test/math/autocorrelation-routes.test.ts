import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { autocorrelation, directAutocorrelation } from '../../src/internal.js';

/**
 * The WebAssembly route of `autocorrelation` (wasm46) as a user reaches it (rev48): which route a call
 * takes and when it falls back, what the module's memory does, re-entrant calls, the kinds of input
 * (plain arrays, typed arrays, views with an offset) and non-finite values. The JavaScript route is
 * the peer (test/math/autocorrelation.test.ts checks both against the textbook sums).
 */

/** `Object.is` on every lag: the same bits, NaN included (null when both are null). */
const sameBits = (a: Float64Array | null, b: Float64Array | null): boolean =>
  a === null || b === null ? a === b : a.length === b.length && a.every((x, k) => Object.is(x, b[k]));

/** A series that is not constant, with a cycle, n values. */
const series = (n: number, phase = 0): Float64Array =>
  Float64Array.from({ length: n }, (_, i) => Math.sin((i + phase) / 5) + ((i * 0.618034) % 1));

type Mod = typeof import('../../src/internal.js');

/** What the tests use of WebAssembly (the project's lib has no WebAssembly types). */
interface Memory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
  CompileError: new (message: string) => Error;
}
const realWasm = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;

/**
 * A fresh copy of tsad's modules, src/math/autocorrelation.ts's instance not yet made, under `global` as the
 * global WebAssembly (`{ webAssembly: undefined }`: none; not given: the real one, counted), and
 * counts of what it did: instances made, calls into the module's `acf`, and the instance's memory.
 */
async function fresh(global?: { webAssembly: unknown }): Promise<{
  mod: Mod;
  counts: { instances: number; acf: number };
  memory: () => Memory | undefined;
}> {
  const counts = { instances: 0, acf: 0 };
  let memory: Memory | undefined;
  class CountingInstance {
    readonly exports: Record<string, unknown>;
    constructor(module: object, imports: object) {
      const e = new realWasm.Instance(module, imports).exports;
      counts.instances++;
      memory = e.memory as Memory;
      const acf = e.acf as (...a: number[]) => void;
      this.exports = {
        ...e,
        acf: (...a: number[]) => {
          counts.acf++;
          acf(...a);
        },
      };
    }
  }
  vi.stubGlobal(
    'WebAssembly',
    global ? global.webAssembly : { Module: realWasm.Module, Instance: CountingInstance },
  );
  vi.resetModules();
  const mod = (await import('../../src/internal.js')) as Mod;
  return { mod, counts, memory: () => memory };
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
});

describe('autocorrelation: which route', () => {
  it('takes the WebAssembly sums when they fit (instantiated once, on the first call, not at import), JavaScript above 65,536 doubles', async () => {
    const { mod, counts, memory } = await fresh();
    expect(counts.instances).toBe(0);
    const v = series(3000);
    const r = mod.autocorrelation(v, 130)!;
    expect(counts.instances).toBe(1);
    // 130 lags: calls of 64, 64 and 2
    expect(counts.acf).toBe(3);
    expect(sameBits(r, directAutocorrelation(v, 130, 'javascript'))).toBe(true);
    mod.autocorrelation(series(500), 64);
    expect(counts).toEqual({ instances: 1, acf: 4 });
    // n + L + 1 above the memory (still the direct sums: n · L ≤ 2^24): the JavaScript route, and the
    // memory stays its 8 pages
    const long = series(65_500);
    const r2 = mod.autocorrelation(long, 100)!;
    expect(counts.acf).toBe(4);
    expect(sameBits(r2, directAutocorrelation(long, 100, 'javascript'))).toBe(true);
    expect(memory()!.buffer.byteLength).toBe(8 * 65_536);
    // and it cannot be grown (maximum 8 pages), so the view of it never detaches
    expect(() => memory()!.grow(1)).toThrow(RangeError);
  });

  it('without WebAssembly: the JavaScript route, the same bits; the webassembly route refused with a RangeError', async () => {
    const v = series(700);
    const js = directAutocorrelation(v, 100, 'javascript');
    const { mod } = await fresh({ webAssembly: undefined });
    expect(sameBits(mod.autocorrelation(v, 100), js)).toBe(true);
    expect(() => mod.directAutocorrelation(v, 100, 'webassembly')).toThrow(RangeError);
    expect(sameBits(mod.directAutocorrelation(v, 100, 'javascript'), js)).toBe(true);
  });

  it('a module that does not compile (no SIMD) or an instance that cannot be made (no memory): the JavaScript route, tried once', async () => {
    const v = series(700);
    const js = directAutocorrelation(v, 100, 'javascript');
    const real = realWasm;
    for (const where of ['Module', 'Instance'] as const) {
      let tries = 0;
      // a constructor that throws (an arrow function would fail as `new` before counting)
      const fail = function fail(): never {
        tries++;
        throw where === 'Module'
          ? new real.CompileError('invalid simd opcode')
          : new RangeError(
              'WebAssembly.Instance(): Out of memory: Cannot allocate Wasm memory for new instance',
            );
      };
      const { mod } = await fresh({
        webAssembly: {
          Module: where === 'Module' ? fail : real.Module,
          Instance: where === 'Instance' ? fail : real.Instance,
        },
      });
      expect(sameBits(mod.autocorrelation(v, 100), js)).toBe(true);
      expect(sameBits(mod.autocorrelation(v, 100), js)).toBe(true);
      expect(tries).toBe(1);
      expect(() => mod.directAutocorrelation(v, 100, 'webassembly')).toThrow(RangeError);
    }
  });
});

describe('autocorrelation: re-entrant calls', () => {
  it('a call made while the input is being read (a getter of an array-like) does not overwrite the outer call’s values', async () => {
    const { mod, counts } = await fresh();
    const outer = series(400);
    const inner = series(300, 17);
    const innerJs = directAutocorrelation(inner, 40, 'javascript');
    let innerResult: Float64Array | null = null;
    const input: ArrayLike<number> = new Proxy(Array.from(outer), {
      get(target, key, receiver) {
        if (key === '200' && innerResult === null) innerResult = mod.autocorrelation(inner, 40);
        return Reflect.get(target, key, receiver);
      },
    });
    const r = mod.autocorrelation(input, 50);
    expect(sameBits(innerResult, innerJs)).toBe(true);
    expect(sameBits(r, directAutocorrelation(outer, 50, 'javascript'))).toBe(true);
    // the outer call still summed in WebAssembly
    expect(counts.acf).toBeGreaterThan(0);
  });

  it('an input whose reading throws leaves the module usable (the next call sums in WebAssembly, right)', async () => {
    const { mod, counts } = await fresh();
    const bad: ArrayLike<number> = new Proxy(Array.from(series(100)), {
      get(target, key, receiver) {
        if (key === '50') throw new Error('reading failed');
        return Reflect.get(target, key, receiver);
      },
    });
    expect(() => mod.autocorrelation(bad, 10)).toThrow('reading failed');
    const v = series(300);
    const before = counts.acf;
    expect(sameBits(mod.autocorrelation(v, 20), directAutocorrelation(v, 20, 'javascript'))).toBe(true);
    expect(counts.acf).toBe(before + 1);
  });
});

describe('autocorrelation: kinds of input and values', () => {
  it('property: plain arrays, Float64Array, Float32Array and views at an offset give the same bits on both routes, NaN and ±Infinity included', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            { weight: 8, arbitrary: fc.double({ min: -1e3, max: 1e3, noNaN: true }) },
            {
              weight: 1,
              arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
            },
            { weight: 1, arbitrary: fc.constantFrom(1e200, -1e200, 1.7e308, -0) },
          ),
          { minLength: 0, maxLength: 200 },
        ),
        fc.integer({ min: 0, max: 220 }),
        fc.integer({ min: 0, max: 7 }),
        (xs, maxLag, offset) => {
          const js = directAutocorrelation(xs, maxLag, 'javascript');
          const backing = new Float64Array(offset + xs.length + 3);
          backing.fill(123.5);
          const view = backing.subarray(offset, offset + xs.length);
          view.set(xs);
          for (const input of [xs, Float64Array.from(xs), view]) {
            expect(sameBits(directAutocorrelation(input, maxLag, 'webassembly'), js)).toBe(true);
            expect(sameBits(autocorrelation(input, maxLag), js)).toBe(true);
          }
          const f32 = Float32Array.from(xs);
          const js32 = directAutocorrelation(Array.from(f32), maxLag, 'javascript');
          expect(sameBits(directAutocorrelation(f32, maxLag, 'webassembly'), js32)).toBe(true);
          expect(sameBits(autocorrelation(f32, maxLag), js32)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('NaN or ±Infinity anywhere: null on both routes; a sum of squares that overflows: the same non-finite lags', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      for (const at of [0, 1, 64, 199]) {
        const v = series(200);
        v[at] = bad;
        expect(autocorrelation(v, 70)).toBeNull();
        expect(directAutocorrelation(v, 70, 'webassembly')).toBeNull();
        expect(directAutocorrelation(v, 70, 'javascript')).toBeNull();
      }
    }
    const huge = series(200).map((x) => x * 1e160);
    const r = autocorrelation(huge, 70)!;
    expect(sameBits(r, directAutocorrelation(huge, 70, 'javascript'))).toBe(true);
    expect(r[0]).toBe(1);
    expect(r.slice(1).every((x) => x === 0 || Number.isNaN(x))).toBe(true);
  });

  it('n = 2, L = 0 and L ≥ n on both routes', () => {
    for (const route of ['webassembly', 'javascript'] as const) {
      expect(Array.from(directAutocorrelation([1, 3], 5, route)!)).toEqual([1, -0.5]);
      expect(Array.from(directAutocorrelation([1, 3], 1, route)!)).toEqual([1, -0.5]);
      expect(Array.from(directAutocorrelation([1, 3, 2], 0, route)!)).toEqual([1]);
      expect(Array.from(directAutocorrelation([1, 3, 2], -4, route)!)).toEqual([1]);
      expect(directAutocorrelation([], 3, route)).toBeNull();
    }
    const v = series(130);
    expect(
      sameBits(directAutocorrelation(v, 10_000, 'webassembly'), directAutocorrelation(v, 129, 'javascript')),
    ).toBe(true);
  });

  it('lag counts around the calls of 64 (63 … 66, 127 … 130, 191 … 194) on long series: the same bits', () => {
    const v = series(5000);
    for (const base of [64, 128, 192]) {
      for (let L = base - 1; L <= base + 2; L++) {
        expect(
          sameBits(directAutocorrelation(v, L, 'webassembly'), directAutocorrelation(v, L, 'javascript')),
        ).toBe(true);
      }
    }
  });
});
