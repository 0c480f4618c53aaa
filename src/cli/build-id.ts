/**
 * The build of tsad this process runs: the digest of the command line's bundle (dist/cli/tsad.cjs) that
 * the bin writes at build time and runs it with (`runBundle`). The bin and the bundle are two module
 * graphs in one thread, so it is handed over through a registered symbol on the global object. It is
 * undefined when tsad runs from its TypeScript sources (tsx, vitest) or as a library. This module imports
 * nothing: the bin loads it before the bundle.
 */
const SLOT = Symbol.for('tsad.cli.buildId');
type Slot = { [SLOT]?: string };

/** @internal Records the build the bin runs (`runBundle`). */
export function setRunningBuild(id: string): void {
  (globalThis as Slot)[SLOT] = id;
}

/** @internal The build the bin runs, or undefined (sources, library). */
export function runningBuild(): string | undefined {
  return (globalThis as Slot)[SLOT];
}
