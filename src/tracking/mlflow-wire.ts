/**
 * The MLflow REST wire format: batch and input limits, metric value encoding, batch chunking,
 * retry delays, auth headers, the server-side filter mapping, and the mapping of wire records
 * (runs, datasets, model versions) to tsad's.
 */
import { TrackingError } from '../errors.js';
import { normalizeMetricValue } from './common.js';
import {
  type DatasetInput,
  type FilterClause,
  type MetricPoint,
  type Param,
  type RunStatus,
  type Tag,
  TrackingValidationError,
} from './tracker.js';

/**
 * The model-version tag in which tsad keeps a version's artifact path on an MLflow server (MLflow's
 * model versions have no field for it); `exportRuns` leaves it to the destination's registration.
 */
export const ARTIFACT_PATH_TAG = 'tsad.artifact_path';

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
 * values MLflow cannot quote, LIKE patterns with backslash escapes, which MLflow's LIKE takes
 * literally, non-finite numbers, which its tokenizer does not read as numbers).
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
        : // MLflow's LIKE has no escape character: a pattern with `\` escapes is matched here
          (c.op === 'LIKE' || c.op === 'ILIKE') && c.value.includes('\\')
          ? undefined
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
// Response mapping
// ---------------------------------------------------------------------------------------------

export interface WireRunInfo {
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
export interface WireRun {
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
export interface WireModelVersion {
  name?: string;
  version?: string;
  creation_timestamp?: number | string;
  source?: string;
  run_id?: string;
  tags?: WireKV[];
  aliases?: string[];
}

const STATUS_NAMES: Record<number, string> = {
  1: 'RUNNING',
  2: 'SCHEDULED',
  3: 'FINISHED',
  4: 'FAILED',
  5: 'KILLED',
};

export function toStatus(s: unknown): RunStatus {
  const name = typeof s === 'number' ? STATUS_NAMES[s] : s;
  return name === 'FINISHED' || name === 'FAILED' || name === 'KILLED' ? name : 'RUNNING';
}

export function int(v: unknown, fallback = 0): number {
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
export function inputSeqOf(x: { dataset?: Record<string, string | undefined> }): number {
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
