/** An active run on an MLflow server: the `RunStore` primitives as REST calls. */
import { parse as parseYaml } from 'yaml';
import { MLMODEL_FILE, type MlmodelInfo, MODEL_DATA_FILE, mlmodelText, type ValidBatch } from './common.js';
import { LOGGED_MODEL_READY, type MlflowStore } from './mlflow.js';
import { parseWire, wireLoggedModelSchema } from './mlflow-schemas.js';
import { artifactStoragePath } from './mlflow-wire.js';
import type { RunStore } from './store.js';
import type { DatasetInput, RunStatus } from './tracker.js';

// ---------------------------------------------------------------------------------------------
// Run
// ---------------------------------------------------------------------------------------------

export class MlflowRun implements RunStore {
  constructor(
    private readonly tracker: MlflowStore,
    readonly id: string,
    readonly experimentId: string,
    readonly experiment: string,
    readonly name: string,
    readonly startTime: number,
    private readonly artifactRoot: string,
  ) {}

  async writeBatch(batch: ValidBatch): Promise<void> {
    await this.tracker.sendBatch(this.id, batch);
  }

  async writeInputs(inputs: readonly DatasetInput[]): Promise<void> {
    await this.tracker.sendInputs(this.id, inputs);
  }

  async writeArtifact(path: string, bytes: Uint8Array): Promise<void> {
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
    const created = await http.call('POST', 'logged-models', {
      experiment_id: this.experimentId,
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
    const text = mlmodelText({ ...info, modelId });
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
      model_json: JSON.stringify(parseYaml(text)),
    });
  }

  async writeEnd(status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void> {
    await this.tracker.endRun(this.id, status, endTime);
  }
}
