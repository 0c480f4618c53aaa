import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * The user cache folder of tsad: `TSAD_CACHE_DIR`, else `$XDG_CACHE_HOME/tsad`, else the platform's
 * per-user cache (`~/.cache/tsad`, macOS `~/Library/Caches/tsad`, Windows `%LOCALAPPDATA%\tsad\Cache`).
 * Never inside the installed package (`npm ci` would wipe it and read-only installs refuse it).
 * It holds the NAB download cache (`nab/`), the command line's compiled-code cache (`code-cache/`) and
 * `nab machine-temperature`'s binned series (`series-cache/`).
 */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TSAD_CACHE_DIR) return resolve(env.TSAD_CACHE_DIR);
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, 'tsad');
  if (process.platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'tsad', 'Cache');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'tsad');
  return join(homedir(), '.cache', 'tsad');
}

/**
 * Whether the environment turns a cache off: its variable (`TSAD_DISABLE_CODE_CACHE`,
 * `TSAD_DISABLE_SERIES_CACHE`) set to `1` or `true`. @internal
 */
export function cacheTurnedOff(
  variable: 'TSAD_DISABLE_CODE_CACHE' | 'TSAD_DISABLE_SERIES_CACHE',
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return env[variable] === '1' || env[variable] === 'true';
}
