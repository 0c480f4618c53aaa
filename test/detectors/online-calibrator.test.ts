import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AnomScoreCalibrator,
  OnlineCalibrator,
  REFIT_EVERY,
  SKETCH_GAMMA,
  TailSketch,
} from '../../src/detectors/index.js';
import { ModelFormatError } from '../../src/index.js';

/** |N(0, 1)| draws from a seeded Box–Muller (no dependence on the code under test). */
function halfNormal(n: number, seed: number): Float64Array {
  let g = seed >>> 0 || 1;
  const u = () => {
    g = (Math.imul(g, 1664525) + 1013904223) >>> 0;
    return (g + 0.5) / 2 ** 32;
  };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.abs(Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
  return out;
}

const scoreArb = fc.oneof(
  fc.double({ min: 0, max: 1e6, noNaN: true }),
  fc.double({ min: -50, max: 50, noNaN: true }),
  fc.constant(0),
);

describe('TailSketch', () => {
  it('holds the same counts whatever the order of the scores', () => {
    fc.assert(
      fc.property(fc.array(scoreArb, { maxLength: 300 }), fc.integer(), (xs, seed) => {
        const a = new TailSketch();
        for (const x of xs) a.add(Math.abs(x));
        // a seeded shuffle
        const ys = xs.slice();
        let g = seed >>> 0;
        for (let i = ys.length - 1; i > 0; i--) {
          g = (Math.imul(g, 1664525) + 1013904223) >>> 0;
          const j = g % (i + 1);
          [ys[i], ys[j]] = [ys[j], ys[i]];
        }
        const b = new TailSketch();
        for (const y of ys) b.add(Math.abs(y));
        expect(b.toJSON()).toEqual(a.toJSON());
        expect(b.n).toBe(xs.length);
      }),
    );
  });

  it('gives every quantile within the relative error of its bucket width', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1e-6, max: 1e9, noNaN: true }), { minLength: 1, maxLength: 400 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (xs, q) => {
          const s = new TailSketch();
          for (const x of xs) s.add(x);
          const sorted = xs.slice().sort((a, b) => a - b);
          const rank = Math.floor(q * (xs.length - 1));
          const out = new Float64Array(1);
          s.atRanks([rank], out);
          const exact = sorted[rank];
          expect(Math.abs(out[0] - exact) / exact).toBeLessThanOrEqual((SKETCH_GAMMA - 1) / 2 + 1e-12);
        },
      ),
    );
  });

  it('refuses a state that cannot be', () => {
    const s = new TailSketch();
    expect(() => s.restore([3, 1, 2, 1], 'x')).toThrow(ModelFormatError);
    expect(() => s.restore([3, -1], 'x')).toThrow(/positive integer counts/);
    expect(() => s.restore([1e9, 1], 'x')).toThrow(ModelFormatError);
    expect(() => s.restore([1, 2, 3], 'x')).toThrow(/pairs/);
  });
});

describe('OnlineCalibrator', () => {
  it('learns the tail while streaming: on |N(0,1)| scores it converges to the identity a fixed calibrator misses', () => {
    const train = halfNormal(450, 1);
    const online = new OnlineCalibrator(1000);
    online.train(train);
    const fixed = new AnomScoreCalibrator(1000, true);
    fixed.train(train);
    for (const x of halfNormal(30_000, 2)) online.push(x);
    let worstOnline = 0;
    let worstFixed = 0;
    for (const x of [0.5, 1, 1.5, 2, 2.5, 3, 3.5]) {
      worstOnline = Math.max(worstOnline, Math.abs(online.peek(x) - x));
      worstFixed = Math.max(worstFixed, Math.abs(fixed.calibrateOne(x) - x));
    }
    expect(worstOnline).toBeLessThan(0.1);
    expect(worstFixed).toBeGreaterThan(0.3);
  });

  it('is monotone, and strictly increasing beyond its last anchor', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 10, maxLength: 600 }),
        fc.double({ min: 0, max: 1e4, noNaN: true }),
        fc.double({ min: 0, max: 1e4, noNaN: true }),
        (xs, a, b) => {
          const c = new OnlineCalibrator(1000);
          c.train(Float64Array.from(xs));
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(c.peek(lo)).toBeLessThanOrEqual(c.peek(hi));
          const anchors = c.cal.anchors;
          if (anchors.length >= 2) {
            const top = anchors[anchors.length - 1][0];
            // strictly, for raw scores float64 can tell apart after the tail's square root (which halves
            // relative differences: two scores a few ulps apart can round to one value, seed -1467231317)
            if (lo > top && hi - lo > 1e-12 * hi) expect(c.peek(hi)).toBeGreaterThan(c.peek(lo));
          }
        },
      ),
    );
  });

  it('a checkpoint at any point resumes bit for bit, and the outputs do not depend on how pushes are batched', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -20, max: 20, noNaN: true }), { minLength: 5, maxLength: 60 }),
        fc.array(fc.oneof(scoreArb, fc.constant(Number.NaN)), { minLength: 1, maxLength: 3 * REFIT_EVERY }),
        fc.nat(),
        (train, stream, cutSeed) => {
          const cut = cutSeed % (stream.length + 1);
          const a = new OnlineCalibrator(1000);
          a.train(Float64Array.from(train));
          const whole = stream.map((x) => a.push(x));
          const b = new OnlineCalibrator(1000);
          b.train(Float64Array.from(train));
          const first = stream.slice(0, cut).map((x) => b.push(x));
          const c = new OnlineCalibrator(1000);
          c.restore(JSON.parse(JSON.stringify(b.toJSON())), 'state');
          const copy = b.copy();
          const rest = stream.slice(cut).map((x) => c.push(x));
          const restCopy = stream.slice(cut).map((x) => copy.push(x));
          expect([...first, ...rest]).toEqual(whole);
          expect([...first, ...restCopy]).toEqual(whole);
          expect(JSON.stringify(c.toJSON())).toBe(JSON.stringify(a.toJSON()));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('does not blow up scores that hardly vary (a constant or perfectly periodic signal)', () => {
    const c = new OnlineCalibrator(1000);
    const x = Float64Array.from({ length: 500 }, (_, i) => 1 + 1e-9 * (i % 7));
    c.train(x);
    // 1 % above every training score is unusual, not extreme
    expect(c.peek(1.01)).toBeLessThan(4);
    expect(c.peek(1.01)).toBeGreaterThan(c.peek(1));
  });

  it('with censoring, a score at the censor level is calibrated but not learnt; one below is learnt', () => {
    const c = new OnlineCalibrator(1000, 4);
    c.train(halfNormal(450, 5));
    const before = JSON.stringify(c.toJSON());
    expect(c.push(100)).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(c.toJSON())).toBe(before);
    expect(c.push(0.5)).toBeLessThan(4);
    expect(c.sketch.n).toBe(451);
    // a copy keeps the censor level
    const d = c.copy();
    d.push(100);
    expect(d.sketch.n).toBe(451);
  });

  it('peek does not learn', () => {
    const c = new OnlineCalibrator(1000);
    c.train(halfNormal(200, 3));
    const before = JSON.stringify(c.toJSON());
    for (let i = 0; i < 500; i++) c.peek(i);
    expect(JSON.stringify(c.toJSON())).toBe(before);
  });
});

describe('AnomScoreCalibrator with an exponential tail', () => {
  it('maps two different raw scores beyond the last anchor to two different values, and round-trips', () => {
    // different beyond rounding: the gap is at least 1e-9 of the larger score (closer scores can round
    // to one double on any curve that is not steeper than the identity)
    fc.assert(
      fc.property(
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.double({ min: 1e-9, max: 1e6, noNaN: true }),
        (beta, a, rel) => {
          const c = new AnomScoreCalibrator(1000, true);
          c.setAnchorPoints([0, 1, 2, 4], [0, 1, 2, 3], beta);
          const x = 4 + a;
          const y = x * (1 + rel);
          expect(c.calibrateOne(y)).toBeGreaterThan(c.calibrateOne(x));
          expect(c.calibrateOne(4)).toBe(3);
          const again = new AnomScoreCalibrator(1, true);
          again.restore(JSON.parse(JSON.stringify(c.toJSON())), 'cal');
          expect(again.calibrateOne(y)).toBe(c.calibrateOne(y));
        },
      ),
    );
  });

  it('refuses a bad tail scale in a model file', () => {
    const c = new AnomScoreCalibrator(1000, true);
    c.setAnchorPoints([0, 1, 2], [0, 1, 2], 0.5);
    const json = c.toJSON() as Record<string, unknown>;
    expect(() => new AnomScoreCalibrator(1).restore({ ...json, tailScale: -1 }, 'cal')).toThrow(/tailScale/);
    expect(() => new AnomScoreCalibrator(1).restore({ ...json, tailScale: 'x' }, 'cal')).toThrow(
      ModelFormatError,
    );
  });
});
