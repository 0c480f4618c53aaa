/** `tsad models promote|rollback` call the library's promote()/rollback(): the same decisions and tags. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ZmsDetector } from '../../src/detectors/index.js';
import { exitCodeOf, labelWindows, registerModels } from '../../src/internal.js';
import '../../src/index.js';
import { VERSION_TAGS } from '../../src/lifecycle/index.js';
import type { TimeSeries } from '../../src/series/index.js';
import { openTracker } from '../../src/tracking/index.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tsad-models-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.UTC(2024, 0, 1);
const STEP = 15 * 60_000;
const N_TRAIN = 960;
const N = N_TRAIN + 480;
const SPIKES: [number, number][] = [
  [N_TRAIN + 100, 12],
  [N_TRAIN + 300, 2],
];

function series(): { s: TimeSeries; label: Uint8Array } {
  const t = new Float64Array(N);
  const v = new Float64Array(N);
  const label = new Uint8Array(N);
  for (let k = 0; k < N; k++) {
    t[k] = T0 + k * STEP;
    v[k] = 10 + Math.sin((2 * Math.PI * k) / 96) + Math.sin(k * 12.9898) * 0.3;
  }
  for (const [i, h] of SPIKES) {
    for (let k = 0; k < 4; k++) {
      v[i + k] += h;
      label[i + k] = 1;
    }
  }
  return { s: { t, v }, label };
}

const run = (args: string[]): Promise<string> => runCli([registerModels], args);

describe('tsad models promote / rollback', () => {
  it('labelWindows turns runs of 1s into inclusive windows', () => {
    expect(labelWindows([1, 2, 3, 4, 5, 6], [0, 1, 1, 0, 0, 1])).toEqual([
      [2, 3],
      [6, 6],
    ]);
    expect(labelWindows([1, 2], [0, 0])).toEqual([]);
  });

  it('compares on a labelled holdout CSV, tags the versions, rolls back', async () => {
    const { s, label } = series();
    const csv = join(dir, 'holdout.csv');
    const lines = ['timestamp,value,label'];
    for (let i = 0; i < N; i++) lines.push(`${new Date(s.t[i]).toISOString()},${s.v[i]},${label[i]}`);
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const train = { t: s.t.slice(0, N_TRAIN), v: s.v.slice(0, N_TRAIN) };
    const uri = `file:${join(dir, 'runs')}`;
    const tracker = openTracker(uri);
    for (const almThreshold of [12, 50, 4]) {
      const det = new ZmsDetector({ seed: 0, threshold: { type: 'aggregateAlarms', almThreshold } });
      det.train(train);
      const runId = await tracker.run({ experiment: 'm' }, async (r) => {
        await r.logModel(det);
        return r.id;
      });
      await tracker.registerModel('m', runId);
    }
    const after = new Date(s.t[N_TRAIN]).toISOString();
    const cmp = ['--holdout', csv, '--labels', 'label', '--after', after, '--margin', '0.05', '--uri', uri];

    expect(await run(['models', 'promote', 'm', '1', ...cmp])).toBe('m@champion: - → v1\n');
    expect(await run(['models', 'promote', 'm', '2', ...cmp])).toMatch(
      /^m@champion: v1 kept; v2 rejected: not better than champion by the margin: holdout f1 0 vs champion v1 0\.666667/,
    );
    const rejected = await tracker.getModelVersionTags('m', 2);
    expect(rejected[VERSION_TAGS.decision]).toBe('rejected');
    expect(rejected[VERSION_TAGS.reason]).toMatch(/^not better than champion by the margin/);
    const promoted = JSON.parse(await run(['models', 'promote', 'm', 'v3', ...cmp, '--json']));
    expect(promoted).toMatchObject({
      decision: 'promoted',
      previousChampion: 1,
      champion: 3,
      challengerScore: 1,
    });
    expect((await tracker.getModelVersionTags('m', 3))[VERSION_TAGS.previous('champion')]).toBe('1');

    expect(await run(['models', 'rollback', 'm', '--uri', uri])).toBe('m@champion: v3 → v1\n');
    expect((await tracker.getModelVersion('m', 'champion')).version).toBe(1);
    const err = await run(['models', 'rollback', 'm', '--uri', uri]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'no_previous' });
    expect(exitCodeOf(err)).toBe(5);
    // without a holdout: a manual promotion, recorded as forced
    expect(await run(['models', 'promote', 'm', '2', '--uri', uri])).toBe('m@champion: v1 → v2\n');
    expect((await tracker.getModelVersionTags('m', 2))[VERSION_TAGS.reason]).toMatch(/^forced:/);
    const bad = await run(['models', 'promote', 'm', '3', '--labels', 'label', '--uri', uri]).catch(
      (e: unknown) => e,
    );
    expect(exitCodeOf(bad)).toBe(2);
    expect((await tracker.getModelVersion('m', 'champion')).version).toBe(2);
    await tracker.close();
  });

  it('rollback of a model that does not exist says so (not that it lacks the alias): not_found, exit 5, nothing recorded', async () => {
    const uri = `file:${join(dir, 'runs-nosuch')}`;
    const tracker = openTracker(uri);
    const det = new ZmsDetector({ seed: 0 });
    det.train(series().s);
    const runId = await tracker.run({ experiment: 'm' }, async (r) => {
      await r.logModel(det);
      return r.id;
    });
    await tracker.registerModel('real', runId);
    const runsBefore = (await tracker.searchRuns()).length;
    const err = await run(['models', 'rollback', 'NOSUCH', '--uri', uri]).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TrackingNotFoundError', code: 'not_found' });
    expect(String((err as Error).message)).toMatch(/no registered model named "NOSUCH".*tsad models list/);
    expect(exitCodeOf(err)).toBe(5);
    // a model that exists without the alias is still no_champion
    const none = await run(['models', 'rollback', 'real', '--uri', uri]).catch((e: unknown) => e);
    expect(none).toMatchObject({ code: 'no_champion' });
    expect((await tracker.searchRuns()).length).toBe(runsBefore);
    await tracker.close();
  });

  it('reads a holdout with epoch-second times given --time-unit s, as its refusal advises', async () => {
    const { s, label } = series();
    const csv = join(dir, 'holdout-seconds.csv');
    const lines = ['timestamp,value,label'];
    for (let i = 0; i < N; i++) lines.push(`${s.t[i] / 1000},${s.v[i]},${label[i]}`);
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const uri = `file:${join(dir, 'runs-seconds')}`;
    const tracker = openTracker(uri);
    const det = new ZmsDetector({ seed: 0, threshold: { type: 'aggregateAlarms', almThreshold: 4 } });
    det.train({ t: s.t.slice(0, N_TRAIN), v: s.v.slice(0, N_TRAIN) });
    const runId = await tracker.run({ experiment: 'm' }, async (r) => {
      await r.logModel(det);
      return r.id;
    });
    await tracker.registerModel('m', runId);
    await tracker.close();
    const after = new Date(s.t[N_TRAIN]).toISOString();
    const cmp = ['--holdout', csv, '--labels', 'label', '--after', after, '--uri', uri];
    const refused = await run(['models', 'promote', 'm', '1', ...cmp]).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'bad_timestamp' });
    expect((refused as Error).message).toMatch(/plain number: pass --time-unit ms or --time-unit s$/);
    const promoted = JSON.parse(
      await run(['models', 'promote', 'm', '1', ...cmp, '--time-unit', 's', '--json']),
    );
    expect(promoted).toMatchObject({ decision: 'promoted', champion: 1, challengerScore: 1 });
    const bad = await run(['models', 'promote', 'm', '1', ...cmp, '--time-unit', 'h']).catch(
      (e: unknown) => e,
    );
    expect(bad).toMatchObject({ code: 'invalid_option' });
    const alone = await run(['models', 'promote', 'm', '1', '--time-unit', 's', '--uri', uri]).catch(
      (e: unknown) => e,
    );
    expect(alone).toMatchObject({ code: 'bad_option' });
    expect(exitCodeOf(alone)).toBe(2);
  });
});
