/**
 * An active run on an MLflow server: the `RunStore` primitives as REST calls (log-batch with
 * resends that never double a point, log-inputs, artifacts, logged models, the end).
 */
import {
  MLMODEL_FILE,
  type MlmodelInfo,
  MODEL_DATA_FILE,
  mlmodelDoc,
  mlmodelYaml,
  normalizeMetricValue,
  type ValidBatch,
} from './common.js';
import { LOGGED_MODEL_READY, type MlflowStore } from './mlflow.js';
import { type Json, MlflowApiError } from './mlflow-http.js';
import { parseWire, wireLoggedModelSchema } from './mlflow-schemas.js';
import {
  artifactStoragePath,
  checkMlflowKey,
  chunkLogBatch,
  datasetToWire,
  decodeMetricValue,
  MLFLOW_INPUT_LIMITS,
  type WireMetric,
} from './mlflow-wire.js';
import type { RunIdentity, RunStore } from './store.js';
import { type DatasetInput, ParamConflictError, type RunStatus } from './tracker.js';

const PARAM_CHANGE = /Changing param values is not allowed/i;

// ---------------------------------------------------------------------------------------------
// Run
// ---------------------------------------------------------------------------------------------

export class MlflowRun implements RunStore {
  private readonly id: string;

  constructor(
    private readonly tracker: MlflowStore,
    readonly info: RunIdentity,
    private readonly artifactRoot: string,
  ) {
    this.id = info.runId;
  }

  async writeBatch(batch: ValidBatch): Promise<void> {
    await sendBatch(this.tracker, this.id, batch);
  }

  async writeInputs(inputs: readonly DatasetInput[]): Promise<void> {
    await sendInputs(this.tracker, this.id, inputs);
  }

  async writeArtifact(path: string, bytes: Uint8Array): Promise<void> {
    // the artifact proxy stores files for any run id: a deleted run is checked here first
    await this.tracker.assertRunActive(this.id, `write artifact "${path}"`);
    await this.tracker.http.putArtifact(`${artifactStoragePath(this.artifactRoot)}/${path}`, bytes);
  }

  /**
   * An MLflow 3 logged model linked to the run, as MLflow's own `log_model` makes one: create it,
   * upload the model directory to its artifact location, mark it READY, record it as an output of
   * the run and in the run's `mlflow.log-model.history` tag. The same directory also goes under
   * the run's artifacts (`runs:/<run>/<name>`), where tsad and MLflow 2 clients read it.
   */
  async writeModel(name: string, modelJson: Uint8Array, info: MlmodelInfo): Promise<void> {
    const http = this.tracker.http;
    await this.tracker.assertRunActive(this.id, `log model "${name}"`);
    const created = await http.call('POST', 'logged-models', {
      experiment_id: this.info.experimentId,
      name,
      source_run_id: this.id,
      model_type: `tsad:${info.modelType}`,
      tags: [{ key: 'tsad.model_format', value: `${info.format}@${info.formatVersion}` }],
    });
    const mi = parseWire<{ info: { model_id: string; artifact_uri: string } }>(
      wireLoggedModelSchema,
      created.model,
      'logged-models/create',
    ).info;
    const modelId = mi.model_id;
    const doc = mlmodelDoc({ ...info, modelId });
    const text = mlmodelYaml(doc);
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
      model_json: JSON.stringify(doc),
    });
  }

  async writeEnd(status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void> {
    await this.tracker.endRun(this.id, status, endTime);
  }
}

/** log-batch in chunks; a rejected param change becomes ParamConflictError. */
export async function sendBatch(store: MlflowStore, runId: string, batch: ValidBatch): Promise<void> {
  for (const p of batch.params) checkMlflowKey('param', p.key);
  for (const t of batch.tags) checkMlflowKey('tag', t.key);
  for (const m of batch.metrics) checkMlflowKey('metric', m.key);
  for (const chunk of chunkLogBatch(batch)) {
    const body: Json = { run_id: runId };
    if (chunk.metrics.length > 0) body.metrics = chunk.metrics;
    if (chunk.params.length > 0) body.params = chunk.params;
    if (chunk.tags.length > 0) body.tags = chunk.tags;
    try {
      await store.http.call('POST', 'runs/log-batch', body, {
        idempotent: true,
        // params (same value) and tags (overwrite) may be re-sent; metric points the first
        // attempt stored are left out, so a batch whose answer was lost is never doubled
        beforeResend:
          chunk.metrics.length === 0
            ? undefined
            : async () => {
                const left = await undelivered(store, runId, chunk.metrics);
                if (left.length === 0 && chunk.params.length === 0 && chunk.tags.length === 0) return null;
                const next: Json = { ...body };
                if (left.length > 0) next.metrics = left;
                else delete next.metrics;
                return next;
              },
      });
    } catch (err) {
      const deleted = store.deletedRunError(err, runId, 'log a batch');
      if (deleted !== err) throw deleted;
      if (
        err instanceof MlflowApiError &&
        err.errorCode === 'INVALID_PARAMETER_VALUE' &&
        PARAM_CHANGE.test(err.message)
      ) {
        const rec = await store.getRun(runId);
        for (const p of chunk.params) {
          const old = rec.data.params[p.key];
          if (old !== undefined && old !== p.value) throw new ParamConflictError(runId, p.key, old, p.value);
        }
      }
      throw err;
    }
  }
}

/** The points of `sent` that the run's metric histories do not hold (each stored point counts once). */
async function undelivered(
  store: MlflowStore,
  runId: string,
  sent: readonly WireMetric[],
): Promise<WireMetric[]> {
  const have = new Map<string, number>();
  const id = (key: string, step: number, ts: number, v: number) =>
    `${key}\u0000${step}\u0000${ts}\u0000${Number.isNaN(v) ? 'NaN' : normalizeMetricValue(v)}`;
  for (const key of new Set(sent.map((m) => m.key))) {
    // no runs/get per key: a run deleted meanwhile shows in the resend's answer (`deletedRunError`)
    for (const p of await store.metricHistory(runId, key)) {
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

/** log-inputs, in requests of at most `datasetsPerRequest` datasets. */
async function sendInputs(store: MlflowStore, runId: string, inputs: readonly DatasetInput[]): Promise<void> {
  const wire = inputs.map(datasetToWire);
  for (let i = 0; i < wire.length; i += MLFLOW_INPUT_LIMITS.datasetsPerRequest) {
    await store.http
      .call(
        'POST',
        'runs/log-inputs',
        { run_id: runId, datasets: wire.slice(i, i + MLFLOW_INPUT_LIMITS.datasetsPerRequest) },
        { idempotent: true }, // MLflow keeps one input per (dataset name, digest)
      )
      .catch((err: unknown) => {
        throw store.deletedRunError(err, runId, 'log dataset inputs');
      });
  }
}
