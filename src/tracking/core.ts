/**
 * `BaseTracker`: `startRun`/`run()` status handling, the registry methods (validated here, stored
 * by a `RegistryStore`), `loadModelJson` and `loadModel`, implemented once over a backend's
 * storage primitives; plus run-option preparation shared by the backends.
 */
import {
  instantiateModel,
  MLMODEL_FILE,
  MODEL_DATA_FILE,
  modelJsonPath,
  parseModelJson,
  parseModelUri,
  tsadFlavorData,
} from './models.js';
import { defaultRunName, describeError, newRunId, systemTags } from './params.js';
import {
  type ArtifactInfo,
  type Experiment,
  type LoggableModel,
  type MetricPoint,
  type ModelVersion,
  type RegisteredModel,
  type Run,
  type RunOptions,
  type RunRecord,
  type RunStatus,
  type SearchRunsQuery,
  type Tag,
  type Tracker,
  TrackingNotFoundError,
} from './tracker.js';
import {
  invalid,
  validateAlias,
  validateArtifactPath,
  validateExperimentName,
  validateKey,
  validateModelName,
  validateRunName,
  validateTagValue,
  validateVersion,
} from './validate.js';

/** Run options after validation, with defaults filled (what `createRun` gets). */
export interface PreparedRun {
  experiment: string;
  runId: string;
  name: string;
  /** Whether the caller named the run (else `name` is the default `run-<id prefix>`). */
  named: boolean;
  startTime: number;
  tags: Tag[];
}

/** A run's info as the memory and file stores keep it (with the experiment's name). */
export interface StoredRunInfo {
  runId: string;
  experimentId: string;
  experiment: string;
  runName: string;
  status: RunStatus;
  startTime: number;
  endTime: number | null;
}

/** A new run's info: RUNNING, not ended. */
export function newRunInfo(o: PreparedRun, exp: Experiment): StoredRunInfo {
  return {
    runId: o.runId,
    experimentId: exp.experimentId,
    experiment: exp.name,
    runName: o.name,
    status: 'RUNNING',
    startTime: o.startTime,
    endTime: null,
  };
}

/** Validates run options and fills defaults (`BaseTracker.startRun` calls it first). */
export function prepareRunOptions(opts: RunOptions): PreparedRun {
  if (typeof opts !== 'object' || opts === null) {
    throw invalid('invalid_run_options', 'startRun needs { experiment, name?, tags?, startTime? }');
  }
  const experiment = validateExperimentName(opts.experiment);
  const runId = newRunId();
  const name = opts.name === undefined ? defaultRunName(runId) : validateRunName(opts.name);
  const startTime = opts.startTime ?? Date.now();
  if (!Number.isSafeInteger(startTime)) throw invalid('invalid_value', 'startTime must be integer epoch ms');
  const tagObj: Record<string, string> = { ...systemTags(), ...(opts.tags ?? {}) };
  const tags = Object.entries(tagObj).map(([key, value]) => ({
    key: validateKey('tag', key),
    value: validateTagValue(key, value),
  }));
  return { experiment, runId, name, named: opts.name !== undefined, startTime, tags };
}

/** Runs `fn` in a run: FINISHED on success; on error the `tsad.error` tag, FAILED, rethrow. */
export async function withRun<T>(run: Run, fn: (run: Run) => Promise<T> | T): Promise<T> {
  let result: T;
  try {
    result = await fn(run);
  } catch (err) {
    if (run.status === 'RUNNING') {
      // the caller's error wins; a failure to record it is reported as a process warning
      try {
        await run.setTag('tsad.error', describeError(err));
      } catch (tagErr) {
        process.emitWarning(`tsad: could not record the error of run ${run.id}: ${describeError(tagErr)}`);
      }
      try {
        await run.end('FAILED');
      } catch (endErr) {
        process.emitWarning(`tsad: could not end run ${run.id} as FAILED: ${describeError(endErr)}`);
      }
    }
    throw err;
  }
  if (run.status === 'RUNNING') await run.end('FINISHED');
  else await run.flush();
  return result;
}

/**
 * The registry half of a backend's storage: the `Tracker` registry methods (with the artifact path
 * resolved), called with arguments `BaseTracker` has validated (names, aliases, versions, keys, the
 * artifact path; not the run id, whose existence the store checks). A backend provides one:
 * `documentRegistry` (registry-state.ts) serves any store that keeps the registry as one document;
 * SQL and MLflow have their own.
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
};

/**
 * Implements `run`, `loadModelJson`, `loadModel` and the registry methods (over `registry`) once; backends implement storage.
 */
export abstract class BaseTracker implements Tracker {
  abstract readonly uri: string;

  /** Creates a validated run in storage (its experiment exists) and returns it active. */
  protected abstract createRun(o: PreparedRun, exp: Experiment): Promise<Run>;
  abstract getOrCreateExperiment(name: string): Promise<Experiment>;
  abstract getExperiment(name: string): Promise<Experiment | undefined>;
  abstract listExperiments(): Promise<Experiment[]>;
  abstract getRun(runId: string): Promise<RunRecord>;
  abstract getMetricHistory(runId: string, key: string): Promise<MetricPoint[]>;
  abstract listArtifacts(runId: string): Promise<ArtifactInfo[]>;
  abstract readArtifact(runId: string, path: string): Promise<Uint8Array>;
  abstract searchRuns(query?: SearchRunsQuery): Promise<RunRecord[]>;
  abstract deleteRun(runId: string): Promise<void>;
  /** The model registry's storage: the registry methods below delegate to it. */
  protected abstract readonly registry: RegistryStore;
  abstract close(): Promise<void>;

  // The registry methods validate their arguments here, once, and leave storage to `registry`.

  async registerModel(
    name: string,
    runId: string,
    opts: { artifactPath?: string } = {},
  ): Promise<ModelVersion> {
    validateModelName(name);
    const artifactPath = validateArtifactPath(opts.artifactPath ?? 'model');
    return this.registry.registerModel(name, runId, artifactPath);
  }

  async setAlias(name: string, alias: string, version: number): Promise<void> {
    validateModelName(name);
    validateAlias(alias, true);
    validateVersion(version);
    return this.registry.setAlias(name, alias, version);
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    validateModelName(name);
    validateAlias(alias, true);
    return this.registry.deleteAlias(name, alias);
  }

  async setModelVersionTag(name: string, version: number, key: string, value: string): Promise<void> {
    validateKey('tag', key);
    validateTagValue(key, value);
    validateModelName(name);
    validateVersion(version);
    return this.registry.setModelVersionTag(name, version, key, value);
  }

  async getModelVersionTags(name: string, version: number): Promise<Record<string, string>> {
    validateModelName(name);
    validateVersion(version);
    return this.registry.getModelVersionTags(name, version);
  }

  /** The version or alias is validated by `resolveVersionArg` when the store resolves it. */
  async getModelVersion(name: string, versionOrAlias: number | string): Promise<ModelVersion> {
    validateModelName(name);
    return this.registry.getModelVersion(name, versionOrAlias);
  }

  async listRegisteredModels(): Promise<RegisteredModel[]> {
    return this.registry.listRegisteredModels();
  }

  async listModelVersions(name: string): Promise<ModelVersion[]> {
    validateModelName(name);
    return this.registry.listModelVersions(name);
  }

  /** A backend's own limits on a new run's tags, checked before anything is created (default none). */
  protected checkRunTags(_tags: readonly Tag[]): void {}

  async startRun(opts: RunOptions): Promise<Run> {
    const o = prepareRunOptions(opts);
    this.checkRunTags(o.tags);
    return this.createRun(o, await this.getOrCreateExperiment(o.experiment));
  }

  async run<T>(opts: RunOptions, fn: (run: Run) => Promise<T> | T): Promise<T> {
    const run = await this.startRun(opts);
    return withRun(run, fn);
  }

  async loadModelJson(uri: string): Promise<unknown> {
    const parsed = parseModelUri(uri);
    let runId: string;
    let path: string;
    if (parsed.kind === 'run') {
      runId = parsed.runId;
      path = modelJsonPath(parsed.path);
    } else {
      const mv = await this.getModelVersion(parsed.name, parsed.alias ?? parsed.version);
      runId = mv.runId;
      path = modelJsonPath(mv.artifactPath);
    }
    if (!path.endsWith('.json') || path.endsWith(`/${MODEL_DATA_FILE}`)) {
      // An MLflow Model directory: its MLmodel names the data file of the tsad flavor.
      const dir = path.endsWith(`/${MODEL_DATA_FILE}`) ? path.slice(0, -MODEL_DATA_FILE.length - 1) : path;
      let mlmodel: Uint8Array | undefined;
      try {
        mlmodel = await this.readArtifact(runId, `${dir}/${MLMODEL_FILE}`);
      } catch (err) {
        if (!(err instanceof TrackingNotFoundError)) throw err;
        // a directory without MLmodel: tsad's earlier layout, model.json alone
      }
      if (mlmodel !== undefined) {
        const where = `${uri} (runs:/${runId}/${dir}/${MLMODEL_FILE})`;
        path = `${dir}/${tsadFlavorData(Buffer.from(mlmodel).toString('utf8'), where)}`;
      }
    }
    const bytes = await this.readArtifact(runId, path);
    return parseModelJson(bytes, `${uri} (runs:/${runId}/${path})`);
  }

  async loadModel(uri: string): Promise<LoggableModel> {
    const json = await this.loadModelJson(uri);
    return instantiateModel(json, uri);
  }
}
