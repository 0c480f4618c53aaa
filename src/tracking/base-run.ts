/**
 * `BaseRun`: every `Run` method (validation, param immutability, status, `logModel`,
 * `logArtifact`, `end`) implemented once over a store's `RunStore` (four write primitives).
 */
import { basename } from 'node:path';
import type { TimeSeries } from '../series/types.js';
import { MLMODEL_FILE, type MlmodelInfo, MODEL_DATA_FILE, mlmodelText } from './models.js';
import {
  datasetInput,
  flattenParams,
  isPlainObject,
  newParams,
  paramToString,
  validateDatasetInput,
} from './params.js';
import type { RunStore, ValidBatch } from './store.js';
import {
  type ArtifactSource,
  type DatasetInput,
  type LogBatch,
  type LoggableModel,
  type MetricOptions,
  type ParamValue,
  type Run,
  RunNotActiveError,
  type RunStatus,
  TrackingNotFoundError,
} from './tracker.js';
import {
  codePointLength,
  describeValue,
  invalid,
  LIMITS,
  normalizeMetricValue,
  sliceCodePoints,
  validateArtifactPath,
  validateEnd,
  validateKey,
  validateMetric,
  validateParamValue,
  validateTagValue,
} from './validate.js';

function toBytes(b: Uint8Array | string): Uint8Array {
  return typeof b === 'string' ? new TextEncoder().encode(b) : b;
}

/**
 * Implements every `Run` method over a `RunStore`. Stores enforce param immutability again at
 * storage level (other processes may write the same run).
 */
export class BaseRun implements Run {
  protected _status: RunStatus = 'RUNNING';
  /**
   * The status an `end()` in progress is writing. Claimed when `end()` is called, before its first
   * await, so that a second end at the same time (an interrupt handler's KILLED beside the command's
   * own FINISHED) is refused instead of overwriting the first in the store; released if the write fails.
   */
  private ending: Exclude<RunStatus, 'RUNNING'> | undefined;
  /** Params this Run object has written (fast local immutability check). */
  protected readonly knownParams = new Map<string, string>();
  readonly id: string;
  readonly experimentId: string;
  readonly experiment: string;
  readonly name: string;
  readonly startTime: number;

  constructor(private readonly store: RunStore) {
    ({
      runId: this.id,
      experimentId: this.experimentId,
      experiment: this.experiment,
      runName: this.name,
      startTime: this.startTime,
    } = store.info);
  }

  /** RUNNING until `end()` is called; from then the status it is writing (RUNNING again if that fails). */
  get status(): RunStatus {
    return this.ending ?? this._status;
  }

  async flush(): Promise<void> {}

  /**
   * Writes an MLflow Model directory `<name>/` (model.json, then MLmodel, so a directory with
   * an MLmodel is complete), or lets the store write it (MLflow 3 also registers a logged model).
   */
  private async writeModel(name: string, modelJson: Uint8Array, info: MlmodelInfo): Promise<void> {
    if (this.store.writeModel) return this.store.writeModel(name, modelJson, info);
    await this.store.writeArtifact(`${name}/${MODEL_DATA_FILE}`, modelJson);
    await this.store.writeArtifact(`${name}/${MLMODEL_FILE}`, new TextEncoder().encode(mlmodelText(info)));
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
    await this.store.writeBatch({ params: fresh, metrics: metrics as ValidBatch['metrics'], tags });
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
    await this.store.writeInputs([input]);
    return input;
  }

  async logInputs(inputs: readonly DatasetInput[]): Promise<void> {
    this.assertActive();
    for (const d of inputs) validateDatasetInput(d);
    if (inputs.length > 0) await this.store.writeInputs(inputs);
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
      // a version that is not a finite number (null in model.json) counts as none
      formatVersion:
        Number.isFinite(j.version) || typeof j.version === 'string' ? (j.version as number | string) : 1,
    });
    const config = JSON.parse(JSON.stringify(model.config ?? {})) as Record<string, unknown>;
    // as MLflow's autologging does, over-long config values are truncated (the model file has them whole)
    const marker = '...[truncated]';
    const params = flattenParams(config, `${name}.config`).map((p) =>
      codePointLength(p.value) > LIMITS.paramValueLength
        ? { key: p.key, value: sliceCodePoints(p.value, LIMITS.paramValueLength - marker.length) + marker }
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
    await this.store.writeArtifact(path, bytes);
    return path;
  }

  async end(
    status: Exclude<RunStatus, 'RUNNING'> = 'FINISHED',
    opts: { endTime?: number } = {},
  ): Promise<void> {
    this.assertActive();
    const { endTime } = validateEnd(status, opts.endTime);
    if (this.ending !== undefined) throw new RunNotActiveError(this.id, this.ending);
    this.ending = status;
    try {
      await this.flush();
      await this.store.writeEnd(status, endTime);
      this._status = status;
    } finally {
      this.ending = undefined;
    }
  }
}
