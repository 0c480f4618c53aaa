/**
 * `BaseRun` and `BaseTracker`: the run lifecycle (`run()`, status handling, `logModel`,
 * `loadModelJson`) implemented once over a few backend primitives.
 */

import { basename } from 'node:path';
import type { TimeSeries } from '../series/types.js';
import {
  instantiateModel,
  MLMODEL_FILE,
  type MlmodelInfo,
  MODEL_DATA_FILE,
  mlmodelText,
  modelJsonPath,
  parseModelJson,
  parseModelUri,
  tsadFlavorData,
} from './models.js';
import {
  datasetInput,
  defaultRunName,
  describeError,
  flattenParams,
  isPlainObject,
  newParams,
  newRunId,
  paramToString,
  systemTags,
  validateDatasetInput,
} from './params.js';
import {
  type ArtifactInfo,
  type ArtifactSource,
  type DatasetInput,
  type Experiment,
  type LogBatch,
  type LoggableModel,
  type MetricOptions,
  type MetricPoint,
  type ModelVersion,
  type Param,
  type ParamValue,
  type RegisteredModel,
  type Run,
  RunNotActiveError,
  type RunOptions,
  type RunRecord,
  type RunStatus,
  type SearchRunsQuery,
  type Tag,
  type Tracker,
  TrackingNotFoundError,
} from './tracker.js';
import {
  describeValue,
  invalid,
  LIMITS,
  normalizeMetricValue,
  validateAlias,
  validateArtifactPath,
  validateExperimentName,
  validateKey,
  validateMetric,
  validateModelName,
  validateParamValue,
  validateRunName,
  validateTagValue,
  validateVersion,
} from './validate.js';

// ---------------------------------------------------------------------------------------------
// Base classes
// ---------------------------------------------------------------------------------------------

function toBytes(b: Uint8Array | string): Uint8Array {
  return typeof b === 'string' ? new TextEncoder().encode(b) : b;
}

/** The validated batch a backend writes (params already filtered by the immutability rule). */
export interface ValidBatch {
  params: Param[];
  metrics: MetricPoint[];
  tags: Tag[];
}

/**
 * Implements every `Run` method on four backend primitives. Backends enforce param
 * immutability again at storage level (other processes may write the same run).
 */
export abstract class BaseRun implements Run {
  protected _status: RunStatus = 'RUNNING';
  /** Params this Run object has written (fast local immutability check). */
  protected readonly knownParams = new Map<string, string>();

  constructor(
    readonly id: string,
    readonly experimentId: string,
    readonly experiment: string,
    readonly name: string,
    readonly startTime: number,
  ) {}

  get status(): RunStatus {
    return this._status;
  }

  protected abstract writeBatch(batch: ValidBatch): Promise<void>;
  protected abstract writeInputs(inputs: readonly DatasetInput[]): Promise<void>;
  protected abstract writeArtifact(path: string, bytes: Uint8Array): Promise<void>;
  protected abstract writeEnd(status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void>;

  async flush(): Promise<void> {}

  /**
   * Writes an MLflow Model directory `<name>/` (model.json, then MLmodel, so a directory with
   * an MLmodel is complete). Backends with logged models (MLflow 3) also register one.
   */
  protected async writeModel(name: string, modelJson: Uint8Array, info: MlmodelInfo): Promise<void> {
    await this.writeArtifact(`${name}/${MODEL_DATA_FILE}`, modelJson);
    await this.writeArtifact(`${name}/${MLMODEL_FILE}`, new TextEncoder().encode(mlmodelText(info)));
  }

  protected assertActive(): void {
    if (this._status !== 'RUNNING') throw new RunNotActiveError(this.id, this._status);
  }

  async logBatch(batch: LogBatch): Promise<void> {
    this.assertActive();
    const params = (batch.params ?? []).map((p) => ({
      key: validateKey('param', p.key),
      value: validateParamValue(p.key, p.value),
    }));
    const tags = (batch.tags ?? []).map((t) => ({
      key: validateKey('tag', t.key),
      value: validateTagValue(t.key, t.value),
    }));
    let metrics = batch.metrics ?? [];
    for (const m of metrics) validateMetric(m);
    if (metrics.some((m) => Math.abs(m.value) === Number.MAX_VALUE)) {
      metrics = metrics.map((m) => ({ ...m, value: normalizeMetricValue(m.value) }));
    }
    const fresh = newParams(this.id, this.knownParams, params);
    if (fresh.length === 0 && metrics.length === 0 && tags.length === 0) return;
    await this.writeBatch({ params: fresh, metrics: metrics as MetricPoint[], tags });
    for (const p of fresh) this.knownParams.set(p.key, p.value);
  }

  async logParams(params: Readonly<Record<string, unknown>>): Promise<void> {
    if (!isPlainObject(params)) {
      throw invalid(
        'invalid_params',
        `logParams expects an object of params ({ name: value }), got ${describeValue(params)}`,
      );
    }
    return this.logBatch({ params: flattenParams(params) });
  }

  logParam(key: string, value: ParamValue): Promise<void> {
    return this.logBatch({ params: [{ key, value: paramToString(value) }] });
  }

  logMetric(key: string, value: number, opts: MetricOptions = {}): Promise<void> {
    return this.logBatch({
      metrics: [{ key, value, step: opts.step ?? 0, timestamp: opts.timestamp ?? Date.now() }],
    });
  }

  logMetrics(metrics: Readonly<Record<string, number>>, opts: MetricOptions = {}): Promise<void> {
    const step = opts.step ?? 0;
    const timestamp = opts.timestamp ?? Date.now();
    return this.logBatch({
      metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, step, timestamp })),
    });
  }

  setTag(key: string, value: string): Promise<void> {
    return this.logBatch({ tags: [{ key, value }] });
  }

  setTags(tags: Readonly<Record<string, string>>): Promise<void> {
    return this.logBatch({ tags: Object.entries(tags).map(([key, value]) => ({ key, value })) });
  }

  async logDataset(
    ts: TimeSeries,
    opts: { name: string; context?: string; source?: string },
  ): Promise<DatasetInput> {
    this.assertActive();
    const input = datasetInput(ts, opts);
    await this.writeInputs([input]);
    return input;
  }

  async logInputs(inputs: readonly DatasetInput[]): Promise<void> {
    this.assertActive();
    for (const d of inputs) validateDatasetInput(d);
    if (inputs.length > 0) await this.writeInputs(inputs);
  }

  async logModel(model: LoggableModel, opts: { name?: string } = {}): Promise<string> {
    this.assertActive();
    const name = validateArtifactPath(opts.name ?? 'model');
    if (typeof model?.toJSON !== 'function') {
      throw invalid(
        'invalid_model',
        `logModel expects a model with a toJSON() method (e.g. a tsad detector); got ${describeValue(model)}`,
      );
    }
    const json = model.toJSON();
    const text = JSON.stringify(json, null, 1);
    if (text === undefined) throw invalid('invalid_model', `model ${model.type}: toJSON() returned nothing`);
    const path = `${name}/${MODEL_DATA_FILE}`;
    const j = (typeof json === 'object' && json !== null ? json : {}) as {
      format?: unknown;
      version?: unknown;
    };
    await this.writeModel(name, new TextEncoder().encode(text), {
      artifactPath: name,
      runId: this.id,
      modelType: String(model.type),
      format: typeof j.format === 'string' ? j.format : 'tsad-model',
      formatVersion: typeof j.version === 'number' || typeof j.version === 'string' ? j.version : 1,
    });
    const config = JSON.parse(JSON.stringify(model.config ?? {})) as Record<string, unknown>;
    // as MLflow's autologging does, over-long config values are truncated (the model file has them whole)
    const marker = '...[truncated]';
    const params = flattenParams(config, `${name}.config`).map((p) =>
      p.value.length > LIMITS.paramValueLength
        ? { key: p.key, value: p.value.slice(0, LIMITS.paramValueLength - marker.length) + marker }
        : p,
    );
    await this.logBatch({ params: [{ key: `${name}.type`, value: String(model.type) }, ...params] });
    return path;
  }

  async logArtifact(source: string | ArtifactSource, opts: { dir?: string } = {}): Promise<string> {
    this.assertActive();
    let name: string;
    let bytes: Uint8Array;
    if (typeof source === 'string') {
      const { readFile } = await import('node:fs/promises');
      try {
        bytes = await readFile(source);
      } catch (err) {
        throw new TrackingNotFoundError(`cannot read artifact file ${source}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      name = basename(source);
    } else {
      name = source.name;
      bytes = toBytes(source.bytes);
    }
    const path = validateArtifactPath(opts.dir ? `${opts.dir}/${name}` : name);
    await this.writeArtifact(path, bytes);
    return path;
  }

  async end(
    status: Exclude<RunStatus, 'RUNNING'> = 'FINISHED',
    opts: { endTime?: number } = {},
  ): Promise<void> {
    this.assertActive();
    if (!['FINISHED', 'FAILED', 'KILLED'].includes(status)) {
      throw invalid(
        'invalid_status',
        `run status must be FINISHED, FAILED or KILLED, got ${JSON.stringify(status)}`,
      );
    }
    const endTime = opts.endTime ?? Date.now();
    if (!Number.isSafeInteger(endTime)) throw invalid('invalid_value', `endTime must be integer epoch ms`);
    await this.flush();
    await this.writeEnd(status, endTime);
    this._status = status;
  }
}

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
