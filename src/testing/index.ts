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
import { deepStrictEqual, equal, notDeepStrictEqual, ok } from 'node:assert/strict';
import fc from 'fast-check';
import { loadModel } from '../detectors/registry.js';
import type { Detector } from '../detectors/types.js';
import { isTrainRefusal, TsadError } from '../errors.js';
import type { TimeSeries } from '../series/types.js';
import {
  deepFreeze,
  defaultTrainScores,
  fail,
  finite,
  finiteOrTsadError,
  type KitClause,
  type KitContext,
  type KitOptions,
  type KitSpec,
  lowerBoundOf,
  onlyTsadErrors,
  plainThreshold,
  roundTrip,
  STEP,
  sameBits,
  segmentF1,
  split,
  syntheticSeries,
  withValueAt,
} from './kit.js';
import { streamClauses } from './stream-clauses.js';

export { type KitClause, type KitOptions, type KitSpec, syntheticSeries } from './kit.js';

/** The clauses of the detector contract, for `spec`. */
export function checkDetector(spec: KitSpec, options: KitOptions = {}): KitClause[] {
  const nTrain = options.trainLength ?? 600;
  const nTest = options.testLength ?? 300;
  const numRuns = options.numRuns ?? 15;
  const fuzzRuns = options.fuzzRuns ?? 300;
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
  const ctx: KitContext = {
    options,
    numRuns,
    fuzzRuns,
    load,
    factory,
    train,
    test,
    shared,
    trained,
    more,
    clause,
  };

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

  streamClauses(ctx);

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

  clause(
    'constant input is scored with finite scores, or refused by train() as no scale (tiny_scale)',
    () => {
      const c = { t: all.t, v: new Float64Array(all.t.length).fill(7) };
      const [ctr, cte] = split(c, nTrain);
      const d = factory();
      let trained: TimeSeries;
      try {
        trained = d.train(ctr);
      } catch (e) {
        // a model with no scale on constant data (ETS: σ = 0) may refuse it (docs/detectors.md, Training
        // minimums), with DetectorError tiny_scale (or too_few_points); any other error fails the clause
        if (isTrainRefusal(e)) return;
        throw e;
      }
      finite(trained, 'train');
      finite(d.score(cte), 'score');
      finite(d.score(cte, { prev: ctr }), 'score with prev');
      finite(d.score(test, { prev: train }), 'score of varying data');
    },
  );

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
      { numRuns: Math.ceil((fuzzRuns * 2) / 3) },
    );
    // frozen, so the mutants can share every part they do not change
    const valid = deepFreeze(roundTrip(shared().toJSON()));
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
      fc.constantFrom(
        -1,
        0,
        1e308,
        -1e308,
        5e-324,
        -5e-324,
        2 ** 31,
        0.5,
        'NaN',
        'Infinity',
        '__proto__',
        null,
        [],
        {},
      ),
    );
    fc.assert(
      fc.property(fc.constantFrom(...paths), mutant, (path, value) => {
        if (path.length === 0) return;
        const m = withValueAt(valid, path, value);
        onlyTsadErrors(() => {
          const d = load(m);
          finiteOrTsadError(() => [d.score(test, { prev: train })], 'mutated model');
        });
      }),
      { numRuns: fuzzRuns },
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
