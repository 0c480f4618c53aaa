import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportRuns, SOURCE_RUN_TAG } from '../../src/tracking/export.js';
import { createMlflowTracker } from '../../src/tracking/mlflow.js';
import { openTracker } from '../../src/tracking/open.js';
import type { Tracker } from '../../src/tracking/tracker.js';
import { type MlflowContractServer, startMlflowContractServer } from './mlflow-contract-server.js';

let server: MlflowContractServer;
let dir: string;
let local: Tracker;
let srcRunId: string;

const model = {
  type: 'zms',
  config: { window: 12, threshold: { alarm: 3.5 } },
  toJSON: () => ({
    format: 'tsad-model',
    version: 1,
    type: 'zms',
    config: { window: 12 },
    state: { mu: [1.5, 2] },
  }),
};
const HISTORY = 1500; // more than one log-batch request can carry
const series = {
  t: Float64Array.from({ length: 50 }, (_, i) => 1_600_000_000_000 + i * 300_000),
  v: new Float64Array(50).fill(1),
};

beforeAll(async () => {
  server = await startMlflowContractServer();
  dir = await mkdtemp(join(tmpdir(), 'tsad-export-'));
  local = openTracker(`file:${dir}`);
  srcRunId = await local.run(
    {
      experiment: 'nab-machine',
      name: 'iforest-w12',
      tags: { owner: 'ops', 'data.split': 'train/test' },
      startTime: 1_700_000_000_000,
    },
    async (run) => {
      await run.logParams({ detector: 'iforest', window: 12, trees: 100 });
      for (let i = 0; i < HISTORY; i++) {
        await run.logBatch({
          metrics: [
            {
              key: 'loss',
              value: i === 7 ? Number.NaN : 1 / (i + 1),
              step: i,
              timestamp: 1_700_000_000_000 + i,
            },
          ],
        });
      }
      await run.logMetric('f1', 0.8125, { step: 0, timestamp: 1_700_000_100_000 });
      await run.logDataset(series, {
        name: 'machine_temperature',
        context: 'training',
        source: 'nab/realKnownCause/x.csv',
      });
      await run.logModel(model);
      return run.id;
    },
  );
  await local.registerModel('machine-detector', srcRunId);
  await local.setAlias('machine-detector', 'champion', 1);
});

afterAll(async () => {
  await local.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('tsad runs export: local store → MLflow server', () => {
  it('transfers the run, its metric history, dataset input, model artifact and registry entries; every request is valid', async () => {
    const mlflow = createMlflowTracker(server.url, { env: {} as NodeJS.ProcessEnv });
    const report = await exportRuns(local, mlflow);
    expect(server.violations).toEqual([]);
    expect(report).toMatchObject({
      experiments: 1,
      runs: 1,
      models: 1,
      modelVersions: 1,
      aliases: 1,
      datasets: 1,
    });
    expect(report.metricPoints).toBe(HISTORY + 1);
    const dst = report.runIds[srcRunId];
    const src = await local.getRun(srcRunId);

    // Only the documented endpoints were used, and only the first lookup of the new experiment 404s.
    const used = new Set(
      server.requests.map((r) =>
        `${r.method} ${r.path.replace(/^\/api\/2\.0\/(mlflow\/)?/, '')}`.replace(
          /(mlflow-artifacts\/artifacts)\/.*/,
          '$1/<path>',
        ),
      ),
    );
    expect([...used].sort()).toEqual(
      [
        'GET experiments/get-by-name',
        'GET registered-models/search',
        'GET runs/get',
        'POST experiments/create',
        'POST model-versions/create',
        'POST registered-models/alias',
        'POST registered-models/create',
        'POST runs/create',
        'POST runs/log-batch',
        'POST runs/log-inputs',
        'POST runs/search',
        'POST runs/update',
        'PUT mlflow-artifacts/artifacts/<path>',
      ].sort(),
    );
    for (const r of server.requests) {
      const firstLookup = r === server.calls('experiments/get-by-name')[0];
      expect(r.status, `${r.method} ${r.path}`).toBe(firstLookup ? 404 : 200);
    }

    // experiments/get-by-name then experiments/create with just the name
    expect(server.calls('experiments/create').map((r) => r.json)).toEqual([{ name: 'nab-machine' }]);

    // runs/create: the source start time, name, tags (strings)
    const create = server.calls('runs/create');
    expect(create).toHaveLength(1);
    const body = create[0].json as {
      experiment_id: string;
      start_time: number;
      run_name: string;
      tags: { key: string; value: unknown }[];
    };
    expect(body.start_time).toBe(1_700_000_000_000);
    expect(body.run_name).toBe('iforest-w12');
    const tags = Object.fromEntries(body.tags.map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({
      owner: 'ops',
      'data.split': 'train/test',
      'mlflow.runName': 'iforest-w12',
    });
    expect(tags['mlflow.user']).toBe(src.data.tags['mlflow.user']);
    expect(tags['mlflow.source.type']).toBe('LOCAL');
    for (const t of body.tags) expect(typeof t.value).toBe('string');

    // runs/log-batch: within limits; params are strings; the whole metric history, in order
    const batches = server.calls('runs/log-batch');
    const sentMetrics: { key: string; value: unknown; step: unknown; timestamp: unknown }[] = [];
    const sentParams: { key: string; value: unknown }[] = [];
    for (const r of batches) {
      const b = r.json as {
        run_id: string;
        metrics?: typeof sentMetrics;
        params?: typeof sentParams;
        tags?: unknown[];
      };
      expect(b.run_id).toBe(dst);
      const n = (b.metrics?.length ?? 0) + (b.params?.length ?? 0) + (b.tags?.length ?? 0);
      expect(b.metrics?.length ?? 0).toBeLessThanOrEqual(1000);
      expect(b.params?.length ?? 0).toBeLessThanOrEqual(100);
      expect(b.tags?.length ?? 0).toBeLessThanOrEqual(100);
      expect(n).toBeLessThanOrEqual(1000);
      sentMetrics.push(...(b.metrics ?? []));
      sentParams.push(...(b.params ?? []));
    }
    expect(batches.length).toBeGreaterThanOrEqual(3); // params; loss needs 2 requests; f1
    expect(sentParams.sort((a, b) => (a.key < b.key ? -1 : 1))).toEqual([
      { key: 'detector', value: 'iforest' },
      { key: 'model.config.threshold.alarm', value: '3.5' },
      { key: 'model.config.window', value: '12' },
      { key: 'model.type', value: 'zms' },
      { key: 'trees', value: '100' },
      { key: 'window', value: '12' },
    ]);
    const loss = sentMetrics.filter((m) => m.key === 'loss');
    expect(loss).toHaveLength(HISTORY);
    loss.forEach((m, i) => {
      expect(m.step).toBe(i);
      expect(m.timestamp).toBe(1_700_000_000_000 + i);
      expect(m.value).toBe(i === 7 ? 'NaN' : 1 / (i + 1));
    });
    expect(sentMetrics.filter((m) => m.key === 'f1')).toEqual([
      { key: 'f1', value: 0.8125, step: 0, timestamp: 1_700_000_100_000 },
    ]);

    // runs/log-inputs: the dataset with its context tag, MLflow-sized digest, tsad profile
    const inputs = server.calls('runs/log-inputs');
    expect(inputs).toHaveLength(1);
    const ds = (inputs[0].json as { datasets: { tags: unknown; dataset: Record<string, string> }[] })
      .datasets[0];
    expect(ds.tags).toEqual([{ key: 'mlflow.data.context', value: 'training' }]);
    expect(ds.dataset.name).toBe('machine_temperature');
    expect(ds.dataset.digest).toBe(src.inputs[0].digest.slice(0, 36));
    expect(JSON.parse(ds.dataset.profile)).toMatchObject({
      num_rows: 50,
      'tsad.sha256': src.inputs[0].digest,
    });

    // the model artifact, byte for byte, under the run's proxied artifact root
    const puts = server
      .calls('mlflow-artifacts/artifacts', 'PUT')
      .filter((p) => p.path.endsWith('/model.json'));
    expect(puts).toHaveLength(1);
    const exp = [...server.experiments.values()].find((e) => e.name === 'nab-machine')!;
    expect(puts[0].path).toBe(
      `/api/2.0/mlflow-artifacts/artifacts/${exp.experiment_id}/${dst}/artifacts/model/model.json`,
    );
    expect(
      Buffer.compare(puts[0].body, Buffer.from(await local.readArtifact(srcRunId, 'model/model.json'))),
    ).toBe(0);

    // the source run id is tagged after every piece of data (a half-done copy has no tag), before the end
    const at = (pred: (r: (typeof server.requests)[number]) => boolean) =>
      server.requests.map((r, i) => (pred(r) ? i : -1)).filter((i) => i >= 0);
    const tagged = at((r) => JSON.stringify(r.json ?? null).includes(srcRunId));
    expect(tagged).toHaveLength(1);
    expect(JSON.stringify(server.requests[tagged[0]].json)).toContain(SOURCE_RUN_TAG);
    const data = at((r) => /runs\/(log-batch|log-inputs)$|mlflow-artifacts\/artifacts/.test(r.path));
    expect(tagged[0]).toBeGreaterThan(Math.max(...data.filter((i) => !tagged.includes(i))));
    expect(tagged[0]).toBeLessThan(at((r) => r.path.endsWith('runs/update'))[0]);

    // runs/update: ended with the source status and end time
    const upd = server.calls('runs/update').map((r) => r.json);
    expect(upd).toContainEqual({ run_id: dst, status: 'FINISHED', end_time: src.info.endTime });

    // registry: model, version pointing at the copied run's artifact, alias
    expect(server.calls('registered-models/create')[0].json).toEqual({ name: 'machine-detector' });
    expect(server.calls('model-versions/create')[0].json).toMatchObject({
      name: 'machine-detector',
      run_id: dst,
      source: `mlflow-artifacts:/${exp.experiment_id}/${dst}/artifacts/model`,
    });
    expect(server.calls('registered-models/alias', 'POST')[0].json).toEqual({
      name: 'machine-detector',
      alias: 'champion',
      version: '1',
    });

    // And it reads back through the MLflow client as the same run.
    const back = await mlflow.getRun(dst);
    expect(back.info).toMatchObject({
      runName: 'iforest-w12',
      status: 'FINISHED',
      startTime: src.info.startTime,
      endTime: src.info.endTime,
    });
    expect(back.data.params).toEqual(src.data.params);
    expect(back.data.metrics).toEqual(src.data.metrics);
    expect(back.inputs).toEqual(src.inputs);
    const hist = await mlflow.getMetricHistory(dst, 'loss');
    expect(hist).toEqual(await local.getMetricHistory(srcRunId, 'loss'));
    expect(await mlflow.loadModelJson('models:/machine-detector@champion')).toEqual(model.toJSON());
  });

  it('a repeated export copies nothing twice', async () => {
    const mlflow = createMlflowTracker(server.url, { env: {} as NodeJS.ProcessEnv });
    server.reset();
    const again = await exportRuns(local, mlflow);
    expect(again).toMatchObject({ runs: 0, skippedRuns: 1, modelVersions: 0 });
    expect(server.calls('runs/create')).toHaveLength(0);
    expect(server.calls('model-versions/create')).toHaveLength(0);
    expect(server.violations).toEqual([]);
  });

  it('a copy that fails half-way is ended FAILED without the source tag, and the next export copies the run again', async () => {
    const to = openTracker('memory:export-interrupted');
    let fail = true;
    const flaky = new Proxy(local, {
      get(target, key, receiver) {
        if (key === 'readArtifact' && fail) {
          return async () => {
            throw new Error('connection reset');
          };
        }
        const v = Reflect.get(target, key, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    await expect(exportRuns(flaky, to, { models: false })).rejects.toThrow(/connection reset/);
    const [broken] = await to.searchRuns({ experiment: 'nab-machine' });
    expect(broken.info.status).toBe('FAILED');
    expect(broken.data.tags[SOURCE_RUN_TAG]).toBeUndefined();
    fail = false;
    const report = await exportRuns(flaky, to, { models: false });
    expect(report).toMatchObject({ runs: 1, skippedRuns: 0 });
    const copies = await to.searchRuns({ experiment: 'nab-machine' });
    expect(copies.map((r) => r.info.status).sort()).toEqual(['FAILED', 'FINISHED']);
    expect(copies.find((r) => r.info.status === 'FINISHED')?.data.tags[SOURCE_RUN_TAG]).toBe(srcRunId);
    await to.close();
  });

  it('exports back from MLflow into a fresh local store', async () => {
    const mlflow = createMlflowTracker(server.url, { env: {} as NodeJS.ProcessEnv });
    const dir2 = await mkdtemp(join(tmpdir(), 'tsad-export-back-'));
    const local2 = openTracker(`file:${dir2}`);
    try {
      const report = await exportRuns(mlflow, local2, { experiments: ['nab-machine'] });
      expect(report.runs).toBe(1);
      const [copy] = await local2.searchRuns({ experiment: 'nab-machine' });
      const src = await local.getRun(srcRunId);
      expect(copy.data.params).toEqual(src.data.params);
      expect(copy.inputs).toEqual(src.inputs);
      expect(await local2.getMetricHistory(copy.info.runId, 'loss')).toEqual(
        await local.getMetricHistory(srcRunId, 'loss'),
      );
      expect(await local2.loadModelJson('models:/machine-detector@champion')).toEqual(model.toJSON());
      expect(server.violations).toEqual([]);
    } finally {
      await local2.close();
      await rm(dir2, { recursive: true, force: true });
    }
  });
});

describe('tsad runs export (command line)', () => {
  it('the tsad binary exports a local store to an MLflow server', async () => {
    const { spawn } = await import('node:child_process');
    const target = await startMlflowContractServer();
    try {
      const root = join(import.meta.dirname, '..', '..');
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          join(root, 'src/cli/main.ts'),
          'runs',
          'export',
          '--from',
          `file:${dir}`,
          '--to',
          target.url,
          '--quiet',
        ],
        { cwd: root, env: { ...process.env, MLFLOW_TRACKING_TOKEN: 'cli-token' } },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => {
        stdout += b.toString();
      });
      child.stderr.on('data', (b: Buffer) => {
        stderr += b.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toMatch(/runs 1 /);
      expect(stdout).toMatch(new RegExp(`metric points ${HISTORY + 1}`));
      expect(target.runs.size).toBe(1);
      expect(target.models.get('machine-detector')?.aliases.get('champion')).toBe('1');
      expect(target.requests.every((r) => r.headers.authorization === 'Bearer cli-token')).toBe(true);
      expect(target.violations).toEqual([]);
    } finally {
      await target.close();
    }
  });

  it('parses --from/--to/--experiment and prints the report', async () => {
    const { Command } = await import('commander');
    const { registerRuns } = await import('../../src/cli/runs.js');
    const target = await startMlflowContractServer();
    try {
      const program = new Command().exitOverride();
      const chunks: string[] = [];
      registerRuns(program, { out: (text) => void chunks.push(text) });
      await program.parseAsync(
        [
          'runs',
          'export',
          '--from',
          `file:${dir}`,
          '--to',
          target.url,
          '--experiment',
          'nab-machine',
          '--json',
        ],
        { from: 'user' },
      );
      const report = JSON.parse(chunks.join('')) as {
        runs: number;
        metricPoints: number;
        modelVersions: number;
      };
      expect(report).toMatchObject({ runs: 1, metricPoints: HISTORY + 1, modelVersions: 1 });
      expect(target.runs.size).toBe(1);
      expect(target.violations).toEqual([]);
    } finally {
      await target.close();
    }
  });
});
