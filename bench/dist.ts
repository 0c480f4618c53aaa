/**
 * `--dist DIR` of the benches that compare builds: where a module of DIR's compiled `dist/src` is, or of
 * this checkout's `src` when DIR is absent. DIR must be a whole built checkout: a folder without its
 * package.json ("type": "module") is refused, since its ES module files would load as CommonJS (tsx
 * compiles each one on the fly) and V8 compiles the forest's walks from that code to 10–24 % more
 * instructions (speed round 28 of docs/evaluation.md).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The import specifier of module `rel` (e.g. `detectors/default`) in `dist`'s build, or in `src`. */
export function distModules(dist: string | undefined): (rel: string) => string {
  if (dist !== undefined) {
    let type: unknown;
    try {
      type = (JSON.parse(readFileSync(resolve(dist, 'package.json'), 'utf8')) as { type?: unknown }).type;
    } catch {
      type = undefined;
    }
    if (type !== 'module') {
      throw new Error(
        `--dist ${dist}: no package.json with "type": "module" there; give a whole checkout (git archive or worktree, built), not a copy of its dist folder`,
      );
    }
  }
  return (rel) =>
    dist === undefined ? `../src/${rel}.js` : pathToFileURL(resolve(dist, 'dist/src', `${rel}.js`)).href;
}
