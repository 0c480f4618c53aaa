/**
 * `BaseDetector`: the composition machinery of every detector (transforms → raw model → calibrator
 * → alarm rule; pure `score()`, independent transactional streams, gap policy, checkpoints, model
 * files with state versions and migrations).
 *
 * Detectors are not written against it directly: a detector is a spec (`defineDetector` in spec.ts,
 * walked through in docs/detectors.md), and `SpecDetector` (spec.ts) is the runtime that drives this
 * class's hooks from the spec's raw model. The hooks below are that interface: row level
 * (`transforms`, `fitRows`, `scoreRow`, `scoreRows`, `checkRow`, `peekRow`, `learnRow`) or series
 * level (`rawTrain`, `rawScore`, `rawStreamer`), plus `copyOnlineState`, `modelState` and
 * `restoreModel`. Every shipped detector, the `Ensemble` included, runs through `SpecDetector`.
 *
 * The post-rule (docs/detectors.md, Post-processing): the calibrator is trained once on the raw
 * train scores, the threshold (or AggregateAlarms) on the calibrated ones (grid search when labels
 * are given); `score()` is calibrated, `detect()` adds the threshold rule, `stream()` gives
 * `score()`'s numbers and `detect()`'s alarms point by point.
 */
import { DetectorError, ModelFormatError } from '../errors.js';
import { normalCdf } from '../math/normal.js';
import { showValue, timeRangeProblem } from '../series/series.js';
import { MAX_TIME_MS } from '../series/time.js';
import type { TimeSeries } from '../series/types.js';
import type { BaseDetectorConfig } from './base-config.js';
import { checkLabels, checkSeries, epochSecondsHint, formatTime, toSeries } from './input.js';
import { boolField, decodeFloat, decodeFloats, encodeFloat, encodeFloats, field, modelJson } from './json.js';
import { AllocBudget } from './model.js';
import { AnomScoreCalibrator, CALIBRATOR_MIN_SCORES } from './post/calibrator.js';
import { alarmEvents, makeThresholdRule } from './post/rule.js';
import type { AlarmStreamer, Threshold } from './post/threshold.js';
import { RELEASE, type Releasable } from './release.js';
import { BASE_MIGRATIONS, BASE_STATE_VERSION, migrateState, type StateMigration } from './state.js';
import {
  type RawStreamer,
  rowStreamer,
  type StreamCore,
  type StreamingDetector,
  TailBuffer,
} from './streaming.js';
import { type Frame, TransformPipeline, type TransformSpec } from './transforms.js';
import type {
  AlarmEvent,
  Detector,
  JsonObject,
  JsonValue,
  ModelJson,
  ScoreOptions,
  SeriesLike,
  StreamOptions,
  StreamResult,
  StreamScorer,
  TrainMinimum,
  TrainOptions,
} from './types.js';

type AnyBaseDetector = BaseDetector<BaseDetectorConfig>;

/** `BaseDetector`'s private `moveOut`, for `moveDetector` (set by the class's static block). */
let moveOut: <D extends AnyBaseDetector>(d: D) => D;
/** `stream()` on the detector's moved state, for `streamOnce` (set by the class's static block). */
let openOnce: (d: AnyBaseDetector, opts: StreamOptions) => StreamScorer;
/** `releaseOwn` of a detector, for `releaseDetector` and the streams' `RELEASE` (set by the class's static block). */
let releaseOwn: (d: AnyBaseDetector) => void;

/** What a released stream or detector throws when used again (`releaseStream`). */
function releasedError(type: string): DetectorError {
  return new DetectorError(
    'internal',
    `${type}: this stream was released (the service dropped its series and its forests' memory went to other series), so it cannot be used again; this is a bug in tsad: please report it`,
  );
}

/** The options each method reads (the keys of `TrainOptions`, `ScoreOptions`, `StreamOptions`). */
const METHOD_OPTIONS = {
  train: ['labels'],
  score: ['prev'],
  detect: ['prev'],
  stream: ['gap', 'warmup'],
} as const satisfies Record<string, readonly string[]>;

/** Where an option a method does not read belongs, when another method reads it. */
const OPTION_HINTS: Readonly<Record<string, string>> = {
  labels:
    ': labels train the alarm threshold, train(ts, { labels }); to measure alarms against labels, evaluate()',
  prev: ': prev is context for score() and detect()',
};

/**
 * The options object of `train()`, `score()`, `detect()` and `stream()`, checked like a config (the one
 * place they are): JavaScript callers can pass anything, and an ignored key or value (`detect(ts, 5)`,
 * `detect(ts, { labels })`, `model.stream(checkpoint)`, which looks like a resume but is not one) would
 * give other results than meant without a word. The values themselves are checked where they are read
 * (`prev`: `bad_series`, `labels`: `bad_labels`, `gap`: `bad_option`).
 */
function checkOptions(method: keyof typeof METHOD_OPTIONS, opts: unknown): void {
  const keys: readonly string[] = METHOD_OPTIONS[method];
  const takes = `${method}() takes an options object { ${keys.join(', ')} } (or nothing)`;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts))
    throw new DetectorError(
      'bad_option',
      `${takes}, got ${Array.isArray(opts) ? 'an array' : opts === null ? 'null' : `${typeof opts} ${JSON.stringify(opts)}`}`,
    );
  if ((opts as { format?: unknown }).format === 'tsad-model')
    throw new DetectorError(
      'bad_option',
      `${method}() was given a model file (a checkpoint from toJSON()), not its options { ${keys.join(', ')} }: to resume a checkpoint, loadModel(checkpoint).stream()`,
    );
  for (const key of Object.keys(opts))
    if (!keys.includes(key))
      throw new DetectorError(
        'bad_option',
        `unknown ${method} option ${JSON.stringify(key)}: ${method}() takes ${keys.join(', ')}${OPTION_HINTS[key] ?? ''}`,
      );
}

export abstract class BaseDetector<C extends BaseDetectorConfig> implements Detector<C>, StreamingDetector {
  readonly type: string;
  readonly config: Readonly<C>;
  /** The calibrator (null when the model has none, e.g. ETS); lives across re-training (docs/detectors.md, Post-processing). */
  protected readonly calibrator: AnomScoreCalibrator | null;
  /** The threshold rule, trained on calibrated scores. */
  protected readonly rule: Threshold;
  protected trained = false;
  /** Calibrated train scores of the last `train()` (what an ensemble combines). */
  trainScores: TimeSeries | null = null;
  private pipelineCache: TransformPipeline | null = null;
  private tailCache: TailBuffer | null = null;
  /**
   * Time of the last point the model has seen (training, `update()`, or a stream it was saved from), as
   * element 0 of a one-element array that each copy owns (`cloneOnline` copies it). Not a number field:
   * an ensemble's stream runs the same check and commit closures for every member, and a field read or
   * written through members of seven classes is a megamorphic property access (a stub-cache lookup,
   * ≈ 100 instructions and its cache misses) per member and point; every Float64Array has the same
   * shape (speed round 20 of docs/evaluation.md).
   */
  private lastTime = new Float64Array([Number.NEGATIVE_INFINITY]);
  /** The alarm rule's running state saved with a stream checkpoint (null: a fresh rule). */
  private alarmState: unknown = null;
  /** The live alarm streamer of the stream running on this object (stream copies only). */
  private liveRule: AlarmStreamer | null = null;
  /**
   * Set once an internal runner has moved this detector's state to a stream (`streamOnce`: the stream
   * owns the model now), or once its stream released it (`releaseStream`: its forests' memory may be
   * another forest's now): every method of this object refuses to run (`requireOwnState`).
   */
  private released: 'moved' | 'released' | null = null;

  static {
    moveOut = (d) => d.moveOut();
    releaseOwn = (d) => d.releaseOwn();
    openOnce = (d, opts) => {
      d.checkStream(opts);
      return d.openScorer(d.moveOut(), opts);
    };
  }

  /** `calibrated` overrides the `hasCalibrator()` hook (specs say it as data). */
  protected constructor(type: string, config: C, calibrated?: boolean) {
    this.type = type;
    this.config = Object.freeze(config);
    this.calibrator =
      (calibrated ?? this.hasCalibrator()) ? new AnomScoreCalibrator(config.maxScore, true) : null;
    this.rule = makeThresholdRule(config.threshold);
  }

  // ---------------------------------------------------------------- hooks for subclasses

  /** Whether the model has a calibrator at all (ETS: no). */
  protected hasCalibrator(): boolean {
    return true;
  }

  /** The `alm_threshold` of the config class's default rule (for the unsupervised-quantile default). */
  protected defaultAlmThreshold(): number {
    return 3;
  }

  /** Transform chain applied before the model (row-level detectors). */
  protected transforms(): TransformSpec[] {
    return [];
  }

  /** Fewest transformed rows the model can train on. */
  protected minTrainRows(): number {
    return 1;
  }

  /**
   * The raw model's own minimum in raw points (before the calibrator's). Default: the transforms'
   * context plus `minTrainRows()`; series-level models override it from their config.
   */
  protected modelMinTrainPoints(): TrainMinimum {
    const ctx = this.pipeline.context;
    const rows = this.minTrainRows();
    return {
      points: ctx + rows,
      reason:
        ctx > 0
          ? `its model needs ${rows} rows after transforms that use ${ctx} earlier points each`
          : `its model needs ${rows} points`,
    };
  }

  /** Row level: fit the model on the transformed rows and return their raw train scores. */
  protected fitRows(_frame: Frame): Float64Array {
    throw new DetectorError('not_implemented', `${this.type} implements neither fitRows nor rawTrain`);
  }

  /** Row level: the raw score of one transformed row (online models update here). */
  protected scoreRow(_row: Float64Array, _t: number): number {
    throw new DetectorError('not_implemented', `${this.type} implements neither scoreRow nor rawScore`);
  }

  /** Row level: throws the TsadError `scoreRow(row, t)` would raise, changing nothing. */
  protected checkRow(_row: Float64Array, _t: number): void {}

  /** Row level: the raw score of a row without learning from it (default: `scoreRow`). */
  protected peekRow(row: Float64Array, t: number): number {
    return this.scoreRow(row, t);
  }

  /** Row level: learns from a row without scoring it (default: nothing; online models override). */
  protected learnRow(_row: Float64Array, _t: number): void {}

  /** Row level, batch: must equal `scoreRow` row by row; override for speed. */
  protected scoreRows(frame: Frame): Float64Array {
    const { n, d, x, t } = frame;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.scoreRow(x.subarray(i * d, i * d + d), t[i]);
    return out;
  }

  /**
   * Replaces, on a fresh shallow copy of this detector, every part of the model that scoring or
   * streaming changes by an independent copy (online models override; see `cloneOnline`).
   */
  protected copyOnlineState(): void {}

  /**
   * Takes over, on a fresh shallow copy of this detector made by `moveOut`, the parts of the model
   * that hold other detectors (an ensemble's members, which are moved in turn). Default: nothing,
   * the copy shares every part with this object, which is refused from then on.
   */
  protected moveOnlineState(): void {}

  /**
   * Releases, on a stream's own detector that is being given up (`releaseOwn`), the parts of the model
   * that only it holds and that can be reused (a Random Cut Forest's memory; an ensemble's members in
   * turn). Default: nothing, the collector takes it all.
   */
  protected releaseOnlineState(): void {}

  /**
   * A fresh untrained instance of the same class and config (what `cloneOnline` copies the state
   * into). Default: the class's constructor with the parsed config; override when the constructor
   * takes something else (Ensemble).
   */
  protected blank(): this {
    const make = this.constructor as new (config: unknown) => this;
    return new make(this.config);
  }

  /**
   * The version of this detector's model-file state (`state.stateVersion`). Bump it when the state's
   * shape changes and add a migration from the previous version in `stateMigrations()`. Version 1
   * is a state without the field (files written before versioning).
   */
  protected stateVersion(): number {
    return BASE_STATE_VERSION;
  }

  /**
   * Migrations of older states: entry `v` turns a version-`v` state into a version-`v + 1` one
   * (plain JSON in, plain JSON out; validation happens after the last one). Subclasses that bump
   * `stateVersion()` spread `super.stateMigrations()` and add theirs.
   */
  protected stateMigrations(): Readonly<Record<number, StateMigration>> {
    return BASE_MIGRATIONS;
  }

  /** The fitted model as JSON. */
  protected abstract modelState(): JsonValue;
  /**
   * Restores `modelState()` output; throws ModelFormatError naming the field. Models whose
   * allocations are not bounded by the parsed file's own arrays reserve them from `budget` first.
   */
  protected abstract restoreModel(state: unknown, path: string, budget: AllocBudget): void;

  protected get pipeline(): TransformPipeline {
    if (!this.pipelineCache) this.pipelineCache = new TransformPipeline(this.transforms());
    return this.pipelineCache;
  }

  private get tail(): TailBuffer {
    if (!this.tailCache) this.tailCache = new TailBuffer(this.pipeline.context);
    return this.tailCache;
  }

  /** Series level: raw train scores. Default: transforms, then `fitRows`. */
  protected rawTrain(ts: TimeSeries, _labels?: TimeSeries): TimeSeries {
    const frame = this.pipeline.fit(ts);
    if (frame.n < this.minTrainRows()) {
      throw new DetectorError(
        'too_few_points',
        `${this.type} needs at least ${this.minTrainRows()} points after its transforms, got ${frame.n} (from ${ts.v.length} points); train on a longer series`,
      );
    }
    return { t: frame.t, v: this.fitRows(frame) };
  }

  /**
   * Series level: raw scores of `ts` with optional context. Default: transforms, then `scoreRows`.
   * Runs on a copy (`cloneOnline`), so it may change the model as a stream would.
   */
  protected rawScore(ts: TimeSeries, prev?: TimeSeries): TimeSeries {
    const frame = this.pipeline.apply(ts, prev);
    return { t: frame.t, v: this.scoreRows(frame) };
  }

  /** Series level: a raw streaming scorer continuing from `context` (the last raw points seen). */
  protected rawStreamer(context: TimeSeries): RawStreamer {
    return rowStreamer(this.pipeline.streamer(context), {
      checkRow: (row, t) => this.checkRow(row, t),
      scoreRow: (row, t) => this.scoreRow(row, t),
      peekRow: (row, t) => this.peekRow(row, t),
      learnRow: (row, t) => this.learnRow(row, t),
    });
  }

  // ---------------------------------------------------------------- the contract

  /** Time of the last point the model has seen (training, `update()`, a stream it was saved from). */
  protected get lastSeenTime(): number {
    return this.lastTime[0];
  }

  private requireTrained(): void {
    this.requireOwnState();
    if (!this.trained) throw new DetectorError('not_trained', `${this.type}: call train() before scoring`);
  }

  /** Throws when an internal runner has moved this detector's state to a stream (`streamOnce`). */
  private requireOwnState(): void {
    if (this.released === 'moved') {
      throw new DetectorError(
        'internal',
        `${this.type}: this detector's state was handed to a stream that scores once and discards it (streamOnce), so the detector cannot be used again; this is a bug in tsad: please report it`,
      );
    }
    if (this.released === 'released') throw releasedError(this.type);
  }

  /**
   * This detector's state on a new object of the same class, without copying any of it (what
   * `cloneOnline` copies is shared; an ensemble's members are moved in turn); this object refuses
   * every later call (`requireOwnState`), so the state has one user. For `streamOnce`.
   */
  private moveOut(): this {
    this.requireOwnState(); // untrained is fine: an ensemble moves the members it dropped too
    const m = Object.assign(this.blank(), this);
    m.liveRule = null;
    m.moveOnlineState();
    this.released = 'moved';
    return m;
  }

  /**
   * Gives up this detector's state for good (its stream was released: `releaseStream`): the parts it
   * alone holds are released for reuse (`releaseOnlineState`), and every later call refuses. Only for
   * a stream's own detector (a copy or a moved state), never for one a caller holds.
   */
  private releaseOwn(): void {
    if (this.released !== null) return;
    this.releaseOnlineState();
    this.released = 'released';
  }

  private calibrateInPlace(v: Float64Array): Float64Array {
    if (this.calibrator && this.config.enableCalibrator) {
      for (let i = 0; i < v.length; i++) v[i] = this.calibrator.calibrateOne(v[i]);
    }
    return v;
  }

  /**
   * A copy of this detector whose online state (model updates, stream context, alarm state) is
   * independent of this one's; trained parts that never change are shared. What `score()`,
   * `stream()` and `update()` run on, so that scoring never changes the detector.
   */
  cloneOnline(): this {
    this.requireOwnState();
    // a constructed object keeps the class's shape (fast property access on the hot path)
    const c = Object.assign(this.blank(), this);
    c.tailCache = this.tail.copy();
    c.lastTime = this.lastTime.slice();
    c.liveRule = null;
    c.copyOnlineState();
    return c;
  }

  /**
   * The fewest training points on which this detector trains meaningfully, with the reason: the larger
   * of its model's minimum (`modelMinTrainPoints`) and, when it calibrates, the transforms' context plus
   * `CALIBRATOR_MIN_SCORES` (docs/detectors.md, Training minimums). `train()` on fewer throws
   * `DetectorError` `too_few_points`.
   */
  minTrainPoints(): TrainMinimum {
    const model = this.modelMinTrainPoints();
    if (!(this.calibrator && this.config.enableCalibrator)) return model;
    const cal = this.pipeline.context + CALIBRATOR_MIN_SCORES;
    if (cal <= model.points) return model;
    return {
      points: cal,
      reason: `its calibrator needs ${CALIBRATOR_MIN_SCORES} train scores (the top anchor is their 95.45% quantile)${this.pipeline.context > 0 ? ` after ${this.pipeline.context} points of transform context` : ''}`,
    };
  }

  train(input: SeriesLike, opts: TrainOptions = {}): TimeSeries {
    this.requireOwnState();
    checkOptions('train', opts);
    const ts = toSeries(input, 'train data');
    checkSeries(ts, 'train data');
    if (ts.v.length === 0)
      throw new DetectorError('too_few_points', `${this.type}: the train series is empty`);
    const min = this.minTrainPoints();
    if (ts.v.length < min.points) {
      throw new DetectorError(
        'too_few_points',
        `${this.type} needs at least ${min.points} training points, got ${ts.v.length}: ${min.reason}; train on a longer series`,
      );
    }
    if (opts.labels) checkLabels(opts.labels, ts);
    const raw = this.rawTrain(ts, opts.labels);
    for (let i = 0; i < raw.v.length; i++) {
      if (!Number.isFinite(raw.v[i])) {
        throw new DetectorError(
          'non_finite_score',
          `${this.type}: non-finite raw train score ${raw.v[i]} at index ${i} (t=${formatTime(raw.t[i])}); ${overflowHint(ts.v)}`,
        );
      }
    }
    const pr = this.config.postRuleTrain;
    let cal: Float64Array;
    if (this.calibrator && this.config.enableCalibrator)
      cal = this.calibrator.train(raw.v, pr.retrainCalibrator);
    else cal = raw.v.slice();
    const calTs = { t: raw.t, v: cal };
    this.trainScores = calTs;
    this.trained = true;
    this.tail.clear();
    this.tail.pushSeries(ts);
    this.lastTime[0] = ts.t[ts.t.length - 1];
    this.alarmState = null;
    if (!this.config.enableThreshold) return calTs;
    let uq: number | null;
    if (pr.unsupQuantile !== undefined) uq = pr.unsupQuantile;
    else {
      const t = this.defaultAlmThreshold();
      uq = !this.calibrator || this.config.enableCalibrator || t === 0 ? null : 2 * normalCdf(t) - 1;
    }
    return this.rule.train(calTs, {
      labels: opts.labels,
      unsupQuantile: uq,
      maxEarlySec: pr.maxEarlySec,
      maxDelaySec: pr.maxDelaySec,
      minAllowedScore: pr.minAllowedScore,
    });
  }

  /** Calibrated scores of `ts`. Pure: the detector is unchanged (online models learn on a copy). */
  score(input: SeriesLike, opts: ScoreOptions = {}): TimeSeries {
    this.requireTrained();
    checkOptions('score', opts);
    const ts = toSeries(input, 'data');
    checkSeries(ts, 'data');
    if (opts.prev) {
      checkSeries(opts.prev, 'prev');
      const p = opts.prev;
      if (p.t.length && ts.t.length && !(p.t[p.t.length - 1] < ts.t[0])) {
        throw new DetectorError('bad_time', 'prev must end before the first timestamp of the data');
      }
    }
    return this.cloneOnline().scoreInPlace(ts, opts.prev);
  }

  /** `score()` on this object's own state (callers clone first). Used by ensembles on member copies. */
  scoreInPlace(ts: TimeSeries, prev?: TimeSeries): TimeSeries {
    this.requireOwnState();
    const raw = this.rawScore(ts, prev);
    return { t: raw.t, v: this.calibrateInPlace(raw.v) };
  }

  applyRule(scores: TimeSeries): TimeSeries {
    this.requireOwnState();
    return this.config.enableThreshold ? this.rule.apply(scores) : scores;
  }

  detect(ts: SeriesLike, opts: ScoreOptions = {}): { scores: TimeSeries; alarms: AlarmEvent[] } {
    checkOptions('detect', opts); // named as detect()'s before score() reads them
    const scores = this.applyRule(this.score(ts, opts));
    return { scores, alarms: alarmEvents(scores) };
  }

  /**
   * Folds `ts` (points after the model's last time) into the model, as a stream's `learnOne` would,
   * without scoring. All or nothing: on a TsadError the detector is unchanged. Gaps reset (see
   * `stream()`).
   */
  update(input: SeriesLike): void {
    this.requireTrained();
    const ts = toSeries(input, 'update data');
    checkSeries(ts, 'update data');
    const m = this.cloneOnline();
    const core = m.openStream();
    for (let i = 0; i < ts.t.length; i++) {
      core.check(ts.t[i], ts.v[i]);
      core.learn(ts.t[i], ts.v[i]);
    }
    m.liveRule = null;
    Object.assign(this, m);
  }

  /**
   * A streaming scorer on a copy of the detector's current state: it gives `score()`'s numbers and
   * `detect()`'s alarms point by point, learns as it goes (online models), and never changes the
   * detector or other streams.
   */
  stream(opts: StreamOptions = {}): StreamScorer {
    this.checkStream(opts);
    return this.openScorer(this.cloneOnline(), opts);
  }

  /** What `stream()` checks before it copies anything (so that a refused call changes nothing). */
  private checkStream(opts: StreamOptions): void {
    this.requireTrained();
    checkOptions('stream', opts);
    const gap = opts.gap ?? 'reset';
    if (gap !== 'reset' && gap !== 'error')
      throw new DetectorError(
        'bad_option',
        `stream gap policy must be 'reset' or 'error', got ${String(gap)}`,
      );
    if (opts.warmup) checkSeries(opts.warmup, 'warmup');
  }

  /** `stream()`'s scorer on `m`, a copy of this detector (`cloneOnline`) or its moved state (`moveOut`). */
  private openScorer(m: this, opts: StreamOptions): StreamScorer {
    const gap = opts.gap ?? 'reset';
    const core = m.openStream();
    const type = this.type;
    const checkGap = (t: number, v: number): boolean => {
      const g = core.check(t, v);
      if (g && gap === 'error') {
        core.abort();
        throw new DetectorError(
          'gap',
          `${type} stream: t=${formatTime(t)} comes after a gap the model cannot bridge; use the gap policy 'reset' or retrain`,
        );
      }
      return g;
    };
    let live = true;
    const scorer: StreamScorer & Releasable = {
      push(t: number, v: number): StreamResult {
        if (!live) throw releasedError(type);
        return core.commit(t, v, checkGap(t, v));
      },
      scoreOne(t: number, v: number): number {
        if (!live) throw releasedError(type);
        checkGap(t, v);
        return core.peek(t, v);
      },
      learnOne(t: number, v: number): void {
        if (!live) throw releasedError(type);
        checkGap(t, v);
        core.learn(t, v);
      },
      toJSON: () => m.toJSON(),
      [RELEASE]: () => {
        live = false;
        releaseOwn(m);
      },
    };
    if (opts.warmup) {
      for (let i = 0; i < opts.warmup.t.length; i++) scorer.learnOne(opts.warmup.t[i], opts.warmup.v[i]);
    }
    return scorer;
  }

  /** The stream machinery on this object's own state (callers clone first). */
  openStream(): StreamCore {
    this.requireTrained();
    const tail = this.tail;
    const raw = this.rawStreamer(tail.toSeries());
    const cal = this.calibrator && this.config.enableCalibrator ? this.calibrator : null;
    const rule: AlarmStreamer | null = this.config.enableThreshold ? this.rule.streamer() : null;
    if (rule && this.alarmState !== null) rule.load(this.alarmState, 'state.alarm');
    this.liveRule = rule;
    const type = this.type;
    const last = this.lastTime;
    return {
      check(t: number, v: number): boolean {
        if (typeof t !== 'number' || typeof v !== 'number') throw badPointArgs(type, t, v);
        if (!Number.isFinite(v)) {
          throw new DetectorError(
            'non_finite',
            `${type} stream: value ${v} at t=${formatTime(t)} is not finite; pass a finite number`,
          );
        }
        // a finite time a Date cannot hold, once taken, would leave every later point "not after" it
        if (Math.abs(t) > MAX_TIME_MS && Number.isFinite(t))
          throw new DetectorError('bad_time', `${type} stream: ${timeRangeProblem(t)}`);
        if (!Number.isFinite(t) || !(t > last[0])) {
          throw new DetectorError(
            'bad_time',
            `${type} stream: t=${formatTime(t)} is not after the model's last point (t=${formatTime(last[0])}, the end of training or the previous push)${last[0] >= 1e11 ? epochSecondsHint(t) : ''}`,
          );
        }
        return raw.check(t, v);
      },
      abort(): void {
        raw.abort?.();
      },
      commit(t: number, v: number, reset: boolean): StreamResult {
        const r = raw.pushRaw(t, v);
        last[0] = t;
        tail.push(t, v);
        if (Number.isNaN(r)) return { score: Number.NaN, alarm: false, reset };
        const score = cal ? cal.calibrateOne(r) : r;
        const post = rule ? rule.push(t, score) : score;
        return { score, alarm: post !== 0, reset };
      },
      peek(t: number, v: number): number {
        const r = raw.peekRaw(t, v);
        return Number.isNaN(r) || !cal ? r : cal.calibrateOne(r);
      },
      learn(t: number, v: number): void {
        raw.learnRaw(t, v);
        last[0] = t;
        tail.push(t, v);
      },
    };
  }

  toJSON(): ModelJson {
    this.requireOwnState();
    const tail = this.tail.toSeries();
    const state: JsonObject = {
      stateVersion: this.stateVersion(),
      trained: this.trained,
      calibrator: this.calibrator ? this.calibrator.toJSON() : null,
      threshold: this.rule.toJSON(),
      transforms: this.pipeline.toJSON(),
      tail: { t: encodeFloats(tail.t), v: encodeFloats(tail.v) },
      lastT: encodeFloat(this.lastTime[0]),
      alarm: this.liveRule ? this.liveRule.save() : (this.alarmState as JsonValue),
      model: this.trained ? this.modelState() : null,
    };
    return modelJson(this.type, this.config as JsonObject, state);
  }

  /** Restores the state written by `toJSON()` (used by loaders). */
  restoreState(input: unknown, budget: AllocBudget = AllocBudget.of(input)): void {
    this.requireOwnState();
    const p = 'state';
    const state = migrateState(
      input,
      this.type,
      this.stateVersion(),
      this.stateMigrations(),
      this.config as JsonObject,
    );
    const trained = boolField(state, 'trained', p);
    const cal = field(state, 'calibrator', p);
    if (this.calibrator) this.calibrator.restore(cal, `${p}.calibrator`);
    else if (cal !== null)
      throw new ModelFormatError('bad_field', `${p}.calibrator: ${this.type} has no calibrator`);
    this.rule.restore(field(state, 'threshold', p), `${p}.threshold`);
    this.pipeline.restore(field(state, 'transforms', p), `${p}.transforms`);
    const tail = field(state, 'tail', `${p}`);
    const tt = decodeFloats(field(tail, 't', `${p}.tail`), `${p}.tail.t`);
    const tv = decodeFloats(field(tail, 'v', `${p}.tail`), `${p}.tail.v`, tt.length);
    if (tt.length > this.tail.cap) {
      throw new ModelFormatError('bad_field', `${p}.tail.t: at most ${this.tail.cap} points expected`);
    }
    try {
      checkSeries({ t: tt, v: tv }, `${p}.tail`);
    } catch (e) {
      throw new ModelFormatError('bad_field', (e as Error).message);
    }
    const lastT = decodeFloat(field(state, 'lastT', p), `${p}.lastT`);
    if (Number.isNaN(lastT) || lastT === Number.POSITIVE_INFINITY || (tt.length && lastT < tt[tt.length - 1]))
      throw new ModelFormatError('bad_field', `${p}.lastT: expected a time at or after the tail's last one`);
    // -Infinity is "no point yet"; any other time must be one a Date holds, as a stream push must be
    if (lastT !== Number.NEGATIVE_INFINITY && !(Math.abs(lastT) <= MAX_TIME_MS))
      throw new ModelFormatError(
        'bad_field',
        `${p}.lastT: ${timeRangeProblem(lastT)}; no stream resumes from it (an earlier tsad let a stream take such a time and saved it in its checkpoint): start a new stream from the model file it came from, or restore the file as it was written`,
      );
    const alarm = field(state, 'alarm', p);
    if (alarm !== null) {
      if (!this.config.enableThreshold || !trained)
        throw new ModelFormatError('bad_field', `${p}.alarm: must be null without a trained alarm rule`);
      // validated now, so that stream() cannot fail on it later
      this.rule.streamer().load(alarm, `${p}.alarm`);
    }
    this.tail.clear();
    this.tail.pushSeries({ t: tt, v: tv });
    const model = field(state, 'model', p);
    if (trained) this.restoreModel(model, `${p}.model`, budget);
    else if (model !== null)
      throw new ModelFormatError('bad_field', `${p}.model: must be null for an untrained model`);
    this.trained = trained;
    this.lastTime[0] = lastT;
    this.alarmState = alarm;
  }
}

/**
 * What to do about a non-finite raw train score: with values beyond ±1e100 the detector's arithmetic
 * overflowed (rescale); on ordinary values it is a bug.
 */
function overflowHint(v: Float64Array): string {
  let big = 0;
  for (let i = 0; i < v.length; i++) big = Math.max(big, Math.abs(v[i]));
  return big > 1e100
    ? `its arithmetic overflows on values this large (the largest |value| is ${big}): rescale the series (divide it by a power of ten) and train again`
    : 'the values are ordinary, so this is a bug: please report it with the data';
}

/**
 * The error for a stream call (`push`, `scoreOne`, `learnOne`) whose arguments are not two numbers:
 * names the one that is wrong, what it is, and what the call takes (`push('m-17', 1)` passed a series
 * id where the time goes: one stream is one series).
 */
function badPointArgs(type: string, t: unknown, v: unknown): DetectorError {
  const what = (x: unknown) =>
    `${showValue(x)}${x === null || x === undefined ? '' : typeof x === 'object' ? '' : ` (a ${typeof x})`}`;
  const wrong =
    typeof t !== 'number'
      ? `t is ${what(t)}${typeof t === 'string' ? ' (for an ISO 8601 time, pass Date.parse(t))' : ''}`
      : `v is ${what(v)}`;
  return new DetectorError(
    'bad_point',
    `${type} stream: push(t, v) takes the point's time in epoch milliseconds and its value, both numbers; ${wrong}. One stream scores one series: keep a stream per series id (tsad serve does this for you)`,
  );
}

/**
 * `d`'s state on a new object of its class, taken without a copy; `d` refuses every later call
 * (DetectorError `internal`). For an ensemble raw model that moves its members (`EnsembleRaw.move`).
 * Internal: not exported from any entry point.
 */
export function moveDetector<D extends AnyBaseDetector>(d: D): D {
  return moveOut(d);
}

/**
 * Gives up `d`'s state for good (`releaseOwn`): for an ensemble raw model releasing the members its
 * stream's copy owns (`EnsembleRaw`'s `RELEASE`). Internal: not exported from any entry point.
 */
export function releaseDetector(d: AnyBaseDetector): void {
  releaseOwn(d);
}

/**
 * `d.stream(opts)` without the copy: the stream runs on `d`'s own state, and `d` refuses every later
 * call (DetectorError `internal`). For internal runners that train a detector, stream once and drop it
 * (the NAB corpus, locate mode): one model per file instead of two. Internal: not exported from any
 * entry point; `streamOnce` (stream-once.ts) dispatches to it.
 */
export function streamOwnState(d: AnyBaseDetector, opts: StreamOptions = {}): StreamScorer {
  return openOnce(d, opts);
}
