/**
 * Training minimums (docs/detectors.md, Training minimums): below its minimum a detector refuses to train
 * with `DetectorError` `too_few_points` (the message says how many points were given, how many are
 * needed and why); at or above it, training succeeds and scores are finite. Exactly predictable series
 * (a constant, a straight line) are refused by ETS (`tiny_scale`) instead of scoring in units of 1e-14.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DetectorError,
  EtsDetector,
  IsolationForest,
  RandomCutForest,
  ZmsDetector,
} from '../../src/index.js';
import { DETECTOR_RECIPES } from '../../src/internal.js';
import { lcg, seededSeries } from '../helpers/random.js';

const T0 = Date.UTC(2024, 0, 1);
const STEP = 300_000;

/** `n` points of a noisy sine from a seeded linear congruential generator (never constant or linear). */
function noisy(n: number, seed: number, scale = 1): { t: Float64Array; v: Float64Array } {
  return seededSeries(n, STEP, T0, lcg(seed), (i, u) => scale * (50 + 5 * Math.sin(i / 10) + (u - 0.5) * 4));
}

function line(n: number, f: (i: number) => number) {
  return {
    t: Float64Array.from({ length: n }, (_, i) => T0 + i * STEP),
    v: Float64Array.from({ length: n }, (_, i) => f(i)),
  };
}

/** `minTrainPoints()` of a recipe's detector (every built-in detector has it; the `Detector` interface does not). */
function minOf(det: object): number {
  const m = (det as { minTrainPoints?: () => { points: number } }).minTrainPoints;
  if (!m) throw new Error('no minTrainPoints');
  return m.call(det).points;
}

function expectTooFew(fn: () => unknown, got: number, need: number): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DetectorError);
  expect((err as DetectorError).code).toBe('too_few_points');
  expect((err as Error).message).toContain(`needs at least ${need} training points, got ${got}:`);
}

// the minimums docs/detectors.md lists for the recipes `tsad train --detector` names in its help
const DOCUMENTED: Record<string, number> = {
  default: 26,
  defaultLikelihood: 26,
  nabStream: 1,
  isolationForest: 24,
  randomCutForest: 27,
  autoEts: 8,
  zms: 22,
  changePoint: 8,
  flatLine: 2,
  discord: 22,
};

describe('training minimums', () => {
  it('each main recipe has the documented minimum, refuses one point fewer and trains on it', () => {
    for (const [name, need] of Object.entries(DOCUMENTED)) {
      const det = DETECTOR_RECIPES[name]({ seed: 0 });
      expect(minOf(det), name).toBe(need);
      if (need > 1)
        expectTooFew(() => DETECTOR_RECIPES[name]({ seed: 0 }).train(noisy(need - 1, 5)), need - 1, need);
      const ok = DETECTOR_RECIPES[name]({ seed: 0 });
      ok.train(noisy(need, 5));
      const s = ok.score(noisy(need + 40, 6));
      for (const x of s.v) expect(Number.isFinite(x), name).toBe(true);
    }
  });

  it('follows the config: shingle size, lags and the calibrator', () => {
    // context 9 of a 10-shingle, then 22 train scores for the calibrator
    const rcf = new RandomCutForest({ transforms: [{ type: 'shingle', size: 10 }] });
    expect(rcf.minTrainPoints().points).toBe(31);
    expect(
      new RandomCutForest({
        transforms: [{ type: 'shingle', size: 10 }],
        enableCalibrator: false,
      }).minTrainPoints().points,
    ).toBe(10);
    expect(new IsolationForest({ transforms: [{ type: 'shingle', size: 2 }] }).minTrainPoints().points).toBe(
      23,
    );
    // largest lag 2^5 = 32, plus two lag differences
    expect(new ZmsDetector({ nLags: 6 }).minTrainPoints().points).toBe(34);
    expect(new ZmsDetector({ nLags: 6 }).minTrainPoints().reason).toContain('largest lag 32');
    expect(
      new ZmsDetector({ nLags: 6, enableCalibrator: false, maxScore: 1000 }).minTrainPoints().points,
    ).toBe(34);
    // ETS: k parameters + 3 (simple exponential smoothing: α, l₀)
    expect(new EtsDetector({ trend: null }).minTrainPoints().points).toBe(5);
    expect(new EtsDetector({ trend: 'add', damped: false }).minTrainPoints().points).toBe(7);
    // a fixed seasonal model: k = 2 + 1 + m; period 4 needs k + 3 = 10 (> two cycles), period 20 two cycles
    expect(new EtsDetector({ trend: null, seasonalPeriods: 4 }).minTrainPoints().points).toBe(10);
    expect(new EtsDetector({ trend: null, seasonalPeriods: 20 }).minTrainPoints()).toMatchObject({
      points: 40,
    });
  });

  it('the message names the given count, the minimum and the member that needs it', () => {
    const det = DETECTOR_RECIPES.default({ seed: 0 });
    expect(() => det.train(noisy(3, 1))).toThrow(
      /^Ensemble needs at least 26 training points, got 3: member 0 \(Ensemble\) → member 1 \(RandomCutForest\) → its calibrator needs 22 train scores .*after 4 points of transform context; train on a longer series$/,
    );
  });

  it('property: below the minimum train() throws too_few_points; at or above it scores are finite', () => {
    const names = [
      'default',
      'isolationForest',
      'randomCutForest',
      'zms',
      'autoEts',
      'changePoint',
      'discord',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.integer({ min: -25, max: 12 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.constantFrom(1e-3, 1, 1e4),
        (name, offset, seed, scale) => {
          const need = DOCUMENTED[name];
          const n = need + offset;
          if (n < 1) return;
          const data = noisy(n, seed, scale);
          const det = DETECTOR_RECIPES[name]({ seed: 0 });
          if (n < need) {
            expectTooFew(() => det.train(data), n, need);
            return;
          }
          det.train(data);
          const later = noisy(n + 30, seed + 1, scale);
          const s = det.score({ t: later.t.subarray(n), v: later.v.subarray(n) }, { prev: data });
          for (const x of s.v) expect(Number.isFinite(x)).toBe(true);
        },
      ),
      { numRuns: 60, seed: 15 },
    );
  });
});

describe('exactly predictable training data', () => {
  it('ETS refuses a constant or a straight line (tiny_scale) instead of dividing by a rounding error', () => {
    // judged on the data (every one-step change equal), whatever the model: here an undamped trend
    for (const data of [line(100, () => 7), line(100, (i) => i + 1), line(100, (i) => 1e6 - 0.5 * i)]) {
      let err: unknown;
      try {
        new EtsDetector({ damped: false }).train(data);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DetectorError);
      expect((err as DetectorError).code).toBe('tiny_scale');
      expect((err as Error).message).toMatch(/the 100 training points are (constant|a straight line): /);
    }
  });

  it('multiplicative error: σ is relative, so a large level with ordinary noise is not an exact fit', () => {
    // before: σ ≈ 3e-6 (relative, i.e. ≈ 2,900 in the data's units) was compared with the absolute bound
    // n·ε·max|y| ≈ 1.1e-4 and a level of 1e9 with noise of ±5,000 was refused as "fitted exactly"
    const u = lcg(12345);
    const rnd = () => u() - 0.5;
    const big = line(500, () => 1e9 + 1e4 * rnd());
    const mid = line(500, () => 1e6 + 0.01 * rnd());
    for (const [data, cfg] of [
      [big, { auto: true }],
      [big, { error: 'mul' }],
      [mid, { error: 'mul' }],
    ] as const) {
      const det = new EtsDetector(cfg);
      det.train(data);
      for (const x of det.score(data).v) expect(Number.isFinite(x)).toBe(true);
    }
    // a constant is still refused with multiplicative error
    expect(() => new EtsDetector({ error: 'mul', trend: null }).train(line(100, () => 7))).toThrow(
      /the 100 training points are constant: /,
    );
  });

  it('the default trains on a straight line without its ETS member, with scores of ordinary size', () => {
    // before the rounding bound the ETS member divided by σ ≈ 4e-14 and the default scored 2e16 here
    const warnings: string[] = [];
    const det = DETECTOR_RECIPES.default({ seed: 0 });
    const data = line(300, (i) => i + 1);
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      det.train(data);
    } finally {
      process.off('warning', onWarning);
    }
    for (const s of [det.score(data), det.score(line(350, (i) => i + 1 + (i === 320 ? 30 : 0)))]) {
      for (const x of s.v) {
        expect(Number.isFinite(x)).toBe(true);
        expect(Math.abs(x)).toBeLessThan(100);
      }
    }
  });

  it('a constant series trains the default to finite scores below the alarm level on more of the same', () => {
    const det = DETECTOR_RECIPES.default({ seed: 0 });
    det.train(line(300, () => 5));
    const { scores, alarms } = det.detect(line(300, () => 5));
    for (const x of scores.v) {
      expect(Number.isFinite(x)).toBe(true);
      expect(Math.abs(x)).toBeLessThan(3);
    }
    expect(alarms).toEqual([]);
  });
});

describe('tsad train on tiny or degenerate CSVs (the built command)', () => {
  const cli = join(resolve(import.meta.dirname, '..', '..'), 'dist', 'cli', 'main.js');
  const dir = mkdtempSync(join(tmpdir(), 'tsad-min-'));
  const env = { ...process.env, TSAD_CACHE_DIR: join(dir, 'cache'), TSAD_DEBUG: '' };
  const tsad = (...args: string[]) =>
    spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8', env, timeout: 60_000 });
  const csv = (name: string, rows: string[]) => {
    const p = join(dir, name);
    writeFileSync(p, `timestamp,value\n${rows.join('\n')}\n`);
    return p;
  };

  it('three points: exit 4 (DetectorError) and a message with the counts and the reason', () => {
    const p = csv('tiny.csv', ['2020-01-01 00:00:00,1', '2020-01-01 00:05:00,2', '2020-01-01 00:10:00,3']);
    const r = tsad('train', p, '--no-track', '-q', '--out', join(dir, 'm.json'));
    expect(r.status, r.stderr).toBe(4);
    expect(r.stderr).toMatch(
      /^tsad: DetectorError \[too_few_points\]: Ensemble needs at least 26 training points, got 3: .*calibrator/,
    );
    const z = tsad('train', p, '--no-track', '-q', '--detector', 'zms');
    expect(z.status).toBe(4);
    expect(z.stderr).toContain('ZmsDetector needs at least 22 training points, got 3');
  });

  it('two identical timestamps leave one point: exit 4 too_few_points', () => {
    const p = csv('dup.csv', ['2020-01-01 00:00:00,1', '2020-01-01 00:00:00,1']);
    const r = tsad('train', p, '--no-track', '-q');
    expect(r.status, r.stderr).toBe(4);
    expect(r.stderr).toMatch(
      /DetectorError \[too_few_points\]: Ensemble needs at least 26 training points, got 1:/,
    );
  });

  it('only missing values: exit 3 (SeriesError non_finite, or empty once dropped)', () => {
    const p = csv('nan.csv', ['2020-01-01 00:00:00,NaN', '2020-01-01 00:05:00,', '2020-01-01 00:10:00,NaN']);
    const r = tsad('train', p, '--no-track', '-q');
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^tsad: SeriesError \[non_finite\]/);
    const d = tsad('train', p, '--no-track', '-q', '--missing', 'drop');
    expect(d.status, d.stderr).toBe(3);
    expect(d.stderr).toMatch(/^tsad: SeriesError \[empty\]/);
  });
});
