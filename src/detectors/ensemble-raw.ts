import { DetectorError, ModelFormatError } from '../errors.js';
import type { TimeSeries } from '../series/types.js';
import { BaseDetector, moveDetector, releaseDetector } from './base.js';
import {
  alignTo,
  type CombineKind,
  metricWeights,
  RowCombiner,
  selectBest,
  targetGrid,
  unionGrid,
} from './combiners.js';
import {
  type EnsembleConfig,
  type EnsembleMember,
  type EnsembleWarning,
  type EnsembleWarningListener,
  metricDirection,
  type SelectionMetric,
  TRAINABLE,
} from './ensemble-config.js';
import { decodeFloats, encodeFloats, field } from './json.js';
import { AnomScoreCalibrator } from './post/calibrator.js';
import { OnlineCalibrator } from './post/online-calibrator.js';
import { RELEASE, type Releasable } from './release.js';
import type { SeriesModel } from './spec.js';
import type { RawStreamer } from './streaming.js';
import type { JsonObject } from './types.js';

function restrict(ts: TimeSeries, lo: number, hi: number): TimeSeries {
  let a = 0;
  while (a < ts.t.length && ts.t[a] < lo) a++;
  let b = a;
  while (b < ts.t.length && ts.t[b] < hi) b++;
  return { t: ts.t.subarray(a, b), v: ts.v.subarray(a, b) };
}

export function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A member that can start its training ahead of time (`RandomCutForest`, a nested `Ensemble`). */
interface Prefetching {
  /** Whether the training started (on the forest worker). */
  prefetchTrain(ts: TimeSeries): boolean | undefined;
}

/** A member that can start its scoring ahead of time, on a copy (`RandomCutForest`). */
interface ScorePrefetching {
  prefetchScoreOnCopy(ts: TimeSeries, prev?: TimeSeries): boolean;
}

/** The ensemble's raw model (series level): the members, which of them the combiner reads, and how. */
export class EnsembleRaw implements SeriesModel<JsonObject>, Releasable {
  /** Per member: trained successfully in the last `train()`. */
  used: boolean[];
  /** Indices of the members the combiner reads, in order. */
  selected: number[] = [];
  /** Combiner weights over `selected` (null = equal). */
  weights: Float64Array | null = null;
  private combiner: RowCombiner | null = null;
  /** The series whose training `prefetchTrain` started, and per member whether it did (for `fit`). */
  private trainPrefetched: {
    readonly t: Float64Array;
    readonly v: Float64Array;
    readonly started: boolean[];
  } | null = null;
  /** Per selected member: scoring started by `prefetchScoreOnCopy` for the next `score()`. */
  private scorePrefetched: boolean[] | null = null;
  /** Per member: the ensemble's calibrator of that member's output (`calibrateMembers`), or null. */
  private memberCal: (AnomScoreCalibrator | null)[];
  /** Per member: the ensemble's online calibrator (`memberCalibration: 'online'`), or null. */
  private memberOnline: (OnlineCalibrator | null)[];
  /** The online calibrator of the combined score (`combinedCalibration: 'online'`), or null. */
  private combinedCal: OnlineCalibrator | null = null;

  constructor(
    private readonly config: EnsembleConfig,
    /** The members (a stream's copy of the ensemble holds copies of them: see `copy`). */
    readonly members: readonly EnsembleMember[],
    private readonly listeners: Set<EnsembleWarningListener>,
    private readonly selectionMetric: SelectionMetric | undefined,
  ) {
    this.used = members.map(() => false);
    this.memberCal = members.map(() => null);
    this.memberOnline = members.map(() => null);
  }

  private get onlineMembers(): boolean {
    return this.config.memberCalibration === 'online';
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
    this.memberOnline[i] = null;
    try {
      const post = m.train(ts, labels ? { labels } : {});
      const out = this.perModelThreshold ? post : m.trainScores;
      if (!out) throw new DetectorError('no_train_scores', `${m.type} returned no train scores`);
      if (this.config.calibrateMembers?.[i] && !this.perModelThreshold && this.onlineMembers) {
        const cal = new OnlineCalibrator(this.config.maxScore, this.config.onlineCensor);
        this.memberOnline[i] = cal;
        return { t: out.t, v: cal.train(out.v) };
      }
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
    const online = this.memberOnline[i];
    if (online) for (let k = 0; k < out.v.length; k++) out.v[k] = online.push(out.v[k]);
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
      // members that can start their training on the forest worker do so first and are trained
      // last, so that it goes on while this thread trains the others (each member trains on its
      // own: the same results in any order; see RandomCutForest.prefetchTrain)
      const started = this.prefetchTrain(ts);
      this.trainPrefetched = null;
      for (let i = 0; i < n; i++) if (!started[i]) outs[i] = this.trainMember(i, ts, labels);
      for (let i = 0; i < n; i++) if (started[i]) outs[i] = this.trainMember(i, ts, labels);
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
    const v = this.combiner!.apply(chosen.map((o) => alignTo(grid, o)));
    this.combinedCal = null;
    if (cfg.combinedCalibration === 'online') {
      this.combinedCal = new OnlineCalibrator(cfg.maxScore, cfg.onlineCensor);
      return { t: grid, v: this.combinedCal.train(v) };
    }
    return { t: grid, v };
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
    const alone =
      comb.type === 'mean' && comb.alone
        ? { at: this.selected.map((i) => comb.alone?.at[i] ?? null), level: comb.alone.level }
        : null;
    return new RowCombiner(kind, comb.absScore, this.selected.length, this.weights, alone);
  }

  // ------------------------------------------------------------------ scoring

  /**
   * Starts the training on `ts` of the members that can (a forest's first batch on the forest
   * worker); per member, whether it started. A nested ensemble does this when the outer one
   * starts (`Ensemble.prefetchTrain`), so that the outer one trains its other members meanwhile.
   */
  prefetchTrain(ts: TimeSeries): boolean[] {
    const e = this.trainPrefetched;
    // asked again for the same arrays (the outer ensemble asked first): already started
    if (e && e.t === ts.t && e.v === ts.v) return e.started;
    const started = this.members.map((m) => (m as Partial<Prefetching>).prefetchTrain?.(ts) === true);
    this.trainPrefetched = { t: ts.t, v: ts.v, started };
    return started;
  }

  /**
   * Starts the scoring of `ts` (after `prev`) of the members that can (a forest's batch on the
   * forest worker), for the `score(ts, prev)` that follows on this copy, which scores them last.
   * An ensemble nested in another one calls this first, so that the outer ensemble scores its
   * other members while the forest's batch runs. Returns whether any started.
   */
  prefetchScoreOnCopy(ts: TimeSeries, prev?: TimeSeries): boolean {
    const started = this.selected.map(
      (i) => (this.members[i] as Partial<ScorePrefetching>).prefetchScoreOnCopy?.(ts, prev) === true,
    );
    this.scorePrefetched = started;
    return started.some(Boolean);
  }

  score(ts: TimeSeries, prev?: TimeSeries): TimeSeries {
    // This raw model is a copy being scored (see memberOutput), its members copies too. Members
    // that can start their scoring on the forest worker do so first (or did, `prefetchScoreOnCopy`)
    // and are scored last, so that the worker's share goes on while this thread scores the others
    // (each member's output is its own: the same numbers in any order).
    const sel = this.selected;
    const early = this.scorePrefetched;
    this.scorePrefetched = null;
    const started = sel.map((i, j) =>
      early?.[j] === true
        ? true
        : (this.members[i] as Partial<ScorePrefetching>).prefetchScoreOnCopy?.(ts, prev) === true,
    );
    const outs: TimeSeries[] = new Array(sel.length);
    try {
      for (let j = 0; j < sel.length; j++) if (!started[j]) outs[j] = this.memberOutput(sel[j], ts, prev);
    } catch (e) {
      // a started member still joins its batch, so that its forest is left whole
      for (let j = 0; j < sel.length; j++) {
        if (!started[j]) continue;
        try {
          this.memberOutput(sel[j], ts, prev);
        } catch {
          // the first error is the one reported
        }
      }
      throw e;
    }
    for (let j = 0; j < sel.length; j++) if (started[j]) outs[j] = this.memberOutput(sel[j], ts, prev);
    const grid = targetGrid(ts.t, outs);
    const v = this.combiner!.apply(outs.map((o) => alignTo(grid, o)));
    const cc = this.combinedCal;
    if (cc) for (let k = 0; k < v.length; k++) v[k] = cc.push(v[k]);
    return { t: grid, v };
  }

  private memberRule(m: EnsembleMember, scores: TimeSeries): TimeSeries {
    return m.applyRule(scores);
  }

  /** A copy whose members' online state is independent of this one's; the trained choices are shared. */
  copy(): EnsembleRaw {
    const c = this.withMembers(this.members.map((m) => m.cloneOnline()));
    c.memberCal = this.memberCal.slice();
    c.memberOnline = this.memberOnline.map((x) => (x ? x.copy() : null));
    c.combinedCal = this.combinedCal ? this.combinedCal.copy() : null;
    return c;
  }

  /**
   * This model on a new object for a moved ensemble (`moveDetector`): tsad's members are moved too
   * (each original refuses later use), a third-party member is copied (its copy holds no more than a
   * log); the trained choices, calibrators and combiner are shared, not copied.
   */
  move(): EnsembleRaw {
    const c = this.withMembers(
      this.members.map((m) => (m instanceof BaseDetector ? moveDetector(m) : m.cloneOnline())),
    );
    c.memberCal = this.memberCal;
    c.memberOnline = this.memberOnline;
    c.combinedCal = this.combinedCal;
    return c;
  }

  /**
   * Gives up the members of a stream's own ensemble (a `copy` or a `move`, whose members are its own):
   * tsad's release what they alone hold (`releaseDetector`); a third party's are left to the collector.
   */
  [RELEASE](): void {
    for (const m of this.members) if (m instanceof BaseDetector) releaseDetector(m);
  }

  /** A model of `members` with this one's trained choices (`copy`, `move`; they set the calibrators). */
  private withMembers(members: EnsembleMember[]): EnsembleRaw {
    const c = new EnsembleRaw(this.config, Object.freeze(members), this.listeners, this.selectionMetric);
    c.used = this.used;
    c.selected = this.selected;
    c.weights = this.weights;
    c.combiner = this.combiner;
    return c;
  }

  streamer(): RawStreamer {
    // members of this object are its own (a stream copy's copies): they stream in place
    const streams = this.selected.map((i) => this.members[i].openStream());
    const cals = this.selected.map((i) => this.memberCal[i]);
    const onl = this.selected.map((i) => this.memberOnline[i]);
    const cc = this.combinedCal;
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
          const o = onl[j];
          row[j] = perModel
            ? r.alarm
              ? r.score
              : 0
            : cal
              ? cal.calibrateOne(r.score)
              : o
                ? o.push(r.score)
                : r.score;
        }
        return cc ? cc.push(comb.row(row)) : comb.row(row);
      },
      peekRaw: (t, v) => {
        for (let j = 0; j < k; j++) {
          const s = streams[j].peek(t, v);
          const cal = cals[j];
          const o = onl[j];
          row[j] = perModel ? s : cal ? cal.calibrateOne(s) : o ? o.peek(s) : s;
        }
        return cc ? cc.peek(comb.row(row)) : comb.row(row);
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
      memberCalibrators: this.memberCal.map((c, i) => {
        const o = this.memberOnline[i];
        return c ? c.toJSON() : o ? o.toJSON() : null;
      }),
      ...(this.combinedCal ? { combinedCalibrator: this.combinedCal.toJSON() } : {}),
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
      return c;
    });
    const online = this.onlineMembers;
    const fixedCal = memberCal.map((c, i) => {
      if (c === null || online) return null;
      const cal = new AnomScoreCalibrator(this.config.maxScore, true);
      cal.restore(c, `${path}.memberCalibrators[${i}]`);
      return cal;
    });
    const onlineCal = memberCal.map((c, i) => {
      if (c === null || !online) return null;
      const cal = new OnlineCalibrator(this.config.maxScore, this.config.onlineCensor);
      cal.restore(c, `${path}.memberCalibrators[${i}]`);
      return cal;
    });
    const hasCombined =
      state !== null &&
      typeof state === 'object' &&
      (state as Record<string, unknown>).combinedCalibrator !== undefined;
    const wantCombined = this.config.combinedCalibration === 'online';
    if (hasCombined !== wantCombined) {
      throw new ModelFormatError(
        'bad_field',
        `${path}.combinedCalibrator: ${wantCombined ? 'missing, but config.combinedCalibration asks for it' : 'present, but config.combinedCalibration does not ask for it'}`,
      );
    }
    let combinedCal: OnlineCalibrator | null = null;
    if (wantCombined) {
      combinedCal = new OnlineCalibrator(this.config.maxScore, this.config.onlineCensor);
      combinedCal.restore(field(state, 'combinedCalibrator', path), `${path}.combinedCalibrator`);
    }
    this.used = used as boolean[];
    this.selected = sel as number[];
    this.memberCal = fixedCal;
    this.memberOnline = onlineCal;
    this.combinedCal = combinedCal;
    this.weights = weights;
    this.combiner = this.makeCombiner();
  }
}
