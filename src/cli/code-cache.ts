/**
 * Runs the command line's CommonJS bundle (dist/cli/tsad.cjs) through V8's code cache.
 *
 * Node 20 compiles every module from its source text on every start (its own compile cache,
 * `module.enableCompileCache`, came with Node 22). For a short command that is a real share of the
 * time: parsing and compiling the ≈ 1 MB of JavaScript a `tsad nab machine-temperature` loads. So
 * the bin (dist/cli/main.js) compiles the bundle with `vm.Script` and hands V8 the bytecode it saved
 * after an earlier run of the same command (`cachedData`); V8 checks that the cache belongs to this
 * source, V8 version and flags, and compiles from the source instead when it does not. After a
 * successful run without a usable cache, the bytecode of every function the run compiled is
 * written for the next run (`createCachedData`, once, at exit).
 *
 * Where: `<userCacheDir()>/code-cache/` (`TSAD_CACHE_DIR`, `$XDG_CACHE_HOME/tsad`, `~/.cache/tsad`),
 * one file per build of the bundle, Node version and command (`nab machine-temperature`, `detect`,
 * …: each command compiles different functions), written whole (`writeFileAtomicSync`: a temp file,
 * fsynced, then renamed). A cache that cannot be read or written is skipped silently: it only saves
 * time. `TSAD_DISABLE_CODE_CACHE=1` turns it off. A bundle run without this file (plain `require`) behaves the same, only slower.
 */
import { isAscii } from 'node:buffer';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { cacheTurnedOff, userCacheDir } from '../datasets/cache-dir.js';
import { UMASK_MODE, writeFileAtomicSync } from '../fs-atomic.js';
import { makeDirsSync } from '../fs-dirs.js';
import { setRunningBuild } from './build-id.js';

/** At most this many cache files per build (one per command; a bound if words vary a lot). */
const MAX_FILES_PER_BUILD = 40;
/** Files of other builds (an older tsad, another Node) are removed when this old, at the next write. */
const STALE_MS = 7 * 24 * 3600 * 1000;

/** Options that print a help page or the version and end the command before it does its work. */
const HELP = new Set(['-h', '--help', '-V', '--version']);

/**
 * The command's name for its cache file: its first two words (`nab-machine-temperature`, `runs-list`),
 * or `main`. Only words of letters and hyphens count, so a run id, a version or a file name
 * (`report 3f…`, `detect data.csv`) does not make a file of its own. A help page or the version
 * (`detect --help`, `help detect`) is `main`, like `tsad --help`: it compiles what `tsad --help`
 * does, and a cache saved by it under the command's name would be the one its real runs use (a
 * used cache is not saved again), without the functions they compile.
 */
export function commandKey(args: readonly string[]): string {
  const end = args.indexOf('--');
  if (args.slice(0, end < 0 ? args.length : end).some((a) => HELP.has(a)) || args[0] === 'help')
    return 'main';
  const words: string[] = [];
  for (const a of args) {
    if (!/^[a-z][a-z-]{0,23}$/.test(a)) break;
    words.push(a);
    if (words.length === 2) break;
  }
  return words.length ? words.join('-') : 'main';
}

/**
 * The cache file for this build of the bundle, this Node and this command; undefined when turned off.
 * `stamp` (the bundle file's size and modification time) guards against a bundle edited in place:
 * V8 itself compares only the length of the source, and runs the cached bytecode of another source
 * of the same length.
 */
export function codeCacheFile(
  buildId: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  stamp = '',
): string | undefined {
  if (cacheTurnedOff('TSAD_DISABLE_CODE_CACHE', env)) return undefined;
  return join(
    userCacheDir(env),
    'code-cache',
    `${buildId}${stamp ? `-${stamp}` : ''}-${process.version}-${process.arch}-${commandKey(args)}.bin`,
  );
}

function readCache(file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Writes a cache file; removes stale files of other builds (another bundle, stamp, Node or CPU). */
function writeCache(file: string, data: Buffer, args: readonly string[]): void {
  const dir = dirname(file);
  // this build's files: the name up to the command's key
  const build = basename(file).slice(0, -`${commandKey(args)}.bin`.length);
  makeDirsSync(dir);
  const names = readdirSync(dir);
  if (names.filter((n) => n.startsWith(build) && n.endsWith('.bin')).length >= MAX_FILES_PER_BUILD) return;
  // synchronous: this runs in the 'exit' handler. A full disk or a path taken by a folder throws and
  // leaves no partial file behind. The folder is not fsynced: a rename lost to a power cut only costs
  // one compile from source, whereas the file's own fsync keeps a power cut from leaving a complete
  // name over incomplete bytes.
  writeFileAtomicSync(file, data, false, UMASK_MODE);
  const now = Date.now();
  for (const n of names) {
    if (n.startsWith(build)) continue;
    const p = join(dir, n);
    try {
      if (now - statSync(p).mtimeMs > STALE_MS) rmSync(p, { force: true });
    } catch {
      // another process removed it first
    }
  }
}

/**
 * How the bundle was compiled: from the cache, from source (no cache, or V8 refused it), or with the
 * cache off (`TSAD_DISABLE_CODE_CACHE`, or no user cache folder to be found).
 */
export type CodeCacheStatus = 'used' | 'none' | 'rejected' | 'off';

export interface CompiledBundle {
  readonly status: CodeCacheStatus;
  /** The cache file (undefined when the cache is off). */
  readonly file: string | undefined;
  /**
   * Runs the bundle (as Node's `require` would: `exports`, `require`, `module`, `__filename`,
   * `__dirname`) and returns its `module.exports`.
   */
  run(): unknown;
  /** Writes the bytecode compiled so far to the cache file (when it was not used); errors are ignored. */
  save(): void;
}

/**
 * Compiles the CommonJS file `bundle` with the code cache of `buildId` (a digest of the bundle,
 * written into the bin at build time) and of the command `args`.
 */
export function compileBundle(
  bundle: string,
  buildId: string,
  args: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): CompiledBundle {
  const st = statSync(bundle);
  let file: string | undefined;
  try {
    file = codeCacheFile(buildId, args, env, `${st.size.toString(36)}${Math.trunc(st.mtimeMs).toString(36)}`);
  } catch {
    // no home folder to put the cache in (`os.homedir()` throws for a user without HOME or a
    // passwd entry, as in a container run with an arbitrary user id): run without the cache
    file = undefined;
  }
  const cachedData = readCache(file);
  // The build writes the bundle in ASCII (scripts/build-cli.mjs): read as latin1, it is a one-byte
  // string (1.8 M characters, where UTF-8 text with a non-ASCII character would be decoded into a
  // two-byte string twice its size, then copied again to be compiled; on this project's machines
  // each fresh page of memory is a costly fault). Any other file is read as UTF-8.
  const bytes = readFileSync(bundle);
  const source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  // one line, so that line numbers in stack traces are the bundle's own
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    ...(cachedData ? { cachedData } : {}),
  });
  const status: CodeCacheStatus = !file
    ? 'off'
    : !cachedData
      ? 'none'
      : script.cachedDataRejected
        ? 'rejected'
        : 'used';
  return {
    status,
    file,
    run() {
      const module: { exports: unknown } = { exports: {} };
      const fn = script.runInThisContext() as (
        exports: unknown,
        require: NodeJS.Require,
        module: unknown,
        filename: string,
        dirname: string,
      ) => void;
      fn(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
      return module.exports;
    },
    save() {
      if (!file || status === 'used') return;
      try {
        writeCache(file, script.createCachedData(), args);
      } catch {
        // read-only or full cache folder: the next run compiles from source again
      }
    },
  };
}

/** The bin: compiles and runs the bundle; after a successful run without a usable cache, saves one. */
export function runBundle(bundle: string, buildId: string): void {
  // caches of what the code computes are keyed by it too (the binned series: ./nab/series-cache.ts)
  setRunningBuild(buildId);
  const b = compileBundle(bundle, buildId);
  if (b.status === 'none' || b.status === 'rejected') {
    process.once('exit', (code) => {
      // a failed or interrupted run may have compiled only part of its command
      if (code === 0) b.save();
    });
  }
  b.run();
}
