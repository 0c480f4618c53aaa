import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CutForest, CutTree } from '../../../src/detectors/index.js';
import { NAV_BITS, NAV_MASK, NAV_MAX_DIM } from '../../../src/internal.js';
import { mixedDoubles, prevDouble } from '../../helpers/doubles.js';
import { lcg, nonZeroSeed } from '../../helpers/random.js';

/**
 * A literal reading of the tree's update rules (docs/rcf.md, Algorithm) on plain objects: boxes are
 * recomputed from the points below a node after every change, nothing is incremental. `CutTree`
 * (typed-array records, unrolled box steps for up to 8 dimensions, boxes grown or recomputed only
 * where they change, the walk-down words) must build exactly the same trees from the same draws.
 */
interface RefNode {
  dim: number; // cut dimension, -1 for a leaf
  value: number; // cut value
  left: RefNode | null;
  right: RefNode | null;
  point: number[]; // a leaf's point
  mass: number;
}

function leaves(n: RefNode): RefNode[] {
  return n.dim < 0 ? [n] : [...leaves(n.left!), ...leaves(n.right!)];
}
function boxOf(n: RefNode, d: number): { lo: number[]; hi: number[] } {
  const pts = leaves(n).map((l) => l.point);
  const lo: number[] = [];
  const hi: number[] = [];
  for (let j = 0; j < d; j++) {
    lo.push(Math.min(...pts.map((p) => p[j])));
    hi.push(Math.max(...pts.map((p) => p[j])));
  }
  return { lo, hi };
}
function massOf(n: RefNode): number {
  return n.dim < 0 ? n.mass : massOf(n.left!) + massOf(n.right!);
}

class RefTree {
  root: RefNode | null = null;
  constructor(readonly d: number) {}

  insert(p: number[], rand: () => number): void {
    const x = p.map((v) => v + 0);
    const leaf: RefNode = { dim: -1, value: 0, left: null, right: null, point: x, mass: 1 };
    if (!this.root) {
      this.root = leaf;
      return;
    }
    let parent: RefNode | null = null;
    let node = this.root;
    for (;;) {
      if (node.dim < 0 && node.point.every((v, j) => v === x[j])) {
        node.mass++;
        return;
      }
      const { lo, hi } = boxOf(node, this.d);
      const outside = x.some((v, j) => v < lo[j] || v > hi[j]);
      if (outside) {
        const mlo = lo.map((l, j) => Math.min(l, x[j]));
        const mhi = hi.map((h, j) => Math.max(h, x[j]));
        let total = 0;
        for (let j = 0; j < this.d; j++) total += mhi[j] - mlo[j];
        let r = rand() * total;
        let cd = -1;
        let cv = 0;
        let last = -1;
        for (let j = 0; j < this.d; j++) {
          const range = mhi[j] - mlo[j];
          if (range <= 0) continue;
          last = j;
          if (r <= range) {
            cd = j;
            cv = mlo[j] + r;
            if (cv >= mhi[j]) cv = prevDouble(mhi[j]);
            break;
          }
          r -= range;
        }
        if (cd < 0) {
          cd = last;
          cv = prevDouble(mhi[cd]);
        }
        if (lo[cd] > cv || hi[cd] <= cv) {
          const below = lo[cd] > cv;
          const inner: RefNode = {
            dim: cd,
            value: cv,
            left: below ? leaf : node,
            right: below ? node : leaf,
            point: [],
            mass: 0,
          };
          if (!parent) this.root = inner;
          else if (parent.left === node) parent.left = inner;
          else parent.right = inner;
          return;
        }
      }
      parent = node;
      node = x[node.dim] <= node.value ? node.left! : node.right!;
    }
  }

  delete(p: number[]): void {
    let parent: RefNode | null = null;
    let grand: RefNode | null = null;
    let node = this.root!;
    while (node.dim >= 0) {
      grand = parent;
      parent = node;
      node = p[node.dim] <= node.value ? node.left! : node.right!;
    }
    if (node.mass > 1) {
      node.mass--;
      return;
    }
    if (!parent) {
      this.root = null;
      return;
    }
    const sib = parent.left === node ? parent.right! : parent.left!;
    if (!grand) this.root = sib;
    else if (grand.left === parent) grand.left = sib;
    else grand.right = sib;
  }
}

/** Both trees in preorder: cuts, leaf points and masses, every box (bit for bit), and `CutTree`'s walk-down words. */
function expectSame(tree: CutTree, ref: RefTree): void {
  if (!ref.root) {
    expect(tree.root).toBe(-1);
    return;
  }
  const d = ref.d;
  const visit = (n: number, r: RefNode) => {
    const slot = tree.navBase + n;
    const { lo, hi } = boxOf(r, d);
    for (let j = 0; j < d; j++) {
      expect(Object.is(tree.lo(n, j), lo[j])).toBe(true);
      expect(Object.is(tree.hi(n, j), hi[j])).toBe(true);
    }
    expect(tree.mass(n)).toBe(massOf(r));
    if (r.dim < 0) {
      expect(tree.isLeaf(n)).toBe(true);
      expect(tree.cdim[slot]).toBe(-1);
      // a leaf's walk-down slot holds its first coordinate, and its links point to itself
      expect(Object.is(tree.navF[2 * slot], r.point[0])).toBe(true);
      expect(tree.navI[4 * slot + 2]).toBe(slot);
      expect(tree.navI[4 * slot + 3]).toBe(slot);
      return;
    }
    expect(tree.cutDim(n)).toBe(r.dim);
    expect(Object.is(tree.cutValue(n), r.value)).toBe(true);
    expect(tree.cdim[slot]).toBe(r.dim);
    expect(Object.is(tree.navF[2 * slot], r.value)).toBe(true);
    const kids = [tree.left(n), tree.right(n)];
    for (let k = 0; k < 2; k++) {
      const c = kids[k];
      const word = tree.navI[4 * slot + 2 + k];
      expect(word & NAV_MASK).toBe(tree.navBase + c);
      const cd = tree.cutDim(c) + 1;
      expect(word >>> NAV_BITS).toBe(cd <= NAV_MAX_DIM ? cd : 0);
      expect(tree.parent(c)).toBe(n);
    }
    visit(kids[0], r.left!);
    visit(kids[1], r.right!);
  };
  expect(tree.parent(tree.root)).toBe(-1);
  visit(tree.root, ref.root);
}

interface Case {
  d: number;
  ops: { del: boolean; pick: number; p: number[] }[];
  seed: number;
}

/** Inserts and deletes `ops` in a `CutTree` and the reference from the same uniforms, comparing after each. */
const sameTrees = ({ d, ops, seed }: Case): void => {
  const tree = new CutTree(d, 32);
  const ref = new RefTree(d);
  // the same stream of uniforms for both trees
  const ua = lcg(nonZeroSeed(seed));
  const ub = lcg(nonZeroSeed(seed));
  let a = 0;
  let b = 0;
  const randA = () => {
    a++;
    return ua();
  };
  const randB = () => {
    b++;
    return ub();
  };
  const held: number[][] = [];
  for (const o of ops) {
    if (o.del && held.length > 0) {
      const [p] = held.splice(o.pick % held.length, 1);
      tree.delete(p);
      ref.delete(p);
    } else if (held.length < 32) {
      tree.insert(o.p, 0, randA);
      ref.insert(o.p, randB);
      held.push(o.p);
    }
    expect(a).toBe(b); // the same number of draws
    expectSame(tree, ref);
  }
};

/** 1–`maxOps` inserts and deletes (`del`, `pick`) of points of 1–10 coordinates drawn from `coord`. */
function opCases(coord: fc.Arbitrary<number>, maxOps: number) {
  return fc.integer({ min: 1, max: 10 }).chain((d) =>
    fc.record({
      d: fc.constant(d),
      ops: fc.array(
        fc.record({ del: fc.boolean(), pick: fc.nat(), p: fc.array(coord, { minLength: d, maxLength: d }) }),
        { minLength: 1, maxLength: maxOps },
      ),
      seed: fc.integer(),
    }),
  );
}

describe('CutTree against a literal reading of the update rules', () => {
  it('property: random insert/delete sequences build the same trees, boxes and walk-down words in 1–10 dimensions', () => {
    // few distinct coordinates, so duplicates, shared faces and zero-range dimensions are common
    const coord = fc.integer({ min: -3, max: 3 }).map((x) => x / 2);
    // every dimension of the unrolled (≤ 8) box steps, each guard `d > k` on both sides, and the loops (> 8)
    fc.assert(fc.property(opCases(coord, 50), sameTrees), { numRuns: 300 });
  });
  it('property: the same cuts on arbitrary doubles (±0 included), where the order of every sum and subtraction shows in the cut values', () => {
    // Coordinates of mixed magnitudes: the merged box's range sum and the subtractions that pick the
    // cut dimension round differently in another order, so a reordered sum changes a cut value
    // (compared with Object.is); -0 coordinates are stored as +0 but queried as they are.
    const coord = mixedDoubles(8);
    fc.assert(fc.property(opCases(coord, 40), sameTrees), { numRuns: 600 });
  });
});

/** The score rule (docs/rcf.md, Algorithm) read literally on the reference tree, times log2(M + 1); 0 when empty. */
function refScore(ref: RefTree, q: number[]): number {
  if (!ref.root) return 0;
  const M = massOf(ref.root);
  const path: RefNode[] = [];
  let node = ref.root;
  while (node.dim >= 0) {
    path.push(node);
    node = q[node.dim] <= node.value ? node.left! : node.right!;
  }
  const depth = path.length;
  if (node.point.every((v, j) => v === q[j])) {
    return (1 - node.mass / (2 * M)) * (1 / (depth + Math.log2(node.mass + 1))) * Math.log2(M + 1);
  }
  let s = 1 / (depth + 1);
  for (let k = depth - 1; k >= 0; k--) {
    const { lo, hi } = boxOf(path[k], ref.d);
    let grow = 0;
    let span = 0;
    for (let j = 0; j < ref.d; j++) {
      const nr = Math.max(hi[j], q[j]) - Math.min(lo[j], q[j]);
      grow += nr - (hi[j] - lo[j]);
      span += nr;
    }
    const P = grow / span;
    if (!(P > 0)) break;
    s = P * (1 / (k + 1)) + (1 - P) * s;
  }
  return s * Math.log2(M + 1);
}

interface ForestCase {
  d: number;
  T: number;
  S: number;
  ops: { t: number; del: boolean; pick: number; p: number[]; q: number[]; seed: number }[];
}

/**
 * The trees of one forest memory (tree t's records, walk-down slots, free list and root at its own
 * offsets, the four-tree walk over all of them) driven directly, each against its own reference tree:
 * after every insert or delete in one tree, every tree equals its reference (so no step wrote into a
 * neighbour), the forest's score of a query is the mean of the literal scores, and an insert of a new
 * point into a tree holding `S` distinct points is refused (`tree_full`) with nothing changed and no draw.
 */
const sameForestTrees = ({ d, T, S, ops }: ForestCase): void => {
  const forest = new CutForest({ dimensions: d, numberOfTrees: T, sampleSize: S, outputAfter: 0 });
  const refs = Array.from({ length: T }, () => new RefTree(d));
  const held: number[][][] = Array.from({ length: T }, () => []);
  for (const o of ops) {
    const t = o.t % T;
    const tree = forest.trees[t];
    const h = held[t];
    if (o.del && h.length > 0) {
      const [p] = h.splice(o.pick % h.length, 1);
      tree.delete(p);
      refs[t].delete(p);
    } else {
      const x = o.p.map((v) => v + 0);
      const fresh = !h.some((p) => p.every((v, j) => v === x[j]));
      const distinct = new Set(h.map((p) => p.join(','))).size;
      let a = 0;
      let b = 0;
      const ua = lcg(nonZeroSeed(o.seed));
      const ub = lcg(nonZeroSeed(o.seed));
      const randA = () => {
        a++;
        return ua();
      };
      if (fresh && distinct === S) {
        expect(() => tree.insert(o.p, 0, randA)).toThrow(expect.objectContaining({ code: 'tree_full' }));
      } else {
        tree.insert(o.p, 0, randA);
        refs[t].insert(o.p, () => {
          b++;
          return ub();
        });
        h.push(x);
      }
      expect(a).toBe(b);
    }
    for (let k = 0; k < T; k++) expectSame(forest.trees[k], refs[k]);
    let sum = 0;
    for (let k = 0; k < T; k++) sum += refScore(refs[k], o.q);
    expect(forest.score(o.q)).toBe(sum / T);
    expect(tree.score(o.q, 0)).toBe(refScore(refs[t], o.q));
  }
};

describe('the trees of a forest memory against literal reference trees', () => {
  /** Forests of 1–6 trees of 1–6 points in 1–12 or 62–66 dimensions, and steps on them, coordinates from `coord`. */
  const forestCases = (coord: fc.Arbitrary<number>) =>
    fc
      .record({
        d: fc.oneof(
          { weight: 4, arbitrary: fc.integer({ min: 1, max: 12 }) },
          fc.integer({ min: 62, max: 66 }),
        ),
        T: fc.integer({ min: 1, max: 6 }),
        S: fc.integer({ min: 1, max: 6 }),
      })
      .chain(({ d, T, S }) =>
        fc.record({
          d: fc.constant(d),
          T: fc.constant(T),
          S: fc.constant(S),
          ops: fc.array(
            fc.record({
              t: fc.nat(),
              del: fc.boolean(),
              pick: fc.nat(),
              p: fc.array(coord, { minLength: d, maxLength: d }),
              q: fc.array(coord, { minLength: d, maxLength: d }),
              seed: fc.integer(),
            }),
            { minLength: 1, maxLength: 40 },
          ),
        }),
      );
  it('property: insert, delete, full trees and the four-tree score in 1–12 and 62–66 dimensions, 1–6 trees', () => {
    // few distinct coordinates: duplicates, shared faces and zero-range dimensions are common
    const coord = fc.integer({ min: -3, max: 3 }).map((x) => x / 2);
    fc.assert(fc.property(forestCases(coord), sameForestTrees), { numRuns: 200 });
  });
  it('property: the same on arbitrary doubles (±0 included), where the order of every sum shows', () => {
    const coord = mixedDoubles(8);
    fc.assert(fc.property(forestCases(coord), sameForestTrees), { numRuns: 200 });
  });
});
