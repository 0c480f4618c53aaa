/**
 * The tracking contract: one `Tracker` interface, implemented by every backend
 * (memory, local file store, PostgreSQL/CrateDB, MLflow REST). Backends share the
 * validation and run-lifecycle rules in `common.ts`; the conformance suite in
 * `test/conformance/tracker-suite.ts` checks that they behave alike.
 *
 * Times are epoch milliseconds (integers). Param and tag values are strings on the
 * wire and in storage; the logging helpers stringify numbers, booleans and configs.
 */
import { TrackingError } from '../errors.js';
import type { TimeSeries } from '../series/types.js';

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** A key, name, value or query was rejected before it reached storage (code `invalid_*`). */
export class TrackingValidationError extends TrackingError {}

/**
 * A path-like name (artifact path, run name, experiment name, model name) would escape
 * the store: `..` segments, absolute paths, NUL bytes, backslashes, or a symlink that
 * points outside (code `unsafe_path`).
 */
export class UnsafePathError extends TrackingValidationError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('unsafe_path', message, options);
  }
}

/** A param was logged again with a different value; params are immutable (code `param_changed`). */
export class ParamConflictError extends TrackingError {
  constructor(
    readonly runId: string,
    readonly key: string,
    readonly oldValue: string,
    readonly newValue: string,
  ) {
    super(
      'param_changed',
      `param "${key}" of run ${runId} is already ${JSON.stringify(oldValue)}; it cannot be changed to ${JSON.stringify(
        newValue,
      )} (params are immutable: log the new value under another key, or start a new run)`,
    );
  }
}

/** An experiment, run, artifact, model, version or alias does not exist (code `not_found`). */
export class TrackingNotFoundError extends TrackingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('not_found', message, options);
  }
}

/**
 * A run was written to after it ended, or ended again (`Run.end`, `Tracker.endRun`) (code
 * `run_not_active`).
 */
export class RunNotActiveError extends TrackingError {
  /** `ending`: the refusal is of an end (`Tracker.endRun`), not of a write. */
  constructor(runId: string, status: RunStatus, ending = false) {
    super(
      'run_not_active',
      ending
        ? `run ${runId} has ended (${status}) already; only a RUNNING run can be ended, and its status stays ${status}`
        : `run ${runId} has ended (${status}); log to a run before ending it, or start a new run`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';

/** Param values as the logging helpers accept them (stored as strings). */
export type ParamValue = string | number | boolean | null;

export interface Param {
  readonly key: string;
  readonly value: string;
}

export interface Tag {
  readonly key: string;
  readonly value: string;
}

/** One metric observation. `value` may be NaN or ±Infinity. */
export interface MetricPoint {
  readonly key: string;
  readonly value: number;
  /** Integer step (default 0). */
  readonly step: number;
  /** Epoch milliseconds (integer). */
  readonly timestamp: number;
}

/** A dataset a run used, as recorded by `run.logDataset` (or copied by export). */
export interface DatasetInput {
  readonly name: string;
  /** Hex sha256 of the float64 little-endian bytes of all timestamps, then all values. */
  readonly digest: string;
  /** Row count. */
  readonly rows: number;
  /** First and last timestamp (epoch ms); null for an empty series. */
  readonly startTime: number | null;
  readonly endTime: number | null;
  /** How the run used it: 'training', 'evaluation', 'testing', ... */
  readonly context: string;
  /** Where it came from (a path or URL), if known. */
  readonly source?: string;
}

export interface Experiment {
  readonly experimentId: string;
  readonly name: string;
  readonly creationTime: number;
}

export interface RunInfo {
  /** 32 lowercase hex characters (MLflow's format). */
  readonly runId: string;
  readonly experimentId: string;
  readonly runName: string;
  readonly status: RunStatus;
  readonly startTime: number;
  readonly endTime: number | null;
}

export interface RunData {
  readonly params: Readonly<Record<string, string>>;
  /** The latest point of each metric (highest step, then latest timestamp, then largest value). */
  readonly metrics: Readonly<Record<string, MetricPoint>>;
  readonly tags: Readonly<Record<string, string>>;
}

/** Everything about a run except metric histories and artifact bytes. */
export interface RunRecord {
  readonly info: RunInfo;
  /** The experiment's name (denormalised for display). */
  readonly experiment: string;
  readonly data: RunData;
  readonly inputs: readonly DatasetInput[];
}

export interface ArtifactInfo {
  /** Relative POSIX path inside the run's artifact root, e.g. `model/model.json`. */
  readonly path: string;
  readonly size: number;
}

export interface ModelVersion {
  readonly name: string;
  /** 1, 2, 3, ... per registered model. */
  readonly version: number;
  readonly runId: string;
  /** Artifact directory inside the run holding `model.json` (default `model`). */
  readonly artifactPath: string;
  /** `runs:/<runId>/<artifactPath>`. */
  readonly source: string;
  readonly creationTime: number;
  /** Aliases currently pointing at this version. */
  readonly aliases: readonly string[];
}

export interface RegisteredModel {
  readonly name: string;
  readonly creationTime: number;
  /** alias → version. */
  readonly aliases: Readonly<Record<string, number>>;
  /** Highest version number, or null when no version exists yet. */
  readonly latestVersion: number | null;
}

/** A model as tracking sees it: the detectors' `Detector` satisfies this. */
export interface LoggableModel {
  readonly type: string;
  readonly config: object;
  toJSON(): unknown;
}

// ---------------------------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------------------------

/** What a filter clause or sort key refers to. */
export type SearchEntity = 'metric' | 'param' | 'tag' | 'attribute';

/** Attribute keys usable in filters and `orderBy`. */
export type RunAttribute = 'run_id' | 'run_name' | 'status' | 'start_time' | 'end_time';

/**
 * Comparison operators. Metrics and the time attributes compare numerically with
 * `= != < <= > >=`; params, tags and string attributes compare as strings with
 * `= != LIKE ILIKE` (`%` any run of characters, `_` one character; ILIKE ignores case).
 */
export type FilterOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE';

/**
 * One comparison. A run without the key does not match. Clauses are ANDed.
 * String form (MLflow syntax), parsed by `parseFilter`:
 * `metrics.f1 > 0.5 and params.window = '10' and tags."my tag" LIKE 'a%' and attributes.status = 'FINISHED'`.
 */
export interface FilterClause {
  readonly entity: SearchEntity;
  readonly key: string;
  readonly op: FilterOp;
  readonly value: string | number;
}

/** Sort key. Runs missing the key sort last in either direction; ties break by start_time DESC, run_id. */
export interface OrderBy {
  readonly entity: SearchEntity;
  readonly key: string;
  /** Default 'ASC'. */
  readonly direction?: 'ASC' | 'DESC';
}

export interface SearchRunsQuery {
  /** Experiment name(s); omitted = every experiment. */
  experiment?: string | readonly string[];
  /** MLflow-syntax string or clauses (ANDed). */
  filter?: string | readonly FilterClause[];
  /** e.g. `'metrics.f1 DESC'`, or structured keys. Default: start_time DESC. */
  orderBy?: string | OrderBy | readonly (string | OrderBy)[];
  /** Omitted = all matching runs. */
  maxResults?: number;
}

/** A search query after `normalizeQuery`: what backends implement. */
export interface NormalizedQuery {
  readonly experiments: readonly string[] | null;
  readonly filter: readonly FilterClause[];
  readonly orderBy: readonly OrderBy[];
  readonly maxResults: number | null;
}

// ---------------------------------------------------------------------------------------------
// Run and Tracker
// ---------------------------------------------------------------------------------------------

export interface RunOptions {
  /** Experiment name; created if missing. */
  experiment: string;
  /** Run name; default `run-<first 8 chars of the id>`. */
  name?: string;
  tags?: Record<string, string>;
  /** Epoch ms; default now (export passes the source run's start time). */
  startTime?: number;
}

export interface MetricOptions {
  /** Integer step; default 0. */
  step?: number;
  /** Epoch ms; default `Date.now()`. */
  timestamp?: number;
}

/** A batch of writes; the atomic unit of the backends (MLflow log-batch). */
export interface LogBatch {
  params?: readonly Param[];
  metrics?: readonly MetricPoint[];
  tags?: readonly Tag[];
}

export interface ArtifactSource {
  /** Relative POSIX path inside the run's artifact root. */
  name: string;
  bytes: Uint8Array | string;
}

/**
 * An active run. Every method resolves once the write is durable for that backend
 * (appended to the file / committed / acknowledged by the server).
 */
export interface Run {
  readonly id: string;
  readonly experimentId: string;
  /** Experiment name. */
  readonly experiment: string;
  readonly name: string;
  readonly startTime: number;
  /** RUNNING until `end()`. */
  readonly status: RunStatus;

  /** Logs params; nested objects are flattened to dotted keys (`a.b.c`), arrays to JSON. */
  logParams(params: Readonly<Record<string, unknown>>): Promise<void>;
  logParam(key: string, value: ParamValue): Promise<void>;
  logMetric(key: string, value: number, opts?: MetricOptions): Promise<void>;
  /** Logs several metrics with one step and timestamp. */
  logMetrics(metrics: Readonly<Record<string, number>>, opts?: MetricOptions): Promise<void>;
  setTag(key: string, value: string): Promise<void>;
  setTags(tags: Readonly<Record<string, string>>): Promise<void>;
  /** Validated, param-immutability-checked batch write (the fast path for many points). */
  logBatch(batch: LogBatch): Promise<void>;
  /** Records name, rows, time range and sha256 digest of `ts`. */
  logDataset(
    ts: TimeSeries,
    opts: { name: string; context?: string; source?: string },
  ): Promise<DatasetInput>;
  /** Records dataset inputs as they are (export uses this). */
  logInputs(inputs: readonly DatasetInput[]): Promise<void>;
  /**
   * Stores `model.toJSON()` as the artifact `<name>/model.json` (default name `model`) and logs
   * `<name>.type` plus the flattened config as `<name>.config.*` params. Returns the artifact path.
   */
  logModel(model: LoggableModel, opts?: { name?: string }): Promise<string>;
  /** Copies a local file (path) or stores bytes as an artifact; returns its artifact path. */
  logArtifact(source: string | ArtifactSource, opts?: { dir?: string }): Promise<string>;
  /** Waits for buffered writes (backends that buffer). */
  flush(): Promise<void>;
  /**
   * Flushes and ends the run (default FINISHED). Ending twice is an error. `endTime`: integer epoch ms,
   * default now (leave it out; `null` is refused with `invalid_value`).
   */
  end(status?: Exclude<RunStatus, 'RUNNING'>, opts?: { endTime?: number }): Promise<void>;
}

/** A tracker; `M` is what `loadModel` returns (tsad's main entry opens `Tracker<Detector>`). */
export interface Tracker<M = LoggableModel> {
  /** The URI this tracker was opened with (credentials removed). */
  readonly uri: string;

  /**
   * Starts a run, calls `fn`, ends the run FINISHED; if `fn` throws, records the error in the
   * `tsad.error` tag, ends FAILED and rethrows. Always flushes. Returns what `fn` returned.
   */
  run<T>(opts: RunOptions, fn: (run: Run) => Promise<T> | T): Promise<T>;
  /** Starts a run you must `end()` yourself. */
  startRun(opts: RunOptions): Promise<Run>;

  getOrCreateExperiment(name: string): Promise<Experiment>;
  /** undefined when there is no experiment of that name. */
  getExperiment(name: string): Promise<Experiment | undefined>;
  listExperiments(): Promise<Experiment[]>;

  /** Throws TrackingNotFoundError for an unknown id. */
  getRun(runId: string): Promise<RunRecord>;
  /** Full history of one metric, ordered by step, then timestamp, then logging order. */
  getMetricHistory(runId: string, key: string): Promise<MetricPoint[]>;
  /** Every artifact file of the run (recursive), sorted by path. */
  listArtifacts(runId: string): Promise<ArtifactInfo[]>;
  readArtifact(runId: string, path: string): Promise<Uint8Array>;
  searchRuns(query?: SearchRunsQuery): Promise<RunRecord[]>;
  /**
   * Removes a run with its params, metrics, tags, inputs and artifacts: afterwards `getRun`
   * throws `TrackingNotFoundError` and searches do not list it. Unknown id: `TrackingNotFoundError`.
   * MLflow servers keep deleted runs in their trash (`mlflow gc` purges them).
   *
   * A run that a registered model version was registered from is refused (`TrackingError` code
   * `run_registered`, naming the versions and their aliases, nothing deleted): its model would go
   * with it and those versions could never load again. `{ force: true }` deletes it anyway; the
   * versions are left as they are (versions cannot be deleted) and loading them is `not_found`.
   */
  deleteRun(runId: string, opts?: { force?: boolean }): Promise<void>;

  /**
   * Ends a run by id with `status` (`FINISHED`, `FAILED` or `KILLED`) and `endTime` (default now):
   * for a run another process started and left RUNNING (it crashed, or was killed). An ended run is
   * `RunNotActiveError` and keeps its status; an unknown or deleted run is `TrackingNotFoundError`.
   * Nothing the run recorded is changed. The `Run` object of the process that started it is not told:
   * its own `end()` afterwards overwrites the status. On an MLflow server, which has no conditional
   * update, the status is checked just before the end is sent.
   */
  endRun(runId: string, status: Exclude<RunStatus, 'RUNNING'>, opts?: { endTime?: number }): Promise<void>;

  /**
   * Registers the model logged by `runId` under `artifactPath` (default `model`: what
   * `run.logModel(model)` wrote) as the next version, and returns it. A run with no model there is
   * `TrackingNotFoundError`, naming where the run's models are, and nothing is registered; an unknown
   * or deleted run is `TrackingNotFoundError` too.
   */
  registerModel(name: string, runId: string, opts?: { artifactPath?: string }): Promise<ModelVersion>;
  /**
   * Points `alias` at `version` (moving it if it pointed elsewhere). `latest` is reserved. With
   * `expected`, the alias moves only if it points at that version now (`null`: only if it is unset);
   * else `TrackingError` code `alias_moved`, naming where it points (two promotions racing on one
   * alias: the second is told instead of silently replacing the first). Atomic on memory, the local
   * store (under the registry lock) and PostgreSQL (one conditional statement); on an MLflow server,
   * which has no conditional alias update, checked just before setting it.
   */
  setAlias(name: string, alias: string, version: number, opts?: { expected?: number | null }): Promise<void>;
  deleteAlias(name: string, alias: string): Promise<void>;
  /** Sets (or overwrites) a tag of one model version (MLflow's `model-versions/set-tag`). */
  setModelVersionTag(name: string, version: number, key: string, value: string): Promise<void>;
  /** The tags of one model version (empty when it has none). */
  getModelVersionTags(name: string, version: number): Promise<Record<string, string>>;
  /** A version by number, or by alias (`'latest'` = highest version). */
  getModelVersion(name: string, versionOrAlias: number | string): Promise<ModelVersion>;
  listRegisteredModels(): Promise<RegisteredModel[]>;
  /** Versions of one model, ascending. */
  listModelVersions(name: string): Promise<ModelVersion[]>;
  /** The stored model JSON for `models:/name@alias`, `models:/name/3` or `runs:/<runId>/<path>`. */
  loadModelJson(uri: string): Promise<unknown>;
  /**
   * `loadModelJson`, then the loader given to `openTracker(uri, { loadModel })` (tsad's main entry
   * passes its `loadModel`), else the one installed with `setModelLoader`.
   */
  loadModel(uri: string): Promise<M>;

  /** Releases connections and file handles. */
  close(): Promise<void>;
}
