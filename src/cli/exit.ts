/**
 * Exit codes of the `tsad` command, one per error class, so scripts can tell a typo from bad data
 * from an unreachable tracking server:
 *
 * | code | meaning |
 * |-----:|---------|
 * | 0 | success (also `--help`, and `--version` before any command: after one it is an unknown option, 2) |
 * | 1 | an unexpected error (a bug: please report it with the message; also `NabRunError` `worker_exit`, a corpus worker that died) |
 * | 2 | usage: unknown command or option, bad option value, invalid configuration (`ConfigError`, `LifecycleError`; a `TrackingError` `invalid_query` / `invalid_model_uri` / `invalid_alias`: a filter, order or model URI that does not parse, an alias that is not allowed such as `latest`) |
 * | 3 | input data: unreadable or invalid series, labels or dataset files (`SeriesError`, `DatasetError`, `MetricsError`; `LifecycleError` `bad_sample`: a NaN or infinite time or value, a repeated time, a sample that cannot be compared) |
 * | 4 | model: a model file that does not load, or a detector used wrongly (`ModelFormatError`, `DetectorError`) |
 * | 5 | tracking: the store or server refused or could not be reached, unknown run/model/alias, nothing to roll back (`TrackingError`; `LifecycleError` `no_champion`/`no_previous`, and `db_unreachable`/`db_error`/`db_lock_timeout`: a database of `--data` or `--pg`) |
 * | 6 | serving: the service could not start or stop cleanly (`ServeError`; but `bad_group`, a `--group` that is not `PREFIX=MODEL`, is usage, 2) |
 * | 130 | interrupted by Ctrl-C (SIGINT); a tracked run is ended KILLED first (./interrupt.ts) |
 * | 143 | interrupted by SIGTERM (the same clean-up) |
 */
import { CommanderError } from 'commander';

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  data: 3,
  model: 4,
  tracking: 5,
  serve: 6,
  interrupted: 130,
  terminated: 143,
} as const;

const BY_CLASS: Readonly<Record<string, number>> = {
  ConfigError: EXIT.usage,
  SeriesError: EXIT.data,
  DatasetError: EXIT.data,
  MetricsError: EXIT.data,
  ModelFormatError: EXIT.model,
  DetectorError: EXIT.model,
};

/** The exit code for an error thrown by a command (walks the class chain, so subclasses map like their base). */
export function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (!(err instanceof Error)) return EXIT.internal;
  for (
    let p: object | null = Object.getPrototypeOf(err);
    p && p !== Error.prototype;
    p = Object.getPrototypeOf(p)
  ) {
    const name = (p.constructor as { name?: string }).name ?? '';
    if (name in BY_CLASS) return BY_CLASS[name];
    if (name === 'TrackingError') {
      // a filter, order or model URI typed on the command line that does not parse, or an alias that
      // is not allowed (`--alias latest`), is a usage error
      const code = (err as { code?: unknown }).code;
      return code === 'invalid_query' || code === 'invalid_model_uri' || code === 'invalid_alias'
        ? EXIT.usage
        : EXIT.tracking;
    }
    if (name === 'ServeError') {
      // a `--group` typed on the command line that is not PREFIX=MODEL is a bad option value
      return (err as { code?: unknown }).code === 'bad_group' ? EXIT.usage : EXIT.serve;
    }
    if (name === 'LifecycleError') {
      // a registry without the alias to roll back is the tracking store's state, and a database
      // (--data, --pg) that cannot be reached or refuses is a server's, as the tracking store's; the
      // rest are bad options, but for a sample that cannot be used (a NaN or infinite time or value
      // loaded or read, a repeated time): bad input data
      const code = (err as { code?: unknown }).code;
      if (code === 'bad_sample') return EXIT.data;
      return code === 'no_champion' ||
        code === 'no_previous' ||
        code === 'db_unreachable' ||
        code === 'db_error' ||
        code === 'db_lock_timeout'
        ? EXIT.tracking
        : EXIT.usage;
    }
  }
  return EXIT.internal;
}

/** Prints `tsad: <ErrorName>: <message>` (no stack trace unless TSAD_DEBUG is set) and returns the exit code. */
export function reportError(
  err: unknown,
  write: (s: string) => void = (s) => process.stderr.write(s),
): number {
  if (err instanceof CommanderError) return exitCodeOf(err); // commander printed it already
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  write(`tsad: ${e.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${e.message}\n`);
  if (process.env.TSAD_DEBUG && e.stack) write(`${e.stack}\n`);
  return exitCodeOf(err);
}
