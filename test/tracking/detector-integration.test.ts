/**
 * End to end with a real detector: train, logModel, register, alias, loadModel through
 * tsad's loader (installed with setModelLoader, as src/index.ts does) → identical scores.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { IsolationForest, loadModel } from '../../src/detectors/index.js';
import { ModelFormatError } from '../../src/index.js';
import { openTracker, setModelLoader } from '../../src/tracking/index.js';

function wave(n: number, seed: number) {
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = 1_600_000_000_000 + i * 60_000;
    v[i] = Math.sin(i / 10) + 0.1 * Math.sin(i * seed) + (i === Math.floor(n / 2) ? 5 : 0);
  }
  return { t, v };
}

describe('tracking × detectors', () => {
  afterAll(() => setModelLoader(undefined));

  it('a registered IsolationForest loads back and scores bit-for-bit alike', async () => {
    setModelLoader(loadModel);
    const tr = openTracker('memory:');
    const train = wave(300, 1.3);
    const test = wave(120, 2.1);
    const det = new IsolationForest({ seed: 7 });
    det.train(train);
    const runId = await tr.run({ experiment: 'it' }, async (run) => {
      await run.logDataset(train, { name: 'wave', context: 'training' });
      await run.logModel(det);
      return run.id;
    });
    const r = await tr.getRun(runId);
    expect(r.data.params['model.type']).toBe(det.type);
    const v = await tr.registerModel('wave-if', runId);
    await tr.setAlias('wave-if', 'champion', v.version);
    const loaded = await tr.loadModel('models:/wave-if@champion');
    expect(loaded.type).toBe(det.type);
    const a = det.score(test).v;
    const b = (loaded as IsolationForest).score(test).v;
    expect(Array.from(b)).toEqual(Array.from(a));

    // a tampered model file is rejected by the real loader
    const bad = await tr.run({ experiment: 'it' }, async (run) => {
      const json = det.toJSON() as unknown as Record<string, unknown>;
      await run.logArtifact({
        name: 'model/model.json',
        bytes: JSON.stringify({ ...json, state: { trees: 'nope' } }),
      });
      return run.id;
    });
    await tr.registerModel('wave-if', bad);
    await expect(tr.loadModel('models:/wave-if/latest')).rejects.toBeInstanceOf(ModelFormatError);
  });
});
