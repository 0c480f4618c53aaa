/**
 * `tsad/testing`: the detector conformance kit. `checkDetector(spec, options)` returns the clauses
 * every tsad detector satisfies, each a named function that throws (an `AssertionError` from
 * `node:assert`) when the detector breaks it. Run them with any test runner, e.g. vitest:
 *
 * ```ts
 * import { describe, it } from 'vitest';
 * import { checkDetector } from 'tsad/testing';
 * describe('MyDetector', () => {
 *   for (const c of checkDetector({ name: 'MyDetector', make: (o) => new MyDetector({ ...o }) }))
 *     it(c.name, c.run, 60_000);
 * });
 * ```
 *
 * The property clauses use fast-check (an optional peer dependency of tsad: install it to use the kit).
 */
import { AssertionError, deepStrictEqual, equal, notDeepStrictEqual, ok } from 'node:assert/strict';
import fc from 'fast-check';
import { loadModel } from '../detectors/registry.js';
import type { Detector, StreamResult, StreamScorer } from '../detectors/types.js';
import { TsadError } from '../errors.js';
import type { TimeSeries } from '../series/types.js';

/** What the kit checks: a name and a factory of untrained detectors with a fixed seed. */
export interface KitSpec {
  readonly name: string;
  /** An untrained detector; `overrides` are extra config fields (from `configArb`). */
  make(overrides?: Record<string, unknown>): Detector;
  /** Random config overrides for the save/load round trip (default: none). */
  readonly configArb?: fc.Arbitrary<Record<string, unknown>>;
}

export interface KitOptions {
  /** Length of the synthetic train series (default 600). */
  trainLength?: number;
  /** Length of the synthetic test series (default 300). */
  testLength?: number;
  /** fast-check runs of the property clauses (default 15). */
  numRuns?: number;
  /** The model-file loader (default tsad's `loadModel`; pass your own registry's for your types). */
  load?: (json: unknown) => Detector;
  /** Whether the config's `seed` drives random choices: then two seeds must give two models (default false). */
  seeded?: boolean;
  /**
   * Whether `score(b, { prev: a })` equals the tail of `score(a ++ b)` (default true). Set it to
   * false for models that learn while scoring but treat `prev` as transform context only (an online
   * RandomCutForest, an ensemble holding one): `score(a ++ b)` learns from `a` before it reaches `b`,
   * so the clause does not hold and is not run. Models that learn `prev` as they would learn `a`
   * (ETS, NabStreamDetector, RollingMad, FlatLine, Discord) pass it.
   */
  prevIsContext?: boolean;
  /**
   * Config overrides that give the detector a plain threshold rule (`{ threshold: { type:
   * 'threshold', ... } }` by default; the kit adds `almThreshold`). `null`: the detector's alarm
   * level is fixed and labels do not train it, so the F1 clause is skipped (no tsad detector needs it).
   */
  labelThreshold?: ((almThreshold: number) => Record<string, unknown>) | null;
  /** The calibrated train scores the alarm rule was trained on (default: the detector's `trainScores`). */
  trainScores?: (d: Detector) => TimeSeries | null | undefined;
}

/** One clause of the contract: run it to check it. */
export interface KitClause {
  readonly name: string;
  run(): void;
}

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

function fail(message: string): never {
  throw new AssertionError({ message });
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) fail(`${what}: lengths ${a.length} and ${b.length} differ`);
  for (let i = 0; i < a.length; i++)
    if (!Object.is(a[i], b[i])) fail(`${what}: index ${i}: ${a[i]} !== ${b[i]}`);
}

function sameResult(a: StreamResult, b: StreamResult, what: string): void {
  if (!Object.is(a.score, b.score)) fail(`${what}: score ${a.score} !== ${b.score}`);
  if (a.alarm !== b.alarm) fail(`${what}: alarm ${a.alarm} !== ${b.alarm}`);
}

function finite(ts: TimeSeries, what: string): void {
  for (let i = 0; i < ts.v.length; i++)
    if (!Number.isFinite(ts.v[i])) fail(`${what}: score ${i} is ${ts.v[i]}`);
}

/** Runs `fn`; it must either return finite scores or throw a TsadError. */
function finiteOrTsadError(fn: () => TimeSeries[], what: string): void {
  let out: TimeSeries[];
  try {
    out = fn();
  } catch (e) {
    if (!(e instanceof TsadError)) throw e;
    return;
  }
  for (const ts of out) finite(ts, what);
}

/** Only TsadError subclasses may escape `fn`. */
function onlyTsadErrors(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof TsadError)) fail(`non-TsadError thrown: ${String(e)}`);
  }
}

/** Pushes every point; NaN-scored points are kept as NaN. */
function pushAll(s: StreamScorer, ts: TimeSeries): StreamResult[] {
  const out: StreamResult[] = [];
  for (let i = 0; i < ts.t.length; i++) out.push(s.push(ts.t[i], ts.v[i]));
  return out;
}

function sameResults(a: StreamResult[], b: StreamResult[], what: string): void {
  if (a.length !== b.length) fail(`${what}: ${a.length} and ${b.length} results`);
  for (let i = 0; i < a.length; i++) sameResult(a[i], b[i], `${what} [${i}]`);
}

/** A JSON round trip of a model file, as a service would store it. */
function roundTrip(json: unknown): unknown {
  return JSON.parse(JSON.stringify(json));
}

/** The clauses of the detector contract, for `spec`. */
export function checkDetector(spec: KitSpec, options: KitOptions = {}): KitClause[] {
  const nTrain = options.trainLength ?? 600;
  const nTest = options.testLength ?? 300;
  const numRuns = options.numRuns ?? 15;
  const load = options.load ?? loadModel;
  const factory = spec.make;
  const all = syntheticSeries(nTrain + nTest);
  const [train, test] = split(all, nTrain);
  let cached: Detector | null = null;
  /** One trained detector shared by the clauses that only read it (scoring is pure). */
  const shared = (): Detector => {
    if (!cached) {
      cached = factory();
      cached.train(train);
    }
    return cached;
  };
  const trained = (over?: Record<string, unknown>) => {
    const d = factory(over);
    d.train(train);
    return d;
  };
  const more = (n: number, seed: number) => syntheticSeries(n, seed, test.t[test.t.length - 1] + STEP);
  const clauses: KitClause[] = [];
  const clause = (name: string, run: () => void) => clauses.push({ name, run });

  clause('is deterministic for a fixed seed', () => {
    const a = factory();
    const b = factory();
    sameBits(a.train(train).v, b.train(train).v, 'train scores');
    equal(JSON.stringify(a.toJSON()), JSON.stringify(b.toJSON()));
    sameBits(a.score(test, { prev: train }).v, b.score(test, { prev: train }).v, 'scores');
  });

  if (options.seeded) {
    clause('a different seed gives a different model', () => {
      const a = trained({ seed: 1 });
      const b = trained({ seed: 2 });
      notDeepStrictEqual(JSON.stringify(a.toJSON().state), JSON.stringify(b.toJSON().state));
    });
  }

  clause('refuses to score before training, with a TsadError', () => {
    const d = factory();
    for (const f of [() => d.score(test), () => d.stream(), () => d.update(test)]) {
      try {
        f();
      } catch (e) {
        if (e instanceof TsadError) continue;
        throw e;
      }
      fail('an untrained detector scored');
    }
  });

  clause('the config appears whole in the model file (what tracking logs as params)', () => {
    const d = shared();
    deepStrictEqual(roundTrip(d.toJSON().config), roundTrip(d.config));
    deepStrictEqual(load(roundTrip(d.toJSON())).config, d.config);
  });

  clause('stream() gives exactly score() and detect() on the same data', () => {
    const d = shared();
    const s = d.score(test, { prev: train });
    const det = d.detect(test, { prev: train });
    const st = d.stream();
    const byTime = new Map<number, number>();
    for (let i = 0; i < s.t.length; i++) byTime.set(s.t[i], s.v[i]);
    const alarmTimes: number[] = [];
    let matched = 0;
    for (let i = 0; i < test.t.length; i++) {
      const r = st.push(test.t[i], test.v[i]);
      const want = byTime.get(test.t[i]);
      if (want === undefined) {
        ok(Number.isNaN(r.score), `t=${test.t[i]}: no batch score, stream gave ${r.score}`);
        continue;
      }
      matched++;
      if (!Object.is(r.score, want)) fail(`t=${test.t[i]}: stream ${r.score} vs score ${want}`);
      if (r.alarm) alarmTimes.push(test.t[i]);
    }
    equal(matched, s.t.length);
    deepStrictEqual(
      alarmTimes,
      det.alarms.map((a) => a.t),
    );
    sameBits(det.scores.t, s.t, 'detect times');
  });

  clause(
    'property: scoring is pure (twice gives the same numbers; a stream after score() is a fresh stream)',
    () => {
      const d = shared();
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 5, max: 80 }), (seed, n) => {
          const x = more(n, seed);
          const before = d.stream();
          const a = d.score(x);
          const b = d.score(x);
          sameBits(a.v, b.v, 'score twice');
          const dt = d.detect(x);
          sameBits(d.detect(x).scores.v, dt.scores.v, 'detect twice');
          sameResults(pushAll(d.stream(), x), pushAll(before, x), 'stream after score()');
        }),
        { numRuns },
      );
    },
  );

  clause('property: two interleaved streams equal each one alone', () => {
    const d = shared();
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.array(fc.boolean(), { minLength: 10, maxLength: 120 }),
        (seed, order) => {
          const x = more(order.length, seed);
          const y = more(order.length, seed + 1);
          for (let i = 0; i < y.v.length; i++) y.v[i] = 2 * y.v[i] - 30;
          const s1 = d.stream();
          const s2 = d.stream();
          const r1: StreamResult[] = [];
          const r2: StreamResult[] = [];
          let i = 0;
          let j = 0;
          for (const first of order) {
            if (first && i < x.t.length) {
              r1.push(s1.push(x.t[i], x.v[i]));
              i++;
            } else if (j < y.t.length) {
              r2.push(s2.push(y.t[j], y.v[j]));
              j++;
            }
          }
          while (i < x.t.length) r1.push(s1.push(x.t[i], x.v[i++]));
          while (j < y.t.length) r2.push(s2.push(y.t[j], y.v[j++]));
          sameResults(r1, pushAll(d.stream(), x), 'stream 1');
          sameResults(r2, pushAll(d.stream(), y), 'stream 2');
        },
      ),
      { numRuns },
    );
  });

  clause('property: rejected pushes change nothing (same scores as the sequence without them)', () => {
    const d = shared();
    const junk = fc.constantFrom(
      'nan',
      'inf',
      'string',
      'repeat-time',
      'past-time',
      'huge',
      'nan-time',
      'before-training',
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.array(fc.option(junk, { freq: 2 }), { minLength: 5, maxLength: 80 }),
        (seed, ops) => {
          const x = more(ops.length, seed);
          const a = d.stream();
          const accepted: [number, number][] = [];
          const got: StreamResult[] = [];
          let i = 0;
          for (const op of ops) {
            const prevT = i > 0 ? x.t[i - 1] : train.t[train.t.length - 1];
            let p: [number, number];
            switch (op) {
              case null:
                p = [x.t[i], x.v[i]];
                i++;
                break;
              case 'nan':
                p = [x.t[i], Number.NaN];
                break;
              case 'inf':
                p = [x.t[i], Number.NEGATIVE_INFINITY];
                break;
              case 'string':
                p = [x.t[i], '5' as unknown as number];
                break;
              case 'repeat-time':
                p = [prevT, x.v[i]];
                break;
              case 'past-time':
                p = [prevT - STEP, x.v[i]];
                break;
              case 'huge':
                p = [x.t[i], 1e306];
                break;
              case 'nan-time':
                p = [Number.NaN, x.v[i]];
                break;
              default:
                p = [train.t[0], x.v[i]];
            }
            try {
              got.push(a.push(p[0], p[1]));
              accepted.push(p);
              if (op !== null) i++; // an accepted junk point takes the next time slot
            } catch (e) {
              if (!(e instanceof TsadError)) throw e;
              if (op === null) fail(`an ordinary point was rejected: ${(e as Error).message}`);
            }
          }
          const b = d.stream();
          const want = accepted.map(([t, v]) => b.push(t, v));
          sameResults(got, want, 'with vs without rejected pushes');
        },
      ),
      { numRuns },
    );
  });

  clause('property: save → load and a mid-stream checkpoint → resume continue bit for bit', () => {
    const d = shared();
    const loaded = load(roundTrip(d.toJSON()));
    equal(JSON.stringify(loaded.toJSON()), JSON.stringify(d.toJSON()));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 60 }),
        (seed, k, m) => {
          const x = more(k + m, seed);
          const [head, rest] = split(x, k);
          const a = d.stream();
          pushAll(a, head);
          const b = load(roundTrip(a.toJSON())).stream();
          sameResults(pushAll(b, rest), pushAll(a, rest), 'resumed stream');
          sameResults(pushAll(loaded.stream(), x), pushAll(d.stream(), x), 'loaded model');
        },
      ),
      { numRuns },
    );
  });

  clause('scoreOne scores without learning; learnOne learns without scoring; update() = learnOne', () => {
    const d = shared();
    const x = more(40, 5);
    const a = d.stream();
    const b = d.stream();
    for (let i = 0; i < x.t.length; i++) {
      const s1 = a.scoreOne(x.t[i], x.v[i]);
      const s2 = a.scoreOne(x.t[i], x.v[i]);
      if (!Object.is(s1, s2)) fail(`scoreOne changed the stream: ${s1} then ${s2}`);
      const r = b.push(x.t[i], x.v[i]);
      if (!Object.is(r.score, s1)) fail(`scoreOne ${s1} vs push ${r.score}`);
      a.learnOne(x.t[i], x.v[i]);
    }
    const c = load(roundTrip(d.toJSON()));
    c.update(x);
    const y = syntheticSeries(60, 6, x.t[x.t.length - 1] + STEP);
    sameResults(pushAll(c.stream(), y), pushAll(a, y), 'update() vs learnOne');
  });

  clause('a first stream point at or before the end of training is refused', () => {
    const st = shared().stream();
    for (const t of [train.t[0], train.t[train.t.length - 1]]) {
      try {
        st.push(t, 50);
      } catch (e) {
        if (e instanceof TsadError) continue;
        throw e;
      }
      fail(`a point at t=${t} (not after training) was accepted`);
    }
  });

  clause('training and scoring do not mutate the input', () => {
    const tr = { t: train.t.slice(), v: train.v.slice() };
    const te = { t: test.t.slice(), v: test.v.slice() };
    const d = factory();
    d.train(tr, { labels: { t: tr.t, v: tr.v.map((_, i) => (i > nTrain - 20 ? 1 : 0)) } });
    d.score(te, { prev: tr });
    d.detect(te);
    sameBits(tr.t, train.t, 'train t');
    sameBits(tr.v, train.v, 'train v');
    sameBits(te.t, test.t, 'test t');
    sameBits(te.v, test.v, 'test v');
  });

  clause('trains with labels and gives finite scores; bad labels are a TsadError', () => {
    const labels = { t: train.t, v: train.v.map((_, i) => (i % 97 >= 50 && i % 97 <= 52 ? 1 : 0)) };
    const d = factory();
    finite(d.train(train, { labels }), 'train with labels');
    finite(d.score(test, { prev: train }), 'score');
    const bad = [
      { t: train.t, v: train.v.map((_, i) => (i === 3 ? 7 : 0)) },
      { t: train.t, v: train.v.map((_, i) => (i === 3 ? Number.NaN : 0)) },
      { t: test.t, v: new Float64Array(test.t.length) },
    ];
    for (const l of bad) {
      try {
        factory().train(train, { labels: l });
      } catch (e) {
        if (e instanceof TsadError) continue;
        throw e;
      }
      fail('bad labels (not 0/1, or not overlapping the data) were accepted');
    }
  });

  clause('constant input is scored with finite scores', () => {
    const c = { t: all.t, v: new Float64Array(all.t.length).fill(7) };
    const [ctr, cte] = split(c, nTrain);
    const d = factory();
    finite(d.train(ctr), 'train');
    finite(d.score(cte), 'score');
    finite(d.score(cte, { prev: ctr }), 'score with prev');
    finite(d.score(test, { prev: train }), 'score of varying data');
  });

  clause('tiny input: finite scores or a typed error', () => {
    for (const n of [1, 2, 3, 5]) {
      const s = split(all, n)[0];
      finiteOrTsadError(() => {
        const d = factory();
        return [d.train(s), d.score(test)];
      }, `train on ${n}`);
    }
    finiteOrTsadError(() => [shared().score({ t: new Float64Array(0), v: new Float64Array(0) })], 'empty');
    finiteOrTsadError(() => [shared().score(split(test, 1)[0])], 'one point');
  });

  clause('finite input gives finite scores (or a typed error), NaN input a typed error', () => {
    const bad = { t: train.t, v: train.v.slice() };
    bad.v[10] = Number.NaN;
    finiteOrTsadError(() => [factory().train(bad)], 'NaN train');
    const badTest = { t: test.t, v: test.v.slice() };
    badTest.v[3] = Number.NaN;
    finiteOrTsadError(() => [shared().score(badTest, { prev: train })], 'NaN test');
    const huge = (k: number) => ({ t: all.t, v: all.v.map((x, i) => (i % 7 === 3 ? -1 : 1) * k * x) });
    for (const k of [1e150, 1e306]) {
      const [htr, hte] = split(huge(k), nTrain);
      finiteOrTsadError(() => {
        const d = factory();
        return [d.train(htr), d.score(hte, { prev: htr }), d.score(test, { prev: train })];
      }, `values × ${k}`);
    }
  });

  clause('property: save/load round trip for random configs and data', () => {
    const dataArb = fc
      .tuple(fc.integer({ min: 1, max: 1000 }), fc.double({ min: 1e-3, max: 1e6, noNaN: true }))
      .map(([seed, scale]) => {
        const s = syntheticSeries(nTrain + 60, seed);
        return { t: s.t, v: s.v.map((x) => x * scale) };
      });
    fc.assert(
      fc.property(spec.configArb ?? fc.constant({}), dataArb, (over, data) => {
        const [tr, te] = split(data, nTrain);
        const a = factory(over);
        try {
          a.train(tr);
        } catch (e) {
          if (e instanceof TsadError) return;
          throw e;
        }
        const b = load(roundTrip(a.toJSON()));
        sameBits(a.score(te, { prev: tr }).v, b.score(te, { prev: tr }).v, 'loaded scores');
      }),
      { numRuns },
    );
  });

  clause('property: loading arbitrary JSON or a mutated model file throws only TsadErrors', () => {
    const type = factory().type;
    fc.assert(
      fc.property(fc.jsonValue(), (j) => {
        onlyTsadErrors(() => load(j));
        onlyTsadErrors(() => load({ format: 'tsad-model', version: 1, type, config: {}, state: j }));
      }),
      { numRuns: 200 },
    );
    const valid = roundTrip(shared().toJSON());
    const paths: (string | number)[][] = [];
    const walk = (x: unknown, p: (string | number)[], depth: number) => {
      paths.push(p);
      if (depth > 6 || x === null || typeof x !== 'object') return;
      if (Array.isArray(x)) {
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
        if (path.length === 0) return;
        const m = roundTrip(valid) as Record<string | number, unknown>;
        let o = m;
        for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
        o[path[path.length - 1]] = value;
        onlyTsadErrors(() => {
          const d = load(m);
          finiteOrTsadError(() => [d.score(test, { prev: train })], 'mutated model');
        });
      }),
      { numRuns: 300 },
    );
  });

  if (options.prevIsContext !== false) {
    clause('property: score(b, { prev: a }) equals the tail of score(a ++ b)', () => {
      const d = shared();
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 1000 }),
          fc.integer({ min: 10, max: 60 }),
          fc.integer({ min: 1, max: 60 }),
          (seed, k, m) => {
            const x = more(k + m, seed);
            const [a, b] = split(x, k);
            const whole = d.score(x);
            const tail = d.score(b, { prev: a });
            const from = lowerBoundOf(whole.t, b.t[0]);
            sameBits(tail.t, whole.t.subarray(from), 'times');
            sameBits(tail.v, whole.v.subarray(from), 'scores');
          },
        ),
        { numRuns },
      );
    });
  }

  if (options.labelThreshold !== null) {
    clause('training with labels sets the threshold to one maximising F1 on them (brute-force sweep)', () => {
      // A default threshold no score reaches (F1 0), so the search must move it whenever any candidate does better.
      const unreachable = 1e300;
      const over = (options.labelThreshold ?? plainThreshold)(unreachable);
      // The labelled points are made anomalous in two common ways, so that every kind of detector
      // sees something there: each labelled stretch is flat (a stuck sensor), each labelled single
      // point a spike.
      const isRun = (i: number) => i % 97 >= 50 && i % 97 <= 52;
      const isSpike = (i: number) => i % 150 === 149;
      const data = { t: train.t, v: Float64Array.from(train.v) };
      for (let i = 1; i < data.v.length; i++) {
        if (isRun(i) && isRun(i - 1)) data.v[i] = data.v[i - 1];
        if (isSpike(i)) data.v[i] += 40;
      }
      const labels = {
        t: train.t,
        v: Float64Array.from(train.v, (_, i) => (isRun(i) || isSpike(i) ? 1 : 0)),
      };
      const d = factory(over);
      const out = d.train(data, { labels });
      const cal = (options.trainScores ?? defaultTrainScores)(d);
      if (!cal) fail('the detector keeps no calibrated train scores (pass options.trainScores)');
      sameBits(out.t, cal.t, 'post-rule vs calibrated train score times');
      const abs = Float64Array.from(cal.v, Math.abs);
      const alarm = Array.from(out.v, (s) => s !== 0);
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < abs.length; i++) {
        if (alarm[i]) {
          if (!Object.is(out.v[i], cal.v[i]))
            fail(`index ${i}: alarm score ${out.v[i]} is not the calibrated ${cal.v[i]}`);
          lo = Math.min(lo, abs[i]);
        } else hi = Math.max(hi, abs[i]);
      }
      if (!(lo > hi))
        fail(`the alarms are not the scores above one threshold (lowest alarm ${lo}, highest other ${hi})`);
      // Merlion's candidates, computed here: percentiles (numpy's linear rule), 11 even steps, the configured value.
      const sorted = Float64Array.from(abs).sort();
      const n = sorted.length;
      // numpy's percentile (linear) and linspace, to the bit: a candidate landing exactly on a score matters (ties)
      const pct = (p: number) => {
        const pos = (p / 100) * (n - 1);
        const j = Math.floor(pos);
        if (j + 1 >= n) return sorted[n - 1];
        const w = pos - j;
        const diff = sorted[j + 1] - sorted[j];
        return w >= 0.5 ? sorted[j + 1] - diff * (1 - w) : sorted[j] + diff * w;
      };
      const cands = [80, 90, 95, 98, 99, 99.5, 99.9].map(pct);
      const step = (sorted[n - 1] - sorted[0]) / 10;
      for (let i = 0; i < 10; i++) cands.push(i * step + sorted[0]);
      cands.push(sorted[n - 1]);
      cands.push(unreachable);
      const at = new Map<number, number>();
      for (let i = 0; i < labels.t.length; i++) at.set(labels.t[i], i);
      const f1Of = (flag: (i: number) => boolean) => {
        const hit = new Uint8Array(labels.t.length);
        for (let i = 0; i < cal.t.length; i++)
          if (flag(i)) hit[at.get(cal.t[i]) ?? fail('score time not in labels')] = 1;
        return segmentF1(labels.v, hit);
      };
      // a zero score is never an alarm (the rule's output 0 means "no alarm"), whatever the threshold
      let best = 0;
      for (const c of cands)
        best = Math.max(
          best,
          f1Of((i) => abs[i] >= c && abs[i] !== 0),
        );
      ok(best > 0, 'no candidate threshold finds any labelled anomaly: the labels do not test the search');
      const got = f1Of((i) => alarm[i]);
      if (got !== best) fail(`F1 of the trained threshold ${got} < best candidate ${best}`);
    });
  }

  return clauses;
}

function plainThreshold(almThreshold: number): Record<string, unknown> {
  return { threshold: { type: 'threshold', almThreshold, absScore: true } };
}

function defaultTrainScores(d: Detector): TimeSeries | null | undefined {
  return (d as { trainScores?: TimeSeries | null }).trainScores;
}

function lowerBoundOf(a: ArrayLike<number>, x: number): number {
  let i = 0;
  while (i < a.length && a[i] < x) i++;
  return i;
}

/**
 * Revised point-adjusted F1 on one grid, written out for the kit (independent of tsad's metrics):
 * each run of labelled points is one true positive if any of its points is flagged, else one false
 * negative; each flagged unlabelled point is a false positive.
 */
function segmentF1(labels: ArrayLike<number>, flagged: Uint8Array): number {
  let tp = 0;
  let fn = 0;
  let fp = 0;
  for (let i = 0; i < labels.length; ) {
    if (labels[i] === 0) {
      fp += flagged[i];
      i++;
      continue;
    }
    let any = 0;
    while (i < labels.length && labels[i] !== 0) any |= flagged[i++];
    if (any) tp++;
    else fn++;
  }
  const p = tp + fp === 0 ? 0 : tp / (tp + fp);
  const r = tp + fn === 0 ? 0 : tp / (tp + fn);
  return p === 0 || r === 0 ? 0 : (2 * p * r) / (p + r);
}
