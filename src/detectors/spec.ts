/**
 * Detector specs: the one way to write a detector.
 *
 * A detector is a `DetectorSpec`: a zod config schema (with defaults), a zod schema of its fitted
 * model's state with a `stateVersion` and migrations from older versions, and a raw model
 * (`fit`, `scoreRow`, an optional batch fast path that must equal `scoreRow` row by row, `toState`).
 * `SpecDetector` is the one runtime: it composes transforms → raw model → calibrator → alarm rule,
 * gives pure `score()`, transactional independent streams, checkpoints and model files, and parses
 * state files through the spec's state schema. A public detector class is a two-line subclass that
 * names its spec (so `new IsolationForest({...})` and `IsolationForest.load(json)` stay typed):
 *
 * ```ts
 * export class RollingMad extends SpecDetector<RollingMadConfig, MadModel> {
 *   constructor(cfg: RollingMadInput = {}) { super(rollingMadSpec, cfg); }
 *   static load(json: unknown): RollingMad { return loadAs(json, rollingMadSpec, RollingMad); }
 * }
 * ```
 *
 * docs/detectors.md walks through writing one.
 */
import type { z } from 'zod';
import { ModelFormatError } from '../errors.js';
import type { TimeSeries } from '../series/types.js';
import { BaseDetector } from './base.js';
import type { BaseDetectorConfig } from './base-config.js';
import { parseConfig } from './config.js';
import type { AllocBudget } from './model.js';
import type { DetectorLoader } from './registry.js';
import { isReleasable, RELEASE } from './release.js';
import { baseLoader, type LegacyConfig, loadAs as loadAsTypes, type StateMigration } from './state.js';
import type { RawStreamer } from './streaming.js';
import type { Frame, TransformSpec } from './transforms.js';
import type { JsonValue, TrainMinimum } from './types.js';

/** What a raw model is given besides its own state when it is rebuilt from a model file. */
export interface RestoreContext<C> {
  /** The parsed config of the detector. */
  readonly config: C;
  /** Width of a transformed row (row-level models). */
  readonly d: number;
  /** Where the state sits in the model file, for error messages (`state.model`). */
  readonly path: string;
  /** What the loader may still allocate: reserve from it before allocating what the file claims. */
  readonly budget: AllocBudget;
}

/**
 * A row-level raw model: the runtime applies the spec's transforms and hands it transformed rows
 * (`Frame`: `n` rows of width `d`, row-major in `x`, row times in `t`).
 */
export interface RowModel<S extends JsonValue = JsonValue> {
  /** Fits the model on the transformed training rows; returns their raw scores (one per row). */
  fit(frame: Frame): Float64Array;
  /** The raw score of one row. Online models learn from the row here (score, then learn). */
  scoreRow(row: Float64Array, t: number): number;
  /** Batch fast path: must give exactly `scoreRow`'s numbers row by row (the kit checks it). */
  scoreRows?(frame: Frame): Float64Array;
  /** Throws the TsadError `scoreRow(row, t)` would raise, changing nothing (transactional pushes). */
  checkRow?(row: Float64Array, t: number): void;
  /** The raw score of a row without learning from it (default: `scoreRow`, for models that never learn). */
  peekRow?(row: Float64Array, t: number): number;
  /** Learns from a row without scoring it (default: nothing, for models that never learn). */
  learnRow?(row: Float64Array, t: number): void;
  /**
   * A copy whose online state is independent of this one (what `score()` and each stream run on).
   * Absent: the model never changes after `fit`, and copies share it.
   */
  copy?(): RowModel<S>;
  /** The fitted model as plain JSON (what the spec's state schema parses back). */
  toState(): S;
}

/**
 * A series-level raw model (models that are not row-wise: windows over raw values, ETS, ensembles).
 * No transforms: it sees the raw series.
 */
export interface SeriesModel<S extends JsonValue = JsonValue> {
  /**
   * Fits the model on the training series; returns raw train scores (their times may be a suffix, or
   * another grid). `labels` are the training labels when given (an ensemble's combiner uses them).
   */
  fit(ts: TimeSeries, labels?: TimeSeries): TimeSeries;
  /**
   * Raw scores of `ts` after optional context `prev`. Runs on a copy: it may learn as a stream would.
   * `seen` is the time of the last point the model has learnt (training, updates): rows of `prev` at or
   * before it are context only.
   */
  score(ts: TimeSeries, prev?: TimeSeries, seen?: number): TimeSeries;
  /** A raw streaming scorer continuing from the model's state (see `RawStreamer`). */
  streamer(): RawStreamer;
  /** A copy whose online state is independent of this one. Absent: the model never changes. */
  copy?(): SeriesModel<S>;
  /** The fitted model as plain JSON. */
  toState(): S;
}

/** Fields every spec has, whatever its level. */
interface SpecCommon<C extends BaseDetectorConfig, S extends JsonValue, M> {
  /** The type name in model files and the registry (PascalCase). */
  readonly type: string;
  /** Older type names model files may carry. */
  readonly aliases?: readonly string[];
  /** The config schema: spreads `baseConfigShape(maxScore)` and adds the model's fields, each with a default. */
  readonly config: z.ZodType<C, unknown>;
  /** The schema of `toState()` output. Files are parsed through it before `fromState` runs. */
  readonly state: z.ZodType<S, unknown>;
  /**
   * The version of the whole model-file state (`state.stateVersion`), 2 or more: version 2 is the
   * runtime's own (stream checkpoints); bump it when `toState()`'s shape changes and add a migration.
   */
  readonly stateVersion?: number;
  /** Entry `v` turns a version-`v` state (the whole `state` object, plain JSON) into version `v + 1`. */
  readonly migrations?: Readonly<Record<number, StateMigration>>;
  /**
   * Config fields added after a state version, with the values that reproduce an older file's
   * model (entry `v`: files of state version ≤ `v` whose config lacks the field); see `LegacyConfig`.
   */
  readonly legacyConfig?: LegacyConfig;
  /** Whether raw scores go through a calibrator (false for models scoring in their own z-units). Default true. */
  readonly calibrated?: boolean;
  /** The default rule's `alm_threshold`, used for the unsupervised-quantile default. Default 3. */
  defaultAlmThreshold?(config: C): number;
  /** An untrained raw model for `config`. */
  create(config: C): M;
  /**
   * Rebuilds a fitted raw model from its parsed state; lengths are checked against config and budget
   * first. `current` is the detector's untrained raw model (what an ensemble restores its members into).
   */
  fromState(state: S, ctx: RestoreContext<C>, current: M): M;
}

/** The spec of a row-level detector. */
export interface RowDetectorSpec<C extends BaseDetectorConfig, S extends JsonValue = JsonValue>
  extends SpecCommon<C, S, RowModel<S>> {
  readonly level: 'row';
  /** The transform chain before the model (difference, shingle, …; see transforms.ts). */
  transforms?(config: C): TransformSpec[];
  /** Fewest transformed rows the model can train on. Default 1. */
  readonly minTrainRows?: number;
  /**
   * Online models that learn every row they score: `score(b, { prev: a })` then learns the rows of
   * `a` after the model's last seen point (transformed as part of `a ++ b`) before scoring `b`, so it
   * equals the tail of `score(a ++ b)`.
   * Default false: `prev` is transform context only.
   */
  readonly learnsPrev?: boolean;
}

/** The spec of a series-level detector. */
export interface SeriesDetectorSpec<C extends BaseDetectorConfig, S extends JsonValue = JsonValue>
  extends SpecCommon<C, S, SeriesModel<S>> {
  readonly level: 'series';
  /**
   * The fewest raw training points the model trains on meaningfully, and why (derived from `config`, or
   * from the untrained `model`: an ensemble's members). Default 1. The runtime adds the calibrator's.
   */
  minTrainPoints?(config: C, model: SeriesModel<S>): TrainMinimum;
}

export type DetectorSpec<C extends BaseDetectorConfig = BaseDetectorConfig, S extends JsonValue = JsonValue> =
  | RowDetectorSpec<C, S>
  | SeriesDetectorSpec<C, S>;

/** The raw model type of a spec. */
export type RawModelOf<P> =
  P extends RowDetectorSpec<infer _C, infer S>
    ? RowModel<S>
    : P extends SeriesDetectorSpec<infer _C, infer S>
      ? SeriesModel<S>
      : never;

/** Checks a spec's consistency and returns it (typed): the one place a detector is declared. */
export function defineDetector<C extends BaseDetectorConfig, S extends JsonValue>(
  spec: RowDetectorSpec<C, S>,
): RowDetectorSpec<C, S>;
export function defineDetector<C extends BaseDetectorConfig, S extends JsonValue>(
  spec: SeriesDetectorSpec<C, S>,
): SeriesDetectorSpec<C, S>;
export function defineDetector<C extends BaseDetectorConfig, S extends JsonValue>(
  spec: DetectorSpec<C, S>,
): DetectorSpec<C, S> {
  const v = spec.stateVersion ?? SPEC_BASE_STATE_VERSION;
  if (!Number.isInteger(v) || v < SPEC_BASE_STATE_VERSION)
    throw new TypeError(`${spec.type}: stateVersion must be an integer ≥ ${SPEC_BASE_STATE_VERSION}`);
  for (let k = SPEC_BASE_STATE_VERSION; k < v; k++)
    if (!spec.migrations?.[k]) throw new TypeError(`${spec.type}: no migration from state version ${k}`);
  return Object.freeze(spec);
}

/** The runtime's own state version (see `BaseDetector.stateVersion`). */
const SPEC_BASE_STATE_VERSION = 2;

type AnyModel = RowModel | SeriesModel;

/**
 * The runtime of every spec: `BaseDetector`'s composition (transforms → raw model → calibrator →
 * alarm rule, pure scoring, transactional streams, checkpoints) driven by a `DetectorSpec`.
 */
export class SpecDetector<
  C extends BaseDetectorConfig,
  M extends AnyModel = AnyModel,
> extends BaseDetector<C> {
  /** The spec this detector runs. */
  readonly spec: DetectorSpec<C>;
  /** The raw model (untrained until `train()`). */
  protected raw: M;

  /** `raw`: a raw model built by the caller instead of `spec.create(config)` (an ensemble's, which holds its members). */
  constructor(spec: DetectorSpec<C>, input: unknown, raw?: M) {
    const config = parseConfig(spec.config, input);
    super(spec.type, config, spec.calibrated ?? true);
    this.spec = spec;
    this.raw = raw ?? (spec.create(config) as M);
  }

  /** A fresh untrained instance (`cloneOnline` copies state into it). */
  protected override blank(): this {
    if (this.constructor === SpecDetector) return new SpecDetector(this.spec, this.config) as this;
    return super.blank();
  }

  protected override defaultAlmThreshold(): number {
    return this.spec.defaultAlmThreshold ? this.spec.defaultAlmThreshold(this.config) : 3;
  }

  protected override transforms(): TransformSpec[] {
    return this.spec.level === 'row' && this.spec.transforms ? this.spec.transforms(this.config) : [];
  }

  protected override minTrainRows(): number {
    return this.spec.level === 'row' ? (this.spec.minTrainRows ?? 1) : 1;
  }

  protected override modelMinTrainPoints(): TrainMinimum {
    if (this.spec.level === 'series' && this.spec.minTrainPoints)
      return this.spec.minTrainPoints(this.config, this.raw as SeriesModel);
    return super.modelMinTrainPoints();
  }

  private get row(): RowModel {
    return this.raw as RowModel;
  }

  protected override fitRows(frame: Frame): Float64Array {
    return this.row.fit(frame);
  }

  protected override scoreRow(row: Float64Array, t: number): number {
    return this.row.scoreRow(row, t);
  }

  protected override scoreRows(frame: Frame): Float64Array {
    const m = this.row;
    return m.scoreRows ? m.scoreRows(frame) : super.scoreRows(frame);
  }

  protected override checkRow(row: Float64Array, t: number): void {
    this.row.checkRow?.(row, t);
  }

  protected override peekRow(row: Float64Array, t: number): number {
    const m = this.row;
    return m.peekRow ? m.peekRow(row, t) : m.scoreRow(row, t);
  }

  protected override learnRow(row: Float64Array, t: number): void {
    this.row.learnRow?.(row, t);
  }

  protected override rawTrain(ts: TimeSeries, labels?: TimeSeries): TimeSeries {
    if (this.spec.level === 'row') return super.rawTrain(ts);
    return (this.raw as SeriesModel).fit(ts, labels);
  }

  protected override rawScore(ts: TimeSeries, prev?: TimeSeries): TimeSeries {
    if (this.spec.level === 'row') {
      if (!prev || prev.t.length === 0 || !this.spec.learnsPrev) return super.rawScore(ts, prev);
      const p = prev.t.length;
      const all = { t: new Float64Array(p + ts.t.length), v: new Float64Array(p + ts.t.length) };
      all.t.set(prev.t);
      all.t.set(ts.t, p);
      all.v.set(prev.v);
      all.v.set(ts.v, p);
      const { n, d, x, t } = this.pipeline.apply(all);
      const cut = prev.t[p - 1];
      const m = this.row;
      // rows the model has seen already (training, a stream) are context only, as in a stream
      const seen = this.lastSeenTime;
      let k = 0;
      for (; k < n && t[k] <= cut; k++) if (t[k] > seen) m.learnRow?.(x.subarray(k * d, k * d + d), t[k]);
      const rest = { n: n - k, d, x: x.subarray(k * d), t: t.subarray(k) };
      return { t: rest.t, v: this.scoreRows(rest) };
    }
    return (this.raw as SeriesModel).score(ts, prev, this.lastSeenTime);
  }

  protected override rawStreamer(context: TimeSeries): RawStreamer {
    if (this.spec.level === 'row') return super.rawStreamer(context);
    return (this.raw as SeriesModel).streamer();
  }

  protected override copyOnlineState(): void {
    const m = this.raw;
    if (m.copy) this.raw = m.copy() as M;
  }

  /** tsad's raw models that hold reusable memory (a Random Cut Forest's) release it when they own it. */
  protected override releaseOnlineState(): void {
    const m: unknown = this.raw;
    if (isReleasable(m)) m[RELEASE]();
  }

  protected override stateVersion(): number {
    return this.spec.stateVersion ?? SPEC_BASE_STATE_VERSION;
  }

  protected override stateMigrations(): Readonly<Record<number, StateMigration>> {
    return { ...super.stateMigrations(), ...this.spec.migrations };
  }

  protected override modelState(): JsonValue {
    return this.raw.toState();
  }

  protected override restoreModel(state: unknown, path: string, budget: AllocBudget): void {
    const parsed = parseState(this.spec.state, state, path);
    const ctx = { config: this.config, d: this.spec.level === 'row' ? this.pipeline.d : 1, path, budget };
    this.raw = (
      this.spec.level === 'row'
        ? this.spec.fromState(parsed, ctx, this.raw as RowModel)
        : this.spec.fromState(parsed, ctx, this.raw as SeriesModel)
    ) as M;
  }
}

/** Parses a state with its schema; a failure is a ModelFormatError naming the field. */
export function parseState<S>(schema: z.ZodType<S, unknown>, state: unknown, path: string): S {
  const r = schema.safeParse(state);
  if (r.success) return r.data;
  const iss = r.error.issues[0];
  const where = iss.path.length ? `${path}.${iss.path.map(String).join('.')}` : path;
  throw new ModelFormatError('bad_field', `${where}: ${iss.message}`);
}

/** The model-file loader of a spec's detector class (listed in registry.ts). */
export function specLoader<D extends SpecDetector<BaseDetectorConfig>>(
  make: (config: unknown) => D,
  spec?: { readonly legacyConfig?: LegacyConfig },
): DetectorLoader {
  return baseLoader(make, spec?.legacyConfig);
}

/**
 * A typed loader: the model file `json` as a `cls` (the spec's type or an alias), else a
 * ModelFormatError naming the type found.
 */
export function loadAs<D extends SpecDetector<BaseDetectorConfig>>(
  json: unknown,
  spec: { readonly type: string; readonly aliases?: readonly string[]; readonly legacyConfig?: LegacyConfig },
  cls: new (config: never) => D,
): D {
  const make = cls as unknown as new (config: unknown) => D;
  return loadAsTypes(
    json,
    [spec.type, ...(spec.aliases ?? [])],
    baseLoader((c) => new make(c), spec.legacyConfig),
    cls,
  );
}
