// `tsad runs export` against the real MLflow server (test/helpers/mlflow-server.ts): one server for
// the whole file, every test on its own experiments; what was written is read back through
// MLflow's own Python client (read_store.py).
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tracker } from '../../src/tracking/index.js';
import {
  COPYING_TAG,
  createMlflowTracker,
  exportRuns,
  openTracker,
  SOURCE_RUN_TAG,
} from '../../src/tracking/index.js';
import { type MlflowServer, startMlflow } from '../helpers/mlflow-server.js';

let server: MlflowServer;
const dirs: string[] = [];

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

interface Source {
  dir: string;
  tracker: Tracker;
  runId: string;
  /** A run whose artifacts include `notes#1.txt` (a name MLflow refuses), or undefined. */
  legacyRunId?: string;
}

/**
 * A local store with one run (params, a 1500-point history with a NaN, a dataset, a model),
 * the model registered with an alias; with `legacy`, a second experiment whose run holds a file
 * named `notes#1.txt`, as tsad wrote before it refused such names (planted on disk).
 */
async function makeSource(exp: string, modelName: string, legacy?: string): Promise<Source> {
  const dir = await mkdtemp(join(tmpdir(), 'tsad-export-'));
  dirs.push(dir);
  const tracker = openTracker(`file:${dir}`);
  const runId = await tracker.run(
    {
      experiment: exp,
      name: 'iforest-w12',
      tags: { owner: 'ops', 'data.split': 'train/test' },
      startTime: 1_700_000_000_000,
    },
    async (run) => {
      await run.logParams({ detector: 'iforest', window: 12, trees: 100 });
      const metrics = Array.from({ length: HISTORY }, (_, i) => ({
        key: 'loss',
        value: i === 7 ? Number.NaN : 1 / (i + 1),
        step: i,
        timestamp: 1_700_000_000_000 + i,
      }));
      await run.logBatch({ metrics });
      await run.logMetric('f1', 0.8125, { step: 0, timestamp: 1_700_000_100_000 });
      await run.logDataset(series, { name: 'machine_temperature', context: 'training', source: 'nab/x.csv' });
      await run.logModel(model);
      return run.id;
    },
  );
  await tracker.registerModel(modelName, runId);
  await tracker.setAlias(modelName, 'champion', 1);
  if (!legacy) return { dir, tracker, runId };
  const legacyRun = await tracker.run({ experiment: legacy, name: 'old-run' }, async (run) => {
    await run.logParams({ a: 1 });
    await run.logMetric('m', 0.5);
    await run.logArtifact({ name: 'ok.txt', bytes: 'fine' });
    return run.id;
  });
  const exp2 = (await tracker.getExperiment(legacy))!.experimentId;
  const art = join(dir, 'experiments', exp2, 'runs', legacyRun, 'artifacts');
  await mkdir(join(art, 'sub'), { recursive: true });
  await writeFile(join(art, 'notes#1.txt'), 'hash in the name');
  await writeFile(join(art, 'sub', 'x#y.csv'), 'a,b');
  return { dir, tracker, runId, legacyRunId: legacyRun };
}

const mlflow = () => createMlflowTracker(server.url, { env: {} as NodeJS.ProcessEnv });

interface Dump {
  experiments: {
    name: string;
    runs: {
      info: { run_id: string; status: string; lifecycle_stage: string; run_name: string };
      params: Record<string, string>;
      tags: Record<string, string>;
      metric_history: Record<string, { value: number | string; step: number }[]>;
      dataset_inputs: { name: string; tags: Record<string, string> }[];
      artifacts: { path: string; is_dir: boolean }[];
    }[];
  }[];
  registered_models: {
    name: string;
    aliases: Record<string, string>;
    versions: { version: string; run_id: string }[];
  }[];
}
const dump = async () => (await server.readStore({ stable: false })) as Dump;
const runsOf = (d: Dump, exp: string) => d.experiments.find((e) => e.name === exp)?.runs ?? [];

beforeAll(async () => {
  server = await startMlflow({ backend: 'sqlite' });
}, 180_000);

afterAll(async () => {
  await server?.close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('tsad runs export: local store → the real MLflow server', () => {
  let src: Source;
  beforeAll(async () => {
    src = await makeSource('nab-machine', 'machine-detector', 'legacy');
  });
  afterAll(async () => {
    await src?.tracker.close();
  });

  it('copies the run whole (read back by MLflow), reports the refused files by run and name, still copies the models', async () => {
    // MLflow itself refuses the planted name: a raw artifact upload answers 400.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${server.url}/api/2.0/mlflow-artifacts/artifacts/0/x/artifacts/notes%231.txt`,
        { method: 'PUT' },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end('x');
    });
    expect(status).toBe(400);

    const to = mlflow();
    const report = await exportRuns(src.tracker, to);
    await to.close();
    expect(report).toMatchObject({
      experiments: 2,
      runs: 1,
      skippedRuns: 0,
      models: 1,
      modelVersions: 1,
      aliases: 1,
    });
    expect(report.stoppedBy).toBeUndefined();
    expect(report.metricPoints).toBe(HISTORY + 1);
    expect(report.failedModels).toEqual([]);
    expect(report.failedRuns).toHaveLength(1);
    const f = report.failedRuns[0];
    expect(f).toMatchObject({ experiment: 'legacy', runName: 'old-run', sourceRunId: src.legacyRunId });
    expect(f.artifacts.map((a) => a.path)).toEqual(['notes#1.txt', 'sub/x#y.csv']);
    for (const a of f.artifacts) expect(a.reason).toMatch(/#/);

    const d = await dump();
    // the legacy run left nothing active behind (its half-copy is in MLflow's trash)
    const legacy = runsOf(d, 'legacy');
    expect(legacy.filter((r) => r.info.lifecycle_stage === 'active')).toEqual([]);
    for (const r of legacy) expect(r.tags[COPYING_TAG]).toBe(src.legacyRunId);

    const [copy] = runsOf(d, 'nab-machine');
    expect(runsOf(d, 'nab-machine')).toHaveLength(1);
    expect(copy.info).toMatchObject({
      run_id: report.runIds[src.runId],
      status: 'FINISHED',
      run_name: 'iforest-w12',
      lifecycle_stage: 'active',
    });
    const rec = await src.tracker.getRun(src.runId);
    expect(copy.params).toEqual(rec.data.params);
    expect(copy.tags).toMatchObject({
      owner: 'ops',
      'data.split': 'train/test',
      [SOURCE_RUN_TAG]: src.runId,
      [COPYING_TAG]: src.runId,
    });
    const loss = copy.metric_history.loss;
    expect(loss).toHaveLength(HISTORY);
    loss.forEach((m, i) => {
      expect(m.step).toBe(i);
      if (i === 7) expect(Number.isNaN(Number(m.value))).toBe(true);
      else expect(m.value).toBe(1 / (i + 1));
    });
    expect(copy.metric_history.f1).toEqual([
      { key: 'f1', value: 0.8125, step: 0, timestamp: 1_700_000_100_000 },
    ]);
    expect(copy.dataset_inputs).toMatchObject([
      { name: 'machine_temperature', tags: { 'mlflow.data.context': 'training' } },
    ]);
    expect(copy.artifacts.filter((a) => !a.is_dir).map((a) => a.path)).toEqual([
      'model/MLmodel',
      'model/model.json',
    ]);
    const [reg] = d.registered_models.filter((m) => m.name === 'machine-detector');
    expect(reg.aliases).toEqual({ champion: '1' });
    expect(reg.versions.map((v) => [v.version, v.run_id])).toEqual([['1', copy.info.run_id]]);

    // and through tsad's own MLflow client: same run, same history, the model loads
    const back = mlflow();
    expect((await back.getRun(copy.info.run_id)).inputs).toEqual(rec.inputs);
    expect(await back.getMetricHistory(copy.info.run_id, 'loss')).toEqual(
      await src.tracker.getMetricHistory(src.runId, 'loss'),
    );
    expect(await back.loadModelJson('models:/machine-detector@champion')).toEqual(model.toJSON());
    await back.close();
  }, 120_000);

  it('a repeated export copies nothing twice and reports the refused run again', async () => {
    const to = mlflow();
    const again = await exportRuns(src.tracker, to);
    await to.close();
    expect(again).toMatchObject({ runs: 0, skippedRuns: 1, modelVersions: 0, removedPartialCopies: 0 });
    expect(again.failedRuns.map((f) => f.sourceRunId)).toEqual([src.legacyRunId]);
    const d = await dump();
    expect(runsOf(d, 'nab-machine')).toHaveLength(1);
    expect(d.registered_models.find((m) => m.name === 'machine-detector')?.versions).toHaveLength(1);
    expect(runsOf(d, 'legacy').filter((r) => r.info.lifecycle_stage === 'active')).toEqual([]);
  }, 120_000);

  it('exports back from MLflow into a fresh local store', async () => {
    const dir2 = await mkdtemp(join(tmpdir(), 'tsad-export-back-'));
    dirs.push(dir2);
    const local2 = openTracker(`file:${dir2}`);
    const from = mlflow();
    try {
      const report = await exportRuns(from, local2, { experiments: ['nab-machine'] });
      expect(report).toMatchObject({ runs: 1, failedRuns: [] });
      const [copy] = await local2.searchRuns({ experiment: 'nab-machine' });
      const rec = await src.tracker.getRun(src.runId);
      expect(copy.data.params).toEqual(rec.data.params);
      expect(copy.inputs).toEqual(rec.inputs);
      expect(await local2.getMetricHistory(copy.info.runId, 'loss')).toEqual(
        await src.tracker.getMetricHistory(src.runId, 'loss'),
      );
      expect(await local2.loadModelJson('models:/machine-detector@champion')).toEqual(model.toJSON());
    } finally {
      await local2.close();
      await from.close();
    }
  }, 120_000);
});

describe('tsad runs export: interrupted and resumed (real MLflow server)', () => {
  it('a copy that fails half-way is deleted; the export stops, and re-running it copies the run once', async () => {
    const src = await makeSource('interrupted', 'interrupted-model');
    let fail = true;
    const flaky = new Proxy(src.tracker, {
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
    const to = mlflow();
    const first = await exportRuns(flaky, to);
    expect(first.stoppedBy).toMatch(/run interrupted\/iforest-w12 [0-9a-f]{32}: connection reset/);
    expect(first.runs).toBe(0);
    expect(await to.searchRuns({ experiment: 'interrupted' })).toEqual([]); // nothing half-copied
    fail = false;
    const second = await exportRuns(flaky, to);
    expect(second).toMatchObject({ runs: 1, skippedRuns: 0, modelVersions: 1, failedRuns: [] });
    expect(second.stoppedBy).toBeUndefined();
    const active = runsOf(await dump(), 'interrupted').filter((r) => r.info.lifecycle_stage === 'active');
    expect(active).toHaveLength(1);
    expect(active[0].metric_history.loss).toHaveLength(HISTORY);
    await to.close();
    await src.tracker.close();
  }, 120_000);

  it('a half-copy left by a killed export is removed by the next one, which copies the run whole', async () => {
    const src = await makeSource('killed', 'killed-model');
    const to = mlflow();
    // what a SIGKILLed export leaves: a destination run with the copying tag, part of the data, RUNNING
    const half = await to.startRun({
      experiment: 'killed',
      name: 'iforest-w12',
      tags: { [COPYING_TAG]: src.runId },
    });
    await half.logBatch({
      params: [{ key: 'detector', value: 'iforest' }],
      metrics: [{ key: 'loss', value: 1, step: 0, timestamp: 1_700_000_000_000 }],
    });
    const report = await exportRuns(src.tracker, to);
    expect(report).toMatchObject({ runs: 1, removedPartialCopies: 1, failedRuns: [] });
    const runs = runsOf(await dump(), 'killed');
    expect(runs.find((r) => r.info.run_id === half.id)?.info.lifecycle_stage).toBe('deleted');
    const active = runs.filter((r) => r.info.lifecycle_stage === 'active');
    expect(active).toHaveLength(1);
    expect(active[0].tags[SOURCE_RUN_TAG]).toBe(src.runId);
    expect(active[0].metric_history.loss).toHaveLength(HISTORY);
    await to.close();
    await src.tracker.close();
  }, 120_000);
});

describe('tsad runs export (command line, real MLflow server)', () => {
  const root = join(import.meta.dirname, '..', '..');
  const tsad = async (args: string[]) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
      cwd: root,
      env: { ...process.env, MLFLOW_TRACKING_URI: '', TSAD_TRACKING_URI: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, stdout, stderr };
  };

  it('the tsad binary exports; a refused file is named with its run and the exit code is 5', async () => {
    const src = await makeSource('cli-exp', 'cli-model', 'cli-legacy');
    await src.tracker.close();
    const ok = await tsad([
      'runs',
      'export',
      '--from',
      `file:${src.dir}`,
      '--to',
      server.url,
      '--experiment',
      'cli-exp',
      '--quiet',
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/runs 1 /);
    expect(ok.stdout).toMatch(new RegExp(`metric points ${HISTORY + 1}`));
    const bad = await tsad(['runs', 'export', '--from', `file:${src.dir}`, '--to', server.url, '--quiet']);
    expect(bad.code).toBe(5);
    expect(bad.stdout).toMatch(/runs 0 \(already there: 1\)/);
    expect(bad.stdout).toContain(`NOT COPIED: run cli-legacy/old-run ${src.legacyRunId}`);
    expect(bad.stdout).toMatch(/artifact "notes#1\.txt": .*#/);
    expect(bad.stdout).toMatch(/artifact "sub\/x#y\.csv"/);
    expect(bad.stderr).toMatch(/export_incomplete|1 run\(s\) and 0 model\(s\) were not copied/);
    const d = await dump();
    expect(runsOf(d, 'cli-exp')).toHaveLength(1);
    expect(d.registered_models.find((m) => m.name === 'cli-model')?.aliases).toEqual({ champion: '1' });
  }, 180_000);

  it('parses --from/--to/--experiment and prints the JSON report', async () => {
    const src = await makeSource('cli-json', 'cli-json-model');
    await src.tracker.close();
    const { Command } = await import('commander');
    const { registerRuns } = await import('../../src/internal.js');
    const program = new Command().exitOverride();
    const chunks: string[] = [];
    registerRuns(program, { out: (text) => void chunks.push(text) });
    await program.parseAsync(
      [
        'runs',
        'export',
        '--from',
        `file:${src.dir}`,
        '--to',
        server.url,
        '--experiment',
        'cli-json',
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
    expect(runsOf(await dump(), 'cli-json')).toHaveLength(1);
  }, 120_000);
});

describe('tsad runs export: model version tags (audit43, real MLflow server)', () => {
  it('copies each version’s tags (read back by MLflow’s client), its promotion record renumbered with the versions, so rollback works at the destination', async () => {
    const { promote, rollback } = await import('../../src/lifecycle/index.js');
    const dir = await mkdtemp(join(tmpdir(), 'tsad-export-vtags-'));
    dirs.push(dir);
    const local = openTracker(`file:${dir}`);
    const to = mlflow();
    try {
      const train = () =>
        local.run({ experiment: 'vtags' }, async (run) => {
          await run.logModel(model);
          return run.id;
        });
      for (let i = 0; i < 3; i++) await local.registerModel('vtags-model', await train());
      await local.setModelVersionTag('vtags-model', 1, 'owner', 'ops');
      for (const v of [1, 2, 3])
        await promote({ tracker: local, name: 'vtags-model', challenger: v, force: true });
      const source = await Promise.all([1, 2, 3].map((v) => local.getModelVersionTags('vtags-model', v)));
      expect(source[2]['tsad.promotion.previous.champion']).toBe('2');

      // the destination holds a version of that name already: the copies become versions 2, 3, 4
      const there = await to.run({ experiment: 'vtags-dest' }, async (run) => {
        await run.logModel(model);
        return run.id;
      });
      await to.registerModel('vtags-model', there);
      const report = await exportRuns(local, to, { experiments: ['vtags'] });
      expect(report).toMatchObject({ runs: 3, modelVersions: 3, failedRuns: [], failedModels: [] });
      expect(report.warnings).toEqual([]);

      const d = (await server.readStore({ stable: false })) as {
        registered_models: {
          name: string;
          aliases: Record<string, string>;
          versions: { version: string; tags: Record<string, string> }[];
        }[];
      };
      const m = d.registered_models.find((r) => r.name === 'vtags-model');
      expect(m?.aliases).toEqual({ champion: '4' });
      const tags = (v: string) => m?.versions.find((x) => x.version === v)?.tags;
      expect(tags('2')).toMatchObject({
        owner: 'ops',
        'tsad.promotion.decision': 'promoted',
        'tsad.promotion.previous.champion': '',
      });
      expect(tags('3')).toMatchObject({
        'tsad.promotion.decision': 'promoted',
        'tsad.promotion.reason': source[1]['tsad.promotion.reason'],
        'tsad.promotion.previous.champion': '2', // source version 1
      });
      expect(tags('4')?.['tsad.promotion.previous.champion']).toBe('3'); // source version 2
      expect(await rollback(to, 'vtags-model')).toMatchObject({ from: 4, to: 3 });

      // a repeated export writes the same tags again and adds nothing
      const again = await exportRuns(local, to, { experiments: ['vtags'] });
      expect(again).toMatchObject({ runs: 0, modelVersions: 0 });
      expect((await to.getModelVersionTags('vtags-model', 3))['tsad.promotion.previous.champion']).toBe('2');
    } finally {
      await local.close();
      await to.close();
    }
  }, 180_000);
});
