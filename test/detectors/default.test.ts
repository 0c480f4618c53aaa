import { describe, expect, it } from 'vitest';
import { DEFAULT_ALARM_RULE, defaultDetector, loadModel } from '../../src/detectors/index.js';
import { syntheticSeries } from '../../src/testing/index.js';

describe('defaultDetector', () => {
  const all = syntheticSeries(1200);
  const train = { t: all.t.slice(0, 800), v: all.v.slice(0, 800) };
  const test = { t: all.t.slice(800), v: all.v.slice(800) };

  it('builds the members: AutoETS (additive) calibrated by the ensemble, RCF on raw shingles, ZMS level', () => {
    const d = defaultDetector();
    const [ets, rcf, zms] = d.config.members;
    expect(ets).toMatchObject({
      type: 'EtsDetector',
      config: { auto: true, autoOptions: { additiveOnly: true }, mode: 'stream', enableThreshold: false },
    });
    expect(rcf).toMatchObject({
      type: 'RandomCutForest',
      config: {
        nEstimators: 20,
        maxNSamples: 512,
        onlineUpdates: true,
        transforms: [{ type: 'shingle', size: 5 }],
        maxScore: 10,
        enableThreshold: false,
      },
    });
    expect(zms).toMatchObject({
      type: 'ZmsDetector',
      config: { nLags: 0, maxScore: 1000, enableThreshold: false },
    });
    expect(d.config.calibrateMembers).toEqual([true, false, false]);
    expect(d.config.combiner).toEqual({ type: 'mean', absScore: true });
    expect(d.config.enableCalibrator).toBe(false);
    // docs/ensemble.md, The default detector on NAB machine temperature: AggregateAlarms 3.0, 2 alarms in 60 min, 120 min suppression
    expect(d.config.threshold).toEqual({
      type: 'aggregateAlarms',
      almThreshold: 3,
      absScore: true,
      minAlmInWindow: 2,
      almWindowMinutes: 60,
      almSuppressMinutes: 120,
    });
    expect(DEFAULT_ALARM_RULE).toEqual(d.config.threshold);
  });

  it('takes overrides for the seed, the alarm rule and each member', () => {
    const d = defaultDetector({ seed: 5, threshold: { almThreshold: 4 }, zms: { nLags: 5 } });
    expect(d.config.threshold.almThreshold).toBe(4);
    expect(d.config.members[1].config.seed).toBe(5);
    expect(d.config.members[2].config.nLags).toBe(5);
  });

  it('is deterministic for a seed, and its model file reloads and streams bit for bit', () => {
    const a = defaultDetector({ seed: 3 });
    const b = defaultDetector({ seed: 3 });
    a.train(train);
    b.train(train);
    const json = JSON.parse(JSON.stringify(a.toJSON()));
    expect(JSON.stringify(b.toJSON())).toBe(JSON.stringify(json));
    const c = loadModel(json);
    const sa = a.stream();
    const sc = c.stream();
    for (let i = 0; i < test.t.length; i++) {
      const ra = sa.push(test.t[i], test.v[i]);
      const rc = sc.push(test.t[i], test.v[i]);
      if (!Object.is(ra.score, rc.score) || ra.alarm !== rc.alarm) expect.fail(`point ${i} differs`);
    }
  });
});
