/**
 * The forest's WebAssembly walks are compiled from src/detectors/rcf/wasm/walk.ts (AssemblyScript) by
 * scripts/build-wasm.mjs into a committed module (walk-wasm.ts): that module must be what the source
 * compiles to now, so that a change to walk.ts cannot ship with stale bytes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

interface BuildWasm {
  compileWalk(): Promise<Uint8Array>;
  moduleText(bytes: Uint8Array): string;
  generated: string;
}
const script = pathToFileURL(join(import.meta.dirname, '..', '..', '..', 'scripts', 'build-wasm.mjs')).href;

describe('the committed WebAssembly walks', () => {
  it('are what walk.ts compiles to (run node scripts/build-wasm.mjs after changing it)', async () => {
    const { compileWalk, moduleText, generated } = (await import(script)) as BuildWasm;
    const bytes = await compileWalk();
    // a valid module (what `walkInstance` compiles)
    const wasm = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly;
    expect(wasm.validate(bytes)).toBe(true);
    expect(readFileSync(generated, 'utf8')).toBe(moduleText(bytes));
  }, 60_000);
});
