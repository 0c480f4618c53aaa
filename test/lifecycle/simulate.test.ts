import { describe, expect, it } from 'vitest';
import type { Detector } from '../../src/detectors/index.js';
import { loadModel, ZmsDetector } from '../../src/detectors/index.js';
import { runMachineTemperature, SPLIT_TIME, TEST_WINDOWS, toSeries } from '../../src/internal.js';
import '../../src/index.js';
import { loadNab } from '../../src/datasets/index.js';
import { makeDetector } from '../../src/internal.js';
import { simulate } from '../../src/lifecycle/index.js';
import type { TimeSeries } from '../../src/series/index.js';
import { dateBin } from '../../src/series/index.js';
import { datasetDigest, openMemoryTracker } from '../../src/tracking/index.js';
import { expectBadLabelWindow } from '../helpers/label-windows.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 0, 1);

/** 10 days of 15-minute points: a daily sine plus deterministic noise; a level shift from day 7 on. */
function synthetic(shiftFromDay = 7, shift = 0): TimeSeries {
  const n = 10 * 96;
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = T0 + i * 15 * 60_000;
    const noise = Math.sin(i * 12.9898) * 0.3;
    v[i] = 10 + Math.sin((2 * Math.PI * i) / 96) + noise + (t[i] >= T0 + shiftFromDay * DAY ? shift : 0);
  }
  return { t, v };
}

/** A ZMS detector whose train() records the slice it was given. */
function recordingFactory(log: TimeSeries[]): () => Detector {
  return () => {
    const d = new ZmsDetector({ seed: 0 });
    return {
      get type() {
        return d.type;
      },
      get config() {
        return d.config;
      },
      train: (ts, o) => {
        const s = toSeries(ts, 'recording train');
        log.push({ t: s.t.slice(), v: s.v.slice() });
        return d.train(s, o);
      },
      update: (ts) => d.update(ts),
      score: (ts, o) => d.score(ts, o),
      detect: (ts, o) => d.detect(ts, o),
      stream: (o) => d.stream(o),
      toJSON: () => d.toJSON(),
    };
  };
}

describe('simulate', () => {
  it('retrains on schedule, each model trained only on data before it goes live (sliding and expanding)', async () => {
    const ts = synthetic();
    for (const trainWindow of ['expanding', 'sliding:2d'] as const) {
      const slices: TimeSeries[] = [];
      const r = await simulate(recordingFactory(slices), ts, {
        initialTrainEnd: T0 + 3 * DAY,
        retrainEvery: '1d',
        trainWindow,
      });
      expect(r.retrains.map((x) => x.reason)).toEqual(['initial', ...Array(6).fill('schedule')]);
      expect(slices).toHaveLength(7);
      for (const [k, rec] of r.retrains.entries()) {
        const s = slices[k];
        expect(s.t[s.t.length - 1]).toBeLessThan(rec.liveFrom);
        expect(rec.trainTo).toBe(s.t[s.t.length - 1]);
        if (k > 0) {
          expect(rec.liveFrom).toBe(T0 + (3 + k) * DAY); // the first point at or after t0 + k·1d
          if (trainWindow === 'expanding') expect(s.t[0]).toBe(T0);
          else expect(s.t[0]).toBeGreaterThanOrEqual(rec.liveFrom - 2 * DAY);
        } else expect(s.t.length).toBe(3 * 96); // the first model sees all the initial data
      }
      expect(r.scores.t[0]).toBe(T0 + 3 * DAY);
      expect(r.scores.t.length).toBe(7 * 96);
    }
  });

  it('no look-ahead: changing the future never changes a past score', async () => {
    const a = synthetic();
    const b = synthetic(8, 25); // identical until day 8, then shifted
    const opts = { initialTrainEnd: T0 + 3 * DAY, retrainEvery: '1d', trainWindow: 'sliding:2d' } as const;
    const ra = await simulate(() => new ZmsDetector({ seed: 0 }), a, opts);
    const rb = await simulate(() => new ZmsDetector({ seed: 0 }), b, opts);
    const cut = 5 * 96; // day 8 is index 5·96 of the scored part
    expect(Array.from(rb.scores.v.subarray(0, cut))).toEqual(Array.from(ra.scores.v.subarray(0, cut)));
    expect(Array.from(rb.scores.v.subarray(cut))).not.toEqual(Array.from(ra.scores.v.subarray(cut)));
  });

  it('trainIn workers: scheduled retrains trained ahead on worker threads give the in-line results', async () => {
    const ts = synthetic(6, 3);
    const opts = { initialTrainEnd: T0 + 3 * DAY, retrainEvery: '12h', trainWindow: 'sliding:2d' } as const;
    const inline = await simulate(() => makeDetector('zms', { seed: 3 }), ts, opts);
    const workers = await simulate(() => makeDetector('zms', { seed: 3 }), ts, {
      ...opts,
      trainIn: { recipe: 'zms', seed: 3, workers: 2 },
    });
    expect(workers.retrains.map((r) => [r.liveFrom, r.trainFrom, r.rows])).toEqual(
      inline.retrains.map((r) => [r.liveFrom, r.trainFrom, r.rows]),
    );
    expect(workers.retrains).toHaveLength(14);
    expect(workers.scores.v).toEqual(inline.scores.v);
    expect(workers.alarms).toEqual(inline.alarms);
  });

  it('trainIn workers: the default detector (forest, ETS, calibrators) scores each live period exactly as in line', async () => {
    const ts = synthetic(6, 3);
    const opts = {
      initialTrainEnd: T0 + 5 * DAY,
      retrainEvery: '1d',
      trainWindow: 'sliding:4d',
      labels: [[T0 + 6 * DAY, T0 + 6 * DAY + 6 * HOUR]],
    } as const;
    const inline = await simulate(() => makeDetector('default', { seed: 1 }), ts, opts);
    const workers = await simulate(() => makeDetector('default', { seed: 1 }), ts, {
      ...opts,
      trainIn: { recipe: 'default', seed: 1, workers: 2 },
    });
    expect(inline.retrains).toHaveLength(5);
    expect(workers.retrains.map((r) => [r.reason, r.liveFrom, r.trainFrom, r.trainTo, r.rows])).toEqual(
      inline.retrains.map((r) => [r.reason, r.liveFrom, r.trainFrom, r.trainTo, r.rows]),
    );
    expect(workers.scores.v).toEqual(inline.scores.v);
    expect(workers.alarmScores.v).toEqual(inline.alarmScores.v);
    expect(workers.alarms).toEqual(inline.alarms);
    // the report's data (it also carries methods, closures that differ by identity)
    expect(JSON.stringify(workers.report)).toBe(JSON.stringify(inline.report));
    // the scores are the models' own: different from a single model's past the first retrain
    const once = await simulate(() => makeDetector('default', { seed: 1 }), ts, {
      ...opts,
      retrainEvery: 'never',
    });
    expect(Array.from(once.scores.v)).not.toEqual(Array.from(workers.scores.v));
  }, 120_000);

  it('trainIn naming another detector than the factory builds is refused before anything is trained (usab29)', async () => {
    // before: the workers trained the recipe and the factory was never called, so the results were the
    // recipe's models, silently, and a refused retrain then ran the whole simulation again with the factory's
    const ts = synthetic(6, 3);
    const opts = { initialTrainEnd: T0 + 3 * DAY, retrainEvery: '12h', trainWindow: 'sliding:2d' } as const;
    let built = 0;
    const factory = (recipe: string, seed: number) => () => {
      built++;
      return makeDetector(recipe, { seed });
    };
    for (const [made, seed, trainIn, what] of [
      [
        'zms',
        3,
        { recipe: 'default', seed: 3, workers: 1 },
        /the factory builds a detector of type ZmsDetector, but trainIn's recipe "default" \(seed 3\) builds one of type Ensemble/,
      ],
      ['default', 1, { recipe: 'default', seed: 2, workers: 1 }, /configs .* differ at config\.seed: 1 vs 2/],
    ] as const) {
      built = 0;
      const err = await simulate(factory(made, seed), ts, { ...opts, trainIn }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ name: 'LifecycleError', code: 'bad_option' });
      expect((err as Error).message).toMatch(what);
      expect((err as Error).message).toMatch(/pass the recipe and seed the factory builds/);
      expect(built).toBe(1); // built once to compare, never trained
    }
  });

  it('an initialTrainEnd at or before the first point, or after the last, names the range of the series (walk48)', async () => {
    const ts = synthetic();
    const factory = () => new ZmsDetector({ seed: 0 });
    for (const [end, what] of [
      [
        T0,
        /2024-01-01T00:00:00\.000Z leaves no training data: the series runs from 2024-01-01T00:00:00\.000Z to 2024-01-10T23:45:00\.000Z; give a time after its first point/,
      ],
      [
        T0 + 11 * DAY,
        /leaves nothing to score: the series runs from 2024-01-01T00:00:00\.000Z to 2024-01-10T23:45:00\.000Z; give a time up to its last point/,
      ],
    ] as const) {
      const err = await simulate(factory, ts, { initialTrainEnd: end }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ name: 'LifecycleError', code: 'bad_option' });
      expect((err as Error).message).toMatch(what);
    }
  });

  it('labels: a window that is not [start, end] of finite epoch ms, start ≤ end, is refused by its index before anything is trained (fix30)', async () => {
    // before: a NaN end dropped the window silently (its anomaly not counted), a { start, end } object
    // from JS threw a raw TypeError, a string was compared as text
    const ts = synthetic();
    let built = 0;
    const make = () => {
      built++;
      return new ZmsDetector({ seed: 0 });
    };
    const good: [number, number] = [T0 + 8 * DAY, T0 + 8 * DAY + 6 * HOUR];
    for (const [bad, what] of [
      [[T0 + 8 * DAY, Number.NaN], /labels\[1\]: expected \[start, end\] .*got \[\d+,NaN\]/],
      [{ start: T0 + 8 * DAY, end: T0 + 9 * DAY }, /labels\[1\]: expected \[start, end\] .*got an object/],
      [[T0 + 9 * DAY, T0 + 8 * DAY], /labels\[1\]: its end .* is before its start/],
      [
        ['2024-01-09', '2024-01-10'],
        /labels\[1\]: expected \[start, end\] .*got \["2024-01-09","2024-01-10"\]/,
      ],
    ] as const) {
      built = 0;
      await expectBadLabelWindow(
        simulate(make, ts, { initialTrainEnd: T0 + 6 * DAY, labels: [good, bad as never] }),
        what,
      );
      expect(built).toBe(0);
    }
    await expect(simulate(make, ts, { initialTrainEnd: T0 + 6 * DAY, labels: 'x' as never })).rejects.toThrow(
      /labels: expected an array of \[start, end\] windows/,
    );
  });

  it('trainIn workers: a scheduled retrain with too few points keeps the previous model live, as in line', async () => {
    // 10 days with days 5–7 missing: the retrain after the gap has an empty 1-day sliding window
    const full = synthetic();
    const keep = Array.from(full.t, (_t, i) => i).filter(
      (i) => full.t[i] < T0 + 5 * DAY || full.t[i] >= T0 + 8 * DAY,
    );
    const ts = { t: Float64Array.from(keep, (i) => full.t[i]), v: Float64Array.from(keep, (i) => full.v[i]) };
    const opts = { initialTrainEnd: T0 + 3 * DAY, retrainEvery: '1d', trainWindow: 'sliding:1d' } as const;
    const inline = await simulate(() => makeDetector('zms', { seed: 0 }), ts, opts);
    const workers = await simulate(() => makeDetector('zms', { seed: 0 }), ts, {
      ...opts,
      trainIn: { recipe: 'zms', seed: 0, workers: 2 },
    });
    expect(inline.skippedRetrains).toBe(1);
    expect(workers.skippedRetrains).toBe(1);
    expect(workers.retrains.map((r) => [r.liveFrom, r.rows])).toEqual(
      inline.retrains.map((r) => [r.liveFrom, r.rows]),
    );
    expect(workers.scores.v).toEqual(inline.scores.v);
    expect(workers.alarms).toEqual(inline.alarms);
  });

  it('a scheduled retrain that ETS refuses (a stuck sensor: tiny_scale) keeps the previous model live, in line and on workers', async () => {
    // days 5 and 6 hold one constant value: the 1-day windows of the retrains at days 6 and 7 are exact fits
    const ts = synthetic();
    for (let i = 0; i < ts.t.length; i++) if (ts.t[i] >= T0 + 5 * DAY && ts.t[i] < T0 + 7 * DAY) ts.v[i] = 10;
    const opts = { initialTrainEnd: T0 + 3 * DAY, retrainEvery: '1d', trainWindow: 'sliding:1d' } as const;
    const inline = await simulate(() => makeDetector('autoEts', { seed: 0 }), ts, opts);
    const workers = await simulate(() => makeDetector('autoEts', { seed: 0 }), ts, {
      ...opts,
      trainIn: { recipe: 'autoEts', seed: 0, workers: 2 },
    });
    expect(inline.skippedRetrains).toBe(2);
    expect(workers.skippedRetrains).toBe(2);
    expect(workers.retrains.map((r) => [r.liveFrom, r.rows])).toEqual(
      inline.retrains.map((r) => [r.liveFrom, r.rows]),
    );
    expect(workers.scores.v).toEqual(inline.scores.v);
  });

  it('retrainOn drift: a level shift triggers a retrain after it, none before', async () => {
    const ts = synthetic(6, 5);
    const r = await simulate(() => new ZmsDetector({ seed: 0 }), ts, {
      initialTrainEnd: T0 + 3 * DAY,
      retrainOn: 'drift',
      monitor: { window: 96, every: 24 },
    });
    const drift = r.retrains.filter((x) => x.reason === 'drift');
    expect(drift.length).toBeGreaterThan(0);
    expect(drift[0].liveFrom).toBeGreaterThan(T0 + 6 * DAY);
    expect(drift[0].liveFrom).toBeLessThan(T0 + 7 * DAY + 1);
    expect(r.driftChecks.filter((c) => c.t < T0 + 6 * DAY).every((c) => !c.drift)).toBe(true);
  });

  it('tracks a parent run with one child per training: digest of the slice, registered model version', async () => {
    const tracker = openMemoryTracker();
    const ts = synthetic();
    const r = await simulate(() => new ZmsDetector({ seed: 0 }), ts, {
      initialTrainEnd: T0 + 6 * DAY,
      retrainEvery: '1d',
      trainWindow: 'sliding:3d',
      labels: [[T0 + 8 * DAY, T0 + 8 * DAY + 6 * HOUR]],
      tracking: { tracker, experiment: 'sim', modelName: 'sim-model', seriesName: 'synthetic' },
    });
    expect(r.retrains).toHaveLength(4);
    const parent = await tracker.getRun(r.parentRunId as string);
    expect(parent.info.status).toBe('FINISHED');
    expect(parent.data.metrics.retrains.value).toBe(3);
    expect(parent.data.metrics.f1.value).toBe(r.report?.f1);
    expect(parent.data.tags['tsad.model_versions']).toBe('1,2,3,4');
    for (const rec of r.retrains) {
      const child = await tracker.getRun(rec.runId as string);
      expect(child.data.tags['mlflow.parentRunId']).toBe(r.parentRunId);
      const i = ts.t.indexOf(rec.trainFrom);
      const j = ts.t.indexOf(rec.trainTo) + 1;
      const digest = datasetDigest({ t: ts.t.subarray(i, j), v: ts.v.subarray(i, j) });
      expect(child.inputs).toEqual([expect.objectContaining({ digest, rows: j - i, context: 'training' })]);
      const mv = await tracker.getModelVersion('sim-model', rec.modelVersion as number);
      expect(mv.runId).toBe(rec.runId);
    }
    // the version of the last retrain loads and scores like the model that was live
    const last = r.retrains[3];
    const loaded = loadModel(await tracker.loadModelJson(`models:/sim-model/${last.modelVersion}`));
    const k = ts.t.indexOf(last.liveFrom);
    const tail: TimeSeries = { t: ts.t.subarray(k), v: ts.v.subarray(k) };
    const o = r.scores.t.indexOf(last.liveFrom);
    expect(
      Array.from(loaded.score(tail, { prev: { t: ts.t.subarray(0, k), v: ts.v.subarray(0, k) } }).v),
    ).toEqual(Array.from(r.scores.v.subarray(o)));
    await tracker.close();
  });

  it('rejects bad options with the fix in the message', async () => {
    const ts = synthetic();
    const mk = () => new ZmsDetector({ seed: 0 });
    await expect(simulate(mk, ts, { initialTrainEnd: T0, retrainEvery: '1d' })).rejects.toThrow(
      /no training data/,
    );
    await expect(simulate(mk, ts, { initialTrainEnd: T0 + DAY, retrainEvery: 'daily' })).rejects.toThrow(
      /'1d'/,
    );
    await expect(
      simulate(mk, ts, { initialTrainEnd: T0 + DAY, trainWindow: 'rolling' as 'expanding' }),
    ).rejects.toThrow(/sliding/);
  });

  it('train-once on machine temperature gives the experiment’s own alarms and metrics', async () => {
    const exp = await runMachineTemperature({ trackingUri: false, reportPath: false, progress: null });
    const ds = await loadNab('realKnownCause/machine_temperature_system_failure.csv', {
      onWarning: () => {},
    });
    const full = dateBin(ds.rows, { everyMs: 5 * 60_000, aggregate: 'max' });
    const r = await simulate(() => makeDetector('default', { seed: 0 }), full, {
      initialTrainEnd: SPLIT_TIME,
      labels: TEST_WINDOWS,
    });
    expect(r.retrains).toHaveLength(1);
    expect(r.alarms).toEqual(exp.alarms.map(({ t, score }) => ({ t, score })));
    expect(r.report?.f1).toBe(exp.report.f1);
    expect(r.report?.meanTimeToDetectSec).toBe(exp.report.meanTimeToDetectSec);
  });
});
