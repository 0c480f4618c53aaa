/**
 * An in-process MLflow tracking server that implements the subset of the MLflow REST API 2.0
 * tsad uses and CHECKS every request against MLflow's documented API.
 *
 * The expectations come from MLflow's own API definition, not from our client:
 * - `mlflow/protos/service.proto`: endpoints, methods, message fields and types (proto2 JSON
 *   mapping: int64 as JSON integers or decimal strings, doubles as numbers or the strings
 *   "NaN"/"Infinity"/"-Infinity", enums by name), the LogBatch request limits (1000 metrics,
 *   100 params, 100 tags, 1000 entities in total, 1 MB per request), param immutability.
 * - `mlflow/protos/model_registry.proto`: registered models, model versions, aliases.
 * - `mlflow/protos/mlflow_artifacts.proto`: proxied artifacts under
 *   `/api/2.0/mlflow-artifacts/artifacts/<path>` (PUT upload, GET download, GET list).
 * - `mlflow/utils/validation.py`: allowed key characters (`^[/\w.\- :]*$`, no path tricks),
 *   length limits (keys 250, param values 6000, tag values 8000, dataset digest 36, ...),
 *   alias names (`^[\w\-]*$`, not "latest", not `v<digits>`).
 * - `mlflow/exceptions.py`: the error body `{ error_code, message }` and HTTP statuses
 *   (INVALID_PARAMETER_VALUE/RESOURCE_ALREADY_EXISTS/BAD_REQUEST → 400,
 *   RESOURCE_DOES_NOT_EXIST/ENDPOINT_NOT_FOUND → 404, UNAUTHENTICATED → 401,
 *   REQUEST_LIMIT_EXCEEDED → 429, TEMPORARILY_UNAVAILABLE → 503).
 * - `mlflow/server/handlers.py`: which fields each handler requires, `Content-Type:
 *   application/json` on JSON requests, `validate_path_is_safe` on artifact paths.
 *
 * Stricter than MLflow in one way, on purpose: unknown request fields are rejected (MLflow
 * ignores them), so a misspelt field name in our client fails loudly instead of being dropped.
 * Every request is recorded (`requests`), with the contract errors found (`violations`).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// ---------------------------------------------------------------------------------------------
// Recorded traffic
// ---------------------------------------------------------------------------------------------

export interface RecordedRequest {
  readonly method: string;
  /** Path without the query string, e.g. `/api/2.0/mlflow/runs/log-batch`. */
  readonly path: string;
  readonly query: Record<string, string[]>;
  readonly headers: Record<string, string | undefined>;
  /** The parsed JSON body (JSON endpoints), or undefined. */
  readonly json: unknown;
  /** The raw body bytes. */
  readonly body: Buffer;
  status: number;
  response: unknown;
  /** Contract errors found in this request (empty when it is valid). */
  readonly errors: string[];
}

export interface FailureInjection {
  status: 408 | 429 | 500 | 502 | 503 | 504;
  /** Retry-After header value (seconds or an HTTP date). */
  retryAfter?: string;
  /** Only requests whose path contains this string are failed. */
  pathIncludes?: string;
  /** How many matching requests to fail. */
  count: number;
}

export interface ContractServerOptions {
  /** Require HTTP basic auth with these credentials. */
  basicAuth?: { username: string; password: string };
  /** Require `Authorization: Bearer <token>`. */
  bearerToken?: string;
  /**
   * Cap every list response at this many items (servers may restrict max_results), so clients
   * must follow `next_page_token`. Default: no cap beyond the requested max_results.
   */
  pageSize?: number;
}

// ---------------------------------------------------------------------------------------------
// MLflow error codes → HTTP status (mlflow/exceptions.py ERROR_CODE_TO_HTTP_STATUS)
// ---------------------------------------------------------------------------------------------

const STATUS: Record<string, number> = {
  INTERNAL_ERROR: 500,
  TEMPORARILY_UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
  REQUEST_LIMIT_EXCEEDED: 429,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  BAD_REQUEST: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  INVALID_PARAMETER_VALUE: 400,
};

class ApiError extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}
const invalid = (msg: string) => new ApiError('INVALID_PARAMETER_VALUE', msg);
const notFound = (msg: string) => new ApiError('RESOURCE_DOES_NOT_EXIST', msg);

// ---------------------------------------------------------------------------------------------
// Proto JSON field checking (service.proto / model_registry.proto messages)
// ---------------------------------------------------------------------------------------------

type Scalar = 'string' | 'int64' | 'int32' | 'double' | 'bool' | 'RunStatus' | 'ViewType';
interface Msg {
  readonly fields: Record<string, Field>;
  readonly required?: readonly string[];
}
type Field = Scalar | Msg | { readonly repeated: Scalar | Msg };

const RUN_STATUS = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];
const RUN_STATUS_NUM: Record<number, string> = {
  1: 'RUNNING',
  2: 'SCHEDULED',
  3: 'FINISHED',
  4: 'FAILED',
  5: 'KILLED',
};
const VIEW_TYPE = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'];

const KeyValue: Msg = { fields: { key: 'string', value: 'string' }, required: ['key'] };
const MetricMsg: Msg = {
  fields: {
    key: 'string',
    value: 'double',
    timestamp: 'int64',
    step: 'int64',
    dataset_name: 'string',
    dataset_digest: 'string',
    model_id: 'string',
    run_id: 'string',
  },
  required: ['key', 'value', 'timestamp'],
};
const DatasetMsg: Msg = {
  fields: {
    name: 'string',
    digest: 'string',
    source_type: 'string',
    source: 'string',
    schema: 'string',
    profile: 'string',
  },
  required: ['name', 'digest', 'source_type', 'source'],
};
const DatasetInputMsg: Msg = {
  fields: {
    tags: { repeated: { fields: { key: 'string', value: 'string' }, required: ['key', 'value'] } },
    dataset: DatasetMsg,
  },
  required: ['dataset'],
};

const SCHEMAS: Record<string, Msg> = {
  'experiments/create': {
    fields: { name: 'string', artifact_location: 'string', tags: { repeated: KeyValue } },
    required: ['name'],
  },
  'experiments/get-by-name': { fields: { experiment_name: 'string' }, required: ['experiment_name'] },
  'experiments/get': { fields: { experiment_id: 'string' }, required: ['experiment_id'] },
  'experiments/search': {
    fields: {
      max_results: 'int64',
      page_token: 'string',
      filter: 'string',
      order_by: { repeated: 'string' },
      view_type: 'ViewType',
    },
  },
  'runs/create': {
    fields: {
      experiment_id: 'string',
      user_id: 'string',
      run_name: 'string',
      start_time: 'int64',
      tags: { repeated: KeyValue },
    },
  },
  'runs/update': {
    fields: {
      run_id: 'string',
      run_uuid: 'string',
      status: 'RunStatus',
      end_time: 'int64',
      run_name: 'string',
    },
    required: ['run_id'],
  },
  'runs/set-tag': {
    fields: { run_id: 'string', run_uuid: 'string', key: 'string', value: 'string' },
    required: ['run_id', 'key'],
  },
  'runs/get': { fields: { run_id: 'string', run_uuid: 'string' }, required: ['run_id'] },
  'runs/log-batch': {
    fields: {
      run_id: 'string',
      metrics: { repeated: MetricMsg },
      params: { repeated: KeyValue },
      tags: { repeated: KeyValue },
    },
    required: ['run_id'],
  },
  'runs/log-inputs': {
    fields: { run_id: 'string', datasets: { repeated: DatasetInputMsg } },
    required: ['run_id'],
  },
  'runs/search': {
    fields: {
      experiment_ids: { repeated: 'string' },
      filter: 'string',
      run_view_type: 'ViewType',
      max_results: 'int32',
      order_by: { repeated: 'string' },
      page_token: 'string',
    },
  },
  'metrics/get-history': {
    fields: {
      run_id: 'string',
      run_uuid: 'string',
      metric_key: 'string',
      page_token: 'string',
      max_results: 'int32',
    },
    required: ['run_id', 'metric_key'],
  },
  'artifacts/list': {
    fields: { run_id: 'string', run_uuid: 'string', path: 'string', page_token: 'string' },
    required: ['run_id'],
  },
  'registered-models/create': {
    fields: { name: 'string', tags: { repeated: KeyValue }, description: 'string' },
    required: ['name'],
  },
  'registered-models/get': { fields: { name: 'string' }, required: ['name'] },
  'registered-models/search': {
    fields: {
      filter: 'string',
      max_results: 'int64',
      order_by: { repeated: 'string' },
      page_token: 'string',
    },
  },
  'model-versions/create': {
    fields: {
      name: 'string',
      source: 'string',
      run_id: 'string',
      tags: { repeated: KeyValue },
      run_link: 'string',
      description: 'string',
    },
    required: ['name', 'source'],
  },
  'model-versions/get': { fields: { name: 'string', version: 'string' }, required: ['name', 'version'] },
  'model-versions/search': {
    fields: {
      filter: 'string',
      max_results: 'int64',
      order_by: { repeated: 'string' },
      page_token: 'string',
    },
  },
  'registered-models/alias:POST': {
    fields: { name: 'string', alias: 'string', version: 'string' },
    required: ['name', 'alias', 'version'],
  },
  'registered-models/alias:GET': { fields: { name: 'string', alias: 'string' }, required: ['name', 'alias'] },
  'registered-models/alias:DELETE': {
    fields: { name: 'string', alias: 'string' },
    required: ['name', 'alias'],
  },
};

function describe(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

function checkScalar(t: Scalar, v: unknown, path: string, errors: string[]): void {
  const bad = (why: string) =>
    errors.push(`Invalid value ${describe(v)} for parameter '${path}' supplied: ${why}`);
  switch (t) {
    case 'string':
      if (typeof v !== 'string') bad('expected a JSON string');
      return;
    case 'bool':
      if (typeof v !== 'boolean') bad('expected true or false');
      return;
    case 'int64':
    case 'int32': {
      const ok =
        (typeof v === 'number' && Number.isSafeInteger(v)) ||
        (typeof v === 'string' && /^-?\d{1,19}$/.test(v));
      if (!ok) bad(`expected an integer (${t})`);
      else if (t === 'int32' && Math.abs(Number(v)) > 2 ** 31 - 1) bad('out of int32 range');
      return;
    }
    case 'double':
      if (!(typeof v === 'number' || v === 'NaN' || v === 'Infinity' || v === '-Infinity'))
        bad('expected a number or one of "NaN", "Infinity", "-Infinity"');
      return;
    case 'RunStatus':
      if (
        !((typeof v === 'string' && RUN_STATUS.includes(v)) || (typeof v === 'number' && v in RUN_STATUS_NUM))
      )
        bad(`expected one of ${RUN_STATUS.join(', ')}`);
      return;
    case 'ViewType':
      if (!((typeof v === 'string' && VIEW_TYPE.includes(v)) || v === 1 || v === 2 || v === 3))
        bad(`expected one of ${VIEW_TYPE.join(', ')}`);
      return;
  }
}

function checkField(f: Field, v: unknown, path: string, errors: string[]): void {
  if (typeof f === 'string') {
    checkScalar(f, v, path, errors);
    return;
  }
  if ('repeated' in f) {
    if (!Array.isArray(v)) {
      errors.push(`Invalid value ${describe(v)} for parameter '${path}' supplied: expected an array`);
      return;
    }
    v.forEach((item, i) => {
      checkField(f.repeated, item, `${path}[${i}]`, errors);
    });
    return;
  }
  checkMessage(f, v, path, errors);
}

function checkMessage(m: Msg, v: unknown, path: string, errors: string[]): void {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    errors.push(
      `Invalid value ${describe(v)} for parameter '${path || '<body>'}' supplied: expected a JSON object`,
    );
    return;
  }
  const obj = v as Record<string, unknown>;
  const at = (k: string) => (path ? `${path}.${k}` : k);
  for (const [k, val] of Object.entries(obj)) {
    const f = m.fields[k];
    if (f === undefined) {
      errors.push(`Unknown field '${at(k)}' (not in the MLflow API message)`);
      continue;
    }
    if (val === null) continue;
    checkField(f, val, at(k), errors);
  }
  for (const r of m.required ?? []) {
    const val = r === 'run_id' ? (obj.run_id ?? obj.run_uuid) : obj[r];
    if (val === undefined || val === null || val === '')
      errors.push(`Missing value for required parameter '${at(r)}'.`);
  }
}

// ---------------------------------------------------------------------------------------------
// Validation rules from mlflow/utils/validation.py
// ---------------------------------------------------------------------------------------------

export const MLFLOW_LIMITS = {
  metricsPerBatch: 1000,
  paramsPerBatch: 100,
  tagsPerBatch: 100,
  entitiesPerBatch: 1000,
  batchRequestBytes: 1_000_000,
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  experimentNameLength: 500,
  datasetNameLength: 500,
  datasetDigestLength: 36,
  datasetSourceLength: 65535,
  datasetSchemaLength: 1048575,
  inputTagKeyLength: 255,
  inputTagValueLength: 500,
  aliasLength: 255,
  searchMaxResults: 50000,
} as const;

function posixNormalize(p: string): string {
  if (p === '') return '.';
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (seg === '..' && abs) continue;
    else out.push(seg);
  }
  const s = (abs ? '/' : '') + out.join('/');
  return s === '' ? '.' : s;
}

function checkEntityKey(kind: string, key: string, path: string): void {
  if (!/^[/\p{L}\p{N}_.\- :]*$/u.test(key))
    throw invalid(
      `Invalid value ${describe(key)} for parameter '${path}' supplied: Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).`,
    );
  const norm = posixNormalize(key);
  if (norm !== key || norm === '.' || norm.startsWith('..') || norm.startsWith('/'))
    throw invalid(
      `Invalid value ${describe(key)} for parameter '${path}' supplied: Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${norm}'`,
    );
  if (key.length > MLFLOW_LIMITS.keyLength)
    throw invalid(
      `${kind} key '${path}' exceeds the maximum length of ${MLFLOW_LIMITS.keyLength} characters`,
    );
}

function checkLength(what: string, v: string | undefined, limit: number): void {
  if (v !== undefined && v.length > limit)
    throw invalid(`'${what}' exceeds the maximum length of ${limit} characters`);
}

/** `validate_path_is_safe` (mlflow/utils/uri.py). */
function checkSafePath(raw: string): string {
  let p: string;
  try {
    p = decodeURIComponent(raw);
  } catch {
    throw invalid('Invalid path');
  }
  if (
    p.includes('#') ||
    p.includes('\\') ||
    p.includes('\0') ||
    p.split('/').includes('..') ||
    p.startsWith('/') ||
    /^[A-Za-z]:/.test(p)
  )
    throw invalid('Invalid path');
  return p;
}

function toDouble(v: unknown): number {
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  return v as number;
}
/** Proto JSON output for doubles: non-finite values as strings. */
function fromDouble(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return 'Infinity';
  if (v === Number.NEGATIVE_INFINITY) return '-Infinity';
  return v;
}

// ---------------------------------------------------------------------------------------------
// Server state
// ---------------------------------------------------------------------------------------------

export interface StoredExperiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: 'active' | 'deleted';
  creation_time: number;
  last_update_time: number;
  tags: Map<string, string>;
}
export interface StoredMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}
export interface StoredRun {
  run_id: string;
  experiment_id: string;
  run_name: string;
  user_id: string;
  status: string;
  start_time: number | undefined;
  end_time: number | undefined;
  artifact_uri: string;
  lifecycle_stage: 'active' | 'deleted';
  params: Map<string, string>;
  tags: Map<string, string>;
  metrics: StoredMetric[];
  datasets: { tags: { key: string; value: string }[]; dataset: Record<string, string> }[];
}
export interface StoredModelVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  source: string;
  run_id: string;
  description: string;
  tags: Map<string, string>;
}
export interface StoredRegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description: string;
  tags: Map<string, string>;
  aliases: Map<string, string>;
  versions: StoredModelVersion[];
}

export class MlflowContractServer {
  readonly requests: RecordedRequest[] = [];
  readonly experiments = new Map<string, StoredExperiment>();
  readonly runs = new Map<string, StoredRun>();
  readonly artifacts = new Map<string, Buffer>();
  readonly models = new Map<string, StoredRegisteredModel>();
  private readonly failures: FailureInjection[] = [];
  private nextExperimentId = 1;
  private server: Server | undefined;
  url = '';

  constructor(private readonly opts: ContractServerOptions = {}) {
    const now = Date.now();
    this.experiments.set('0', {
      experiment_id: '0',
      name: 'Default',
      artifact_location: 'mlflow-artifacts:/0',
      lifecycle_stage: 'active',
      creation_time: now,
      last_update_time: now,
      tags: new Map(),
    });
  }

  /** All contract errors found so far, as `METHOD path: error`. */
  get violations(): string[] {
    return this.requests.flatMap((r) => r.errors.map((e) => `${r.method} ${r.path}: ${e}`));
  }

  /** Requests to one endpoint, e.g. `calls('runs/log-batch')`. */
  calls(endpoint: string, method?: string): RecordedRequest[] {
    return this.requests.filter(
      (r) =>
        (r.path === `/api/2.0/mlflow/${endpoint}` || r.path.startsWith(`/api/2.0/${endpoint}`)) &&
        (method === undefined || r.method === method),
    );
  }

  /** Fail the next `count` matching requests with `status` (and optionally Retry-After). */
  injectFailures(f: FailureInjection): void {
    this.failures.push({ ...f });
  }

  reset(): void {
    this.requests.length = 0;
    this.failures.length = 0;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  // -------------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const u = new URL(req.url ?? '/', 'http://x');
    const query: Record<string, string[]> = {};
    for (const [k, v] of u.searchParams) {
      if (!query[k]) query[k] = [];
      query[k].push(v);
    }
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: u.pathname,
      query,
      headers,
      json: undefined,
      body,
      status: 0,
      response: undefined,
      errors: [],
    };
    this.requests.push(rec);

    const send = (status: number, payload: unknown, extraHeaders: Record<string, string> = {}) => {
      rec.status = status;
      rec.response = payload;
      if (Buffer.isBuffer(payload)) {
        res.writeHead(status, { 'content-type': 'application/octet-stream', ...extraHeaders });
        res.end(payload);
      } else {
        res.writeHead(status, { 'content-type': 'application/json', ...extraHeaders });
        res.end(JSON.stringify(payload));
      }
    };
    const sendError = (code: string, message: string, extra: Record<string, string> = {}) =>
      send(STATUS[code] ?? 500, { error_code: code, message }, extra);

    // Injected transient failures.
    const inj = this.failures.find(
      (f) => f.count > 0 && (!f.pathIncludes || rec.path.includes(f.pathIncludes)),
    );
    if (inj) {
      inj.count--;
      const code =
        inj.status === 429
          ? 'REQUEST_LIMIT_EXCEEDED'
          : inj.status === 503
            ? 'TEMPORARILY_UNAVAILABLE'
            : 'INTERNAL_ERROR';
      send(
        inj.status,
        { error_code: code, message: `injected ${inj.status}` },
        inj.retryAfter !== undefined ? { 'retry-after': inj.retryAfter } : {},
      );
      return;
    }

    // Authentication.
    const auth = headers.authorization;
    if (this.opts.basicAuth) {
      const want = `Basic ${Buffer.from(`${this.opts.basicAuth.username}:${this.opts.basicAuth.password}`).toString('base64')}`;
      if (auth !== want) {
        sendError('UNAUTHENTICATED', 'You are not authenticated. Please provide valid credentials.', {
          'www-authenticate': 'Basic realm="mlflow"',
        });
        return;
      }
    } else if (this.opts.bearerToken !== undefined) {
      if (auth !== `Bearer ${this.opts.bearerToken}`) {
        sendError('UNAUTHENTICATED', 'You are not authenticated. Please provide a valid token.');
        return;
      }
    }

    try {
      const artifactPrefix = '/api/2.0/mlflow-artifacts/artifacts';
      if (rec.path === artifactPrefix || rec.path.startsWith(`${artifactPrefix}/`)) {
        this.handleArtifacts(rec, rec.path.slice(artifactPrefix.length + 1), send);
        return;
      }
      const prefix = '/api/2.0/mlflow/';
      if (!rec.path.startsWith(prefix)) throw new ApiError('ENDPOINT_NOT_FOUND', `No endpoint ${rec.path}`);
      const endpoint = rec.path.slice(prefix.length);
      const route = ROUTES[`${rec.method} ${endpoint}`];
      if (!route) {
        const known = Object.keys(ROUTES).some((k) => k.endsWith(` ${endpoint}`));
        if (known) {
          rec.errors.push(`method ${rec.method} not allowed for ${endpoint}`);
          send(405, { error_code: 'BAD_REQUEST', message: `Method ${rec.method} not allowed` });
          return;
        }
        throw new ApiError('ENDPOINT_NOT_FOUND', `No MLflow endpoint ${rec.method} ${endpoint}`);
      }
      // Request message: query string for GET (and DELETE), JSON body otherwise.
      let msg: Record<string, unknown>;
      if (rec.method === 'GET') {
        if (body.length > 0)
          rec.errors.push('GET request with a body (MLflow reads GET parameters from the query)');
        msg = {};
        const schema = SCHEMAS[route.schema];
        for (const [k, vs] of Object.entries(query)) {
          const f = schema?.fields[k];
          msg[k] = f && typeof f === 'object' && 'repeated' in f ? vs : vs[vs.length - 1];
        }
        // Query strings carry everything as text; coerce int fields as MLflow's parser does.
        for (const [k, v] of Object.entries(msg)) {
          const f = schema?.fields[k];
          if ((f === 'int32' || f === 'int64') && typeof v === 'string' && /^-?\d+$/.test(v))
            msg[k] = Number(v);
        }
      } else {
        const ct = headers['content-type'] ?? '';
        if (!ct.startsWith('application/json')) {
          rec.errors.push(`Content-Type must be application/json, got '${ct}'`);
          throw new ApiError('BAD_REQUEST', "Bad Request. Content-Type must be one of ['application/json'].");
        }
        try {
          msg = body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as Record<string, unknown>);
        } catch {
          rec.errors.push('body is not valid JSON');
          throw new ApiError('BAD_REQUEST', 'Malformed JSON body');
        }
        (rec as { json: unknown }).json = msg;
      }
      if (rec.method === 'GET') (rec as { json: unknown }).json = msg;
      const schema = SCHEMAS[route.schema];
      if (schema) {
        const errs: string[] = [];
        checkMessage(schema, msg, '', errs);
        if (errs.length > 0) {
          rec.errors.push(...errs);
          throw invalid(`${errs.join('; ')} See the API docs for more information about request parameters.`);
        }
      }
      const out = route.handler.call(this, msg, rec);
      send(200, out);
    } catch (e) {
      if (e instanceof ApiError) {
        if (e.errorCode !== 'RESOURCE_DOES_NOT_EXIST' && e.errorCode !== 'RESOURCE_ALREADY_EXISTS') {
          if (rec.errors.length === 0) rec.errors.push(`${e.errorCode}: ${e.message}`);
        }
        sendError(e.errorCode, e.message);
      } else {
        rec.errors.push(`server error: ${(e as Error).message}`);
        sendError('INTERNAL_ERROR', (e as Error).message);
      }
    }
  }

  private handleArtifacts(
    rec: RecordedRequest,
    rawPath: string,
    send: (s: number, p: unknown, h?: Record<string, string>) => void,
  ): void {
    if (rec.method === 'PUT') {
      const path = checkSafePath(rawPath);
      if (path === '') throw invalid('Invalid path');
      this.artifacts.set(path, Buffer.from(rec.body));
      send(200, {});
      return;
    }
    if (rec.method === 'GET' && rawPath !== '') {
      const path = checkSafePath(rawPath);
      const b = this.artifacts.get(path);
      if (!b) throw notFound(`No such file or directory: '${path}'`);
      send(200, b, { 'content-disposition': `attachment; filename=${path.split('/').pop()}` });
      return;
    }
    if (rec.method === 'GET') {
      const p = rec.query.path?.[0];
      const dir = p === undefined ? '' : checkSafePath(p);
      send(200, {
        files: listDir(this.artifacts, dir).map((f) => ({ ...f, path: f.path.split('/').pop() })),
      });
      return;
    }
    rec.errors.push(`method ${rec.method} not supported on mlflow-artifacts`);
    send(405, { error_code: 'BAD_REQUEST', message: 'Method not allowed' });
  }

  // -------------------------------------------------------------------------------------------
  // Endpoint handlers
  // -------------------------------------------------------------------------------------------

  /** One page of `all`: at most min(requested, pageSize) items from the token's offset. */
  private page<T>(all: T[], requested: number, token: unknown): { items: T[]; next: string | undefined } {
    const size = Math.max(1, Math.min(requested, this.opts.pageSize ?? Number.POSITIVE_INFINITY));
    const offset = token ? decodeToken(token as string) : 0;
    const items = all.slice(offset, offset + size);
    return { items, next: offset + size < all.length ? encodeToken(offset + size) : undefined };
  }

  getRun(id: unknown): StoredRun {
    const run = typeof id === 'string' ? this.runs.get(id) : undefined;
    if (!run) throw notFound(`Run with id=${String(id)} not found`);
    return run;
  }

  private model(name: unknown): StoredRegisteredModel {
    const m = typeof name === 'string' ? this.models.get(name) : undefined;
    if (!m) throw notFound(`Registered Model with name=${String(name)} not found`);
    return m;
  }

  experimentJson(e: StoredExperiment): Record<string, unknown> {
    return omitEmpty({
      experiment_id: e.experiment_id,
      name: e.name,
      artifact_location: e.artifact_location,
      lifecycle_stage: e.lifecycle_stage,
      creation_time: e.creation_time,
      last_update_time: e.last_update_time,
      tags: [...e.tags].map(([key, value]) => ({ key, value })),
    });
  }

  runJson(r: StoredRun): Record<string, unknown> {
    const latest = new Map<string, StoredMetric>();
    for (const m of r.metrics) {
      const cur = latest.get(m.key);
      if (!cur || isLaterMetric(m, cur)) latest.set(m.key, m);
    }
    return {
      info: omitEmpty({
        run_id: r.run_id,
        run_uuid: r.run_id,
        run_name: r.run_name,
        experiment_id: r.experiment_id,
        user_id: r.user_id,
        status: r.status,
        start_time: r.start_time,
        end_time: r.end_time,
        artifact_uri: r.artifact_uri,
        lifecycle_stage: r.lifecycle_stage,
      }),
      data: omitEmpty({
        metrics: [...latest.values()].map((m) => ({ ...m, value: fromDouble(m.value) })),
        params: [...r.params].map(([key, value]) => ({ key, value })),
        tags: [...r.tags].map(([key, value]) => ({ key, value })),
      }),
      inputs: omitEmpty({ dataset_inputs: r.datasets.map((d) => omitEmpty({ ...d })) }),
    };
  }

  modelVersionJson(v: StoredModelVersion): Record<string, unknown> {
    const m = this.models.get(v.name);
    const aliases = m ? [...m.aliases].filter(([, ver]) => ver === v.version).map(([a]) => a) : [];
    return omitEmpty({
      name: v.name,
      version: v.version,
      creation_timestamp: v.creation_timestamp,
      last_updated_timestamp: v.last_updated_timestamp,
      current_stage: 'None',
      description: v.description,
      source: v.source,
      run_id: v.run_id,
      status: 'READY',
      tags: [...v.tags].map(([key, value]) => ({ key, value })),
      aliases,
    });
  }

  registeredModelJson(m: StoredRegisteredModel): Record<string, unknown> {
    const last = m.versions[m.versions.length - 1];
    return omitEmpty({
      name: m.name,
      creation_timestamp: m.creation_timestamp,
      last_updated_timestamp: m.last_updated_timestamp,
      description: m.description,
      latest_versions: last ? [this.modelVersionJson(last)] : [],
      tags: [...m.tags].map(([key, value]) => ({ key, value })),
      aliases: [...m.aliases].map(([alias, version]) => ({ alias, version })),
    });
  }

  createExperiment(msg: Msg0): unknown {
    const name = msg.name as string;
    checkLength('name', name, MLFLOW_LIMITS.experimentNameLength);
    for (const e of this.experiments.values())
      if (e.name === name)
        throw new ApiError(
          'RESOURCE_ALREADY_EXISTS',
          `Experiment(name=${name}) already exists. Error: UNIQUE constraint`,
        );
    const id = String(this.nextExperimentId++);
    const now = Date.now();
    const tags = new Map<string, string>();
    for (const t of (msg.tags as KV[] | undefined) ?? []) {
      checkEntityKey('Tag', t.key, 'tags.key');
      tags.set(t.key, t.value ?? '');
    }
    const loc = (msg.artifact_location as string | undefined) || `mlflow-artifacts:/${id}`;
    this.experiments.set(id, {
      experiment_id: id,
      name,
      artifact_location: loc,
      lifecycle_stage: 'active',
      creation_time: now,
      last_update_time: now,
      tags,
    });
    return { experiment_id: id };
  }

  getExperimentByName(msg: Msg0): unknown {
    for (const e of this.experiments.values())
      if (e.name === msg.experiment_name) return { experiment: this.experimentJson(e) };
    throw notFound(`Could not find experiment with name '${String(msg.experiment_name)}'`);
  }

  getExperiment(msg: Msg0): unknown {
    const e = this.experiments.get(msg.experiment_id as string);
    if (!e) throw notFound(`No Experiment with id=${String(msg.experiment_id)} exists`);
    return { experiment: this.experimentJson(e) };
  }

  searchExperiments(msg: Msg0): unknown {
    const max = msg.max_results === undefined ? 1000 : Number(msg.max_results);
    if (max > 50000) throw invalid(`Invalid value ${max} for parameter 'max_results' supplied.`);
    if (msg.filter) throw invalid('this contract server does not implement experiment filters');
    const view = (msg.view_type as string | undefined) ?? 'ACTIVE_ONLY';
    const all = [...this.experiments.values()]
      .filter((e) => view === 'ALL' || (view === 'DELETED_ONLY') === (e.lifecycle_stage === 'deleted'))
      .sort((a, b) => Number(b.experiment_id) - Number(a.experiment_id));
    const { items, next } = this.page(all, max, msg.page_token);
    return omitEmpty({ experiments: items.map((e) => this.experimentJson(e)), next_page_token: next });
  }

  createRun(msg: Msg0): unknown {
    const expId = (msg.experiment_id as string | undefined) || '0';
    const exp = this.experiments.get(expId);
    if (!exp) throw notFound(`No Experiment with id=${expId} exists`);
    if (exp.lifecycle_stage !== 'active')
      throw invalid(`The experiment ${expId} must be in the 'active' state.`);
    const tags = new Map<string, string>();
    ((msg.tags as KV[] | undefined) ?? []).forEach((t, i) => {
      checkEntityKey('Tag', t.key, `tags[${i}].key`);
      checkLength(`tags[${i}].value`, t.value, MLFLOW_LIMITS.tagValueLength);
      tags.set(t.key, t.value ?? '');
    });
    const runName = msg.run_name as string | undefined;
    const tagName = tags.get('mlflow.runName');
    if (runName && tagName !== undefined && tagName !== runName)
      throw invalid(
        `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${runName}', mlflow.runName='${tagName}').`,
      );
    const id = randomUUID().replace(/-/g, '');
    const name = runName || tagName || `run-${id.slice(0, 6)}`;
    tags.set('mlflow.runName', name);
    const run: StoredRun = {
      run_id: id,
      experiment_id: expId,
      run_name: name,
      user_id: (msg.user_id as string | undefined) ?? tags.get('mlflow.user') ?? '',
      status: 'RUNNING',
      start_time: msg.start_time === undefined ? undefined : Number(msg.start_time),
      end_time: undefined,
      artifact_uri: `${exp.artifact_location}/${id}/artifacts`,
      lifecycle_stage: 'active',
      params: new Map(),
      tags,
      metrics: [],
      datasets: [],
    };
    this.runs.set(id, run);
    return { run: this.runJson(run) };
  }

  updateRun(msg: Msg0): unknown {
    const run = this.getRun(msg.run_id ?? msg.run_uuid);
    if (msg.status !== undefined)
      run.status = typeof msg.status === 'number' ? RUN_STATUS_NUM[msg.status] : (msg.status as string);
    if (msg.end_time !== undefined) run.end_time = Number(msg.end_time);
    if (msg.run_name) {
      run.run_name = msg.run_name as string;
      run.tags.set('mlflow.runName', run.run_name);
    }
    return { run_info: this.runJson(run).info };
  }

  setTag(msg: Msg0): unknown {
    const run = this.getRun(msg.run_id ?? msg.run_uuid);
    checkEntityKey('Tag', msg.key as string, 'key');
    checkLength('value', msg.value as string | undefined, MLFLOW_LIMITS.tagValueLength);
    run.tags.set(msg.key as string, (msg.value as string | undefined) ?? '');
    if (msg.key === 'mlflow.runName') run.run_name = (msg.value as string) ?? '';
    return {};
  }

  getRunHandler(msg: Msg0): unknown {
    return { run: this.runJson(this.getRun(msg.run_id ?? msg.run_uuid)) };
  }

  logBatch(msg: Msg0, rec: RecordedRequest): unknown {
    if (rec.body.length > MLFLOW_LIMITS.batchRequestBytes)
      throw invalid(
        `Batched logging API requests must be at most ${MLFLOW_LIMITS.batchRequestBytes} bytes, got a request of size ${rec.body.length}.`,
      );
    const metrics = (msg.metrics as Record<string, unknown>[] | undefined) ?? [];
    const params = (msg.params as KV[] | undefined) ?? [];
    const tags = (msg.tags as KV[] | undefined) ?? [];
    const limit = (what: string, lim: number, n: number) => {
      if (n > lim)
        throw invalid(
          `A batch logging request can contain at most ${lim} ${what}. Got ${n} ${what}. Please split up ${what} across multiple requests and try again.`,
        );
    };
    limit('metrics', MLFLOW_LIMITS.metricsPerBatch, metrics.length);
    limit('params', MLFLOW_LIMITS.paramsPerBatch, params.length);
    limit('tags', MLFLOW_LIMITS.tagsPerBatch, tags.length);
    limit(
      'metrics, params, and tags',
      MLFLOW_LIMITS.entitiesPerBatch,
      metrics.length + params.length + tags.length,
    );
    const run = this.getRun(msg.run_id);
    if (run.lifecycle_stage !== 'active')
      throw invalid(`The run ${run.run_id} must be in the 'active' state.`);
    metrics.forEach((m, i) => {
      checkEntityKey('Metric', m.key as string, `metrics[${i}].name`);
      if (Number(m.timestamp) < 0)
        throw invalid(`metrics[${i}].timestamp must be a nonnegative long (64-bit integer)`);
    });
    const seen = new Set<string>();
    params.forEach((p, i) => {
      checkEntityKey('Param', p.key, `params[${i}].key`);
      checkLength(`params[${i}].value`, p.value, MLFLOW_LIMITS.paramValueLength);
      if (seen.has(p.key))
        throw invalid(
          `Duplicate parameter keys have been submitted: ['${p.key}']. Please ensure the request contains only one param value per param key.`,
        );
      seen.add(p.key);
      const old = run.params.get(p.key);
      if (old !== undefined && old !== (p.value ?? ''))
        throw invalid(
          `Changing param values is not allowed. Params with key='${p.key}' was already logged with value='${old}' for run ID='${run.run_id}'. Attempted logging new value '${p.value}'.`,
        );
    });
    tags.forEach((t, i) => {
      checkEntityKey('Tag', t.key, `tags[${i}].key`);
      checkLength(`tags[${i}].value`, t.value, MLFLOW_LIMITS.tagValueLength);
    });
    for (const m of metrics)
      run.metrics.push({
        key: m.key as string,
        value: toDouble(m.value),
        timestamp: Number(m.timestamp),
        step: m.step === undefined ? 0 : Number(m.step),
      });
    for (const p of params) run.params.set(p.key, p.value ?? '');
    for (const t of tags) {
      run.tags.set(t.key, t.value ?? '');
      if (t.key === 'mlflow.runName') run.run_name = t.value ?? '';
    }
    return {};
  }

  logInputs(msg: Msg0): unknown {
    const run = this.getRun(msg.run_id);
    const datasets = (msg.datasets as StoredRun['datasets'] | undefined) ?? [];
    datasets.forEach((d, i) => {
      const ds = d.dataset;
      checkLength(`datasets[${i}].dataset.name`, ds.name, MLFLOW_LIMITS.datasetNameLength);
      checkLength(`datasets[${i}].dataset.digest`, ds.digest, MLFLOW_LIMITS.datasetDigestLength);
      checkLength(`datasets[${i}].dataset.source`, ds.source, MLFLOW_LIMITS.datasetSourceLength);
      checkLength(`datasets[${i}].dataset.schema`, ds.schema, MLFLOW_LIMITS.datasetSchemaLength);
      (d.tags ?? []).forEach((t, j) => {
        checkLength(`datasets[${i}].tags[${j}].key`, t.key, MLFLOW_LIMITS.inputTagKeyLength);
        checkLength(`datasets[${i}].tags[${j}].value`, t.value, MLFLOW_LIMITS.inputTagValueLength);
      });
    });
    for (const d of datasets) {
      const dup = run.datasets.some(
        (x) => x.dataset.name === d.dataset.name && x.dataset.digest === d.dataset.digest,
      );
      if (!dup) run.datasets.push({ tags: d.tags ?? [], dataset: { ...d.dataset } });
    }
    return {};
  }

  searchRuns(msg: Msg0): unknown {
    const maxResults = msg.max_results === undefined ? 1000 : Number(msg.max_results);
    if (maxResults > MLFLOW_LIMITS.searchMaxResults)
      throw invalid(`Invalid value ${maxResults} for parameter 'max_results' supplied.`);
    const ids = (msg.experiment_ids as string[] | undefined) ?? [];
    const view = (msg.run_view_type as string | undefined) ?? 'ACTIVE_ONLY';
    const clauses = parseFilter((msg.filter as string | undefined) ?? '');
    const order = ((msg.order_by as string[] | undefined) ?? []).map(parseOrderBy);
    let runs = [...this.runs.values()].filter(
      (r) =>
        ids.includes(r.experiment_id) &&
        (view === 'ALL' || (view === 'DELETED_ONLY') === (r.lifecycle_stage === 'deleted')) &&
        clauses.every((c) => matches(r, c)),
    );
    runs = sortRuns(runs, order);
    const { items, next } = this.page(runs, maxResults, msg.page_token);
    return omitEmpty({ runs: items.map((r) => this.runJson(r)), next_page_token: next });
  }

  metricHistory(msg: Msg0): unknown {
    const run = this.getRun(msg.run_id ?? msg.run_uuid);
    const all = run.metrics.filter((m) => m.key === msg.metric_key);
    const max = msg.max_results === undefined ? all.length : Number(msg.max_results);
    const { items, next } = this.page(all, max, msg.page_token);
    return omitEmpty({
      metrics: items.map((m) => ({ ...m, value: fromDouble(m.value) })),
      next_page_token: next,
    });
  }

  listRunArtifacts(msg: Msg0): unknown {
    const run = this.getRun(msg.run_id ?? msg.run_uuid);
    const rel = msg.path === undefined ? '' : checkSafePath(msg.path as string);
    const root = artifactRootPath(run.artifact_uri);
    const dir = rel ? `${root}/${rel}` : root;
    const files = listDir(this.artifacts, dir).map((f) => ({
      ...f,
      path: f.path.slice(root.length + 1),
    }));
    const { items, next } = this.page(files, files.length, msg.page_token);
    return omitEmpty({ root_uri: run.artifact_uri, files: items, next_page_token: next });
  }

  createRegisteredModel(msg: Msg0): unknown {
    const name = msg.name as string;
    if (this.models.has(name))
      throw new ApiError('RESOURCE_ALREADY_EXISTS', `Registered Model (name=${name}) already exists.`);
    const now = Date.now();
    const m: StoredRegisteredModel = {
      name,
      creation_timestamp: now,
      last_updated_timestamp: now,
      description: (msg.description as string | undefined) ?? '',
      tags: new Map(((msg.tags as KV[] | undefined) ?? []).map((t) => [t.key, t.value ?? ''])),
      aliases: new Map(),
      versions: [],
    };
    this.models.set(name, m);
    return { registered_model: this.registeredModelJson(m) };
  }

  getRegisteredModel(msg: Msg0): unknown {
    return { registered_model: this.registeredModelJson(this.model(msg.name)) };
  }

  searchRegisteredModels(msg: Msg0): unknown {
    const max = msg.max_results === undefined ? 100 : Number(msg.max_results);
    if (max > 1000) throw invalid(`Invalid value ${max} for parameter 'max_results' supplied.`);
    const all = [...this.models.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const { items: page, next } = this.page(all, max, msg.page_token);
    return omitEmpty({
      registered_models: page.map((m) => this.registeredModelJson(m)),
      next_page_token: next,
    });
  }

  createModelVersion(msg: Msg0): unknown {
    const m = this.model(msg.name);
    const source = msg.source as string;
    let decoded = source;
    for (let i = 0; i < 5; i++) {
      const d = decodeURIComponent(decoded.replace(/\+/g, ' '));
      if (d === decoded) break;
      decoded = d;
    }
    if (decoded.includes('\0') || decoded.split('/').includes('..'))
      throw invalid(`Invalid model version source: '${source}'. Please provide an absolute path.`);
    if (msg.run_id !== undefined && msg.run_id !== '') this.getRun(msg.run_id);
    const now = Date.now();
    const v: StoredModelVersion = {
      name: m.name,
      version: String(m.versions.length + 1),
      creation_timestamp: now,
      last_updated_timestamp: now,
      source,
      run_id: (msg.run_id as string | undefined) ?? '',
      description: (msg.description as string | undefined) ?? '',
      tags: new Map(((msg.tags as KV[] | undefined) ?? []).map((t) => [t.key, t.value ?? ''])),
    };
    m.versions.push(v);
    m.last_updated_timestamp = now;
    return { model_version: this.modelVersionJson(v) };
  }

  getModelVersion(msg: Msg0): unknown {
    const m = this.model(msg.name);
    if (!/^\d+$/.test(msg.version as string))
      throw invalid(`Parameter 'version' must be an integer, got '${String(msg.version)}'.`);
    const v = m.versions.find((x) => x.version === String(Number(msg.version)));
    if (!v) throw notFound(`Model Version (name=${m.name}, version=${String(msg.version)}) not found`);
    return { model_version: this.modelVersionJson(v) };
  }

  searchModelVersions(msg: Msg0): unknown {
    const filter = (msg.filter as string | undefined) ?? '';
    let versions = [...this.models.values()].flatMap((m) => m.versions);
    if (filter.trim() !== '') {
      const mm = /^\s*name\s*=\s*'((?:[^']|'')*)'\s*$/.exec(filter);
      if (!mm)
        throw invalid(`Unsupported model version filter '${filter}' (this server supports name='...')`);
      versions = versions.filter((v) => v.name === mm[1].replace(/''/g, "'"));
    }
    const max = msg.max_results === undefined ? 200_000 : Number(msg.max_results);
    const { items, next } = this.page(versions, max, msg.page_token);
    return omitEmpty({ model_versions: items.map((v) => this.modelVersionJson(v)), next_page_token: next });
  }

  setAlias(msg: Msg0): unknown {
    const m = this.model(msg.name);
    const alias = msg.alias as string;
    if (!/^[\p{L}\p{N}_-]*$/u.test(alias))
      throw invalid(
        `Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`,
      );
    checkLength('alias', alias, MLFLOW_LIMITS.aliasLength);
    if (alias.toLowerCase() === 'latest')
      throw invalid("'latest' alias name (case insensitive) is reserved.");
    if (/^[vV]\d+$/.test(alias)) throw invalid(`Version alias name '${alias}' is reserved.`);
    const v = m.versions.find((x) => x.version === String(Number(msg.version)));
    if (!v) throw notFound(`Model Version (name=${m.name}, version=${String(msg.version)}) not found`);
    m.aliases.set(alias, v.version);
    return {};
  }

  getByAlias(msg: Msg0): unknown {
    const m = this.model(msg.name);
    const ver = m.aliases.get(msg.alias as string);
    if (ver === undefined) throw notFound(`Registered model alias ${String(msg.alias)} not found.`);
    const v = m.versions.find((x) => x.version === ver)!;
    return { model_version: this.modelVersionJson(v) };
  }

  deleteAlias(msg: Msg0): unknown {
    this.model(msg.name).aliases.delete(msg.alias as string);
    return {};
  }
}

type Msg0 = Record<string, unknown>;
type KV = { key: string; value?: string };

const ROUTES: Record<
  string,
  { schema: string; handler: (this: MlflowContractServer, msg: Msg0, rec: RecordedRequest) => unknown }
> = {
  'POST experiments/create': {
    schema: 'experiments/create',
    handler: MlflowContractServer.prototype.createExperiment,
  },
  'GET experiments/get-by-name': {
    schema: 'experiments/get-by-name',
    handler: MlflowContractServer.prototype.getExperimentByName,
  },
  'GET experiments/get': { schema: 'experiments/get', handler: MlflowContractServer.prototype.getExperiment },
  'POST experiments/search': {
    schema: 'experiments/search',
    handler: MlflowContractServer.prototype.searchExperiments,
  },
  'POST runs/create': { schema: 'runs/create', handler: MlflowContractServer.prototype.createRun },
  'POST runs/update': { schema: 'runs/update', handler: MlflowContractServer.prototype.updateRun },
  'POST runs/set-tag': { schema: 'runs/set-tag', handler: MlflowContractServer.prototype.setTag },
  'GET runs/get': { schema: 'runs/get', handler: MlflowContractServer.prototype.getRunHandler },
  'POST runs/log-batch': { schema: 'runs/log-batch', handler: MlflowContractServer.prototype.logBatch },
  'POST runs/log-inputs': { schema: 'runs/log-inputs', handler: MlflowContractServer.prototype.logInputs },
  'POST runs/search': { schema: 'runs/search', handler: MlflowContractServer.prototype.searchRuns },
  'GET metrics/get-history': {
    schema: 'metrics/get-history',
    handler: MlflowContractServer.prototype.metricHistory,
  },
  'GET artifacts/list': {
    schema: 'artifacts/list',
    handler: MlflowContractServer.prototype.listRunArtifacts,
  },
  'POST registered-models/create': {
    schema: 'registered-models/create',
    handler: MlflowContractServer.prototype.createRegisteredModel,
  },
  'GET registered-models/get': {
    schema: 'registered-models/get',
    handler: MlflowContractServer.prototype.getRegisteredModel,
  },
  'GET registered-models/search': {
    schema: 'registered-models/search',
    handler: MlflowContractServer.prototype.searchRegisteredModels,
  },
  'POST model-versions/create': {
    schema: 'model-versions/create',
    handler: MlflowContractServer.prototype.createModelVersion,
  },
  'GET model-versions/get': {
    schema: 'model-versions/get',
    handler: MlflowContractServer.prototype.getModelVersion,
  },
  'GET model-versions/search': {
    schema: 'model-versions/search',
    handler: MlflowContractServer.prototype.searchModelVersions,
  },
  'POST registered-models/alias': {
    schema: 'registered-models/alias:POST',
    handler: MlflowContractServer.prototype.setAlias,
  },
  'GET registered-models/alias': {
    schema: 'registered-models/alias:GET',
    handler: MlflowContractServer.prototype.getByAlias,
  },
  'DELETE registered-models/alias': {
    schema: 'registered-models/alias:DELETE',
    handler: MlflowContractServer.prototype.deleteAlias,
  },
};

// ---------------------------------------------------------------------------------------------
// Helpers: empty-field omission (proto JSON), artifacts, page tokens, search filters
// ---------------------------------------------------------------------------------------------

/**
 * The "latest" value of a metric as MLflow's SQL store keeps it (`latest_metrics`: highest step,
 * then latest timestamp, then largest value). The GetRun doc comment only mentions timestamps;
 * the server's behaviour is the step-first rule, and that is what clients see.
 */
function isLaterMetric(a: StoredMetric, b: StoredMetric): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  const av = Number.isNaN(a.value) ? Number.NEGATIVE_INFINITY : a.value;
  const bv = Number.isNaN(b.value) ? Number.NEGATIVE_INFINITY : b.value;
  return av > bv;
}

function omitEmpty(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out;
}

/** `mlflow-artifacts:/1/<run>/artifacts` → `1/<run>/artifacts` (root-relative storage path). */
export function artifactRootPath(uri: string): string {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/?(.*)$/.exec(uri);
  if (!m) throw invalid(`Artifact URI '${uri}' is not a proxied mlflow-artifacts URI`);
  return m[1].replace(/\/+$/, '');
}

function listDir(
  store: Map<string, Buffer>,
  dir: string,
): { path: string; is_dir: boolean; file_size?: number }[] {
  const prefix = dir === '' ? '' : `${dir}/`;
  const out = new Map<string, { path: string; is_dir: boolean; file_size?: number }>();
  for (const [p, b] of store) {
    if (!p.startsWith(prefix)) continue;
    const rest = p.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash < 0) out.set(rest, { path: prefix + rest, is_dir: false, file_size: b.length });
    else out.set(rest.slice(0, slash), { path: prefix + rest.slice(0, slash), is_dir: true });
  }
  return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
}

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}
function decodeToken(t: string): number {
  try {
    const o = JSON.parse(Buffer.from(t, 'base64').toString('utf8')) as { offset?: unknown };
    if (typeof o.offset === 'number' && o.offset >= 0) return o.offset;
  } catch {
    // fall through
  }
  throw invalid(`Invalid page token '${t}'`);
}

type Entity = 'metrics' | 'params' | 'tags' | 'attributes';
interface Clause {
  entity: Entity;
  key: string;
  op: string;
  value: number | string | string[];
}

const ENTITY_ALIASES: Record<string, Entity> = {
  metric: 'metrics',
  metrics: 'metrics',
  param: 'params',
  params: 'params',
  parameter: 'params',
  parameters: 'params',
  tag: 'tags',
  tags: 'tags',
  attribute: 'attributes',
  attributes: 'attributes',
  attr: 'attributes',
  run: 'attributes',
};
const ATTRIBUTES = [
  'run_id',
  'run_name',
  'status',
  'start_time',
  'end_time',
  'user_id',
  'artifact_uri',
  'lifecycle_stage',
];
const NUMERIC_ATTRIBUTES = ['start_time', 'end_time'];

/** Tokenises an identifier `entity.key` (key optionally in backticks or double quotes). */
function readIdentifier(s: string, i: number): [Entity, string, number] {
  const m = /^\s*([A-Za-z_]+)\./.exec(s.slice(i));
  if (!m)
    throw invalid(`Invalid filter string '${s}': expected an identifier like metrics.rmse at position ${i}`);
  const entity = ENTITY_ALIASES[m[1].toLowerCase()];
  if (!entity)
    throw invalid(
      `Invalid entity type '${m[1]}'. Valid values are ['metric', 'parameter', 'tag', 'attribute']`,
    );
  i += m[0].length;
  let key: string;
  const q = s[i];
  if (q === '`' || q === '"') {
    const end = s.indexOf(q, i + 1);
    if (end < 0) throw invalid(`Invalid filter string '${s}': unterminated quoted key`);
    key = s.slice(i + 1, end);
    i = end + 1;
  } else {
    const k = /^[\p{L}\p{N}_.\-/:]+/u.exec(s.slice(i));
    if (!k) throw invalid(`Invalid filter string '${s}': missing key after '${m[0]}'`);
    key = k[0];
    i += key.length;
  }
  if (entity === 'attributes' && !ATTRIBUTES.includes(key))
    throw invalid(`Invalid attribute key '${key}' specified. Valid keys are '${ATTRIBUTES.join("', '")}'`);
  return [entity, key, i];
}

/**
 * A quoted value as MLflow reads it: sqlparse ends a single-quoted token at the first quote not
 * doubled (`''`) or backslash-escaped (`\'`), and `SearchUtils._strip_quotes` then removes only
 * the outer quotes, without unescaping anything. Double-quoted values are read the same way.
 */
function readString(s: string, i: number): [string, number] {
  const q = s[i];
  if (q !== "'" && q !== '"')
    throw invalid(
      `Parameter value is either not quoted or unidentified quote types used for string value in '${s}'`,
    );
  let j = i + 1;
  for (;;) {
    if (j >= s.length) throw invalid(`Invalid filter string '${s}': unterminated string`);
    if (s[j] === '\\' && j + 1 < s.length) {
      j += 2;
      continue;
    }
    if (s[j] === q) {
      if (s[j + 1] === q) {
        j += 2;
        continue;
      }
      return [s.slice(i + 1, j), j + 1];
    }
    j++;
  }
}

export function parseFilter(s: string): Clause[] {
  const out: Clause[] = [];
  let i = 0;
  const ws = () => {
    while (i < s.length && /\s/.test(s[i])) i++;
  };
  ws();
  if (i >= s.length) return out;
  for (;;) {
    const [entity, key, j] = readIdentifier(s, i);
    i = j;
    ws();
    const opm = /^(<=|>=|!=|=|<|>|NOT\s+IN\b|IN\b|NOT\s+ILIKE\b|ILIKE\b|NOT\s+LIKE\b|LIKE\b)/i.exec(
      s.slice(i),
    );
    if (!opm) throw invalid(`Invalid filter string '${s}': expected a comparison operator at position ${i}`);
    const op = opm[1].toUpperCase().replace(/\s+/g, ' ');
    i += opm[0].length;
    ws();
    const numeric = entity === 'metrics' || (entity === 'attributes' && NUMERIC_ATTRIBUTES.includes(key));
    let value: number | string | string[];
    if (op === 'IN' || op === 'NOT IN') {
      if (s[i] !== '(') throw invalid(`Invalid filter string '${s}': IN needs a parenthesised list`);
      i++;
      const items: string[] = [];
      for (;;) {
        ws();
        const [v, k] = readString(s, i);
        items.push(v);
        i = k;
        ws();
        if (s[i] === ',') {
          i++;
          continue;
        }
        if (s[i] === ')') {
          i++;
          break;
        }
        throw invalid(`Invalid filter string '${s}': bad IN list`);
      }
      value = items;
    } else if (numeric) {
      const nm = /^-?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|inf(?:inity)?|nan)/i.exec(
        s.slice(i),
      );
      if (!nm) throw invalid(`Expected numeric value type for metric. Found ${s.slice(i)}`);
      if (!['<', '<=', '>', '>=', '=', '!='].includes(op))
        throw invalid(
          `Invalid comparator '${op}' not one of '['<', '<=', '>', '>=', '=', '!=']' for metrics`,
        );
      value = Number(nm[0].replace(/^(-?)inf(inity)?$/i, '$1Infinity').replace(/^nan$/i, 'NaN'));
      i += nm[0].length;
    } else {
      if (!['=', '!=', 'LIKE', 'ILIKE', 'NOT LIKE', 'NOT ILIKE'].includes(op))
        throw invalid(`Invalid comparator '${op}' not one of '['!=', '=', 'LIKE', 'ILIKE']'`);
      const [v, k] = readString(s, i);
      value = v;
      i = k;
    }
    out.push({ entity, key, op, value });
    ws();
    if (i >= s.length) return out;
    const and = /^AND\b/i.exec(s.slice(i));
    if (!and) throw invalid(`Invalid filter string '${s}': only AND is supported between clauses`);
    i += 3;
    ws();
  }
}

function likeToRegex(pattern: string, flags: string): RegExp {
  const body = pattern
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/%/g, '.*')
    .replace(/_/g, '.');
  return new RegExp(`^${body}$`, flags);
}

function fieldValue(r: StoredRun, entity: Entity, key: string): number | string | undefined {
  switch (entity) {
    case 'metrics': {
      let best: StoredMetric | undefined;
      for (const m of r.metrics) if (m.key === key && (!best || isLaterMetric(m, best))) best = m;
      return best?.value;
    }
    case 'params':
      return r.params.get(key);
    case 'tags':
      return r.tags.get(key);
    case 'attributes':
      return (r as unknown as Record<string, number | string | undefined>)[key];
  }
}

function matches(r: StoredRun, c: Clause): boolean {
  const v = fieldValue(r, c.entity, c.key);
  if (v === undefined) return false;
  // NaN metric values match no comparison (MLflow's SQL store keeps them apart with is_nan).
  if (typeof v === 'number' && Number.isNaN(v)) return false;
  const n = c.value as number;
  switch (c.op) {
    case '=':
      return v === c.value;
    case '!=':
      return v !== c.value;
    case '<':
      return typeof v === 'number' && v < n;
    case '<=':
      return typeof v === 'number' && v <= n;
    case '>':
      return typeof v === 'number' && v > n;
    case '>=':
      return typeof v === 'number' && v >= n;
    case 'LIKE':
      return likeToRegex(c.value as string, '').test(String(v));
    case 'ILIKE':
      return likeToRegex(c.value as string, 'i').test(String(v));
    case 'NOT LIKE':
      return !likeToRegex(c.value as string, '').test(String(v));
    case 'NOT ILIKE':
      return !likeToRegex(c.value as string, 'i').test(String(v));
    case 'IN':
      return (c.value as string[]).includes(String(v));
    case 'NOT IN':
      return !(c.value as string[]).includes(String(v));
  }
  return false;
}

interface OrderBy {
  entity: Entity;
  key: string;
  desc: boolean;
}

export function parseOrderBy(s: string): OrderBy {
  const m = /^(.*?)(?:\s+(ASC|DESC))?\s*$/i.exec(s.trim());
  const ident = m?.[1] ?? '';
  const desc = (m?.[2] ?? 'ASC').toUpperCase() === 'DESC';
  if (!ident.includes('.')) {
    if (!ATTRIBUTES.includes(ident)) throw invalid(`Invalid order_by clause '${s}'`);
    return { entity: 'attributes', key: ident, desc };
  }
  const [entity, key, end] = readIdentifier(ident, 0);
  if (end !== ident.length) throw invalid(`Invalid order_by clause '${s}'`);
  return { entity, key, desc };
}

function sortRuns(runs: StoredRun[], order: OrderBy[]): StoredRun[] {
  const keys: OrderBy[] = [...order, { entity: 'attributes', key: 'start_time', desc: true }];
  return [...runs].sort((a, b) => {
    for (const o of keys) {
      const va = fieldValue(a, o.entity, o.key);
      const vb = fieldValue(b, o.entity, o.key);
      // As MLflow's SQL store orders: values first, then NaN, then runs without the key,
      // whatever the direction.
      const ra = va === undefined ? 2 : typeof va === 'number' && Number.isNaN(va) ? 1 : 0;
      const rb = vb === undefined ? 2 : typeof vb === 'number' && Number.isNaN(vb) ? 1 : 0;
      if (ra !== rb) return ra - rb;
      if (ra !== 0) continue;
      if (va === undefined || vb === undefined) continue;
      if (va === vb) continue;
      const lt = va < vb;
      return (lt ? -1 : 1) * (o.desc ? -1 : 1);
    }
    return a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : 0;
  });
}

/** Starts a contract server on 127.0.0.1 with a random port. */
export async function startMlflowContractServer(
  opts: ContractServerOptions = {},
): Promise<MlflowContractServer> {
  return new MlflowContractServer(opts).start();
}
