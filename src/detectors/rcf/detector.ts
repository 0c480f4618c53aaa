import { z } from 'zod';
import { DetectorError, ModelFormatError } from '../../errors.js';
import type { TimeSeries } from '../../series/types.js';
import { baseConfigShape } from '../base-config.js';
import { checkSeries, formatTime } from '../input.js';
import { decodeFloat, encodeFloat, field, jsonFloat } from '../json.js';
import { RELEASE, type Releasable } from '../release.js';
import {
  defineDetector,
  loadAs,
  type RestoreContext,
  type RowModel,
  SpecDetector,
  specLoader,
} from '../spec.js';
import { type Frame, transformSchema } from '../transforms.js';
import type { JsonObject, JsonValue } from '../types.js';
import { CutForest, type CutForestOptions, forestWorkerStatus, releaseForest } from './forest.js';
import { isArrayForm, packForestArrays } from './forest-v2.js';

/** Largest |coordinate| the forest accepts: sums of box ranges over thousands of dimensions stay finite. */
export const RCF_MAX_ABS = 1e299;

export const randomCutForestConfigSchema = z.strictObject({
  ...baseConfigShape(10),
  /** Number of trees (Merlion `n_estimators`). */
  nEstimators: z.number().int().min(1).max(10_000).default(100),
  /** Points each tree samples (Merlion `max_n_samples`). */
  maxNSamples: z.number().int().min(1).max(100_000).default(512),
  /** Keep learning while scoring: each new point is scored, then offered to the samplers. */
  onlineUpdates: z.boolean().default(false),
  /** Sampler time decay λ; default `1 / (10 · maxNSamples)`. */
  timeDecay: z.number().min(0).max(1e6).optional(),
  /** Updates before scores become non-zero; default `floor(maxNSamples / 4)`. */
  outputAfter: z.number().int().min(0).max(1e9).optional(),
  /**
   * Threads for streaming update + score (1 or 2): with 2, a worker thread takes part of the
   * trees of every learned row. Results are identical either way; 2 pays only when a second
   * core is free.
   */
  threads: z.number().int().min(1).max(2).default(1),
  /** Merlion's default: difference, then shingle of size 5. */
  transforms: z
    .array(transformSchema)
    .max(16)
    .default([{ type: 'difference' }, { type: 'shingle', size: 5 }]),
});
export type RandomCutForestConfig = z.infer<typeof randomCutForestConfigSchema>;
export type RandomCutForestInput = z.input<typeof randomCutForestConfigSchema>;

/**
 * Config defaults that depend on other fields (docs/rcf.md, Config and defaults):
 * `maxScore = floor(log2(maxNSamples)) + 1`; without calibration the default threshold is
 * `AggregateAlarms(maxScore / 5)`. They are written into the config, so it is explicit in model files.
 */
function withDerivedDefaults(cfg: unknown): unknown {
  if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) return cfg;
  const c = { ...(cfg as Record<string, unknown>) };
  const n = c.maxNSamples === undefined ? 512 : c.maxNSamples;
  if (c.maxScore === undefined && typeof n === 'number' && Number.isInteger(n) && n >= 1) {
    c.maxScore = Math.floor(Math.log2(n)) + 1;
  }
  if (c.threshold === undefined && c.enableCalibrator === false && typeof c.maxScore === 'number') {
    c.threshold = { type: 'aggregateAlarms', almThreshold: c.maxScore / 5 };
  }
  return c;
}

/** The fitted state: the forest (its header is checked against the config before it allocates). */
const randomCutForestStateSchema = z.object({
  lastLearned: jsonFloat,
  forest: z
    .object({
      dimensions: z.number(),
      numberOfTrees: z.number(),
      sampleSize: z.number(),
      seed: z.number(),
      lambda: z.number(),
      outputAfter: z.number(),
    })
    // the trees: checked by CutForest.fromJSON (the envelope already checked it is plain JSON)
    .catchall(z.custom<JsonValue>()),
});
type RandomCutForestState = z.infer<typeof randomCutForestStateSchema>;

/**
 * Rejects (typed error) transformed rows with non-finite or astronomically large values; `t` is the
 * rows' times (epoch ms), or the one row's time.
 */
function checkRows(x: Float64Array, d: number, t: ArrayLike<number> | number): void {
  for (let i = 0; i < x.length; i++) {
    if (!(Math.abs(x[i]) <= RCF_MAX_ABS)) {
      const at = ` at t=${formatTime(typeof t === 'number' ? t : t[Math.floor(i / d)])}`;
      throw new DetectorError(
        'value_too_large',
        `RandomCutForest: transformed value ${x[i]}${at} is beyond ±${RCF_MAX_ABS}; rescale the series`,
      );
    }
  }
}

/** The forest options of a config, for rows of `d` coordinates. */
function forestOptions(c: RandomCutForestConfig, d: number): CutForestOptions {
  return {
    dimensions: d,
    numberOfTrees: c.nEstimators,
    sampleSize: c.maxNSamples,
    lambda: c.timeDecay,
    outputAfter: c.outputAfter,
    seed: c.seed,
    threads: c.threads,
  };
}

/** The raw model: the forest and the time of the last row it learned (online updates). */
class RandomCutForestRaw implements RowModel<RandomCutForestState>, Releasable {
  constructor(
    private readonly config: RandomCutForestConfig,
    /** The forest (null before training). */
    public model: CutForest | null = null,
    /** Time (epoch ms) of the last row the forest learned. */
    public lastLearned = Number.NEGATIVE_INFINITY,
    /** Whether this object alone holds `model` (false: a copy sharing a forest without online updates). */
    private owns = true,
  ) {}

  fit(frame: Frame): Float64Array {
    const { n, d, x, t } = frame;
    checkRows(x, d, t);
    const opts = forestOptions(this.config, d);
    // the same forest and rows as a prefetch (`RandomCutForest.prefetchTrain`): join its batch
    const forest = CutForest.takePrefetched(opts, x, n) ?? new CutForest(opts);
    const out = new Float64Array(n);
    forest.scoreThenUpdateRows(x, n, out);
    this.model = forest;
    this.owns = true;
    this.lastLearned = t[n - 1];
    return out;
  }

  /** Without online updates scoring never changes the forest: copies share it. */
  copy(): RandomCutForestRaw {
    const online = this.config.onlineUpdates;
    const m = this.model && online ? this.model.clone() : this.model;
    return new RandomCutForestRaw(this.config, m, this.lastLearned, online);
  }

  /** Gives the forest's memory back for reuse when this object alone holds it (see `releaseForest`). */
  [RELEASE](): void {
    if (this.owns && this.model) releaseForest(this.model);
  }

  checkRow(row: Float64Array, t: number): void {
    checkRows(row, row.length, t);
  }

  peekRow(row: Float64Array, t: number): number {
    checkRows(row, row.length, t);
    return this.model!.score(row, 0);
  }

  learnRow(row: Float64Array, t: number): void {
    checkRows(row, row.length, t);
    if (this.config.onlineUpdates && t > this.lastLearned) {
      this.lastLearned = t;
      this.model!.update(row, 0);
    }
  }

  scoreRow(row: Float64Array, t: number): number {
    const forest = this.model!;
    checkRows(row, row.length, t);
    if (this.config.onlineUpdates && t > this.lastLearned) {
      this.lastLearned = t;
      return forest.scoreThenUpdate(row, 0);
    }
    return forest.score(row, 0);
  }

  scoreRows(frame: Frame): Float64Array {
    const { n, d, x, t } = frame;
    const forest = this.model!;
    // Check everything first, so a bad row cannot leave the model half-updated.
    checkRows(x, d, t);
    const out = new Float64Array(n);
    const online = this.config.onlineUpdates;
    if (!online || n === 0 || t[n - 1] <= this.lastLearned) {
      // Nothing to learn: score tree by tree over blocks of rows (same numbers, cache-friendly).
      forest.scoreRows(x, n, out);
      return out;
    }
    // Rows up to the last learned time are scored only; the rest (strictly increasing times) are
    // scored, then learned, in one batch: the same numbers as row by row.
    let k = 0;
    for (; k < n && t[k] <= this.lastLearned; k++) out[k] = forest.score(x, k * d);
    let increasing = true;
    for (let i = k + 1; i < n && increasing; i++) increasing = t[i] > t[i - 1];
    if (increasing) {
      forest.scoreThenUpdateRows(x.subarray(k * d, n * d), n - k, out.subarray(k));
      this.lastLearned = t[n - 1];
      return out;
    }
    for (let i = k; i < n; i++) {
      if (t[i] > this.lastLearned) {
        this.lastLearned = t[i];
        out[i] = forest.scoreThenUpdate(x, i * d);
      } else out[i] = forest.score(x, i * d);
    }
    return out;
  }

  /**
   * Starts what `scoreRows(frame)` will compute on the forest worker, when it is one batch of
   * rows all learned (online updates, times after the last learned one, increasing) that
   * `scoreRows` accepts. Returns whether it started (see `CutForest.prefetchBatch`).
   */
  prefetchScore(frame: Frame): boolean {
    const { n, d, x, t } = frame;
    const forest = this.model;
    if (!forest || !this.config.onlineUpdates || n === 0 || !(t[0] > this.lastLearned)) return false;
    for (let i = 1; i < n; i++) if (!(t[i] > t[i - 1])) return false;
    for (let i = 0; i < n * d; i++) if (!(Math.abs(x[i]) <= RCF_MAX_ABS)) return false;
    return forest.prefetchBatch(x, n);
  }

  toState(): RandomCutForestState {
    return {
      lastLearned: encodeFloat(this.lastLearned),
      forest: this.model!.toJSON(),
    } as RandomCutForestState;
  }
}

function randomCutForestFromState(
  state: RandomCutForestState,
  { config: c, path, budget, d }: RestoreContext<RandomCutForestConfig>,
): RandomCutForestRaw {
  const lastLearned = decodeFloat(state.lastLearned, `${path}.lastLearned`);
  if (Number.isNaN(lastLearned)) {
    throw new ModelFormatError('bad_field', `${path}.lastLearned: expected a time in epoch ms`);
  }
  const fj = state.forest;
  // sizes are checked against the config, and the config against the file's size, before the
  // forest allocates anything
  const want: [string, number][] = [
    ['dimensions', d],
    ['numberOfTrees', c.nEstimators],
    ['sampleSize', c.maxNSamples],
    ['seed', c.seed],
    ['lambda', c.timeDecay ?? 1 / (10 * c.maxNSamples)],
    ['outputAfter', c.outputAfter ?? Math.floor(c.maxNSamples / 4)],
  ];
  for (const [name, expected] of want) {
    const got = field(fj, name, `${path}.forest`);
    if (got !== expected) {
      throw new ModelFormatError(
        'bad_field',
        `${path}.forest.${name}: is ${JSON.stringify(got)}, but the config gives ${expected}`,
      );
    }
  }
  budget.take(CutForest.memoryBytes(d, c.nEstimators, c.maxNSamples), `${path}.forest`);
  const forest = CutForest.fromJSON(fj, `${path}.forest`);
  forest.threads = c.threads;
  return new RandomCutForestRaw(c, forest, lastLearned);
}

/**
 * State version 2 stored the forest's points and trees as plain JSON arrays; version 3 packs them
 * (docs/rcf.md, Model file). Other fields are unchanged; a malformed forest is left for `fromState`
 * to report, except that arrays which cannot be packed are reported here (ModelFormatError).
 */
function migratePackedArrays(s: JsonObject): JsonObject {
  const model = s.model;
  if (model === null || typeof model !== 'object' || Array.isArray(model) || !isArrayForm(model.forest)) {
    return { ...s, stateVersion: 3 };
  }
  return {
    ...s,
    stateVersion: 3,
    model: { ...model, forest: packForestArrays(model.forest, 'state.model.forest') },
  };
}

/** The RandomCutForest spec (see docs/detectors.md). */
export const randomCutForestSpec = defineDetector({
  type: 'RandomCutForest',
  level: 'row',
  config: z.preprocess(withDerivedDefaults, randomCutForestConfigSchema),
  state: randomCutForestStateSchema,
  transforms: (c) => c.transforms,
  defaultAlmThreshold: (c) => (c.enableCalibrator ? 3 : c.maxScore / 5),
  stateVersion: 3,
  migrations: { 2: migratePackedArrays },
  create: (c) => new RandomCutForestRaw(c),
  fromState: randomCutForestFromState,
});

/**
 * Streaming Random Cut Forest (Guha et al. 2016) with the AWS RCF 1.0 sampler, tree updates and
 * anomaly score that Merlion wraps (docs/rcf.md, Algorithm): `nEstimators` trees, each over a
 * time-decayed reservoir of `maxNSamples` points; rows are shingled feature vectors (default
 * transforms: difference → shingle(5)). Training scores each row, then learns it (the first
 * `outputAfter` scores are 0). With `onlineUpdates`, every row after the last learned time is
 * scored, then learned, in `score()` and `stream()` alike, so both give the same numbers; rows at
 * or before it are scored only. Calibrator `maxScore = floor(log2(maxNSamples)) + 1`.
 */
export class RandomCutForest extends SpecDetector<RandomCutForestConfig, RandomCutForestRaw> {
  constructor(cfg: RandomCutForestInput = {}) {
    super(randomCutForestSpec, cfg);
  }

  /** Loads a RandomCutForest model file (any other type is a ModelFormatError). */
  static load(json: unknown): RandomCutForest {
    return loadAs(json, randomCutForestSpec, RandomCutForest);
  }

  /**
   * Starts the forest's training on `ts` (what `train(ts)` will compute) on the forest worker now,
   * if one runs (`startForestWorker`) and the work is big enough, so that it goes on while the
   * calling thread does something else (an ensemble trains its other members meanwhile). The
   * `train(ts)` that follows joins it; any other call leaves the speculative work unused. Never
   * changes results; does nothing when the series is not one `train` accepts. Returns whether the
   * training runs on the worker (then an ensemble trains this member after its others).
   */
  prefetchTrain(ts: TimeSeries): boolean {
    if (!forestWorkerStatus().started) return false;
    try {
      checkSeries(ts, 'train data');
      const { n, d, x } = this.pipeline.fit(ts);
      for (let i = 0; i < x.length; i++) if (!(Math.abs(x[i]) <= RCF_MAX_ABS)) return false;
      return CutForest.prefetchRows(forestOptions(this.config, d), x, n);
    } catch {
      return false; // train() reports it
    }
  }

  /**
   * @internal Starts this detector's scoring of `ts` (after `prev`) on the forest worker, if one
   * runs and the work is big enough: the `scoreInPlace(ts, prev)` that follows joins it (same
   * numbers). Only for a copy that is being scored and used for nothing else until then (an
   * ensemble's copies of its members in `score()`): the worker updates the copy's forest
   * meanwhile. Returns whether it started; never throws (`scoreInPlace` reports bad input).
   */
  prefetchScoreOnCopy(ts: TimeSeries, prev?: TimeSeries): boolean {
    if (!forestWorkerStatus().started || !this.raw.model) return false;
    try {
      return this.raw.prefetchScore(this.pipeline.apply(ts, prev));
    } catch {
      return false;
    }
  }

  /** The forest (null before training). */
  get forest(): CutForest | null {
    return this.raw.model;
  }

  /** Time (epoch ms) of the last row the forest learned (end of training, or of online updates). */
  get lastLearnedTime(): number {
    return this.raw.lastLearned;
  }
}

/** The model-file loader of RandomCutForest (listed in registry.ts). */
export const loadRandomCutForest = specLoader((c) => new RandomCutForest(c as RandomCutForestInput));
