import { TsadError } from '../errors.js';

/** The codes of `LifecycleError` (snake_case; each is explained in docs/errors.md). */
export type LifecycleErrorCode =
  | 'bad_identifier'
  | 'bad_option'
  | 'bad_sample'
  | 'bad_uri'
  | 'db_error'
  | 'db_lock_timeout'
  | 'db_unreachable'
  | 'no_champion'
  | 'no_previous'
  | 'unsupported'
  | 'worker_exit'
  | 'worker_failed';

/**
 * Bad input to the MLOps loop (simulation, promotion, monitoring, SQL data): a bad duration, window,
 * threshold, identifier or sample, or a registry with nothing to promote or roll back.
 */
export class LifecycleError extends TsadError<LifecycleErrorCode> {}

/** The error of a bad label window (`checkLabelWindows`' `fail` for the lifecycle functions). @internal */
export function badLabels(message: string): LifecycleError {
  return new LifecycleError('bad_option', message);
}
