/**
 * ArtDetector (docs/detectors.md, "ART"): the probationary geometry, the causal range, alarms only on
 * block-closing points, the category cap, model-file round trips, and the artNab recipe's range hook.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArtDetector } from '../../src/detectors/index.js';
import { ConfigError, DetectorError, loadModel } from '../../src/index.js';
import {
  ART_CDIM,
  ArtCore,
  artCausalRange,
  artGeometry,
  artReexpress,
  finiteRange,
  makeDetector,
} from '../../src/internal.js';
import { lcg } from '../helpers/random.js';

function series(n: number, f: (i: number) => number): { t: Float64Array; v: Float64Array } {
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = 1_600_000_000_000 + i * 300_000;
    v[i] = f(i);
  }
  return { t, v };
}

const wave = (i: number): number => 10 + Math.sin(i / 20) + 0.1 * Math.sin(i * 1.7);

describe('ArtDetector', () => {
  it('derives ARTime’s geometry from the training length (even part, step floor(L/104), blocks floor(L/step))', () => {
    // values worked by hand from the formulas of docs/detectors.md
    expect(artGeometry(750)).toEqual({ probation: 750, step: 7, trendWindow: 107 });
    expect(artGeometry(451)).toEqual({ probation: 450, step: 4, trendWindow: 112 });
    expect(artGeometry(600)).toEqual({ probation: 600, step: 5, trendWindow: 120 });
    expect(artGeometry(100)).toEqual({ probation: 100, step: 1, trendWindow: 100 });
  });

  it('widens the training range by the margin of its span on each side', () => {
    expect(artCausalRange([2, 4, Number.NaN, 3], 0.25)).toEqual([1.5, 4.5]);
    expect(artCausalRange([5, 5], 0.5)).toEqual([2.5, 7.5]);
    expect(artCausalRange([0, 0], 0.25)).toEqual([-0.25, 0.25]);
    expect(artCausalRange([Number.NaN], 0.25)).toEqual([0, 0]);
  });

  it('refuses a training part shorter than 32 points as too few points', () => {
    const d = new ArtDetector();
    const s = series(31, wave);
    expect(() => d.train(s)).toThrow(DetectorError);
    try {
      d.train(s);
    } catch (e) {
      expect((e as DetectorError).code).toBe('too_few_points');
      expect((e as Error).message).toContain('needs at least 32 training points, got 31');
    }
    expect(d.minTrainPoints().points).toBe(32);
    new ArtDetector().train(series(32, wave));
  });

  it('flags a level shift after a periodic training part, and only there', () => {
    const n = 4000;
    const s = series(n, (i) => wave(i) + (i >= 3000 && i < 3020 ? 5 : 0));
    const d = new ArtDetector();
    d.train({ t: s.t.subarray(0, 600), v: s.v.subarray(0, 600) });
    const out = d.score({ t: s.t.subarray(600), v: s.v.subarray(600) }).v;
    const hits: number[] = [];
    out.forEach((x, k) => {
      if (x > 0) hits.push(600 + k);
    });
    expect(hits.length).toBeGreaterThan(0);
    for (const h of hits) expect(h >= 3000 && h < 3100).toBe(true);
  });

  it('scores only points that close a block, in [0, 1]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 40, max: 900 }), (seed, train) => {
        const r = lcg(seed);
        const s = series(train + 600, (i) => Math.sin(i / 7) + (r() < 0.02 ? 5 * r() : 0.2 * r()));
        const d = new ArtDetector();
        d.train({ t: s.t.subarray(0, train), v: s.v.subarray(0, train) });
        const { step } = artGeometry(train);
        const out = d.score({ t: s.t.subarray(train), v: s.v.subarray(train) }).v;
        for (let k = 0; k < out.length; k++) {
          expect(out[k] >= 0 && out[k] <= 1).toBe(true);
          if ((train + k + 1) % step !== 0) expect(out[k]).toBe(0);
        }
      }),
      { numRuns: 15 },
    );
  });

  it('holds at most maxCategories categories: at the cap a new one overwrites the least recently used', () => {
    const r = lcg(7);
    const core = new ArtCore({ maxCategories: 16 });
    core.begin(200, 0, 1);
    const counts: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const x = core.push(r());
      expect(x >= 0 && x <= 1).toBe(true);
      if (i % 500 === 499) counts.push(core.categories);
    }
    // white noise keeps making categories: the memory reaches the cap and stays there
    expect(counts[counts.length - 1]).toBe(16);
    expect(Math.max(...counts)).toBe(16);
    // the state stays a valid model file at the cap
    const copy = new ArtCore({ maxCategories: 16 });
    copy.restore(JSON.parse(JSON.stringify(core.toJSON())), 'core');
    for (let i = 0; i < 300; i++) {
      const v = r();
      expect(copy.push(v)).toBe(core.push(v));
    }
  });

  it('a saved model scores the rest of a stream exactly as the original does', () => {
    const r = lcg(11);
    const s = series(3000, (i) => wave(i) + (r() < 0.01 ? 4 : 0.05 * r()));
    const d = new ArtDetector();
    d.train({ t: s.t.subarray(0, 450), v: s.v.subarray(0, 450) });
    const a = d.stream();
    for (let i = 450; i < 1500; i++) a.push(s.t[i], s.v[i]);
    const loaded = loadModel(JSON.stringify(a.toJSON())) as ArtDetector;
    expect(loaded).toBeInstanceOf(ArtDetector);
    const b = loaded.stream();
    for (let i = 1500; i < 3000; i++) expect(b.push(s.t[i], s.v[i]).score).toBe(a.push(s.t[i], s.v[i]).score);
  });

  it('the artNab recipe takes the range the NAB runner hands it, and refuses to run without one', () => {
    expect(() => makeDetector('artNab')).toThrow(ConfigError);
    const d = makeDetector('artNab', { range: [-1, 3] }) as ArtDetector;
    expect(d.config.range).toEqual([-1, 3]);
    expect((makeDetector('art') as ArtDetector).config.range).toBeNull();
    expect((makeDetector('art') as ArtDetector).config.rangeMode).toBe('grow');
    expect((makeDetector('artClamp') as ArtDetector).config.rangeMode).toBe('clamp');
    expect((makeDetector('artNab', { range: [-1, 3] }) as ArtDetector).config.rangeMode).toBe('clamp');
    expect(finiteRange([3, Number.NaN, -2, 7])).toEqual([-2, 7]);
    expect(finiteRange([Number.NaN])).toBeUndefined();
  });
});

/** The newest level of a core's feature window (its state's last `fWin` entry). */
function newestLevel(core: ArtCore): number {
  const fw = (core.toJSON() as { fWin: number[] }).fWin;
  return fw[fw.length - 1];
}

describe('ArtDetector, round 16b: a range that grows (rangeMode)', () => {
  it('a level past the training range keeps its level resolution under grow, and clamps under clamp', () => {
    const levels = (mode: 'clamp' | 'grow'): number[] => {
      const core = new ArtCore({ rangeMode: mode });
      core.begin(200, -0.25, 1.25); // the causal range of a training part in [0, 1], margin 0.25
      const r = lcg(3);
      for (let i = 0; i < 200; i++) core.push(0.5 + 0.5 * Math.sin(i / 5) + 0.01 * r());
      core.push(3.5); // leaves the range (step 1: every point is a block)
      return [3, 3.2].map((v) => {
        const c = new ArtCore({ rangeMode: mode });
        c.copyFrom(core);
        c.push(v);
        return newestLevel(c);
      });
    };
    const [c3, c32] = levels('clamp');
    expect(c3).toBe(1);
    expect(c32).toBe(1);
    const [g3, g32] = levels('grow');
    // grown to [-0.25, 3.5 + 0.25·3.75]: 3 and 3.2 lie 0.2/4.6875 of the span apart, about 3.4 levels of 80
    expect([3, 4]).toContain(Math.round((g32 - g3) * 80));
    expect(g32).toBeLessThan(1);
  });

  it('re-expressing a category equals learning the images of its samples (fast learning commutes with the map)', () => {
    const unit = fc.double({ min: 0, max: 1, noNaN: true });
    fc.assert(
      fc.property(
        fc.array(fc.array(unit, { minLength: 16, maxLength: 16 }), { minLength: 1, maxLength: 6 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (samples, a, bFrac) => {
          const b = bFrac * (1 - a); // the image of [0, 1] stays inside [0, 1]
          // category 0: learned from the samples (complement coding, elementwise min); category 1: untouched
          const learn = (xs: number[][]): Float64Array => {
            const w = new Float64Array(ART_CDIM).fill(1);
            for (const x of xs) {
              for (let k = 0; k < 16; k++) {
                w[k] = Math.min(w[k], x[k]);
                w[k + 16] = Math.min(w[k + 16], 1 - x[k]);
              }
            }
            return w;
          };
          const w = new Float64Array(2 * ART_CDIM).fill(1);
          w.set(learn(samples), 0);
          artReexpress(w, 2, a, b);
          // the oracle: the levels (features 8..15) mapped before learning, the Haar half as it was
          const want = learn(samples.map((x) => x.map((y, k) => (k >= 8 ? a * y + b : y))));
          for (let k = 0; k < ART_CDIM; k++) expect(w[k]).toBeCloseTo(want[k], 12);
          for (let k = ART_CDIM; k < 2 * ART_CDIM; k++) expect(w[k]).toBe(1);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a grown model round-trips through its model file and scores on exactly as the original', () => {
    const r = lcg(5);
    const s = series(3000, (i) => wave(i) + (i > 900 ? (i - 900) / 150 : 0) + 0.05 * r());
    const d = new ArtDetector({ rangeMode: 'grow' });
    d.train({ t: s.t.subarray(0, 450), v: s.v.subarray(0, 450) });
    const a = d.stream();
    for (let i = 450; i < 1800; i++) a.push(s.t[i], s.v[i]);
    const m = a.toJSON() as unknown as { state: { stateVersion: number; model: { core: { hi: number } } } };
    expect(m.state.stateVersion).toBe(3);
    // grew well past the causal range of the training part
    expect(m.state.model.core.hi).toBeGreaterThan(artCausalRange(s.v.subarray(0, 450), 0.25)[1] + 3);
    const b = (loadModel(JSON.stringify(m)) as ArtDetector).stream();
    for (let i = 1800; i < 3000; i++) expect(b.push(s.t[i], s.v[i]).score).toBe(a.push(s.t[i], s.v[i]).score);
  });

  it('a lower vigilance the adaptation took below 0 saves and loads (it falls by at most 0.185 past 0)', () => {
    const r = lcg(7);
    const s = series(1200, (i) => wave(i) + 0.05 * r());
    const d = new ArtDetector();
    d.train({ t: s.t.subarray(0, 450), v: s.v.subarray(0, 450) });
    const m = d.toJSON() as unknown as { state: { model: { core: { rhoLb: number } } } };
    m.state.model.core.rhoLb = -0.1;
    const b = (loadModel(JSON.stringify(m)) as ArtDetector).stream();
    expect(Number.isFinite(b.push(s.t[450], s.v[450]).score)).toBe(true);
    m.state.model.core.rhoLb = -1.5;
    expect(() => loadModel(JSON.stringify(m))).toThrow(/rhoLb/);
  });

  it('a hand-edited model file that would score NaN is refused, naming the field', () => {
    const r = lcg(9);
    const s = series(1200, (i) => wave(i) + 0.05 * r());
    const d = new ArtDetector();
    d.train({ t: s.t.subarray(0, 450), v: s.v.subarray(0, 450) });
    const text = JSON.stringify(d.toJSON());
    const edit = (f: (core: Record<string, unknown>) => void): string => {
      const m = JSON.parse(text) as { state: { model: { core: Record<string, unknown> } } };
      f(m.state.model.core);
      return JSON.stringify(m);
    };
    expect(() => loadModel(text)).not.toThrow();
    expect(() => loadModel(edit((c) => (c.simCount = 0)))).toThrow(/simCount/);
    expect(() => loadModel(edit((c) => (c.simSum = -1)))).toThrow(/simSum/);
    expect(() => loadModel(edit((c) => ((c.fWin as number[])[0] = 7)))).toThrow(/fWin\[0\]/);
    expect(() => loadModel(edit((c) => ((c.simWin as number[])[0] = 2)))).toThrow(/simWin\[0\]/);
  });
});

/**
 * fixtures/art-4159b03.json was written by tsad's main branch at commit 4159b03 (round 16, before
 * `rangeMode`), not by this build: `new ArtDetector()` trained on 600 points of a noisy sine near 10,
 * streamed to point 900 and saved; the level rises past the training range (+4 from point 1200, +3 more
 * from 1800), and `stream` holds that build's scores of the points after 900.
 */
describe('ArtDetector, model files of state version 2', () => {
  it('a round-16 model loads as clamp and streams to that build’s very scores', () => {
    const fx = JSON.parse(readFileSync(new URL('./fixtures/art-4159b03.json', import.meta.url), 'utf8')) as {
      test: { t: number[]; v: number[] };
      stream: number[];
      model: { state: { stateVersion: number } };
    };
    expect(fx.model.state.stateVersion).toBe(2);
    const d = loadModel(fx.model) as ArtDetector;
    expect(d).toBeInstanceOf(ArtDetector);
    expect(d.config.rangeMode).toBe('clamp');
    const s = d.stream();
    let alarms = 0;
    for (let i = 0; i < fx.test.t.length; i++) {
      const x = s.push(fx.test.t[i], fx.test.v[i]).score;
      if (!Object.is(x, fx.stream[i])) expect([i, x]).toEqual([i, fx.stream[i]]);
      if (x > 0) alarms++;
    }
    expect(alarms).toBeGreaterThan(0);
  });
});
