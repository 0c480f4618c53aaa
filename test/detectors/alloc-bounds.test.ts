/**
 * Model files cannot blow up memory: for each detector type a small crafted file that claims huge
 * sizes is refused before the loader allocates (measured with process.memoryUsage().arrayBuffers);
 * honest files load within the same bound (docs/detectors.md states it).
 */
import { describe, expect, it } from 'vitest';
import { DETECTORS, loadModel, RandomCutForest } from '../../src/detectors/index.js';
import { TsadError } from '../../src/index.js';
import { AllocBudget } from '../../src/internal.js';
import { syntheticSeries } from '../../src/testing/index.js';

/** Bytes of ArrayBuffers allocated (and not yet collected) while `fn` runs. */
function allocated(fn: () => void): number {
  const before = process.memoryUsage().arrayBuffers;
  fn();
  return process.memoryUsage().arrayBuffers - before;
}

function bound(fileBytes: number): number {
  return AllocBudget.PER_BYTE * fileBytes + AllocBudget.FLOOR;
}

/**
 * A RandomCutForest file of a few KB: a real one-tree model whose config and forest header claim
 * 300 trees × 11,000 samples (just under the forest's cell cap: ~0.7 GiB of node memory).
 */
function hugeForest(): Record<string, unknown> {
  const small = new RandomCutForest({ nEstimators: 1, maxNSamples: 4, outputAfter: 1, timeDecay: 0.01 });
  small.train(syntheticSeries(40));
  const json = JSON.parse(JSON.stringify(small.toJSON()));
  json.config.nEstimators = 300;
  json.config.maxNSamples = 11_000;
  const f = json.state.model.forest;
  f.numberOfTrees = 300;
  f.sampleSize = 11_000;
  f.trees = Array.from({ length: 300 }, () => f.trees[0]);
  f.rng = Array.from({ length: 300 }, () => f.rng.slice(0, 4)).flat();
  return json;
}

/** Crafted files per type: small, claiming the largest sizes the type's config allows. */
/** An honest trained model file of a registered type, with `claim` merged into its config. */
function claiming(type: string, claim: Record<string, unknown>): Record<string, unknown> {
  const entry = DETECTORS.find((e) => e.type === type);
  if (!entry) throw new Error(`${type} is not registered`);
  const d = entry.example();
  d.train(syntheticSeries(300));
  const file = JSON.parse(JSON.stringify(d.toJSON())) as Record<string, unknown>;
  return { ...file, config: { ...(file.config as Record<string, unknown>), ...claim } };
}

/** Sizes beyond any bound: a shingle of 10⁹ rows (the detectors built on the shared base). */
const HUGE_SHINGLE = { transforms: [{ type: 'shingle', size: 1_000_000_000 }] };

const CRAFTED: Record<string, () => unknown[]> = {
  ChangePointDetector: () => [
    claiming('ChangePointDetector', { period: 1_000_000_000 }),
    claiming('ChangePointDetector', HUGE_SHINGLE),
  ],
  FlatLineDetector: () => [claiming('FlatLineDetector', HUGE_SHINGLE)],
  // its state is a fixed set of numbers and a profile read from the file itself: only the shingle claims size
  LevelDriftDetector: () => [claiming('LevelDriftDetector', HUGE_SHINGLE)],
  SeasonalChangeDetector: () => {
    // a period and window of 10⁷ points (rings of 2 · 10⁷ values) backed by no values
    const file = claiming('SeasonalChangeDetector', {}) as { state: { model: Record<string, unknown> } };
    file.state.model = {
      off: '',
      num: [10_000_000, 2_500_000, 10_000_000, 300_000, 0, 1, 0, 5],
      vals: [],
      slots: [],
      win: [],
    };
    return [file, claiming('SeasonalChangeDetector', HUGE_SHINGLE)];
  },
  DiscordDetector: () => [
    claiming('DiscordDetector', { window: 50_000_000 }),
    claiming('DiscordDetector', { maxLength: 1_000_000 }),
    claiming('DiscordDetector', HUGE_SHINGLE),
  ],
  RandomCutForest: () => [hugeForest()],
  // its buffers are bounded by the geometry (at most 207 probationary blocks) and by the packed arrays'
  // own lengths: a claimed training length of 2⁵² allocates nothing more, and is refused as inconsistent
  ArtDetector: () => {
    const file = claiming('ArtDetector', { maxCategories: 65_536 }) as {
      state: { model: { core: Record<string, unknown> } };
    };
    file.state.model.core.trainLength = 2 ** 52;
    return [file, claiming('ArtDetector', HUGE_SHINGLE)];
  },
  Ensemble: () => {
    const m = hugeForest();
    const members = [m, m, m, m];
    return [
      {
        format: 'tsad-model',
        version: 1,
        type: 'Ensemble',
        config: {
          members: members.map((x) => ({
            type: 'RandomCutForest',
            config: x.config as Record<string, unknown>,
          })),
          combiner: { type: 'mean', absScore: true },
        },
        state: { members },
      },
    ];
  },
  IsolationForest: () => [
    {
      format: 'tsad-model',
      version: 1,
      type: 'IsolationForest',
      config: { nEstimators: 10_000, maxSamples: 1_000_000 },
      state: {
        trained: true,
        calibrator: { trained: false },
        threshold: { almThreshold: 3 },
        transforms: [],
        tail: { t: [0], v: [0] },
        model: { psi: 2 ** 30, d: 2, roots: [0], feature: [-1], value: [1], left: [-1] },
      },
    },
  ],
  EtsDetector: () => [
    {
      format: 'tsad-model',
      version: 1,
      type: 'EtsDetector',
      config: { seasonalPeriods: 100_000, simulations: 100_000, maxForecastSteps: 1e9 },
      state: {
        trained: true,
        calibrator: null,
        threshold: {},
        transforms: [],
        tail: { t: [], v: [] },
        model: {},
      },
    },
  ],
  ZmsDetector: () => [
    {
      format: 'tsad-model',
      version: 1,
      type: 'ZmsDetector',
      config: { base: 1000, nLags: 20 },
      state: {
        trained: true,
        calibrator: { trained: false },
        threshold: {},
        transforms: [],
        tail: { t: [], v: [] },
        model: {
          lags: [1e6],
          lagInflation: 1,
          mean: [0, 0],
          scale: [1, 1],
          history: { first: 0, seen: 1e15, recent: [] },
        },
      },
    },
  ],
  NabStreamDetector: () => [
    {
      format: 'tsad-model',
      version: 1,
      type: 'NabStreamDetector',
      config: { historyWindow: 1e9, bins: 1e6 },
      state: { core: {} },
    },
  ],
  RollingMad: () => [
    {
      format: 'tsad-model',
      version: 1,
      type: 'RollingMad',
      config: { window: 100_000 },
      state: {
        trained: true,
        calibrator: { trained: false },
        threshold: {},
        transforms: [],
        tail: { t: [], v: [] },
        model: { window: [1, 2, 3] },
      },
    },
  ],
};

describe('allocation bound of model files', () => {
  it('has a crafted file for every registered type', () => {
    expect(Object.keys(CRAFTED).sort()).toEqual(DETECTORS.map((d) => d.type).sort());
  });

  for (const entry of DETECTORS) {
    it(`${entry.type}: a small file claiming huge sizes is refused within the bound`, () => {
      for (const file of CRAFTED[entry.type]()) {
        const text = JSON.stringify(file);
        let error: unknown = null;
        const bytes = allocated(() => {
          try {
            loadModel(text);
          } catch (e) {
            error = e;
          }
        });
        expect(error).toBeInstanceOf(TsadError);
        expect(bytes).toBeLessThanOrEqual(bound(Buffer.byteLength(text)));
      }
    });

    it(`${entry.type}: an honest model file loads within the bound`, () => {
      const d = entry.example();
      d.train(syntheticSeries(entry.kitTrainLength ?? 600));
      const text = JSON.stringify(d.toJSON());
      const bytes = allocated(() => loadModel(text));
      expect(bytes).toBeLessThanOrEqual(bound(Buffer.byteLength(text)));
    });
  }

  it('the 2.8 GiB RandomCutForest file of the issue is refused with a message naming the field', () => {
    expect(() => loadModel(hugeForest())).toThrowError(/state\.model\.forest: would allocate \d+ bytes/);
  });
});
