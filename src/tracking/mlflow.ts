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
import { TrackingError } from '../errors.js';
import {
  BaseTracker,
  defaultRunName,
  formatOrderBy,
  matchesFilter,
  type PreparedRun,
  sortHistory,
  type ValidBatch,
  validateRunId,
} from './common.js';
import { MlflowExperiments } from './mlflow-experiments.js';
import { MlflowApiError, MlflowHttp, type MlflowTrackerOptions } from './mlflow-http.js';
import { MlflowRegistry } from './mlflow-registry.js';
import { MlflowRun, sendBatch } from './mlflow-run.js';
import {
  parseWire,
  parseWireList,
  type WireFileInfo,
  type WireHistoryMetric,
  wireFileInfoSchema,
  wireHistoryMetricSchema,
  wireRunSchema,
} from './mlflow-schemas.js';
import {
  artifactStoragePath,
  checkMlflowKey,
  datasetFromWire,
  decodeMetricValue,
  inputSeqOf,
  int,
  MLFLOW_BATCH_LIMITS,
  mlflowFilter,
  toStatus,
  type WireRun,
  type WireRunInfo,
} from './mlflow-wire.js';
import { redactUri } from './open.js';
import type { RunStore, Store } from './store.js';
import {
  type ArtifactInfo,
  type Experiment,
  type MetricPoint,
  type NormalizedQuery,
  RunNotActiveError,
  type RunRecord,
  type RunStatus,
  type Tag,
  TrackingNotFoundError,
} from './tracker.js';

export { MlflowApiError, type MlflowTrackerOptions } from './mlflow-http.js';

// ---------------------------------------------------------------------------------------------
// Store
// ---------------------------------------------------------------------------------------------

/** `LoggedModelStatus.LOGGED_MODEL_READY` in MLflow's service.proto. */
export const LOGGED_MODEL_READY = 2;
/** Artifact directories deeper than this are a server that lists a directory inside itself. */
const MAX_ARTIFACT_DEPTH = 64;

/** The MLflow REST `Store`. */
/** MLflow's refusal of a write to a run that is not active (in the trash). */
const NOT_ACTIVE = /must be in (the )?'active' (state|lifecycle_stage)/i;

export class MlflowStore implements Store {
  readonly uri: string;
  /** @internal */
  readonly http: MlflowHttp;
  readonly registry: MlflowRegistry;
  private readonly experiments: MlflowExperiments;
  /** run id → artifact_uri (fixed for a run's lifetime). */
  private readonly artifactUris = new Map<string, string>();
  /** Ends not yet delivered: run id → status and end time. */
  private readonly pendingEnds = new Map<
    string,
    { status: Exclude<RunStatus, 'RUNNING'>; endTime: number }
  >();

  constructor(uri: string, opts: MlflowTrackerOptions = {}) {
    this.http = new MlflowHttp(uri, opts);
    this.uri = redactUri(uri);
    this.experiments = new MlflowExperiments(this.http);
    this.registry = new MlflowRegistry(this.http, (runId) =>
      this.liveRun(runId, 'register a model version from it'),
    );
  }

  // --- experiments (mlflow-experiments.ts) ---------------------------------------------------

  getExperiment(name: string): Promise<Experiment | undefined> {
    return this.experiments.get(name);
  }

  getOrCreateExperiment(name: string): Promise<Experiment> {
    return this.experiments.getOrCreate(name);
  }

  listExperiments(): Promise<Experiment[]> {
    return this.experiments.list();
  }

  // --- runs --------------------------------------------------------------------------------------

  /** MLflow's stricter key rules, before the experiment is created. */
  checkRunTags(tags: readonly Tag[]): void {
    for (const t of tags) checkMlflowKey('tag', t.key);
  }

  async createRun(o: PreparedRun, exp: Experiment): Promise<RunStore> {
    const named = o.named;
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
    const info: WireRunInfo =
      parseWire<WireRun | undefined>(wireRunSchema.nullish(), r.run, 'runs/create')?.info ?? {};
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
    return new MlflowRun(
      this,
      { runId, experimentId: exp.experimentId, experiment: exp.name, runName: name, startTime: o.startTime },
      info.artifact_uri,
    );
  }

  /** @internal log-batch in chunks (mlflow-run.ts); a rejected param change becomes ParamConflictError. */
  sendBatch(runId: string, batch: ValidBatch): Promise<void> {
    return sendBatch(this, runId, batch);
  }

  /**
   * A write to a run in the server's trash: MLflow refuses it with INVALID_PARAMETER_VALUE ("The run
   * … must be in the 'active' state. Current state is deleted."); tsad says `not_found`, as every
   * store. Any other error is returned as it is. @internal
   */
  deletedRunError(err: unknown, runId: string, what: string): unknown {
    if (
      err instanceof MlflowApiError &&
      err.errorCode === 'INVALID_PARAMETER_VALUE' &&
      NOT_ACTIVE.test(err.message)
    ) {
      this.pendingEnds.delete(runId);
      return new TrackingNotFoundError(`no run with id ${runId} in ${this.uri} (deleted?): cannot ${what}`, {
        cause: err,
      });
    }
    return err;
  }

  /**
   * Before a write the server does not check the run for (artifact uploads, logged models): `not_found`
   * when the run is in the trash, so nothing is uploaded. @internal
   */
  async assertRunActive(runId: string, what: string): Promise<void> {
    await this.liveRun(runId, what);
  }

  /**
   * `runs/get`, and `not_found` for a run in the server's trash (lifecycle stage "deleted", kept until
   * `mlflow gc`): for tsad a deleted run is gone, as on every store, whatever MLflow still answers about
   * it. `what`: the write or read refused, for the message (none: a read of the run itself).
   */
  private async liveRun(runId: string, what?: string): Promise<WireRun> {
    const w = await this.wireRun(runId);
    if (w.info?.lifecycle_stage === 'deleted') {
      this.artifactUris.delete(runId);
      throw new TrackingNotFoundError(
        what === undefined
          ? `run ${runId} was deleted from ${this.uri}`
          : `no run with id ${runId} in ${this.uri} (deleted?): cannot ${what}`,
      );
    }
    return w;
  }

  private async wireRun(runId: string): Promise<WireRun> {
    const r = await this.http.call('GET', 'runs/get', { run_id: runId });
    const run = parseWire<WireRun | undefined>(wireRunSchema.nullish(), r.run, 'runs/get');
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
      experiment: experimentId ? await this.experiments.nameOf(experimentId) : '',
      data: { params, metrics, tags },
      inputs: [...(w.inputs?.dataset_inputs ?? [])]
        .map((x, i) => ({ x, i, seq: inputSeqOf(x) }))
        .sort((a, b) => a.seq - b.seq || a.i - b.i)
        .map(({ x }) => datasetFromWire(x)),
    };
  }

  async getRun(runId: string): Promise<RunRecord> {
    return this.toRecord(await this.liveRun(runId));
  }

  /**
   * `runs/delete`: MLflow moves the run to its trash (lifecycle stage "deleted"). A run already there is
   * `not_found`, as a run never stored (MLflow would delete it again and answer success).
   */
  async deleteRun(runId: string): Promise<void> {
    await this.liveRun(runId, 'delete it');
    await this.http.call('POST', 'runs/delete', { run_id: runId }, { idempotent: true });
    this.pendingEnds.delete(runId);
    this.artifactUris.delete(runId);
  }

  /** The run's metric history; a run in the trash is `not_found` (one `runs/get` first). */
  async getMetricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    await this.liveRun(runId, `read the history of metric "${key}"`);
    return this.metricHistory(runId, key);
  }

  /**
   * `metrics/get-history` alone, with no `runs/get` first: for a run this client is writing to (a
   * resend's read-back, `undelivered`), whose deletion the write's own answer reports. @internal
   */
  async metricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    const out: MetricPoint[] = [];
    await this.http.pages(
      'metrics/get-history',
      { run_id: runId, metric_key: key, max_results: 25000 },
      (r) => {
        for (const m of parseWireList<WireHistoryMetric>(
          wireHistoryMetricSchema,
          r,
          'metrics',
          'metrics/get-history',
        )) {
          out.push({
            key: m.key,
            value: decodeMetricValue(m.value),
            step: int(m.step),
            timestamp: int(m.timestamp),
          });
        }
      },
    );
    return sortHistory(out);
  }

  /** The run's artifacts, walked; a run in the trash is `not_found` (one `runs/get` first). */
  async listArtifacts(runId: string): Promise<ArtifactInfo[]> {
    await this.liveRun(runId, 'list its artifacts');
    const out: ArtifactInfo[] = [];
    const walk = async (dir: string | undefined, depth: number): Promise<void> => {
      const subdirs: string[] = [];
      await this.http.pages('artifacts/list', { run_id: runId, path: dir }, (r) => {
        for (const f of parseWireList<WireFileInfo>(wireFileInfoSchema, r, 'files', 'artifacts/list')) {
          const path = f.path;
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
    // the run is read once per store object (its artifact URI never changes); a run in the trash then is
    // `not_found`, and this store's own deleteRun forgets the URI (another process's deletion cannot)
    let uri = this.artifactUris.get(runId);
    if (uri === undefined) {
      uri = (await this.liveRun(runId, `read artifact "${path}"`)).info?.artifact_uri ?? '';
      this.artifactUris.set(runId, uri);
    }
    try {
      return await this.http.getArtifact(`${artifactStoragePath(uri)}/${path}`);
    } catch (err) {
      // MLflow answers a missing artifact with 500 (or 404): check the listing to tell the two apart
      if (err instanceof MlflowApiError && (err.status === 404 || err.status === 500)) {
        const slash = path.lastIndexOf('/');
        let listed: WireFileInfo[] = [];
        try {
          const r = await this.http.call('GET', 'artifacts/list', {
            run_id: runId,
            ...(slash > 0 ? { path: path.slice(0, slash) } : {}),
          });
          listed = parseWireList<WireFileInfo>(wireFileInfoSchema, r, 'files', 'artifacts/list');
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

  async searchRuns(q: NormalizedQuery): Promise<RunRecord[]> {
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
    await this.http.pages(
      'runs/search',
      {
        experiment_ids: ids,
        ...(filter ? { filter } : {}),
        run_view_type: 'ACTIVE_ONLY',
        max_results: limit === null ? 1000 : Math.min(1000, limit),
        ...(orderBy.length > 0 ? { order_by: orderBy } : {}),
      },
      (r) => {
        wires.push(...parseWireList<WireRun>(wireRunSchema, r, 'runs', 'runs/search'));
      },
      () => limit === null || wires.length < limit,
    );
    let out: RunRecord[] = [];
    for (const w of wires) out.push(await this.toRecord(w));
    if (local.length > 0) out = out.filter((r) => matchesFilter(r, local));
    return q.maxResults === null ? out : out.slice(0, q.maxResults);
  }

  /**
   * @internal Ends a run (idempotent, retried within the budget). An end that still cannot be
   * delivered is remembered: `close()` tries it again and reports it if it fails again.
   */
  async endRun(runId: string, status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void> {
    this.pendingEnds.set(runId, { status, endTime });
    try {
      await this.http.call(
        'POST',
        'runs/update',
        { run_id: runId, status, end_time: endTime },
        { idempotent: true },
      );
    } catch (err) {
      throw this.deletedRunError(err, runId, 'end the run');
    }
    this.pendingEnds.delete(runId);
  }

  /**
   * `Tracker.endRun`: MLflow's `runs/update` ends any run, ended or not, so the status is read first
   * (`runs/get`) and an ended run refused; two processes ending one run at the same moment may both
   * be taken (the later end wins).
   */
  async terminateRun(runId: string, status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void> {
    const now = (await this.liveRun(runId, 'end the run')).info?.status;
    if (now === 'FINISHED' || now === 'FAILED' || now === 'KILLED')
      throw new RunNotActiveError(runId, now, true);
    await this.endRun(runId, status, endTime);
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
        `the MLflow server at ${this.http.display} did not take the end of ${failed.length} run(s), which stay RUNNING there: ${failed.join('; ')}; end them later with tracker.close() again, tracker.endRun(runId, status) or in the MLflow UI`,
      );
    }
    this.artifactUris.clear();
    this.experiments.clear();
  }
}

/** The MLflow backend as a `Tracker`. */
export class MlflowTracker extends BaseTracker<MlflowStore> {
  constructor(uri: string, opts: MlflowTrackerOptions = {}) {
    super(new MlflowStore(uri, opts));
  }

  /** @internal */
  get http(): MlflowHttp {
    return this.store.http;
  }

  /** @internal log-batch in chunks (the `Run` write path; exposed for tests). */
  sendBatch(runId: string, batch: ValidBatch): Promise<void> {
    return this.store.sendBatch(validateRunId(runId), batch);
  }

  /** Runs whose end (FINISHED/FAILED/KILLED) has not reached the server yet. */
  pendingRuns(): { runId: string; status: Exclude<RunStatus, 'RUNNING'> }[] {
    return this.store.pendingRuns();
  }
}

/** The factory `openTracker` uses for `http(s)://` URIs. */
export function createMlflowTracker(uri: string, opts: MlflowTrackerOptions = {}): MlflowTracker {
  return new MlflowTracker(uri, opts);
}
