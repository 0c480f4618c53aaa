/**
 * Released forest memories kept for reuse (docs/rcf.md, "Released forests"). Each forest owns a
 * WebAssembly memory, and V8 frees one only at a full collection, which it does not run for memory it
 * cannot see; a service that drops series and starts new ones (an LRU, DELETE, a reload) thus piled up
 * dead forests (docs/evaluation.md, rss43 and serve44). A forest released by its only owner
 * (`releaseForest` in forest.ts) gives its buffers back here, and the next forest of the same sizes takes them
 * instead of reserving new ones. Per thread (module state, empty until a forest is released), bounded
 * by `POOL_MAX_BYTES`: a release beyond it leaves the memory to the collector as before.
 */
import type { WasmMemory } from './wasm/walk-module.js';

/** The buffers of one forest's state that do not depend on its options beyond its sizes. */
export interface ForestBuffers {
  /**
   * The trees (node records, walk-down arrays, free lists, roots), the job exchange's doubles and the
   * walks' scratch, at the byte addresses of `forestLayout`: the memory the WebAssembly walks read
   * (shared, exactly sized up front, never grown).
   */
  readonly wasm: WasmMemory;
  readonly weights: SharedArrayBuffer;
  readonly seqs: SharedArrayBuffer;
  readonly leaves: SharedArrayBuffer;
  readonly sizes: SharedArrayBuffer;
  readonly reject: SharedArrayBuffer;
  readonly bound: SharedArrayBuffer;
  readonly rs: SharedArrayBuffer;
}

/** The most bytes the pool keeps by default (about 20 forests of the default ensemble's 20 trees × 512 points). */
export const POOL_MAX_BYTES = 64 * 2 ** 20;

const pool = new Map<string, ForestBuffers[]>();
let pooledBytes = 0;
let maxBytes = POOL_MAX_BYTES;
let taken = 0;

const keyOf = (d: number, T: number, S: number): string => `${d},${T},${S}`;

function bytesOf(b: ForestBuffers): number {
  return (
    b.wasm.buffer.byteLength +
    b.weights.byteLength +
    b.seqs.byteLength +
    b.leaves.byteLength +
    b.sizes.byteLength +
    b.reject.byteLength +
    b.bound.byteLength +
    b.rs.byteLength
  );
}

/**
 * Keeps the buffers of a released forest of these sizes for the next one, when the pool has room.
 * The caller must own them alone: no other forest, view or thread may use them after this call.
 */
export function poolForestBuffers(d: number, T: number, S: number, b: ForestBuffers): boolean {
  const bytes = bytesOf(b);
  if (pooledBytes + bytes > maxBytes) return false;
  const key = keyOf(d, T, S);
  // the buffers only (not the forest's options or control words the caller's object may also hold)
  const { wasm, weights, seqs, leaves, sizes, reject, bound, rs } = b;
  const kept: ForestBuffers = { wasm, weights, seqs, leaves, sizes, reject, bound, rs };
  const list = pool.get(key);
  if (list) list.push(kept);
  else pool.set(key, [kept]);
  pooledBytes += bytes;
  return true;
}

/**
 * Buffers of a released forest of these sizes, every byte zero as newly reserved ones are (unless
 * `zero` is false: the caller overwrites every byte, as `CutForest.clone` does), or undefined when none
 * is kept.
 */
export function takeForestBuffers(d: number, T: number, S: number, zero = true): ForestBuffers | undefined {
  const key = keyOf(d, T, S);
  const list = pool.get(key);
  const b = list?.pop();
  if (!b) return undefined;
  if (list!.length === 0) pool.delete(key);
  pooledBytes -= bytesOf(b);
  taken++;
  if (zero)
    for (const buf of [b.wasm.buffer, b.weights, b.seqs, b.leaves, b.sizes, b.reject, b.bound, b.rs])
      new Uint8Array(buf).fill(0);
  return b;
}

/** What the pool holds now, and how many forests took their memory from it so far (tests, benches). */
export function forestPoolStats(): {
  readonly forests: number;
  readonly bytes: number;
  readonly reused: number;
} {
  let forests = 0;
  for (const list of pool.values()) forests += list.length;
  return { forests, bytes: pooledBytes, reused: taken };
}

/** Empties the pool (its memories are left to the collector). */
export function clearForestPool(): void {
  pool.clear();
  pooledBytes = 0;
}

/**
 * Sets the most bytes the pool keeps from now on (0: released forests are left to the collector, as
 * before the pool); empties it. Returns the bound it had. For tests and benches.
 */
export function setForestPoolMaxBytes(bytes: number): number {
  const was = maxBytes;
  maxBytes = bytes;
  clearForestPool();
  return was;
}
