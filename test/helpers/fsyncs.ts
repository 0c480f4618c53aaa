import fs, { promises as fsp, fstatSync, statSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { dirname } from 'node:path';

/** One `FileHandle.sync()` of this process: the inode synced, and whether it is a folder. */
export interface Fsync {
  readonly ino: number;
  readonly dir: boolean;
}

type SyncFn = (this: fsp.FileHandle) => Promise<void>;

/**
 * Records every `FileHandle.sync()` (fsync through `fs.promises`) of this process until `restore()`;
 * with `fail`, each sync of a regular file fails with that error instead (the temp file of a write
 * exists by then: a failure after it was made).
 */
export async function recordFsyncs(
  fail?: NodeJS.ErrnoException,
): Promise<{ syncs: Fsync[]; restore(): void }> {
  const fh = await fsp.open(process.cwd(), 'r');
  const proto = Object.getPrototypeOf(fh) as { sync: SyncFn };
  await fh.close();
  const orig = proto.sync;
  const syncs: Fsync[] = [];
  proto.sync = async function (this: fsp.FileHandle) {
    const st = await this.stat();
    syncs.push({ ino: st.ino, dir: st.isDirectory() });
    if (fail && !st.isDirectory()) throw fail;
    return orig.call(this);
  };
  return {
    syncs,
    restore() {
      proto.sync = orig;
    },
  };
}

/**
 * `recordFsyncs` for `fs.fsyncSync` (the synchronous writes of `writeFileAtomicSync`): records every
 * call until `restore()`; with `fail`, the `failAt`-th sync of a regular file (1-based; default the
 * first) and every one after it fails with that error instead.
 */
export function recordFsyncsSync(
  fail?: NodeJS.ErrnoException,
  failAt = 1,
): { syncs: Fsync[]; restore(): void } {
  const syncs: Fsync[] = [];
  let files = 0;
  const restore = standInFs('fsyncSync', (orig) => (fd: number) => {
    const st = fstatSync(fd);
    syncs.push({ ino: st.ino, dir: st.isDirectory() });
    if (fail && !st.isDirectory() && ++files >= failAt) throw fail;
    orig(fd);
  });
  return { syncs, restore };
}

/**
 * Puts `make(original)` in place of node:fs' export `name` until the returned function is called, which
 * puts the original back. Named imports of node:fs see the stand-in too (`syncBuiltinESMExports`).
 */
export function standInFs<K extends keyof typeof fs>(
  name: K,
  make: (original: (typeof fs)[K]) => (typeof fs)[K],
): () => void {
  // node:fs' own object: writable at run time, though its types make some exports read-only
  const live = fs as Record<K, (typeof fs)[K]>;
  const original = live[name];
  live[name] = make(original);
  syncBuiltinESMExports();
  return () => {
    live[name] = original;
    syncBuiltinESMExports();
  };
}

/**
 * Whether `path` was written durably: its own bytes fsynced (the inode a rename keeps) and, with
 * `folder`, its folder fsynced after (the rename recorded).
 */
export function syncedDurably(syncs: readonly Fsync[], path: string, folder = true): boolean {
  const file = statSync(path).ino;
  const at = syncs.findIndex((s) => !s.dir && s.ino === file);
  if (at < 0) return false;
  if (!folder) return true;
  const dir = statSync(dirname(path)).ino;
  return syncs.slice(at + 1).some((s) => s.dir && s.ino === dir);
}

/** An fs error as Node makes them (`code`, `syscall`). */
export function ioError(code = 'EIO'): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: i/o error, fsync`), { code, syscall: 'fsync', errno: -5 });
}

/** The temp files of tsad's atomic writes in `dir` (`.tmp-…`), and of the writes before them (`*.tmp`). */
export function tempFiles(names: readonly string[]): string[] {
  return names.filter((n) => n.startsWith('.tmp-') || n.endsWith('.tmp') || n.includes('.tmp-'));
}
