/**
 * tsad's WebAssembly modules are compiled from AssemblyScript sources (the forest's walks,
 * src/detectors/rcf/wasm/walk.ts, and the direct autocorrelation sums, src/math/wasm/acf.ts) by
 * scripts/build-wasm.mjs into committed modules (walk-wasm.ts, acf-wasm.ts): each must be what its
 * source compiles to now, so that a change to a source cannot ship with stale bytes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

interface WasmModule {
  source: string;
  generated: string;
}
interface BuildWasm {
  MODULES: WasmModule[];
  compileModule(module: WasmModule): Promise<Uint8Array>;
  moduleText(module: WasmModule, bytes: Uint8Array): string;
  generatedPath(module: WasmModule): string;
}
const script = pathToFileURL(join(import.meta.dirname, '..', '..', '..', 'scripts', 'build-wasm.mjs')).href;

describe('the committed WebAssembly modules', () => {
  it('are the walks and the autocorrelation sums', async () => {
    const { MODULES } = (await import(script)) as BuildWasm;
    expect(MODULES.map((m) => m.source)).toEqual(['src/detectors/rcf/wasm/walk.ts', 'src/math/wasm/acf.ts']);
  });

  it('are what their sources compile to (run node scripts/build-wasm.mjs after changing one)', async () => {
    const { MODULES, compileModule, moduleText, generatedPath } = (await import(script)) as BuildWasm;
    const wasm = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly;
    for (const module of MODULES) {
      const bytes = await compileModule(module);
      // a valid module (what `walkInstance` and the autocorrelation compile)
      expect(wasm.validate(bytes)).toBe(true);
      expect(readFileSync(generatedPath(module), 'utf8')).toBe(moduleText(module, bytes));
    }
  }, 60_000);
});
