/**
 * The service loads a model version once and gives each new series a stream of that one loaded
 * detector (a stream owns a copy of its detector's state): counted through a registered detector type
 * whose loader counts its calls, and checked against streams of models loaded on their own.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ModelJson } from '../../src/detectors/index.js';
import { CutForest, registerDetector } from '../../src/detectors/index.js';
import { loadModel, RandomCutForest, ZmsDetector } from '../../src/index.js';
import { type CheckpointStore, createService, DirectoryCheckpointStore } from '../../src/serve/index.js';
import { gate } from '../helpers/gate.js';
import { post, pts, STEP, scoresOf, T0, value } from '../helpers/serve.js';

/** A ZMS model file under a type of its own, whose loader counts its calls. */
const TYPE = 'countedZmsForServeTest';
let loads = 0;

function zmsModel(shift: number): ModelJson {
  const det = new ZmsDetector({});
  det.train({
    t: Float64Array.from({ length: 300 }, (_, i) => T0 - (300 - i) * STEP),
    v: Float64Array.from({ length: 300 }, (_, i) => value(i, 0) + shift),
  });
  return det.toJSON();
}

/** The ZMS model as its own type (what the counted type's loader loads). */
const counted = (zms: ModelJson): ModelJson => ({ ...zms, type: TYPE });

/**
 * Scores of a stream of `zms` loaded on its own (the oracle: no service, no shared detector), as JSON
 * carries them (-0 reads back as 0).
 */
function direct(zms: ModelJson, points: [number, number][]): number[] {
  const s = loadModel(zms).stream();
  return JSON.parse(JSON.stringify(points.map(([t, v]) => s.push(t, v).score)));
}

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-model-cache-'));
  registerDetector(TYPE, (config, state) => {
    loads++;
    return loadModel({ format: 'tsad-model', version: 1, type: 'ZmsDetector', config, state } as ModelJson);
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tsad serve: one loaded model per version', () => {
  it('new series clone the loaded model (loaded once, not per series), each with state of its own; a reload loads a changed model once', async () => {
    const file = join(dir, 'model.json');
    const first = zmsModel(0);
    writeFileSync(file, JSON.stringify(counted(first)));
    const cps = join(dir, 'cps');
    loads = 0;
    const svc = await createService({
      model: file,
      checkpoints: new DirectoryCheckpointStore(cps),
      maxSeries: 3,
      checkpointEvery: 1_000_000,
      defaultMetrics: false,
    });
    try {
      expect(loads).toBe(1);
      // five series, interleaved, each with points of its own (k): each scores as a stream of its own
      const got: Record<string, number[]> = {};
      for (const [from, to] of [
        [0, 30],
        [30, 70],
      ]) {
        for (let k = 0; k < 5; k++) {
          const r = await post(svc, `s${k}`, pts(k, from, to));
          expect(r.status).toBe(200);
          got[`s${k}`] = [...(got[`s${k}`] ?? []), ...scoresOf(r)];
        }
      }
      for (let k = 0; k < 5; k++) expect([k, got[`s${k}`]]).toEqual([k, direct(first, pts(k, 0, 70))]);
      // the model file was loaded at start only: not for each of the five new series (restores of evicted
      // series load their checkpoint, a ZmsDetector stream of their own, not the counted model file)
      expect(loads).toBe(1);

      // a reload that finds the same file loads nothing
      expect(await svc.reload()).toEqual([]);
      expect(loads).toBe(1);
      // the file replaced: loaded once, however many series then start on it
      const second = zmsModel(2);
      writeFileSync(file, JSON.stringify(counted(second)));
      utimesSync(file, new Date(Date.now() + 60_000), new Date(Date.now() + 60_000)); // a new mtime
      expect(await svc.reload()).toEqual([file]);
      expect(loads).toBe(2);
      for (let k = 0; k < 5; k++) {
        const r = await post(svc, `s${k}`, pts(k, 70, 90));
        expect(r.status).toBe(200);
        expect([k, scoresOf(r)]).toEqual([k, direct(second, pts(k, 70, 90))]);
      }
      for (let k = 5; k < 8; k++) {
        const r = await post(svc, `s${k}`, pts(k, 0, 20));
        expect([k, scoresOf(r)]).toEqual([k, direct(second, pts(k, 0, 20))]);
      }
      expect(loads).toBe(2);
      expect(await svc.reload()).toEqual([]);
      expect(loads).toBe(2);
    } finally {
      await svc.close();
    }
  });
});

describe('tsad serve: a reload while an evicted series is still being written', () => {
  it('the series restarts on the new version even when that write then fails (it did not come back on the old one)', async () => {
    const file = join(dir, 'evicting-model.json');
    const first = zmsModel(0);
    const second = zmsModel(3);
    writeFileSync(file, JSON.stringify(first));
    const cps = join(dir, 'evicting-cps');
    const inner = new DirectoryCheckpointStore(cps);
    // a's eviction write held until the reload is done, then tried on the real folder
    const held = gate();
    let aWrite: Promise<void> | undefined;
    const store: CheckpointStore = {
      load: (id) => inner.load(id),
      has: (id) => inner.has(id),
      where: (id) => inner.where(id),
      delete: (id) => inner.delete(id),
      list: () => inner.list(),
      save: (cp) => {
        if (cp.id !== 'a') return inner.save(cp);
        aWrite = held.wait.then(() => inner.save(cp));
        return aWrite;
      },
    };
    const svc = await createService({
      model: file,
      checkpoints: store,
      maxSeries: 1,
      checkpointEvery: 1_000_000,
      defaultMetrics: false,
    });
    try {
      expect((await post(svc, 'a', pts(1, 0, 30))).status).toBe(200);
      // a folder where a's file goes: its write will fail (EISDIR)
      mkdirSync(join(cps, 'a.json', 'in-the-way'), { recursive: true });
      expect((await post(svc, 'b', pts(2, 0, 10))).status).toBe(200); // evicts a; its write is held
      expect(aWrite).toBeDefined();
      writeFileSync(file, JSON.stringify(second));
      utimesSync(file, new Date(Date.now() + 60_000), new Date(Date.now() + 60_000)); // a new mtime
      expect(await svc.reload()).toEqual([file]);
      held.open();
      await expect(aWrite).rejects.toMatchObject({ code: 'checkpoint_store_failed' });
      await vi.waitFor(() => expect(svc.liveCount()).toBe(0), { timeout: 10_000 }); // b restarted by the reload, a not back
      rmSync(join(cps, 'a.json'), { recursive: true });
      // a's next points start it on the new version, as every series of the reference restarts
      const r = await post(svc, 'a', pts(1, 30, 40));
      expect(r.status).toBe(200);
      expect(scoresOf(r)).toEqual(direct(second, pts(1, 30, 40)));
      expect(scoresOf(r)).not.toEqual(direct(first, pts(1, 0, 40)).slice(30));
    } finally {
      await svc.close();
    }
  });
});

describe('tsad serve: series of a forest without online updates share its forest, read only', () => {
  it('interleaved series each score as the model loaded on its own, no forest is copied for them, and their checkpoints are their own', async () => {
    const det = new RandomCutForest({ seed: 7, nEstimators: 8, maxNSamples: 64, onlineUpdates: false });
    det.train({
      t: Float64Array.from({ length: 400 }, (_, i) => T0 - (400 - i) * STEP),
      v: Float64Array.from({ length: 400 }, (_, i) => value(i, 0)),
    });
    const rcf = det.toJSON();
    const file = join(dir, 'frozen-rcf.json');
    writeFileSync(file, JSON.stringify(rcf));
    const cps = join(dir, 'frozen-cps');
    const svc = await createService({
      model: file,
      checkpoints: new DirectoryCheckpointStore(cps),
      maxSeries: 2,
      checkpointEvery: 1_000_000,
      defaultMetrics: false,
    });
    const clones = vi.spyOn(CutForest.prototype, 'clone');
    try {
      const got: Record<string, number[]> = {};
      for (const [from, to] of [
        [0, 40],
        [40, 90],
      ]) {
        // four series through an LRU of two: each is evicted and restored from its checkpoint once
        for (let k = 0; k < 4; k++) {
          const r = await post(svc, `f${k}`, pts(k + 1, from, to));
          expect(r.status).toBe(200);
          got[`f${k}`] = [...(got[`f${k}`] ?? []), ...scoresOf(r)];
        }
      }
      for (let k = 0; k < 4; k++) expect([k, got[`f${k}`]]).toEqual([k, direct(rcf, pts(k + 1, 0, 90))]);
      // a stream of this model (new or restored) copies no forest: new series share the loaded one
      expect(clones).not.toHaveBeenCalled();
      // and none of them wrote into it: a series started now scores as the model file's first stream
      const late = await post(svc, 'f9', pts(3, 0, 40));
      expect(scoresOf(late)).toEqual(direct(rcf, pts(3, 0, 40)));
    } finally {
      clones.mockRestore();
      await svc.close();
    }
  });
});
