import { DetectorError } from '../../errors.js';
import {
  type ForestLayout,
  forestLayout,
  forestPages,
  INSERT_FULL,
  INSERT_REFUSED,
  initForestMemory,
  setDraw,
  sharedMemory,
  type WalkExports,
  type WasmMemory,
  walkInstance,
} from './wasm/walk-module.js';

/** A source of uniform numbers in [0, 1); the forest passes its seeded generator. */
export type Uniform = () => number;

/** A hand-built tree node: an internal cut or a leaf point (with multiplicity). */
export type CutTreeSpec =
  | { readonly cut: readonly [number, number]; readonly left: CutTreeSpec; readonly right: CutTreeSpec }
  | { readonly point: readonly number[]; readonly mass?: number };

/**
 * Bits of a walk-down word that hold the child's slot: a memory of at most 4 GiB holds fewer than
 * 2^26 slots (at least 72 bytes each: a record of 6 doubles, 16 walk-down bytes, cut dim, free list).
 */
export const NAV_BITS = 26;
export const NAV_MASK = (1 << NAV_BITS) - 1;
/** Largest `cut dimension + 1` stored in a walk-down word (6 bits). */
export const NAV_MAX_DIM = 63;

/**
 * @internal Where a tree lives: tree `t` of a forest memory (`forestLayout` for its trees), scored and
 * updated by the WebAssembly instance `walk` with the scratch of thread `th` (0: the forest's own
 * thread, 1: its worker). `attach` marks memory that already holds the tree (not to be reinitialised).
 */
export interface TreeHome {
  readonly memory: WasmMemory;
  readonly layout: ForestLayout;
  readonly walk: WalkExports;
  readonly t: number;
  readonly th: 0 | 1;
  readonly attach: boolean;
}

/**
 * One random cut tree (Guha et al. 2016; AWS RCF 1.0 update rules, docs/rcf.md, Algorithm).
 *
 * Every node is one fixed-size record in a WebAssembly memory (so walking down the tree touches
 * one cache line per level), read through a Float64 and an Int32 view; freed records go on a
 * free list, so inserting, deleting and scoring allocate nothing. Record of node `n`, in doubles
 * from `n * stride`: `[0]` cut value; `[1]` left, right (int32 pair); `[2]` cut dim (-1 for a leaf), mass;
 * `[3]` parent, unused; then `lo_0, hi_0, lo_1, hi_1, …` (the bounding box). A leaf has
 * left = -1 and its box is its point. A point goes left iff `p[cutDim] <= cutValue`. Node ids of
 * live leaves never change, so the sampler can refer to a leaf by id.
 *
 * `insert`, `deleteLeaf` and `score` run in WebAssembly (wasm/walk.ts; docs/rcf.md, Round 6): a tree
 * of a forest lives in the forest's memory, a tree built on its own in a memory of its own.
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
  /** Stack of `preorder` and `loadPreorder`. */
  private readonly stack: Int32Array;
  /** The WebAssembly walks, this tree's index in its memory, and this thread's scratch. */
  private readonly walk: WalkExports;
  private readonly t: number;
  private readonly query: Float64Array;
  private readonly queryAt: number;
  private readonly scores: Float64Array;
  private readonly outAt: number;
  private readonly pathsAt: number;

  /** A tree of `dim` coordinates holding up to `maxLeaves` distinct points (`home`: a forest's tree). */
  constructor(dim: number, maxLeaves: number, home?: TreeHome) {
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
    let h = home;
    if (!h) {
      // The memory is 32-bit (at most 4 GiB); within it every record index and byte offset the walks
      // compute fits their int32 / uint32 arithmetic (a forest checks its own memory the same way).
      const layout = forestLayout(dim, 1, maxLeaves);
      if (forestPages(layout) > 65536) {
        throw new DetectorError(
          'bad_capacity',
          `tree too large: ${maxLeaves} points of ${dim} dimensions need ${layout.bytes} bytes of WebAssembly memory (at most 4 GiB); use fewer points or dimensions`,
        );
      }
      const memory = sharedMemory(forestPages(layout));
      initForestMemory(memory, layout, 1, maxLeaves);
      h = { memory, layout, walk: walkInstance(memory, layout, dim, maxLeaves), t: 0, th: 0, attach: false };
    }
    const { layout: L, t } = h;
    const buf = h.memory.buffer;
    const T = L.trees;
    const recDoubles = cap * this.stride;
    this.f = new Float64Array(buf, L.rec + t * recDoubles * 8, recDoubles);
    this.i = new Int32Array(buf, L.rec + t * recDoubles * 8, 2 * recDoubles);
    this.free = new Int32Array(buf, L.free + t * cap * 4, cap);
    this.meta = new Int32Array(buf, L.meta + t * 8, 2);
    this.navF = new Float64Array(buf, L.nav, 2 * T * cap);
    this.navI = new Int32Array(buf, L.nav, 4 * T * cap);
    this.cdim = new Int32Array(buf, L.cdim, T * cap);
    this.navBase = t * cap;
    this.walk = h.walk;
    this.t = t;
    this.queryAt = L.q[h.th];
    this.query = new Float64Array(buf, this.queryAt, dim);
    this.outAt = L.out[h.th];
    this.scores = new Float64Array(buf, this.outAt, T);
    this.pathsAt = L.paths[h.th];
    if (!h.attach) {
      for (let k = 0; k < cap; k++) this.free[k] = cap - 1 - k;
      this.meta[0] = -1;
      this.meta[1] = cap;
    }
    this.stack = new Int32Array(cap + 1);
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

  /**
   * Inserts `p[off .. off+dim)` (docs/rcf.md, Algorithm) and returns the id of the leaf that holds it.
   * Random cuts are drawn with `rand` only where `p` falls outside a node's box. A coordinate that
   * is not finite throws `non_finite` before anything changes (a NaN compares false both ways, so it
   * would pass every "inside the box" test and count as a copy of whichever leaf it reached); the
   * checks sit where such a point shows itself, so finite points pay one comparison.
   */
  insert(p: ArrayLike<number>, off: number, rand: Uniform): number {
    const query = this.query;
    for (let j = 0; j < this.dim; j++) query[j] = p[off + j];
    setDraw(rand);
    const leaf = this.walk.insert(this.t, this.queryAt, this.pathsAt);
    if (leaf >= 0) return leaf;
    if (leaf === INSERT_REFUSED) this.refuse(p, off);
    if (leaf === INSERT_FULL) {
      throw new DetectorError('tree_full', `random cut tree is full (${this.maxLeaves} distinct points)`);
    }
    throw new DetectorError('internal', 'random cut failed to separate a new point from a leaf');
  }

  /**
   * Removes one copy of the point held by `leaf` (docs/rcf.md, Algorithm): decrements its mass, or
   * removes it and its parent, the sibling taking the parent's place; ancestors' masses drop
   * by one and their boxes are recomputed as the union of their children's.
   */
  deleteLeaf(leaf: number): void {
    this.checkLiveLeaf(leaf);
    this.walk.deleteLeaf(this.t, leaf);
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
    const query = this.query;
    for (let j = 0; j < this.dim; j++) query[j] = q[off + j];
    this.walk.scoreTrees(this.t, this.t + 1, this.queryAt, this.outAt, this.pathsAt);
    return this.scores[this.t];
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
    const stack = this.stack;
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
    const stack = this.stack;
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
