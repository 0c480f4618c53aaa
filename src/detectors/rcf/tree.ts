import { DetectorError } from '../../errors.js';

/** A source of uniform numbers in [0, 1); the forest passes its seeded generator. */
export type Uniform = () => number;

/** A hand-built tree node: an internal cut or a leaf point (with multiplicity). */
export type CutTreeSpec =
  | { readonly cut: readonly [number, number]; readonly left: CutTreeSpec; readonly right: CutTreeSpec }
  | { readonly point: readonly number[]; readonly mass?: number };

const F64 = new Float64Array(1);
const I64 = new BigInt64Array(F64.buffer);

/** The largest double strictly below `x` (x finite). */
export function prevDouble(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  F64[0] = x;
  I64[0] += x > 0 ? -1n : 1n;
  return F64[0];
}

/**
 * One random cut tree (Guha et al. 2016; AWS RCF 1.0 update rules, merlion-detectors spec §6.3–§6.4).
 *
 * Nodes live in flat typed arrays (struct of arrays) indexed by node id, with a free list, so
 * inserting, deleting and scoring allocate nothing. A leaf's bounding box is its point
 * (`lo === hi`); internal nodes keep the exact per-dimension min/max of the points below them.
 * A point goes left iff `p[cutDim] <= cutValue`. Node ids of live leaves never change, so the
 * sampler can refer to a leaf by id.
 */
export class CutTree {
  /** Number of coordinates per point. */
  readonly dim: number;
  /** Most distinct points (leaves) the tree can hold. */
  readonly maxLeaves: number;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly parent: Int32Array;
  readonly cutDim: Int32Array;
  readonly cutValue: Float64Array;
  /** Number of points below a node, counting duplicates. */
  readonly mass: Int32Array;
  /** Bounding boxes: `lo[node * dim + j]`, `hi[node * dim + j]`. */
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  /** Root node id, or -1 when the tree is empty. */
  root = -1;
  private readonly free: Int32Array;
  private nFree: number;
  private readonly path: Int32Array;

  constructor(dim: number, maxLeaves: number) {
    if (!Number.isInteger(dim) || dim < 1) {
      throw new DetectorError('bad_dimension', `tree dimension must be a positive integer, got ${dim}`);
    }
    if (!Number.isInteger(maxLeaves) || maxLeaves < 1) {
      throw new DetectorError('bad_capacity', `tree capacity must be a positive integer, got ${maxLeaves}`);
    }
    this.dim = dim;
    this.maxLeaves = maxLeaves;
    const cap = 2 * maxLeaves;
    this.left = new Int32Array(cap).fill(-1);
    this.right = new Int32Array(cap).fill(-1);
    this.parent = new Int32Array(cap).fill(-1);
    this.cutDim = new Int32Array(cap);
    this.cutValue = new Float64Array(cap);
    this.mass = new Int32Array(cap);
    this.lo = new Float64Array(cap * dim);
    this.hi = new Float64Array(cap * dim);
    this.free = new Int32Array(cap);
    for (let i = 0; i < cap; i++) this.free[i] = cap - 1 - i;
    this.nFree = cap;
    this.path = new Int32Array(cap + 1);
  }

  /** Points in the tree, counting duplicates (the root's mass). */
  size(): number {
    return this.root < 0 ? 0 : this.mass[this.root];
  }

  isLeaf(node: number): boolean {
    return this.left[node] < 0;
  }

  /** Number of live nodes (leaves plus internal nodes). */
  nodeCount(): number {
    return this.left.length - this.nFree;
  }

  private alloc(): number {
    if (this.nFree === 0) {
      throw new DetectorError('tree_full', `random cut tree is full (${this.maxLeaves} distinct points)`);
    }
    const n = this.free[--this.nFree];
    this.left[n] = -1;
    this.right[n] = -1;
    this.parent[n] = -1;
    this.mass[n] = 0;
    return n;
  }

  private release(n: number): void {
    this.left[n] = -1;
    this.right[n] = -1;
    this.parent[n] = -1;
    this.mass[n] = 0;
    this.free[this.nFree++] = n;
  }

  private newLeaf(p: ArrayLike<number>, off: number): number {
    const n = this.alloc();
    const d = this.dim;
    const b = n * d;
    for (let j = 0; j < d; j++) {
      const x = p[off + j] + 0; // -0 is stored as +0
      this.lo[b + j] = x;
      this.hi[b + j] = x;
    }
    this.mass[n] = 1;
    return n;
  }

  /** Whether leaf `leaf` holds exactly the point `p[off .. off+dim)`. */
  leafEquals(leaf: number, p: ArrayLike<number>, off: number): boolean {
    const d = this.dim;
    const b = leaf * d;
    for (let j = 0; j < d; j++) if (this.lo[b + j] !== p[off + j]) return false;
    return true;
  }

  /** The leaf that `p` falls into by following the cuts (or -1 if the tree is empty). */
  findLeaf(p: ArrayLike<number>, off = 0): number {
    let node = this.root;
    if (node < 0) return -1;
    while (this.left[node] >= 0) {
      node = p[off + this.cutDim[node]] <= this.cutValue[node] ? this.left[node] : this.right[node];
    }
    return node;
  }

  /** Depth of a node (root = 0). */
  depth(node: number): number {
    let k = 0;
    while (this.parent[node] >= 0) {
      node = this.parent[node];
      k++;
    }
    return k;
  }

  /**
   * Inserts `p[off .. off+dim)` (spec §6.3) and returns the id of the leaf that holds it.
   * Random cuts are drawn with `rand` only where `p` falls outside a node's box.
   */
  insert(p: ArrayLike<number>, off: number, rand: Uniform): number {
    const d = this.dim;
    const lo = this.lo;
    const hi = this.hi;
    if (this.root < 0) {
      this.root = this.newLeaf(p, off);
      return this.root;
    }
    const path = this.path;
    let len = 0;
    let node = this.root;
    let leaf = -1;
    for (;;) {
      const b = node * d;
      const isLeaf = this.left[node] < 0;
      if (isLeaf && this.leafEquals(node, p, off)) {
        this.mass[node]++;
        leaf = node;
        break;
      }
      // Sum of the ranges of the merged box; zero iff p is inside box(node).
      let total = 0;
      let outside = false;
      for (let j = 0; j < d; j++) {
        const x = p[off + j];
        const l = lo[b + j];
        const h = hi[b + j];
        if (x < l || x > h) outside = true;
        total += (x > h ? x : h) - (x < l ? x : l);
      }
      if (outside) {
        // Random cut on the merged box, dimension chosen proportionally to its range.
        let r = rand() * total;
        let cd = -1;
        let cv = 0;
        let lastPos = -1;
        for (let j = 0; j < d; j++) {
          const x = p[off + j];
          const mn = x < lo[b + j] ? x : lo[b + j];
          const mx = x > hi[b + j] ? x : hi[b + j];
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
          const x = p[off + cd];
          cv = prevDouble(x > hi[b + cd] ? x : hi[b + cd]);
        }
        const below = lo[b + cd] > cv; // p goes left, node right
        const above = hi[b + cd] <= cv; // node left, p right
        if (below || above) {
          leaf = this.newLeaf(p, off);
          const inner = this.alloc();
          const ib = inner * d;
          for (let j = 0; j < d; j++) {
            const x = p[off + j] + 0;
            lo[ib + j] = x < lo[b + j] ? x : lo[b + j];
            hi[ib + j] = x > hi[b + j] ? x : hi[b + j];
          }
          this.cutDim[inner] = cd;
          this.cutValue[inner] = cv;
          this.mass[inner] = this.mass[node] + 1;
          if (below) {
            this.left[inner] = leaf;
            this.right[inner] = node;
          } else {
            this.left[inner] = node;
            this.right[inner] = leaf;
          }
          const par = this.parent[node];
          this.parent[inner] = par;
          if (par < 0) this.root = inner;
          else if (this.left[par] === node) this.left[par] = inner;
          else this.right[par] = inner;
          this.parent[node] = inner;
          this.parent[leaf] = inner;
          break;
        }
      }
      if (isLeaf) {
        throw new DetectorError('internal', 'random cut failed to separate a new point from a leaf');
      }
      path[len++] = node;
      node = p[off + this.cutDim[node]] <= this.cutValue[node] ? this.left[node] : this.right[node];
    }
    // Ancestors: mass + 1, box grows to include p.
    for (let k = 0; k < len; k++) {
      const n = path[k];
      this.mass[n]++;
      const b = n * d;
      for (let j = 0; j < d; j++) {
        const x = p[off + j] + 0;
        if (x < lo[b + j]) lo[b + j] = x;
        if (x > hi[b + j]) hi[b + j] = x;
      }
    }
    return leaf;
  }

  /**
   * Removes one copy of the point held by `leaf` (spec §6.3 delete): decrements its mass, or
   * removes it and its parent, the sibling taking the parent's place; ancestors' masses drop
   * by one and their boxes are recomputed as the union of their children's.
   */
  deleteLeaf(leaf: number): void {
    if (leaf < 0 || leaf >= this.left.length || this.left[leaf] >= 0 || this.mass[leaf] < 1) {
      throw new DetectorError('internal', `node ${leaf} is not a live leaf`);
    }
    if (this.mass[leaf] > 1) {
      for (let n = leaf; n >= 0; n = this.parent[n]) this.mass[n]--;
      return;
    }
    const par = this.parent[leaf];
    if (par < 0) {
      this.release(leaf);
      this.root = -1;
      return;
    }
    const sib = this.left[par] === leaf ? this.right[par] : this.left[par];
    const grand = this.parent[par];
    this.parent[sib] = grand;
    if (grand < 0) this.root = sib;
    else if (this.left[grand] === par) this.left[grand] = sib;
    else this.right[grand] = sib;
    this.release(leaf);
    this.release(par);
    const d = this.dim;
    const lo = this.lo;
    const hi = this.hi;
    let recompute = true;
    for (let n = grand; n >= 0; n = this.parent[n]) {
      this.mass[n]--;
      if (!recompute) continue;
      // Once a box comes out unchanged, every box above it is unchanged too.
      const b = n * d;
      const lb = this.left[n] * d;
      const rb = this.right[n] * d;
      let changed = false;
      for (let j = 0; j < d; j++) {
        const l = lo[lb + j] < lo[rb + j] ? lo[lb + j] : lo[rb + j];
        const h = hi[lb + j] > hi[rb + j] ? hi[lb + j] : hi[rb + j];
        if (l !== lo[b + j] || h !== hi[b + j]) changed = true;
        lo[b + j] = l;
        hi[b + j] = h;
      }
      recompute = changed;
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
   * The AWS RCF 1.0 anomaly score of `q` for this tree (spec §6.4), already multiplied by
   * `log2(M + 1)` (M = root mass). The tree is not changed. Returns 0 for an empty tree.
   */
  score(q: ArrayLike<number>, off: number): number {
    const root = this.root;
    if (root < 0) return 0;
    const d = this.dim;
    const lo = this.lo;
    const hi = this.hi;
    const path = this.path;
    let len = 0;
    let node = root;
    while (this.left[node] >= 0) {
      path[len++] = node;
      node = q[off + this.cutDim[node]] <= this.cutValue[node] ? this.left[node] : this.right[node];
    }
    const M = this.mass[root];
    const scale = Math.log2(M + 1);
    if (this.leafEquals(node, q, off)) {
      const mu = this.mass[node];
      return (1 - mu / (2 * M)) * (1 / (len + Math.log2(mu + 1))) * scale;
    }
    let s = 1 / (len + 1);
    for (let k = len - 1; k >= 0; k--) {
      const b = path[k] * d;
      let grow = 0;
      let span = 0;
      for (let j = 0; j < d; j++) {
        const x = q[off + j];
        const l = lo[b + j];
        const h = hi[b + j];
        const nr = (x > h ? x : h) - (x < l ? x : l);
        grow += nr - (h - l);
        span += nr;
      }
      const P = grow / span;
      if (!(P > 0)) break;
      s = P * (1 / (k + 1)) + (1 - P) * s;
    }
    return s * scale;
  }

  /**
   * Collusive displacement of a leaf (kLabUM rrcf, spec §7): the largest ratio
   * `mass(sibling(v)) / mass(v)` over the nodes v from the leaf up to (excluding) the root.
   */
  coDisplacement(leaf: number): number {
    let best = 0;
    let v = leaf;
    for (let par = this.parent[v]; par >= 0; par = this.parent[v]) {
      const sib = this.left[par] === v ? this.right[par] : this.left[par];
      const ratio = this.mass[sib] / this.mass[v];
      if (ratio > best) best = ratio;
      v = par;
    }
    return best;
  }

  /** Builds a tree from an explicit structure (tests and worked examples). Boxes and masses are derived. */
  static fromSpec(dim: number, maxLeaves: number, spec: CutTreeSpec): CutTree {
    const tree = new CutTree(dim, maxLeaves);
    const build = (s: CutTreeSpec, par: number): number => {
      if ('point' in s) {
        if (s.point.length !== dim) {
          throw new DetectorError(
            'bad_dimension',
            `leaf point has ${s.point.length} coordinates, expected ${dim}`,
          );
        }
        const leaf = tree.newLeaf(s.point, 0);
        tree.mass[leaf] = s.mass ?? 1;
        tree.parent[leaf] = par;
        return leaf;
      }
      const n = tree.alloc();
      tree.parent[n] = par;
      tree.cutDim[n] = s.cut[0];
      tree.cutValue[n] = s.cut[1];
      tree.left[n] = build(s.left, n);
      tree.right[n] = build(s.right, n);
      tree.refresh(n);
      return n;
    };
    tree.root = build(spec, -1);
    return tree;
  }

  /** Sets an internal node's mass and box from its two children. */
  refresh(n: number): void {
    const d = this.dim;
    const b = n * d;
    const lb = this.left[n] * d;
    const rb = this.right[n] * d;
    this.mass[n] = this.mass[this.left[n]] + this.mass[this.right[n]];
    for (let j = 0; j < d; j++) {
      this.lo[b + j] = Math.min(this.lo[lb + j], this.lo[rb + j]);
      this.hi[b + j] = Math.max(this.hi[lb + j], this.hi[rb + j]);
    }
  }

  /** Preorder list of nodes: internal nodes as `[cutDim, cutValue]`, leaves as `[-1, leafId]`. */
  preorder(visit: (node: number, isLeaf: boolean) => void): void {
    if (this.root < 0) return;
    const stack = this.path;
    let top = 0;
    stack[top++] = this.root;
    while (top > 0) {
      const n = stack[--top];
      const leaf = this.left[n] < 0;
      visit(n, leaf);
      if (!leaf) {
        stack[top++] = this.right[n];
        stack[top++] = this.left[n];
      }
    }
  }

  /**
   * Rebuilds the tree from a preorder description: `dims[i] = -1` marks a leaf whose point is
   * `points[leafPoint[i] * dim ..]`, else an internal node cut `(dims[i], values[i])`.
   * Leaf masses start at 0 (the caller adds the sampler's points); returns false if malformed.
   */
  loadPreorder(
    dims: readonly number[],
    values: readonly number[],
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
    // Iterative preorder rebuild: a stack of internal nodes still waiting for a child.
    const stack = this.path;
    let top = 0;
    for (let i = 0; i < n; i++) {
      if (i > 0 && top === 0) return false;
      const node = this.alloc();
      const cd = dims[i];
      if (cd === -1) {
        const pi = leafPoint(i);
        if (pi < 0) return false;
        for (let j = 0; j < d; j++) {
          const x = points[pi * d + j];
          this.lo[node * d + j] = x;
          this.hi[node * d + j] = x;
        }
      } else {
        if (!Number.isInteger(cd) || cd < 0 || cd >= d || !Number.isFinite(values[i])) return false;
        this.cutDim[node] = cd;
        this.cutValue[node] = values[i];
      }
      if (i === 0) this.root = node;
      else {
        const par = stack[top - 1];
        this.parent[node] = par;
        if (this.left[par] < 0) this.left[par] = node;
        else {
          this.right[par] = node;
          top--;
        }
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
