import { TsadError } from '../errors.js';

/**
 * A request the service refuses, or a service that cannot start. `status` is the HTTP status the
 * service answers with; `code` is the machine-readable reason in the JSON body.
 */
export class ServeError extends TsadError {
  readonly status: number;
  constructor(code: string, message: string, status = 400, options?: { cause?: unknown }) {
    super(code, message, options);
    this.status = status;
  }
}
