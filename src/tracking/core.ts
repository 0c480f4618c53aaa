/**
 * `BaseTracker`: the one `Tracker` implementation, over a backend's `Store` (store.ts). Every
 * argument is validated here, once; `startRun`/`run()` status handling, the registry methods,
 * `loadModelJson` and `loadModel` are written here; the store only stores.
 */
import { TrackingError } from '../errors.js';
import { BaseRun } from './base-run.js';
import { normalizeQuery } from './filter.js';
import {
  instantiateModel,
  MLMODEL_FILE,
  MODEL_DATA_FILE,
  missingModel,
  modelJsonPath,
  parseModelJson,
  parseModelUri,
  tsadFlavorData,
  validateVersionArg,
} from './models.js';
import { defaultRunName, describeError, newRunId, systemTags } from './params.js';
import type { PreparedRun, RegistryStore, Store } from './store.js';
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
  type Tracker,
  TrackingNotFoundError,
} from './tracker.js';
import {
  invalid,
  validateAlias,
  validateArtifactPath,
  validateEnd,
  validateExperimentName,
  validateKey,
  validateModelName,
  validateRunId,
  validateRunName,
  validateTagValue,
  validateVersion,
} from './validate.js';

/** `run_registered`: `deleteRun` of a run registered versions come from (nothing deleted). */
function runRegistered(runId: string, versions: readonly ModelVersion[]): TrackingError {
  const list = versions
    .map(
      (v) =>
        `"${v.name}" version ${v.version}${v.aliases.length > 0 ? ` (alias ${v.aliases.join(', ')})` : ''}`,
    )
    .join('; ');
  return new TrackingError(
    'run_registered',
    `run ${runId} was not deleted: registered model versions come from it (${list}), and once it is deleted loading them (loadModel, tsad serve) would fail with not_found (tsad reads no deleted run: the local, memory and SQL stores remove it, an MLflow server keeps it in its trash, where only MLflow's own tools restore it). Point the aliases at versions of other runs first (tracker.setAlias, or tsad models promote), or pass { force: true } to delete it anyway`,
  );
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
  // the run name is also the tag mlflow.runName, as an MLflow server keeps it (and its name wins over a
  // tag of that key given with another value), so `tags.mlflow.runName` filters alike on every backend
  const tagObj: Record<string, string> = { ...systemTags(), ...(opts.tags ?? {}), 'mlflow.runName': name };
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
 * The one `Tracker` implementation over a `Store`. Backends' public classes (`FileTracker`,
 * `SqlTracker`, ...) are this class over their store, plus the store's own extras.
 */
export class BaseTracker<S extends Store = Store> implements Tracker {
  constructor(protected readonly store: S) {}

  get uri(): string {
    return this.store.uri;
  }

  private get registry(): RegistryStore {
    return this.store.registry;
  }

  async getOrCreateExperiment(name: string): Promise<Experiment> {
    return this.store.getOrCreateExperiment(validateExperimentName(name));
  }

  async getExperiment(name: string): Promise<Experiment | undefined> {
    return this.store.getExperiment(validateExperimentName(name));
  }

  async listExperiments(): Promise<Experiment[]> {
    return this.store.listExperiments();
  }

  async getRun(runId: string): Promise<RunRecord> {
    return this.store.getRun(validateRunId(runId));
  }

  async getMetricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    return this.store.getMetricHistory(validateRunId(runId), key);
  }

  async listArtifacts(runId: string): Promise<ArtifactInfo[]> {
    return this.store.listArtifacts(validateRunId(runId));
  }

  /** Artifact paths are checked by the reading rules: files named before today's naming rules stay readable. */
  async readArtifact(runId: string, path: string): Promise<Uint8Array> {
    validateRunId(runId);
    return this.store.readArtifact(runId, validateArtifactPath(path, { reading: true }));
  }

  async searchRuns(query?: SearchRunsQuery): Promise<RunRecord[]> {
    const q = normalizeQuery(query);
    for (const name of q.experiments ?? []) validateExperimentName(name);
    return this.store.searchRuns(q);
  }

  async deleteRun(runId: string, opts: { force?: boolean } = {}): Promise<void> {
    validateRunId(runId);
    if (opts.force === true) return this.store.deleteRun(runId);
    if (this.store.deleteUnregisteredRun) {
      // the check and the deletion in one step (PostgreSQL's transaction, the local store's and memory's
      // registry lock): no registration lands in between
      const behind = await this.store.deleteUnregisteredRun(runId);
      if (behind.length > 0) throw runRegistered(runId, behind);
      return;
    }
    // checked just before the deletion, not in one transaction with it: a version registered from the
    // run by another process at that moment is not seen (MLflow)
    const behind = await this.registry.versionsOfRun(runId);
    if (behind.length > 0) {
      await this.store.getRun(runId); // a run already deleted is its own not_found
      throw runRegistered(runId, behind);
    }
    return this.store.deleteRun(runId);
  }

  async endRun(
    runId: string,
    status: Exclude<RunStatus, 'RUNNING'>,
    opts: { endTime?: number } = {},
  ): Promise<void> {
    validateRunId(runId);
    const end = validateEnd(status, opts.endTime);
    return this.store.terminateRun(runId, end.status, end.endTime);
  }

  async close(): Promise<void> {
    return this.store.close();
  }

  // The registry methods validate their arguments here, once, and leave storage to `registry`.

  async registerModel(
    name: string,
    runId: string,
    opts: { artifactPath?: string } = {},
  ): Promise<ModelVersion> {
    validateModelName(name);
    validateRunId(runId);
    const artifactPath = validateArtifactPath(opts.artifactPath ?? 'model');
    await this.requireLoggedModel(runId, artifactPath);
    return this.registry.registerModel(name, runId, artifactPath);
  }

  /**
   * A version is never added for a run with no model at `artifactPath` (an `MLmodel`, or the
   * `model.json` of tsad's earlier layout): it could never be loaded, `latest` would point at it, and a
   * version cannot be deleted. One small read when the model is there (its `MLmodel`); a missing run
   * is the store's own `not_found`.
   */
  private async requireLoggedModel(runId: string, artifactPath: string): Promise<void> {
    const dataPath = modelJsonPath(artifactPath);
    const candidates =
      dataPath === artifactPath ? [artifactPath] : [`${artifactPath}/${MLMODEL_FILE}`, dataPath];
    for (const path of candidates) {
      try {
        await this.store.readArtifact(runId, path);
        return;
      } catch (err) {
        if (!(err instanceof TrackingNotFoundError)) throw err;
      }
    }
    await this.store.getRun(runId); // a run that is not there: its own not_found
    const logged = (await this.store.listArtifacts(runId))
      .map((a) => a.path)
      .filter((p) => p.endsWith(`/${MLMODEL_FILE}`))
      .map((p) => p.slice(0, -MLMODEL_FILE.length - 1));
    throw new TrackingNotFoundError(
      `run ${runId} has no model at "${artifactPath}" (no ${candidates.join(' nor ')}), so a version registered from it could never be loaded; ${
        logged.length > 0
          ? `its models are logged under: ${logged.join(', ')}; pass that as artifactPath`
          : 'log one first with run.logModel(detector) (or pass the artifactPath it was logged under)'
      }`,
    );
  }

  async setAlias(
    name: string,
    alias: string,
    version: number,
    opts: { expected?: number | null } = {},
  ): Promise<void> {
    validateModelName(name);
    validateAlias(alias, true);
    validateVersion(version);
    if (opts.expected === undefined) return this.registry.setAlias(name, alias, version);
    if (opts.expected !== null) validateVersion(opts.expected);
    return this.registry.setAlias(name, alias, version, { expected: opts.expected });
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

  async getModelVersion(name: string, versionOrAlias: number | string): Promise<ModelVersion> {
    validateModelName(name);
    const arg = validateVersionArg(versionOrAlias);
    try {
      return await this.registry.getModelVersion(name, arg);
    } catch (err) {
      if (!(err instanceof TrackingNotFoundError)) throw err;
      throw await this.missingVersion(name, arg, err);
    }
  }

  /**
   * One message per case on every backend (each answers a missing model, alias or version in its
   * own words, MLflow's server in its own): the model is looked up in the registry's listing.
   */
  private async missingVersion(
    name: string,
    arg: number | string,
    cause: TrackingNotFoundError,
  ): Promise<TrackingNotFoundError> {
    const model = (await this.registry.listRegisteredModels()).find((m) => m.name === name);
    if (model === undefined) return missingModel(name, cause);
    const version =
      typeof arg === 'number'
        ? arg
        : /^[1-9]\d*$/.test(arg)
          ? Number(arg)
          : /^v\d+$/i.test(arg)
            ? Number(arg.slice(1))
            : undefined;
    if (version !== undefined || arg.toString().toLowerCase() === 'latest') {
      const latest = model.latestVersion;
      // the lookup found nothing, the listing (read after it) does: a version registered meanwhile
      const wanted =
        version === undefined ? 'no version when "latest" was' : `no version ${version} when it was`;
      const raced = latest !== null && (version === undefined || (version >= 1 && version <= latest));
      return new TrackingNotFoundError(
        latest === null
          ? `model "${name}" has no versions yet; register one with registerModel (on the command line: tsad train --register ${name})`
          : raced
            ? `model "${name}" had ${wanted} looked up; it has versions 1 to ${latest} now (registered meanwhile): look it up again`
            : `model "${name}" has no version ${version}; its versions are 1 to ${latest}`,
        { cause },
      );
    }
    const aliases = Object.entries(model.aliases).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return new TrackingNotFoundError(
      aliases.length === 0
        ? `model "${name}" has no alias "${arg}"; it has none: set one with tracker.setAlias (on the command line: tsad models promote)`
        : `model "${name}" has no alias "${arg}"; its aliases: ${aliases.map(([a, v]) => `${a} (version ${v})`).join(', ')}`,
      { cause },
    );
  }

  async listRegisteredModels(): Promise<RegisteredModel[]> {
    return this.registry.listRegisteredModels();
  }

  async listModelVersions(name: string): Promise<ModelVersion[]> {
    validateModelName(name);
    return this.registry.listModelVersions(name);
  }

  async startRun(opts: RunOptions): Promise<Run> {
    const o = prepareRunOptions(opts);
    this.store.checkRunTags?.(o.tags);
    const exp = await this.store.getOrCreateExperiment(o.experiment);
    return new BaseRun(await this.store.createRun(o, exp));
  }

  async run<T>(opts: RunOptions, fn: (run: Run) => Promise<T> | T): Promise<T> {
    // before the run exists: a run started for a callback that cannot be called would be left FAILED
    if (typeof fn !== 'function')
      throw invalid(
        'invalid_run_options',
        `tracker.run(options, fn) needs a function to run with the run, e.g. async (run) => { await run.logParams({ seed: 0 }); }; got ${fn === null ? 'null' : typeof fn}`,
      );
    const run = await this.startRun(opts);
    return withRun(run, fn);
  }

  async loadModelJson(uri: string): Promise<unknown> {
    const parsed = parseModelUri(uri);
    if (parsed.kind === 'run') return this.readModelJson(uri, parsed.runId, modelJsonPath(parsed.path));
    const mv = await this.getModelVersion(parsed.name, parsed.alias ?? parsed.version);
    try {
      return await this.readModelJson(uri, mv.runId, modelJsonPath(mv.artifactPath));
    } catch (err) {
      if (!(err instanceof TrackingNotFoundError)) throw err;
      // the version's run is gone (deleted after the registration): say which version and what to do,
      // not only "no run with id …"
      const gone = await this.store.getRun(mv.runId).then(
        () => false,
        (e: unknown) => e instanceof TrackingNotFoundError,
      );
      if (!gone) throw err;
      throw new TrackingNotFoundError(
        `${uri} is version ${mv.version} of model "${mv.name}", registered from run ${mv.runId}, which is no longer in the store (deleted): its model went with it. To serve another model, point the alias at another version (tracker.setAlias, or tsad models promote), or register a run that has the model`,
        { cause: err },
      );
    }
  }

  /** The model JSON logged in `runId` at `path` (an MLflow Model directory's tsad flavor, or a JSON file). */
  private async readModelJson(uri: string, runId: string, path: string): Promise<unknown> {
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
        path = `${dir}/${await tsadFlavorData(Buffer.from(mlmodel).toString('utf8'), where)}`;
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
