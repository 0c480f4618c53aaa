import { describe, expect, it } from 'vitest';
import { loadModel, RandomCutForest } from '../../../src/detectors/index.js';
import { ConfigError, DetectorError, ModelFormatError } from '../../../src/index.js';
import type { TimeSeries } from '../../../src/series/index.js';
import { lcg, seededSeries } from '../../helpers/random.js';
import { arrayForm } from './array-form.js';

const STEP = 60_000;

/** Noisy sine with a fixed LCG; `spikes` get +height. */
function series(n: number, spikes: number[] = [], height = 4, seed = 5, t0 = 0): TimeSeries {
  const ts = seededSeries(
    n,
    STEP,
    t0,
    lcg(seed),
    (i, u) => Math.sin((2 * Math.PI * i) / 60) + 0.2 * (u - 0.5),
  );
  for (const i of spikes) ts.v[i] += height;
  return ts;
}

function slice(ts: TimeSeries, a: number, b: number): TimeSeries {
  return { t: ts.t.slice(a, b), v: ts.v.slice(a, b) };
}

describe('RandomCutForest detector', () => {
  it('has the spec defaults (Merlion RandomCutForestConfig)', () => {
    const d = new RandomCutForest();
    expect(d.type).toBe('RandomCutForest');
    expect(d.config.nEstimators).toBe(100);
    expect(d.config.maxNSamples).toBe(512);
    expect(d.config.maxScore).toBe(10); // floor(log2(512)) + 1
    expect(d.config.onlineUpdates).toBe(false);
    expect(d.config.transforms).toEqual([{ type: 'difference' }, { type: 'shingle', size: 5 }]);
    expect(d.config.threshold).toMatchObject({ type: 'aggregateAlarms', almThreshold: 3 });
    expect(new RandomCutForest({ maxNSamples: 256 }).config.maxScore).toBe(9);
    // Without calibration the default threshold is maxScore / 5 (docs/rcf.md, Config and defaults).
    expect(new RandomCutForest({ enableCalibrator: false }).config.threshold).toMatchObject({
      almThreshold: 2,
    });
    expect(() => new RandomCutForest({ nEstimators: 0 })).toThrow(ConfigError);
    expect(() => new RandomCutForest({ bogus: 1 } as never)).toThrow(ConfigError);
  });

  it('training scores each row before learning it: the first outputAfter scores are 0', () => {
    const ts = series(400);
    const d = new RandomCutForest({ nEstimators: 10, maxNSamples: 64 });
    d.train(ts);
    const s = d.trainScores!;
    expect(s.t.length).toBe(399); // the difference drops the first point
    expect(Array.from(s.v.slice(0, 16))).toEqual(new Array(16).fill(0));
    expect(s.v[16]).not.toBe(0);
    expect(d.forest!.totalUpdates).toBe(399);
    expect(d.forest!.dimensions).toBe(5);
    expect(d.lastLearnedTime).toBe(ts.t[399]);
  });

  it('flags injected spikes in the test period (fixed seed)', () => {
    const spikes = [2300, 2550, 2800];
    const all = series(3000, spikes);
    const train = slice(all, 0, 2000);
    const test = slice(all, 2000, 3000);
    for (const onlineUpdates of [false, true]) {
      const d = new RandomCutForest({ seed: 3, nEstimators: 50, onlineUpdates });
      d.train(train);
      const s = d.score(test, { prev: train });
      // A spike enters the differenced shingle at its index and leaves it 6 rows later.
      const near = (i: number) => spikes.some((p) => s.t[i] >= all.t[p] && s.t[i] <= all.t[p + 5]);
      // The 18 highest scores are exactly the 3 × 6 spike rows, all above every other score.
      const order = [...s.v.keys()].sort((a, b) => s.v[b] - s.v[a]);
      for (const i of order.slice(0, 18)) expect(near(i)).toBe(true);
      expect(s.v[order[17]]).toBeGreaterThan(1.5 * s.v[order[18]]);
      // The alarms are exactly one per spike (AggregateAlarms suppresses the follow-ups).
      const { alarms } = d.detect(test, { prev: train });
      expect(alarms.length).toBe(3);
      for (const a of alarms) expect(spikes.some((p) => a.t >= all.t[p] && a.t <= all.t[p + 5])).toBe(true);
    }
  });

  it('onlineUpdates: score() learns on a copy; update() learns new rows once; offline models never learn', () => {
    const all = series(1600);
    const train = slice(all, 0, 1000);
    const test = slice(all, 1000, 1600);
    const off = new RandomCutForest({ nEstimators: 10, maxNSamples: 64 });
    off.train(train);
    const a = off.score(test, { prev: train });
    expect(off.forest!.totalUpdates).toBe(999);
    expect(off.score(test, { prev: train }).v).toEqual(a.v);

    const on = new RandomCutForest({ nEstimators: 10, maxNSamples: 64, onlineUpdates: true });
    on.train(train);
    const b = on.score(test, { prev: train });
    // score() is pure: it learned on a copy of the forest
    expect(on.forest!.totalUpdates).toBe(999);
    expect(on.score(test, { prev: train }).v).toEqual(b.v);
    expect(b.v).not.toEqual(a.v);
    // update() folds the rows into the model, once
    on.update(test);
    expect(on.forest!.totalUpdates).toBe(999 + 600);
    expect(on.lastLearnedTime).toBe(test.t[599]);
    expect(() => on.update(test)).toThrow(/not after the model's last point/);
    on.score(train);
    expect(on.forest!.totalUpdates).toBe(999 + 600);
  });

  it('with onlineUpdates the forest adapts to a level shift; without, it keeps flagging it', () => {
    const all = series(4000);
    for (let i = 2500; i < 4000; i++) all.v[i] = 0.3 * all.v[i] + 2 * Math.sin(i / 3);
    const train = slice(all, 0, 2000);
    const test = slice(all, 2000, 4000);
    const late = (d: RandomCutForest) => {
      d.train(train);
      const s = d.score(test, { prev: train });
      let m = 0;
      for (let i = 1500; i < 2000; i++) m += s.v[i - 1];
      return m / 500;
    };
    const fixed = late(new RandomCutForest({ seed: 1, nEstimators: 30, maxNSamples: 256 }));
    const online = late(
      new RandomCutForest({ seed: 1, nEstimators: 30, maxNSamples: 256, onlineUpdates: true }),
    );
    expect(online).toBeLessThan(fixed / 2);
  });

  it('save → load → continue streaming is bit-identical (online model)', () => {
    const all = series(1500, [1300]);
    const train = slice(all, 0, 1000);
    const d = new RandomCutForest({ seed: 9, nEstimators: 15, maxNSamples: 100, onlineUpdates: true });
    d.train(train);
    const st = d.stream();
    for (let i = 1000; i < 1200; i++) st.push(all.t[i], all.v[i]);
    const copy = loadModel(JSON.parse(JSON.stringify(d.toJSON())));
    const s1 = d.stream();
    const s2 = copy.stream();
    for (let i = 1200; i < 1500; i++) {
      const r1 = s1.push(all.t[i], all.v[i]);
      const r2 = s2.push(all.t[i], all.v[i]);
      expect(Object.is(r1.score, r2.score)).toBe(true);
      expect(r1.alarm).toBe(r2.alarm);
    }
    expect(JSON.stringify(copy.toJSON())).toBe(JSON.stringify(d.toJSON()));
  });

  it('a state-version-2 model file (forest as JSON arrays) loads, scores and continues identically', () => {
    const all = series(1400, [1250]);
    const train = slice(all, 0, 1000);
    const d = new RandomCutForest({ seed: 4, nEstimators: 8, maxNSamples: 64, onlineUpdates: true });
    d.train(train);
    const file = JSON.parse(JSON.stringify(d.toJSON()));
    expect(file.state.stateVersion).toBe(3);
    const old = JSON.parse(JSON.stringify(file));
    old.state.stateVersion = 2;
    old.state.model.forest = arrayForm(file.state.model.forest);
    const loaded = loadModel(old);
    // re-saved, it is today's file byte for byte
    expect(JSON.stringify(loaded.toJSON())).toBe(JSON.stringify(file));
    const test = slice(all, 1000, 1400);
    const a = d.score(test, { prev: train }).v;
    const b = loaded.score(test, { prev: train }).v;
    expect(b.every((x, i) => Object.is(x, a[i]))).toBe(true);
    // a version-2 file whose arrays cannot be packed is a ModelFormatError naming the field
    old.state.model.forest.trees[0].values[0] = 'x';
    expect(() => loadModel(old)).toThrow(ModelFormatError);
    expect(() => loadModel(old)).toThrow(/state\.model\.forest\.trees\.0\.values\.0/);
  });

  it('rejects astronomically large values with a typed error, before touching the model', () => {
    const train = series(500);
    const d = new RandomCutForest({ nEstimators: 5, maxNSamples: 32, onlineUpdates: true });
    d.train(train);
    const before = JSON.stringify(d.toJSON());
    const test = series(10, [], 0, 5, train.t[499] + STEP);
    test.v[4] = 1e305;
    expect(() => d.score(test, { prev: train })).toThrow(DetectorError);
    expect(JSON.stringify(d.toJSON())).toBe(before);
  });
});
