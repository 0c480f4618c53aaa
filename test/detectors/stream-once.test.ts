/**
 * `streamOnce` (src/detectors/stream-once.ts): the internal stream of a runner that trains a detector,
 * streams it once and drops it. It must give exactly `stream()`'s results (the stream runs on the
 * detector's own state instead of a copy), and the detector, an ensemble's members included, must refuse
 * every later use with a typed error rather than share its state with the stream.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { Detector, StreamResult, StreamScorer } from '../../src/detectors/index.js';
import {
  BaseDetector,
  CutForest,
  defaultDetector,
  Ensemble,
  IsolationForest,
  NabStreamDetector,
  RandomCutForest,
  ZmsDetector,
} from '../../src/detectors/index.js';
import { DetectorError } from '../../src/index.js';
import { DailyProfileLevel, runNabStream, streamOnce } from '../../src/internal.js';
import type { TimeSeries } from '../../src/series/index.js';
import { lcg } from '../helpers/random.js';

const MIN = 60_000;

/** A third-party detector: tsad's ZMS behind the public interface only (no tsad base class). */
function foreign(seed: number): Detector {
  const d = new ZmsDetector({ seed });
  return {
    type: 'ForeignZms',
    config: d.config,
    train: (ts, o) => d.train(ts, o),
    score: (ts, o) => d.score(ts, o),
    detect: (ts, o) => d.detect(ts, o),
    update: (ts) => d.update(ts),
    stream: (o) => d.stream(o),
    toJSON: () => d.toJSON(),
  };
}

const smallRcf = (seed: number, onlineUpdates: boolean) =>
  new RandomCutForest({ seed, nEstimators: 4, maxNSamples: 32, onlineUpdates });

/** Detector recipes, with the objects whose later use must be refused (the detector, its members). */
const RECIPES: Record<string, (seed: number) => { det: Detector; parts: Detector[] }> = {
  rcfOnline: (s) => {
    const d = smallRcf(s, true);
    return { det: d, parts: [d] };
  },
  rcfFrozen: (s) => {
    const d = smallRcf(s, false);
    return { det: d, parts: [d] };
  },
  zms: (s) => {
    const d = new ZmsDetector({ seed: s });
    return { det: d, parts: [d] };
  },
  isolationForest: (s) => {
    const d = new IsolationForest({ seed: s, nEstimators: 8 });
    return { det: d, parts: [d] };
  },
  nabStream: () => {
    const d = new NabStreamDetector();
    return { det: d, parts: [d] };
  },
  nestedEnsemble: (s) => {
    const rcf = smallRcf(s, true);
    const zms = new ZmsDetector({ seed: s });
    const inner = new Ensemble({ members: [rcf, zms], enableThreshold: false, seed: s });
    const nab = new NabStreamDetector();
    const outer = new Ensemble({ members: [inner, nab], combiner: { type: 'max', absScore: true }, seed: s });
    return { det: outer, parts: [outer, inner, rcf, zms, nab] };
  },
  withThirdParty: (s) => {
    const rcf = smallRcf(s, true);
    const e = new Ensemble({ members: [rcf, foreign(s)], seed: s });
    return { det: e, parts: [e, rcf] };
  },
  default: (s) => {
    const d = defaultDetector({ seed: s, rcf: { nEstimators: 4, maxNSamples: 32 } });
    return { det: d, parts: [d, ...(d as Ensemble).members] };
  },
  labWrapper: (s) => {
    const inner = new ZmsDetector({ nLags: 0, enableThreshold: false, seed: s });
    return { det: new DailyProfileLevel(inner), parts: [inner] };
  },
};

/** A noisy daily cycle with a few spikes and a level shift, 5-minute points, some times skipped. */
function makeSeries(seed: number, n: number): TimeSeries {
  const r = lcg(seed);
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let now = Date.UTC(2024, 0, 1);
  for (let i = 0; i < n; i++) {
    now += (r() < 0.05 ? 2 : 1) * 5 * MIN;
    t[i] = now;
    v[i] = 10 * Math.sin((2 * Math.PI * now) / 86_400_000) + 2 * r() + (i > n * 0.8 ? 6 : 0);
    if (r() < 0.01) v[i] += 40;
  }
  return { t, v };
}

function pushAll(st: StreamScorer, ts: TimeSeries): StreamResult[] {
  const out: StreamResult[] = [];
  for (let i = 0; i < ts.t.length; i++) out.push(st.push(ts.t[i], ts.v[i]));
  return out;
}

/** Bit-for-bit equality of two runs' results (NaN equals NaN, −0 differs from 0). */
function expectSame(a: StreamResult[], b: StreamResult[]): void {
  expect(b.length).toBe(a.length);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i].score, b[i].score) || a[i].alarm !== b[i].alarm || a[i].reset !== b[i].reset)
      expect({ i, ...b[i] }).toEqual({ i, ...a[i] });
  }
}

function refusesUse(d: Detector, data: TimeSeries): void {
  const calls: [string, () => unknown][] = [
    ['train', () => d.train(data)],
    ['score', () => d.score(data)],
    ['detect', () => d.detect(data)],
    ['update', () => d.update(data)],
    ['stream', () => d.stream()],
    ['toJSON', () => d.toJSON()],
    ['streamOnce', () => streamOnce(d)],
  ];
  if (d instanceof BaseDetector) {
    calls.push(
      ['cloneOnline', () => d.cloneOnline()],
      ['openStream', () => d.openStream()],
      ['scoreInPlace', () => d.scoreInPlace(data)],
      ['applyRule', () => d.applyRule(data)],
      ['restoreState', () => d.restoreState({})],
    );
  }
  for (const [name, call] of calls) {
    let caught: unknown;
    try {
      call();
    } catch (e) {
      caught = e;
    }
    expect(caught, `${d.type}.${name}`).toBeInstanceOf(DetectorError);
    expect((caught as DetectorError).code, `${d.type}.${name}`).toBe('internal');
    expect((caught as DetectorError).message).toMatch(/streamOnce/);
  }
}

describe('streamOnce', () => {
  it("gives stream()'s results and checkpoint bit for bit, and leaves the detector and its members unusable (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(RECIPES)),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 300, max: 500 }),
        fc.integer({ min: 20, max: 200 }),
        (recipe, seed, nTrain, nTest) => {
          const all = makeSeries(seed, nTrain + nTest);
          const train = { t: all.t.subarray(0, nTrain), v: all.v.subarray(0, nTrain) };
          const test = { t: all.t.subarray(nTrain), v: all.v.subarray(nTrain) };
          const { det, parts } = RECIPES[recipe](seed);
          det.train(train);
          const copy = det.stream();
          const want = pushAll(copy, test);
          const own = streamOnce(det);
          expectSame(want, pushAll(own, test));
          if (recipe !== 'labWrapper') expect(own.toJSON()).toEqual(copy.toJSON());
          for (const p of parts) refusesUse(p, test);
        },
      ),
      { numRuns: 24, seed: 4301 },
    );
  });

  it('copies no forest (what stream() copies once per online forest)', () => {
    const all = makeSeries(9, 500);
    const train = { t: all.t.subarray(0, 400), v: all.v.subarray(0, 400) };
    const clone = vi.spyOn(CutForest.prototype, 'clone');
    try {
      for (const recipe of ['rcfOnline', 'nestedEnsemble', 'withThirdParty']) {
        const d = RECIPES[recipe](9).det;
        d.train(train);
        clone.mockClear();
        d.stream();
        expect(clone, recipe).toHaveBeenCalledTimes(1);
        clone.mockClear();
        streamOnce(d);
        expect(clone, recipe).not.toHaveBeenCalled();
      }
    } finally {
      clone.mockRestore();
    }
  });

  it('a stream once with warm-up and the error gap policy equals the copy-stream', () => {
    const all = makeSeries(7, 700);
    const train = { t: all.t.subarray(0, 400), v: all.v.subarray(0, 400) };
    const warm = { t: all.t.subarray(400, 450), v: all.v.subarray(400, 450) };
    const test = { t: all.t.subarray(450), v: all.v.subarray(450) };
    const d = RECIPES.default(7).det;
    d.train(train);
    const want = pushAll(d.stream({ warmup: warm, gap: 'error' }), test);
    expectSame(want, pushAll(streamOnce(d, { warmup: warm, gap: 'error' }), test));
  });

  it('a refused call (untrained, bad option) takes nothing: the detector stays usable', () => {
    const all = makeSeries(3, 500);
    const train = { t: all.t.subarray(0, 400), v: all.v.subarray(0, 400) };
    const test = { t: all.t.subarray(400), v: all.v.subarray(400) };
    const d = RECIPES.nestedEnsemble(3).det;
    expect(() => streamOnce(d)).toThrow(expect.objectContaining({ code: 'not_trained' }));
    d.train(train);
    expect(() => streamOnce(d, { gap: 'never' as 'error' })).toThrow(
      expect.objectContaining({ code: 'bad_option' }),
    );
    expect(() => streamOnce(d, { warmup: { t: new Float64Array([1]), v: new Float64Array(0) } })).toThrow(
      DetectorError,
    );
    const want = pushAll(d.stream(), test);
    expectSame(want, pushAll(streamOnce(d), test));
  });

  it('a third-party detector streams through its own stream() and stays usable', () => {
    const all = makeSeries(5, 500);
    const train = { t: all.t.subarray(0, 400), v: all.v.subarray(0, 400) };
    const test = { t: all.t.subarray(400), v: all.v.subarray(400) };
    const d = foreign(5);
    d.train(train);
    const want = pushAll(d.stream(), test);
    expectSame(want, pushAll(streamOnce(d), test));
    expectSame(want, pushAll(d.stream(), test));
  });

  it('the NAB runner streams its detector and its partner once: neither is usable after the run', () => {
    const all = makeSeries(11, 1200);
    const det = RECIPES.default(11).det;
    const partner = RECIPES.rcfOnline(11).det;
    runNabStream(det, all, all, [], 'peakMax', partner);
    refusesUse(det, all);
    refusesUse(partner, all);
  });
});
