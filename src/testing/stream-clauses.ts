/** The kit's stream clauses: `stream()` against `score()`/`detect()`, transactions, checkpoints. */
import { deepStrictEqual, equal, ok } from 'node:assert/strict';
import fc from 'fast-check';
import type { StreamResult } from '../detectors/types.js';
import { TsadError } from '../errors.js';

import {
  fail,
  type KitContext,
  pushAll,
  roundTrip,
  STEP,
  sameBits,
  sameResults,
  split,
  syntheticSeries,
} from './kit.js';

/** Adds the stream clauses (in the kit's order) to `ctx`. */
export function streamClauses(ctx: KitContext): void {
  const { numRuns, load, train, test, shared, more, clause } = ctx;
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
}
