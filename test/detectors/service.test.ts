/**
 * The service story: train once, register, `tracker.loadModel('models:/x@champion')` → `.stream()` →
 * `push()` per point, checkpoint per series, survive a restart; and a long gap never breaks a stream.
 */
import { describe, expect, it } from 'vitest';
import type { StreamResult } from '../../src/detectors/index.js';
import { defaultDetector, EtsDetector, IsolationForest, loadModel } from '../../src/detectors/index.js';
import { DetectorError, ModelFormatError, openTracker } from '../../src/index.js';
import { lcg, seededSeries } from '../helpers/random.js';

const SEC = 1000;
const T0 = Date.UTC(2024, 0, 1);

/** 1-second data: a slow wave plus deterministic noise. */
function seconds(n: number, start: number, seed = 1) {
  return seededSeries(n, SEC, start, lcg(seed), (i, u) => 20 + 3 * Math.sin(i / 60) + (u - 0.5));
}

describe('a 1-second model through a two-day gap', () => {
  const train = seconds(2000, T0);
  const after = train.t[train.t.length - 1] + 2 * 86_400 * SEC;
  const later = seconds(50, after, 7);

  it('the default detector keeps scoring; the first push after the gap carries the reset event', () => {
    const d = defaultDetector({ rcf: { nEstimators: 10 } }, { onWarning: () => {} });
    d.train(train);
    const s = d.stream();
    const results: StreamResult[] = [];
    for (let i = 0; i < later.t.length; i++) results.push(s.push(later.t[i], later.v[i]));
    expect(results[0].reset).toBe(true);
    expect(results.slice(1).every((r) => !r.reset)).toBe(true);
    for (const r of results) expect(Number.isFinite(r.score)).toBe(true);
  });

  it("gap policy 'error' refuses the point with a typed error and changes nothing", () => {
    const d = new EtsDetector();
    d.train(train);
    const s = d.stream({ gap: 'error' });
    expect(() => s.push(later.t[0], later.v[0])).toThrowError(DetectorError);
    try {
      s.push(later.t[0], later.v[0]);
    } catch (e) {
      expect((e as DetectorError).code).toBe('gap');
      expect((e as Error).message).toMatch(/gap/);
    }
    // the stream is unchanged: a point inside the bridgeable range still scores as on a fresh stream
    const near = train.t[train.t.length - 1] + SEC;
    expect(s.push(near, 20).score).toBe(d.stream().push(near, 20).score);
  });

  it('stream({ warmup }) starts from recent data: the same as learning it point by point', () => {
    const d = new EtsDetector();
    d.train(train);
    const recent = seconds(30, after - 30 * SEC, 3);
    const a = d.stream({ warmup: recent });
    const b = d.stream();
    for (let i = 0; i < recent.t.length; i++) b.learnOne(recent.t[i], recent.v[i]);
    for (let i = 0; i < later.t.length; i++) {
      const ra = a.push(later.t[i], later.v[i]);
      const rb = b.push(later.t[i], later.v[i]);
      expect(Object.is(ra.score, rb.score)).toBe(true);
      expect(ra.reset).toBe(false);
    }
  });
});

describe('stream options', () => {
  it('a checkpoint or an unknown option passed to stream() is refused, not ignored (a silent fresh stream)', () => {
    const d = new IsolationForest({ seed: 1 });
    const data = seconds(400, T0);
    d.train(data);
    const s = d.stream();
    s.push(data.t[399] + SEC, 21);
    const checkpoint = s.toJSON();
    const other = new IsolationForest({ seed: 2 });
    other.train(data);
    const refuse = (f: () => unknown, pattern: RegExp) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(DetectorError);
        expect((e as DetectorError).code).toBe('bad_option');
        expect((e as Error).message).toMatch(pattern);
        return;
      }
      throw new Error('expected a DetectorError');
    };
    const asOptions = checkpoint as unknown as Parameters<typeof d.stream>[0];
    refuse(() => other.stream(asOptions), /was given a model file.*loadModel\(checkpoint\)\.stream\(\)/);
    refuse(
      () => d.stream({ gap: 'reset', warmUp: data } as unknown as Parameters<typeof d.stream>[0]),
      /unknown stream option "warmUp".*gap, warmup/,
    );
    refuse(() => d.stream('error' as unknown as Parameters<typeof d.stream>[0]), /options object/);
    // the documented way resumes the checkpoint bit for bit
    const resumed = loadModel(checkpoint).stream();
    expect(resumed.push(data.t[399] + 2 * SEC, 22).score).toBe(s.push(data.t[399] + 2 * SEC, 22).score);
  });
});

describe('train once, register, load from the registry, stream, checkpoint, restart', () => {
  it('a service streams the registered model and resumes bit for bit from a checkpoint', async () => {
    const train = seconds(1500, T0);
    const live = seconds(200, train.t[train.t.length - 1] + SEC, 5);
    const det = defaultDetector({ rcf: { nEstimators: 10 } }, { onWarning: () => {} });
    det.train(train);
    const tracker = openTracker('memory:');
    try {
      const runId = await tracker.run({ experiment: 'svc' }, async (run) => {
        await run.logModel(det);
        return run.id;
      });
      const v = await tracker.registerModel('x', runId);
      await tracker.setAlias('x', 'champion', v.version);
      // typed Detector: .stream() needs no cast
      const model = await tracker.loadModel('models:/x@champion');
      const s = model.stream();
      const all: StreamResult[] = [];
      let checkpoint = '';
      for (let i = 0; i < live.t.length; i++) {
        all.push(s.push(live.t[i], live.v[i]));
        if (i === 119) checkpoint = JSON.stringify(s.toJSON());
      }
      // restart: a new process reads the checkpoint and continues
      const resumed = loadModel(JSON.parse(checkpoint)).stream();
      for (let i = 120; i < live.t.length; i++) {
        const r = resumed.push(live.t[i], live.v[i]);
        expect(Object.is(r.score, all[i].score)).toBe(true);
        expect(r.alarm).toBe(all[i].alarm);
      }
      // the registered model itself did not move: a new stream starts from the end of training
      const fresh = model.stream().push(live.t[0], live.v[0]);
      expect(Object.is(fresh.score, all[0].score)).toBe(true);
    } finally {
      await tracker.close();
    }
  });

  it('typed loaders return their class and refuse other types', () => {
    const d = new IsolationForest({ nEstimators: 10 });
    d.train(seconds(300, T0));
    const json = d.toJSON();
    const back: IsolationForest = IsolationForest.load(JSON.stringify(json));
    expect(back.forest?.nTrees).toBe(10);
    expect(() => EtsDetector.load(json)).toThrowError(ModelFormatError);
    expect(() => EtsDetector.load(json)).toThrowError(
      /expected a model file of type EtsDetector, got type "IsolationForest"/,
    );
  });
});

describe('friendlier input', () => {
  it('train/score/detect take { t, v } with plain arrays (numbers, Dates, ISO strings)', () => {
    const ts = seconds(400, T0);
    const a = new IsolationForest({ nEstimators: 10 });
    a.train(ts);
    const b = new IsolationForest({ nEstimators: 10 });
    b.train({ t: Array.from(ts.t, (x) => new Date(x)), v: Array.from(ts.v) });
    const iso = { t: Array.from(ts.t, (x) => new Date(x).toISOString()), v: Array.from(ts.v) };
    expect(Array.from(b.score(iso).v)).toEqual(Array.from(a.score(ts).v));
    expect(b.detect({ t: Array.from(ts.t), v: Array.from(ts.v) }).alarms).toEqual(a.detect(ts).alarms);
  });

  it('labels must be 0/1 and overlap the data', () => {
    const ts = seconds(300, T0);
    const d = new IsolationForest({ nEstimators: 5 });
    expect(() => d.train(ts, { labels: { t: ts.t, v: ts.v.map((_, i) => (i === 4 ? 7 : 0)) } })).toThrowError(
      /value 7 at index 4/,
    );
    const later = seconds(10, T0 + 10 * 86_400_000);
    expect(() => d.train(ts, { labels: { t: later.t, v: new Float64Array(10) } })).toThrowError(
      /do not overlap/,
    );
  });
});
