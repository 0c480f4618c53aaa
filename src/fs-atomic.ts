/**
 * Whole-or-nothing file writes, the one way tsad replaces a file: a temp file beside the target
 * (created with O_EXCL), written, fsynced, renamed over the target, and with `syncDir` the folder
 * fsynced too so that the rename itself survives power loss. Readers see the old or the new content,
 * never a mix; a failed write removes its temp file and leaves the target as it was.
 *
 * The temp files of writes in progress are remembered, so that a process ending in the middle of one
 * (the CLI's interrupt handler, src/cli/interrupt.ts, through `abandonWrites` in
 * src/tracking/fsutil.ts) can remove them. Used by the tracking store, the serving checkpoints, the
 * NAB downloads, the command line's output files (reports included) and code cache, the NAB result
 * files, the bench's run manifests and scoreboards, and the synthetic corpora; the local store's
 * create-only-if-absent writes (`createFileExclusive` in src/tracking/fsutil.ts) share its temp-file steps
 * (`viaTemp`). No imports
 * beyond Node's: the command line's start-up code (src/cli/code-cache.ts) uses it. Not part of the
 * public entry points.
 */
import {
  closeSync,
  constants,
  promises as fsp,
  fsyncSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * A fresh temp file name beside `path` (`.tmp-<pid>-<12 hex digits>`: the local store's readers skip
 * `.tmp-` entries). The digits come from `Math.random`, not `node:crypto`: the name needs to be unique,
 * not secret (the pid separates processes, and the temp file is created with O_EXCL, so a clash fails
 * instead of sharing a file), and loading `node:crypto` would cost the bin's start-up several ms.
 */
export function tmpName(path: string): string {
  const hex = Math.floor(Math.random() * 2 ** 48)
    .toString(16)
    .padStart(12, '0');
  return join(dirname(path), `.tmp-${process.pid}-${hex}`);
}

/**
 * Temp files of this process's writes in progress (added when made, removed when renamed, linked or
 * removed). The lock file code of src/tracking/fsutil.ts registers its own temp files here too.
 */
export const liveTemps = new Set<string>();
/** This process's atomic writes and locked sections in progress (`settleWrites` waits for them). */
const inFlight = new Set<Promise<unknown>>();

/** Registers `p` as a write in progress until it settles; returns `p`. */
export function track<T>(p: Promise<T>): Promise<T> {
  inFlight.add(p);
  const done = (): void => {
    inFlight.delete(p);
  };
  p.then(done, done);
  return p;
}

/**
 * Whether this process has an atomic write or locked section in progress now. A process about to exit
 * checks it synchronously just before `removeLiveTemps` and `process.exit`: `settleWrites` resolving
 * true says there was none when it looked, but code that runs before its caller resumes can start a
 * write, whose temp file would then be made by the open already on its way after it was removed.
 */
export function writesPending(): boolean {
  return inFlight.size > 0;
}

/**
 * Waits until this process has no atomic write or locked section in progress (including those
 * started meanwhile), for at most `timeoutMs`; true when it got there. A process about to exit calls
 * it first, so that no write is cut between taking a lock or a temp file and letting it go, then
 * `abandonWrites()` for whatever did not finish in time.
 */
export async function settleWrites(timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (inFlight.size > 0) {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...inFlight]),
      new Promise<void>((r) => {
        timer = setTimeout(r, left);
      }),
    ]);
    clearTimeout(timer);
  }
  return true;
}

/**
 * Removes the temp files of writes still in progress (synchronously: called just before the process
 * exits, when no write of its will finish). A write cut short never replaces its target (the rename
 * is the last step), so every file keeps its last complete version.
 */
export function removeLiveTemps(): void {
  for (const tmp of liveTemps) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // renamed or removed meanwhile
    }
  }
  liveTemps.clear();
}

/** Fsyncs folder `dir` (its entries: renames, links and new files in it survive power loss); best effort. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, constants.O_RDONLY);
    await fh.sync();
  } catch {
    // some file systems cannot fsync directories; the rename is still atomic
  } finally {
    await fh?.close();
  }
}

/** Fsyncs folder `dir` (its entries: renames and new files in it survive power loss); best effort. */
export function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, constants.O_RDONLY);
    fsyncSync(fd);
  } catch {
    // some file systems cannot fsync directories; the rename is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;

/**
 * The mode of a file whose permissions the user's umask decides (0o666 less the umask, as `fs.writeFile`
 * and any tool create one): files the user asked for, and the serving checkpoints, which hold a user's
 * model state (umask 077 makes them 0o600, a shared group's 002 0o664).
 */
export const UMASK_MODE = 0o666;

/**
 * Writes a file atomically: temp file in the same directory, fsync, rename over the target.
 * Readers see the old or the new content, never a mix, even after power loss. With `syncDir` the
 * directory is fsynced too, so the rename itself survives power loss. `mode` is the new file's
 * permission bits before the umask (default 0o644; 0o666 for a file the user asked for, as any
 * tool creates one). Errors are Node's own (`code` ENOENT, EISDIR, ENOSPC, …); the temp file is
 * removed and the target left as it was.
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  syncDir = false,
  mode = 0o644,
): Promise<void> {
  return track(writeAtomic(path, data, syncDir, mode));
}

async function writeAtomic(
  path: string,
  data: string | Uint8Array,
  syncDir: boolean,
  mode: number,
): Promise<void> {
  await viaTemp(path, data, mode, (tmp) => fsp.rename(tmp, path));
  if (syncDir) await fsyncDir(dirname(path));
}

/**
 * The steps every atomic write of this file shares: writes `data` to a fresh temp file beside `path`
 * (O_EXCL, registered in `liveTemps`), fsyncs and closes it, then `place(tmp)` puts it in place (a
 * rename over the target, or a link that must not replace one). A failure at any step after the temp
 * file was made removes it and is thrown as it is; the target is touched only by `place`.
 */
export async function viaTemp<T>(
  path: string,
  data: string | Uint8Array,
  mode: number,
  place: (tmp: string) => Promise<T>,
): Promise<T> {
  const tmp = tmpName(path);
  liveTemps.add(tmp);
  try {
    const fh = await fsp.open(tmp, CREATE, mode); // failing, it made no file
    try {
      try {
        await fh.writeFile(data);
        await fh.sync();
      } catch (err) {
        await fh.close().catch(() => undefined);
        throw err;
      }
      await fh.close();
      return await place(tmp);
    } catch (err) {
      // the temp file is this write's own (O_EXCL); the write's error is the one to report
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
  } finally {
    liveTemps.delete(tmp);
  }
}

/**
 * `writeFileAtomic`, synchronously, for a caller that cannot wait for a promise: the command line's
 * code cache is written in a `process.on('exit')` handler, where no asynchronous work runs.
 */
export function writeFileAtomicSync(
  path: string,
  data: string | Uint8Array,
  syncDir = false,
  mode = 0o644,
): void {
  const tmp = tmpName(path);
  liveTemps.add(tmp);
  try {
    const fd = openSync(tmp, CREATE, mode); // failing, it made no file
    try {
      try {
        const bytes = typeof data === 'string' ? Buffer.from(data) : data;
        for (let off = 0; off < bytes.byteLength; ) off += writeSync(fd, bytes, off);
        fsyncSync(fd);
      } catch (err) {
        try {
          closeSync(fd);
        } catch {
          // the write's error is the one to report
        }
        throw err;
      }
      closeSync(fd);
      renameSync(tmp, path);
    } catch (err) {
      // the temp file is this write's own (O_EXCL); the write's error is the one to report
      try {
        rmSync(tmp, { force: true });
      } catch {
        // cannot be removed either: left behind (the store's readers skip .tmp- entries)
      }
      throw err;
    }
  } finally {
    liveTemps.delete(tmp);
  }
  if (syncDir) fsyncDirSync(dirname(path));
}
