/** Shared pieces of the `tsad` commands: option parsers, opening stores that must exist, error output. */
import { readdirSync, type Stats, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { TrackingError } from '../errors.js';
import { classifyUri, defaultTrackingUri, openTracker } from '../tracking/open.js';
import type { Tracker } from '../tracking/tracker.js';

export { defaultThreads } from './threads.js';

/**
 * A commander argument parser for values in [`min`, `max`] (either bound optional) that pass `ok`; an
 * empty or non-numeric value is refused, not read as 0. Commander prints the message and tsad exits 2
 * (usage).
 */
function boundedOption(
  what: string,
  ok: (n: number) => boolean,
  min?: number,
  max?: number,
): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !ok(n) || (min !== undefined && n < min) || (max !== undefined && n > max)) {
      const range = [min === undefined ? '' : ` ≥ ${min}`, max === undefined ? '' : ` ≤ ${max}`];
      throw new InvalidArgumentError(
        `expected ${what}${range.filter(Boolean).join(' and')}, got "${value}".`,
      );
    }
    return n;
  };
}

/** A commander argument parser for integers in [`min`, `max`] (either bound optional). */
export function intOption(min?: number, max?: number): (value: string) => number {
  return boundedOption('an integer', Number.isSafeInteger, min, max);
}

/**
 * A commander argument parser for comma-separated names (`-d zms, default`, `--files a.csv,b.csv`):
 * each name trimmed, empty ones (a trailing comma) dropped; a name given twice, or no name at all,
 * is refused (exit 2) instead of running a recipe twice or looking up "" or " default".
 */
export function listOption(what: string): (value: string) => string[] {
  return (value) => {
    const names = value
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
    if (names.length === 0)
      throw new InvalidArgumentError(`expected comma-separated ${what}, got "${value}".`);
    const twice = names.find((x, i) => names.indexOf(x) !== i);
    if (twice !== undefined)
      throw new InvalidArgumentError(`"${twice}" is given twice; name each of the ${what} once.`);
    return names;
  };
}

/** A commander argument parser for finite numbers in [`min`, `max`] (either bound optional). */
export function numberOption(min?: number, max?: number): (value: string) => number {
  return boundedOption('a number', Number.isFinite, min, max);
}

/**
 * Opens a tracker to read from. A `file:` store that does not exist is an error (reading must not
 * create an empty store, e.g. after a typo in the path).
 */
export function openExistingTracker(uri: string = defaultTrackingUri(), flag = '--uri'): Tracker {
  assertStoreExists(uri, flag);
  return openTracker(uri);
}

/**
 * Throws `TrackingError` `store_not_found` when `uri` names a local store that does not exist, and
 * `bad_store_path` when it names a file (or a folder whose store marker is not a file). The messages
 * name `flag`, the option that gave `uri` (`--from` for `tsad runs export`).
 */
export function assertStoreExists(uri: string = defaultTrackingUri(), flag = '--uri'): void {
  const c = classifyUri(uri);
  if (c.kind !== 'file' || c.path === undefined) return;
  // ENOTDIR (a part of the path is a file) and EACCES are reported like a missing store or a file
  const stat = (p: string): Stats | 'not_dir' | undefined => {
    try {
      return statSync(p, { throwIfNoEntry: false });
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 'ENOTDIR') return 'not_dir';
      if (code === 'ELOOP' || code === 'ENAMETOOLONG') {
        // no access would help: the path itself is wrong (as the store says when it makes one)
        throw new TrackingError(
          'bad_store_path',
          `${c.path} is not a tracking store: ${code === 'ELOOP' ? 'the path loops through symlinks' : 'the path is too long'} (${code}); pass ${flag} or set TSAD_TRACKING_URI to the store's folder`,
          { cause: err },
        );
      }
      throw new TrackingError(
        'storage_denied',
        `cannot read the tracking store at ${c.path}: ${(err as Error).message}; give this user read access or pass another ${flag}`,
        { cause: err },
      );
    }
  };
  const found = stat(c.path);
  const root = found === 'not_dir' ? found : found?.isDirectory() ? found : found && 'not_dir';
  const m = root && root !== 'not_dir' ? stat(join(c.path, 'tsad-store.json')) : undefined;
  const marker = m === 'not_dir' ? undefined : m;
  if (root === 'not_dir') {
    throw new TrackingError(
      'bad_store_path',
      `${c.path} is not a tracking store: ${found === 'not_dir' ? 'a part of the path is a file' : 'it is a file'} (a store is a folder); pass ${flag} or set TSAD_TRACKING_URI to the store's folder`,
    );
  }
  if (marker && !marker.isFile()) {
    throw new TrackingError(
      'bad_store_path',
      `${join(c.path, 'tsad-store.json')} is not a file, so ${c.path} is not a tracking store; pass ${flag} or set TSAD_TRACKING_URI to a store's folder`,
    );
  }
  if (!marker) {
    const held = storeContents(c.path);
    if (held) {
      // a store whose marker was deleted (by hand, a backup that skipped it): its runs are there
      throw new TrackingError(
        'corrupt_store',
        `${c.path} holds ${held} but no tsad-store.json, the file that marks a tracking store (docs/tracking.md, The local store); if it is a tsad store, restore that file: write {"format":"tsad-store","version":1} to ${join(c.path, 'tsad-store.json')} (a command that records a run recreates it too); else pass ${flag} or set TSAD_TRACKING_URI to a store's folder`,
      );
    }
    throw new TrackingError(
      'store_not_found',
      `no tracking store at ${c.path} (nothing has been tracked there); pass ${flag} or set TSAD_TRACKING_URI to an existing store`,
    );
  }
}

/** What of a local store a folder holds (`2 experiments with 5 runs`, `registry.json`), or undefined. */
function storeContents(path: string): string | undefined {
  const list = (p: string): string[] => {
    try {
      return readdirSync(p);
    } catch {
      return [];
    }
  };
  const experiments = list(join(path, 'experiments'));
  let runs = 0;
  for (const e of experiments) runs += list(join(path, 'experiments', e, 'runs')).length;
  const parts: string[] = [];
  if (experiments.length > 0) {
    const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
    parts.push(`${plural(experiments.length, 'experiment')} with ${plural(runs, 'run')}`);
  }
  if (list(path).includes('registry.json')) parts.push('a model registry (registry.json)');
  return parts.length ? parts.join(' and ') : undefined;
}

/** Runs `fn` with the existing tracker at `uri` (see `openExistingTracker`) and closes it after. */
export async function withTracker<T>(uri: string | undefined, fn: (t: Tracker) => Promise<T>): Promise<T> {
  const t = openExistingTracker(uri);
  try {
    return await fn(t);
  } finally {
    await t.close();
  }
}

/**
 * Runs a command's entry point for a script (`npm run nab`, `npm run nab:corpus`): a failure prints
 * `tsad: <ErrorName> [code]: <message>` (no stack trace) and sets the exit code by error class (./exit.ts),
 * as the `tsad` command does.
 */
export async function runScript(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    const { reportError } = await import('./exit.js');
    process.exitCode = reportError(err);
  }
}

/**
 * Default `--workers` of the simulation commands: one per CPU besides the main thread, which trains
 * too (0 = in line on a single CPU).
 */
export function defaultWorkers(): number {
  return Math.max(0, availableParallelism() - 1);
}
