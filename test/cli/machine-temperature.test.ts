import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Detector } from '../../src/detectors/index.js';
import { openTracker } from '../../src/index.js';
import {
  buildRecipe,
  EXPERIMENT_NAME,
  type MachineTemperatureResult,
  makeDetector,
  REFERENCE,
  registerRuns,
  runMachineTemperature,
} from '../../src/internal.js';
import { tempFiles } from '../helpers/fsyncs.js';

/**
 * Issue 7: the NAB machine-temperature experiment with the default detector and default settings
 * (fixed seed), tracked into a fresh local store, then read back.
 */
describe('NAB machine-temperature experiment (default detector, seed 0)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsad-mt-'));
  const uri = `file:${join(dir, 'runs')}`;
  const reportPath = join(dir, 'report.html');
  let first: MachineTemperatureResult;

  beforeAll(async () => {
    first = await runMachineTemperature({ trackingUri: uri, reportPath, progress: null, seed: 0 });
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('bins to 22,683 points and splits at 2013-12-15', () => {
    expect(first.rows).toEqual({
      raw: 22_695,
      binned: 22_683,
      train: first.train.t.length,
      test: first.test.t.length,
    });
    expect(first.train.t[first.train.t.length - 1]).toBeLessThan(Date.UTC(2013, 11, 15));
    expect(first.test.t[0]).toBeGreaterThanOrEqual(Date.UTC(2013, 11, 15));
  });

  it("matches or beats Merlion's DefaultDetector: F1 ≥ 2/3 and mean time to detect below 1 d 09:50", () => {
    expect(first.report.f1).toBeGreaterThanOrEqual(REFERENCE.f1 - 1e-12);
    expect(first.report.meanTimeToDetectSec).toBeLessThan(REFERENCE.mttdSec);
    expect(first.report.meanTimeToDetectSec).toBeGreaterThan(0);
  });

  it('writes the HTML report', () => {
    const html = readFileSync(reportPath, 'utf8');
    expect(html).toContain('id="series-chart"');
    expect(html).toContain(`<code id="run-id">${first.runId}</code>`); // the tracked run it belongs to
    expect(html).not.toMatch(/<td>\d+:\d\d<\/td>/); // one duration format: "0 d 16:22", never "16:22"
    expect(html.trimEnd().endsWith('</html>')).toBe(true); // whole (written by writeOutputFile)
    expect(tempFiles(readdirSync(dirname(reportPath)))).toEqual([]);
  });

  it("keeps the report's copy in the run, byte for byte the report file (the page encoded once for both)", async () => {
    const tracker = openTracker(uri);
    try {
      const copy = await tracker.readArtifact(first.runId!, 'report.html');
      expect(Buffer.from(copy).equals(readFileSync(reportPath))).toBe(true);
      expect(Buffer.from(copy).toString('utf8')).toContain(`<code id="run-id">${first.runId}</code>`);
    } finally {
      await tracker.close();
    }
  });

  it('tracks every param, metric, dataset digest and the model; `tsad runs show` reads them back', async () => {
    let out = '';
    const program = new Command().exitOverride();
    registerRuns(program, { out: (s) => (out += s) });
    await program.parseAsync(['node', 'tsad', 'runs', 'show', first.runId!, '--uri', uri, '--json']);
    const shown = JSON.parse(out) as {
      data: { params: Record<string, string>; metrics: Record<string, { value: number }> };
      inputs: { name: string; digest: string; rows: number; context: string }[];
    };
    for (const p of [
      'anomaly_threshold',
      'min_alm_window',
      'alm_window_minutes',
      'alm_suppress_minutes',
      'ensemble_size',
    ]) {
      expect(shown.data.params[p], p).toBeDefined();
    }
    expect(
      Object.keys(shown.data.params).filter((k) => k.startsWith('model.config.')).length,
    ).toBeGreaterThan(5);
    expect(Object.keys(shown.data.params).filter((k) => k.startsWith('config.'))).toEqual([]); // not twice
    expect(shown.data.metrics.precision.value).toBe(first.report.precision);
    expect(shown.data.metrics.recall.value).toBe(first.report.recall);
    expect(shown.data.metrics.f1.value).toBe(first.report.f1);
    expect(shown.data.metrics.mttd.value).toBe(first.report.meanTimeToDetectSec);
    expect(shown.inputs.map((i) => [i.context, i.rows]).sort()).toEqual(
      [
        ['testing', first.test.t.length],
        ['training', first.train.t.length],
      ].sort(),
    );
    for (const i of shown.inputs) expect(i.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('registers a model that loads from models:/…@latest and scores the test part bit-for-bit', async () => {
    const tracker = openTracker(uri);
    try {
      const det = (await tracker.loadModel(`models:/${EXPERIMENT_NAME}@latest`)) as Detector;
      const again = det.score(first.test, { prev: first.train });
      expect(again.v).toEqual(first.scores.v);
      expect(Buffer.from(again.v.buffer).equals(Buffer.from(first.scores.v.buffer))).toBe(true);
    } finally {
      await tracker.close();
    }
  });

  it('the run, started with the experiment, ends FINISHED with the trained model file, byte for byte', async () => {
    const tracker = openTracker(uri);
    try {
      const [run] = await tracker.searchRuns({ filter: `attributes.run_id = '${first.runId}'` });
      expect(run.info.status).toBe('FINISHED');
      expect(run.data.params.detector).toBe('default');
      expect(run.data.params.seed).toBe('0');
      expect(run.data.params['model.type']).toBe('Ensemble'); // logged with the model
      const bytes = await tracker.readArtifact(first.runId!, 'model/model.json');
      // the file (serialised after training, while the test part is scored) is the trained model,
      // which scoring leaves as it was: the model of the same recipe trained on the training part
      // alone, byte for byte
      const trained = await buildRecipe('default', 0);
      await trained.train(first.train);
      expect(Buffer.from(bytes).toString('utf8')).toBe(JSON.stringify(trained.toJSON(), null, 1));
      expect(Buffer.from(bytes).toString('utf8')).toBe(JSON.stringify(first.detector.toJSON(), null, 1));
    } finally {
      await tracker.close();
    }
  });

  it('records a second run (and a second model version) when run again', async () => {
    // into a tracker opened (and its experiment found) before the run, as the CLI does
    const opened = openTracker(uri);
    await opened.getOrCreateExperiment(EXPERIMENT_NAME);
    const second = await runMachineTemperature({
      trackingUri: uri,
      tracker: opened,
      reportPath: false,
      progress: null,
      seed: 0,
    });
    expect(second.runId).not.toBe(first.runId);
    expect(second.modelVersion).toBe((first.modelVersion ?? 0) + 1);
    expect(second.report.f1).toBe(first.report.f1);
    const tracker = openTracker(uri);
    try {
      const runs = await tracker.searchRuns({ experiment: EXPERIMENT_NAME });
      expect(runs).toHaveLength(2);
    } finally {
      await tracker.close();
    }
  }, 120_000);
});

describe('NAB machine-temperature experiment that fails', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsad-mt-fail-'));
  const uri = `file:${join(dir, 'runs')}`;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ends its tracked run FAILED, with the error as its tsad.error tag, and reports the error', async () => {
    // nothing listens on port 1: loading the series from this database fails after the run started
    const failed = runMachineTemperature({
      trackingUri: uri,
      reportPath: false,
      progress: null,
      forestWorker: false,
      data: 'postgres://tsad@127.0.0.1:1/none',
    });
    await expect(failed).rejects.toThrow();
    const error = (await failed.catch((e: unknown) => e)) as Error;
    const tracker = openTracker(uri);
    try {
      const runs = await tracker.searchRuns({ experiment: EXPERIMENT_NAME });
      expect(runs).toHaveLength(1);
      expect(runs[0].info.status).toBe('FAILED');
      expect(runs[0].data.params.detector).toBe('default');
      expect(runs[0].data.tags['tsad.error']).toContain(error.message.slice(0, 40));
      expect(await tracker.listRegisteredModels()).toEqual([]);
    } finally {
      await tracker.close();
    }
  }, 60_000);

  it('a failure after training (the report cannot be written): the run ends FAILED after the model file it started, no temporary file left, nothing registered', async () => {
    // the report's folder would be a file: its write fails once the results are in, after the
    // run's records were written and the model's files were started (logModelEarly); the run ends
    // only after those writes
    const blocker = join(dir, 'not-a-folder');
    writeFileSync(blocker, 'x');
    const failed = runMachineTemperature({
      trackingUri: `file:${join(dir, 'late')}`,
      reportPath: join(blocker, 'report.html'),
      progress: null,
    });
    await expect(failed).rejects.toThrow();
    const tracker = openTracker(`file:${join(dir, 'late')}`);
    try {
      const runs = await tracker.searchRuns({ experiment: EXPERIMENT_NAME });
      expect(runs).toHaveLength(1);
      expect(runs[0].info.status).toBe('FAILED');
      expect(await tracker.listRegisteredModels()).toEqual([]);
      // the whole model file, the metrics and the datasets (their writes ended before the run did)
      const model = Buffer.from(await tracker.readArtifact(runs[0].info.runId, 'model/model.json'));
      expect(JSON.parse(model.toString('utf8')).type).toBe('Ensemble');
      const run = await tracker.getRun(runs[0].info.runId);
      expect(run.data.params['model.type']).toBe('Ensemble');
      expect(Object.keys(run.data.metrics)).toContain('f1');
      expect(run.inputs.map((d) => d.context)).toEqual(['training', 'testing']);
    } finally {
      await tracker.close();
    }
    const files = readdirSync(join(dir, 'late'), { recursive: true }).map(String);
    expect(files.filter((f) => f.includes('.tmp-'))).toEqual([]);
  }, 120_000);

  it('closes a tracker it was given that it does not record into (trackingUri false, or a bad one)', async () => {
    const closes: string[] = [];
    const given = (name: string) => {
      const t = openTracker(`memory:mt-given-${name}`);
      return new Proxy(t, {
        get: (o, k) => {
          if (k !== 'close') return Reflect.get(o, k);
          return () => {
            closes.push(name);
            return o.close();
          };
        },
      });
    };
    const r = await runMachineTemperature({
      trackingUri: false,
      tracker: given('untracked'),
      detector: 'zms',
      reportPath: false,
      progress: null,
      forestWorker: false,
    });
    expect(r.runId).toBeUndefined();
    await expect(
      runMachineTemperature({
        trackingUri: 'nope://x',
        tracker: given('bad-uri'),
        reportPath: false,
        progress: null,
        forestWorker: false,
      }),
    ).rejects.toThrow();
    expect(closes).toEqual(['untracked', 'bad-uri']);
  }, 60_000);

  it('builds the default recipe without the table of recipes, the same detector as makeDetector', async () => {
    for (const seed of [0, 7]) {
      const fast = await buildRecipe('default', seed);
      expect(fast.config).toEqual(makeDetector('default', { seed }).config);
      expect(fast.type).toBe(makeDetector('default', { seed }).type);
    }
    expect((await buildRecipe('zms', 3)).config).toEqual(makeDetector('zms', { seed: 3 }).config);
    await expect(buildRecipe('nope', 0)).rejects.toThrow(/unknown detector "nope"/);
  });
});
