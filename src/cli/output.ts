/** Files the commands write where the user told them to (`-o`, an output folder). */

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  EEXIST: 'it is a file, not a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
};

/**
 * A file-system failure on an output path as a `ConfigError` `output_failed` (exit code 2: the path
 * given cannot be used), saying why and what to do; any other error is returned unchanged.
 */
export async function outputError(err: unknown, path: string): Promise<unknown> {
  const raw = (err as { code?: unknown } | null)?.code;
  if (typeof raw !== 'string' || !(raw in REASONS)) return err;
  const found = raw === 'ENOENT' ? await nearestFolderProblem(path) : undefined;
  const code = found !== undefined && found in REASONS ? found : raw;
  const { ConfigError } = await import('../errors.js');
  return new ConfigError(
    'output_failed',
    `cannot write ${path}: ${REASONS[code]} (${code}); give an output path in a folder that exists and this user can write`,
    { cause: err },
  );
}

/** Folders of the kernel's special files (not /dev/shm, an ordinary tmpfs). */
const SPECIAL_DIRS = /^\/(?:proc|dev(?!\/shm(?:\/|$)))\//;

/**
 * Writes `data` to `path` whole or not at all (`writeFileAtomic`: a temp file beside it, fsynced,
 * renamed over it once complete, then the folder fsynced), so a failed write never leaves a half file
 * (or clobbers the old one), nor a temp file. A device or a pipe
 * (`/dev/null`, a FIFO), and any path under /dev or /proc (`/dev/stdout` even when it is redirected
 * to a file), is written into directly. Failures: `outputError`.
 */
export async function writeOutputFile(path: string, data: string | Uint8Array): Promise<void> {
  const [{ stat, writeFile }, { UMASK_MODE, writeFileAtomic }, { resolve }] = await Promise.all([
    import('node:fs/promises'),
    import('../fs-atomic.js'),
    import('node:path'),
  ]);
  // a device or a pipe (-o /dev/null, /dev/stdout, a FIFO) is written into, never renamed over:
  // renaming would replace it with a regular file (as root, /dev/null itself). So is any path under
  // /dev or /proc (not /dev/shm): /dev/stdout of a `> file` redirect stats as that regular file, but
  // no temp file can be made beside /dev/fd/1, and as root a rename would replace /dev/stdout
  const st = await stat(path).catch(() => undefined);
  if (st && !st.isDirectory() && (!st.isFile() || SPECIAL_DIRS.test(resolve(path)))) {
    try {
      await writeFile(path, data);
      return;
    } catch (err) {
      throw await outputError(err, path);
    }
  }
  try {
    // the umask decides the mode, as for any file a tool creates where the user named it
    await writeFileAtomic(path, data, true, UMASK_MODE);
  } catch (err) {
    throw await outputError(err, path);
  }
}

/**
 * Why a missing path could not be made: the first folder above it that exists is not writable (a
 * recursive mkdir reports ENOENT even when the real cause is a read-only file system).
 */
async function nearestFolderProblem(path: string): Promise<string | undefined> {
  const [{ access, stat }, { constants }, { dirname, resolve }] = await Promise.all([
    import('node:fs/promises'),
    import('node:fs'),
    import('node:path'),
  ]);
  for (let p = dirname(resolve(path)); ; p = dirname(p)) {
    const st = await stat(p).catch(() => undefined);
    if (st) {
      if (!st.isDirectory()) return 'ENOTDIR';
      return access(p, constants.W_OK).then(
        () => undefined,
        (e: unknown) => (e as { code?: string }).code,
      );
    }
    if (dirname(p) === p) return undefined;
  }
}
