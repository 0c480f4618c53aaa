// AssemblyScript, not TypeScript (kept out of tsc and biome): compiled by scripts/build-wasm.mjs into
// the committed walk-wasm.ts; run it after any change here (wasm-bytes.test.ts checks).
//
// The random cut trees' steps (docs/rcf.md, Round 6): the score (the walk down through the compact
// walk-down arrays, four trees in lockstep, and the walk back up: the box steps, the recurrence and
// the early stop), `insert` and `deleteLeaf`, over the memory laid out by `forestLayout`
// (walk-module.ts). Every floating-point operation is the one the JavaScript steps did, in the same
// order, so the scores and trees are the same doubles. Nothing here allocates: no data segment, no heap.

/** Walk-down word: child slot in the low 26 bits, cut dimension + 1 above (tree.ts, NAV_BITS). */
const NAV_BITS: i32 = 26;
const NAV_MASK: i32 = (1 << NAV_BITS) - 1;
const NAV_MAX_DIM: i32 = 63;

// The forest this instance serves (`setup`): per instance, so per thread.
let D: i32 = 0; // coordinates per point
let CAP: i32 = 0; // node slots per tree (2 · sampleSize)
let ST: i32 = 0; // record size in doubles (4 + 2D)
let REC: usize = 0; // node records, tree t at REC + t · CAP · ST · 8
let NAV: usize = 0; // walk-down words, 16 bytes per slot (cut value; left, right)
let CDIM: usize = 0; // cut dimension per slot (int32)
let META: usize = 0; // per tree [root, nFree] (int32 pairs)
let FREE: usize = 0; // per tree its free list (CAP int32)
let LOG: usize = 0; // LOG[k] = log2(k + 1) as JavaScript's Math.log2 computes it, k <= CAP
let INV: usize = 0; // INV[k] = 1 / (k + 1)

export function setup(
  d: i32,
  cap: i32,
  rec: usize,
  nav: usize,
  cdim: usize,
  meta: usize,
  free: usize,
  logTab: usize,
  invTab: usize,
): void {
  D = d;
  CAP = cap;
  ST = 4 + 2 * d;
  REC = rec;
  NAV = nav;
  CDIM = cdim;
  META = meta;
  FREE = free;
  LOG = logTab;
  INV = invTab;
}

/**
 * Scores of trees [a, b) for the query at `q` (D doubles) into `out + 8t`, using `paths`
 * (4 · CAP int32) as scratch: the same doubles as `CutTree.score` tree by tree.
 */
export function scoreTrees(a: i32, b: i32, q: usize, out: usize, paths: usize): void {
  let t = a;
  if (D <= NAV_MAX_DIM) {
    const cap = CAP;
    const P1: usize = paths + (<usize>cap << 2);
    const P2: usize = P1 + (<usize>cap << 2);
    const P3: usize = P2 + (<usize>cap << 2);
    for (; t + 4 <= b; t += 4) {
      const r0 = load<i32>(META + (<usize>t << 3));
      const r1 = load<i32>(META + (<usize>(t + 1) << 3));
      const r2 = load<i32>(META + (<usize>(t + 2) << 3));
      const r3 = load<i32>(META + (<usize>(t + 3) << 3));
      if ((r0 | r1 | r2 | r3) < 0) {
        scoreOne(t, q, out, paths);
        scoreOne(t + 1, q, out, paths);
        scoreOne(t + 2, q, out, paths);
        scoreOne(t + 3, q, out, paths);
        continue;
      }
      const b0 = t * cap;
      const b1 = b0 + cap;
      const b2 = b1 + cap;
      const b3 = b2 + cap;
      let n0 = b0 + r0;
      let n1 = b1 + r1;
      let n2 = b2 + r2;
      let n3 = b3 + r3;
      let c0 = load<i32>(CDIM + (<usize>n0 << 2));
      let c1 = load<i32>(CDIM + (<usize>n1 << 2));
      let c2 = load<i32>(CDIM + (<usize>n2 << 2));
      let c3 = load<i32>(CDIM + (<usize>n3 << 2));
      let l0 = 0;
      let l1 = 0;
      let l2 = 0;
      let l3 = 0;
      // Until the last of the four reaches its leaf (a leaf links to itself with cut dim -1, so a
      // tree at its leaf stays there and its path stops growing).
      while ((c0 & c1 & c2 & c3) >= 0) {
        store<i32>(paths + (<usize>l0 << 2), n0);
        store<i32>(P1 + (<usize>l1 << 2), n1);
        store<i32>(P2 + (<usize>l2 << 2), n2);
        store<i32>(P3 + (<usize>l3 << 2), n3);
        l0 += <i32>(<u32>~c0 >> 31);
        l1 += <i32>(<u32>~c1 >> 31);
        l2 += <i32>(<u32>~c2 >> 31);
        l3 += <i32>(<u32>~c3 >> 31);
        const g0: usize = NAV + (<usize>n0 << 4);
        const g1: usize = NAV + (<usize>n1 << 4);
        const g2: usize = NAV + (<usize>n2 << 4);
        const g3: usize = NAV + (<usize>n3 << 4);
        const x0 = load<f64>(q + (<usize>(c0 + <i32>(<u32>c0 >> 31)) << 3));
        const x1 = load<f64>(q + (<usize>(c1 + <i32>(<u32>c1 >> 31)) << 3));
        const x2 = load<f64>(q + (<usize>(c2 + <i32>(<u32>c2 >> 31)) << 3));
        const x3 = load<f64>(q + (<usize>(c3 + <i32>(<u32>c3 >> 31)) << 3));
        const w0 = load<i32>(g0 + 8 + (<usize>(x0 > load<f64>(g0)) << 2));
        const w1 = load<i32>(g1 + 8 + (<usize>(x1 > load<f64>(g1)) << 2));
        const w2 = load<i32>(g2 + 8 + (<usize>(x2 > load<f64>(g2)) << 2));
        const w3 = load<i32>(g3 + 8 + (<usize>(x3 > load<f64>(g3)) << 2));
        n0 = w0 & NAV_MASK;
        n1 = w1 & NAV_MASK;
        n2 = w2 & NAV_MASK;
        n3 = w3 & NAV_MASK;
        c0 = <i32>(<u32>w0 >> NAV_BITS) - 1;
        c1 = <i32>(<u32>w1 >> NAV_BITS) - 1;
        c2 = <i32>(<u32>w2 >> NAV_BITS) - 1;
        c3 = <i32>(<u32>w3 >> NAV_BITS) - 1;
      }
      fromLeaf(t, q, n0 - b0, l0, paths, out + (<usize>t << 3));
      fromLeaf(t + 1, q, n1 - b1, l1, P1, out + (<usize>(t + 1) << 3));
      fromLeaf(t + 2, q, n2 - b2, l2, P2, out + (<usize>(t + 2) << 3));
      fromLeaf(t + 3, q, n3 - b3, l3, P3, out + (<usize>(t + 3) << 3));
    }
  }
  for (; t < b; t++) scoreOne(t, q, out, paths);
}

/** One tree's score (0 for an empty tree) into `out + 8t`. */
function scoreOne(t: i32, q: usize, out: usize, path: usize): void {
  const root = load<i32>(META + (<usize>t << 3));
  const o: usize = out + (<usize>t << 3);
  if (root < 0) {
    store<f64>(o, 0.0);
    return;
  }
  const nb = t * CAP;
  let len = 0;
  let n = nb + root;
  let cd = load<i32>(CDIM + (<usize>n << 2));
  if (D <= NAV_MAX_DIM) {
    while (cd >= 0) {
      store<i32>(path + (<usize>len << 2), n);
      len++;
      const g: usize = NAV + (<usize>n << 4);
      const w = load<i32>(g + 8 + (<usize>(load<f64>(q + (<usize>cd << 3)) > load<f64>(g)) << 2));
      n = w & NAV_MASK;
      cd = <i32>(<u32>w >> NAV_BITS) - 1;
    }
  } else {
    while (cd >= 0) {
      store<i32>(path + (<usize>len << 2), n);
      len++;
      const g: usize = NAV + (<usize>n << 4);
      n = load<i32>(g + 8 + (<usize>(load<f64>(q + (<usize>cd << 3)) > load<f64>(g)) << 2)) & NAV_MASK;
      cd = load<i32>(CDIM + (<usize>n << 2));
    }
  }
  fromLeaf(t, q, n - nb, len, path, o);
}

/** JavaScript's Math.log2 (the fallback of `log2p1`). */
@external('env', 'log2')
declare function mathLog2(x: f64): f64;

/** `Math.log2(k + 1)` for a mass k: from the table up to CAP, else from JavaScript. */
@inline
function log2p1(k: i32): f64 {
  return k <= CAP ? load<f64>(LOG + ((<usize>k) << 3)) : mathLog2(<f64>(k + 1));
}

/**
 * `CutTree.scoreFromLeaf`: the rest of tree t's score once the walk down reached `leaf` at depth
 * `len` (`path` holds the slots of the nodes above it), stored at `out`.
 */
function fromLeaf(t: i32, q: usize, leaf: i32, len: i32, path: usize, out: usize): void {
  const d = D;
  const st = ST;
  const nb = t * CAP;
  const tb: usize = REC + (<usize>nb * <usize>st << 3);
  const root = load<i32>(META + (<usize>t << 3));
  const M = load<i32>(tb + (<usize>(root * st) << 3) + 20);
  const scale = log2p1(M);
  let o = leaf * st;
  // the leaf's walk-down slot holds its first coordinate
  let equal = load<f64>(NAV + (<usize>(nb + leaf) << 4)) == load<f64>(q);
  for (let j = 1; equal && j < d; j++) {
    if (load<f64>(tb + (<usize>(o + 4 + 2 * j) << 3)) != load<f64>(q + (<usize>j << 3))) equal = false;
  }
  if (equal) {
    const mu = load<i32>(tb + (<usize>o << 3) + 20);
    store<f64>(
      out,
      (1.0 - <f64>mu / <f64>(2 * M)) * (1.0 / (<f64>len + log2p1(mu))) * scale,
    );
    return;
  }
  let s = 1.0 / <f64>(len + 1);
  if (d <= 8) {
    // Up to 8 dimensions, as the JavaScript walk did: the query's coordinates in locals, the
    // per-dimension step unrolled, branch-free (the same doubles as the loop below).
    const x0 = load<f64>(q);
    const x1 = d > 1 ? load<f64>(q + 8) : 0.0;
    const x2 = d > 2 ? load<f64>(q + 16) : 0.0;
    const x3 = d > 3 ? load<f64>(q + 24) : 0.0;
    const x4 = d > 4 ? load<f64>(q + 32) : 0.0;
    const x5 = d > 5 ? load<f64>(q + 40) : 0.0;
    const x6 = d > 6 ? load<f64>(q + 48) : 0.0;
    const x7 = d > 7 ? load<f64>(q + 56) : 0.0;
    for (let k = len - 1; k >= 0; k--) {
      o = (load<i32>(path + (<usize>k << 2)) - nb) * st;
      const bx: usize = tb + (<usize>(o + 4) << 3);
      let l = load<f64>(bx);
      let h = load<f64>(bx + 8);
      let g = <f64>(x0 > h);
      let c = <f64>(x0 < l);
      let nr = x0 * g + h * (1.0 - g) - (x0 * c + l * (1.0 - c));
      let grow = nr - (h - l);
      let span = nr;
      if (d > 1) {
        l = load<f64>(bx + 16);
        h = load<f64>(bx + 24);
        g = <f64>(x1 > h);
        c = <f64>(x1 < l);
        nr = x1 * g + h * (1.0 - g) - (x1 * c + l * (1.0 - c));
        grow += nr - (h - l);
        span += nr;
        if (d > 2) {
          l = load<f64>(bx + 32);
          h = load<f64>(bx + 40);
          g = <f64>(x2 > h);
          c = <f64>(x2 < l);
          nr = x2 * g + h * (1.0 - g) - (x2 * c + l * (1.0 - c));
          grow += nr - (h - l);
          span += nr;
          if (d > 3) {
            l = load<f64>(bx + 48);
            h = load<f64>(bx + 56);
            g = <f64>(x3 > h);
            c = <f64>(x3 < l);
            nr = x3 * g + h * (1.0 - g) - (x3 * c + l * (1.0 - c));
            grow += nr - (h - l);
            span += nr;
            if (d > 4) {
              l = load<f64>(bx + 64);
              h = load<f64>(bx + 72);
              g = <f64>(x4 > h);
              c = <f64>(x4 < l);
              nr = x4 * g + h * (1.0 - g) - (x4 * c + l * (1.0 - c));
              grow += nr - (h - l);
              span += nr;
              if (d > 5) {
                l = load<f64>(bx + 80);
                h = load<f64>(bx + 88);
                g = <f64>(x5 > h);
                c = <f64>(x5 < l);
                nr = x5 * g + h * (1.0 - g) - (x5 * c + l * (1.0 - c));
                grow += nr - (h - l);
                span += nr;
                if (d > 6) {
                  l = load<f64>(bx + 96);
                  h = load<f64>(bx + 104);
                  g = <f64>(x6 > h);
                  c = <f64>(x6 < l);
                  nr = x6 * g + h * (1.0 - g) - (x6 * c + l * (1.0 - c));
                  grow += nr - (h - l);
                  span += nr;
                  if (d > 7) {
                    l = load<f64>(bx + 112);
                    h = load<f64>(bx + 120);
                    g = <f64>(x7 > h);
                    c = <f64>(x7 < l);
                    nr = x7 * g + h * (1.0 - g) - (x7 * c + l * (1.0 - c));
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
      s = P * load<f64>(INV + (<usize>k << 3)) + (1.0 - P) * s;
    }
    store<f64>(out, s * scale);
    return;
  }
  for (let k = len - 1; k >= 0; k--) {
    o = (load<i32>(path + (<usize>k << 2)) - nb) * st;
    const bx: usize = tb + (<usize>(o + 4) << 3);
    let grow = 0.0;
    let span = 0.0;
    for (let j = 0; j < d; j++) {
      const x = load<f64>(q + (<usize>j << 3));
      const lo = load<f64>(bx + (<usize>j << 4));
      const hi = load<f64>(bx + (<usize>j << 4) + 8);
      const nr = (x > hi ? x : hi) - (x < lo ? x : lo);
      grow += nr - (hi - lo);
      span += nr;
    }
    const P = grow / span;
    if (!(P > 0)) break;
    s = P * load<f64>(INV + (<usize>k << 3)) + (1.0 - P) * s;
  }
  store<f64>(out, s * scale);
}

// ---- Updates (`CutTree.deleteLeaf`): the records' int32 fields, by byte offset in a record.
const LEFT: usize = 8;
const RIGHT: usize = 12;
const CUT_DIM: usize = 16;
const MASS: usize = 20;
const PARENT: usize = 24;

/** Byte address of node n's record in tree t (tree base `tb`). */
@inline
function rec(tb: usize, n: i32): usize {
  return tb + ((<usize>(n * ST)) << 3);
}

/** Tree t's walk-down word for a link to its node n (`CutTree.link`). */
@inline
function link(tb: usize, nb: i32, n: i32): i32 {
  const c = load<i32>(rec(tb, n) + CUT_DIM) + 1;
  return (nb + n) | ((c <= NAV_MAX_DIM ? c : 0) << NAV_BITS);
}

/** `CutTree.release`: node n back on tree t's free list, its links and walk-down slot cleared. */
function release(t: i32, tb: usize, nb: i32, n: i32): void {
  const r = rec(tb, n);
  store<i32>(r + LEFT, -1);
  store<i32>(r + RIGHT, -1);
  store<i32>(r + MASS, 0);
  store<i32>(r + PARENT, -1);
  const g = nb + n;
  const w: usize = NAV + ((<usize>g) << 4);
  store<i32>(w + 8, -1);
  store<i32>(w + 12, -1);
  store<i32>(CDIM + ((<usize>g) << 2), -1);
  const m: usize = META + ((<usize>t) << 3);
  const k = load<i32>(m + 4);
  store<i32>(FREE + ((<usize>(nb + k)) << 2), n);
  store<i32>(m + 4, k + 1);
}

/**
 * `CutTree.deleteLeaf` of tree t (the caller checked that `leaf` is a live leaf): one copy of its point
 * removed; ancestors' masses drop by one and their boxes are recomputed from their children's until
 * one comes out unchanged (the same doubles as the JavaScript step: min/max as 0/1 factors).
 */
export function deleteLeaf(t: i32, leaf: i32): void {
  const st = ST;
  const d = D;
  const nb = t * CAP;
  const tb: usize = REC + ((<usize>nb * <usize>st) << 3);
  const lr = rec(tb, leaf);
  if (load<i32>(lr + MASS) > 1) {
    for (let n = leaf; n >= 0; ) {
      const r = rec(tb, n);
      store<i32>(r + MASS, load<i32>(r + MASS) - 1);
      n = load<i32>(r + PARENT);
    }
    return;
  }
  const par = load<i32>(lr + PARENT);
  if (par < 0) {
    release(t, tb, nb, leaf);
    store<i32>(META + ((<usize>t) << 3), -1);
    return;
  }
  const pr = rec(tb, par);
  const sib = load<i32>(pr + LEFT) == leaf ? load<i32>(pr + RIGHT) : load<i32>(pr + LEFT);
  const grand = load<i32>(pr + PARENT);
  store<i32>(rec(tb, sib) + PARENT, grand);
  // setChild(grand, par, sib)
  if (grand < 0) store<i32>(META + ((<usize>t) << 3), sib);
  else {
    const gr = rec(tb, grand);
    const w: usize = NAV + ((<usize>(nb + grand)) << 4);
    if (load<i32>(gr + LEFT) == par) {
      store<i32>(gr + LEFT, sib);
      store<i32>(w + 8, link(tb, nb, sib));
    } else {
      store<i32>(gr + RIGHT, sib);
      store<i32>(w + 12, link(tb, nb, sib));
    }
  }
  release(t, tb, nb, leaf);
  release(t, tb, nb, par);
  let n = grand;
  for (; n >= 0; n = load<i32>(rec(tb, n) + PARENT)) {
    const r = rec(tb, n);
    store<i32>(r + MASS, load<i32>(r + MASS) - 1);
    const lb = rec(tb, load<i32>(r + LEFT)) + 32;
    const rb = rec(tb, load<i32>(r + RIGHT)) + 32;
    const b = r + 32;
    let changed = 0;
    for (let j = 0; j < d; j++) {
      const at: usize = (<usize>j) << 4;
      let u = load<f64>(lb + at);
      let v = load<f64>(rb + at);
      let c = <f64>(u < v);
      const l = u * c + v * (1.0 - c);
      u = load<f64>(lb + at + 8);
      v = load<f64>(rb + at + 8);
      c = <f64>(u > v);
      const h = u * c + v * (1.0 - c);
      changed |= <i32>(l != load<f64>(b + at)) | <i32>(h != load<f64>(b + at + 8));
      store<f64>(b + at, l);
      store<f64>(b + at + 8, h);
    }
    if (changed == 0) {
      n = load<i32>(r + PARENT);
      break;
    }
  }
  for (; n >= 0; ) {
    const r = rec(tb, n);
    store<i32>(r + MASS, load<i32>(r + MASS) - 1);
    n = load<i32>(r + PARENT);
  }
}

/** The uniform draw in [0, 1) of an insert's random cut (the forest's generator, imported). */
@external('env', 'rand')
declare function rand(): f64;

/** `insert`'s results other than a leaf id. */
const REFUSED: i32 = -2; // a coordinate is not finite (nothing changed)
const NO_CUT: i32 = -3; // the random cut failed to separate the point from a leaf
const FULL: i32 = -4; // no free node for the new leaf and its parent (nothing changed)

/** `CutTree.alloc`: a node from tree t's free list (the caller checked there is one), as a leaf. */
function alloc(t: i32, tb: usize, nb: i32): i32 {
  const m: usize = META + ((<usize>t) << 3);
  const k = load<i32>(m + 4) - 1;
  store<i32>(m + 4, k);
  const n = load<i32>(FREE + ((<usize>(nb + k)) << 2));
  const r = rec(tb, n);
  store<i32>(r + LEFT, -1);
  store<i32>(r + RIGHT, -1);
  store<i32>(r + CUT_DIM, -1);
  store<i32>(r + MASS, 0);
  store<i32>(r + PARENT, -1);
  const g = nb + n;
  const w: usize = NAV + ((<usize>g) << 4);
  store<i32>(w + 8, g);
  store<i32>(w + 12, g);
  store<i32>(CDIM + ((<usize>g) << 2), -1);
  return n;
}

/** `CutTree.newLeaf`: a leaf holding the point at `p` (-0 stored as +0). */
function newLeaf(t: i32, tb: usize, nb: i32, p: usize): i32 {
  const n = alloc(t, tb, nb);
  const b = rec(tb, n) + 32;
  for (let j = 0; j < D; j++) {
    const x = load<f64>(p + ((<usize>j) << 3)) + 0.0;
    store<f64>(b + ((<usize>j) << 4), x);
    store<f64>(b + ((<usize>j) << 4) + 8, x);
  }
  store<i32>(rec(tb, n) + MASS, 1);
  store<f64>(NAV + ((<usize>(nb + n)) << 4), load<f64>(b));
  return n;
}

/** `prevDouble`: the largest double below finite x. */
@inline
function prevDouble(x: f64): f64 {
  if (x == 0) return -4.9406564584124654e-324;
  return reinterpret<f64>(reinterpret<i64>(x) + (x > 0 ? -1 : 1));
}

/**
 * `CutTree.insert` of the point at `p` into tree t: the leaf id that holds it, or `REFUSED`,
 * `NO_CUT` or `FULL`. The same steps, comparisons and doubles as the JavaScript insert: the walk
 * down while the point is inside the boxes, then a random cut on the merged box of the first node
 * it is outside of (one `rand` draw; a cut that falls inside the node's own box does not separate,
 * and the walk goes on to the child, which draws again), then the ancestors' masses and boxes.
 * `path` (CAP + 1 int32) is scratch.
 */
export function insert(t: i32, p: usize, path: usize): i32 {
  const d = D;
  const st = ST;
  const nb = t * CAP;
  const tb: usize = REC + ((<usize>nb * <usize>st) << 3);
  const meta: usize = META + ((<usize>t) << 3);
  let node = load<i32>(meta);
  if (node < 0) {
    for (let j = 0; j < d; j++) {
      const x = load<f64>(p + ((<usize>j) << 3));
      if (!(x - x == 0)) return REFUSED;
    }
    if (load<i32>(meta + 4) < 1) return FULL;
    const leaf = newLeaf(t, tb, nb, p);
    store<i32>(meta, leaf);
    return leaf;
  }
  let len = 0;
  let leaf = -1;
  let firstOut = -1;
  for (;;) {
    const r = rec(tb, node);
    const b = r + 32;
    const isLeaf = load<i32>(r + LEFT) < 0;
    if (firstOut < 0) {
      let out = 0;
      for (let j = 0; j < d; j++) {
        const x = load<f64>(p + ((<usize>j) << 3));
        const at: usize = (<usize>j) << 4;
        out |= <i32>(x < load<f64>(b + at)) | <i32>(x > load<f64>(b + at + 8));
      }
      if (out == 0) {
        if (isLeaf) {
          // inside a leaf's box but not its point: a NaN coordinate
          for (let j = 0; j < d; j++) {
            if (load<f64>(b + ((<usize>j) << 4)) != load<f64>(p + ((<usize>j) << 3))) return REFUSED;
          }
          store<i32>(r + MASS, load<i32>(r + MASS) + 1);
          leaf = node;
          break;
        }
        store<i32>(path + ((<usize>len) << 2), node);
        len++;
        const cd = load<i32>(r + CUT_DIM);
        node = load<i32>(r + LEFT + ((<usize>(load<f64>(p + ((<usize>cd) << 3)) > load<f64>(r))) << 2));
        continue;
      }
      firstOut = len;
      // p is outside this box, so it is no copy of a stored point: it will need a new leaf and
      // parent. A full tree is refused here, before anything changed and before any draw.
      if (load<i32>(meta + 4) < 2) return FULL;
    }
    // Sum of the ranges of the merged box.
    let total = 0.0;
    for (let j = 0; j < d; j++) {
      const x = load<f64>(p + ((<usize>j) << 3));
      const l = load<f64>(b + ((<usize>j) << 4));
      const h = load<f64>(b + ((<usize>j) << 4) + 8);
      const g = <f64>(x > h);
      const s = <f64>(x < l);
      total += x * g + h * (1.0 - g) - (x * s + l * (1.0 - s));
    }
    if (isNaN(total)) return REFUSED;
    // Random cut on the merged box, the dimension chosen proportionally to its range.
    let rr = rand() * total;
    let cd = -1;
    let cv = 0.0;
    let lastPos = -1;
    for (let j = 0; j < d; j++) {
      const x = load<f64>(p + ((<usize>j) << 3));
      const l = load<f64>(b + ((<usize>j) << 4));
      const h = load<f64>(b + ((<usize>j) << 4) + 8);
      const mn = x < l ? x : l;
      const mx = x > h ? x : h;
      const range = mx - mn;
      if (range <= 0) continue;
      lastPos = j;
      if (rr <= range) {
        cd = j;
        cv = mn + rr;
        if (cv >= mx) cv = prevDouble(mx);
        break;
      }
      rr -= range;
    }
    if (cd < 0) {
      // Rounding left r a hair above the last positive range: cut just below its max.
      cd = lastPos;
      cv = prevDouble(max<f64>(load<f64>(p + ((<usize>cd) << 3)), load<f64>(b + ((<usize>cd) << 4) + 8)));
    }
    const below = load<f64>(b + ((<usize>cd) << 4)) > cv; // p goes left, node right
    const above = load<f64>(b + ((<usize>cd) << 4) + 8) <= cv; // node left, p right
    if (below || above) {
      leaf = newLeaf(t, tb, nb, p);
      const inner = alloc(t, tb, nb);
      const ir = rec(tb, inner);
      for (let j = 0; j < d; j++) {
        const x = load<f64>(p + ((<usize>j) << 3)) + 0.0;
        const at: usize = (<usize>j) << 4;
        store<f64>(ir + 32 + at, min<f64>(x, load<f64>(b + at)));
        store<f64>(ir + 40 + at, max<f64>(x, load<f64>(b + at + 8)));
      }
      store<f64>(ir, cv);
      store<i32>(ir + CUT_DIM, cd);
      store<i32>(ir + MASS, load<i32>(r + MASS) + 1);
      store<i32>(ir + LEFT, below ? leaf : node);
      store<i32>(ir + RIGHT, below ? node : leaf);
      // setNav(inner)
      const g = nb + inner;
      const w: usize = NAV + ((<usize>g) << 4);
      store<f64>(w, cv);
      store<i32>(w + 8, link(tb, nb, load<i32>(ir + LEFT)));
      store<i32>(w + 12, link(tb, nb, load<i32>(ir + RIGHT)));
      store<i32>(CDIM + ((<usize>g) << 2), cd);
      const par = load<i32>(r + PARENT);
      store<i32>(ir + PARENT, par);
      // setChild(par, node, inner)
      if (par < 0) store<i32>(meta, inner);
      else {
        const pr = rec(tb, par);
        const pw: usize = NAV + ((<usize>(nb + par)) << 4);
        if (load<i32>(pr + LEFT) == node) {
          store<i32>(pr + LEFT, inner);
          store<i32>(pw + 8, link(tb, nb, inner));
        } else {
          store<i32>(pr + RIGHT, inner);
          store<i32>(pw + 12, link(tb, nb, inner));
        }
      }
      store<i32>(r + PARENT, inner);
      store<i32>(rec(tb, leaf) + PARENT, inner);
      break;
    }
    if (isLeaf) return NO_CUT;
    store<i32>(path + ((<usize>len) << 2), node);
    len++;
    node = load<i32>(r + LEFT + ((<usize>(load<f64>(p + ((<usize>load<i32>(r + CUT_DIM)) << 3)) > load<f64>(r))) << 2));
  }
  // Ancestors: mass + 1; the boxes p was outside of (path index firstOut on) grow to include it.
  const grow = firstOut < 0 ? len : firstOut;
  for (let k = 0; k < grow; k++) {
    const r = rec(tb, load<i32>(path + ((<usize>k) << 2)));
    store<i32>(r + MASS, load<i32>(r + MASS) + 1);
  }
  for (let k = grow; k < len; k++) {
    const r = rec(tb, load<i32>(path + ((<usize>k) << 2)));
    store<i32>(r + MASS, load<i32>(r + MASS) + 1);
    const b = r + 32;
    for (let j = 0; j < d; j++) {
      const y = load<f64>(p + ((<usize>j) << 3)) + 0.0;
      const at: usize = (<usize>j) << 4;
      let v = load<f64>(b + at);
      let c = <f64>(y < v);
      store<f64>(b + at, y * c + v * (1.0 - c));
      v = load<f64>(b + at + 8);
      c = <f64>(y > v);
      store<f64>(b + at + 8, y * c + v * (1.0 - c));
    }
  }
  return leaf;
}
