/**
 * The conformance suite every detector runs. Call it from a test file:
 *
 *   runDetectorConformance('IsolationForest', (over) => new IsolationForest({ seed: 7, ...over }), {
 *     configArb: fc.record({ nEstimators: fc.integer({ min: 1, max: 20 }) }),
 *   });
 *
 * `factory(overrides)` must build an untrained detector with a fixed seed; `overrides` are extra
 * config fields (from `configArb`, for the random save/load round trip).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/detectors/registry.js';
import type { Detector } from '../../src/detectors/types.js';
import { TsadError } from '../../src/errors.js';
import type { TimeSeries } from '../../src/series/types.js';

export interface ConformanceOptions {
  /** Length of the synthetic train series (default 600; raise it for detectors with warm-up). */
  trainLength?: number;
  /** Length of the synthetic test series (default 300). */
  testLength?: number;
  /** Random config overrides for the property-based save/load round trip. */
  configArb?: fc.Arbitrary<Record<string, unknown>>;
  /** fast-check runs for the property tests (default 15). */
  numRuns?: number;
}

type Factory = (overrides?: Record<string, unknown>) => Detector;

const STEP = 300_000; // 5 minutes
const T0 = Date.UTC(2024, 0, 1);

/** Deterministic synthetic data: daily-ish sine, noise from a fixed LCG, a few spikes. */
export function syntheticSeries(n: number, seed = 1, start = T0): TimeSeries {
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let s = seed >>> 0 || 1;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  for (let i = 0; i < n; i++) {
    t[i] = start + i * STEP;
    v[i] = 50 + 10 * Math.sin((2 * Math.PI * i) / 288) + 2 * (rnd() - 0.5) + (i % 97 === 50 ? 25 : 0);
  }
  return { t, v };
}

function split(ts: TimeSeries, k: number): [TimeSeries, TimeSeries] {
  return [
    { t: ts.t.slice(0, k), v: ts.v.slice(0, k) },
    { t: ts.t.slice(k), v: ts.v.slice(k) },
  ];
}

function expectBitIdentical(a: Float64Array, b: Float64Array): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) expect.fail(`index ${i}: ${a[i]} !== ${b[i]}`);
  }
}

function expectFinite(ts: TimeSeries): void {
  for (let i = 0; i < ts.v.length; i++)
    if (!Number.isFinite(ts.v[i])) expect.fail(`score ${i} is ${ts.v[i]}`);
}

/** Runs `fn`; it must either return finite scores or throw a TsadError. */
function finiteOrTsadError(fn: () => TimeSeries[]): void {
  let out: TimeSeries[];
  try {
    out = fn();
  } catch (e) {
    if (!(e instanceof TsadError)) throw e;
    return;
  }
  for (const ts of out) expectFinite(ts);
}

/** Only TsadError subclasses may escape `fn`. */
function onlyTsadErrors(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof TsadError)) throw new Error(`non-TsadError thrown: ${String(e)}`, { cause: e });
  }
}

export function runDetectorConformance(name: string, factory: Factory, opts: ConformanceOptions = {}): void {
  const nTrain = opts.trainLength ?? 600;
  const nTest = opts.testLength ?? 300;
  const numRuns = opts.numRuns ?? 15;
  const all = syntheticSeries(nTrain + nTest);
  const [train, test] = split(all, nTrain);
  const trained = (over?: Record<string, unknown>) => {
    const d = factory(over);
    d.train(train);
    return d;
  };

  describe(`detector conformance: ${name}`, () => {
    it('is deterministic for a fixed seed', () => {
      const a = factory();
      const b = factory();
      expectBitIdentical(a.train(train).v, b.train(train).v);
      expect(JSON.stringify(a.toJSON())).toBe(JSON.stringify(b.toJSON()));
      expectBitIdentical(a.score(test, { prev: train }).v, b.score(test, { prev: train }).v);
    });

    it('refuses to score before training, with a TsadError', () => {
      expect(() => factory().score(test)).toThrow(TsadError);
      expect(() => factory().stream()).toThrow(TsadError);
    });

    it('stream() gives exactly score() and detect() on the same data', () => {
      const s = trained().score(test, { prev: train });
      const det = trained().detect(test, { prev: train });
      const st = trained().stream();
      const byTime = new Map<number, number>();
      for (let i = 0; i < s.t.length; i++) byTime.set(s.t[i], s.v[i]);
      const alarmTimes: number[] = [];
      let matched = 0;
      for (let i = 0; i < test.t.length; i++) {
        const r = st.push(test.t[i], test.v[i]);
        const want = byTime.get(test.t[i]);
        if (want === undefined) {
          expect(Number.isNaN(r.score)).toBe(true);
          continue;
        }
        matched++;
        if (!Object.is(r.score, want)) expect.fail(`t=${test.t[i]}: stream ${r.score} vs score ${want}`);
        if (r.alarm) alarmTimes.push(test.t[i]);
      }
      expect(matched).toBe(s.t.length);
      expect(alarmTimes).toEqual(det.alarms.map((a) => a.t));
      expectBitIdentical(det.scores.t, s.t);
    });

    it('save → load → score is bit-identical', () => {
      const a = trained();
      const json = JSON.parse(JSON.stringify(a.toJSON()));
      expect(json.format).toBe('tsad-model');
      expect(json.version).toBe(1);
      expect(json.type).toBe(a.type);
      const b = loadModel(json);
      expect(b.type).toBe(a.type);
      expect(b.config).toEqual(a.config);
      expect(JSON.stringify(b.toJSON())).toBe(JSON.stringify(json));
      expectBitIdentical(a.score(test, { prev: train }).v, b.score(test, { prev: train }).v);
      // and the loaded model streams like the original
      const sa = a.stream();
      const sb = b.stream();
      const more = syntheticSeries(50, 3, test.t[test.t.length - 1] + STEP);
      for (let i = 0; i < more.t.length; i++) {
        const ra = sa.push(more.t[i], more.v[i]);
        const rb = sb.push(more.t[i], more.v[i]);
        expect(Object.is(ra.score, rb.score)).toBe(true);
        expect(ra.alarm).toBe(rb.alarm);
      }
    });

    it('training and scoring do not mutate the input', () => {
      const tr = { t: train.t.slice(), v: train.v.slice() };
      const te = { t: test.t.slice(), v: test.v.slice() };
      const d = factory();
      d.train(tr, { labels: { t: tr.t, v: tr.v.map((_, i) => (i > nTrain - 20 ? 1 : 0)) } });
      d.score(te, { prev: tr });
      d.detect(te);
      expectBitIdentical(tr.t, train.t);
      expectBitIdentical(tr.v, train.v);
      expectBitIdentical(te.t, test.t);
      expectBitIdentical(te.v, test.v);
    });

    it('trains with labels (threshold search) and gives finite scores', () => {
      const labels = { t: train.t, v: train.v.map((_, i) => (i % 97 >= 50 && i % 97 <= 52 ? 1 : 0)) };
      const d = factory();
      expectFinite(d.train(train, { labels }));
      expectFinite(d.score(test, { prev: train }));
    });

    it('constant input: finite scores or a typed error', () => {
      const c = { t: all.t, v: new Float64Array(all.t.length).fill(7) };
      const [ctr, cte] = split(c, nTrain);
      finiteOrTsadError(() => {
        const d = factory();
        return [d.train(ctr), d.score(cte), d.score(cte, { prev: ctr }), d.score(test, { prev: train })];
      });
    });

    it('tiny input: finite scores or a typed error', () => {
      for (const n of [1, 2, 3, 5]) {
        const s = split(all, n)[0];
        finiteOrTsadError(() => {
          const d = factory();
          return [d.train(s), d.score(test)];
        });
      }
      finiteOrTsadError(() => [trained().score({ t: new Float64Array(0), v: new Float64Array(0) })]);
      finiteOrTsadError(() => [trained().score(split(test, 1)[0])]);
    });

    it('NaN-containing input: finite scores or a typed error', () => {
      const bad = { t: train.t, v: train.v.slice() };
      bad.v[10] = Number.NaN;
      finiteOrTsadError(() => [factory().train(bad)]);
      const badTest = { t: test.t, v: test.v.slice() };
      badTest.v[3] = Number.NaN;
      finiteOrTsadError(() => [trained().score(badTest, { prev: train })]);
      const st = trained().stream();
      onlyTsadErrors(() => {
        const r = st.push(test.t[0], Number.NaN);
        expect(Number.isFinite(r.score)).toBe(true);
      });
    });

    it('huge-valued input: finite scores or a typed error', () => {
      const huge = (k: number) => ({ t: all.t, v: all.v.map((x, i) => (i % 7 === 3 ? -1 : 1) * k * x) });
      for (const k of [1e150, 1e306]) {
        const [htr, hte] = split(huge(k), nTrain);
        finiteOrTsadError(() => {
          const d = factory();
          return [d.train(htr), d.score(hte, { prev: htr }), d.score(test, { prev: train })];
        });
      }
    });

    it('property: save/load round trip for random configs and data', () => {
      const dataArb = fc
        .tuple(fc.integer({ min: 1, max: 1000 }), fc.double({ min: 1e-3, max: 1e6, noNaN: true }))
        .map(([seed, scale]) => {
          const s = syntheticSeries(nTrain + 60, seed);
          return { t: s.t, v: s.v.map((x) => x * scale) };
        });
      fc.assert(
        fc.property(opts.configArb ?? fc.constant({}), dataArb, (over, data) => {
          const [tr, te] = split(data, nTrain);
          const a = factory(over);
          try {
            a.train(tr);
          } catch (e) {
            if (e instanceof TsadError) return;
            throw e;
          }
          const b = loadModel(JSON.parse(JSON.stringify(a.toJSON())));
          expectBitIdentical(a.score(te, { prev: tr }).v, b.score(te, { prev: tr }).v);
        }),
        { numRuns },
      );
    });

    it('property: loadModel on arbitrary JSON and on mutated models throws only TsadErrors', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (j) => {
          onlyTsadErrors(() => loadModel(j));
          onlyTsadErrors(() =>
            loadModel({ format: 'tsad-model', version: 1, type: factory().type, config: {}, state: j }),
          );
        }),
        { numRuns: 200 },
      );
      const valid = JSON.parse(JSON.stringify(trained().toJSON()));
      const paths: (string | number)[][] = [];
      const walk = (x: unknown, p: (string | number)[], depth: number) => {
        paths.push(p);
        if (depth > 6 || x === null || typeof x !== 'object') return;
        if (Array.isArray(x)) {
          // a few positions of long arrays are enough
          const idx = x.length <= 4 ? x.map((_, i) => i) : [0, 1, x.length >> 1, x.length - 1];
          for (const i of idx) walk(x[i], [...p, i], depth + 1);
        } else for (const [k, v] of Object.entries(x)) walk(v, [...p, k], depth + 1);
      };
      walk(valid, [], 0);
      const mutant = fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.constantFrom(-1, 0, 1e308, -1e308, 2 ** 31, 0.5, 'NaN', 'Infinity', '__proto__', null, [], {}),
      );
      fc.assert(
        fc.property(fc.constantFrom(...paths), mutant, (path, value) => {
          const m = JSON.parse(JSON.stringify(valid));
          if (path.length === 0) return;
          let o = m;
          for (const k of path.slice(0, -1)) o = o[k];
          o[path[path.length - 1]] = value;
          onlyTsadErrors(() => {
            const d = loadModel(m);
            finiteOrTsadError(() => [d.score(test, { prev: train })]);
          });
        }),
        { numRuns: 300 },
      );
      expect(() =>
        loadModel(
          JSON.parse(`{"format":"tsad-model","version":1,"type":"x","config":{},"state":{"__proto__":{}}}`),
        ),
      ).toThrow(TsadError);
    });
  });
}
