import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadNab } from '../../src/datasets/index.js';
import { averagePathLength, IsolationForest, IsolationForestModel, Rng } from '../../src/detectors/index.js';
import type { TimeSeries } from '../../src/series/index.js';
import { resample } from '../../src/series/index.js';
import { nabAmbientTrain } from '../helpers/reference-series.js';

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

/**
 * Side by side with scikit-learn (ref42; docs/detectors.md, "Checked against scikit-learn"). Figures printed on
 * 2026-12-07 by Python 3 with scikit-learn 1.9.1 and numpy 2.4.6; the calls are named beside each constant.
 */
describe('against scikit-learn 1.9.1 IsolationForest', () => {
  it('c(n) equals sklearn.ensemble._iforest._average_path_length', () => {
    // _average_path_length(np.array([0, 1, 2, 3, 4, 5, 10, 100, 256, 1000, 3403, 100000]))
    const ns = [0, 1, 2, 3, 4, 5, 10, 100, 256, 1000, 3403, 100000];
    const ref = [
      0, 0, 1, 1.207392357589623, 1.8516559071392855, 2.327020052042847, 3.748880484475505, 8.364671030072245,
      10.244770920119917, 12.969940887100174, 15.41925659243522, 22.180282259643523,
    ];
    for (let i = 0; i < ns.length; i++) ulps(averagePathLength(ns[i]), ref[i]);
  });

  it('ψ = min(256, n): IsolationForest(random_state=0).fit(X).max_samples_ is 100, 256, 256 for n = 100, 256, 1000', () => {
    for (const [n, psi] of [
      [100, 100],
      [256, 256],
      [1000, 256],
    ]) {
      const x = Float64Array.from({ length: n }, (_, i) => i);
      expect(IsolationForestModel.build({ t: new Float64Array(n), x, n, d: 1 }, 2, 256, new Rng(0)).psi).toBe(
        psi,
      );
    }
  });

  /**
   * scikit-learn's own trees, copied node for node: X = np.array([[0, 0], [1, 0.5], [2, 1], [3, 1.5], [0.5, 3],
   * [1.5, 2.5], [2.5, 2], [3.5, 0.25], [8, 8], [0.25, 0.125], [1.25, 1.75], [2.75, 0.75]]) (12 rows, multiples
   * of 1/8, exact in float32), f = IsolationForest(n_estimators=3, max_samples=8, random_state=0).fit(X); per
   * tree t = est.tree_: t.feature, t.threshold, t.children_left, t.children_right, t.n_node_samples
   * (estimators_features_ is [0, 1] for each, so features are not permuted).
   * Leaves get tsad's value depth + c(n_leaf) and scores must equal -f.score_samples(Q).
   */
  const SK_TREES = [
    {
      feature: [1, 1, 0, -2, -2, -2, 0, 1, -2, -2, -2],
      threshold: [
        1.1195586858641162, 0.5754399340718239, 2.376038215298223, -2, -2, -2, 5.604879071053527,
        2.3752571920050576, -2, -2, -2,
      ],
      left: [1, 2, 3, -1, -1, -1, 7, 8, -1, -1, -1],
      right: [6, 5, 4, -1, -1, -1, 10, 9, -1, -1, -1],
      samples: [8, 3, 2, 1, 1, 1, 5, 4, 2, 2, 1],
    },
    {
      feature: [0, 0, 1, -2, -2, 0, -2, -2, 1, -2, -2],
      threshold: [
        2.8262196312780583, 1.4246760173349995, 1.1500909305876545, -2, -2, 2.307633616871961, -2, -2,
        3.719263408667996, -2, -2,
      ],
      left: [1, 2, 3, -1, -1, 6, -1, -1, 9, -1, -1],
      right: [8, 5, 4, -1, -1, 7, -1, -1, 10, -1, -1],
      samples: [8, 6, 3, 1, 2, 3, 2, 1, 2, 1, 1],
    },
    {
      feature: [0, 0, 0, -2, -2, 0, -2, -2, -2],
      threshold: [
        4.471261589076026, 0.775630612520329, 0.00808829395477115, -2, -2, 2.645226621369471, -2, -2, -2,
      ],
      left: [1, 2, 3, -1, -1, 6, -1, -1, -1],
      right: [8, 5, 4, -1, -1, 7, -1, -1, -1],
      samples: [8, 7, 2, 1, 1, 5, 3, 2, 1],
    },
  ];
  // Q = [[0, 0], [8, 8], [1.25, 1.75], [4, 4], [-1, 5], [3.5, 0.25]]; -f.score_samples(Q)
  const Q = [0, 0, 8, 8, 1.25, 1.75, 4, 4, -1, 5, 3.5, 0.25];
  const SK_SCORES = [
    0.5321390962382649, 0.7043552561829635, 0.42499797272877043, 0.4961163269125681, 0.4625320927726253,
    0.5321390962382649,
  ];

  /** tsad's layout (children adjacent, right = left + 1) of scikit-learn's trees, leaves valued depth + c(n). */
  function fromSklearn(trees: typeof SK_TREES, psi: number, d: number): IsolationForestModel {
    const feature: number[] = [];
    const value: number[] = [];
    const left: number[] = [];
    const roots: number[] = [];
    for (const t of trees) {
      roots.push(feature.length);
      feature.push(0);
      value.push(0);
      left.push(0);
      // queue of (sklearn node, tsad slot, depth)
      const queue: [number, number, number][] = [[0, roots[roots.length - 1], 0]];
      while (queue.length > 0) {
        const [node, slot, depth] = queue.shift() as [number, number, number];
        if (t.left[node] < 0) {
          feature[slot] = -1;
          value[slot] = depth + averagePathLength(t.samples[node]);
          left[slot] = -1;
          continue;
        }
        const l = feature.length;
        feature.push(0, 0);
        value.push(0, 0);
        left.push(0, 0);
        feature[slot] = t.feature[node];
        value[slot] = t.threshold[node];
        left[slot] = l;
        queue.push([t.left[node], l, depth + 1], [t.right[node], l + 1, depth + 1]);
      }
    }
    return new IsolationForestModel(
      psi,
      d,
      Int32Array.from(roots),
      Int32Array.from(feature),
      Float64Array.from(value),
      Int32Array.from(left),
    );
  }

  it('scikit-learn’s trees scored by our formula give scikit-learn’s scores (2^(−Σh / (T·c(ψ))), leaf depth + c(n))', () => {
    const model = fromSklearn(SK_TREES, 8, 2);
    for (let i = 0; i < SK_SCORES.length; i++) {
      ulps(model.scoreRow(Float64Array.from(Q.slice(2 * i, 2 * i + 2))), SK_SCORES[i]);
    }
  });

  it('NAB ambient temperature rows: our scores rank-correlate ≥ 0.95 with scikit-learn’s (1,000 trees each)', async () => {
    const fx = JSON.parse(
      readFileSync(new URL('./fixtures/sklearn-iforest-ambient.json', import.meta.url), 'utf8'),
    ) as { scores: number[] };
    const v = await nabAmbientTrain();
    const n = v.length - 2;
    const x = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      x[2 * i] = v[i + 1] - v[i];
      x[2 * i + 1] = v[i + 2] - v[i + 1];
    }
    expect(fx.scores.length).toBe(n);
    const frame = { t: new Float64Array(n), x, n, d: 2 };
    const sk = Float64Array.from(fx.scores);
    const rho: number[] = [];
    for (const trees of [100, 1000]) {
      const out = new Float64Array(n);
      IsolationForestModel.build(frame, trees, 256, new Rng(0)).scoreInto(x, n, out);
      rho.push(spearman(out, sk));
    }
    console.log(
      `Spearman(tsad, scikit-learn 1000 trees) on ${n} rows: 100 trees ${rho[0].toFixed(4)}, 1000 trees ${rho[1].toFixed(4)}`,
    );
    expect(rho[1]).toBeGreaterThanOrEqual(0.95);
    expect(rho[0]).toBeGreaterThanOrEqual(0.95);
  });
});
