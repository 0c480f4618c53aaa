import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadNab } from '../../src/datasets/index.js';
import { loadModel, NabStreamDetector } from '../../src/detectors/index.js';
import { ConfigError, DetectorError, ModelFormatError } from '../../src/index.js';
import {
  DETECTOR_RECIPES,
  makeDetector,
  NAB_MAPPING,
  NabStreamCore,
  RollingStats,
  runNabStream,
} from '../../src/internal.js';
import { nabProbationaryLength } from '../../src/metrics/index.js';

const values = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 400 });
/** Small test config: short learning so the properties exercise every stage. */
const small = { learningPeriod: 5, binPeriod: 8, historyWindow: 50, averagingWindow: 3, restPeriod: 4 };

function runCore(xs: readonly number[], cfg = small): number[] {
  const core = new NabStreamCore(cfg);
  return xs.map((x) => core.push(x));
}

function seriesOf(xs: readonly number[], start = 0): { t: Float64Array; v: Float64Array } {
  return { t: Float64Array.from(xs, (_, i) => (start + i) * 60_000), v: Float64Array.from(xs) };
}

describe('RollingStats', () => {
  it('gives the mean and population variance of the last cap values', () => {
    fc.assert(
      fc.property(values, fc.integer({ min: 2, max: 30 }), (xs, cap) => {
        const r = new RollingStats(cap);
        for (const x of xs) r.push(x);
        const w = xs.slice(-cap);
        const m = w.reduce((a, b) => a + b, 0) / w.length;
        const v = w.length < 2 ? 0 : w.reduce((a, b) => a + (b - m) ** 2, 0) / w.length;
        expect(r.mean).toBeCloseTo(m, 3);
        const scale = Math.max(1, ...xs.map((x) => x * x));
        expect(Math.abs(r.variance - v)).toBeLessThanOrEqual(1e-9 * scale);
      }),
    );
  });
});

describe('NabStreamCore', () => {
  it('outputs NAB anomaly scores in [0, 1]', () => {
    fc.assert(
      fc.property(values, (xs) => {
        for (const s of runCore(xs)) expect(s >= 0 && s <= 1).toBe(true);
      }),
    );
  });

  it('has no look-ahead: the scores of a prefix do not change when later data is appended', () => {
    fc.assert(
      fc.property(values, values, (a, b) => {
        expect(runCore([...a, ...b]).slice(0, a.length)).toEqual(runCore(a));
      }),
    );
  });

  it('with the z-score surprises on (value and first difference) stays in [0, 1] and causal', () => {
    const cfg = { ...small, zWeight: 1, diffWeight: 0.5, zWindow: 20 };
    fc.assert(
      fc.property(values, values, (a, b) => {
        const all = runCore([...a, ...b], cfg);
        for (const s of all) expect(s >= 0 && s <= 1).toBe(true);
        expect(all.slice(0, a.length)).toEqual(runCore(a, cfg));
      }),
    );
  });

  it('scores a value far outside the range seen so far as 1 (spatial novelty)', () => {
    const xs = Array.from({ length: 200 }, (_, i) => Math.sin(i / 5));
    const core = new NabStreamCore({ restPeriod: 0 });
    for (const x of xs) core.push(x);
    expect(core.push(5)).toBe(1);
  });

  it('caps the outputs of the rest period after an alarm at half the alarm level', () => {
    const xs = Array.from({ length: 200 }, (_, i) => Math.sin(i / 5));
    const core = new NabStreamCore({ restPeriod: 10, alarmLevel: 0.35 });
    for (const x of xs) core.push(x);
    expect(core.push(5)).toBe(1);
    for (let k = 0; k < 10; k++) expect(core.push(-7 - k)).toBeLessThanOrEqual(0.35 / 2);
    // after the rest period a new range record alarms again
    expect(core.push(100)).toBe(1);
  });

  it('rejects a bad config with a ConfigError naming the field', () => {
    expect(() => new NabStreamCore({ bins: 1 })).toThrow(ConfigError);
    expect(() => new NabStreamCore({ bins: 1 })).toThrow(/bins/);
  });

  it('a model file with a forged or inconsistent state fails with a ModelFormatError naming the field', () => {
    const det = new NabStreamDetector({ historyWindow: 200 });
    det.train(seriesOf(Array.from({ length: 400 }, (_, i) => Math.sin(i / 10) + (i % 50 === 0 ? 3 : 0))));
    const good = JSON.stringify(det.toJSON());
    // biome-ignore lint/suspicious/noExplicitAny: the test edits arbitrary fields of parsed JSON
    type Core = Record<string, any>;
    const forge = (edit: (core: Core) => void) => {
      const m = JSON.parse(good);
      edit(m.state.model.core);
      return () => loadModel(m);
    };
    expect(loadModel(JSON.parse(good)).type).toBe('NabStreamDetector');
    const cases: [(core: Core) => void, RegExp][] = [
      [
        (c) => {
          c.post.recentSum = -1e308;
        },
        /state\.model\.core\.post\.recentSum/,
      ],
      [
        (c) => {
          c.post.hist.sum += 1;
        },
        /state\.model\.core\.post\.hist\.sum: does not match/,
      ],
      [
        (c) => {
          c.post.hist.shift = 2;
        },
        /state\.model\.core\.post\.hist\.shift/,
      ],
      [
        (c) => {
          c.vStats.buf.pop();
        },
        /state\.model\.core\.vStats\.buf: expected 2000 numbers/,
      ],
      [
        (c) => {
          c.counts.index.reverse();
        },
        /state\.model\.core\.counts\.index\[1\]: expected indices in increasing order/,
      ],
      [
        (c) => {
          c.counts.value[0] = 0.1;
        },
        /state\.model\.core\.counts\.value\[0\]: expected a positive float32 count/,
      ],
      [
        (c) => {
          c.ctxBins[0] = 99;
        },
        /state\.model\.core\.ctxBins\[0\]/,
      ],
      [
        (c) => {
          c.binW = 0;
        },
        /state\.model\.core\.binW/,
      ],
      [
        (c) => {
          c.min = 'NaN';
        },
        /state\.model\.core\.min/,
      ],
    ];
    for (const [edit, msg] of cases) {
      const load = forge(edit);
      expect(load).toThrow(ModelFormatError);
      expect(load).toThrow(msg);
    }
  });

  it('copyFrom continues exactly like the original', () => {
    fc.assert(
      fc.property(values, values, (a, b) => {
        const c1 = new NabStreamCore(small);
        for (const x of a) c1.push(x);
        const c2 = new NabStreamCore(small);
        c2.copyFrom(c1);
        expect(b.map((x) => c2.push(x))).toEqual(b.map((x) => c1.push(x)));
      }),
    );
  });
});

describe('NabStreamDetector', () => {
  it('batch == stream: score() after training equals the streamed scores, and leaves the model unchanged', () => {
    fc.assert(
      fc.property(values, values, (a, b) => {
        const det = new NabStreamDetector(small);
        det.train(seriesOf(a));
        const batch = det.score(seriesOf(b, a.length));
        const again = det.score(seriesOf(b, a.length));
        const s = det.stream();
        const streamed = b.map((x, i) => s.push((a.length + i) * 60_000, x).score);
        expect(Array.from(batch.v)).toEqual(streamed);
        expect(again.v).toEqual(batch.v);
      }),
    );
  });

  it('training then streaming equals one core over the whole series (bins frozen at the end of training)', () => {
    const xs = Array.from({ length: 300 }, (_, i) => Math.sin(i / 7) + (i === 250 ? 3 : 0));
    const det = new NabStreamDetector({ restPeriod: 0 });
    const train = det.train(seriesOf(xs.slice(0, 150)));
    const s = det.stream();
    const out = [...train.v, ...xs.slice(150).map((x, i) => s.push((150 + i) * 60_000, x).score)];
    const core = new NabStreamCore({ restPeriod: 0 });
    const ref = xs.map((x, i) => {
      if (i === 150) core.endTraining();
      return core.push(x);
    });
    const level = det.config.alarmLevel;
    expect(out.slice(150)).toEqual(ref.slice(150));
    expect(out.slice(0, 150)).toEqual(ref.slice(0, 150).map((x) => (x >= level ? x : 0)));
    expect(out[250]).toBe(1);
  });

  it('rejects non-finite values, misaligned series and timestamps that go back', () => {
    const det = new NabStreamDetector();
    expect(() => det.train(seriesOf([1, 2, Number.NaN]))).toThrow(/index 2/);
    expect(() => det.train({ t: Float64Array.of(0, 1), v: Float64Array.of(1) })).toThrow(DetectorError);
    expect(() => det.score(seriesOf([1, 2]))).toThrow(/call train\(\) before scoring/);
    expect(() => det.stream()).toThrow(/call train\(\) before scoring/);
    det.train(seriesOf([1, 2, 3]));
    expect(() => det.score({ t: Float64Array.of(5, 4), v: Float64Array.of(1, 2) })).toThrow(
      /strictly increasing/,
    );
    const st = det.stream();
    // a first point at or before the end of training is refused, like every detector's
    const end = seriesOf([1, 2, 3]).t[2];
    expect(() => st.push(end, 1)).toThrow(/not after the model's last point/);
    st.push(end + 10, 1);
    expect(() => st.push(end + 10, 2)).toThrow(DetectorError);
    expect(() => st.push(end + 11, Number.POSITIVE_INFINITY)).toThrow(/not finite/);
    // a rejected push changes nothing: the stream keeps working
    expect(st.push(end + 11, 1).score).toBeGreaterThanOrEqual(0);
  });

  it('is a recipe with the identity mapping; the existing recipes still resolve', () => {
    expect(NAB_MAPPING.nabStream).toBe('identity');
    expect(makeDetector('nabStream').type).toBe('NabStreamDetector');
    for (const name of ['zms', 'zmsLikelihood', 'randomCutForest', 'isolationForest']) {
      expect(DETECTOR_RECIPES[name]).toBeDefined();
    }
  });

  it('names inherited from Object are not recipes', () => {
    for (const name of ['toString', 'constructor', '__proto__']) {
      expect(() => makeDetector(name)).toThrow(ConfigError);
    }
  });
});

describe('runNabStream with nabStream on a NAB file', () => {
  it('scores art_daily_jumpsup in [0, 1], first alarm inside the label window, nothing used from the future', async () => {
    const ds = await loadNab('artificialWithAnomaly/art_daily_jumpsup.csv', { onWarning: () => {} });
    const r = runNabStream(makeDetector('nabStream'), ds.series, ds.rows, ds.windows, 'identity');
    const n = ds.rows.t.length;
    expect(r.probation).toBe(nabProbationaryLength(n));
    for (let i = 0; i < n; i++) expect(r.anomaly[i] >= 0 && r.anomaly[i] <= 1).toBe(true);
    for (let i = 0; i < r.probation; i++) expect(r.anomaly[i]).toBe(0);
    let first = -1;
    for (let i = r.probation; i < n && first < 0; i++) if (r.anomaly[i] >= 0.35) first = i;
    expect(first).toBeGreaterThan(0);
    expect(r.label[first]).toBe(1);
    // no look-ahead: overwrite every value after row m with garbage; rows up to m score the same
    const m = first + 10;
    const v2 = ds.series.v.slice();
    for (let i = m + 1; i < v2.length; i++) v2[i] = (i % 7) * 1e3 - 5e3;
    const s2 = { t: ds.series.t, v: v2 };
    const r2 = runNabStream(makeDetector('nabStream'), s2, s2, ds.windows, 'identity');
    expect(Array.from(r2.anomaly.subarray(0, m + 1))).toEqual(Array.from(r.anomaly.subarray(0, m + 1)));
    expect(r2.anomaly.subarray(m + 1)).not.toEqual(r.anomaly.subarray(m + 1));
  });
});
