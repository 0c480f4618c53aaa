/**
 * Released forests (serve44): a forest given up by its only owner (`releaseForest`, reached from a
 * stream through `releaseStream`) gives its memory to a pool the next forest of the same sizes takes
 * from. A forest built on a reused memory must be bit-identical to one built on a fresh memory (the
 * oracle: the same options and points on a forest made while the pool is empty), a released forest or
 * stream must refuse every use, and a forest another object still holds must never be pooled.
 */
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { CutForest } from '../../../src/detectors/index.js';
import {
  DetectorError,
  defaultDetector,
  loadModel,
  RandomCutForest,
  ZmsDetector,
} from '../../../src/index.js';
import {
  clearForestPool,
  forestPoolStats,
  releaseForest,
  releaseStream,
  streamOnce,
} from '../../../src/internal.js';

const SIZES = [
  { dimensions: 2, numberOfTrees: 3, sampleSize: 16 },
  { dimensions: 3, numberOfTrees: 2, sampleSize: 8 },
] as const;

/** A forest's run: its options, points (row-major: those before it was cloned, then its own), and what it gave. */
interface Run {
  size: 0 | 1;
  seed: number;
  before: number[];
  rows: number[];
  scores: number[];
  json: unknown;
}

function feed(f: CutForest, rows: readonly number[]): number[] {
  const d = f.dimensions;
  const out: number[] = [];
  for (let i = 0; i + d <= rows.length; i += d) out.push(f.scoreThenUpdate(rows, i));
  return out;
}

const train = (n: number) => ({
  t: Float64Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * 60_000),
  v: Float64Array.from({ length: n }, (_, i) => 10 + Math.sin(i / 9) + ((i * 7919) % 13) / 10),
});

beforeEach(() => clearForestPool());

describe('the forest pool', () => {
  it('forests built on released memories score and save as forests on fresh memory, bit for bit, whatever the order of creations and releases', () => {
    const op = fc.record({
      size: fc.constantFrom(0 as const, 1 as const),
      seed: fc.integer({ min: 0, max: 1000 }),
      rows: fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 0, maxLength: 120 }),
      // how many of the forests alive to release before this one is made (oldest first)
      release: fc.nat({ max: 3 }),
      // a clone of the oldest forest alive instead of a new forest (a clone's reused memory is not zeroed)
      clone: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 12 }), (ops) => {
        clearForestPool();
        const before = forestPoolStats().reused;
        const alive: { f: CutForest; run: Run }[] = [];
        const runs: Run[] = [];
        for (const o of ops) {
          for (let k = 0; k < o.release && alive.length > 1; k++) releaseForest(alive.shift()!.f);
          const from = o.clone ? alive[0] : undefined;
          const f = from ? from.f.clone() : new CutForest({ ...SIZES[o.size], seed: o.seed });
          const base = from ? from.run : { size: o.size, seed: o.seed, before: [], rows: [] };
          const before = [...base.before, ...base.rows];
          const rows = o.rows.slice(0, o.rows.length - (o.rows.length % f.dimensions)); // whole points
          const scores = feed(f, rows);
          const run = { size: base.size, seed: base.seed, before, rows, scores, json: f.toJSON() };
          runs.push(run);
          alive.push({ f, run });
        }
        const reused = forestPoolStats().reused - before;
        // the oracle: each forest again on a fresh memory (the pool empty, nothing released meanwhile)
        clearForestPool();
        for (const r of runs) {
          const f = new CutForest({ ...SIZES[r.size], seed: r.seed });
          feed(f, r.before);
          const scores = feed(f, r.rows);
          expect(scores.length).toBe(r.scores.length);
          for (let i = 0; i < scores.length; i++) expect(Object.is(scores[i], r.scores[i])).toBe(true);
          expect(r.json).toEqual(f.toJSON());
        }
        expect(forestPoolStats().reused - before).toBe(reused); // the oracle took nothing from the pool
      }),
      { numRuns: 60 },
    );
  });

  it('the next forest of the same sizes takes a released memory; other sizes do not', () => {
    const reused = forestPoolStats().reused;
    const a = new CutForest({ ...SIZES[0], seed: 1 });
    feed(
      a,
      Array.from({ length: 200 }, (_, i) => Math.sin(i)),
    );
    expect(releaseForest(a)).toBe(true);
    expect(forestPoolStats().forests).toBe(1);
    const other = new CutForest({ ...SIZES[1], seed: 1 });
    expect(forestPoolStats()).toMatchObject({ forests: 1, reused });
    const b = new CutForest({ ...SIZES[0], seed: 2 });
    expect(forestPoolStats()).toMatchObject({ forests: 0, bytes: 0, reused: reused + 1 });
    expect(b.totalUpdates).toBe(0);
    expect(releaseForest(other)).toBe(true);
  });

  it('no public method releases a forest: the exported CutForest has no release (its trees are public views of its memory)', () => {
    // (rev46: CutForest.release() was public on the class tsad/detectors exports, while a caller may
    // hold its `trees`, whose typed arrays no check guards: they would write into the next forest's memory)
    const f = new CutForest({ ...SIZES[0], seed: 5 });
    expect(typeof (f as unknown as { release?: unknown }).release).toBe('undefined');
    expect(Object.getOwnPropertyNames(CutForest.prototype)).not.toContain('release');
    expect(releaseForest(f)).toBe(true);
  });

  it('a released forest refuses every use with DetectorError internal; a second release does nothing', () => {
    const f = new CutForest({ ...SIZES[0], seed: 3 });
    feed(f, [1, 2, 3, 4, 5, 6]);
    expect(releaseForest(f)).toBe(true);
    expect(releaseForest(f)).toBe(false);
    expect(forestPoolStats().forests).toBe(1);
    // the next forest of its sizes takes its memory and samples points of its own
    const next = new CutForest({ ...SIZES[0], seed: 4 });
    expect(forestPoolStats().forests).toBe(0);
    feed(next, [7, 8, 9, 10]);
    const calls: [string, () => unknown][] = [
      ['score', () => f.score([1, 2])],
      ['update', () => f.update([1, 2])],
      ['scoreThenUpdate', () => f.scoreThenUpdate([1, 2])],
      ['scoreRows', () => f.scoreRows(new Float64Array(2), 1, new Float64Array(1))],
      ['scoreThenUpdateRows', () => f.scoreThenUpdateRows(new Float64Array(2), 1, new Float64Array(1))],
      ['toJSON', () => f.toJSON()],
      ['clone', () => f.clone()],
      ['prefetchBatch', () => f.prefetchBatch(new Float64Array(2), 1)],
      // the inspectors too: the sampler's arrays are views of memory the next forest now owns (rev46:
      // these returned that forest's numbers)
      ['samplerSize', () => f.samplerSize(0)],
      ['samplerSlots', () => f.samplerSlots(0)],
      ['totalUpdates', () => f.totalUpdates],
      ['isReady', () => f.isReady()],
      [
        'threads = 2',
        () => {
          f.threads = 2;
        },
      ],
    ];
    for (const [name, call] of calls) {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect([name, err instanceof DetectorError && err.code]).toEqual([name, 'internal']);
      expect((err as Error).message).toMatch(/released/);
    }
  });

  it('a released stream gives its forest back and refuses every later call; the detector it came from is untouched', () => {
    const det = new RandomCutForest({ nEstimators: 3, maxNSamples: 16, onlineUpdates: true });
    det.train(train(200));
    const before = det.toJSON();
    const s = det.stream();
    const tail = train(260);
    for (let i = 200; i < 230; i++) s.push(tail.t[i], tail.v[i]);
    expect(releaseStream(s)).toBe(true);
    expect(forestPoolStats().forests).toBe(1);
    for (const call of [
      () => s.push(tail.t[230], 1),
      () => s.scoreOne(tail.t[230], 1),
      () => s.learnOne(tail.t[230], 1),
      () => s.toJSON(),
    ]) {
      expect(call).toThrow(DetectorError);
      expect(call).toThrow(/released/);
    }
    expect(releaseStream(s)).toBe(true); // again: nothing more
    expect(forestPoolStats().forests).toBe(1);
    // the detector still streams from where it was trained, on the memory the stream gave back
    const reused = forestPoolStats().reused;
    const again = det.stream();
    expect(forestPoolStats()).toMatchObject({ forests: 0, reused: reused + 1 });
    const fresh = loadModel(before).stream();
    for (let i = 200; i < 260; i++)
      expect(Object.is(again.push(tail.t[i], tail.v[i]).score, fresh.push(tail.t[i], tail.v[i]).score)).toBe(
        true,
      );
    expect(det.toJSON()).toEqual(before);
  });

  it("the default ensemble's stream releases every member's forest; streamOnce's stream releases the loaded detector's", () => {
    const det = defaultDetector({ seed: 0 });
    det.train(train(600));
    const s = det.stream();
    const forests = forestPoolStats().forests;
    expect(releaseStream(s)).toBe(true);
    const pooled = forestPoolStats().forests - forests;
    expect(pooled).toBeGreaterThanOrEqual(1);
    expect(() => s.push(Date.UTC(2030, 0, 1), 1)).toThrow(/released/);
    // the loaded detector's forests take the memories just given back; its stream gives them back again
    const once = streamOnce(loadModel(det.toJSON()));
    expect(forestPoolStats().forests).toBe(forests);
    expect(releaseStream(once)).toBe(true);
    expect(forestPoolStats().forests).toBe(forests + pooled);
  });

  it('a forest shared read only (no online updates) is never pooled by the streams that share it', () => {
    const det = new RandomCutForest({ nEstimators: 3, maxNSamples: 16 });
    det.train(train(200));
    const a = det.stream();
    const b = det.stream();
    expect(releaseStream(a)).toBe(true);
    expect(forestPoolStats().forests).toBe(0);
    const tail = train(210);
    const fresh = loadModel(det.toJSON()).stream();
    for (let i = 200; i < 210; i++)
      expect(Object.is(b.push(tail.t[i], tail.v[i]).score, fresh.push(tail.t[i], tail.v[i]).score)).toBe(
        true,
      );
  });

  it("a stream without a forest, or not tsad's, releases nothing", () => {
    const z = new ZmsDetector({});
    z.train(train(200));
    expect(releaseStream(z.stream())).toBe(true);
    expect(forestPoolStats().forests).toBe(0);
    const foreign = {
      push: () => ({ score: 0, alarm: false }),
      scoreOne: () => 0,
      learnOne: () => undefined,
      toJSON: () => z.toJSON(),
    };
    expect(releaseStream(foreign as never)).toBe(false);
  });
});
