/**
 * The MLflow backend: a `Tracker` over the MLflow tracking server's REST API 2.0.
 *
 * Wire mapping (details and deviations in docs/mlflow.md):
 * - experiments: `experiments/get-by-name`, then `experiments/create`; a create that loses a
 *   race (RESOURCE_ALREADY_EXISTS) re-reads by name. `experiments/search` lists them.
 * - runs: `runs/create` (always with `start_time`, `run_name` and the system tags
 *   `mlflow.runName`, `mlflow.user`, `mlflow.source.name`, `mlflow.source.type`),
 *   `runs/log-batch` (chunked to 1000 metrics / 100 params / 100 tags / 1000 entities / < 1 MB),
 *   `runs/update` to end, `runs/get`, `runs/search` (paged), `metrics/get-history` (paged).
 * - values: params and tags are strings; metric values are JSON numbers, or the proto-JSON
 *   strings "NaN", "Infinity", "-Infinity"; timestamps and steps are integers (epoch ms).
 * - datasets: `runs/log-inputs`; the context goes in the input tag `mlflow.data.context`.
 * - artifacts: uploaded and downloaded through the server's proxied artifact endpoint
 *   `/api/2.0/mlflow-artifacts/artifacts/<run artifact root>/<path>`, listed with `artifacts/list`.
 * - registry: `registered-models/create`, `model-versions/create`, `registered-models/alias`
 *   (POST set, GET resolve, DELETE), `model-versions/get`, `model-versions/search`,
 *   `registered-models/search`.
 * - retries: only HTTP 408, 429, 502, 503 and 504, with exponential backoff that honours
 *   `Retry-After`, bounded in attempts and delay.
 * - auth: `MLFLOW_TRACKING_TOKEN` (bearer), else `MLFLOW_TRACKING_USERNAME`/`PASSWORD` (basic),
 *   else credentials in the URI.
 */
import { parse as parseYaml } from 'yaml';
import { TrackingError } from '../errors.js';
import {
  BaseRun,
  BaseTracker,
  defaultRunName,
  formatOrderBy,
  MLMODEL_FILE,
  type MlmodelInfo,
  MODEL_DATA_FILE,
  matchesFilter,
  mlmodelText,
  normalizeMetricValue,
  normalizeQuery,
  prepareRunOptions,
  sortHistory,
  type ValidBatch,
  validateAlias,
  validateArtifactPath,
  validateExperimentName,
  validateModelName,
  validateRunId,
  validateVersion,
} from './common.js';
import { type HttpResponse, HttpTransportError, sendHttp } from './http.js';
import { redactUri } from './open.js';
import {
  type ArtifactInfo,
  type DatasetInput,
  type Experiment,
  type FilterClause,
  type MetricPoint,
  type ModelVersion,
  type Param,
  ParamConflictError,
  type RegisteredModel,
  type Run,
  type RunOptions,
  type RunRecord,
  type RunStatus,
  type SearchRunsQuery,
  type Tag,
  TrackingNotFoundError,
  TrackingValidationError,
} from './tracker.js';

// ---------------------------------------------------------------------------------------------
// Limits and wire helpers (exported for tests)
// ---------------------------------------------------------------------------------------------

/** MLflow's LogBatch request limits (service.proto, mlflow/utils/validation.py). */
export interface BatchLimits {
  readonly metrics: number;
  readonly params: number;
  readonly tags: number;
  readonly total: number;
  readonly bytes: number;
}

export const MLFLOW_BATCH_LIMITS: BatchLimits = {
  metrics: 1000,
  params: 100,
  tags: 100,
  total: 1000,
  /** The server rejects bodies over 1,000,000 bytes; we stay below with a margin for the envelope. */
  bytes: 900_000,
};

/** Dataset-input limits of the MLflow server (validation.py). */
export const MLFLOW_INPUT_LIMITS = {
  datasetDigest: 36,
  inputTagValue: 500,
  datasetsPerRequest: 1000,
} as const;

/**
 * Statuses that say the request was not processed (retried for every call): 408, 429, 503.
 * 500, 502 and 504 may come after the server acted, so only idempotent calls retry them.
 */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 503]);
export const RETRYABLE_IF_IDEMPOTENT: ReadonlySet<number> = new Set([500, 502, 504]);

/** Metric values on the wire: numbers, or proto-JSON strings for non-finite values. */
export function encodeMetricValue(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return 'Infinity';
  if (v === Number.NEGATIVE_INFINITY) return '-Infinity';
  return v;
}

/** Wire values back to numbers; ±Number.MAX_VALUE (how MLflow's SQL stores keep ±Infinity) reads as ±Infinity. */
export function decodeMetricValue(v: unknown): number {
  if (typeof v === 'number') return normalizeMetricValue(v);
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)))
    return normalizeMetricValue(Number(v));
  throw new TrackingError(
    'mlflow_bad_response',
    `MLflow returned a metric value ${JSON.stringify(v)} that is not a number`,
  );
}

export interface WireMetric {
  key: string;
  value: number | string;
  timestamp: number;
  step: number;
}

export interface WireBatch {
  params: Param[];
  tags: Tag[];
  metrics: WireMetric[];
}

function toWireMetric(m: MetricPoint): WireMetric {
  return { key: m.key, value: encodeMetricValue(m.value), timestamp: m.timestamp, step: m.step };
}

/**
 * Splits a batch into log-batch requests within MLflow's limits, keeping the order of each
 * entity type (params first, then tags, then metrics, packed into shared requests).
 */
export function chunkLogBatch(
  batch: { params?: readonly Param[]; tags?: readonly Tag[]; metrics?: readonly MetricPoint[] },
  limits: BatchLimits = MLFLOW_BATCH_LIMITS,
): WireBatch[] {
  const out: WireBatch[] = [];
  let cur: WireBatch = { params: [], tags: [], metrics: [] };
  let bytes = 0;
  let total = 0;
  const flush = () => {
    if (total > 0) out.push(cur);
    cur = { params: [], tags: [], metrics: [] };
    bytes = 0;
    total = 0;
  };
  const add = <K extends keyof WireBatch>(kind: K, item: WireBatch[K][number], limit: number) => {
    const size = Buffer.byteLength(JSON.stringify(item)) + 1;
    if (cur[kind].length >= limit || total >= limits.total || (total > 0 && bytes + size > limits.bytes))
      flush();
    (cur[kind] as WireBatch[K][number][]).push(item);
    bytes += size;
    total++;
  };
  for (const p of batch.params ?? []) add('params', { key: p.key, value: p.value }, limits.params);
  for (const t of batch.tags ?? []) add('tags', { key: t.key, value: t.value }, limits.tags);
  for (const m of batch.metrics ?? []) add('metrics', toWireMetric(m), limits.metrics);
  flush();
  return out;
}

/**
 * Delay before retry number `attempt` (0-based): the server's Retry-After (seconds or an
 * HTTP date) when given, else `backoffMs * 2^attempt` scaled by `jitter` (a number in [0, 1),
 * giving "equal jitter": between half and all of the exponential delay); always within
 * [0, maxDelayMs], so a Retry-After of hours waits at most maxDelayMs before trying again.
 */
export function retryDelayMs(
  attempt: number,
  retryAfter: string | null,
  opts: { backoffMs: number; maxDelayMs: number },
  now: number = Date.now(),
  jitter = 0.5,
): number {
  let ms: number | undefined;
  if (retryAfter !== null && retryAfter.trim() !== '') {
    const s = retryAfter.trim();
    if (/^\d+(\.\d+)?$/.test(s)) ms = Number(s) * 1000;
    else {
      const at = Date.parse(s);
      if (!Number.isNaN(at)) ms = at - now;
    }
  }
  if (ms === undefined) {
    const base = Math.min(opts.maxDelayMs, opts.backoffMs * 2 ** Math.min(attempt, 30));
    ms = base / 2 + (base / 2) * jitter;
  }
  return Math.min(opts.maxDelayMs, Math.max(0, Math.round(ms)));
}

/**
 * The Authorization header, with MLflow's precedence: basic auth when both
 * `MLFLOW_TRACKING_USERNAME` and `MLFLOW_TRACKING_PASSWORD` are set, else a bearer token from
 * `MLFLOW_TRACKING_TOKEN`, else credentials written in the URI (basic).
 */
export function authorizationHeader(env: NodeJS.ProcessEnv, uri?: URL): string | undefined {
  const user = env.MLFLOW_TRACKING_USERNAME;
  const pass = env.MLFLOW_TRACKING_PASSWORD;
  if (user && pass) return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  const token = env.MLFLOW_TRACKING_TOKEN;
  if (token) return `Bearer ${token}`;
  if (uri && (uri.username || uri.password)) {
    const u = decodeURIComponent(uri.username);
    const p = decodeURIComponent(uri.password);
    return `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  }
  return undefined;
}

/**
 * MLflow's extra rule on metric, param and tag keys (`path_not_unique` in
 * mlflow/utils/validation.py): a key must not start with `..` (`..x` is refused even though
 * `..x` is not a parent-directory segment). The shared `validateKey` covers the rest.
 */
export function checkMlflowKey(kind: 'metric' | 'param' | 'tag', key: string): void {
  if (key.startsWith('..')) {
    throw new TrackingValidationError(
      'invalid_key',
      `${kind} key ${JSON.stringify(key)} starts with ".."; the MLflow server refuses such keys, rename it`,
    );
  }
}

const FILTER_ENTITY: Record<FilterClause['entity'], string> = {
  metric: 'metrics',
  param: 'params',
  tag: 'tags',
  attribute: 'attributes',
};

/**
 * A string value in MLflow filter syntax, or undefined when it cannot be written. MLflow strips
 * the outer quotes and unescapes nothing (`SearchUtils._strip_quotes`), and its tokenizer treats
 * `\'` as an escaped quote: a value is written in single quotes, or in double quotes when it
 * contains `'`; a value containing both quote kinds, or ending in a backslash, is not expressible.
 */
export function mlflowFilterString(v: string): string | undefined {
  if (v.endsWith('\\')) return undefined;
  if (!v.includes("'")) return `'${v}'`;
  if (!v.includes('"')) return `"${v}"`;
  return undefined;
}

/**
 * A finite number as MLflow's filter tokenizer (sqlparse) reads it: its float pattern takes
 * `1e21` and `1e-7` but not `1e+21`, so the `+` of JavaScript's exponent is dropped.
 */
export function mlflowFilterNumber(v: number): string {
  return String(v).replace('e+', 'e');
}

/**
 * Splits clauses into an MLflow filter string and the clauses to apply client-side (string
 * values MLflow cannot quote, non-finite numbers, which its tokenizer does not read as numbers).
 * Metric clauses go to both: the server narrows the search, and the client drops runs whose
 * latest value is NaN, which MLflow's SQL stores compare as 0 (the contract: NaN matches nothing).
 */
export function mlflowFilter(clauses: readonly FilterClause[]): { server: string; local: FilterClause[] } {
  const parts: string[] = [];
  const local: FilterClause[] = [];
  for (const c of clauses) {
    const value =
      typeof c.value === 'number'
        ? Number.isFinite(c.value)
          ? mlflowFilterNumber(c.value)
          : undefined
        : mlflowFilterString(c.value);
    if (value === undefined || c.entity === 'metric') local.push(c);
    if (value === undefined) continue;
    // Keys passed validateKey (no quotes or backticks), so backticks always delimit them.
    const key = /^[A-Za-z_][A-Za-z0-9_]*$/.test(c.key) ? c.key : `\`${c.key}\``;
    parts.push(`${FILTER_ENTITY[c.entity]}.${key} ${c.op} ${value}`);
  }
  return { server: parts.join(' AND '), local };
}

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
   * idempotent calls (all but creating runs, logged models and model versions).
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

type Json = Record<string, unknown>;
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

class MlflowHttp {
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
    this.auth = authorizationHeader(opts.env ?? process.env, u);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    this.base = u.toString().replace(/\/+$/, '');
    this.baseUrl = new URL(this.base);
    this.display = this.base;
    this.budgetMs = opts.retryBudgetMs ?? 120_000;
    this.backoffMs = opts.backoffMs ?? 250;
    this.maxDelayMs = opts.maxDelayMs ?? 10_000;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.maxBytes = opts.maxResponseBytes ?? 256 * 1024 * 1024;
    this.maxPages = opts.maxPages ?? 10_000;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = opts.random ?? Math.random;
  }

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
      `MLflow ${what} at ${this.display}: ${err.message} (${tries} attempt${tries === 1 ? '' : 's'} in ${Math.round((Date.now() - started) / 1000)} s; retry budget ${Math.round(this.budgetMs / 1000)} s, option retryBudgetMs)`,
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
}

// ---------------------------------------------------------------------------------------------
// Response mapping
// ---------------------------------------------------------------------------------------------

interface WireRunInfo {
  run_id?: string;
  run_uuid?: string;
  run_name?: string;
  experiment_id?: string;
  status?: string | number;
  start_time?: number | string;
  end_time?: number | string;
  artifact_uri?: string;
  lifecycle_stage?: string;
}
interface WireKV {
  key: string;
  value?: string;
}
interface WireRun {
  info?: WireRunInfo;
  data?: {
    metrics?: { key: string; value: unknown; timestamp?: unknown; step?: unknown }[];
    params?: WireKV[];
    tags?: WireKV[];
  };
  inputs?: {
    dataset_inputs?: { tags?: WireKV[]; dataset?: Record<string, string | undefined> }[];
  };
}
interface WireModelVersion {
  name?: string;
  version?: string;
  creation_timestamp?: number | string;
  source?: string;
  run_id?: string;
  tags?: WireKV[];
  aliases?: string[];
}

interface WireMetricOut {
  key?: unknown;
  value: unknown;
  timestamp?: unknown;
  step?: unknown;
}

/** `r[field]` as an array of objects, or a typed error naming the endpoint (a hostile or broken server). */
function arrayField<T>(r: Json, field: string, endpoint: string): T[] {
  const v = r[field];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'object' || x === null || Array.isArray(x))) {
    throw new TrackingError(
      'mlflow_bad_response',
      `MLflow ${endpoint} returned "${field}" that is not a list of objects; is the URI an MLflow server?`,
    );
  }
  return v as T[];
}

const STATUS_NAMES: Record<number, string> = {
  1: 'RUNNING',
  2: 'SCHEDULED',
  3: 'FINISHED',
  4: 'FAILED',
  5: 'KILLED',
};

function toStatus(s: unknown): RunStatus {
  const name = typeof s === 'number' ? STATUS_NAMES[s] : s;
  return name === 'FINISHED' || name === 'FAILED' || name === 'KILLED' ? name : 'RUNNING';
}

function int(v: unknown, fallback = 0): number {
  if (v === undefined || v === null || v === '') return fallback;
  const n = Number(v);
  return Number.isFinite(n) ? n : fallback;
}

let inputSeq = 0;
/** Increasing within a process and across processes logging one after another (ms × 1000 + counter). */
function nextInputSeq(): number {
  inputSeq = Math.max(inputSeq + 1, Date.now() * 1000);
  return inputSeq;
}

/** The `tsad.seq` of a wire input (0 when another client logged it). */
function inputSeqOf(x: { dataset?: Record<string, string | undefined> }): number {
  try {
    const v = (JSON.parse(x.dataset?.profile ?? '{}') as Record<string, unknown>)['tsad.seq'];
    return typeof v === 'number' ? v : 0;
  } catch {
    return 0;
  }
}

/** Dataset inputs as MLflow stores them: tsad fields travel in the JSON `profile`. */
export function datasetToWire(d: DatasetInput): { tags: WireKV[]; dataset: Record<string, string> } {
  if (d.context.length > MLFLOW_INPUT_LIMITS.inputTagValue) {
    throw new TrackingValidationError(
      'invalid_value',
      `dataset "${d.name}" context is ${d.context.length} characters; MLflow input tags allow ${MLFLOW_INPUT_LIMITS.inputTagValue}`,
    );
  }
  const source =
    d.source === undefined
      ? { source_type: 'code', source: JSON.stringify({ tags: {} }) }
      : /^https?:\/\//i.test(d.source)
        ? { source_type: 'http', source: JSON.stringify({ url: d.source }) }
        : { source_type: 'local', source: JSON.stringify({ uri: d.source }) };
  return {
    tags: [{ key: 'mlflow.data.context', value: d.context }],
    dataset: {
      name: d.name,
      digest: d.digest.slice(0, MLFLOW_INPUT_LIMITS.datasetDigest),
      ...source,
      schema: JSON.stringify({
        mlflow_colspec: [
          { type: 'double', name: 't', required: true },
          { type: 'double', name: 'v', required: true },
        ],
      }),
      profile: JSON.stringify({
        num_rows: d.rows,
        'tsad.sha256': d.digest,
        'tsad.start_time': d.startTime,
        'tsad.end_time': d.endTime,
        // MLflow's file store lists inputs in no particular order: this puts them back in logging order
        'tsad.seq': nextInputSeq(),
      }),
    },
  };
}

export function datasetFromWire(x: {
  tags?: WireKV[];
  dataset?: Record<string, string | undefined>;
}): DatasetInput {
  const ds = x.dataset ?? {};
  let profile: Record<string, unknown> = {};
  try {
    profile = JSON.parse(ds.profile ?? '{}') as Record<string, unknown>;
  } catch {
    profile = {};
  }
  let source: string | undefined;
  try {
    const s = JSON.parse(ds.source ?? '{}') as { uri?: unknown; url?: unknown; path?: unknown };
    const v = s.uri ?? s.url ?? s.path;
    if (typeof v === 'string') source = v;
  } catch {
    source = undefined;
  }
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const sha = profile['tsad.sha256'];
  return {
    name: ds.name ?? '',
    digest: typeof sha === 'string' ? sha : (ds.digest ?? ''),
    rows: num(profile.num_rows) ?? 0,
    startTime: num(profile['tsad.start_time']),
    endTime: num(profile['tsad.end_time']),
    context: x.tags?.find((t) => t.key === 'mlflow.data.context')?.value ?? '',
    ...(source !== undefined ? { source } : {}),
  };
}

/** `mlflow-artifacts:/1/<run>/artifacts` → `1/<run>/artifacts`, the path under the artifact endpoint. */
export function artifactStoragePath(artifactUri: string): string {
  const proxied = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(artifactUri);
  if (proxied) return proxied[1].replace(/\/+$/, '');
  const anchor = '/api/2.0/mlflow-artifacts/artifacts/';
  if (/^https?:\/\//i.test(artifactUri) && artifactUri.includes(anchor)) {
    return artifactUri.slice(artifactUri.indexOf(anchor) + anchor.length).replace(/\/+$/, '');
  }
  throw new TrackingError(
    'mlflow_artifacts_not_proxied',
    `the run's artifact root ${artifactUri} is not served through the tracking server; start the server with proxied artifacts (mlflow server --serve-artifacts, the default since MLflow 2.0, with --default-artifact-root mlflow-artifacts:/ or --artifacts-destination)`,
  );
}

/** The logged model id of `artifactPath` in a run's `mlflow.log-model.history` tag (the last one). */
export function loggedModelId(run: WireRun, artifactPath: string): string | undefined {
  const tag = run.data?.tags?.find((t) => t.key === 'mlflow.log-model.history')?.value;
  if (!tag) return undefined;
  try {
    const hist = JSON.parse(tag) as unknown;
    if (!Array.isArray(hist)) return undefined;
    let id: string | undefined;
    // the server keeps run_id, artifact_path, model_uuid (= the logged model id) and flavors
    for (const h of hist as { artifact_path?: unknown; model_id?: unknown; model_uuid?: unknown }[]) {
      const mid = h?.model_id ?? h?.model_uuid;
      if (h?.artifact_path === artifactPath && typeof mid === 'string' && /^m-[0-9a-f]+$/.test(mid)) id = mid;
    }
    return id;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Run
// ---------------------------------------------------------------------------------------------

class MlflowRun extends BaseRun {
  constructor(
    private readonly tracker: MlflowTracker,
    id: string,
    experimentId: string,
    experiment: string,
    name: string,
    startTime: number,
    private readonly artifactRoot: string,
  ) {
    super(id, experimentId, experiment, name, startTime);
  }

  protected async writeBatch(batch: ValidBatch): Promise<void> {
    await this.tracker.sendBatch(this.id, batch);
  }

  protected async writeInputs(inputs: readonly DatasetInput[]): Promise<void> {
    await this.tracker.sendInputs(this.id, inputs);
  }

  protected async writeArtifact(path: string, bytes: Uint8Array): Promise<void> {
    await this.tracker.http.putArtifact(`${artifactStoragePath(this.artifactRoot)}/${path}`, bytes);
  }

  /**
   * An MLflow 3 logged model linked to the run, as MLflow's own `log_model` makes one: create it,
   * upload the model directory to its artifact location, mark it READY, record it as an output of
   * the run and in the run's `mlflow.log-model.history` tag. The same directory also goes under
   * the run's artifacts (`runs:/<run>/<name>`), where tsad and MLflow 2 clients read it.
   */
  protected override async writeModel(name: string, modelJson: Uint8Array, info: MlmodelInfo): Promise<void> {
    const http = this.tracker.http;
    const created = await http.call('POST', 'logged-models', {
      experiment_id: this.experimentId,
      name,
      source_run_id: this.id,
      model_type: `tsad:${info.modelType}`,
      tags: [{ key: 'tsad.model_format', value: `${info.format}@${info.formatVersion}` }],
    });
    const mi = ((created.model as Json | undefined)?.info ?? {}) as {
      model_id?: unknown;
      artifact_uri?: unknown;
    };
    if (typeof mi.model_id !== 'string' || typeof mi.artifact_uri !== 'string') {
      throw new TrackingError(
        'mlflow_bad_response',
        'MLflow logged-models returned no model_id or artifact_uri',
      );
    }
    const modelId = mi.model_id;
    const text = mlmodelText({ ...info, modelId });
    const mlmodel = new TextEncoder().encode(text);
    const root = artifactStoragePath(mi.artifact_uri);
    await http.putArtifact(`${root}/${MODEL_DATA_FILE}`, modelJson);
    await http.putArtifact(`${root}/${MLMODEL_FILE}`, mlmodel);
    await this.writeArtifact(`${name}/${MODEL_DATA_FILE}`, modelJson);
    await this.writeArtifact(`${name}/${MLMODEL_FILE}`, mlmodel);
    await http.call('PATCH', `logged-models/${encodeURIComponent(modelId)}`, {
      model_id: modelId,
      status: LOGGED_MODEL_READY,
    });
    await http.call('POST', 'runs/outputs', { run_id: this.id, models: [{ model_id: modelId, step: 0 }] });
    await http.call('POST', 'runs/log-model', {
      run_id: this.id,
      model_json: JSON.stringify(parseYaml(text)),
    });
  }

  protected async writeEnd(status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void> {
    await this.tracker.endRun(this.id, status, endTime);
  }
}

// ---------------------------------------------------------------------------------------------
// Tracker
// ---------------------------------------------------------------------------------------------

const PARAM_CHANGE = /Changing param values is not allowed/i;
/** `LoggedModelStatus.LOGGED_MODEL_READY` in MLflow's service.proto. */
const LOGGED_MODEL_READY = 2;
/** Artifact directories deeper than this are a server that lists a directory inside itself. */
const MAX_ARTIFACT_DEPTH = 64;

export class MlflowTracker extends BaseTracker {
  readonly uri: string;
  /** @internal */
  readonly http: MlflowHttp;
  private readonly expById = new Map<string, Experiment>();
  private readonly expByName = new Map<string, Experiment>();
  private readonly deleted = new Set<string>();
  /** run id → artifact_uri (fixed for a run's lifetime). */
  private readonly artifactUris = new Map<string, string>();
  /** Ends not yet delivered: run id → status and end time. */
  private readonly pendingEnds = new Map<
    string,
    { status: Exclude<RunStatus, 'RUNNING'>; endTime: number }
  >();

  constructor(uri: string, opts: MlflowTrackerOptions = {}) {
    super();
    this.http = new MlflowHttp(uri, opts);
    this.uri = redactUri(uri);
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
      if (page >= this.http.maxPages) {
        throw new TrackingError(
          'mlflow_bad_response',
          `MLflow ${endpoint} returned more than ${this.http.maxPages} pages; the server's paging looks broken (option maxPages)`,
        );
      }
      const r = await this.http.call(method, endpoint, token ? { ...payload, page_token: token } : payload, {
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

  // --- experiments ---------------------------------------------------------------------------

  private remember(e: Json | undefined): Experiment {
    if (!e || typeof e.experiment_id !== 'string' || typeof e.name !== 'string') {
      throw new TrackingError(
        'mlflow_bad_response',
        'MLflow returned an experiment without experiment_id or name',
      );
    }
    const exp: Experiment = {
      experimentId: e.experiment_id,
      name: e.name,
      creationTime: int(e.creation_time),
    };
    if (e.lifecycle_stage === 'deleted') {
      this.deleted.add(exp.experimentId);
      return exp;
    }
    this.deleted.delete(exp.experimentId);
    this.expById.set(exp.experimentId, exp);
    this.expByName.set(exp.name, exp);
    return exp;
  }

  async getExperiment(name: string): Promise<Experiment | undefined> {
    validateExperimentName(name);
    try {
      const r = await this.http.call('GET', 'experiments/get-by-name', { experiment_name: name });
      return this.remember(r.experiment as Json | undefined);
    } catch (err) {
      if (err instanceof TrackingNotFoundError) return undefined;
      // MLflow's file store looks names up through a filter string, which a name holding a quote
      // breaks (INVALID_PARAMETER_VALUE): list the experiments and compare names here instead.
      if (err instanceof MlflowApiError && err.errorCode === 'INVALID_PARAMETER_VALUE' && /['"]/.test(name)) {
        return (await this.searchExperiments('ALL')).find((e) => e.name === name);
      }
      throw err;
    }
  }

  async getOrCreateExperiment(name: string): Promise<Experiment> {
    const cached = this.expByName.get(name);
    if (cached) return cached;
    const found = await this.getExperiment(name);
    if (found) {
      if (this.deleted.has(found.experimentId)) {
        throw new TrackingError(
          'mlflow_experiment_deleted',
          `MLflow experiment "${name}" (id ${found.experimentId}) is deleted; restore it (mlflow experiments restore --experiment-id ${found.experimentId}) or use another name`,
        );
      }
      return found;
    }
    try {
      await this.http.call('POST', 'experiments/create', { name }, { idempotent: true });
    } catch (err) {
      if (err instanceof MlflowApiError && err.errorCode === 'INVALID_PARAMETER_VALUE' && /['"]/.test(name)) {
        throw new TrackingValidationError(
          'mlflow_unsupported_name',
          `this MLflow server cannot create experiment ${JSON.stringify(name)}: its file store looks names up through a filter string that a quote breaks; use a name without quotes, or a server with a database backend`,
          { cause: err },
        );
      }
      // Another client created it between our get and create: read it again.
      if (!(err instanceof MlflowApiError && err.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw err;
    }
    const exp = await this.getExperiment(name);
    if (!exp)
      throw new TrackingNotFoundError(`MLflow experiment "${name}" vanished right after it was created`);
    return exp;
  }

  async listExperiments(): Promise<Experiment[]> {
    return (await this.searchExperiments('ACTIVE_ONLY')).filter((e) => !this.deleted.has(e.experimentId));
  }

  private async searchExperiments(view: 'ACTIVE_ONLY' | 'ALL'): Promise<Experiment[]> {
    const out: Experiment[] = [];
    await this.pages('experiments/search', { max_results: 1000, view_type: view }, (r) => {
      for (const e of arrayField<Json>(r, 'experiments', 'experiments/search')) out.push(this.remember(e));
    });
    return out;
  }

  private async experimentName(id: string): Promise<string> {
    const c = this.expById.get(id);
    if (c) return c.name;
    const r = await this.http.call('GET', 'experiments/get', { experiment_id: id });
    return this.remember(r.experiment as Json | undefined).name;
  }

  // --- runs --------------------------------------------------------------------------------------

  async startRun(opts: RunOptions): Promise<Run> {
    const o = prepareRunOptions(opts);
    for (const t of o.tags) checkMlflowKey('tag', t.key);
    const exp = await this.getOrCreateExperiment(o.experiment);
    const named = opts.name !== undefined;
    const tags = [...o.tags.filter((t) => t.key !== 'mlflow.runName')];
    if (named) tags.push({ key: 'mlflow.runName', value: o.name });
    const createTags = tags.slice(0, MLFLOW_BATCH_LIMITS.tags);
    const r = await this.http.call('POST', 'runs/create', {
      experiment_id: exp.experimentId,
      // as MLflow's own client does: the user goes in run.info.user_id as well as the mlflow.user tag
      user_id: o.tags.find((t) => t.key === 'mlflow.user')?.value ?? '',
      start_time: o.startTime,
      ...(named ? { run_name: o.name } : {}),
      tags: createTags,
    });
    const info = ((r.run as WireRun | undefined)?.info ?? {}) as WireRunInfo;
    const runId = info.run_id ?? info.run_uuid;
    if (!runId || !info.artifact_uri) {
      throw new TrackingError('mlflow_bad_response', 'MLflow runs/create returned no run_id or artifact_uri');
    }
    let name = o.name;
    if (!named) {
      // The interface names unnamed runs after their id, which only the server knows.
      name = defaultRunName(runId);
      await this.http.call('POST', 'runs/update', { run_id: runId, run_name: name }, { idempotent: true });
    }
    if (tags.length > createTags.length) {
      await this.sendBatch(runId, { params: [], metrics: [], tags: tags.slice(createTags.length) });
    }
    this.artifactUris.set(runId, info.artifact_uri);
    return new MlflowRun(this, runId, exp.experimentId, exp.name, name, o.startTime, info.artifact_uri);
  }

  /** @internal log-batch in chunks; a rejected param change becomes ParamConflictError. */
  async sendBatch(runId: string, batch: ValidBatch): Promise<void> {
    for (const p of batch.params) checkMlflowKey('param', p.key);
    for (const t of batch.tags) checkMlflowKey('tag', t.key);
    for (const m of batch.metrics) checkMlflowKey('metric', m.key);
    for (const chunk of chunkLogBatch(batch)) {
      const body: Json = { run_id: runId };
      if (chunk.metrics.length > 0) body.metrics = chunk.metrics;
      if (chunk.params.length > 0) body.params = chunk.params;
      if (chunk.tags.length > 0) body.tags = chunk.tags;
      try {
        await this.http.call('POST', 'runs/log-batch', body, {
          idempotent: true,
          // params (same value) and tags (overwrite) may be re-sent; metric points the first
          // attempt stored are left out, so a batch whose answer was lost is never doubled
          beforeResend:
            chunk.metrics.length === 0
              ? undefined
              : async () => {
                  const left = await this.undelivered(runId, chunk.metrics);
                  if (left.length === 0 && chunk.params.length === 0 && chunk.tags.length === 0) return null;
                  const next: Json = { ...body };
                  if (left.length > 0) next.metrics = left;
                  else delete next.metrics;
                  return next;
                },
        });
      } catch (err) {
        if (
          err instanceof MlflowApiError &&
          err.errorCode === 'INVALID_PARAMETER_VALUE' &&
          PARAM_CHANGE.test(err.message)
        ) {
          const rec = await this.getRun(runId);
          for (const p of chunk.params) {
            const old = rec.data.params[p.key];
            if (old !== undefined && old !== p.value)
              throw new ParamConflictError(runId, p.key, old, p.value);
          }
        }
        throw err;
      }
    }
  }

  /** The points of `sent` that the run's metric histories do not hold (each stored point counts once). */
  private async undelivered(runId: string, sent: readonly WireMetric[]): Promise<WireMetric[]> {
    const have = new Map<string, number>();
    const id = (key: string, step: number, ts: number, v: number) =>
      `${key}\u0000${step}\u0000${ts}\u0000${Number.isNaN(v) ? 'NaN' : normalizeMetricValue(v)}`;
    for (const key of new Set(sent.map((m) => m.key))) {
      for (const p of await this.getMetricHistory(runId, key)) {
        const k = id(p.key, p.step, p.timestamp, p.value);
        have.set(k, (have.get(k) ?? 0) + 1);
      }
    }
    const left: WireMetric[] = [];
    for (const m of sent) {
      const k = id(m.key, m.step, m.timestamp, decodeMetricValue(m.value));
      const n = have.get(k) ?? 0;
      if (n > 0) have.set(k, n - 1);
      else left.push(m);
    }
    return left;
  }

  /** @internal */
  async sendInputs(runId: string, inputs: readonly DatasetInput[]): Promise<void> {
    const wire = inputs.map(datasetToWire);
    for (let i = 0; i < wire.length; i += MLFLOW_INPUT_LIMITS.datasetsPerRequest) {
      await this.http.call(
        'POST',
        'runs/log-inputs',
        { run_id: runId, datasets: wire.slice(i, i + MLFLOW_INPUT_LIMITS.datasetsPerRequest) },
        { idempotent: true }, // MLflow keeps one input per (dataset name, digest)
      );
    }
  }

  private async wireRun(runId: string): Promise<WireRun> {
    validateRunId(runId);
    const r = await this.http.call('GET', 'runs/get', { run_id: runId });
    const run = r.run as WireRun | undefined;
    if (!run?.info)
      throw new TrackingError('mlflow_bad_response', `MLflow runs/get returned no run for ${runId}`);
    return run;
  }

  private async toRecord(w: WireRun): Promise<RunRecord> {
    const info = w.info ?? {};
    const tags: Record<string, string> = {};
    for (const t of w.data?.tags ?? []) tags[t.key] = t.value ?? '';
    const params: Record<string, string> = {};
    for (const p of w.data?.params ?? []) params[p.key] = p.value ?? '';
    const metrics: Record<string, MetricPoint> = {};
    for (const m of w.data?.metrics ?? []) {
      metrics[m.key] = {
        key: m.key,
        value: decodeMetricValue(m.value),
        step: int(m.step),
        timestamp: int(m.timestamp),
      };
    }
    const experimentId = info.experiment_id ?? '';
    return {
      info: {
        runId: info.run_id ?? info.run_uuid ?? '',
        experimentId,
        runName: info.run_name ?? tags['mlflow.runName'] ?? '',
        status: toStatus(info.status),
        startTime: int(info.start_time),
        endTime: info.end_time === undefined || info.end_time === null ? null : int(info.end_time),
      },
      experiment: experimentId ? await this.experimentName(experimentId) : '',
      data: { params, metrics, tags },
      inputs: [...(w.inputs?.dataset_inputs ?? [])]
        .map((x, i) => ({ x, i, seq: inputSeqOf(x) }))
        .sort((a, b) => a.seq - b.seq || a.i - b.i)
        .map(({ x }) => datasetFromWire(x)),
    };
  }

  async getRun(runId: string): Promise<RunRecord> {
    const w = await this.wireRun(runId);
    // MLflow keeps deleted runs (lifecycle stage "deleted") until `mlflow gc`; for tsad they are gone
    if (w.info?.lifecycle_stage === 'deleted') {
      throw new TrackingNotFoundError(`run ${runId} was deleted from ${this.uri}`);
    }
    return this.toRecord(w);
  }

  /** `runs/delete`: MLflow moves the run to its trash (lifecycle stage "deleted"). */
  async deleteRun(runId: string): Promise<void> {
    validateRunId(runId);
    await this.http.call('POST', 'runs/delete', { run_id: runId }, { idempotent: true });
    this.pendingEnds.delete(runId);
  }

  async getMetricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    validateRunId(runId);
    const out: MetricPoint[] = [];
    await this.pages('metrics/get-history', { run_id: runId, metric_key: key, max_results: 25000 }, (r) => {
      for (const m of arrayField<WireMetricOut>(r, 'metrics', 'metrics/get-history')) {
        out.push({
          key: String(m.key),
          value: decodeMetricValue(m.value),
          step: int(m.step),
          timestamp: int(m.timestamp),
        });
      }
    });
    return sortHistory(out);
  }

  async listArtifacts(runId: string): Promise<ArtifactInfo[]> {
    validateRunId(runId);
    const out: ArtifactInfo[] = [];
    const walk = async (dir: string | undefined, depth: number): Promise<void> => {
      const subdirs: string[] = [];
      await this.pages('artifacts/list', { run_id: runId, path: dir }, (r) => {
        for (const f of arrayField<{ path?: unknown; is_dir?: unknown; file_size?: unknown }>(
          r,
          'files',
          'artifacts/list',
        )) {
          const path = String(f.path);
          // a listed entry must lie strictly inside the listed directory
          if (dir !== undefined && !path.startsWith(`${dir}/`)) {
            throw new TrackingError(
              'mlflow_bad_response',
              `MLflow artifacts/list of ${dir} returned ${JSON.stringify(path.slice(0, 200))}, which is not inside it`,
            );
          }
          if (f.is_dir === true) subdirs.push(path);
          else out.push({ path, size: int(f.file_size) });
        }
      });
      for (const d of subdirs) {
        if (depth >= MAX_ARTIFACT_DEPTH) {
          throw new TrackingError(
            'mlflow_bad_response',
            `MLflow artifacts/list nests directories deeper than ${MAX_ARTIFACT_DEPTH} levels under run ${runId}`,
          );
        }
        await walk(d, depth + 1);
      }
    };
    await walk(undefined, 0);
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async readArtifact(runId: string, path: string): Promise<Uint8Array> {
    validateArtifactPath(path);
    let uri = this.artifactUris.get(runId);
    if (uri === undefined) {
      uri = (await this.wireRun(runId)).info?.artifact_uri ?? '';
      this.artifactUris.set(runId, uri);
    }
    try {
      return await this.http.getArtifact(`${artifactStoragePath(uri)}/${path}`);
    } catch (err) {
      // MLflow answers a missing artifact with 500 (or 404): check the listing to tell the two apart
      if (err instanceof MlflowApiError && (err.status === 404 || err.status === 500)) {
        const slash = path.lastIndexOf('/');
        let listed: { path?: unknown }[] = [];
        try {
          const r = await this.http.call('GET', 'artifacts/list', {
            run_id: runId,
            ...(slash > 0 ? { path: path.slice(0, slash) } : {}),
          });
          listed = arrayField<{ path?: unknown }>(r, 'files', 'artifacts/list');
        } catch {
          listed = [];
        }
        if (!listed.some((f) => f.path === path)) {
          throw new TrackingNotFoundError(`run ${runId} has no artifact "${path}"`, { cause: err });
        }
      }
      throw err;
    }
  }

  async searchRuns(query: SearchRunsQuery = {}): Promise<RunRecord[]> {
    const q = normalizeQuery(query);
    let ids: string[];
    if (q.experiments === null) ids = (await this.listExperiments()).map((e) => e.experimentId);
    else {
      ids = [];
      for (const name of q.experiments) {
        const e = await this.getExperiment(name);
        if (e) ids.push(e.experimentId);
      }
    }
    if (ids.length === 0 || q.maxResults === 0) return [];
    const { server: filter, local } = mlflowFilter(q.filter);
    // Clauses MLflow's filter syntax cannot express are applied here, after fetching every page.
    const limit = local.length > 0 ? null : q.maxResults;
    const orderBy = q.orderBy.map(formatOrderBy);
    const wires: WireRun[] = [];
    await this.pages(
      'runs/search',
      {
        experiment_ids: ids,
        ...(filter ? { filter } : {}),
        run_view_type: 'ACTIVE_ONLY',
        max_results: limit === null ? 1000 : Math.min(1000, limit),
        ...(orderBy.length > 0 ? { order_by: orderBy } : {}),
      },
      (r) => {
        wires.push(...arrayField<WireRun>(r, 'runs', 'runs/search'));
      },
      () => limit === null || wires.length < limit,
    );
    let out: RunRecord[] = [];
    for (const w of wires) out.push(await this.toRecord(w));
    if (local.length > 0) out = out.filter((r) => matchesFilter(r, local));
    return q.maxResults === null ? out : out.slice(0, q.maxResults);
  }

  // --- registry ----------------------------------------------------------------------------------

  private toModelVersion(v: WireModelVersion): ModelVersion {
    const runId = v.run_id ?? '';
    let artifactPath = v.tags?.find((t) => t.key === 'tsad.artifact_path')?.value;
    if (!artifactPath && v.source) {
      const m = /^runs:\/[^/]+\/(.+)$/.exec(v.source) ?? /\/artifacts\/(.+)$/.exec(v.source);
      artifactPath = m?.[1];
    }
    artifactPath = artifactPath || 'model';
    return {
      name: v.name ?? '',
      version: int(v.version),
      runId,
      artifactPath,
      source: `runs:/${runId}/${artifactPath}`,
      creationTime: int(v.creation_timestamp),
      aliases: [...(v.aliases ?? [])].sort(),
    };
  }

  async registerModel(
    name: string,
    runId: string,
    opts: { artifactPath?: string } = {},
  ): Promise<ModelVersion> {
    validateModelName(name);
    const artifactPath = validateArtifactPath(opts.artifactPath ?? 'model');
    const run = await this.wireRun(runId);
    const artifactUri = run.info?.artifact_uri ?? '';
    try {
      await this.http.call('POST', 'registered-models/create', { name }, { idempotent: true });
    } catch (err) {
      if (!(err instanceof MlflowApiError && err.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw err;
    }
    // As MLflow 3 registers a logged model: source models:/<model id>, which the server resolves
    // to the logged model's artifacts; earlier runs (no logged model) register their run path.
    const modelId = loggedModelId(run, artifactPath);
    const r = await this.http.call('POST', 'model-versions/create', {
      name,
      source: modelId ? `models:/${modelId}` : `${artifactUri.replace(/\/+$/, '')}/${artifactPath}`,
      run_id: runId,
      ...(modelId ? { model_id: modelId } : {}),
      tags: [{ key: 'tsad.artifact_path', value: artifactPath }],
    });
    return this.toModelVersion((r.model_version ?? {}) as WireModelVersion);
  }

  async setAlias(name: string, alias: string, version: number): Promise<void> {
    validateModelName(name);
    validateAlias(alias, true);
    validateVersion(version);
    await this.http.call(
      'POST',
      'registered-models/alias',
      { name, alias, version: String(version) },
      { idempotent: true },
    );
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    validateModelName(name);
    validateAlias(alias, true);
    // MLflow deletes a missing alias silently; the Tracker contract reports it.
    const r = await this.http.call('GET', 'registered-models/get', { name });
    const aliases =
      ((r.registered_model as Json | undefined)?.aliases as { alias: string }[] | undefined) ?? [];
    if (!aliases.some((a) => a.alias === alias)) {
      throw new TrackingNotFoundError(`model "${name}" has no alias "${alias}"`);
    }
    await this.http.call('DELETE', 'registered-models/alias', { name, alias });
  }

  async getModelVersion(name: string, versionOrAlias: number | string): Promise<ModelVersion> {
    validateModelName(name);
    let version: number | undefined;
    if (typeof versionOrAlias === 'number') version = validateVersion(versionOrAlias);
    else if (/^[1-9]\d*$/.test(versionOrAlias)) version = Number(versionOrAlias);
    else if (/^v\d+$/i.test(versionOrAlias)) version = Number(versionOrAlias.slice(1));
    else if (versionOrAlias.toLowerCase() === 'latest') {
      const all = await this.listModelVersions(name);
      const last = all[all.length - 1];
      if (!last) throw new TrackingNotFoundError(`model "${name}" has no versions yet`);
      return last;
    }
    if (version !== undefined) {
      const r = await this.http.call('GET', 'model-versions/get', { name, version: String(version) });
      return this.toModelVersion((r.model_version ?? {}) as WireModelVersion);
    }
    const alias = validateAlias(versionOrAlias, false);
    let r: Json;
    try {
      r = await this.http.call('GET', 'registered-models/alias', { name, alias });
    } catch (err) {
      // MLflow answers a missing alias with 400 INVALID_PARAMETER_VALUE
      if (err instanceof MlflowApiError && err.errorCode === 'INVALID_PARAMETER_VALUE') {
        throw new TrackingNotFoundError(`model "${name}" has no alias "${alias}"`, { cause: err });
      }
      throw err;
    }
    return this.toModelVersion((r.model_version ?? {}) as WireModelVersion);
  }

  async listRegisteredModels(): Promise<RegisteredModel[]> {
    const out: RegisteredModel[] = [];
    await this.pages('registered-models/search', { max_results: 1000 }, (r) => {
      for (const m of arrayField<Json>(r, 'registered_models', 'registered-models/search')) {
        const aliases: Record<string, number> = {};
        for (const a of (m.aliases as { alias: string; version: string }[] | undefined) ?? []) {
          aliases[a.alias] = int(a.version);
        }
        const latest = ((m.latest_versions as WireModelVersion[] | undefined) ?? []).reduce<number | null>(
          (acc, v) => Math.max(acc ?? 0, int(v.version)),
          null,
        );
        out.push({
          name: String(m.name),
          creationTime: int(m.creation_timestamp),
          aliases,
          latestVersion: latest,
        });
      }
    });
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async listModelVersions(name: string): Promise<ModelVersion[]> {
    validateModelName(name);
    // not found → typed error; model-versions/search leaves aliases out, registered-models/get has them
    const reg = await this.http.call('GET', 'registered-models/get', { name });
    const aliasesOf = new Map<string, string[]>();
    for (const a of ((reg.registered_model as Json | undefined)?.aliases as
      | { alias: string; version: string }[]
      | undefined) ?? []) {
      aliasesOf.set(String(a.version), [...(aliasesOf.get(String(a.version)) ?? []), a.alias]);
    }
    // MLflow's filter strings have no escapes: a name holding both quote kinds is matched here
    const quoted = mlflowFilterString(name);
    const out: ModelVersion[] = [];
    await this.pages(
      'model-versions/search',
      { ...(quoted ? { filter: `name=${quoted}` } : {}), max_results: 10000 },
      (r) => {
        for (const v of (r.model_versions as WireModelVersion[] | undefined) ?? []) {
          if (v.name !== name) continue;
          out.push(
            this.toModelVersion({
              ...v,
              aliases: v.aliases?.length ? v.aliases : aliasesOf.get(String(v.version)),
            }),
          );
        }
      },
    );
    return out.sort((a, b) => a.version - b.version);
  }

  /**
   * @internal Ends a run (idempotent, retried within the budget). An end that still cannot be
   * delivered is remembered: `close()` tries it again and reports it if it fails again.
   */
  async endRun(runId: string, status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void> {
    this.pendingEnds.set(runId, { status, endTime });
    await this.http.call(
      'POST',
      'runs/update',
      { run_id: runId, status, end_time: endTime },
      { idempotent: true },
    );
    this.pendingEnds.delete(runId);
  }

  /** Runs whose end (FINISHED/FAILED/KILLED) has not reached the server yet. */
  pendingRuns(): { runId: string; status: Exclude<RunStatus, 'RUNNING'> }[] {
    return [...this.pendingEnds].map(([runId, p]) => ({ runId, status: p.status }));
  }

  /**
   * Delivers the ends still pending (one more retry budget each), then forgets the caches.
   * Throws a TrackingError (code `mlflow_runs_pending`) naming the runs whose end could not be
   * delivered, so no run is silently left RUNNING.
   */
  async close(): Promise<void> {
    const failed: string[] = [];
    for (const [runId, p] of [...this.pendingEnds]) {
      try {
        await this.endRun(runId, p.status, p.endTime);
      } catch (err) {
        failed.push(`${runId} (${p.status}: ${(err as Error).message})`);
      }
    }
    if (failed.length > 0) {
      throw new TrackingError(
        'mlflow_runs_pending',
        `the MLflow server at ${this.http.display} did not take the end of ${failed.length} run(s), which stay RUNNING there: ${failed.join('; ')}; end them later with tracker.close() again or in the MLflow UI`,
      );
    }
    this.artifactUris.clear();
    this.expById.clear();
    this.expByName.clear();
  }
}

/** The factory `openTracker` uses for `http(s)://` URIs. */
export function createMlflowTracker(uri: string, opts: MlflowTrackerOptions = {}): MlflowTracker {
  return new MlflowTracker(uri, opts);
}
