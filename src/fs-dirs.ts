/**
 * `mkdir -p` that always ends. Node 20's own `mkdir(path, { recursive: true })` never returns (nor
 * throws) when the kernel answers ENOENT for a folder whose parent exists, as it does for any path
 * under `/proc`: its loop makes the parent again and again. Every folder tsad makes goes through these
 * instead: one level at a time, each level tried at most twice, so a path where no folder can be made
 * fails with ENOENT. A path part that is a file fails with ENOTDIR (EEXIST when it is the last part).
 * No imports beyond Node's: the command line's start-up code uses it.
 */
import { promises as fsp, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

const errno = (err: unknown): unknown => (err as { code?: unknown } | null)?.code;

/** Makes `path` and its missing parents (async); resolves when `path` is a folder. */
export async function makeDirs(path: string): Promise<void> {
  try {
    await fsp.mkdir(path);
    return;
  } catch (err) {
    if (errno(err) === 'EEXIST') {
      if ((await fsp.stat(path)).isDirectory()) return;
      throw err;
    }
    if (errno(err) !== 'ENOENT' || dirname(path) === path) throw err;
  }
  await makeDirs(dirname(path));
  await fsp.mkdir(path).catch(async (err: unknown) => {
    if (errno(err) !== 'EEXIST' || !(await fsp.stat(path)).isDirectory()) throw err;
  });
}

/** Makes `path` and its missing parents (sync); returns when `path` is a folder. */
export function makeDirsSync(path: string): void {
  try {
    mkdirSync(path);
    return;
  } catch (err) {
    if (errno(err) === 'EEXIST') {
      if (statSync(path).isDirectory()) return;
      throw err;
    }
    if (errno(err) !== 'ENOENT' || dirname(path) === path) throw err;
  }
  makeDirsSync(dirname(path));
  try {
    mkdirSync(path);
  } catch (err) {
    if (errno(err) !== 'EEXIST' || !statSync(path).isDirectory()) throw err;
  }
}
