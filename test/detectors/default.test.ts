import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ALARM_RULE,
  DEFAULT_COUNT_POINTS,
  DEFAULT_DRIFT,
  DEFAULT_ETS_ALONE,
  DEFAULT_SEASONAL_FLOOR,
  DEFAULT_STRONG_THRESHOLD,
  defaultDetector,
  loadModel,
  Rng,
  SeasonalChangeDetector,
} from '../../src/detectors/index.js';
import { ConfigError } from '../../src/index.js';
import { gaussOne } from '../../src/internal.js';
import { syntheticSeries } from '../../src/testing/index.js';

describe('defaultDetector', () => {
  const all = syntheticSeries(1200);
  const train = { t: all.t.slice(0, 800), v: all.v.slice(0, 800) };
  const test = { t: all.t.slice(800), v: all.v.slice(800) };

  it('builds the members: AutoETS (additive) calibrated by the ensemble, RCF on raw shingles, ZMS level', () => {
    const d = defaultDetector();
    const [mean, flat, seasonal, drift] = d.config.members;
    expect(d.config.members).toHaveLength(4);
    // round 19a: the level-drift member with alarm episodes and a decision level of 4 × the training maximum
    expect(drift).toMatchObject({
      type: 'LevelDriftDetector',
      config: { refractory: 672, burst: 2, ratio: 4, minPeriods: 7, floor: 3, enableThreshold: false },
    });
    expect(DEFAULT_DRIFT).toEqual({ refractory: 672, burst: 2, ratio: 4 });
    expect(d.config.combiner).toEqual({ type: 'max', absScore: true });
    expect(flat).toMatchObject({
      type: 'FlatLineDetector',
      config: { onsetPoints: 2, enableThreshold: false },
    });
    expect(seasonal).toMatchObject({
      type: 'SeasonalChangeDetector',
      config: { floor: 3, lagFrac: 0.25, windowFrac: 1, periods: 2, ratio: 3.5, enableThreshold: false },
    });
    expect(DEFAULT_SEASONAL_FLOOR).toBe(DEFAULT_ALARM_RULE.almThreshold);
    expect(mean).toMatchObject({ type: 'Ensemble', config: { enableThreshold: false } });
    const inner = defaultDetector({ flatLine: false, seasonal: false, drift: false });
    // the mean inside the maximum is the mean alone without its alarm rule (the outer ensemble's)
    const { threshold: _outerRule, ...innerRest } = inner.toJSON().config;
    const { threshold: _noRule, ...memberRest } = d.members[0].toJSON().config;
    expect(memberRest).toEqual({ ...innerRest, enableThreshold: false });
    const [ets, rcf, zms] = inner.config.members;
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
    expect(inner.config.calibrateMembers).toEqual([true, false, false]);
    // round 12c: the ETS member alone reaches the alarm level from 4.5
    expect(inner.config.combiner).toEqual({
      type: 'mean',
      absScore: true,
      alone: { at: [4.5, null, null], level: 3 },
    });
    expect(inner.config.enableCalibrator).toBe(false);
    expect(d.config.enableCalibrator).toBe(false);
    // docs/ensemble.md, The default detector on NAB machine temperature: AggregateAlarms 3.0, 2 alarms in 60 min, 120 min suppression;
    // round 12c of docs/evaluation.md: a raw alarm of 5.5 or more fires alone; round 17: from 4.5, and raw
    // alarms counted over the last 8 points as well as the 60 minutes
    expect(d.config.threshold).toEqual({
      type: 'aggregateAlarms',
      almThreshold: 3,
      absScore: true,
      minAlmInWindow: 2,
      almWindowMinutes: 60,
      almSuppressMinutes: 120,
      strongThreshold: 4.5,
      countPoints: 8,
    });
    expect({
      ...DEFAULT_ALARM_RULE,
      strongThreshold: DEFAULT_STRONG_THRESHOLD,
      countPoints: DEFAULT_COUNT_POINTS,
    }).toEqual(d.config.threshold);
    expect(inner.config.threshold).toEqual(d.config.threshold);
  });

  it("drift: null (untyped JavaScript) adds no part, as drift: false; an absent drift adds round 19a's member", () => {
    const parts = (d: ReturnType<typeof defaultDetector>) => d.config.members.map((m) => m.type);
    const plain = parts(defaultDetector({ drift: false }));
    expect(plain).toEqual(['Ensemble', 'FlatLineDetector', 'SeasonalChangeDetector']);
    expect(parts(defaultDetector({ drift: null as unknown as false }))).toEqual(plain);
    expect(parts(defaultDetector())).toEqual([...plain, 'LevelDriftDetector']);
    expect(parts(defaultDetector({ drift: {} }))).toEqual([...plain, 'LevelDriftDetector']);
    // an object is the member over its own defaults (`{}`: round 12b's), not over DEFAULT_DRIFT
    expect(defaultDetector({ drift: {} }).config.members[3].config).toMatchObject({ ratio: 3 });
  });

  it('takes overrides for the seed, the alarm rule and each member', () => {
    const d = defaultDetector({
      seed: 5,
      threshold: { almThreshold: 4 },
      zms: { nLags: 5 },
      flatLine: { onsetPoints: 4 },
      seasonal: { ratio: 4 },
    });
    expect(d.config.threshold.almThreshold).toBe(4);
    const inner = d.members[0].toJSON().config as { members: { config: Record<string, unknown> }[] };
    expect(inner.members[1].config.seed).toBe(5);
    expect(inner.members[2].config.nLags).toBe(5);
    expect(d.config.members[1].config.onsetPoints).toBe(4);
    expect(d.config.members[2].config).toMatchObject({ ratio: 4, floor: 3, seed: 5 });
    expect(defaultDetector({ seasonal: false }).config.members.map((m) => m.type)).toEqual([
      'Ensemble',
      'FlatLineDetector',
      'LevelDriftDetector',
    ]);
    expect(defaultDetector({ flatLine: false }).config.members.map((m) => m.type)).toEqual([
      'Ensemble',
      'SeasonalChangeDetector',
      'LevelDriftDetector',
    ]);
  });

  it('adds the flat-line onset to the mean: the same scores except two or three points per stall', () => {
    const stuck = { t: test.t, v: test.v.slice() };
    stuck.v.fill(stuck.v[200], 200, 320);
    const d = defaultDetector({ seed: 2, seasonal: false, drift: false });
    const m = defaultDetector({ seed: 2, flatLine: false, seasonal: false, drift: false });
    d.train(train);
    m.train(train);
    const a = d.score(stuck, { prev: train }).v;
    const b = m.score(stuck, { prev: train }).v;
    const differ: number[] = [];
    for (let i = 0; i < a.length; i++) {
      expect(Math.abs(a[i])).toBeGreaterThanOrEqual(Math.abs(b[i]));
      if (a[i] !== b[i]) differ.push(i);
    }
    // two points, or three when the run's reference grows with the run (its share of repeats rises)
    expect(differ.length).toBeGreaterThanOrEqual(2);
    expect(differ.length).toBeLessThanOrEqual(3);
    expect(differ[differ.length - 1]).toBe(differ[0] + differ.length - 1);
    expect(differ[0]).toBeGreaterThan(200);
    expect(differ[0]).toBeLessThan(320);
    for (const i of differ) expect(a[i]).toBeGreaterThan(DEFAULT_ALARM_RULE.almThreshold);
    // the alarm at the level of 3 (round 18b's widening, not in the default, would ask 3.9 here: this
    // training part spans 2.8 days and the stall lies in the first week)
    const { alarms } = d.detect(stuck, { prev: train });
    expect(alarms.some((x) => x.t >= stuck.t[200] && x.t < stuck.t[320])).toBe(true);
  });

  it('trained twice: the model of one training on the second data, but for the calibrators trained the first time (kept unless retrainCalibrator)', () => {
    const other = syntheticSeries(1000, 9);
    const first = { t: other.t.slice(0, 700), v: other.v.map((x) => 3 * x + 5).slice(0, 700) };
    /** The model file without the calibrators' anchors (kept from the first training, as Merlion does). */
    const strip = (j: unknown) =>
      JSON.stringify(j, (k, v) => (k === 'calibrator' || k === 'anchorsX' || k === 'anchorsY' ? null : v));
    const once = defaultDetector({ seed: 2 });
    once.train(train);
    const twice = defaultDetector({ seed: 2 });
    twice.train(first);
    twice.train(train);
    expect(JSON.stringify(twice.toJSON())).not.toBe(JSON.stringify(once.toJSON()));
    expect(strip(twice.toJSON())).toBe(strip(once.toJSON()));
    // with retrainCalibrator on the members that own a calibrator: the same model file, bit for bit
    const retrain = { postRuleTrain: { retrainCalibrator: true } };
    const make = () => defaultDetector({ seed: 2, rcf: retrain, zms: retrain });
    const onceR = make();
    onceR.train(train);
    const twiceR = make();
    twiceR.train(first);
    twiceR.train(train);
    expect(JSON.stringify(twiceR.toJSON())).toBe(JSON.stringify(onceR.toJSON()));
    expect(Array.from(twiceR.score(test, { prev: train }).v)).toEqual(
      Array.from(onceR.score(test, { prev: train }).v),
    );
  });

  it('is deterministic for a seed, and its model file reloads and streams bit for bit', () => {
    const a = defaultDetector({ seed: 3 });
    const b = defaultDetector({ seed: 3 });
    a.train(train);
    b.train(train);
    const json = JSON.parse(JSON.stringify(a.toJSON()));
    expect(JSON.stringify(b.toJSON())).toBe(JSON.stringify(json));
    expectSameStream(a, loadModel(json), test);
  });

  it('still loads and streams the model files of the three-member default (before round 5)', () => {
    const a = defaultDetector({ seed: 4, flatLine: false, seasonal: false, drift: false });
    a.train(train);
    const json = JSON.parse(JSON.stringify(a.toJSON()));
    expect(json.config.members.map((m: { type: string }) => m.type)).toEqual([
      'EtsDetector',
      'RandomCutForest',
      'ZmsDetector',
    ]);
    expectSameStream(a, loadModel(json), test);
  });
});

describe('defaultDetector: the seasonal-change member (round 10c)', () => {
  // 15-minute steps, a daily cycle (amplitude 10, noise sd 1); 10 days of training, then the cycle runs
  // 2.5× as fast for 100 points (25 hours) from day 14
  const r = new Rng(3);
  const n = 2000;
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    t[i] = Date.UTC(2024, 0, 1) + i * 900_000;
    phase += (2 * Math.PI * 900_000 * (i >= 1350 && i < 1450 ? 2.5 : 1)) / 86_400_000;
    v[i] = 50 + 10 * Math.sin(phase) + gaussOne(r);
  }
  const train = { t: t.subarray(0, 960), v: v.subarray(0, 960) };
  const test = { t: t.subarray(960), v: v.subarray(960) };

  it('scores the maximum of the default before round 10c and the member, which is 0 below 3', () => {
    const d = defaultDetector({ seed: 1, drift: false });
    const before = defaultDetector({ seed: 1, seasonal: false, drift: false });
    const member = new SeasonalChangeDetector({ floor: 3, enableThreshold: false, seed: 1 });
    d.train(train);
    before.train(train);
    member.train(train);
    const a = d.score(test, { prev: train }).v;
    const b = before.score(test, { prev: train }).v;
    const m = member.score(test, { prev: train }).v;
    let spoke = 0;
    for (let i = 0; i < a.length; i++) {
      if (m[i] !== 0) spoke++;
      expect(m[i] === 0 || m[i] >= 3).toBe(true);
      if (!Object.is(a[i], Math.max(Math.abs(b[i]), m[i]))) expect.fail(`point ${i}: ${a[i]}`);
    }
    expect(spoke).toBeGreaterThan(0);
  });

  it('raises an alarm in the changed cycle that the default before round 10c does not', () => {
    const inWindow = (x: { t: number }) => x.t >= t[1350] && x.t <= t[1450 + 96];
    const d = defaultDetector({ seed: 1 });
    // the default before round 10c had no daily harmonic either (round 44, harm45): with it, the level
    // member alone would alarm in this changed cycle
    const before = defaultDetector({
      seed: 1,
      seasonal: false,
      drift: false,
      zms: { dailyHarmonics: undefined },
    });
    d.train(train);
    before.train(train);
    expect(d.detect(test, { prev: train }).alarms.some(inWindow)).toBe(true);
    expect(before.detect(test, { prev: train }).alarms.some(inWindow)).toBe(false);
  });

  it('its model file reloads and streams bit for bit', () => {
    const d = defaultDetector({ seed: 1 });
    d.train(train);
    expectSameStream(d, loadModel(JSON.parse(JSON.stringify(d.toJSON()))), test);
  });
});

describe('defaultDetector: round 11 options (etsAlone, strong single alarms, full window)', () => {
  const all = syntheticSeries(1200);
  const train = { t: all.t.slice(0, 800), v: all.v.slice(0, 800) };
  const test = { t: all.t.slice(800), v: all.v.slice(800) };
  // a one-point dip of 8 in the test part, which the forecast member sees
  const v = Float64Array.from(test.v);
  v[200] -= 8;
  const dipped = { t: test.t, v };
  const opts = { etsAlone: 4, threshold: { fullWindow: true, strongThreshold: 3.5 } } as const;

  it('without them (etsAlone false, strongThreshold and countPoints undefined) the model file writes none of their fields, as before round 12c', () => {
    const d = defaultDetector({
      seed: 2,
      etsAlone: false,
      threshold: { strongThreshold: undefined, countPoints: undefined },
    });
    d.train(train);
    const text = JSON.stringify(d.toJSON());
    for (const k of ['"alone"', '"strongThreshold"', '"fullWindow"', '"countPoints"'])
      expect(text).not.toContain(k);
  });

  it('the default since round 17: strong single alarms at 4.5 (5.5 in round 12c), the ETS member alone from 4.5, raw alarms counted over 8 points too', () => {
    const d = defaultDetector({ seed: 2 });
    d.train(train);
    const text = JSON.stringify(d.toJSON());
    expect(text).toContain(`"strongThreshold":${DEFAULT_STRONG_THRESHOLD}`);
    expect(text).toContain(`"alone":{"at":[${DEFAULT_ETS_ALONE},null,null],"level":3}`);
    expect(text).toContain(`"countPoints":${DEFAULT_COUNT_POINTS}`);
    expect(text).not.toContain('"fullWindow"');
    expect([DEFAULT_STRONG_THRESHOLD, DEFAULT_ETS_ALONE, DEFAULT_COUNT_POINTS]).toEqual([4.5, 4.5, 8]);
    expectSameStream(d, loadModel(JSON.parse(JSON.stringify(d.toJSON()))), dipped);
  });

  it("with etsAlone the scores are the default's wherever they stay below the alarm level, else not lower", () => {
    // the level member on the value, as when the path was added (round 11): with harm45's daily harmonic, on
    // this series the mean is already at or above the path's level wherever the ETS member reaches 4 (the
    // same ETS member), so nothing would be lifted and the last check could not show the path acting
    const zms = { dailyHarmonics: undefined };
    const a = defaultDetector({ seed: 2, etsAlone: false, zms });
    const b = defaultDetector({ seed: 2, etsAlone: 4, zms });
    a.train(train);
    b.train(train);
    const sa = a.score(dipped, { prev: train }).v;
    const sb = b.score(dipped, { prev: train }).v;
    for (let i = 0; i < sa.length; i++) {
      if (Math.abs(sb[i]) < 3 && !Object.is(sa[i], sb[i])) expect.fail(`point ${i}: ${sa[i]} vs ${sb[i]}`);
      expect(Math.abs(sb[i])).toBeGreaterThanOrEqual(Math.abs(sa[i]));
    }
    // and the path does act: somewhere (the dip) the ETS member alone lifts the score to the alarm level
    const lifted = [...sb.keys()].filter((i) => Math.abs(sb[i]) >= 3 && Math.abs(sb[i]) > Math.abs(sa[i]));
    expect(lifted.length).toBeGreaterThan(0);
  });

  it('refuses a config that is not an object with a ConfigError that says what to pass', () => {
    for (const bad of [null, 3, 'seed', [1]]) {
      expect(() => defaultDetector(bad as never)).toThrow(ConfigError);
      expect(() => defaultDetector(bad as never)).toThrow(/defaultDetector: the config must be an object/);
    }
    expect(() => defaultDetector(undefined)).not.toThrow();
  });

  it('refuses an unknown top-level key, naming it and the closest known key', () => {
    expect(() => defaultDetector({ sede: 1 } as never)).toThrow(ConfigError);
    expect(() => defaultDetector({ sede: 1 } as never)).toThrow(
      /unknown config key "sede" \(did you mean "seed"\?\)/,
    );
    expect(() => defaultDetector({ Drift: false } as never)).toThrow(/did you mean "drift"/);
    expect(() => defaultDetector({ banana: 1 } as never)).toThrow(
      /unknown config key "banana"; the keys are seed,/,
    );
  });

  it('refuses a threshold that is not an object, saying it must be one', () => {
    for (const bad of ['high', 4, null]) {
      expect(() => defaultDetector({ threshold: bad as never })).toThrow(ConfigError);
      expect(() => defaultDetector({ threshold: bad as never })).toThrow(
        /threshold must be an object of alarm-rule overrides/,
      );
      expect(() => defaultDetector({ threshold: bad as never })).not.toThrow(/Unrecognized keys/);
    }
  });

  it('shows the value it refuses as written: NaN and Infinity by name, not as JSON null (fix41)', () => {
    expect(() => defaultDetector({ threshold: Number.NaN as never })).toThrow(/overrides .*, got NaN$/);
    expect(() => defaultDetector({ threshold: -Infinity as never })).toThrow(/, got -Infinity$/);
    expect(() => defaultDetector({ threshold: 'high' as never })).toThrow(/, got "high"$/);
    expect(() => defaultDetector(Number.NaN as never)).toThrow(/\(or nothing, for the defaults\), got NaN$/);
  });

  it('names the threshold field the user set, not the inner part it reaches first', () => {
    const f = () => defaultDetector({ threshold: { almThreshold: 'x' as never } });
    expect(f).toThrow(ConfigError);
    expect(f).toThrow(/threshold field almThreshold/);
    expect(f).not.toThrow(/combiner/);
    expect(() => defaultDetector({ threshold: { almThreshol: 4 } as never })).toThrow(
      /unknown threshold field "almThreshol" \(did you mean "almThreshold"\?\)/,
    );
    // overrides that were valid stay valid (undefined: none)
    expect(() =>
      defaultDetector({ threshold: { strongThreshold: undefined, countPoints: undefined } }),
    ).not.toThrow();
  });

  it('refuses a bad etsAlone with a ConfigError that names it', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => defaultDetector({ etsAlone: bad })).toThrow(ConfigError);
      expect(() => defaultDetector({ etsAlone: bad })).toThrow(/use false for the plain mean/);
      expect(() => defaultDetector({ etsAlone: bad })).toThrow(/etsAlone must be a finite number > 0/);
    }
  });

  it('refuses a strongThreshold at or below almThreshold (every raw alarm would fire alone), naming the fix', () => {
    // an almThreshold raised above the default strong level would silently drop the two-exceedance rule
    expect(() => defaultDetector({ threshold: { almThreshold: 6 } })).toThrow(ConfigError);
    expect(() => defaultDetector({ threshold: { almThreshold: 6 } })).toThrow(
      /strongThreshold \(4\.5, the default\) must be above threshold\.almThreshold \(6\)/,
    );
    expect(() => defaultDetector({ threshold: { almThreshold: 5.5 } })).toThrow(ConfigError);
    expect(() => defaultDetector({ threshold: { strongThreshold: 3 } })).toThrow(
      /strongThreshold \(3\) must be above threshold\.almThreshold \(3\).*minAlmInWindow: 1/,
    );
    // the ways out the message names build
    for (const threshold of [
      { almThreshold: 6, strongThreshold: 8 },
      { almThreshold: 6, strongThreshold: undefined },
      { strongThreshold: 3.01 },
      { almThreshold: null },
    ]) {
      expect(defaultDetector({ threshold }).config.threshold).toMatchObject(threshold);
    }
  });

  it('the model file keeps the options and reloads and streams bit for bit', () => {
    const d = defaultDetector({ seed: 2, ...opts });
    d.train(train);
    const json = JSON.parse(JSON.stringify(d.toJSON()));
    const text = JSON.stringify(json);
    for (const k of ['"alone"', '"strongThreshold"', '"fullWindow"']) expect(text).toContain(k);
    expectSameStream(d, loadModel(json), dipped);
  });
});

type Streamable = ReturnType<typeof loadModel>;

/** The two detectors stream the test part to the same scores (bit for bit) and alarms. */
function expectSameStream(a: Streamable, c: Streamable, test: { t: Float64Array; v: Float64Array }): void {
  const sa = a.stream();
  const sc = c.stream();
  for (let i = 0; i < test.t.length; i++) {
    const ra = sa.push(test.t[i], test.v[i]);
    const rc = sc.push(test.t[i], test.v[i]);
    if (!Object.is(ra.score, rc.score) || ra.alarm !== rc.alarm) expect.fail(`point ${i} differs`);
  }
}
