/**
 * ArtDetector learns every point it scores, so `score(b, { prev: a })` must be the tail of
 * `score(a ++ b)` (and of pushing a ++ b into one stream), wherever the cut falls (block boundaries
 * included).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArtDetector } from '../../src/detectors/index.js';
import { lcg } from '../helpers/random.js';

describe('ArtDetector score with prev', () => {
  it('score(b, { prev: a }) is the tail of score(a ++ b) and of a stream', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e6 }),
        fc.integer({ min: 40, max: 400 }),
        fc.integer({ min: 0, max: 700 }),
        (seed, train, cut) => {
          const r = lcg(seed);
          const n = train + 800;
          const t = new Float64Array(n);
          const v = new Float64Array(n);
          for (let i = 0; i < n; i++) {
            t[i] = 1_600_000_000_000 + i * 60_000;
            v[i] = Math.sin(i / 9) + (r() < 0.02 ? 4 * r() : 0.1 * r());
          }
          const d = new ArtDetector();
          d.train({ t: t.subarray(0, train), v: v.subarray(0, train) });
          const c = train + cut;
          const whole = d.score({ t: t.subarray(train), v: v.subarray(train) }).v;
          const tail = d.score(
            { t: t.subarray(c), v: v.subarray(c) },
            { prev: { t: t.subarray(train, c), v: v.subarray(train, c) } },
          ).v;
          expect(Array.from(tail)).toEqual(Array.from(whole.subarray(cut)));
          const s = d.stream();
          for (let i = train; i < n; i++) expect(s.push(t[i], v[i]).score).toBe(whole[i - train]);
        },
      ),
      { numRuns: 12 },
    );
  });
});
