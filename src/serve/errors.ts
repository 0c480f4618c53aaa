import { TsadError } from '../errors.js';

/** The codes of `ServeError` (snake_case; each is explained in docs/errors.md). */
export type ServeErrorCode =
  | 'bad_group'
  | 'bad_time'
  | 'batch_too_large'
  | 'checkpoint_unreadable'
  | 'invalid_request'
  | 'listen_failed'
  | 'model_not_loaded'
  | 'no_tracker'
  | 'out_of_order'
  | 'series_not_found'
  | 'shutting_down'
  | 'training_failed';

/**
 * A request the service refuses, or a service that cannot start. `status` is the HTTP status the
 * service answers with; `code` is the machine-readable reason in the JSON body.
 */
export class ServeError extends TsadError<ServeErrorCode> {
  readonly status: number;
  constructor(code: ServeErrorCode, message: string, status = 400, options?: { cause?: unknown }) {
    super(code, message, options);
    this.status = status;
  }
}
