/**
 * A cache of a binned series, keyed by the bytes of the file it came from (start-up round 24 of
 * docs/evaluation.md). `tsad nab machine-temperature` reads the same 0.7 MB CSV on every run and
 * parses and bins it (22,695 rows into 22,683 five-minute bins): ≈ 60 ms of CPU in a fresh process,
 * nearly all of it V8 running the parser and the binning cold, while the forest worker waits. Read
 * back, the binned series costs ≈ 2 ms (the file's SHA-256 and one read).
 *
 * Where: `<userCacheDir()>/series-cache/<name>-<digest>.bin` (`TSAD_CACHE_DIR`, `$XDG_CACHE_HOME/tsad`,
 * `~/.cache/tsad`), `digest` the first 32 hex digits of the SHA-256 of the build of tsad that runs
 * (`runningBuild()`, the bin's digest of its bundle) and the source file: an edited file, or a new build
 * (which may parse or bin differently), has another digest and is parsed again. Run from the sources
 * (tsx), tsad has no build: the digest is the source file's alone. The file holds the exact doubles, so a series read back
 * has the bits of the one computed. A cache file that is missing, of another layout, or whose
 * series is not what binning gives (times not strictly increasing, a value not finite) is ignored
 * and written again; one that cannot be read or written only costs the parse.
 * `TSAD_DISABLE_SERIES_CACHE=1` turns it off. Trust: as for the code cache (docs/architecture.md), the
 * folder is the user's own; whoever can write there can already change what the user runs.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheTurnedOff, userCacheDir } from '../../datasets/cache-dir.js';
import { UMASK_MODE, writeFileAtomicSync } from '../../fs-atomic.js';
import { makeDirsSync } from '../../fs-dirs.js';
import { runningBuild } from '../build-id.js';

/** A binned series and the number of raw rows it was binned from. @internal */
export interface CachedSeries {
  readonly t: Float64Array;
  readonly v: Float64Array;
  readonly rawRows: number;
}

/** The file's first 8 bytes: the layout's name and version. */
const MAGIC = 'TSADSER1';
/** Header: magic, raw rows (uint32), bins (uint32); then the times and the values (float64 each). */
const HEADER = 16;

/**
 * The cache file for `name`, these source bytes and the build of tsad that bins them (`runningBuild()`:
 * another build may parse or bin differently); undefined when turned off or no folder is found.
 */
export function seriesCacheFile(
  name: string,
  source: Uint8Array,
  env: NodeJS.ProcessEnv = process.env,
  build: string | undefined = runningBuild(),
): string | undefined {
  if (cacheTurnedOff('TSAD_DISABLE_SERIES_CACHE', env)) return undefined;
  let dir: string;
  try {
    dir = join(userCacheDir(env), 'series-cache');
  } catch {
    return undefined; // no home folder (`os.homedir()` throws): no cache
  }
  const h = createHash('sha256');
  if (build !== undefined) h.update(`tsad build ${build}\0`);
  const digest = h.update(source).digest('hex').slice(0, 32);
  return join(dir, `${name}-${digest}.bin`);
}

/** The series in `bytes` (a cache file), or undefined when it is not one this layout writes. */
function decode(bytes: Uint8Array): CachedSeries | undefined {
  if (bytes.length < HEADER || Buffer.from(bytes.subarray(0, 8)).toString('latin1') !== MAGIC)
    return undefined;
  const head = new DataView(bytes.buffer, bytes.byteOffset, HEADER);
  const rawRows = head.getUint32(8, true);
  const m = head.getUint32(12, true);
  if (m === 0 || rawRows < m || bytes.length !== HEADER + 16 * m) return undefined;
  // copied out (the read buffer may be a slice of Node's pool, not aligned to 8 bytes)
  const data = new Float64Array(2 * m);
  new Uint8Array(data.buffer).set(bytes.subarray(HEADER));
  const t = data.slice(0, m);
  const v = data.slice(m);
  for (let i = 0; i < m; i++) {
    if (!Number.isFinite(v[i]) || !Number.isFinite(t[i]) || (i > 0 && !(t[i] > t[i - 1]))) return undefined;
  }
  return { t, v, rawRows };
}

function encode(s: CachedSeries): Uint8Array {
  const m = s.t.length;
  const out = new Uint8Array(HEADER + 16 * m);
  out.set(Buffer.from(MAGIC, 'latin1'));
  const head = new DataView(out.buffer, 0, HEADER);
  head.setUint32(8, s.rawRows, true);
  head.setUint32(12, m, true);
  out.set(new Uint8Array(s.t.buffer, s.t.byteOffset, 8 * m), HEADER);
  out.set(new Uint8Array(s.v.buffer, s.v.byteOffset, 8 * m), HEADER + 8 * m);
  return out;
}

/**
 * The series `compute` gives for the file whose bytes are `source`, read from the cache when an
 * earlier run saved it (the same doubles), else computed and saved; `name` names the series and how
 * it was binned (e.g. `nab-machine-temperature-5min-max`). Cache errors are ignored. @internal
 */
export async function cachedSeries(
  name: string,
  source: Uint8Array,
  compute: () => Promise<CachedSeries>,
  env: NodeJS.ProcessEnv = process.env,
  build: string | undefined = runningBuild(),
): Promise<CachedSeries> {
  const file = seriesCacheFile(name, source, env, build);
  if (file) {
    let got: CachedSeries | undefined;
    try {
      got = decode(readFileSync(file));
    } catch {
      got = undefined; // not written yet, or unreadable
    }
    if (got) return got;
  }
  const s = await compute();
  // a series no cache file can hold (nothing binned, more than 2^32 rows) is not saved
  if (file && s.t.length > 0 && s.t.length === s.v.length && s.rawRows <= 0xffffffff) save(file, name, s);
  return s;
}

/** Writes the cache file whole and removes this series' files of other sources (an older file). */
function save(file: string, name: string, s: CachedSeries): void {
  try {
    const dir = join(file, '..');
    makeDirsSync(dir);
    writeFileAtomicSync(file, encode(s), false, UMASK_MODE);
    const mine = file.slice(dir.length + 1);
    for (const n of readdirSync(dir)) {
      if (
        n !== mine &&
        n.length === name.length + 37 &&
        n.startsWith(`${name}-`) &&
        /-[0-9a-f]{32}\.bin$/.test(n)
      )
        rmSync(join(dir, n), { force: true });
    }
  } catch {
    // read-only or full cache folder: the next run parses the file again
  }
}
