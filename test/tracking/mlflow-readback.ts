/**
 * Writes one run of every kind of data through the tsad MLflow client, then reads the store back
 * through MLflow's own Python client (read_store.py and mlflow.models.get_model_info) and checks
 * everything arrived as MLflow users see it.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import type { Tracker } from '../../src/tracking/index.js';
import { FakeModel } from '../conformance/tracker-suite.js';
import { type MlflowServer, mlflowDir } from '../helpers/mlflow-server.js';

const run = promisify(execFile);

interface DumpRun {
  info: { run_id: string; run_name: string; user_id: string; status: string };
  params: Record<string, string>;
  tags: Record<string, string>;
  latest_metrics: Record<string, { value: number | string; step: number }>;
  metric_history: Record<string, { value: number | string; step: number; timestamp: number }[]>;
  dataset_inputs: { name: string; digest: string; profile: string; tags: Record<string, string> }[];
  model_outputs: { model_id: string; step: number }[];
  artifacts: { path: string; is_dir: boolean; file_size: number | null }[];
}
interface Dump {
  experiments: { name: string; runs: DumpRun[] }[];
  registered_models: {
    name: string;
    aliases: Record<string, string>;
    versions: {
      version: string;
      run_id: string;
      aliases: string[];
      source: string;
      tags: Record<string, string>;
    }[];
  }[];
  errors: string[];
}

/** Runs a Python snippet with MLflow importable, against `server`. */
export async function mlflowPython(server: MlflowServer, code: string, args: string[]): Promise<string> {
  const scripts = mlflowDir();
  const { stdout: pp } = await run(join(scripts, 'serve.sh'), ['pythonpath', join(server.dir, 'reader')]);
  const { stdout } = await run('/usr/bin/python3', ['-c', code, server.url, ...args], {
    env: { ...process.env, PYTHONPATH: pp.trim(), MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true' },
    timeout: 120_000,
  });
  return stdout;
}

export async function writeAndReadBack(tr: Tracker, server: MlflowServer): Promise<void> {
  const experiment = `readback-${randomBytes(3).toString('hex')}`;
  const model = `rb-${randomBytes(3).toString('hex')}`;
  const t = Float64Array.from([1_600_000_000_000, 1_600_000_060_000]);
  const v = Float64Array.from([1.5, -2]);
  let digest = '';
  const id = await tr.run({ experiment, name: 'readback', tags: { team: 'a' } }, async (r) => {
    await r.logParams({ window: 10, nested: { k: 'v' } });
    await r.logMetric('loss', 0.9, { step: 0, timestamp: 1000 });
    await r.logMetric('loss', 0.5, { step: 1, timestamp: 2000 });
    await r.logMetric('odd', Number.NaN, { step: 0, timestamp: 1 });
    await r.logMetric('odd', Number.POSITIVE_INFINITY, { step: 1, timestamp: 2 });
    await r.setTag('stage', 'prod');
    digest = (
      await r.logDataset({ t, v }, { name: 'machine_temp', context: 'training', source: 'nab/x.csv' })
    ).digest;
    await r.logArtifact({ name: 'report.md', bytes: '# hi' }, { dir: 'reports' });
    await r.logModel(new FakeModel('zms', { window: 10 }));
    return r.id;
  });
  await tr.registerModel(model, id);
  await tr.setAlias(model, 'champion', 1);

  const dump = (await server.readStore({ stable: false })) as Dump;
  expect(dump.errors).toEqual([]);
  const got = dump.experiments.find((e) => e.name === experiment)?.runs ?? [];
  expect(got.length).toBe(1);
  const d = got[0];
  expect(d.info.run_id).toBe(id);
  expect(d.info.run_name).toBe('readback');
  expect(d.info.status).toBe('FINISHED');
  expect(d.info.user_id).not.toBe('');
  expect(d.info.user_id).toBe(d.tags['mlflow.user']);
  expect(d.params).toMatchObject({
    window: '10',
    'nested.k': 'v',
    'model.type': 'zms',
    'model.config.window': '10',
  });
  expect(d.tags).toMatchObject({ team: 'a', stage: 'prod', 'mlflow.runName': 'readback' });
  expect(d.metric_history.loss.map((p) => [p.step, p.value])).toEqual([
    [0, 0.9],
    [1, 0.5],
  ]);
  // MLflow's SQL store keeps +Infinity as +Number.MAX_VALUE, its file store as Infinity (docs/tracking.md)
  expect(d.metric_history.odd.map((p) => p.value)).toEqual([
    'NaN',
    server.backend === 'sqlite' ? Number.MAX_VALUE : 'Infinity',
  ]);
  expect(d.dataset_inputs.length).toBe(1);
  expect(d.dataset_inputs[0].name).toBe('machine_temp');
  expect(d.dataset_inputs[0].tags['mlflow.data.context']).toBe('training');
  expect(JSON.parse(d.dataset_inputs[0].profile)).toMatchObject({ num_rows: 2, 'tsad.sha256': digest });
  const files = d.artifacts.filter((a) => !a.is_dir).map((a) => a.path);
  expect(files).toEqual(expect.arrayContaining(['reports/report.md', 'model/MLmodel', 'model/model.json']));
  // an MLflow 3 logged model, linked to the run as its output and in the log-model history
  expect(d.model_outputs.length).toBe(1);
  const modelId = d.model_outputs[0].model_id;
  const hist = JSON.parse(d.tags['mlflow.log-model.history']) as {
    model_uuid: string;
    artifact_path: string;
    flavors: { tsad: { model_format: string } };
  }[];
  expect(hist.map((h) => [h.model_uuid, h.artifact_path, h.flavors.tsad.model_format])).toEqual([
    [modelId, 'model', 'tsad-model'],
  ]);
  const reg = dump.registered_models.find((m) => m.name === model);
  expect(reg?.aliases).toEqual({ champion: '1' });
  // the version points at the logged model (MLflow 3.6's registry stores no separate model_id
  // column: its ModelVersion.model_id stays None for any client; the source carries the link)
  expect(reg?.versions.map((x) => [x.version, x.run_id, x.aliases, x.source])).toEqual([
    ['1', id, ['champion'], `models:/${modelId}`],
  ]);

  // MLflow's own model API sees a model with a tsad flavor, by run and by logged model id
  const info = JSON.parse(
    await mlflowPython(
      server,
      [
        'import json, sys, warnings; warnings.filterwarnings("ignore")',
        'import mlflow',
        'mlflow.set_tracking_uri(sys.argv[1])',
        'a = mlflow.models.get_model_info(sys.argv[2])',
        'm = mlflow.MlflowClient().get_logged_model(sys.argv[3])',
        'print(json.dumps({"flavors": a.flavors, "run_id": a.run_id, "model_id": m.model_id, "status": str(m.status), "source_run_id": m.source_run_id, "name": m.name, "versions": m.tags.get("mlflow.modelVersions")}))',
      ].join('\n'),
      [`models:/${modelId}`, modelId],
    ),
  ) as Record<string, unknown>;
  expect(info).toMatchObject({
    flavors: {
      tsad: { data: 'model.json', model_format: 'tsad-model', format_version: 1, model_type: 'zms' },
    },
    run_id: id,
    model_id: modelId,
    source_run_id: id,
    name: 'model',
  });
  expect(String(info.status)).toMatch(/READY/);
  expect(JSON.parse(String(info.versions))).toEqual([{ name: model, version: 1 }]);
  // and tsad loads what the registry points at
  expect(((await tr.loadModelJson(`models:/${model}@champion`)) as { config: unknown }).config).toEqual({
    window: 10,
  });
}
