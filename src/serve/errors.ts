import { TsadError } from '../errors.js';

/** The codes of `ServeError` (snake_case; each is explained in docs/errors.md). */
export type ServeErrorCode =
  | 'bad_group'
  | 'bad_time'
  | 'batch_too_large'
  | 'checkpoint_store_failed'
  | 'checkpoint_unreadable'
  | 'forest_limit'
  | 'invalid_request'
  | 'listen_failed'
  | 'model_not_loaded'
  | 'no_tracker'
  | 'out_of_order'
  | 'point_refused'
  | 'release_failed'
  | 'reload_failed'
  | 'route_not_found'
  | 'series_not_found'
  | 'shutting_down'
  | 'training_cancelled'
  | 'training_failed';

/**
 * A request the service refuses, or a service that cannot start. `status` is the HTTP status the
 * service answers with; `code` is the machine-readable reason in the JSON body.
 */
export class ServeError extends TsadError<ServeErrorCode> {
  readonly status: number;
  /**
   * With `out_of_order` or `point_refused` after the model refused a point mid-batch: the results of
   * the points before it, which were scored and kept (the answer carries them as `results`).
   */
  readonly results?: readonly { readonly t: number; readonly score: number; readonly alarm: boolean }[];
  /**
   * With `reload_failed`: the model references that did reload to a new version in the same reload
   * (the others failed and keep their model); the service restarts the series of these.
   */
  readonly reloaded?: readonly string[];
  constructor(
    code: ServeErrorCode,
    message: string,
    status = 400,
    options?: {
      cause?: unknown;
      results?: readonly { readonly t: number; readonly score: number; readonly alarm: boolean }[];
      reloaded?: readonly string[];
    },
  ) {
    super(code, message, options);
    this.status = status;
    if (options?.results) this.results = options.results;
    if (options?.reloaded) this.reloaded = options.reloaded;
  }
}
