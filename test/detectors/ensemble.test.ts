import { describe, expect, it } from 'vitest';
import {
  AnomScoreCalibrator,
  Ensemble,
  type EnsembleWarning,
  EtsDetector,
  IsolationForest,
  loadModel,
  ZmsDetector,
} from '../../src/detectors/index.js';
import { ConfigError, DetectorError } from '../../src/index.js';
import { ensembleMetric } from '../../src/metrics/index.js';
import type { TimeSeries } from '../../src/series/index.js';
import { syntheticSeries } from '../../src/testing/index.js';

class BrokenDetector extends ZmsDetector {
  protected override rawTrain(): TimeSeries {
    throw new Error('boom');
  }
}

const data = syntheticSeries(900);
const train = { t: data.t.slice(0, 600), v: data.v.slice(0, 600) };
const test = { t: data.t.slice(600), v: data.v.slice(600) };
// the synthetic spikes sit at i % 97 === 50
const labels = { t: train.t, v: train.v.map((_, i) => (i % 97 === 50 ? 1 : 0)) };
const zms = (over = {}) => new ZmsDetector({ nLags: 3, enableThreshold: false, ...over });

describe('Ensemble: members that fail', () => {
  it('drops a failing member with a warning event and keeps going', () => {
    const warnings: EnsembleWarning[] = [];
    const e = new Ensemble(
      { members: [new BrokenDetector(), zms()] },
      { onWarning: (w) => warnings.push(w) },
    );
    e.train(train);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code: 'member_failed', member: 0, memberType: 'ZmsDetector' });
    expect(warnings[0].message).toMatch(/boom/);
    expect(e.usedMembers).toEqual([1]);
    // with one member left the combined score is that member's calibrated score
    const alone = zms();
    alone.train(train);
    expect(Array.from(e.score(test, { prev: train }).v)).toEqual(
      Array.from(alone.score(test, { prev: train }).v),
    );
  });

  it('listeners added with on() hear warnings; without any, Node gets a process warning', async () => {
    const heard: string[] = [];
    const e = new Ensemble({ members: [new BrokenDetector(), zms()] }).on('warning', (w) =>
      heard.push(w.code),
    );
    e.train(train);
    expect(heard).toEqual(['member_failed']);
    const got = new Promise<Error>((resolve) => process.once('warning', resolve));
    new Ensemble({ members: [new BrokenDetector(), zms()] }).train(train);
    const w = await got;
    expect(w.name).toBe('TsadWarning');
    expect(w.message).toMatch(/member 0 \(ZmsDetector\) failed to train/);
  });

  it('fails with a typed error when every member fails', () => {
    const e = new Ensemble(
      { members: [new BrokenDetector(), new BrokenDetector()] },
      { onWarning: () => {} },
    );
    expect(() => e.train(train)).toThrow(DetectorError);
  });

  it('rejects bad member lists with ConfigError', () => {
    const z = zms();
    expect(() => new Ensemble({ members: [] })).toThrow(ConfigError);
    expect(() => new Ensemble({ members: [z, z] })).toThrow(/twice/);
    expect(() => new Ensemble({ members: [{} as never] })).toThrow(ConfigError);
  });

  it("rejects a mean combiner's alone.at whose length is not the member count, naming the fix", () => {
    const alone = (at: (number | null)[]) => ({ type: 'mean' as const, alone: { at, level: 3 } });
    expect(() => new Ensemble({ members: [zms(), zms()], combiner: alone([4, null, 3]) })).toThrow(
      /combiner\.alone\.at: expected 2 entries \(one per member/,
    );
    expect(() => new Ensemble({ members: [zms(), zms()], combiner: alone([4]) })).toThrow(ConfigError);
    // the right length is accepted, and a model file with a wrong one is refused on load
    const e = new Ensemble({ members: [zms(), zms()], combiner: alone([4, null]) });
    e.train(train);
    const json = JSON.parse(JSON.stringify(e.toJSON()));
    json.config.combiner.alone.at = [4];
    expect(() => loadModel(json)).toThrow(/combiner\.alone\.at: expected 2 entries/);
  });
});

describe('Ensemble: metric-driven combiners', () => {
  // member 0's alarm rule is trained on the labels; member 1 has none, so every point is an alarm
  const members = () => [
    new ZmsDetector({ nLags: 3 }),
    new ZmsDetector({ nLags: 3, enableThreshold: false }),
  ];

  it('modelSelector keeps the best member by F1 (per-model thresholds when the ensemble has none)', () => {
    const e = new Ensemble(
      { members: members(), combiner: 'modelSelector', enableThreshold: false },
      { metric: ensembleMetric },
    );
    expect(e.perModelThreshold).toBe(true);
    e.train(train, { labels });
    const f1 = e.members.map((m) => ensembleMetric('f1', labels, m.detect(train).scores));
    expect(f1[0]).toBeGreaterThan(f1[1]);
    expect(e.selectedMembers).toEqual([0]);
  });

  it('metricWeightedMean weights members by their metric', () => {
    const e = new Ensemble(
      { members: members(), combiner: 'metricWeightedMean', enableThreshold: false },
      { onWarning: () => {}, metric: ensembleMetric },
    );
    e.train(train, { labels });
    expect(e.selectedMembers).toEqual([0, 1]);
    const f1 = e.members.map((m) => ensembleMetric('f1', labels, m.detect(train).scores));
    expect(e.combinerWeights[0]).toBeCloseTo(f1[0] / (f1[0] + f1[1]), 15);
    expect(e.combinerWeights[0]).toBeGreaterThan(e.combinerWeights[1]);
  });

  it('without labels every member counts equally', () => {
    const e = new Ensemble({ members: members(), combiner: 'modelSelector' });
    e.train(train);
    expect(e.selectedMembers).toEqual([0, 1]);
  });

  it('a validation split selects on held-out data, then re-trains members on all the train data', () => {
    const e = new Ensemble(
      { members: members(), combiner: 'modelSelector', enableThreshold: false, validFrac: 0.4 },
      { metric: ensembleMetric },
    );
    e.train(train, { labels });
    const [chosen] = e.selectedMembers;
    expect(e.selectedMembers).toHaveLength(1);
    expect(e.members[chosen].trainScores?.t.length).toBe(train.t.length);
  });

  it('training a metric-driven combiner on labels without a metric function is a clear error', () => {
    const e = new Ensemble({ members: members(), combiner: 'modelSelector' });
    expect(() => e.train(train, { labels })).toThrow(/metric: ensembleMetric/);
  });

  it('a validation split without labels is a clear error', () => {
    const e = new Ensemble({ members: members(), combiner: 'modelSelector', validFrac: 0.3 });
    expect(() => e.train(train)).toThrow(/needs labels/);
  });
});

describe('Ensemble: scoring and model files', () => {
  it('the combined score is the mean rule over the aligned member scores', () => {
    const a = zms();
    const b = new IsolationForest({ seed: 1, nEstimators: 20, enableThreshold: false });
    const e = new Ensemble({ members: [a, b] });
    e.train(train);
    const s = e.score(test, { prev: train });
    const sa = zms();
    sa.train(train);
    const sb = new IsolationForest({ seed: 1, nEstimators: 20, enableThreshold: false });
    sb.train(train);
    const va = sa.score(test, { prev: train }).v;
    const vb = sb.score(test, { prev: train }).v;
    for (let i = 0; i < s.v.length; i += 37) {
      let sign = Math.sign(va[i]) + Math.sign(vb[i]);
      sign = sign === 0 ? -1 : sign / 2;
      expect(s.v[i]).toBe(sign * (0.5 * Math.abs(va[i]) + 0.5 * Math.abs(vb[i])));
    }
  });

  it('max is a real maximum of absolute values', () => {
    const e = new Ensemble({ members: [zms(), zms({ lagInflation: 0 })], combiner: 'max' });
    const f = new Ensemble({ members: [zms(), zms({ lagInflation: 0 })], combiner: 'median' });
    e.train(train);
    f.train(train);
    const smax = e.score(test, { prev: train }).v;
    const smed = f.score(test, { prev: train }).v;
    for (let i = 0; i < smax.length; i++) expect(Math.abs(smax[i])).toBeGreaterThanOrEqual(Math.abs(smed[i]));
  });

  it('a nested ensemble saves its members and reloads bit for bit, streams included', () => {
    const inner = new Ensemble({
      members: [zms(), new IsolationForest({ seed: 2, nEstimators: 10, enableThreshold: false })],
      enableThreshold: false,
    });
    const outer = new Ensemble({ members: [inner, zms({ lagInflation: 0 })], combiner: 'median' });
    outer.train(train);
    const json = JSON.parse(JSON.stringify(outer.toJSON()));
    expect(json.state.members).toHaveLength(2);
    expect(json.state.members[0].type).toBe('Ensemble');
    expect(json.config.members[0].type).toBe('Ensemble');
    const back = loadModel(json);
    const a = outer.score(test, { prev: train }).v;
    const b = back.score(test, { prev: train }).v;
    expect(Array.from(b)).toEqual(Array.from(a));
    const sa = outer.stream();
    const sb = back.stream();
    const more = syntheticSeries(40, 9, test.t[test.t.length - 1] + 300_000);
    for (let i = 0; i < more.t.length; i++) {
      expect(Object.is(sa.push(more.t[i], more.v[i]).score, sb.push(more.t[i], more.v[i]).score)).toBe(true);
    }
  });

  it('a model file whose member list disagrees with its config is rejected', () => {
    const e = new Ensemble({ members: [zms(), zms({ lagInflation: 0 })] });
    e.train(train);
    const json = JSON.parse(JSON.stringify(e.toJSON()));
    json.config.members[1].config.lagInflation = 2;
    expect(() => loadModel(json)).toThrow(/does not describe/);
  });
});

describe('Ensemble: calibrateMembers', () => {
  const ets = () => new EtsDetector({ enableThreshold: false });

  it("calibrates the chosen members' outputs with a calibrator trained on their train scores", () => {
    const e = new Ensemble({ members: [ets(), zms()], calibrateMembers: [true, false] });
    e.train(train);
    const s = e.score(test, { prev: train });
    // the same by hand: ETS alone, its train scores → AnomScoreCalibrator(1000), then the mean rule
    const a = ets();
    a.train(train);
    const cal = new AnomScoreCalibrator(1000, true);
    cal.train(a.trainScores!.v);
    const va = cal.calibrate(a.score(test, { prev: train }).v);
    const b = zms();
    b.train(train);
    const vb = b.score(test, { prev: train }).v;
    for (let i = 0; i < s.v.length; i += 23) {
      let sign = Math.sign(va[i]) + Math.sign(vb[i]);
      sign = sign === 0 ? -1 : sign / 2;
      expect(s.v[i]).toBe(sign * (0.5 * Math.abs(va[i]) + 0.5 * Math.abs(vb[i])));
    }
  });

  it('streams exactly like score() and reloads bit for bit; the file must match the config', () => {
    const e = new Ensemble({ members: [ets(), zms()], calibrateMembers: [true, false] });
    e.train(train);
    const json = JSON.parse(JSON.stringify(e.toJSON()));
    expect(json.state.model.memberCalibrators[0]).not.toBeNull();
    expect(json.state.model.memberCalibrators[1]).toBeNull();
    const back = loadModel(json);
    const batch = e.score(test, { prev: train }).v;
    const st = back.stream();
    for (let i = 0; i < test.t.length; i++) {
      const r = st.push(test.t[i], test.v[i]);
      if (!Object.is(r.score, batch[i])) expect.fail(`point ${i}: stream ${r.score} vs batch ${batch[i]}`);
    }
    const bad = JSON.parse(JSON.stringify(json));
    bad.state.model.memberCalibrators[0] = null;
    expect(() => loadModel(bad)).toThrow(/memberCalibrators\[0\]/);
  });

  it('needs one flag per member', () => {
    expect(() => new Ensemble({ members: [ets(), zms()], calibrateMembers: [true] })).toThrow(ConfigError);
  });
});
