/**
 * The storage primitives a tracking backend implements: a `Store` (experiments, runs, reads,
 * search, deletion, a `RegistryStore`) and, per active run, a `RunStore` (four writes). The one
 * tracker core (`BaseTracker`, core.ts, and `BaseRun`, base-run.ts) implements every `Tracker` and
 * `Run` method over them: it validates every argument before a primitive is called, so a store
 * receives only valid names, run ids, keys, values and artifact paths and checks none of them again
 * (it still checks what only it can know: whether a run exists, whether a param is already set).
 */
import type { MlmodelInfo } from './models.js';
import type {
  ArtifactInfo,
  DatasetInput,
  Experiment,
  MetricPoint,
  ModelVersion,
  NormalizedQuery,
  Param,
  RunRecord,
  RunStatus,
  Tag,
  Tracker,
} from './tracker.js';

/** Run options after validation, with defaults filled (what `Store.createRun` gets). */
export interface PreparedRun {
  experiment: string;
  runId: string;
  name: string;
  /** Whether the caller named the run (else `name` is the default `run-<id prefix>`). */
  named: boolean;
  startTime: number;
  tags: Tag[];
}

/** The validated batch a store writes (params already filtered by the immutability rule). */
export interface ValidBatch {
  params: Param[];
  metrics: MetricPoint[];
  tags: Tag[];
}

/**
 * The registry half of a store: the `Tracker` registry methods (with the artifact path resolved),
 * called with arguments the core has validated (names, aliases, versions, keys, the artifact path,
 * the run id's form; whether the run exists is the store's to check). `documentRegistry`
 * (registry-state.ts) serves any store that keeps the registry as one document; SQL and MLflow
 * have their own.
 */
export type RegistryStore = Pick<
  Tracker,
  | 'setAlias'
  | 'deleteAlias'
  | 'setModelVersionTag'
  | 'getModelVersionTags'
  | 'getModelVersion'
  | 'listRegisteredModels'
  | 'listModelVersions'
> & {
  /** Adds the next version of `name` for the run's model at `artifactPath`. */
  registerModel(name: string, runId: string, artifactPath: string): Promise<ModelVersion>;
  /**
   * Every registered version whose source is run `runId` (none: empty), by model name then version,
   * with its aliases: what `Tracker.deleteRun` refuses to delete the model of.
   */
  versionsOfRun(runId: string): Promise<ModelVersion[]>;
};

/** Who a run is, as its store created it (the run id may be the server's, as in MLflow). */
export interface RunIdentity {
  readonly runId: string;
  readonly experimentId: string;
  readonly experiment: string;
  readonly runName: string;
  readonly startTime: number;
}

/** One active run's writes. */
export interface RunStore {
  readonly info: RunIdentity;
  /** Params (new to this run object), metrics and tags; the store re-checks param immutability. */
  writeBatch(batch: ValidBatch): Promise<void>;
  writeInputs(inputs: readonly DatasetInput[]): Promise<void>;
  writeArtifact(path: string, bytes: Uint8Array): Promise<void>;
  /** Ends the run (the core has flushed it). */
  writeEnd(status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void>;
  /**
   * Writes an MLflow Model directory `<name>/`; optional: by default the core writes `model.json`
   * then `MLmodel` with `writeArtifact` (MLflow also registers an MLflow 3 logged model).
   */
  writeModel?(name: string, modelJson: Uint8Array, info: MlmodelInfo): Promise<void>;
}

/**
 * A backend's storage. Every argument has been validated by the core: experiment names, run ids
 * (their form), artifact paths (by the reading rules for `readArtifact`), the query (normalized).
 * A missing run is the store's `TrackingNotFoundError`.
 */
export interface Store {
  /** The URI the tracker was opened with, credentials redacted. */
  readonly uri: string;
  getOrCreateExperiment(name: string): Promise<Experiment>;
  getExperiment(name: string): Promise<Experiment | undefined>;
  listExperiments(): Promise<Experiment[]>;
  /** Creates the run (RUNNING) in its experiment, which exists. */
  createRun(o: PreparedRun, exp: Experiment): Promise<RunStore>;
  getRun(runId: string): Promise<RunRecord>;
  getMetricHistory(runId: string, key: string): Promise<MetricPoint[]>;
  listArtifacts(runId: string): Promise<ArtifactInfo[]>;
  readArtifact(runId: string, path: string): Promise<Uint8Array>;
  searchRuns(query: NormalizedQuery): Promise<RunRecord[]>;
  deleteRun(runId: string): Promise<void>;
  /**
   * Deletes the run unless a registered model version comes from it, the check and the deletion in one
   * transaction: the versions found (with their aliases; nothing deleted), or none (deleted); a missing
   * run is `TrackingNotFoundError`. Optional: without it `Tracker.deleteRun` reads
   * `registry.versionsOfRun` just before `deleteRun`, and a registration landing in between is not seen.
   */
  deleteUnregisteredRun?(runId: string): Promise<ModelVersion[]>;
  /**
   * Ends a RUNNING run by id (`Tracker.endRun`): `RunNotActiveError` (with `ending`) if it has
   * ended, `TrackingNotFoundError` if it is not there; atomic where the backend can be.
   */
  terminateRun(runId: string, status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void>;
  readonly registry: RegistryStore;
  /** A store's own limits on a new run's tags, checked before anything is created (optional). */
  checkRunTags?(tags: readonly Tag[]): void;
  close(): Promise<void>;
}
