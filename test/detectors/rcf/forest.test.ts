import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { CutForest } from '../../../src/detectors/index.js';
import { DetectorError, ModelFormatError } from '../../../src/index.js';
import { packFloats, packInts, rejectBound, unpackFloats, unpackInts } from '../../../src/internal.js';
import { centredNoise } from '../../helpers/random.js';
import { arrayForm } from './array-form.js';

/** Deterministic pseudo-random series (a tiny LCG, independent of the forest's generator). */
const noise = centredNoise;

/** Shingles of width k over x (left-padded with x[0]), flattened. */
function shingles(x: Float64Array, k: number): Float64Array {
  const out = new Float64Array(x.length * k);
  for (let i = 0; i < x.length; i++) {
    for (let j = 0; j < k; j++) out[i * k + j] = x[Math.max(0, i - k + 1 + j)];
  }
  return out;
}

function streamScores(forest: CutForest, pts: Float64Array, from: number, to: number): number[] {
  const d = forest.dimensions;
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(forest.scoreThenUpdate(pts, i * d));
  return out;
}

function checkSamplers(forest: CutForest): void {
  for (let t = 0; t < forest.numberOfTrees; t++) {
    const slots = forest.samplerSlots(t);
    // Tree size (root mass, with duplicates) equals the reservoir size.
    expect(forest.trees[t].size()).toBe(slots.length);
    expect(slots.length).toBe(Math.min(forest.totalUpdates, forest.sampleSize));
    for (let i = 1; i < slots.length; i++) {
      expect(slots[(i - 1) >> 1].weight >= slots[i].weight).toBe(true);
    }
    const perLeaf = new Map<number, number>();
    for (const s of slots) perLeaf.set(s.leaf, (perLeaf.get(s.leaf) ?? 0) + 1);
    for (const [leaf, m] of perLeaf) expect(forest.trees[t].mass(leaf)).toBe(m);
  }
}

/**
 * Every new WebAssembly memory refused as V8 refuses one when it has no address space left (a RangeError),
 * until the returned spy is restored.
 */
function refuseWasmMemory() {
  const wasm = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => object } }).WebAssembly;
  return vi.spyOn(wasm, 'Memory').mockImplementation(
    class {
      constructor() {
        throw new RangeError('WebAssembly.Memory(): could not allocate memory');
      }
    },
  );
}

describe('CutForest', () => {
  it('scores 0 until outputAfter updates, then positive scores', () => {
    const f = new CutForest({ dimensions: 2, numberOfTrees: 5, sampleSize: 16, seed: 3 });
    expect(f.outputAfter).toBe(4);
    expect(f.lambda).toBe(1 / 160);
    const x = shingles(noise(50, 1), 2);
    const s = streamScores(f, x, 0, 50);
    expect(s.slice(0, 4)).toEqual([0, 0, 0, 0]);
    for (const v of s.slice(4)) expect(v).toBeGreaterThan(0);
  });

  it('rejectBound never rejects an offer the exact weight comparison would accept (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 2 ** -53, max: 1, maxExcluded: true, noNaN: true }),
        fc.double({ min: -50, max: 5, noNaN: true }),
        fc.integer({ min: 1, max: 1e9 }),
        fc.integer({ min: 0, max: 64 }),
        fc.double({ min: 0, max: 0.01, noNaN: true }),
        (u, wMax, s, ahead, lambda) => {
          if (u <= rejectBound(wMax, s + ahead, lambda)) {
            expect(-s * lambda + Math.log(-Math.log(u)) >= wMax).toBe(true);
          }
        },
      ),
      { numRuns: 2000 },
    );
    // And it is tight enough to matter: with wMax = -1 at s = 0, λ = 0, it rejects U <= exp(-e^-1).
    expect(rejectBound(-1, 0, 0)).toBeCloseTo(Math.exp(-Math.exp(-1)), 8);
  });

  it('refuses with bad_capacity when its WebAssembly memory cannot be reserved (too many live forests)', () => {
    const spy = refuseWasmMemory();
    try {
      expect(() => new CutForest({ dimensions: 2, numberOfTrees: 2, sampleSize: 8 })).toThrow(
        expect.objectContaining({ code: 'bad_capacity', message: expect.stringMatching(/too many forests/) }),
      );
    } finally {
      spy.mockRestore();
    }
    expect(new CutForest({ dimensions: 2, numberOfTrees: 2, sampleSize: 8 }).score([1, 2])).toBe(0);
  });

  it('a saved forest whose memory cannot be reserved is bad_state with the bad_capacity refusal as its cause', () => {
    const saved = new CutForest({ dimensions: 2, numberOfTrees: 2, sampleSize: 8 }).toJSON();
    const spy = refuseWasmMemory();
    let err: unknown;
    try {
      CutForest.fromJSON(saved);
    } catch (e) {
      err = e;
    } finally {
      spy.mockRestore();
    }
    expect(err).toMatchObject({ code: 'bad_state', message: expect.stringMatching(/too many forests/) });
    expect((err as Error).cause).toMatchObject({ name: 'DetectorError', code: 'bad_capacity' });
  });

  it('rejects a non-finite or short point with a typed error and leaves the forest unchanged', () => {
    const f = new CutForest({ dimensions: 3, numberOfTrees: 5, sampleSize: 16, seed: 2 });
    const pts = shingles(noise(60, 4), 3);
    streamScores(f, pts, 0, 60);
    const before = JSON.stringify(f.toJSON());
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const p = Float64Array.of(0.1, bad, 0.2);
      expect(() => f.scoreThenUpdate(p)).toThrow(DetectorError);
      expect(() => f.update(p)).toThrow(/coordinate 1 .* finite/);
      expect(() => f.score(p)).toThrow(DetectorError);
      expect(() => f.scoreRows(p, 1, new Float64Array(1))).toThrow(DetectorError);
    }
    expect(() => f.update(Float64Array.of(1, 2))).toThrow(/needs 3 coordinates/);
    expect(JSON.stringify(f.toJSON())).toBe(before);
  });

  it('branch-free min, max and grown range equal the comparison forms bit for bit (property)', () => {
    // The tree's WebAssembly steps (src/detectors/rcf/wasm/walk.ts) compute min, max and the range of a
    // box grown to include x with 0/1 factors in place of branches; these are those formulas, written
    // as there. Box coordinates are finite and never -0 (the tree stores -0 as +0); queries may be -0.
    const minOf = (a: number, b: number) => {
      const c = Number(a < b);
      return a * c + b * (1 - c);
    };
    const maxOf = (a: number, b: number) => {
      const c = Number(a > b);
      return a * c + b * (1 - c);
    };
    const spanWith = (x: number, l: number, h: number) => {
      const g = Number(x > h);
      const c = Number(x < l);
      return x * g + h * (1 - g) - (x * c + l * (1 - c));
    };
    const coord = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(0, -0, 1, -1),
    );
    const boxCoord = coord.map((v) => v + 0);
    fc.assert(
      fc.property(coord, boxCoord, boxCoord, (x, a, b) => {
        const l = a < b ? a : b;
        const h = a < b ? b : a;
        expect(Object.is(minOf(a, b), a < b ? a : b)).toBe(true);
        expect(Object.is(maxOf(a, b), a > b ? a : b)).toBe(true);
        expect(Object.is(minOf(x + 0, a), x + 0 < a ? x + 0 : a)).toBe(true);
        expect(Object.is(spanWith(x, l, h), (x > h ? x : h) - (x < l ? x : l))).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const x = shingles(noise(400, 7), 3);
    const run = (seed: number) =>
      streamScores(new CutForest({ dimensions: 3, numberOfTrees: 10, sampleSize: 32, seed }), x, 0, 400);
    expect(run(11)).toEqual(run(11));
    expect(run(11)).not.toEqual(run(12));
  });

  it('keeps tree size equal to reservoir size (property over random streams)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer(),
        fc.integer({ min: 1, max: 4 }),
        (d, S, n, seed, levels) => {
          const f = new CutForest({ dimensions: d, numberOfTrees: 3, sampleSize: S, seed, lambda: 0.05 });
          // Coarse values make duplicate points (leaf masses > 1) common.
          const x = noise(n * d, seed).map((v) => Math.round(v * levels));
          for (let i = 0; i < n; i++) f.update(x, i * d);
          checkSamplers(f);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('save → load → continue gives bit-identical scores (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 2, max: 40 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer(),
        fc.boolean(),
        (d, S, T, n, seed, coarse) => {
          const raw = noise((n + 60) * d, seed ^ 0x5bd1e995);
          const x = coarse ? raw.map((v) => Math.round(v * 3)) : raw;
          const a = new CutForest({ dimensions: d, numberOfTrees: T, sampleSize: S, seed });
          for (let i = 0; i < n; i++) a.update(x, i * d);
          const json = JSON.parse(JSON.stringify(a.toJSON()));
          const b = CutForest.fromJSON(json);
          expect(b.toJSON()).toEqual(a.toJSON());
          checkSamplers(b);
          const sa = streamScores(a, x, n, n + 60);
          const sb = streamScores(b, x, n, n + 60);
          expect(sb).toEqual(sa);
          expect(b.toJSON()).toEqual(a.toJSON());
        },
      ),
      { numRuns: 60 },
    );
  });

  it('scoreRows (tree by tree, in blocks) equals score row by row, bit for bit', () => {
    // Up to 63 dimensions the four-tree walk reads packed links; beyond, trees go one at a time.
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constantFrom(62, 63, 64, 70)),
        fc.integer({ min: 0, max: 700 }),
        fc.integer(),
        (d, n, seed) => {
          const f = new CutForest({ dimensions: d, numberOfTrees: 7, sampleSize: 32, seed });
          const x = noise((n + 200) * d, seed);
          for (let i = 0; i < 200; i++) f.update(x, (n + i) * d);
          const out = new Float64Array(n);
          f.scoreRows(x, n, out);
          for (let i = 0; i < n; i++) expect(Object.is(out[i], f.score(x, i * d))).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('two threads give bit-identical scores and state to one thread', async () => {
    const pts = shingles(noise(6000, 21), 3);

    const opts = { dimensions: 3, numberOfTrees: 13, sampleSize: 64, seed: 4 };
    const one = new CutForest(opts);
    const two = new CutForest({ ...opts, threads: 2 });
    // The first step starts the worker; wait (event loop free) until it serves steps.
    expect(two.scoreThenUpdate(pts, 0)).toBe(one.scoreThenUpdate(pts, 0));
    for (let k = 0; k < 300 && !two.workerReady; k++) await new Promise((r) => setTimeout(r, 50));
    expect(two.workerReady).toBe(true);
    try {
      expect(streamScores(two, pts, 1, 1500)).toEqual(streamScores(one, pts, 1, 1500));
      // The worker claims chunks only when the OS schedules it; on a loaded machine the calling thread
      // may take every chunk for a while, so keep streaming (both forests alike) until it has taken one.
      let end = 1500;
      while (two.workerChunks === 0 && end < 6000) {
        expect(streamScores(two, pts, end, end + 500)).toEqual(streamScores(one, pts, end, end + 500));
        end += 500;
      }
      expect(two.workerChunks).toBeGreaterThan(0);
      expect(two.toJSON()).toEqual(one.toJSON());
      // Loaded with threads 1, switched to 2, it continues identically too.
      const back = CutForest.fromJSON(JSON.parse(JSON.stringify(two.toJSON())));
      back.threads = 2;
      const more = shingles(noise(300, 22), 3);
      expect(streamScores(back, more, 0, 300)).toEqual(streamScores(one, more, 0, 300));
      back.close();
    } finally {
      two.close();
    }
  });

  it('closed, then switched back to two threads, a forest gets a worker that takes chunks again (same numbers)', async () => {
    const pts = shingles(noise(8000, 24), 3);
    const opts = { dimensions: 3, numberOfTrees: 13, sampleSize: 64, seed: 6 };
    const one = new CutForest(opts);
    const two = new CutForest({ ...opts, threads: 2 });
    /** Streams both forests from `from` (the event loop free first) until `two`'s worker has taken a chunk. */
    const untilWorkerWorks = async (from: number): Promise<number> => {
      expect(two.scoreThenUpdate(pts, from * 3)).toBe(one.scoreThenUpdate(pts, from * 3));
      for (let k = 0; k < 300 && !two.workerReady; k++) await new Promise((r) => setTimeout(r, 50));
      expect(two.workerReady).toBe(true);
      const before = two.workerChunks;
      let end = from + 1;
      while (two.workerChunks === before && end + 500 <= 8000) {
        expect(streamScores(two, pts, end, end + 500)).toEqual(streamScores(one, pts, end, end + 500));
        end += 500;
      }
      expect(two.workerChunks).toBeGreaterThan(before);
      return end;
    };
    try {
      const end = await untilWorkerWorks(0);
      two.close();
      expect(two.workerReady).toBe(false);
      two.threads = 2;
      await untilWorkerWorks(end);
      expect(two.toJSON()).toEqual(one.toJSON());
    } finally {
      two.close();
    }
  });

  it('scoreThenUpdateRows gives the scores and state of scoreThenUpdate row by row (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (d, T, before, n, seed) => {
          const opts = { dimensions: d, numberOfTrees: T, sampleSize: 16, seed };
          const x = noise((before + n) * d, seed);
          const rowwise = new CutForest(opts);
          const batch = new CutForest(opts);
          // an earlier part streamed, so the batch may start before, at or after outputAfter
          expect(streamScores(batch, x, 0, before)).toEqual(streamScores(rowwise, x, 0, before));
          const want = streamScores(rowwise, x, before, before + n);
          const got = new Float64Array(n);
          batch.scoreThenUpdateRows(x.subarray(before * d), n, got);
          for (let i = 0; i < n; i++) expect(Object.is(got[i], want[i])).toBe(true);
          expect(batch.totalUpdates).toBe(rowwise.totalUpdates);
          expect(batch.toJSON()).toEqual(rowwise.toJSON());
        },
      ),
      { numRuns: 40 },
    );
  });

  it('loads a model file with one forest-wide generator state (older files) and continues', () => {
    const pts = shingles(noise(400, 23), 2);
    const f = new CutForest({ dimensions: 2, numberOfTrees: 5, sampleSize: 32, seed: 3 });
    streamScores(f, pts, 0, 200);
    const old = f.toJSON() as { rng: number[] };
    old.rng = old.rng.slice(0, 4);
    const a = CutForest.fromJSON(JSON.parse(JSON.stringify(old)));
    const b = CutForest.fromJSON(JSON.parse(JSON.stringify(old)));
    const sa = streamScores(a, pts, 200, 400);
    expect(sa.every((x) => Number.isFinite(x) && x > 0)).toBe(true);
    expect(streamScores(b, pts, 200, 400)).toEqual(sa);
  });

  it('stores each sampled point once in the model file', () => {
    const f = new CutForest({ dimensions: 4, numberOfTrees: 20, sampleSize: 64, seed: 1 });
    const x = shingles(noise(2000, 5), 4);
    for (let i = 0; i < 2000; i++) f.update(x, i * 4);
    const st = f.toJSON() as { points: { seqs: string } };
    const seqs = Array.from(unpackInts(st.points.seqs, 'seqs', 1, 2000, { max: 20 * 64 }));
    expect(seqs.length).toBeLessThan(20 * 64);
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('writes packed arrays; the older JSON-array form loads and continues exactly alike', () => {
    const pts = shingles(noise(600, 31), 3);
    const f = new CutForest({ dimensions: 3, numberOfTrees: 6, sampleSize: 32, seed: 5 });
    streamScores(f, pts, 0, 300);
    const packed = JSON.parse(JSON.stringify(f.toJSON()));
    expect(typeof packed.points.coords).toBe('string');
    const old = JSON.parse(JSON.stringify(arrayForm(packed)));
    expect(Array.isArray(old.trees[0].values)).toBe(true);
    const a = CutForest.fromJSON(old);
    expect(a.toJSON()).toEqual(packed);
    const b = CutForest.fromJSON(packed);
    expect(streamScores(a, pts, 300, 600)).toEqual(streamScores(b, pts, 300, 600));
    expect(streamScores(f, pts, 300, 600)).toEqual(streamScores(CutForest.fromJSON(packed), pts, 300, 600));
  });

  it('flags injected spikes in a noisy sine (fixed seed)', () => {
    const n = 3000;
    const e = noise(n, 99);
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = Math.sin((2 * Math.PI * i) / 50) + 0.1 * e[i];
    const spikes = [1200, 1750, 2300, 2800];
    for (const i of spikes) v[i] += 3;
    const x = shingles(v, 4);
    const f = new CutForest({ dimensions: 4, numberOfTrees: 50, sampleSize: 256, seed: 42 });
    const s = streamScores(f, x, 0, n);
    // A spike stays inside the shingle for 4 steps: the 16 highest scores after warm-up must be
    // exactly those 4 × 4 points, well separated from everything else.
    const order = [...s.keys()].filter((i) => i >= 1000).sort((a, b) => s[b] - s[a]);
    const hit = new Set<number>();
    for (const i of order.slice(0, 16)) {
      const sp = spikes.find((p) => i >= p && i < p + 4);
      expect(sp).toBeDefined();
      hit.add(sp!);
    }
    expect(s[order[15]]).toBeGreaterThan(2 * s[order[16]]);
    expect(hit.size).toBe(4);
  });

  it('rejects malformed state with a typed error naming the field', () => {
    const f = new CutForest({ dimensions: 2, numberOfTrees: 2, sampleSize: 8, seed: 1 });
    const x = shingles(noise(30, 2), 2);
    for (let i = 0; i < 30; i++) f.update(x, i * 2);
    const good = f.toJSON();
    const mutate = (
      fn: (
        s: Record<string, unknown> & { points: Record<string, unknown>; trees: Record<string, unknown>[] },
      ) => void,
    ) => {
      const s = JSON.parse(JSON.stringify(good));
      fn(s);
      return () => CutForest.fromJSON(s);
    };
    expect(mutate((s) => (s.dimensions = 0))).toThrow(/state\.dimensions/);
    expect(mutate((s) => s.trees.pop())).toThrow(/state\.trees/);
    expect(mutate((s) => (s.trees[0].dims = [0]))).toThrow(/state\.trees\.0\./);
    const floats = (x: unknown) => Array.from(unpackFloats(x, 'x', { max: 1e6 }));
    expect(
      mutate((s) => {
        const cuts = floats(s.trees[1].cuts);
        cuts[0] = 1e9;
        s.trees[1].cuts = packFloats(cuts);
      }),
    ).toThrow(ModelFormatError);
    expect(mutate((s) => (s.trees[0].weights = packFloats(floats(s.trees[0].weights).reverse())))).toThrow(
      /state\.trees\.0\.weights\.\d+: breaks the max-heap order/,
    );
    expect(mutate((s) => (s.trees[0].weights = packFloats(new Array(9).fill(1))))).toThrow(
      /state\.trees\.0\.weights: expected at most 8 numbers, got 9/,
    );
    expect(mutate((s) => (s.points.coords = packFloats(floats(s.points.coords).slice(1))))).toThrow(
      /state\.points\.coords: expected \d+ numbers/,
    );
    expect(mutate((s) => (s.trees[0].slots = packInts(new Array(8).fill(1e6))))).toThrow(
      /state\.trees\.0\.slots/,
    );
    expect(mutate((s) => (s.trees[0].cuts = 'f64:AAAA'))).toThrow(
      /state\.trees\.0\.cuts: is not valid base64/,
    );
    expect(mutate((s) => (s.rng = [1, 2]))).toThrow(/state\.rng/);
    expect(mutate((s) => (s.numberOfTrees = 1e5))).toThrow(ModelFormatError);
    expect(() => CutForest.fromJSON(null)).toThrow(ModelFormatError);
    fc.assert(
      fc.property(fc.jsonValue(), (j) => {
        try {
          CutForest.fromJSON(j);
        } catch (e) {
          expect(e).toBeInstanceOf(ModelFormatError);
        }
      }),
    );
  });
});
