/**
 * File-system building blocks of the local store (its atomic writes are src/fs-atomic.ts's
 * `writeFileAtomic`): exclusive creation, an inter-process lock file with stale-lock recovery, and artifact path resolution
 * that refuses symlinks.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fsp, readFileSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { TrackingError } from '../errors.js';
import { fsyncDir, liveTemps, removeLiveTemps, tmpName, track, UMASK_MODE, viaTemp } from '../fs-atomic.js';
import { makeDirs } from '../fs-dirs.js';
import { UnsafePathError } from './tracker.js';

export { makeDirs };

export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/**
 * A file-system failure as a typed error: a full disk (ENOSPC, EDQUOT) is `storage_full`,
 * missing rights or a read-only file system (EACCES, EPERM, EROFS) `storage_denied`; others
 * pass through unchanged.
 */
export function fsError(err: unknown, what: string): unknown {
  if (err instanceof TrackingError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new TrackingError(
      'storage_full',
      `cannot ${what}: the disk holding the tracking store is full (${code}); free some space and retry (nothing half-written was kept)`,
      { cause: err },
    );
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    const path = (err as { path?: unknown }).path;
    return new TrackingError(
      'storage_denied',
      `cannot ${what}: ${code === 'EROFS' ? 'the file system is read-only' : 'permission denied'}${typeof path === 'string' ? ` on ${path}` : ''} (${code}); give this process write access to the tracking store`,
      { cause: err },
    );
  }
  return err;
}

const STORE_PATH_REASONS: Readonly<Record<string, string>> = {
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a file stands where the store needs a folder',
  EISDIR: 'a folder stands where the store needs a file',
  ENOENT: 'no folder can be made there',
  ELOOP: 'the path loops through symlinks',
  ENAMETOOLONG: 'the path is too long',
};

/**
 * A failure to open or create the local store at `root` as a typed error: `fsError`'s codes, and
 * `bad_store_path` when the location cannot hold a store (a file where a folder is expected or the
 * reverse, a place such as `/proc` where no folder can be made). Others pass through unchanged.
 */
export function storePathError(err: unknown, root: string, at?: string): unknown {
  const typed = fsError(err, `create the tracking store at ${root}`);
  if (typed !== err) return typed;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !(code in STORE_PATH_REASONS)) return err;
  const path = (err as { path?: unknown }).path ?? at;
  return new TrackingError(
    'bad_store_path',
    `cannot use ${root} as a tracking store: ${STORE_PATH_REASONS[code]}${typeof path === 'string' && path !== root ? ` (${path})` : ''} (${code}); a local store is a folder of tsad's own files: pass --uri (or set TSAD_TRACKING_URI) to a new or existing store folder in a place this user can write`,
    { cause: err },
  );
}

/** Reads a file without following a symlink in its last component (ELOOP → UnsafePathError). */
export async function readFileNoFollow(path: string): Promise<string> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if (isErrno(err, 'ELOOP')) {
      throw new UnsafePathError(`${path} is a symlink; symlinks inside the store are not followed`);
    }
    throw err;
  }
  try {
    return await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
}

/**
 * Refuses a path inside the store that goes through a symlink: every component from `root`
 * (exclusive) to `path` (inclusive) is checked with lstat. Missing components are fine.
 */
export async function assertNoSymlink(root: string, path: string): Promise<void> {
  const rel = relative(root, path);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new UnsafePathError(`${path} is outside the store ${root}`);
  }
  let cur = root;
  for (const seg of rel.split(sep)) {
    if (seg === '') continue;
    cur = join(cur, seg);
    let st: import('node:fs').Stats;
    try {
      st = await fsp.lstat(cur);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    if (st.isSymbolicLink()) {
      throw new UnsafePathError(`${cur} is a symlink; symlinks inside the store are not followed`);
    }
  }
}

/** The locks this process holds (path → token), released by `abandonWrites`. */
const heldLocks = new Map<string, string>();

/**
 * Releases the locks this process holds and removes the temp files of its writes still in progress
 * (synchronously: called just before the process exits, when no write of its will finish; see
 * `removeLiveTemps` in src/fs-atomic.ts). Readers skip temp files either way (`isTempEntry`), and a
 * lock whose holder is gone is broken by the next writer; this only leaves the store without the
 * clutter.
 */
export function abandonWrites(): void {
  removeLiveTemps();
  for (const [path, token] of heldLocks) {
    try {
      if (readFileSync(path, 'utf8') === token) unlinkSync(path);
    } catch {
      // released meanwhile
    }
  }
  heldLocks.clear();
}

/** Whether a directory entry is a temp file of `writeFileAtomic` / the lock. */
export function isTempEntry(name: string): boolean {
  return name.startsWith('.tmp-') || name.startsWith('.lock');
}

/**
 * Creates `path` with `data` only if it does not exist (temp + fsync + link, through src/fs-atomic.ts's
 * `viaTemp`, then the folder fsynced so the new file survives power loss). Returns false if it already existed. Readers never see a partial file; a failure (a write
 * or fsync error included) is thrown as Node's own error and leaves no temp file.
 */
export function createFileExclusive(path: string, data: string | Uint8Array): Promise<boolean> {
  return track(createExclusive(path, data));
}

async function createExclusive(path: string, data: string | Uint8Array): Promise<boolean> {
  // 0o666 before the umask, as `fs.writeFile` creates a file
  const made = await viaTemp(path, data, UMASK_MODE, async (tmp) => {
    try {
      await fsp.link(tmp, path);
      return true;
    } catch (err) {
      if (isErrno(err, 'EEXIST')) return false;
      throw err;
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  });
  // the new entry (and the temp file's removal) survives power loss, as `writeFileAtomic`'s `syncDir`
  if (made) await fsyncDir(dirname(path));
  return made;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrno(err, 'EPERM');
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface LockOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** A lock held by another host is presumed stale after this long (default 60 s). */
  staleMs?: number;
}

/** Whether a lock file's content names a holder that is gone (dead pid here, or too old elsewhere). */
function isStale(seen: string, staleMs: number): boolean {
  const [h, p, , t] = seen.split('\n');
  if (h === hostname()) return !pidAlive(Number(p));
  const age = Date.now() - Number(t);
  return Number.isFinite(age) && age > staleMs;
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await fsp.readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}

/**
 * An inter-process lock: the file `path`, created atomically (link of a complete temp file)
 * holding `host pid token time`. Nobody but its holder removes a live lock.
 *
 * A lock whose holder is gone (a dead pid on this host; from another host, older than
 * `staleMs`) is broken under a second lock, `<path>.breaker`, taken the same way: holding it,
 * the breaker re-reads the lock and removes it only if it is still the stale one it judged.
 * Since every break happens under the breaker and a dead holder cannot release, the lock cannot
 * change between that read and the removal, so two writers never both hold it (the race the
 * rename-aside scheme had). A breaker left by a process that died within its few milliseconds
 * of breaking is itself removed once its pid is dead; that second level is the one window left.
 * (Hand-written: `proper-lockfile` detects staleness by mtime only, which makes every waiter
 * behind a crashed holder wait its stale period, at least 2 s.)
 */
export async function acquireLock(path: string, opts: LockOptions = {}): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const staleMs = opts.staleMs ?? 60_000;
  const token = `${hostname()}\n${process.pid}\n${randomBytes(8).toString('hex')}\n${Date.now()}\n`;
  const tmp = tmpName(path);
  const breaker = `${path}.breaker`;
  liveTemps.add(tmp);
  try {
    await fsp.writeFile(tmp, token, { flag: 'wx' });
  } catch (err) {
    liveTemps.delete(tmp);
    throw err;
  }
  const deadline = Date.now() + timeoutMs;
  let wait = 1;
  try {
    for (;;) {
      try {
        await fsp.link(tmp, path);
        heldLocks.set(path, token);
        return token;
      } catch (err) {
        if (!isErrno(err, 'EEXIST')) throw err;
      }
      const seen = await readOrNull(path);
      if (seen === null) continue;
      if (isStale(seen, staleMs)) {
        let holdsBreaker = false;
        try {
          await fsp.link(tmp, breaker);
          heldLocks.set(breaker, token);
          holdsBreaker = true;
        } catch (err) {
          if (!isErrno(err, 'EEXIST')) throw err;
          const b = await readOrNull(breaker);
          // a breaker whose holder died mid-break: clear it (only if still that one)
          if (b !== null && isStale(b, staleMs) && (await readOrNull(breaker)) === b) {
            await fsp.unlink(breaker).catch((e: unknown) => {
              if (!isErrno(e, 'ENOENT')) throw e;
            });
          }
        }
        if (holdsBreaker) {
          try {
            if ((await readOrNull(path)) === seen) await fsp.unlink(path);
          } finally {
            await releaseLock(breaker, token);
          }
          continue;
        }
      }
      if (Date.now() > deadline) {
        const [h, p] = seen.split('\n');
        throw new TrackingError(
          'lock_timeout',
          `timed out after ${timeoutMs} ms waiting for the lock ${path} (held by pid ${p} on ${h}); if no tsad process is running, delete that file`,
        );
      }
      await sleep(wait + Math.random() * wait);
      wait = Math.min(wait * 2, 50);
    }
  } finally {
    await fsp.rm(tmp, { force: true });
    liveTemps.delete(tmp);
  }
}

export async function releaseLock(path: string, token: string): Promise<void> {
  try {
    const seen = await fsp.readFile(path, 'utf8');
    if (seen === token) await fsp.unlink(path);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  } finally {
    if (heldLocks.get(path) === token) heldLocks.delete(path);
  }
}

export function withLock<T>(path: string, fn: () => Promise<T>, opts?: LockOptions): Promise<T> {
  return track(
    (async () => {
      const token = await acquireLock(path, opts);
      try {
        return await fn();
      } finally {
        await releaseLock(path, token);
      }
    })(),
  );
}

/**
 * Resolves a validated relative artifact path under `root`, refusing any symlink on the
 * way (directories or the file itself) and checking the real parent stays inside `root`.
 * With `create`, missing directories are made below `root` and `root` itself, not its parent.
 */
export async function resolveInside(root: string, rel: string, create: boolean): Promise<string> {
  const segs = rel.split('/');
  let cur = root;
  // only `root` itself is made (a run's artifacts folder): never its parent, a run's folder that a
  // deletion renamed away, which must not come back
  if (create) {
    await fsp.mkdir(root).catch((err: unknown) => {
      if (!isErrno(err, 'EEXIST')) throw err;
    });
  }
  const rootStat = await fsp.lstat(root).catch(() => undefined);
  if (rootStat?.isSymbolicLink()) {
    throw new UnsafePathError(
      `the artifact directory ${root} is a symlink; symlinks inside the store are not followed`,
    );
  }
  const realRoot = await fsp.realpath(root).catch((err: unknown) => {
    if (isErrno(err, 'ENOENT')) return root;
    throw err;
  });
  for (let i = 0; i < segs.length; i++) {
    cur = join(cur, segs[i]);
    const last = i === segs.length - 1;
    let st: import('node:fs').Stats | undefined;
    try {
      st = await fsp.lstat(cur);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
    if (st?.isSymbolicLink()) {
      throw new UnsafePathError(
        `artifact path "${rel}" goes through the symlink ${cur}; symlinks inside the store are not followed`,
      );
    }
    if (!last) {
      if (!st) {
        if (!create) return cur; // will be ENOENT for the caller
        await fsp.mkdir(cur).catch((err: unknown) => {
          if (!isErrno(err, 'EEXIST')) throw err;
        });
      } else if (!st.isDirectory()) {
        throw new TrackingError(
          'artifact_conflict',
          `artifact path "${rel}": ${cur} is a file, not a directory`,
        );
      }
    } else if (st?.isDirectory()) {
      throw new TrackingError('artifact_conflict', `artifact path "${rel}" is a directory`);
    }
  }
  const realParent = await fsp.realpath(dirname(cur)).catch(() => dirname(cur));
  if (realParent !== realRoot && !realParent.startsWith(realRoot + sep)) {
    throw new UnsafePathError(`artifact path "${rel}" resolves outside the run's artifact directory`);
  }
  return cur;
}
