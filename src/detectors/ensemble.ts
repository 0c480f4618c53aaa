/**
 * `Ensemble`: several detectors trained on the same data, their (calibrated) scores aligned to
 * one time grid and combined, then the ensemble's own calibrator (off by default) and alarm rule
 * (docs/ensemble.md, Ensemble). Merlion's `DetectorEnsemble`, with these differences:
 *
 * * `max` is a real maximum of absolute values (the reference's is a median);
 * * a member that fails to train is dropped with a warning event (`onWarning` / `on('warning')`,
 *   else a Node process warning), never silently;
 * * `metricWeightedMean` keeps each weight with its own member when members fail (the reference
 *   zips weights and outputs positionally);
 * * `validFrac > 0` with a metric-driven combiner and no labels is a clear error (the reference
 *   crashes).
 */
import { z } from 'zod';
import { ConfigError, DetectorError, ModelFormatError, TsadError } from '../errors.js';
import type { TimeSeries } from '../series/types.js';
import { baseConfigShape, loadAs, parseConfig, type RawStreamer, type StreamingDetector } from './base.js';
import {
  alignTo,
  type CombineKind,
  type MetricDirection,
  metricWeights,
  RowCombiner,
  selectBest,
  targetGrid,
  unionGrid,
} from './combiners.js';
import { decodeFloats, encodeFloats, field, jsonObject } from './json.js';
import { asMember, isDetector } from './member.js';
import { AllocBudget } from './model.js';
import { AnomScoreCalibrator } from './post/calibrator.js';
import { postRuleTrainSchema } from './post/rule.js';
import { type DetectorLoader, loadWithBudget } from './registry.js';
import { defineDetector, type SeriesModel, SpecDetector } from './spec.js';
import type { Detector, JsonObject, JsonValue, ModelJson } from './types.js';

/** TSAD metrics a metric-driven combiner can use (computed by the metrics module's `evaluate`). */
export const ENSEMBLE_METRICS = [
  'f1',
  'precision',
  'recall',
  'f2',
  'f5',
  'pointwiseF1',
  'pointwisePrecision',
  'pointwiseRecall',
  'pointAdjustedF1',
  'pointAdjustedPrecision',
  'pointAdjustedRecall',
  'nabScore',
  'nabScoreLowFN',
  'nabScoreLowFP',
  'meanTimeToDetect',
] as const;
export type EnsembleMetric = (typeof ENSEMBLE_METRICS)[number];

/** Whether a larger value of the metric is better. */
export function metricDirection(m: EnsembleMetric): MetricDirection {
  return m === 'meanTimeToDetect' ? 'lower' : 'higher';
}

/**
 * How a metric-driven combiner (`modelSelector`, `metricWeightedMean`) scores a member's alarms
 * `pred` (non-zero = alarm) against the labels `truth`. The ensemble does not compute metrics
 * itself: pass one in `EnsembleOptions.metric`, e.g. tsad's `ensembleMetric` (metrics module).
 */
export type SelectionMetric = (name: EnsembleMetric, truth: TimeSeries, pred: TimeSeries) => number;

const metricSchema = z.enum(ENSEMBLE_METRICS).default('f1');

export const combinerSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('mean'), absScore: z.boolean().default(true) }),
  z.strictObject({ type: z.literal('median'), absScore: z.boolean().default(true) }),
  z.strictObject({ type: z.literal('max'), absScore: z.boolean().default(true) }),
  z.strictObject({
    type: z.literal('modelSelector'),
    metric: metricSchema,
    absScore: z.boolean().default(false),
  }),
  z.strictObject({
    type: z.literal('metricWeightedMean'),
    metric: metricSchema,
    absScore: z.boolean().default(false),
  }),
]);
export type CombinerConfig = z.infer<typeof combinerSchema>;
export type CombinerType = CombinerConfig['type'];
/** A combiner by name (defaults for its fields) or as a full config object. */
export type CombinerInput = CombinerType | z.input<typeof combinerSchema>;

const memberDescriptor = z.strictObject({
  type: z.string().min(1).max(200),
  config: z.record(z.string(), z.unknown()),
});

export const MAX_MEMBERS = 64;

export const ensembleConfigSchema = z.strictObject({
  ...baseConfigShape(1000),
  /** The ensemble's own calibrator is off by default (members are calibrated). */
  enableCalibrator: z.boolean().default(false),
  /**
   * Post-rule training: like forecasters, an ensemble has no unsupervised-quantile default
   * (docs/detectors.md, Post-processing): without labels the threshold keeps its configured value.
   */
  postRuleTrain: postRuleTrainSchema.prefault({ unsupQuantile: null }),
  combiner: z.preprocess(
    (x) => (x === undefined ? { type: 'mean' } : typeof x === 'string' ? { type: x } : x),
    combinerSchema,
  ),
  /**
   * Fraction of the train data (by time, at the end) held out to train a metric-driven combiner
   * (`modelSelector`, `metricWeightedMean`); ignored by the other combiners. Needs labels.
   */
  validFrac: z.number().min(0).max(0.9).default(0),
  /**
   * Per member (same order as `members`): whether the ensemble passes that member's output through
   * a calibrator of its own (Merlion's `AnomScoreCalibrator`, trained on the member's train scores)
   * before combining. Meant for members without a calibrator (ETS scores in raw residual z-units), so
   * that every score the combiner reads is on the same calibrated scale. `null` (default): none.
   */
  calibrateMembers: z.array(z.boolean()).max(MAX_MEMBERS).nullable().default(null),
  /** The members' types and configs (filled in from the member detectors; for the record). */
  members: z.array(memberDescriptor).min(1).max(MAX_MEMBERS),
});
export type EnsembleConfig = z.infer<typeof ensembleConfigSchema>;

/**
 * A member as the ensemble holds it: tsad's detectors as they are, any other `Detector` wrapped in a
 * `ForeignMember` (member.ts).
 */
export type EnsembleMember = StreamingDetector;

export interface EnsembleInput extends Omit<z.input<typeof ensembleConfigSchema>, 'members' | 'combiner'> {
  /**
   * The member detectors, untrained or trained (training the ensemble re-trains them): any object
   * implementing the public `Detector` interface, tsad's or a third party's.
   */
  members: readonly Detector[];
  /** `'mean'` (default), `'median'`, `'max'`, `'modelSelector'`, `'metricWeightedMean'`, or a config. */
  combiner?: CombinerInput;
}

/** Something an ensemble wants a person to know: a dropped member, a weighting fallback. */
export interface EnsembleWarning {
  readonly code: 'member_failed' | 'equal_weights';
  readonly message: string;
  /** Index of the member concerned, if any. */
  readonly member?: number;
  readonly memberType?: string;
  readonly cause?: unknown;
}
export type EnsembleWarningListener = (w: EnsembleWarning) => void;

/** Options that are not part of the model (not saved, not tracked). */
export interface EnsembleOptions {
  /** Called for each warning; without any listener, warnings go to `process.emitWarning`. */
  onWarning?: EnsembleWarningListener;
  /** The metric of metric-driven combiners trained with labels (e.g. tsad's `ensembleMetric`). */
  metric?: SelectionMetric;
}

const TRAINABLE: ReadonlySet<CombinerType> = new Set(['modelSelector', 'metricWeightedMean']);

function restrict(ts: TimeSeries, lo: number, hi: number): TimeSeries {
  let a = 0;
  while (a < ts.t.length && ts.t[a] < lo) a++;
  let b = a;
  while (b < ts.t.length && ts.t[b] < hi) b++;
  return { t: ts.t.subarray(a, b), v: ts.v.subarray(a, b) };
}

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function buildConfig(input: EnsembleInput): EnsembleConfig {
  if (input === null || typeof input !== 'object' || !Array.isArray(input.members)) {
    throw new ConfigError('bad_config', 'config field members: pass an array of detectors');
  }
  const seen = new Set<Detector>();
  input.members.forEach((m, i) => {
    if (!isDetector(m)) {
      throw new ConfigError(
        'bad_config',
        `config field members.${i}: expected a detector (an object implementing Detector, e.g. new ZmsDetector()), got ${typeof m}`,
      );
    }
    if (seen.has(m))
      throw new ConfigError(
        'bad_config',
        `config field members.${i}: the same detector instance appears twice`,
      );
    seen.add(m);
  });
  const { members, ...rest } = input;
  const cfg = parseConfig(ensembleConfigSchema, {
    ...rest,
    members: members.map((m) => ({ type: m.type, config: m.config as JsonObject })),
  });
  if (cfg.calibrateMembers !== null && cfg.calibrateMembers.length !== members.length) {
    throw new ConfigError(
      'bad_config',
      `config field calibrateMembers: expected ${members.length} booleans (one per member), got ${cfg.calibrateMembers.length}`,
    );
  }
  return cfg;
}

/** The ensemble's raw model (series level): the members, which of them the combiner reads, and how. */
class EnsembleRaw implements SeriesModel<JsonObject> {
  /** Per member: trained successfully in the last `train()`. */
  used: boolean[];
  /** Indices of the members the combiner reads, in order. */
  selected: number[] = [];
  /** Combiner weights over `selected` (null = equal). */
  weights: Float64Array | null = null;
  private combiner: RowCombiner | null = null;
  /** Per member: the ensemble's calibrator of that member's output (`calibrateMembers`), or null. */
  private memberCal: (AnomScoreCalibrator | null)[];

  constructor(
    private readonly config: EnsembleConfig,
    /** The members (a stream's copy of the ensemble holds copies of them: see `copy`). */
    readonly members: readonly EnsembleMember[],
    private readonly listeners: Set<EnsembleWarningListener>,
    private readonly selectionMetric: SelectionMetric | undefined,
  ) {
    this.used = members.map(() => false);
    this.memberCal = members.map(() => null);
  }

  warn(w: EnsembleWarning): void {
    if (this.listeners.size === 0) {
      process.emitWarning(w.message, { type: 'TsadWarning', code: w.code });
      return;
    }
    for (const l of this.listeners) l(w);
  }

  /** Indices of the members that trained successfully. */
  get usedMembers(): number[] {
    return this.members.flatMap((_, i) => (this.used[i] ? [i] : []));
  }

  /** Per-model thresholding: a metric-driven combiner and no ensemble threshold (docs/ensemble.md, Ensemble). */
  get perModelThreshold(): boolean {
    return TRAINABLE.has(this.config.combiner.type) && !this.config.enableThreshold;
  }

  /** Trains member `i`; returns its train output (post-rule or calibrated) or null if it failed. */
  private trainMember(i: number, ts: TimeSeries, labels: TimeSeries | undefined): TimeSeries | null {
    const m = this.members[i];
    this.memberCal[i] = null;
    try {
      const post = m.train(ts, labels ? { labels } : {});
      const out = this.perModelThreshold ? post : m.trainScores;
      if (!out) throw new DetectorError('no_train_scores', `${m.type} returned no train scores`);
      if (this.config.calibrateMembers?.[i] && !this.perModelThreshold) {
        const cal = new AnomScoreCalibrator(this.config.maxScore, true);
        this.memberCal[i] = cal;
        return { t: out.t, v: cal.train(out.v) };
      }
      return out;
    } catch (e) {
      this.warn({
        code: 'member_failed',
        member: i,
        memberType: m.type,
        cause: e,
        message: `ensemble member ${i} (${m.type}) failed to train and is dropped: ${describeError(e)}`,
      });
      return null;
    }
  }

  /**
   * Member output on `ts` (calibrated, or post-rule with per-model thresholds), scored on the
   * member itself: callers score on a copy of the ensemble (`score()`), or in training.
   */
  private memberOutput(i: number, ts: TimeSeries, prev?: TimeSeries): TimeSeries {
    const m = this.members[i];
    if (this.perModelThreshold) return this.memberRule(m, m.scoreInPlace(ts, prev));
    const out = m.scoreInPlace(ts, prev);
    const cal = this.memberCal[i];
    if (cal) for (let k = 0; k < out.v.length; k++) out.v[k] = cal.calibrateOne(out.v[k]);
    return out;
  }

  fit(ts: TimeSeries, labels?: TimeSeries): TimeSeries {
    const cfg = this.config;
    const comb = cfg.combiner;
    const n = this.members.length;
    const useValid = cfg.validFrac > 0 && TRAINABLE.has(comb.type);
    this.used = new Array(n).fill(false);
    this.combiner = null;
    let outs: (TimeSeries | null)[] = new Array(n).fill(null);
    let target: TimeSeries | undefined = labels;
    if (useValid) {
      if (!labels) {
        throw new DetectorError(
          'needs_labels',
          `validFrac ${cfg.validFrac} with the ${comb.type} combiner needs labels: pass train(ts, { labels }) or set validFrac: 0`,
        );
      }
      const t0 = ts.t[0];
      const tf = ts.t[ts.t.length - 1];
      const cut = t0 + (tf - t0) * (1 - cfg.validFrac);
      const trainPart = restrict(ts, Number.NEGATIVE_INFINITY, cut);
      const validPart = restrict(ts, cut, Number.POSITIVE_INFINITY);
      if (trainPart.t.length === 0 || validPart.t.length === 0) {
        throw new DetectorError(
          'too_few_points',
          `validFrac ${cfg.validFrac} leaves an empty train or validation part of ${ts.t.length} points; use more data or another validFrac`,
        );
      }
      const trainLabels = restrict(labels, Number.NEGATIVE_INFINITY, cut);
      target = restrict(labels, validPart.t[0], Number.POSITIVE_INFINITY);
      for (let i = 0; i < n; i++) {
        if (this.trainMember(i, trainPart, trainLabels) === null) continue;
        try {
          outs[i] = this.memberOutput(i, validPart, trainPart);
        } catch (e) {
          this.warn({
            code: 'member_failed',
            member: i,
            memberType: this.members[i].type,
            cause: e,
            message: `ensemble member ${i} (${this.members[i].type}) failed on the validation part and is dropped: ${describeError(e)}`,
          });
        }
      }
    } else {
      for (let i = 0; i < n; i++) outs[i] = this.trainMember(i, ts, labels);
    }
    this.requireSome(outs);
    this.trainCombiner(outs, target);
    if (useValid) {
      // re-train the selected members on all the train data
      const again: (TimeSeries | null)[] = new Array(n).fill(null);
      for (const i of this.selected) again[i] = this.trainMember(i, ts, labels);
      const lost = this.selected.filter((i) => again[i] === null);
      if (lost.length > 0) {
        for (const i of lost) outs[i] = null;
        this.requireSome(outs);
        this.trainCombiner(outs, target);
        for (const i of this.selected) if (again[i] === null) again[i] = this.trainMember(i, ts, labels);
        if (this.selected.some((i) => again[i] === null)) {
          throw new DetectorError(
            'member_failed',
            'ensemble members failed when re-trained on the full train data; see the warnings',
          );
        }
      }
      outs = again;
      target = labels;
    }
    const chosen = this.selected.map((i) => outs[i] as TimeSeries);
    const grid = target ? targetGrid(target.t, chosen) : unionGrid(chosen);
    return { t: grid, v: this.combiner!.apply(chosen.map((o) => alignTo(grid, o))) };
  }

  private requireSome(outs: (TimeSeries | null)[]): void {
    this.used = outs.map((o) => o !== null);
    if (!this.used.some(Boolean)) {
      throw new DetectorError(
        'no_members',
        `every ensemble member failed to train (${this.members.map((m) => m.type).join(', ')}); see the warnings`,
      );
    }
  }

  /** Chooses the members the combiner reads and their weights (docs/ensemble.md, Ensemble). */
  private trainCombiner(outs: (TimeSeries | null)[], target: TimeSeries | undefined): void {
    const comb = this.config.combiner;
    const usedIdx = this.usedMembers;
    this.weights = null;
    if (comb.type === 'modelSelector' || comb.type === 'metricWeightedMean') {
      const dir = metricDirection(comb.metric);
      const metric = this.selectionMetric;
      if (target && !metric) {
        throw new DetectorError(
          'needs_metric',
          `the ${comb.type} combiner trains on labels with a metric function: pass new Ensemble(config, { metric: ensembleMetric }) (ensembleMetric is exported by tsad)`,
        );
      }
      const values = usedIdx.map((i) => (target && metric ? metric(comb.metric, target, outs[i]!) : 1));
      if (comb.type === 'modelSelector') {
        this.selected = selectBest(values, dir).map((j) => usedIdx[j]);
      } else {
        this.selected = usedIdx;
        this.weights = metricWeights(values, dir, (message) => this.warn({ code: 'equal_weights', message }));
      }
    } else this.selected = usedIdx;
    this.combiner = this.makeCombiner();
  }

  private makeCombiner(): RowCombiner {
    const comb = this.config.combiner;
    const kind: CombineKind = comb.type === 'median' || comb.type === 'max' ? comb.type : 'mean';
    return new RowCombiner(kind, comb.absScore, this.selected.length, this.weights);
  }

  // ------------------------------------------------------------------ scoring

  score(ts: TimeSeries, prev?: TimeSeries): TimeSeries {
    const outs = this.selected.map((i) => this.memberOutput(i, ts, prev));
    const grid = targetGrid(ts.t, outs);
    return { t: grid, v: this.combiner!.apply(outs.map((o) => alignTo(grid, o))) };
  }

  private memberRule(m: EnsembleMember, scores: TimeSeries): TimeSeries {
    return m.applyRule(scores);
  }

  /** A copy whose members' online state is independent of this one's; the trained choices are shared. */
  copy(): EnsembleRaw {
    const c = new EnsembleRaw(
      this.config,
      Object.freeze(this.members.map((m) => m.cloneOnline())),
      this.listeners,
      this.selectionMetric,
    );
    c.used = this.used;
    c.selected = this.selected;
    c.weights = this.weights;
    c.combiner = this.combiner;
    c.memberCal = this.memberCal.slice();
    return c;
  }

  streamer(): RawStreamer {
    // members of this object are its own (a stream copy's copies): they stream in place
    const streams = this.selected.map((i) => this.members[i].openStream());
    const cals = this.selected.map((i) => this.memberCal[i]);
    const perModel = this.perModelThreshold;
    const comb = this.combiner!;
    const k = streams.length;
    const row = new Float64Array(k);
    const gaps = new Uint8Array(k);
    return {
      // every member validates the point before any member changes: a push is all or nothing
      check: (t, v) => {
        let any = false;
        let j = 0;
        try {
          for (; j < k; j++) {
            const g = streams[j].check(t, v);
            gaps[j] = g ? 1 : 0;
            any ||= g;
          }
        } catch (e) {
          // a member refused the point: undo what the members before it prepared
          for (let i = 0; i < j; i++) streams[i].abort();
          throw e;
        }
        return any;
      },
      abort: () => {
        for (let j = 0; j < k; j++) streams[j].abort();
      },
      pushRaw: (t, v) => {
        for (let j = 0; j < k; j++) {
          const r = streams[j].commit(t, v, gaps[j] === 1);
          const cal = cals[j];
          row[j] = perModel ? (r.alarm ? r.score : 0) : cal ? cal.calibrateOne(r.score) : r.score;
        }
        return comb.row(row);
      },
      peekRaw: (t, v) => {
        for (let j = 0; j < k; j++) {
          const s = streams[j].peek(t, v);
          const cal = cals[j];
          row[j] = !perModel && cal ? cal.calibrateOne(s) : s;
        }
        return comb.row(row);
      },
      learnRaw: (t, v) => {
        for (let j = 0; j < k; j++) streams[j].learn(t, v);
      },
    };
  }

  // ------------------------------------------------------------------ model files

  toState(): JsonObject {
    return {
      used: this.used.slice(),
      selected: this.selected.slice(),
      weights: this.weights ? encodeFloats(this.weights) : null,
      memberCalibrators: this.memberCal.map((c) => (c ? c.toJSON() : null)),
    };
  }

  /** Restores `toState()` output into this (untrained) model, checking every field. */
  restore(state: unknown, path: string): void {
    const n = this.members.length;
    const used = field(state, 'used', path);
    if (!Array.isArray(used) || used.length !== n || !used.every((u) => typeof u === 'boolean')) {
      throw new ModelFormatError('bad_field', `${path}.used: expected ${n} booleans, one per member`);
    }
    const sel = field(state, 'selected', path);
    if (
      !Array.isArray(sel) ||
      sel.length === 0 ||
      !sel.every((i, j) => Number.isInteger(i) && i >= 0 && i < n && used[i] && (j === 0 || i > sel[j - 1]))
    ) {
      throw new ModelFormatError(
        'bad_field',
        `${path}.selected: expected increasing indices of used members (0…${n - 1})`,
      );
    }
    const w = field(state, 'weights', path);
    let weights: Float64Array | null = null;
    if (w !== null) {
      weights = decodeFloats(w, `${path}.weights`, sel.length);
      let s = 0;
      for (const x of weights) {
        if (!(Number.isFinite(x) && x >= 0))
          throw new ModelFormatError('bad_field', `${path}.weights: expected finite non-negative weights`);
        s += x;
      }
      if (!(s > 0)) throw new ModelFormatError('bad_field', `${path}.weights: the weights sum to 0`);
    }
    // files written before `calibrateMembers` existed have no memberCalibrators: no member calibration
    const hasCals =
      state !== null &&
      typeof state === 'object' &&
      (state as Record<string, unknown>).memberCalibrators !== undefined;
    const mc = hasCals ? field(state, 'memberCalibrators', path) : new Array(n).fill(null);
    if (!Array.isArray(mc) || mc.length !== n) {
      throw new ModelFormatError(
        'bad_field',
        `${path}.memberCalibrators: expected ${n} entries, one per member`,
      );
    }
    const want = this.config.calibrateMembers;
    const memberCal = mc.map((c, i) => {
      const expected = Boolean(want?.[i]) && used[i] && !this.perModelThreshold;
      if ((c !== null) !== expected) {
        throw new ModelFormatError(
          'bad_field',
          `${path}.memberCalibrators[${i}]: ${expected ? 'missing, but config.calibrateMembers asks for it' : 'present, but config.calibrateMembers does not ask for it'}`,
        );
      }
      if (c === null) return null;
      const cal = new AnomScoreCalibrator(this.config.maxScore, true);
      cal.restore(c, `${path}.memberCalibrators[${i}]`);
      return cal;
    });
    this.used = used as boolean[];
    this.selected = sel as number[];
    this.memberCal = memberCal;
    this.weights = weights;
    this.combiner = this.makeCombiner();
  }
}

/** The Ensemble spec: its raw model holds whole detectors, so the class builds it (see `Ensemble`). */
export const ensembleSpec = defineDetector({
  type: 'Ensemble',
  level: 'series',
  config: ensembleConfigSchema,
  // validated field by field by EnsembleRaw.restore (lengths against the members)
  state: jsonObject,
  create: (): EnsembleRaw => {
    throw new ConfigError('bad_config', 'an Ensemble is built with its members: new Ensemble({ members })');
  },
  fromState: (s, { path }, current) => {
    (current as EnsembleRaw).restore(s, path);
    return current;
  },
});

/**
 * An ensemble of detectors. Training trains every member (a member that fails is dropped with
 * a warning), aligns their calibrated train scores to one grid (the union of their timestamps, or
 * the label timestamps; linear interpolation in time, then forward/back fill), trains the combiner
 * (metric-driven combiners on labels, optionally on a held-out validation part), and trains the
 * ensemble's own post-rule on the combined scores. `score()` combines the members' calibrated
 * scores on the scored data's timestamps; `stream()` combines the members' streams point by point
 * with the same arithmetic, so batch and stream agree exactly. It runs on the spec runtime like every
 * detector, with a series-level raw model (`EnsembleRaw`) that holds the members.
 */
export class Ensemble extends SpecDetector<EnsembleConfig, EnsembleRaw> {
  private readonly listeners: Set<EnsembleWarningListener>;

  constructor(input: EnsembleInput, opts: EnsembleOptions = {}) {
    const config = buildConfig(input);
    const listeners = new Set<EnsembleWarningListener>();
    if (opts.onWarning) listeners.add(opts.onWarning);
    const members = Object.freeze(input.members.map(asMember));
    super(ensembleSpec, config, new EnsembleRaw(config, members, listeners, opts.metric));
    this.listeners = listeners;
  }

  /** Loads an Ensemble model file (its members through the registry's `loadModel`). */
  static load(json: unknown): Ensemble {
    return loadAs(json, ['Ensemble'], ensembleLoader(loadWithBudget), Ensemble);
  }

  /** Adds a warning listener (EventEmitter style). */
  on(event: 'warning', listener: EnsembleWarningListener): this {
    if (event !== 'warning') throw new DetectorError('bad_event', `unknown event "${String(event)}"`);
    this.listeners.add(listener);
    return this;
  }

  /** Removes a warning listener. */
  off(event: 'warning', listener: EnsembleWarningListener): this {
    if (event === 'warning') this.listeners.delete(listener);
    return this;
  }

  /** Indices of the members that trained successfully. */
  get usedMembers(): number[] {
    return this.raw.usedMembers;
  }

  /** Indices of the members whose scores the combiner reads (a subset for `modelSelector`). */
  get selectedMembers(): number[] {
    return this.raw.selected.slice();
  }

  /** The combiner's member weights (over `selectedMembers`), equal unless `metricWeightedMean`. */
  get combinerWeights(): number[] {
    const k = this.raw.selected.length;
    const w = this.raw.weights;
    return w ? Array.from(w) : new Array(k).fill(1 / k);
  }

  /** Per-model thresholding: a metric-driven combiner and no ensemble threshold (docs/ensemble.md, Ensemble). */
  get perModelThreshold(): boolean {
    return this.raw.perModelThreshold;
  }

  /** The member detectors, in order. */
  get members(): readonly EnsembleMember[] {
    return this.raw.members;
  }

  protected override blank(): this {
    const { members: _described, ...rest } = this.config;
    return new Ensemble({ ...rest, members: this.raw.members }) as this;
  }

  /** The model file; `state.members` holds every member's own model file. */
  override toJSON(): ModelJson {
    const base = super.toJSON();
    return {
      ...base,
      state: {
        ...(base.state as JsonObject),
        members: this.members.map((m) => m.toJSON() as unknown as JsonValue),
      },
    };
  }
}

/**
 * The model-file loader of Ensemble (listed in registry.ts), given the loader of its members' files
 * (the registry's `loadModel`).
 */
export function ensembleLoader(loadMember: (json: unknown, budget: AllocBudget) => Detector): DetectorLoader {
  return (config, state, budget) => loadEnsemble(config, state, loadMember, budget ?? AllocBudget.of(state));
}

function loadEnsemble(
  config: unknown,
  state: unknown,
  loadMember: (json: unknown, budget: AllocBudget) => Detector,
  budget: AllocBudget,
): Ensemble {
  const ms = field(state, 'members', 'state');
  if (!Array.isArray(ms) || ms.length === 0 || ms.length > MAX_MEMBERS) {
    throw new ModelFormatError('bad_field', `state.members: expected 1…${MAX_MEMBERS} member model files`);
  }
  const members = ms.map((j, i) => {
    const d = loadMember(j, budget);
    if (!isDetector(d)) {
      throw new ModelFormatError('bad_field', `state.members[${i}]: not a detector an ensemble can hold`);
    }
    return d;
  });
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ModelFormatError('bad_field', 'config: expected an object');
  }
  const { members: described, ...rest } = config as Record<string, unknown>;
  let e: Ensemble;
  try {
    e = new Ensemble({ ...(rest as Omit<EnsembleInput, 'members'>), members });
  } catch (err) {
    if (err instanceof ConfigError)
      throw new ModelFormatError('bad_config', `model file ${err.message}`, { cause: err });
    if (err instanceof TsadError) throw err;
    throw new ModelFormatError('bad_config', `model file config: ${describeError(err)}`);
  }
  if (JSON.stringify(described) !== JSON.stringify(e.config.members)) {
    throw new ModelFormatError(
      'bad_field',
      'config.members: does not describe the member model files in state.members',
    );
  }
  e.restoreState(state, budget);
  return e;
}
