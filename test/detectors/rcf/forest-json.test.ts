import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CutForest } from '../../../src/detectors/index.js';
import { packFloats, packInts, packInts32 } from '../../../src/internal.js';

/**
 * `CutForest.toJSON()` builds its packed arrays from typed arrays and their bytes. Checked against
 * the straightforward construction it replaced (plain arrays through `packInts` / `packFloats`, the
 * tree walked by `CutTree.preorder`), which must give the very same model file.
 */
function referenceJson(f: CutForest): unknown {
  const d = f.dimensions;
  const S = f.sampleSize;
  const state = f as unknown as {
    seqs: Float64Array;
    leaves: Int32Array;
    sizes: Int32Array;
    weights: Float64Array;
    rs: Int32Array;
    updates: number;
  };
  const pointIndex = new Map<number, number>();
  const pointSeqs: number[] = [];
  const coords: number[] = [];
  const trees: unknown[] = [];
  for (let t = 0; t < f.numberOfTrees; t++) {
    const tree = f.trees[t];
    const o = t * S;
    const size = state.sizes[t];
    const leafPoint = new Map<number, number>();
    const slots: number[] = [];
    for (let i = 0; i < size; i++) {
      const seq = state.seqs[o + i];
      const leaf = state.leaves[o + i];
      let pi = pointIndex.get(seq);
      if (pi === undefined) {
        pi = pointSeqs.length;
        pointIndex.set(seq, pi);
        pointSeqs.push(seq);
        for (let j = 0; j < d; j++) coords.push(tree.lo(leaf, j));
      }
      slots.push(pi);
      if (!leafPoint.has(leaf)) leafPoint.set(leaf, pi);
    }
    const dims: number[] = [];
    const cuts: number[] = [];
    const leaves: number[] = [];
    tree.preorder((n, isLeaf) => {
      if (isLeaf) {
        dims.push(-1);
        leaves.push(leafPoint.get(n) ?? -1);
      } else {
        dims.push(tree.cutDim(n));
        cuts.push(tree.cutValue(n));
      }
    });
    trees.push({
      dims: packInts(dims),
      cuts: packFloats(cuts),
      leaves: packInts(leaves),
      weights: packFloats(Array.from(state.weights.subarray(o, o + size))),
      slots: packInts(slots),
    });
  }
  return {
    dimensions: d,
    numberOfTrees: f.numberOfTrees,
    sampleSize: S,
    lambda: f.lambda,
    outputAfter: f.outputAfter,
    seed: f.seed,
    updates: state.updates,
    rng: Array.from(state.rs),
    points: { seqs: packInts(pointSeqs), coords: packFloats(coords) },
    trees,
  };
}

describe('CutForest.toJSON', () => {
  it('writes the same state as plain arrays through packInts/packFloats (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 2, max: 40 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 1000 }),
        (d, T, S, n, seed) => {
          const f = new CutForest({ dimensions: d, numberOfTrees: T, sampleSize: S, seed });
          const x = new Float64Array(n * d);
          // repeated values too (leaves of mass > 1), and -0
          for (let i = 0; i < x.length; i++)
            x[i] = i % 7 === 3 ? -0 : Math.round(Math.sin(i * 0.7 + seed) * 8) / 2;
          if (n > 0) f.scoreThenUpdateRows(x, n, new Float64Array(n));
          expect(JSON.stringify(f.toJSON())).toBe(JSON.stringify(referenceJson(f)));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('packInts32 gives the string of packInts for any int32 values (i8, i16 and i32 widths)', () => {
    const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    const value = fc.oneof(
      fc.integer({ min: -128, max: 127 }),
      fc.integer({ min: -32768, max: 32767 }),
      int32,
    );
    fc.assert(
      fc.property(fc.array(value, { maxLength: 64 }), (xs) => {
        expect(packInts32(Int32Array.from(xs))).toBe(packInts(xs));
      }),
    );
    // a view into a larger buffer packs only its own elements
    const big = Int32Array.from([100000, -1, 2, 3, 100000]);
    expect(packInts32(big.subarray(1, 4))).toBe(packInts([-1, 2, 3]));
  });
});
