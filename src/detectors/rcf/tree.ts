import { DetectorError } from '../../errors.js';

/** A source of uniform numbers in [0, 1); the forest passes its seeded generator. */
export type Uniform = () => number;

/** A hand-built tree node: an internal cut or a leaf point (with multiplicity). */
export type CutTreeSpec =
  | { readonly cut: readonly [number, number]; readonly left: CutTreeSpec; readonly right: CutTreeSpec }
  | { readonly point: readonly number[]; readonly mass?: number };

const F64 = new Float64Array(1);
const I64 = new BigInt64Array(F64.buffer);

/** Bits of a walk-down word that hold the child's slot (forests have fewer than 2^25 slots). */
export const NAV_BITS = 26;
export const NAV_MASK = (1 << NAV_BITS) - 1;
/** Largest `cut dimension + 1` stored in a walk-down word (6 bits). */
export const NAV_MAX_DIM = 63;

/** Walk-down arrays (see `CutTree.navF`), shareable by the trees of a forest. */
export interface NavStore {
  readonly f: Float64Array;
  readonly i: Int32Array;
  readonly cdim: Int32Array;
}

/** Walk-down arrays for `nodes` node slots (16 bytes each, plus the cut dimensions). */
export function newNavStore(nodes: number): NavStore {
  const buf = new ArrayBuffer(nodes * 16);
  return { f: new Float64Array(buf), i: new Int32Array(buf), cdim: new Int32Array(nodes).fill(-1) };
}

/**
 * A tree's own memory: node records (`f`/`i`, two views of one buffer), free list, and
 * `meta = [root, nFree]`. Shared buffers let a worker thread hold a second view of the same tree;
 * `attach` marks memory that already holds a tree (not to be reinitialised).
 */
export interface TreeMemory {
  readonly f: Float64Array;
  readonly i: Int32Array;
  readonly free: Int32Array;
  readonly meta: Int32Array;
  readonly attach?: boolean;
}

/** Fresh (unshared) memory for a tree. */
export function newTreeMemory(dim: number, maxLeaves: number): TreeMemory {
  const cap = 2 * maxLeaves;
  const buf = new ArrayBuffer(cap * (4 + 2 * dim) * 8);
  return {
    f: new Float64Array(buf),
    i: new Int32Array(buf),
    free: new Int32Array(cap),
    meta: new Int32Array(2),
  };
}

/**
 * `max(x, h) - min(x, l)`: the range of `[l, h]` grown to include `x` (l <= h, finite), without
 * branches: the comparisons become 0/1 factors, so unpredictable outcomes cost no mispredicted
 * branch. Bit-identical to the branchy form: a selected value times 1 plus the other times 0
 * (a signed zero) is the selected value, and the one case where the sign of a zero could differ
 * (x = -0 < l) has max(x, h) = h > 0, so the difference is the same double.
 */
export function spanWith(x: number, l: number, h: number): number {
  const g = Number(x > h);
  const s = Number(x < l);
  return x * g + h * (1 - g) - (x * s + l * (1 - s));
}

/**
 * `min(a, b)` and `max(a, b)` for finite box coordinates (never -0: the tree stores -0 as +0),
 * without branches; the same doubles as `a < b ? a : b` and `a > b ? a : b` (a selected value
 * plus the other times 0, a signed zero, is the selected value).
 */
export function minOf(a: number, b: number): number {
  const s = Number(a < b);
  return a * s + b * (1 - s);
}
export function maxOf(a: number, b: number): number {
  const s = Number(a > b);
  return a * s + b * (1 - s);
}

/** The largest double strictly below `x` (x finite). */
export function prevDouble(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  F64[0] = x;
  I64[0] += x > 0 ? -1n : 1n;
  return F64[0];
}

/**
 * One random cut tree (Guha et al. 2016; AWS RCF 1.0 update rules, docs/rcf.md, Algorithm).
 *
 * Every node is one fixed-size record in a single ArrayBuffer (so walking down the tree touches
 * one cache line per level), read through a Float64 and an Int32 view; freed records go on a
 * free list, so inserting, deleting and scoring allocate nothing. Record of node `n`, in doubles
 * from `n * stride`: `[0]` cut value; `[1]` left, right (int32 pair); `[2]` cut dim (-1 for a leaf), mass;
 * `[3]` parent, unused; then `lo_0, hi_0, lo_1, hi_1, …` (the bounding box). A leaf has
 * left = -1 and its box is its point. A point goes left iff `p[cutDim] <= cutValue`. Node ids of
 * live leaves never change, so the sampler can refer to a leaf by id.
 */
export class CutTree {
  /** Number of coordinates per point. */
  readonly dim: number;
  /** Most distinct points (leaves) the tree can hold. */
  readonly maxLeaves: number;
  /** Record size in doubles. */
  readonly stride: number;
  /** Node records as doubles (cut values, boxes) and as int32 (links, dims, masses). */
  readonly f: Float64Array;
  readonly i: Int32Array;
  /**
   * Compact copy of what the walk down reads (16 bytes per node: cut value as a double, then
   * left and right child as int32), plus the cut dimension per node (-1 for a leaf). Kept in
   * step with the records; for 100 trees of 512 nodes it fits in L2 where the records do not.
   */
  readonly navF: Float64Array;
  readonly navI: Int32Array;
  readonly cdim: Int32Array;
  /**
   * This tree's first slot in the (possibly forest-wide) walk-down arrays: node `n` is slot
   * `navBase + n`, and the child links stored there are slots too, so a forest can walk several
   * trees at once through the same three arrays.
   */
  readonly navBase: number;
  /** `[root, nFree]`: kept in (possibly shared) memory so another thread's view agrees. */
  private readonly meta: Int32Array;
  private readonly free: Int32Array;
  private readonly path: Int32Array;
  private readonly inv: Float64Array;
  /** Cached `log2(M + 1)` for the last root mass seen by `score`. */
  private scaleMass = -1;
  private scale = 0;
  /** `score`'s result slot (`scoreFromLeaf` stores its result instead of returning a boxed double). */
  private readonly one = new Float64Array(1);

  constructor(dim: number, maxLeaves: number, nav?: NavStore, navBase = 0, mem?: TreeMemory) {
    if (!Number.isInteger(dim) || dim < 1) {
      throw new DetectorError('bad_dimension', `tree dimension must be a positive integer, got ${dim}`);
    }
    if (!Number.isInteger(maxLeaves) || maxLeaves < 1) {
      throw new DetectorError('bad_capacity', `tree capacity must be a positive integer, got ${maxLeaves}`);
    }
    this.dim = dim;
    this.maxLeaves = maxLeaves;
    this.stride = 4 + 2 * dim;
    const cap = 2 * maxLeaves;
    // The hot loops index the records in int32 arithmetic (`Math.imul`, `| 0`): the int32 view's last
    // index must fit, or it would wrap to a negative index and read `undefined`.
    if (2 * cap * this.stride > 2 ** 31 - 1) {
      throw new DetectorError(
        'bad_capacity',
        `tree too large: ${maxLeaves} points of ${dim} dimensions need ${2 * cap * this.stride} int32 slots (at most 2^31 - 1); use fewer points or dimensions`,
      );
    }
    const m = mem ?? newTreeMemory(dim, maxLeaves);
    this.f = m.f;
    this.i = m.i;
    this.free = m.free;
    this.meta = m.meta;
    if (this.f.length !== cap * this.stride || this.free.length !== cap || this.meta.length !== 2) {
      throw new DetectorError('bad_capacity', 'tree memory does not match its dimension and capacity');
    }
    const store = nav ?? newNavStore(cap);
    if (!(Number.isInteger(navBase) && navBase >= 0 && navBase + cap <= store.cdim.length)) {
      throw new DetectorError('bad_capacity', `walk-down store too small for ${cap} nodes at ${navBase}`);
    }
    this.navF = store.f;
    this.navI = store.i;
    this.cdim = store.cdim;
    this.navBase = navBase;
    if (!mem?.attach) {
      for (let k = 0; k < cap; k++) this.free[k] = cap - 1 - k;
      this.meta[0] = -1;
      this.meta[1] = cap;
    }
    this.path = new Int32Array(cap + 1);
    this.inv = new Float64Array(cap + 1);
    for (let k = 0; k <= cap; k++) this.inv[k] = 1 / (k + 1);
  }

  /** Root node id, or -1 when the tree is empty. */
  get root(): number {
    return this.meta[0];
  }
  set root(n: number) {
    this.meta[0] = n;
  }
  private get nFree(): number {
    return this.meta[1];
  }
  private set nFree(k: number) {
    this.meta[1] = k;
  }

  // Field accessors (for tests, serialisation and inspection; hot loops inline the offsets).
  left(n: number): number {
    return this.i[n * this.stride * 2 + 2];
  }
  right(n: number): number {
    return this.i[n * this.stride * 2 + 3];
  }
  cutDim(n: number): number {
    return this.i[n * this.stride * 2 + 4];
  }
  /** Points below node n, counting duplicates. */
  mass(n: number): number {
    return this.i[n * this.stride * 2 + 5];
  }
  parent(n: number): number {
    return this.i[n * this.stride * 2 + 6];
  }
  cutValue(n: number): number {
    return this.f[n * this.stride];
  }
  lo(n: number, j: number): number {
    return this.f[n * this.stride + 4 + 2 * j];
  }
  hi(n: number, j: number): number {
    return this.f[n * this.stride + 5 + 2 * j];
  }

  /** Points in the tree, counting duplicates (the root's mass). */
  size(): number {
    return this.root < 0 ? 0 : this.mass(this.root);
  }

  isLeaf(node: number): boolean {
    return this.left(node) < 0;
  }

  /** Number of live nodes (leaves plus internal nodes). */
  nodeCount(): number {
    return this.free.length - this.nFree;
  }

  private alloc(): number {
    if (this.nFree === 0) {
      throw new DetectorError('tree_full', `random cut tree is full (${this.maxLeaves} distinct points)`);
    }
    const n = this.free[--this.nFree];
    const o = n * this.stride * 2;
    this.i[o + 2] = -1;
    this.i[o + 3] = -1;
    this.i[o + 4] = -1; // cut dim -1 also marks a leaf
    this.i[o + 5] = 0;
    this.i[o + 6] = -1;
    const g = this.navBase + n;
    // A new node is a leaf until `setNav` makes it a cut: its walk-down links point to itself
    // (the forest's lockstep walk lets a tree that reached its leaf stay there).
    this.navI[4 * g + 2] = g;
    this.navI[4 * g + 3] = g;
    this.cdim[g] = -1;
    return n;
  }

  private release(n: number): void {
    const o = n * this.stride * 2;
    this.i[o + 2] = -1;
    this.i[o + 3] = -1;
    this.i[o + 5] = 0;
    this.i[o + 6] = -1;
    const g = this.navBase + n;
    this.navI[4 * g + 2] = -1;
    this.navI[4 * g + 3] = -1;
    this.cdim[g] = -1;
    this.free[this.nFree++] = n;
  }

  /** Copies node n's cut and children from its record into the compact walk-down arrays. */
  private setNav(n: number): void {
    const o = n * this.stride;
    const g = this.navBase + n;
    this.navF[2 * g] = this.f[o];
    this.navI[4 * g + 2] = this.link(this.i[2 * o + 2]);
    this.navI[4 * g + 3] = this.link(this.i[2 * o + 3]);
    this.cdim[g] = this.i[2 * o + 4];
  }

  /**
   * The walk-down word for a link to child `n`: its slot in the low `NAV_BITS` bits and its cut
   * dimension + 1 (0 for a leaf) above them, so a walk learns the next node and the coordinate
   * it compares from one load (when the dimension fits: see `NAV_MAX_DIM`).
   */
  private link(n: number): number {
    const c = this.i[n * this.stride * 2 + 4] + 1;
    return (this.navBase + n) | ((c <= NAV_MAX_DIM ? c : 0) << NAV_BITS);
  }

  private newLeaf(p: ArrayLike<number>, off: number): number {
    const n = this.alloc();
    const b = n * this.stride + 4;
    const f = this.f;
    for (let j = 0; j < this.dim; j++) {
      const x = p[off + j] + 0; // -0 is stored as +0
      f[b + 2 * j] = x;
      f[b + 2 * j + 1] = x;
    }
    this.i[n * this.stride * 2 + 5] = 1;
    this.navF[2 * (this.navBase + n)] = f[b];
    return n;
  }

  /** Throws `non_finite` for the first coordinate of `p` that is not a finite number. */
  private refuse(p: ArrayLike<number>, off: number): never {
    let j = 0;
    while (j < this.dim - 1 && Number.isFinite(p[off + j])) j++;
    throw new DetectorError(
      'non_finite',
      `coordinate ${j} of the point is ${p[off + j]}; insert finite numbers`,
    );
  }

  /** Whether leaf `leaf` holds exactly the point `p[off .. off+dim)`. */
  leafEquals(leaf: number, p: ArrayLike<number>, off: number): boolean {
    const b = leaf * this.stride + 4;
    const f = this.f;
    for (let j = 0; j < this.dim; j++) if (f[b + 2 * j] !== p[off + j]) return false;
    return true;
  }

  /** The leaf that `p` falls into by following the cuts (or -1 if the tree is empty). */
  findLeaf(p: ArrayLike<number>, off = 0): number {
    let node = this.root;
    if (node < 0) return -1;
    const f = this.f;
    const I = this.i;
    const st = this.stride;
    for (;;) {
      const o = node * st;
      const l = I[2 * o + 2];
      if (l < 0) return node;
      node = p[off + I[2 * o + 4]] <= f[o] ? l : I[2 * o + 3];
    }
  }

  /** Depth of a node (root = 0). */
  depth(node: number): number {
    let k = 0;
    for (let par = this.parent(node); par >= 0; par = this.parent(par)) k++;
    return k;
  }

  private setChild(par: number, oldChild: number, child: number): void {
    if (par < 0) this.root = child;
    else {
      const o = par * this.stride * 2;
      if (this.i[o + 2] === oldChild) {
        this.i[o + 2] = child;
        this.navI[4 * (this.navBase + par) + 2] = this.link(child);
      } else {
        this.i[o + 3] = child;
        this.navI[4 * (this.navBase + par) + 3] = this.link(child);
      }
    }
  }

  /**
   * Inserts `p[off .. off+dim)` (docs/rcf.md, Algorithm) and returns the id of the leaf that holds it.
   * Random cuts are drawn with `rand` only where `p` falls outside a node's box. A coordinate that
   * is not finite throws `non_finite` before anything changes (a NaN compares false both ways, so it
   * would pass every "inside the box" test and count as a copy of whichever leaf it reached); the
   * checks sit where such a point shows itself, so finite points pay one comparison.
   */
  insert(p: ArrayLike<number>, off: number, rand: Uniform): number {
    if (this.root < 0) {
      for (let j = 0; j < this.dim; j++) if (!Number.isFinite(p[off + j])) this.refuse(p, off);
      this.root = this.newLeaf(p, off);
      return this.root;
    }
    const d = this.dim;
    const st = this.stride;
    const f = this.f;
    const I = this.i;
    const path = this.path;
    // Up to 8 dimensions the box steps are unrolled with the point's coordinates in locals (the
    // same comparisons, and the same additions in the same order, as the loops used beyond 8).
    const small = d <= 8;
    const x0 = p[off];
    const x1 = d > 1 ? p[(off + 1) | 0] : 0;
    const x2 = d > 2 ? p[(off + 2) | 0] : 0;
    const x3 = d > 3 ? p[(off + 3) | 0] : 0;
    const x4 = d > 4 ? p[(off + 4) | 0] : 0;
    const x5 = d > 5 ? p[(off + 5) | 0] : 0;
    const x6 = d > 6 ? p[(off + 6) | 0] : 0;
    const x7 = d > 7 ? p[(off + 7) | 0] : 0;
    let len = 0;
    let node = this.root;
    let leaf = -1;
    // Boxes shrink going down, so once p is outside a box it is outside every box below it:
    // `firstOut` is the path index of the first such node (-1 while p is still inside).
    let firstOut = -1;
    for (;;) {
      const o = Math.imul(node, st);
      const b = (o + 4) | 0;
      const isLeaf = I[(2 * o + 2) | 0] < 0;
      if (firstOut < 0) {
        // Inside the box? All dimensions, no early exit: 0/1 factors instead of unpredictable
        // branches. Inside a leaf's box (a point) means equal to its point (-0 equals 0).
        let out = 0;
        if (small) {
          out = Number(x0 < f[b]) | Number(x0 > f[b + 1]);
          if (d > 1) {
            out |= Number(x1 < f[b + 2]) | Number(x1 > f[b + 3]);
            if (d > 2) {
              out |= Number(x2 < f[b + 4]) | Number(x2 > f[b + 5]);
              if (d > 3) {
                out |= Number(x3 < f[b + 6]) | Number(x3 > f[b + 7]);
                if (d > 4) {
                  out |= Number(x4 < f[b + 8]) | Number(x4 > f[b + 9]);
                  if (d > 5) {
                    out |= Number(x5 < f[b + 10]) | Number(x5 > f[b + 11]);
                    if (d > 6) {
                      out |= Number(x6 < f[b + 12]) | Number(x6 > f[b + 13]);
                      if (d > 7) out |= Number(x7 < f[b + 14]) | Number(x7 > f[b + 15]);
                    }
                  }
                }
              }
            }
          }
        } else {
          for (let j = 0; j < d; j++) {
            const x = p[(off + j) | 0];
            out |= Number(x < f[(b + 2 * j) | 0]) | Number(x > f[(b + 2 * j + 1) | 0]);
          }
        }
        if (out === 0) {
          if (isLeaf) {
            // inside a leaf's box but not its point: a NaN coordinate (compares false both ways)
            if (!this.leafEquals(node, p, off)) this.refuse(p, off);
            I[(2 * o + 5) | 0]++;
            leaf = node;
            break;
          }
          path[len++] = node;
          node = I[(2 * o + 2 + Number(p[(off + I[(2 * o + 4) | 0]) | 0] > f[o])) | 0];
          continue;
        }
        firstOut = len;
      }
      // Sum of the ranges of the merged box.
      let total = 0;
      if (small) {
        total += spanWith(x0, f[b], f[b + 1]);
        if (d > 1) {
          total += spanWith(x1, f[b + 2], f[b + 3]);
          if (d > 2) {
            total += spanWith(x2, f[b + 4], f[b + 5]);
            if (d > 3) {
              total += spanWith(x3, f[b + 6], f[b + 7]);
              if (d > 4) {
                total += spanWith(x4, f[b + 8], f[b + 9]);
                if (d > 5) {
                  total += spanWith(x5, f[b + 10], f[b + 11]);
                  if (d > 6) {
                    total += spanWith(x6, f[b + 12], f[b + 13]);
                    if (d > 7) total += spanWith(x7, f[b + 14], f[b + 15]);
                  }
                }
              }
            }
          }
        }
      } else {
        for (let j = 0; j < d; j++) {
          total += spanWith(p[(off + j) | 0], f[(b + 2 * j) | 0], f[(b + 2 * j + 1) | 0]);
        }
      }
      // A NaN or infinite coordinate makes its span, so the sum, NaN (x · 0 is NaN): refused here,
      // before anything changed (every step above only read).
      if (Number.isNaN(total)) this.refuse(p, off);
      // Random cut on the merged box, the dimension chosen proportionally to its range.
      let r = rand() * total;
      let cd = -1;
      let cv = 0;
      let lastPos = -1;
      for (let j = 0; j < d; j++) {
        const x = p[(off + j) | 0];
        const l = f[(b + 2 * j) | 0];
        const h = f[(b + 2 * j + 1) | 0];
        const mn = x < l ? x : l;
        const mx = x > h ? x : h;
        const range = mx - mn;
        if (range <= 0) continue;
        lastPos = j;
        if (r <= range) {
          cd = j;
          cv = mn + r;
          if (cv >= mx) cv = prevDouble(mx);
          break;
        }
        r -= range;
      }
      if (cd < 0) {
        // Rounding left r a hair above the last positive range: cut just below its max.
        cd = lastPos;
        cv = prevDouble(Math.max(p[off + cd], f[b + 2 * cd + 1]));
      }
      const below = f[b + 2 * cd] > cv; // p goes left, node right
      const above = f[b + 2 * cd + 1] <= cv; // node left, p right
      if (below || above) {
        leaf = this.newLeaf(p, off);
        const inner = this.alloc();
        const io = inner * st;
        for (let j = 0; j < d; j++) {
          const x = p[off + j] + 0;
          f[io + 4 + 2 * j] = Math.min(x, f[b + 2 * j]);
          f[io + 5 + 2 * j] = Math.max(x, f[b + 2 * j + 1]);
        }
        f[io] = cv;
        I[2 * io + 4] = cd;
        I[2 * io + 5] = I[2 * o + 5] + 1;
        I[2 * io + 2] = below ? leaf : node;
        I[2 * io + 3] = below ? node : leaf;
        this.setNav(inner);
        const par = I[2 * o + 6];
        I[2 * io + 6] = par;
        this.setChild(par, node, inner);
        I[2 * o + 6] = inner;
        I[leaf * st * 2 + 6] = inner;
        break;
      }
      if (isLeaf) {
        throw new DetectorError('internal', 'random cut failed to separate a new point from a leaf');
      }
      path[len++] = node;
      node = I[(2 * o + 2 + Number(p[(off + I[(2 * o + 4) | 0]) | 0] > f[o])) | 0];
    }
    // Ancestors: mass + 1; the boxes p was outside of (path index firstOut on) grow to include it.
    const grow = firstOut < 0 ? len : firstOut;
    for (let k = 0; k < grow; k++) I[(2 * Math.imul(path[k], st) + 5) | 0]++;
    for (let k = grow; k < len; k++) {
      const o = Math.imul(path[k], st);
      I[(2 * o + 5) | 0]++;
      const b = (o + 4) | 0;
      if (small) {
        // minOf / maxOf written out (the same doubles; -0 is stored as +0)
        let y = 0;
        let v = 0;
        let c = 0;
        y = x0 + 0;
        v = f[b];
        c = Number(y < v);
        f[b] = y * c + v * (1 - c);
        v = f[b + 1];
        c = Number(y > v);
        f[b + 1] = y * c + v * (1 - c);
        if (d > 1) {
          y = x1 + 0;
          v = f[b + 2];
          c = Number(y < v);
          f[b + 2] = y * c + v * (1 - c);
          v = f[b + 3];
          c = Number(y > v);
          f[b + 3] = y * c + v * (1 - c);
          if (d > 2) {
            y = x2 + 0;
            v = f[b + 4];
            c = Number(y < v);
            f[b + 4] = y * c + v * (1 - c);
            v = f[b + 5];
            c = Number(y > v);
            f[b + 5] = y * c + v * (1 - c);
            if (d > 3) {
              y = x3 + 0;
              v = f[b + 6];
              c = Number(y < v);
              f[b + 6] = y * c + v * (1 - c);
              v = f[b + 7];
              c = Number(y > v);
              f[b + 7] = y * c + v * (1 - c);
              if (d > 4) {
                y = x4 + 0;
                v = f[b + 8];
                c = Number(y < v);
                f[b + 8] = y * c + v * (1 - c);
                v = f[b + 9];
                c = Number(y > v);
                f[b + 9] = y * c + v * (1 - c);
                if (d > 5) {
                  y = x5 + 0;
                  v = f[b + 10];
                  c = Number(y < v);
                  f[b + 10] = y * c + v * (1 - c);
                  v = f[b + 11];
                  c = Number(y > v);
                  f[b + 11] = y * c + v * (1 - c);
                  if (d > 6) {
                    y = x6 + 0;
                    v = f[b + 12];
                    c = Number(y < v);
                    f[b + 12] = y * c + v * (1 - c);
                    v = f[b + 13];
                    c = Number(y > v);
                    f[b + 13] = y * c + v * (1 - c);
                    if (d > 7) {
                      y = x7 + 0;
                      v = f[b + 14];
                      c = Number(y < v);
                      f[b + 14] = y * c + v * (1 - c);
                      v = f[b + 15];
                      c = Number(y > v);
                      f[b + 15] = y * c + v * (1 - c);
                    }
                  }
                }
              }
            }
          }
        }
      } else {
        for (let j = 0; j < d; j++) {
          const x = p[(off + j) | 0] + 0;
          f[(b + 2 * j) | 0] = minOf(x, f[(b + 2 * j) | 0]);
          f[(b + 2 * j + 1) | 0] = maxOf(x, f[(b + 2 * j + 1) | 0]);
        }
      }
    }
    return leaf;
  }

  /**
   * Removes one copy of the point held by `leaf` (docs/rcf.md, Algorithm): decrements its mass, or
   * removes it and its parent, the sibling taking the parent's place; ancestors' masses drop
   * by one and their boxes are recomputed as the union of their children's.
   */
  deleteLeaf(leaf: number): void {
    this.checkLiveLeaf(leaf);
    const st = this.stride;
    const I = this.i;
    const f = this.f;
    if (this.mass(leaf) > 1) {
      for (let n = leaf; n >= 0; n = I[n * st * 2 + 6]) I[n * st * 2 + 5]--;
      return;
    }
    const par = this.parent(leaf);
    if (par < 0) {
      this.release(leaf);
      this.root = -1;
      return;
    }
    const sib = this.left(par) === leaf ? this.right(par) : this.left(par);
    const grand = this.parent(par);
    I[sib * st * 2 + 6] = grand;
    this.setChild(grand, par, sib);
    this.release(leaf);
    this.release(par);
    const d = this.dim;
    // Ancestors: mass - 1, and each box recomputed as the union of its children's boxes until one
    // comes out unchanged (every box above it is then unchanged too).
    let n = grand;
    for (; n >= 0; n = I[(2 * Math.imul(n, st) + 6) | 0]) {
      const o = Math.imul(n, st);
      I[(2 * o + 5) | 0]--;
      const lb = (Math.imul(I[(2 * o + 2) | 0], st) + 4) | 0;
      const rb = (Math.imul(I[(2 * o + 3) | 0], st) + 4) | 0;
      const b = (o + 4) | 0;
      let changed = 0;
      if (d <= 8) {
        // minOf / maxOf written out per dimension, up to 8 (the same doubles as the loop below)
        let u = 0;
        let v = 0;
        let c = 0;
        let l = 0;
        let h = 0;
        u = f[lb];
        v = f[rb];
        c = Number(u < v);
        l = u * c + v * (1 - c);
        u = f[(lb + 1) | 0];
        v = f[(rb + 1) | 0];
        c = Number(u > v);
        h = u * c + v * (1 - c);
        changed |= Number(l !== f[b]) | Number(h !== f[(b + 1) | 0]);
        f[b] = l;
        f[(b + 1) | 0] = h;
        if (d > 1) {
          u = f[(lb + 2) | 0];
          v = f[(rb + 2) | 0];
          c = Number(u < v);
          l = u * c + v * (1 - c);
          u = f[(lb + 3) | 0];
          v = f[(rb + 3) | 0];
          c = Number(u > v);
          h = u * c + v * (1 - c);
          changed |= Number(l !== f[(b + 2) | 0]) | Number(h !== f[(b + 3) | 0]);
          f[(b + 2) | 0] = l;
          f[(b + 3) | 0] = h;
          if (d > 2) {
            u = f[(lb + 4) | 0];
            v = f[(rb + 4) | 0];
            c = Number(u < v);
            l = u * c + v * (1 - c);
            u = f[(lb + 5) | 0];
            v = f[(rb + 5) | 0];
            c = Number(u > v);
            h = u * c + v * (1 - c);
            changed |= Number(l !== f[(b + 4) | 0]) | Number(h !== f[(b + 5) | 0]);
            f[(b + 4) | 0] = l;
            f[(b + 5) | 0] = h;
            if (d > 3) {
              u = f[(lb + 6) | 0];
              v = f[(rb + 6) | 0];
              c = Number(u < v);
              l = u * c + v * (1 - c);
              u = f[(lb + 7) | 0];
              v = f[(rb + 7) | 0];
              c = Number(u > v);
              h = u * c + v * (1 - c);
              changed |= Number(l !== f[(b + 6) | 0]) | Number(h !== f[(b + 7) | 0]);
              f[(b + 6) | 0] = l;
              f[(b + 7) | 0] = h;
              if (d > 4) {
                u = f[(lb + 8) | 0];
                v = f[(rb + 8) | 0];
                c = Number(u < v);
                l = u * c + v * (1 - c);
                u = f[(lb + 9) | 0];
                v = f[(rb + 9) | 0];
                c = Number(u > v);
                h = u * c + v * (1 - c);
                changed |= Number(l !== f[(b + 8) | 0]) | Number(h !== f[(b + 9) | 0]);
                f[(b + 8) | 0] = l;
                f[(b + 9) | 0] = h;
                if (d > 5) {
                  u = f[(lb + 10) | 0];
                  v = f[(rb + 10) | 0];
                  c = Number(u < v);
                  l = u * c + v * (1 - c);
                  u = f[(lb + 11) | 0];
                  v = f[(rb + 11) | 0];
                  c = Number(u > v);
                  h = u * c + v * (1 - c);
                  changed |= Number(l !== f[(b + 10) | 0]) | Number(h !== f[(b + 11) | 0]);
                  f[(b + 10) | 0] = l;
                  f[(b + 11) | 0] = h;
                  if (d > 6) {
                    u = f[(lb + 12) | 0];
                    v = f[(rb + 12) | 0];
                    c = Number(u < v);
                    l = u * c + v * (1 - c);
                    u = f[(lb + 13) | 0];
                    v = f[(rb + 13) | 0];
                    c = Number(u > v);
                    h = u * c + v * (1 - c);
                    changed |= Number(l !== f[(b + 12) | 0]) | Number(h !== f[(b + 13) | 0]);
                    f[(b + 12) | 0] = l;
                    f[(b + 13) | 0] = h;
                    if (d > 7) {
                      u = f[(lb + 14) | 0];
                      v = f[(rb + 14) | 0];
                      c = Number(u < v);
                      l = u * c + v * (1 - c);
                      u = f[(lb + 15) | 0];
                      v = f[(rb + 15) | 0];
                      c = Number(u > v);
                      h = u * c + v * (1 - c);
                      changed |= Number(l !== f[(b + 14) | 0]) | Number(h !== f[(b + 15) | 0]);
                      f[(b + 14) | 0] = l;
                      f[(b + 15) | 0] = h;
                    }
                  }
                }
              }
            }
          }
        }
      } else {
        for (let j = 0; j < 2 * d; j += 2) {
          const l = minOf(f[(lb + j) | 0], f[(rb + j) | 0]);
          const h = maxOf(f[(lb + j + 1) | 0], f[(rb + j + 1) | 0]);
          changed |= Number(l !== f[(b + j) | 0]) | Number(h !== f[(b + j + 1) | 0]);
          f[(b + j) | 0] = l;
          f[(b + j + 1) | 0] = h;
        }
      }
      if (changed === 0) {
        n = I[(2 * o + 6) | 0];
        break;
      }
    }
    for (; n >= 0; n = I[(2 * Math.imul(n, st) + 6) | 0]) I[(2 * Math.imul(n, st) + 5) | 0]--;
  }

  /** @internal Throws unless `leaf` is a live leaf of this tree (what `deleteLeaf` needs). */
  checkLiveLeaf(leaf: number): void {
    if (!(leaf >= 0 && leaf < this.free.length) || this.left(leaf) >= 0 || this.mass(leaf) < 1) {
      throw new DetectorError('internal', `node ${leaf} is not a live leaf`);
    }
  }

  /** Removes one copy of `p` (it must be in the tree), found by following the cuts. */
  delete(p: ArrayLike<number>, off = 0): void {
    const leaf = this.findLeaf(p, off);
    if (leaf < 0 || !this.leafEquals(leaf, p, off)) {
      throw new DetectorError('internal', 'cannot delete a point that is not in the tree');
    }
    this.deleteLeaf(leaf);
  }

  /**
   * The AWS RCF 1.0 anomaly score of `q` for this tree (docs/rcf.md, Algorithm), already multiplied by
   * `log2(M + 1)` (M = root mass). The tree is not changed. Returns 0 for an empty tree.
   */
  score(q: ArrayLike<number>, off: number): number {
    const root = this.root;
    if (root < 0) return 0;
    // Down to the leaf through the compact walk-down arrays; the way back up follows parent
    // links (no path to record). (`| 0` keeps the index arithmetic in plain int32.)
    const nf = this.navF;
    const ni = this.navI;
    const cdim = this.cdim;
    const path = this.path;
    let len = 0;
    let n = (this.navBase + root) | 0;
    let cd = cdim[n];
    if (this.dim <= NAV_MAX_DIM) {
      // One load per level: the walk-down word holds the child's slot and its cut dimension + 1.
      const mask = NAV_MASK;
      const bits = NAV_BITS;
      while (cd >= 0) {
        // Branch-free child pick: left at int +2, right +3. The path (slots) is recorded, so the
        // box loads on the way back up do not wait on each other.
        path[len++] = n;
        const w = ni[(4 * n + 2 + Number(q[(off + cd) | 0] > nf[2 * n])) | 0];
        n = w & mask;
        cd = ((w >>> bits) - 1) | 0;
      }
    } else {
      while (cd >= 0) {
        path[len++] = n;
        n = ni[(4 * n + 2 + Number(q[(off + cd) | 0] > nf[2 * n])) | 0] & NAV_MASK;
        cd = cdim[n];
      }
    }
    this.scoreFromLeaf(q, off, n - this.navBase, len, path, 0, this.one, 0);
    return this.one[0];
  }

  /**
   * @internal The forest's own step, not part of the public contract (its signature changed in speed
   * round 19 and may change again): call `score` instead.
   * The rest of `score` once the walk down has reached `leaf` at depth `len` (the leaf that
   * `q` falls into by the cuts): the leaf case or the walk back up. `path[po + k]` is the slot
   * (`navBase + node`) of the node at depth k on the way down. The tree must not be empty. The score
   * goes to `out[at]` (a double returned from a call that is not inlined is boxed: 20 allocations per
   * streamed point).
   */
  scoreFromLeaf(
    q: ArrayLike<number>,
    off: number,
    leaf: number,
    len: number,
    path: Int32Array,
    po: number,
    out: Float64Array,
    at: number,
  ): void {
    const nb = this.navBase;
    const root = this.root;
    const d = this.dim;
    const st = this.stride;
    const f = this.f;
    const I = this.i;
    let o = Math.imul(leaf, st);
    const M = I[root * st * 2 + 5];
    if (M !== this.scaleMass) {
      this.scaleMass = M;
      this.scale = Math.log2(M + 1);
    }
    const scale = this.scale;
    // A leaf's walk-down slot holds its first coordinate (`newLeaf`), already in cache from the
    // walk down: most queries differ there, and the leaf's record is then never read.
    let equal = this.navF[2 * ((nb + leaf) | 0)] === q[off];
    for (let j = 1; equal && j < d; j++) {
      if (f[(o + 4 + 2 * j) | 0] !== q[(off + j) | 0]) equal = false;
    }
    if (equal) {
      const mu = I[2 * o + 5];
      out[at] = (1 - mu / (2 * M)) * (1 / (len + Math.log2(mu + 1))) * scale;
      return;
    }
    let s = 1 / (len + 1);
    // inv[k] = 1 / (k + 1), computed once (the same division, so the same double).
    const inv = this.inv;
    if (d <= 8) {
      // Up to 8 dimensions: the query's coordinates live in locals and the per-dimension loop is
      // unrolled (same additions in the same order as the loop below, so bit-identical results).
      const x0 = q[off];
      const x1 = d > 1 ? q[(off + 1) | 0] : 0;
      const x2 = d > 2 ? q[(off + 2) | 0] : 0;
      const x3 = d > 3 ? q[(off + 3) | 0] : 0;
      const x4 = d > 4 ? q[(off + 4) | 0] : 0;
      const x5 = d > 5 ? q[(off + 5) | 0] : 0;
      const x6 = d > 6 ? q[(off + 6) | 0] : 0;
      const x7 = d > 7 ? q[(off + 7) | 0] : 0;
      for (let k = len - 1; k >= 0; k--) {
        o = Math.imul((path[(po + k) | 0] - nb) | 0, st);
        const b = (o + 4) | 0;
        // spanWith(x_j, l, h) written out per dimension (the same doubles)
        let l = 0;
        let h = 0;
        let g = 0;
        let c = 0;
        let nr = 0;
        l = f[b];
        h = f[(b + 1) | 0];
        g = Number(x0 > h);
        c = Number(x0 < l);
        nr = x0 * g + h * (1 - g) - (x0 * c + l * (1 - c));
        let grow = nr - (h - l);
        let span = nr;
        if (d > 1) {
          l = f[(b + 2) | 0];
          h = f[(b + 3) | 0];
          g = Number(x1 > h);
          c = Number(x1 < l);
          nr = x1 * g + h * (1 - g) - (x1 * c + l * (1 - c));
          grow += nr - (h - l);
          span += nr;
          if (d > 2) {
            l = f[(b + 4) | 0];
            h = f[(b + 5) | 0];
            g = Number(x2 > h);
            c = Number(x2 < l);
            nr = x2 * g + h * (1 - g) - (x2 * c + l * (1 - c));
            grow += nr - (h - l);
            span += nr;
            if (d > 3) {
              l = f[(b + 6) | 0];
              h = f[(b + 7) | 0];
              g = Number(x3 > h);
              c = Number(x3 < l);
              nr = x3 * g + h * (1 - g) - (x3 * c + l * (1 - c));
              grow += nr - (h - l);
              span += nr;
              if (d > 4) {
                l = f[(b + 8) | 0];
                h = f[(b + 9) | 0];
                g = Number(x4 > h);
                c = Number(x4 < l);
                nr = x4 * g + h * (1 - g) - (x4 * c + l * (1 - c));
                grow += nr - (h - l);
                span += nr;
                if (d > 5) {
                  l = f[(b + 10) | 0];
                  h = f[(b + 11) | 0];
                  g = Number(x5 > h);
                  c = Number(x5 < l);
                  nr = x5 * g + h * (1 - g) - (x5 * c + l * (1 - c));
                  grow += nr - (h - l);
                  span += nr;
                  if (d > 6) {
                    l = f[(b + 12) | 0];
                    h = f[(b + 13) | 0];
                    g = Number(x6 > h);
                    c = Number(x6 < l);
                    nr = x6 * g + h * (1 - g) - (x6 * c + l * (1 - c));
                    grow += nr - (h - l);
                    span += nr;
                    if (d > 7) {
                      l = f[(b + 14) | 0];
                      h = f[(b + 15) | 0];
                      g = Number(x7 > h);
                      c = Number(x7 < l);
                      nr = x7 * g + h * (1 - g) - (x7 * c + l * (1 - c));
                      grow += nr - (h - l);
                      span += nr;
                    }
                  }
                }
              }
            }
          }
        }
        const P = grow / span;
        if (!(P > 0)) break;
        s = P * inv[k] + (1 - P) * s;
      }
      out[at] = s * scale;
      return;
    }
    for (let k = len - 1; k >= 0; k--) {
      o = Math.imul((path[(po + k) | 0] - nb) | 0, st);
      const b = (o + 4) | 0;
      let grow = 0;
      let span = 0;
      for (let j = 0; j < d; j++) {
        const x = q[(off + j) | 0];
        const lo = f[(b + 2 * j) | 0];
        const hi = f[(b + 2 * j + 1) | 0];
        const nr = (x > hi ? x : hi) - (x < lo ? x : lo);
        grow += nr - (hi - lo);
        span += nr;
      }
      const P = grow / span;
      if (!(P > 0)) break;
      s = P * inv[k] + (1 - P) * s;
    }
    out[at] = s * scale;
  }

  /**
   * Collusive displacement of a leaf (kLabUM rrcf, docs/rcf.md, Score: AWS RCF score, not CoDisp): the largest ratio
   * `mass(sibling(v)) / mass(v)` over the nodes v from the leaf up to (excluding) the root.
   */
  coDisplacement(leaf: number): number {
    let best = 0;
    let v = leaf;
    for (let par = this.parent(v); par >= 0; par = this.parent(v)) {
      const sib = this.left(par) === v ? this.right(par) : this.left(par);
      const ratio = this.mass(sib) / this.mass(v);
      if (ratio > best) best = ratio;
      v = par;
    }
    return best;
  }

  /** Builds a tree from an explicit structure (tests and worked examples). Boxes and masses are derived. */
  static fromSpec(dim: number, maxLeaves: number, spec: CutTreeSpec): CutTree {
    const tree = new CutTree(dim, maxLeaves);
    const I = tree.i;
    const st2 = tree.stride * 2;
    const build = (s: CutTreeSpec, par: number): number => {
      if ('point' in s) {
        if (s.point.length !== dim) {
          throw new DetectorError(
            'bad_dimension',
            `leaf point has ${s.point.length} coordinates, expected ${dim}`,
          );
        }
        const leaf = tree.newLeaf(s.point, 0);
        I[leaf * st2 + 5] = s.mass ?? 1;
        I[leaf * st2 + 6] = par;
        return leaf;
      }
      const n = tree.alloc();
      I[n * st2 + 6] = par;
      I[n * st2 + 4] = s.cut[0];
      tree.f[n * tree.stride] = s.cut[1];
      I[n * st2 + 2] = build(s.left, n);
      I[n * st2 + 3] = build(s.right, n);
      tree.setNav(n);
      tree.refresh(n);
      return n;
    };
    tree.root = build(spec, -1);
    return tree;
  }

  /** Sets an internal node's mass and box from its two children. */
  refresh(n: number): void {
    const st = this.stride;
    const f = this.f;
    const l = this.left(n);
    const r = this.right(n);
    this.i[n * st * 2 + 5] = this.mass(l) + this.mass(r);
    const b = n * st + 4;
    const lb = l * st + 4;
    const rb = r * st + 4;
    for (let j = 0; j < 2 * this.dim; j += 2) {
      f[b + j] = Math.min(f[lb + j], f[rb + j]);
      f[b + j + 1] = Math.max(f[lb + j + 1], f[rb + j + 1]);
    }
  }

  /** Adds `k` to a leaf's mass (used when rebuilding from a model file). */
  addMass(leaf: number, k: number): void {
    this.i[leaf * this.stride * 2 + 5] += k;
  }

  /** Visits the nodes in preorder (node, left subtree, right subtree). */
  preorder(visit: (node: number, isLeaf: boolean) => void): void {
    if (this.root < 0) return;
    const stack = this.path;
    let top = 0;
    stack[top++] = this.root;
    while (top > 0) {
      const n = stack[--top];
      const leaf = this.left(n) < 0;
      visit(n, leaf);
      if (!leaf) {
        stack[top++] = this.right(n);
        stack[top++] = this.left(n);
      }
    }
  }

  /**
   * Rebuilds the tree from a preorder description: `dims[i] = -1` marks a leaf whose point is
   * `points[leafPoint(i) * dim ..]`, else an internal node cut `(dims[i], values[i])`.
   * Leaf masses start at 0 (the caller adds the sampler's points); returns false if malformed.
   */
  loadPreorder(
    dims: ArrayLike<number>,
    values: ArrayLike<number>,
    leafPoint: (i: number) => number,
    points: Float64Array,
  ): boolean {
    const n = dims.length;
    if (n === 0) {
      this.root = -1;
      return true;
    }
    if (n > 2 * this.maxLeaves - 1 || n % 2 === 0 || values.length !== n) return false;
    const d = this.dim;
    const st = this.stride;
    const I = this.i;
    const f = this.f;
    // Iterative preorder rebuild: a stack of internal nodes still waiting for a child.
    const stack = this.path;
    let top = 0;
    for (let k = 0; k < n; k++) {
      if (k > 0 && top === 0) return false;
      const node = this.alloc();
      const o = node * st;
      const cd = dims[k];
      if (cd === -1) {
        const pi = leafPoint(k);
        if (pi < 0) return false;
        for (let j = 0; j < d; j++) {
          const x = points[pi * d + j];
          f[o + 4 + 2 * j] = x;
          f[o + 5 + 2 * j] = x;
        }
        this.navF[2 * (this.navBase + node)] = f[o + 4]; // as `newLeaf` does
      } else {
        if (!Number.isInteger(cd) || cd < 0 || cd >= d || !Number.isFinite(values[k])) return false;
        I[2 * o + 4] = cd;
        f[o] = values[k];
      }
      if (k === 0) this.root = node;
      else {
        const par = stack[top - 1];
        I[2 * o + 6] = par;
        if (this.left(par) < 0) I[par * st * 2 + 2] = node;
        else {
          I[par * st * 2 + 3] = node;
          top--;
        }
        this.setNav(par);
      }
      if (cd !== -1) stack[top++] = node;
    }
    return top === 0;
  }

  /** Recomputes every internal node's mass and box from the leaves (postorder). */
  refreshAll(): void {
    if (this.root < 0) return;
    const order: number[] = [];
    this.preorder((n, leaf) => {
      if (!leaf) order.push(n);
    });
    for (let k = order.length - 1; k >= 0; k--) this.refresh(order[k]);
  }
}
