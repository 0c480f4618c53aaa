import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CutTree, type CutTreeSpec } from '../../../src/detectors/index.js';
import { mixedDoubles, prevDouble } from '../../helpers/doubles.js';
import { lcg, nonZeroSeed } from '../../helpers/random.js';

/** The tree of the spec's worked examples R1 and K1: 1-D points 0, 1, 3; root cut 2, then 0.5. */
const R1: CutTreeSpec = {
  cut: [0, 2],
  left: { cut: [0, 0.5], left: { point: [0] }, right: { point: [1] } },
  right: { point: [3] },
};

const q = (x: number) => Float64Array.of(x);

/** Checks every structural invariant of a tree against the multiset of points it should hold. */
function checkInvariants(tree: CutTree, expected: Map<string, number>): void {
  const d = tree.dim;
  let total = 0;
  for (const m of expected.values()) total += m;
  expect(tree.size()).toBe(total);
  if (tree.root < 0) {
    expect(total).toBe(0);
    expect(tree.nodeCount()).toBe(0);
    return;
  }
  expect(tree.parent(tree.root)).toBe(-1);
  let nodes = 0;
  const seen = new Map<string, number>();
  // Returns the points below n, checking boxes, masses, cuts and parent links on the way.
  const walk = (n: number): number[][] => {
    nodes++;
    if (tree.isLeaf(n)) {
      const p: number[] = [];
      for (let j = 0; j < d; j++) {
        expect(tree.lo(n, j)).toBe(tree.hi(n, j));
        p.push(tree.lo(n, j));
      }
      seen.set(p.join(','), tree.mass(n));
      expect(tree.findLeaf(p)).toBe(n);
      return [p];
    }
    const l = tree.left(n);
    const r = tree.right(n);
    expect(tree.parent(l)).toBe(n);
    expect(tree.parent(r)).toBe(n);
    expect(tree.mass(n)).toBe(tree.mass(l) + tree.mass(r));
    const pl = walk(l);
    const pr = walk(r);
    const cd = tree.cutDim(n);
    for (const p of pl) expect(p[cd] <= tree.cutValue(n)).toBe(true);
    for (const p of pr) expect(p[cd] > tree.cutValue(n)).toBe(true);
    const all = pl.concat(pr);
    for (let j = 0; j < d; j++) {
      // The box is exactly the bounding box of the subtree's points (so it contains them all).
      expect(tree.lo(n, j)).toBe(Math.min(...all.map((p) => p[j])));
      expect(tree.hi(n, j)).toBe(Math.max(...all.map((p) => p[j])));
    }
    return all;
  };
  walk(tree.root);
  expect(nodes).toBe(tree.nodeCount());
  expect(seen).toEqual(expected);
}

/** Trees of 1–40 points and 1–10 queries of `d` coordinates each, `d` drawn from `dims`. */
function scoreCases(dims: fc.Arbitrary<number>, coord: fc.Arbitrary<number>) {
  return dims.chain((d) => {
    const pt = fc.array(coord, { minLength: d, maxLength: d });
    return fc.record({
      d: fc.constant(d),
      pts: fc.array(pt, { minLength: 1, maxLength: 40 }),
      queries: fc.array(pt, { minLength: 1, maxLength: 10 }),
      seed: fc.integer(),
    });
  });
}

describe('CutTree: worked example R1 (docs/rcf.md, Tests)', () => {
  const tree = CutTree.fromSpec(1, 4, R1);
  it('has the documented masses and boxes', () => {
    checkInvariants(
      tree,
      new Map([
        ['0', 1],
        ['1', 1],
        ['3', 1],
      ]),
    );
  });
  it('q = 10 scores 1.7', () => expect(tree.score(q(10), 0)).toBeCloseTo(1.7, 14));
  it('q = 1 (a stored point) scores (1 − 1/6)·(1/3)·2 = 5/9', () =>
    expect(tree.score(q(1), 0)).toBeCloseTo(5 / 9, 14));
  it('q = 0.8 stops inside the {0, 1} box: (1/3)·2 = 2/3', () =>
    expect(tree.score(q(0.8), 0)).toBeCloseTo(2 / 3, 14));
  it('q = 1.5 scores 2·((1/3)(1/2) + (2/3)(1/3)) = 7/9', () =>
    expect(tree.score(q(1.5), 0)).toBeCloseTo(7 / 9, 14));
});

describe('CutTree: worked example K1 (docs/rcf.md, Tests)', () => {
  const insertWith = (u: number[]) => {
    const tree = CutTree.fromSpec(1, 8, R1);
    let k = 0;
    const leaf = tree.insert(q(10), 0, () => u[k++]);
    return { tree, leaf, draws: k };
  };
  it('a cut at or above 3 (U ≥ 0.3) puts q beside the whole old tree: depth 1, CoDisp 3', () => {
    const { tree, leaf, draws } = insertWith([0.5]);
    expect(draws).toBe(1);
    expect(tree.depth(leaf)).toBe(1);
    expect(tree.coDisplacement(leaf)).toBe(3);
    // CoDisp of point 0 in that tree: max(1/1, 1/2, 1/3) = 1.
    expect(tree.coDisplacement(tree.findLeaf(q(0)))).toBe(1);
    expect(tree.cutValue(tree.root)).toBe(5);
  });
  it('a cut below 3 sends q down to leaf 3, split off at depth 2: CoDisp 1', () => {
    const { tree, leaf, draws } = insertWith([0.25, 0.5]);
    expect(draws).toBe(2);
    expect(tree.depth(leaf)).toBe(2);
    expect(tree.coDisplacement(leaf)).toBe(1);
  });
  it('expected CoDisp over a uniform grid of U is 0.7·3 + 0.3·1 = 2.4', () => {
    const N = 1000;
    let sum = 0;
    for (let k = 0; k < N; k++) {
      const { tree, leaf } = insertWith([(k + 0.5) / N, 0.5]);
      sum += tree.coDisplacement(leaf);
    }
    expect(sum / N).toBeCloseTo(2.4, 12);
  });
  it('after inserting, the tree holds 0, 1, 3 and 10 with consistent boxes', () => {
    for (const u of [[0.1, 0.9], [0.9]]) {
      checkInvariants(
        insertWith(u).tree,
        new Map([
          ['0', 1],
          ['1', 1],
          ['3', 1],
          ['10', 1],
        ]),
      );
    }
  });
});

/** Spec §6.4 as written: path from the root, then leaf-to-root with the box formula. */
const reference = (tree: CutTree, q: number[]): number => {
  const path: number[] = [];
  let n = tree.root;
  while (!tree.isLeaf(n)) {
    path.push(n);
    n = q[tree.cutDim(n)] <= tree.cutValue(n) ? tree.left(n) : tree.right(n);
  }
  const M = tree.mass(tree.root);
  const d = path.length;
  const equal = q.every((x, j) => x === tree.lo(n, j));
  if (equal) {
    const mu = tree.mass(n);
    return (1 - mu / (2 * M)) * (1 / (d + Math.log2(mu + 1))) * Math.log2(M + 1);
  }
  let score = 1 / (d + 1);
  for (let k = d - 1; k >= 0; k--) {
    const v = path[k];
    let num = 0;
    let den = 0;
    for (let j = 0; j < q.length; j++) {
      const newRange = Math.max(tree.hi(v, j), q[j]) - Math.min(tree.lo(v, j), q[j]);
      num += newRange - (tree.hi(v, j) - tree.lo(v, j));
      den += newRange;
    }
    const P = num / den;
    if (P <= 0) break;
    score = P * (1 / (k + 1)) + (1 - P) * score;
  }
  return score * Math.log2(M + 1);
};

/** Builds a tree from `pts` with a seeded LCG and compares its score of each query (and point) with `reference`. */
const sameScores = ({
  d,
  pts,
  queries,
  seed,
}: {
  d: number;
  pts: number[][];
  queries: number[][];
  seed: number;
}): void => {
  const tree = new CutTree(d, 64);
  const rand = lcg(nonZeroSeed(seed));
  for (const p of pts) tree.insert(p, 0, rand);
  for (const qq of [...queries, ...pts]) {
    expect(tree.score(Float64Array.from(qq), 0)).toBe(reference(tree, qq));
  }
};

describe('CutTree: insert / delete', () => {
  it('prevDouble gives the next double below', () => {
    expect(prevDouble(1)).toBe(1 - 2 ** -53);
    expect(prevDouble(-1)).toBe(-1 - 2 ** -52);
    expect(prevDouble(0)).toBe(-Number.MIN_VALUE);
  });
  it('duplicates raise a leaf mass instead of adding leaves; -0 is stored as +0', () => {
    const tree = new CutTree(2, 4);
    const rand = () => 0.5;
    const a = tree.insert(Float64Array.of(1, -0), 0, rand);
    const b = tree.insert(Float64Array.of(1, 0), 0, rand);
    expect(b).toBe(a);
    expect(Object.is(tree.lo(a, 1), 0)).toBe(true);
    expect(tree.mass(a)).toBe(2);
    tree.deleteLeaf(a);
    expect(tree.size()).toBe(1);
    tree.delete(Float64Array.of(1, 0));
    expect(tree.root).toBe(-1);
  });
  it('a point with a NaN or infinite coordinate is refused and leaves the tree unchanged', () => {
    // NaN compares false both ways, so it would look "inside" every box (and equal to any leaf)
    const rand = () => 0.5;
    for (const bad of [
      [Number.NaN, 2],
      [Number.NaN, Number.NaN],
      [Number.NaN, 100],
      [1, Number.POSITIVE_INFINITY],
      [Number.NEGATIVE_INFINITY, 2],
    ]) {
      for (const empty of [true, false]) {
        const tree = new CutTree(2, 8);
        if (!empty) {
          tree.insert(Float64Array.of(1, 2), 0, rand);
          tree.insert(Float64Array.of(3, 4), 0, rand);
        }
        const before = JSON.stringify([tree.root, Array.from(tree.f), Array.from(tree.navF)]);
        expect(() => tree.insert(Float64Array.from(bad), 0, rand)).toThrow(
          expect.objectContaining({ code: 'non_finite' }),
        );
        expect(JSON.stringify([tree.root, Array.from(tree.f), Array.from(tree.navF)])).toBe(before);
        expect(tree.size()).toBe(empty ? 0 : 2);
      }
    }
  });
  it('refuses a tree whose memory would pass 4 GiB, the 32-bit WebAssembly address space (before allocating anything)', () => {
    const tooBig = expect.objectContaining({
      code: 'bad_capacity',
      message: expect.stringMatching(/at most 4 GiB/),
    });
    // 2^26 node slots of 1 dimension: 3.2 GB of records and 1.1 GB of walk-down words
    expect(() => new CutTree(1, 2 ** 25)).toThrow(tooBig);
    expect(() => new CutTree(1, 2 ** 27)).toThrow(tooBig);
    expect(() => new CutTree(1000, 2 ** 19)).toThrow(tooBig);
    expect(new CutTree(1, 2 ** 10).maxLeaves).toBe(2 ** 10);
  });
  it('U = 0 never picks a zero-range dimension', () => {
    const tree = new CutTree(2, 4);
    tree.insert(Float64Array.of(5, 1), 0, () => 0);
    tree.insert(Float64Array.of(5, 2), 0, () => 0);
    expect(tree.cutDim(tree.root)).toBe(1);
    checkInvariants(
      tree,
      new Map([
        ['5,1', 1],
        ['5,2', 1],
      ]),
    );
  });

  it('property: boxes contain exactly their subtree after random insert/delete sequences', () => {
    const coord = fc.integer({ min: -4, max: 4 }).map((x) => x / 2);
    const op = fc.record({
      del: fc.boolean(),
      pick: fc.nat(),
      p: fc.array(coord, { minLength: 3, maxLength: 3 }),
      u: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), (ops) => {
        const tree = new CutTree(3, 64);
        const held: number[][] = [];
        const counts = new Map<string, number>();
        for (const o of ops) {
          if (o.del && held.length > 0) {
            const [p] = held.splice(o.pick % held.length, 1);
            tree.delete(p);
            const key = p.join(',');
            const c = counts.get(key)! - 1;
            if (c === 0) counts.delete(key);
            else counts.set(key, c);
          } else if (held.length < 64) {
            let k = 0;
            tree.insert(o.p, 0, () => (k++ === 0 ? o.u : (o.u * 7.31) % 1));
            held.push(o.p);
            const key = o.p.map((x) => x + 0).join(',');
            counts.set(key, (counts.get(key) ?? 0) + 1);
          }
          checkInvariants(tree, counts);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('property: score equals a literal reading of the score (docs/rcf.md, Algorithm) on random trees and queries', () => {
    const coord = fc.integer({ min: -6, max: 6 }).map((x) => x / 3);
    // Dimensions on both sides of the unrolled (≤ 8) and looped (> 8) code paths.
    fc.assert(fc.property(scoreCases(fc.integer({ min: 1, max: 10 }), coord), sameScores), { numRuns: 200 });
  });

  it('scores a tree whose masses pass its log table (2 · maxLeaves) as the literal reading does', () => {
    // A tree alone may hold any number of copies of a point; the walks' table of log2(k + 1) stops at
    // 2 · maxLeaves, and larger masses take JavaScript's Math.log2.
    const tree = new CutTree(2, 2);
    const rand = lcg(nonZeroSeed(3));
    for (let k = 0; k < 9; k++) tree.insert([1, 2], 0, rand);
    tree.insert([4, 0], 0, rand);
    expect(tree.size()).toBe(10);
    for (const qq of [
      [1, 2],
      [4, 0],
      [2, 1],
      [9, 9],
    ]) {
      expect(tree.score(Float64Array.from(qq), 0)).toBe(reference(tree, qq));
    }
  });

  it('property: the same scores on arbitrary doubles, where the order of the walk-up sums shows (Object.is)', () => {
    // Mixed magnitudes and signed zeros: each level's two sums over dimensions round differently in
    // another order, so a reordered sum changes a score.
    const coord = mixedDoubles(2);
    // half the cases in five dimensions, the default detector's width
    const dims = fc.oneof(fc.constant(5), fc.integer({ min: 1, max: 10 }));
    fc.assert(fc.property(scoreCases(dims, coord), sameScores), { numRuns: 400 });
  });
});
