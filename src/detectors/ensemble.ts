import { ConfigError, DetectorError, ModelFormatError, TsadError } from '../errors.js';
import type { TimeSeries } from '../series/types.js';
import { BaseDetector } from './base.js';
import {
  buildConfig,
  type EnsembleConfig,
  type EnsembleInput,
  type EnsembleMember,
  type EnsembleOptions,
  type EnsembleWarningListener,
  ensembleConfigSchema,
  MAX_MEMBERS,
} from './ensemble-config.js';
import { describeError, EnsembleRaw } from './ensemble-raw.js';
import { field, jsonObject } from './json.js';
import { asMember, isDetector } from './member.js';
import { AllocBudget } from './model.js';
import { CALIBRATOR_MIN_SCORES } from './post/calibrator.js';
import { type DetectorLoader, loadWithBudget } from './registry.js';
import { defineDetector, type SeriesModel, SpecDetector } from './spec.js';
import { loadAs } from './state.js';
import type { Detector, JsonObject, JsonValue, ModelJson, TrainMinimum } from './types.js';

export type { EnsembleInput } from './ensemble-config.js';

/**
 * The fewest training points of an ensemble (docs/detectors.md, Training minimums): the largest of its
 * members' (`minTrainPoints()` of tsad's own detectors; 1 for a third-party member), with
 * `CALIBRATOR_MIN_SCORES` for a member the ensemble calibrates (`calibrateMembers`). A member that fails
 * for another reason is still dropped with a warning, but none is dropped for too short a series.
 */
function ensembleMinTrainPoints(c: EnsembleConfig, model: SeriesModel): TrainMinimum {
  let best: TrainMinimum = { points: 1, reason: 'its members need 1 point' };
  (model as EnsembleRaw).members.forEach((m, i) => {
    let own: TrainMinimum = m instanceof BaseDetector ? m.minTrainPoints() : { points: 1, reason: '' };
    if (c.calibrateMembers?.[i] && own.points < CALIBRATOR_MIN_SCORES) {
      own = {
        points: CALIBRATOR_MIN_SCORES,
        reason: `the ensemble's calibrator of it needs ${CALIBRATOR_MIN_SCORES} train scores (the top anchor is their 95.45% quantile)`,
      };
    }
    if (own.points > best.points)
      best = { points: own.points, reason: `member ${i} (${m.type}) → ${own.reason}` };
  });
  return best;
}

/** The Ensemble spec: its raw model holds whole detectors, so the class builds it (see `Ensemble`). */
export const ensembleSpec = defineDetector({
  type: 'Ensemble',
  level: 'series',
  config: ensembleConfigSchema,
  // validated field by field by EnsembleRaw.restore (lengths against the members)
  state: jsonObject,
  minTrainPoints: ensembleMinTrainPoints,
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

  /**
   * @internal Starts the training on `ts` of the members that can (a Random Cut Forest's first
   * batch on the forest worker), for the `train(ts)` that follows; an outer ensemble calls it and
   * trains its other members meanwhile (same results). Returns whether any started; never throws.
   */
  prefetchTrain(ts: TimeSeries): boolean {
    try {
      return this.config.validFrac === 0 && this.raw.prefetchTrain(ts).some(Boolean);
    } catch {
      return false;
    }
  }

  /**
   * @internal Starts the scoring of `ts` (after `prev`) of the members that can (a Random Cut
   * Forest's batch on the forest worker), for the `scoreInPlace(ts, prev)` that follows on this
   * object. Only for a copy being scored (an ensemble's copy of its members in `score()`), so that
   * an outer ensemble scores its other members while the batch runs (same numbers). Returns
   * whether any started; never throws.
   */
  prefetchScoreOnCopy(ts: TimeSeries, prev?: TimeSeries): boolean {
    try {
      return this.raw.prefetchScoreOnCopy(ts, prev);
    } catch {
      return false;
    }
  }

  /** The moved ensemble (`moveOut`) holds its members moved too: none of them is usable twice. */
  protected override moveOnlineState(): void {
    this.raw = this.raw.move();
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
