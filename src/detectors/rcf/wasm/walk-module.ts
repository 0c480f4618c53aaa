import { DetectorError } from '../../../errors.js';
import { WALK_WASM } from './walk-wasm.js';

/**
 * A shared `WebAssembly.Memory` (only what the forest uses of it: TypeScript's ES libraries do not
 * declare the WebAssembly API). Its buffer is a SharedArrayBuffer; it can be posted to a worker.
 */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
}

/** The exports of the forest walks' WebAssembly module (walk.ts). */
export interface WalkExports {
  /** Tells this instance where the forest's arrays are (byte addresses in its memory). */
  setup(
    d: number,
    cap: number,
    rec: number,
    nav: number,
    cdim: number,
    meta: number,
    free: number,
    log: number,
    inv: number,
  ): void;
  /** Scores of trees `[a, b)` for the query at byte `q` into the doubles at `out + 8t`, `paths` as scratch. */
  scoreTrees(a: number, b: number, q: number, out: number, paths: number): void;
  /** `CutTree.deleteLeaf` of tree t (`leaf` must be a live leaf of it). */
  deleteLeaf(t: number, leaf: number): void;
  /**
   * `CutTree.insert` of the point at byte `p` into tree t, drawing from the instance's `rand`: the leaf
   * that holds it, or `INSERT_REFUSED` (a coordinate not finite), `INSERT_NO_CUT` or `INSERT_FULL`
   * (nothing changed). `path` (2S + 1 int32) is scratch.
   */
  insert(t: number, p: number, path: number): number;
}

/** `insert`'s results other than a leaf (walk.ts). */
export const INSERT_REFUSED = -2;
export const INSERT_NO_CUT = -3;
export const INSERT_FULL = -4;

interface WasmApi {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

const api = (): WasmApi => (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/**
 * A shared memory of exactly `pages` 64 KiB pages (it never grows: views of its buffer stay valid).
 * Throws `bad_capacity` when it cannot be had: V8 reserves address space for each WebAssembly memory
 * (about 10 GB of virtual addresses on 64-bit systems), so a process holds at most some ten thousand
 * of them at once.
 */
export function sharedMemory(pages: number): WasmMemory {
  try {
    return new (api().Memory)({ initial: pages, maximum: pages, shared: true });
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new DetectorError(
      'bad_capacity',
      `cannot reserve ${pages * 64} KiB of WebAssembly memory for a random cut forest or tree (${e.message}): too many forests are alive at once, or the memory is too large; drop references to forests no longer used, or use fewer trees or samples`,
    );
  }
}

/**
 * Byte addresses of a forest's arrays in its WebAssembly memory (docs/rcf.md, Round 6). Doubles
 * first, then int32 arrays, each 8-byte aligned. Per thread (`[0]` the forest's own, `[1]` a worker's):
 * the query, the tree scores and the paths of the four trees walked together.
 */
export interface ForestLayout {
  /** Trees in the memory. */
  readonly trees: number;
  /** Node records of all trees, tree t at `rec + t · 2S · stride · 8`. */
  readonly rec: number;
  /** Walk-down words, 16 bytes per slot (tree t owns slots `[t·2S, (t+1)·2S)`). */
  readonly nav: number;
  /** `log2(k + 1)` and `1 / (k + 1)` for k = 0 … 2S (the walks' tables). */
  readonly log: number;
  readonly inv: number;
  /** Job exchange: point, update number, per-tree scores. */
  readonly job: number;
  readonly q: readonly [number, number];
  readonly out: readonly [number, number];
  readonly paths: readonly [number, number];
  readonly cdim: number;
  readonly free: number;
  /** Per tree `[root, nFree]`. */
  readonly meta: number;
  readonly bytes: number;
}

export function forestLayout(d: number, T: number, S: number): ForestLayout {
  const nodes = T * 2 * S;
  const cap = 2 * S;
  let at = 0;
  const take = (bytes: number): number => {
    const a = at;
    at = Math.ceil((at + bytes) / 8) * 8;
    return a;
  };
  const rec = take(nodes * (4 + 2 * d) * 8);
  const nav = take(nodes * 16);
  const log = take((cap + 1) * 8);
  const inv = take((cap + 1) * 8);
  const job = take((d + 1 + T) * 8);
  const q0 = take(d * 8);
  const out0 = take(T * 8);
  const q1 = take(d * 8);
  const out1 = take(T * 8);
  const p0 = take(4 * cap * 4);
  const p1 = take(4 * cap * 4);
  const cdim = take(nodes * 4);
  const free = take(nodes * 4);
  const meta = take(T * 8);
  return {
    trees: T,
    rec,
    nav,
    log,
    inv,
    job,
    q: [q0, q1],
    out: [out0, out1],
    paths: [p0, p1],
    cdim,
    free,
    meta,
    bytes: at,
  };
}

/** WebAssembly pages (64 KiB) of a forest's memory; at most 65,536 (4 GiB, the 32-bit address space). */
export function forestPages(layout: ForestLayout): number {
  return Math.ceil(layout.bytes / 65536);
}

/**
 * Prepares a fresh forest memory: every walk-down slot a free leaf (cut dimension -1) and the walks'
 * tables (`log2(k + 1)` as JavaScript's Math.log2 computes it, and `1 / (k + 1)`).
 */
export function initForestMemory(memory: WasmMemory, L: ForestLayout, T: number, S: number): void {
  const cap = 2 * S;
  new Int32Array(memory.buffer, L.cdim, T * cap).fill(-1);
  const log = new Float64Array(memory.buffer, L.log, cap + 1);
  const inv = new Float64Array(memory.buffer, L.inv, cap + 1);
  for (let k = 0; k <= cap; k++) {
    log[k] = Math.log2(k + 1);
    inv[k] = 1 / (k + 1);
  }
}

/** The uniform draw of the insert running now (`setDraw`): what every instance's `rand` import calls. */
let current: () => number = () => 0;
const rand = (): number => current();

/** Sets where the next inserts draw their uniform numbers. */
export function setDraw(draw: () => number): void {
  current = draw;
}

let compiled: object | null = null;

/**
 * An instance of the walks over `memory` (compiled on the first call in this thread, so importing this
 * module runs nothing), set up for a forest of `T` trees of `S` points of `d` coordinates laid out by
 * `forestLayout`. Its inserts draw from what `setDraw` set; a mass beyond the log table's `2S` (a
 * standalone tree holding many copies of a point) takes its logarithm from Math.log2.
 */
export function walkInstance(memory: WasmMemory, L: ForestLayout, d: number, S: number): WalkExports {
  compiled ??= new (api().Module)(Buffer.from(WALK_WASM, 'base64'));
  const env = { memory, rand, log2: Math.log2 };
  const walk = new (api().Instance)(compiled, { env }).exports as WalkExports;
  walk.setup(d, 2 * S, L.rec, L.nav, L.cdim, L.meta, L.free, L.log, L.inv);
  return walk;
}
