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

/** A shared memory of exactly `pages` 64 KiB pages (it never grows: views of its buffer stay valid). */
export function sharedMemory(pages: number): WasmMemory {
  return new (api().Memory)({ initial: pages, maximum: pages, shared: true });
}

let compiled: object | null = null;

/**
 * An instance of the walks over `memory`, its inserts drawing from `rand` (compiled on the first call
 * in this thread, so importing this module runs nothing).
 */
export function walkInstance(memory: WasmMemory, rand: () => number): WalkExports {
  compiled ??= new (api().Module)(Buffer.from(WALK_WASM, 'base64'));
  return new (api().Instance)(compiled, { env: { memory, rand } }).exports as WalkExports;
}
