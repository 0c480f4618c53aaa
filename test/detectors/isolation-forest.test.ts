import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadNab } from '../../src/datasets/index.js';
import { averagePathLength, IsolationForest, IsolationForestModel, Rng } from '../../src/detectors/index.js';
import type { TimeSeries } from '../../src/series/index.js';
import { resample } from '../../src/series/index.js';

// V8's Math.log is not always correctly rounded (Math.log(3) is 1 ulp below glibc's), so the spec's
// reference figures are matched to floating-point rounding (a few ulps), not always to the bit.
const ulps = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-15 * Math.abs(b));

describe('c(n) (docs/detectors.md, IsolationForest)', () => {
  it('matches the listed values', () => {
    expect(averagePathLength(0)).toBe(0);
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    ulps(averagePathLength(3), 1.207392357589623);
    ulps(averagePathLength(4), 1.8516559071392855);
    ulps(averagePathLength(5), 2.327020052042847);
    ulps(averagePathLength(10), 3.748880484475505);
    ulps(averagePathLength(256), 10.244770920119917);
    ulps(averagePathLength(3403), 15.41925659243522);
  });
});

describe('worked example I1: a hand-built isolation tree', () => {
  // root: x ≤ 5 → node 1, else leaf {10} (depth 1); node 1: x ≤ 0.5 → leaf {0}, else leaf {1, 2} (depth 2)
  const leaf = (depth: number, n: number) => depth + 1 + averagePathLength(n) - 1;
  const model = new IsolationForestModel(
    4,
    1,
    Int32Array.from([0]),
    Int32Array.from([0, 0, -1, -1, -1]),
    Float64Array.from([5, 0.5, leaf(1, 1), leaf(2, 1), leaf(2, 2)]),
    Int32Array.from([1, 3, -1, -1, -1]),
  );
  it('scores 10, 0, 1, 2 exactly as the spec', () => {
    ulps(model.scoreRow(Float64Array.of(10)), 0.6877436677788327);
    ulps(model.scoreRow(Float64Array.of(0)), 0.4729913525698814);
    ulps(model.scoreRow(Float64Array.of(1)), 0.3252968076440812);
    ulps(model.scoreRow(Float64Array.of(2)), 0.3252968076440812);
    const out = new Float64Array(4);
    model.scoreInto(Float64Array.of(10, 0, 1, 2), 4, out);
    for (let i = 0; i < 4; i++)
      expect(Object.is(out[i], model.scoreRow(Float64Array.of([10, 0, 1, 2][i])))).toBe(true);
  });
  it('a single training sample scores 0.5 everywhere', () => {
    const m = IsolationForestModel.build(
      { t: Float64Array.of(0), x: Float64Array.of(3), n: 1, d: 1 },
      5,
      256,
      new Rng(1),
    );
    expect(m.scoreRow(Float64Array.of(100))).toBe(0.5);
  });
});

describe('tree construction', () => {
  const n = 1000;
  const x = Float64Array.from(
    { length: n * 2 },
    (_, i) => Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453),
  );
  const frame = { t: new Float64Array(n), x, n, d: 2 };
  const m = IsolationForestModel.build(frame, 20, 256, new Rng(3));
  it('ψ = min(maxSamples, n), depth limit ⌈log2 ψ⌉, at most 2ψ − 1 nodes per tree', () => {
    expect(m.psi).toBe(256);
    expect(m.nTrees).toBe(20);
    for (let k = 0; k < m.nTrees; k++) {
      const end = k + 1 < m.nTrees ? m.roots[k + 1] : m.feature.length;
      expect(end - m.roots[k]).toBeLessThanOrEqual(511);
      // walk: depths never exceed 8, and leaf value = depth + c(n_leaf) ≥ depth
      const stack: [number, number][] = [[m.roots[k], 0]];
      let leafRows = 0;
      while (stack.length) {
        const [node, depth] = stack.pop()!;
        expect(depth).toBeLessThanOrEqual(8);
        if (m.feature[node] < 0) {
          expect(m.value[node]).toBeGreaterThanOrEqual(depth);
          leafRows += 1;
        } else {
          stack.push([m.left[node], depth + 1], [m.left[node] + 1, depth + 1]);
        }
      }
      expect(leafRows).toBeGreaterThan(1);
    }
  });
  it('scoreInto equals scoreRow bit for bit', () => {
    const out = new Float64Array(n);
    m.scoreInto(x, n, out);
    for (let i = 0; i < n; i++) expect(Object.is(out[i], m.scoreRow(x, i * 2))).toBe(true);
  });
  it('property: rank-lookup scoring equals walking the trees, bit for bit (d = 1, 2, 3; ties with thresholds)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 6, maxLength: 300 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer(),
        (d, vals, ms, seed) => {
          const rowsN = Math.floor(vals.length / d);
          const xs = Float64Array.from(vals.slice(0, rowsN * d), (v) => v / 4);
          const f = IsolationForestModel.build(
            { t: new Float64Array(rowsN), x: xs, n: rowsN, d },
            12,
            ms,
            new Rng(seed),
          );
          const probe = Float64Array.from({ length: 50 * d }, (_, i) => (((i * 7919) % 41) - 20) / 4);
          const out = new Float64Array(50);
          f.scoreInto(probe, 50, out);
          const den = f.nTrees * averagePathLength(f.psi);
          for (let i = 0; i < 50; i++) {
            const walk = den === 0 ? 0.5 : 2 ** (-f.pathLengthSum(probe, i * d) / den);
            expect(Object.is(out[i], walk)).toBe(true);
            expect(Object.is(f.scoreRow(probe, i * d), walk)).toBe(true);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
  it('property: scores lie in (0, 1] and a far outlier scores above the median', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
        const f = IsolationForestModel.build(frame, 30, 128, new Rng(seed));
        const out = new Float64Array(n);
        f.scoreInto(x, n, out);
        for (const s of out) expect(s > 0 && s <= 1).toBe(true);
        const sorted = Float64Array.from(out).sort();
        expect(f.scoreRow(Float64Array.of(50, -50))).toBeGreaterThan(sorted[n >> 1]);
      }),
      { numRuns: 10 },
    );
  });
});

function ranks(a: Float64Array): Float64Array {
  const idx = Array.from(a.keys()).sort((i, j) => a[i] - a[j]);
  const r = new Float64Array(a.length);
  for (let s = 0; s < idx.length; ) {
    let e = s;
    while (e + 1 < idx.length && a[idx[e + 1]] === a[idx[s]]) e++;
    for (let k = s; k <= e; k++) r[idx[k]] = (s + e) / 2;
    s = e + 1;
  }
  return r;
}

function spearman(a: Float64Array, b: Float64Array): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  const ma = ra.reduce((s, x) => s + x, 0) / n;
  const mb = rb.reduce((s, x) => s + x, 0) / n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += (ra[i] - ma) * (rb[i] - mb);
    da += (ra[i] - ma) ** 2;
    db += (rb[i] - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

describe('statistical parity on NAB machine temperature (train split before 2013-12-15)', () => {
  it('100-tree scores rank-correlate ≥ 0.98 with a 1,000-tree forest', async () => {
    const ds = await loadNab('realKnownCause/machine_temperature_system_failure.csv');
    const all = resample(ds.series, { granularityMs: 300_000, aggregate: 'max' });
    const cut = Date.UTC(2013, 11, 15);
    let k = 0;
    while (all.t[k] < cut) k++;
    const train: TimeSeries = { t: all.t.slice(0, k), v: all.v.slice(0, k) };
    const ours = new IsolationForest({ enableCalibrator: false });
    ours.train(train);
    const ref = new IsolationForest({ enableCalibrator: false, nEstimators: 1000, seed: 12345 });
    ref.train(train);
    const a = ours.score(train);
    const b = ref.score(train);
    expect(a.v.length).toBe(k - 1);
    const rho = spearman(a.v, b.v);
    console.log(
      `IsolationForest NAB machine-temperature train split: n=${k}, Spearman(100 trees, 1000 trees) = ${rho.toFixed(4)}`,
    );
    expect(rho).toBeGreaterThanOrEqual(0.98);
  });
});
