/**
 * The MLflow HTTP client: one call with retries within a budget (only where re-sending cannot
 * double anything), error mapping to `MlflowApiError`, paging, and the proxied artifact endpoint.
 */
import { TrackingError } from '../errors.js';
import { type HttpResponse, HttpTransportError, sendHttp } from './http.js';
import {
  authorizationHeader,
  RETRYABLE_IF_IDEMPOTENT,
  RETRYABLE_STATUSES,
  retryDelayMs,
} from './mlflow-wire.js';
import { redactUri } from './open.js';
import { TrackingNotFoundError, TrackingValidationError } from './tracker.js';

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** The MLflow server answered with an error (code `mlflow_<error_code in lower case>`). */
export class MlflowApiError extends TrackingError {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly endpoint: string,
    message: string,
  ) {
    super(`mlflow_${errorCode.toLowerCase()}`, message);
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP client
// ---------------------------------------------------------------------------------------------

export interface MlflowTrackerOptions {
  /** Where auth variables are read from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * Total time one call may spend retrying (default 120 s, at least a server restart): connection
   * refused, 408/429/503 for every call, and connection lost, timeouts, 500/502/504 for
   * idempotent calls (all but creating runs, logged models and model versions). Without this option,
   * `TSAD_MLFLOW_RETRY_SECONDS` in `env` sets it (how the `tsad` command line is told; 0 = no retry).
   */
  retryBudgetMs?: number;
  /** First backoff delay (default 250 ms), doubled per retry, with jitter. */
  backoffMs?: number;
  /** Upper bound on any single delay, Retry-After included (default 10 s). */
  maxDelayMs?: number;
  /** Deadline of one request, connect to last body byte (default 60 s). */
  timeoutMs?: number;
  /** Largest response body accepted (default 256 MiB); error bodies are read up to 64 KiB. */
  maxResponseBytes?: number;
  /** Most pages one listing may take (default 10,000): a guard against a server that pages forever. */
  maxPages?: number;
  /** How to wait (tests record the delays instead of sleeping). */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
}

export type Json = Record<string, unknown>;
type QueryValue = string | number | readonly string[] | undefined;

/** How a call may be retried after an answer that leaves its outcome unknown. */
export interface CallOptions {
  /** Re-sending cannot double anything (default: true for GET, PUT, PATCH, DELETE). */
  idempotent?: boolean;
  /** Whether a 500 is worth retrying (default true for idempotent calls; false where MLflow means "not found"). */
  retry500?: boolean;
  /**
   * Called before re-sending after an unknown outcome; returns the payload to send instead,
   * or null when nothing is left to send (the first attempt did it all).
   */
  beforeResend?: () => Promise<Json | null>;
}

const ERROR_BODY_BYTES = 64 * 1024;

export class MlflowHttp {
  readonly base: string;
  readonly display: string;
  private readonly baseUrl: URL;
  private readonly auth: string | undefined;
  private readonly budgetMs: number;
  private readonly backoffMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  readonly maxPages: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(uri: string, opts: MlflowTrackerOptions) {
    let u: URL;
    try {
      u = new URL(uri);
    } catch {
      throw new TrackingValidationError(
        'invalid_uri',
        `MLflow tracking URI ${JSON.stringify(redactUri(uri))} is not a URL`,
      );
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new TrackingValidationError(
        'invalid_uri',
        `MLflow tracking URI must be http(s)://, got ${u.protocol}`,
      );
    }
    const env = opts.env ?? process.env;
    this.auth = authorizationHeader(env, u);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    this.base = u.toString().replace(/\/+$/, '');
    this.baseUrl = new URL(this.base);
    this.display = this.base;
    this.budgetMs = opts.retryBudgetMs ?? retryBudgetFromEnv(env) ?? 120_000;
    this.backoffMs = opts.backoffMs ?? 250;
    this.maxDelayMs = opts.maxDelayMs ?? 10_000;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.maxBytes = opts.maxResponseBytes ?? 256 * 1024 * 1024;
    this.maxPages = opts.maxPages ?? 10_000;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = opts.random ?? Math.random;
  }

  /** Whether the one "cannot be reached, retrying" warning was given. */
  private warnedRetrying = false;

  private headers(extra: Record<string, string>): Record<string, string> {
    const h: Record<string, string> = { 'user-agent': 'tsad', ...extra };
    if (this.auth) h.authorization = this.auth;
    return h;
  }

  /**
   * Sends a request, retrying within the budget; returns the final response (ok or not).
   * `body` is recomputed by `beforeResend` after an unknown outcome.
   */
  private async send(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: Uint8Array | undefined,
    what: string,
    opts: CallOptions & { rebody?: (j: Json) => Uint8Array } = {},
  ): Promise<HttpResponse | null> {
    const idempotent = opts.idempotent ?? method !== 'POST';
    const started = Date.now();
    let slept = 0;
    let unknownOutcome = false;
    let current = body;
    for (let attempt = 0; ; attempt++) {
      if (unknownOutcome && opts.beforeResend && opts.rebody) {
        const next = await opts.beforeResend();
        if (next === null) return null;
        current = opts.rebody(next);
      }
      let res: HttpResponse | undefined;
      let failure: HttpTransportError | undefined;
      try {
        res = await sendHttp({
          method,
          url,
          headers,
          body: current,
          timeoutMs: this.timeoutMs,
          maxBytes: this.maxBytes,
          errorBodyBytes: ERROR_BODY_BYTES,
        });
      } catch (err) {
        if (!(err instanceof HttpTransportError)) throw err;
        failure = err;
      }
      let retry: boolean;
      let retryAfter: string | null = null;
      if (failure) {
        retry = !failure.sent || idempotent;
        if (failure.sent) unknownOutcome = true;
      } else {
        const status = (res as HttpResponse).status;
        retry =
          RETRYABLE_STATUSES.has(status) ||
          (idempotent && RETRYABLE_IF_IDEMPOTENT.has(status) && (status !== 500 || opts.retry500 !== false));
        if (RETRYABLE_IF_IDEMPOTENT.has(status)) unknownOutcome = true;
        const ra = (res as HttpResponse).headers['retry-after'];
        retryAfter = typeof ra === 'string' ? ra : null;
      }
      if (!retry) {
        if (failure) throw this.wrapTransport(failure, what, attempt, started);
        return res as HttpResponse;
      }
      const delay = retryDelayMs(
        attempt,
        retryAfter,
        { backoffMs: this.backoffMs, maxDelayMs: this.maxDelayMs },
        Date.now(),
        this.random(),
      );
      if (Math.max(Date.now() - started, slept) + delay > this.budgetMs) {
        if (failure) throw this.wrapTransport(failure, what, attempt, started);
        return res as HttpResponse;
      }
      if (failure && !failure.sent && !this.warnedRetrying) {
        // a typo in the URI or a server that is down would otherwise look like a hang
        this.warnedRetrying = true;
        process.emitWarning(
          `MLflow at ${this.display} cannot be reached (${failure.message}); retrying for up to ${Math.round(this.budgetMs / 1000)} s (option retryBudgetMs, or TSAD_MLFLOW_RETRY_SECONDS)`,
          { code: 'TSAD_MLFLOW_RETRYING' },
        );
      }
      await this.sleep(delay);
      slept += delay;
    }
  }

  private wrapTransport(
    err: HttpTransportError,
    what: string,
    attempt: number,
    started: number,
  ): TrackingError {
    const tries = attempt + 1;
    return new TrackingError(
      err.code,
      `MLflow ${what} at ${this.display}: ${err.message} (${tries} attempt${tries === 1 ? '' : 's'} in ${Math.round((Date.now() - started) / 1000)} s; retry budget ${Math.round(this.budgetMs / 1000)} s, option retryBudgetMs or TSAD_MLFLOW_RETRY_SECONDS)`,
      { cause: err },
    );
  }

  private fail(res: HttpResponse, endpoint: string): never {
    if (res.status >= 300 && res.status < 400) {
      throw new MlflowApiError(
        res.status,
        `HTTP_${res.status}`,
        endpoint,
        `MLflow ${endpoint}: the server at ${this.display} redirects (HTTP ${res.status}); tsad does not follow redirects, so point the tracking URI at the final address`,
      );
    }
    const text = res.body.subarray(0, ERROR_BODY_BYTES).toString('utf8');
    let code = `HTTP_${res.status}`;
    let message = text.slice(0, 500);
    try {
      const j = JSON.parse(text) as { error_code?: unknown; message?: unknown };
      if (typeof j.error_code === 'string' && /^[A-Z_]{1,64}$/.test(j.error_code)) code = j.error_code;
      if (typeof j.message === 'string') message = j.message.slice(0, 2000);
    } catch {
      // not JSON (or cut at the limit): keep the start of the text
    }
    if (code === 'RESOURCE_DOES_NOT_EXIST' || (res.status === 404 && code.startsWith('HTTP_'))) {
      throw new TrackingNotFoundError(`MLflow ${endpoint}: ${message}`, {
        cause: new MlflowApiError(res.status, code, endpoint, message),
      });
    }
    if (res.status === 401) {
      throw new MlflowApiError(
        res.status,
        code,
        endpoint,
        `MLflow ${endpoint}: ${message} (HTTP 401); set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD`,
      );
    }
    if (res.status === 403) {
      throw new MlflowApiError(
        res.status,
        code,
        endpoint,
        `MLflow ${endpoint}: ${message} (HTTP 403); the credentials were accepted but this user may not do this: ask the server's admin for permission on the experiment or model`,
      );
    }
    throw new MlflowApiError(
      res.status,
      code,
      endpoint,
      `MLflow ${endpoint} failed (HTTP ${res.status} ${code}): ${message}`,
    );
  }

  /** A JSON API call under `/api/2.0/mlflow/`. GET parameters go in the query string. */
  async call(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    endpoint: string,
    payload: Json = {},
    opts: CallOptions = {},
  ): Promise<Json> {
    const url = new URL(`${this.base}/api/2.0/mlflow/${endpoint}`);
    let headers: Record<string, string>;
    let body: Uint8Array | undefined;
    const rebody = (j: Json) => Buffer.from(JSON.stringify(j));
    if (method === 'GET') {
      for (const [k, v] of Object.entries(payload) as [string, QueryValue][]) {
        if (v === undefined) continue;
        if (Array.isArray(v)) for (const x of v) url.searchParams.append(k, x);
        else url.searchParams.append(k, String(v));
      }
      headers = this.headers({ accept: 'application/json' });
    } else {
      headers = this.headers({ 'content-type': 'application/json', accept: 'application/json' });
      body = rebody(payload);
    }
    const res = await this.send(method, url, headers, body, endpoint, { ...opts, rebody });
    if (res === null) return {};
    if (res.status < 200 || res.status >= 300) this.fail(res, endpoint);
    const text = res.body.toString('utf8');
    if (text.trim() === '') return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new TrackingError(
        'mlflow_bad_response',
        `MLflow ${endpoint} returned non-JSON (${JSON.stringify(text.slice(0, 120))}...); is ${this.display} an MLflow server?`,
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new TrackingError(
        'mlflow_bad_response',
        `MLflow ${endpoint} returned JSON that is not an object; is ${this.display} an MLflow server?`,
      );
    }
    return parsed as Json;
  }

  private artifactUrl(storagePath: string): URL {
    const enc = storagePath
      .split('/')
      .filter((s) => s !== '')
      .map((s) => encodeURIComponent(s))
      .join('/');
    return new URL(`${this.base}/api/2.0/mlflow-artifacts/artifacts/${enc}`);
  }

  async putArtifact(storagePath: string, bytes: Uint8Array): Promise<void> {
    const what = 'mlflow-artifacts upload';
    const res = await this.send(
      'PUT',
      this.artifactUrl(storagePath),
      this.headers({ 'content-type': 'application/octet-stream' }),
      bytes,
      what,
    );
    if (res && (res.status < 200 || res.status >= 300)) this.fail(res, what);
  }

  async getArtifact(storagePath: string): Promise<Uint8Array> {
    const what = 'mlflow-artifacts download';
    // MLflow answers a missing artifact with 500: not retried (readArtifact tells it from a failure)
    const res = await this.send('GET', this.artifactUrl(storagePath), this.headers({}), undefined, what, {
      retry500: false,
    });
    if (res === null) throw new TrackingError('mlflow_bad_response', `${what}: no answer`);
    if (res.status < 200 || res.status >= 300) this.fail(res, what);
    return new Uint8Array(res.body.buffer, res.body.byteOffset, res.body.byteLength);
  }

  get host(): URL {
    return this.baseUrl;
  }

  /**
   * Follows `next_page_token` through a paged endpoint (POST for runs/experiments search, GET
   * otherwise). A token the server repeats, or more than `MAX_PAGES` pages, is a typed error
   * instead of an endless loop. `more` says whether to ask for the next page.
   */
  async pages(
    endpoint: string,
    payload: Json,
    onPage: (r: Json) => void,
    more: () => boolean = () => true,
  ): Promise<void> {
    const method = endpoint === 'runs/search' || endpoint === 'experiments/search' ? 'POST' : 'GET';
    const seen = new Set<string>();
    let token: string | undefined;
    for (let page = 0; ; page++) {
      if (page >= this.maxPages) {
        throw new TrackingError(
          'mlflow_bad_response',
          `MLflow ${endpoint} returned more than ${this.maxPages} pages; the server's paging looks broken (option maxPages)`,
        );
      }
      const r = await this.call(method, endpoint, token ? { ...payload, page_token: token } : payload, {
        idempotent: true,
      });
      onPage(r);
      const next = r.next_page_token;
      if (next === undefined || next === null || next === '') return;
      if (typeof next !== 'string') {
        throw new TrackingError(
          'mlflow_bad_response',
          `MLflow ${endpoint} returned a next_page_token that is not a string`,
        );
      }
      if (seen.has(next)) {
        throw new TrackingError(
          'mlflow_bad_response',
          `MLflow ${endpoint} returned the same next_page_token twice; the server's paging loops`,
        );
      }
      seen.add(next);
      token = next;
      if (!more()) return;
    }
  }
}

/** The retry budget `TSAD_MLFLOW_RETRY_SECONDS` names, in ms; undefined when it is not set. */
export function retryBudgetFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.TSAD_MLFLOW_RETRY_SECONDS;
  if (raw === undefined || raw.trim() === '') return undefined;
  const sec = Number(raw);
  if (!Number.isFinite(sec) || sec < 0 || sec > 86_400) {
    throw new TrackingValidationError(
      'invalid_value',
      `TSAD_MLFLOW_RETRY_SECONDS must be a number of seconds from 0 to 86400 (how long one MLflow call may retry an unreachable server), got ${JSON.stringify(raw)}`,
    );
  }
  return Math.round(sec * 1000);
}
