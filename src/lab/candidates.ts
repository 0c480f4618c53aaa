/**
 * Candidate detectors measured by `tsad bench` before any of them may replace `defaultDetector()`
 * (docs/evaluation.md). Kept out of `src/detectors/default.ts` until the measurements justify a change.
 */
import { ChangePointDetector } from '../detectors/changepoint/detector.js';
import { DEFAULT_ALARM_RULE, type DefaultDetectorInput, defaultDetector } from '../detectors/default.js';
import { DiscordDetector, type DiscordInput } from '../detectors/discord/detector.js';
import { calendarPeriodMs, median, periodStrength, robustPeriod } from '../detectors/discord/period.js';
import { Ensemble } from '../detectors/ensemble.js';
import { FlatLineDetector, type FlatLineInput } from '../detectors/flatline/detector.js';
import { toSeries } from '../detectors/input.js';
import { modelJson } from '../detectors/json.js';
import { alarmEvents, makeThresholdRule } from '../detectors/post/rule.js';
import { STREAM_ONCE, streamOnce } from '../detectors/stream-once.js';
import type {
  AlarmEvent,
  Detector,
  ModelJson,
  ScoreOptions,
  SeriesLike,
  StreamOptions,
  StreamScorer,
  TrainOptions,
} from '../detectors/types.js';
import type { TimeSeries } from '../series/types.js';

/**
 * The default detector of rounds 1–4 (the mean of ETS, RandomCutForest and ZMS, no flat-line member):
 * the base every candidate below was built and measured on.
 */
export function meanDefault(cfg: Omit<DefaultDetectorInput, 'flatLine'> = {}): Ensemble {
  return defaultDetector({
    ...cfg,
    flatLine: false,
    seasonal: false,
    drift: false,
    etsAlone: cfg.etsAlone ?? false,
    threshold: { strongThreshold: undefined, countPoints: undefined, ...cfg.threshold },
  });
}

/**
 * `defaultDetector()` beside the three kind-specific detectors, combined by the maximum of their
 * calibrated scores (a kind one member sees should not be averaged away by members that do not see it),
 * with the default alarm rule.
 */
export function kindsDetector(seed = 0): Ensemble {
  const quiet = { enableThreshold: false, seed } as const;
  return new Ensemble({
    members: [
      meanDefault({ seed, threshold: {} }),
      new FlatLineDetector(quiet),
      new ChangePointDetector(quiet),
      new DiscordDetector(quiet),
    ],
    combiner: { type: 'max', absScore: true },
    enableCalibrator: false,
    threshold: { ...DEFAULT_ALARM_RULE },
    seed,
  });
}

/**
 * `meanDefault()` and `FlatLineDetector`, combined by the maximum of their scores, with the default
 * alarm rule: the flat-line member only speaks when values stop moving, so it should add the stuck-sensor
 * kind without new false alarms elsewhere.
 */
export function defaultFlatDetector(seed = 0, flat: FlatLineInput = {}): Ensemble {
  return new Ensemble({
    members: [meanDefault({ seed }), new FlatLineDetector({ enableThreshold: false, seed, ...flat })],
    combiner: { type: 'max', absScore: true },
    enableCalibrator: false,
    threshold: { ...DEFAULT_ALARM_RULE },
    seed,
  });
}

/**
 * `meanDefault()`, `FlatLineDetector` and `ChangePointDetector`, maximum of their scores, the default
 * alarm rule. The flat-line and change-point members score in units of their own decision rules (3 = a
 * run longer than the reference, a CUSUM at its decision level), so each adds its kind's alarms only.
 */
export function defaultFlatChangeDetector(seed = 0): Ensemble {
  const quiet = { enableThreshold: false, seed } as const;
  return new Ensemble({
    members: [meanDefault({ seed }), new FlatLineDetector(quiet), new ChangePointDetector(quiet)],
    combiner: { type: 'max', absScore: true },
    enableCalibrator: false,
    threshold: { ...DEFAULT_ALARM_RULE },
    seed,
  });
}

/** Which kind-specific members `maxDetector` adds to the three default members. */
export interface MaxDetectorOptions {
  readonly flat?: boolean;
  readonly discord?: boolean;
  readonly change?: boolean;
  /** Alarm threshold of the default rule (3 unless set). */
  readonly almThreshold?: number;
  /** Calibrate the combined score again (the ensemble's own calibrator). */
  readonly calibrate?: boolean;
  /** Keep the ZMS (level) member (default true). */
  readonly zms?: boolean;
  /** The forest on differenced shingles (Merlion's) instead of raw ones. */
  readonly rcfDiff?: boolean;
}

/**
 * The default detector's three members (ETS calibrated by the ensemble, RandomCutForest and ZMS by their
 * own calibrators) plus kind-specific members, combined by the **maximum** of the calibrated member
 * scores instead of their mean: each member keeps its own calibrated evidence, so a shape only the
 * discord sees, or a stall only the flat-line member sees, is not averaged away.
 */
export function maxDetector(seed = 0, o: MaxDetectorOptions = {}): Ensemble {
  const rcfCfg = o.rcfDiff
    ? { rcf: { transforms: [{ type: 'difference' as const }, { type: 'shingle' as const, size: 5 }] } }
    : {};
  const base = meanDefault({ seed, ...rcfCfg });
  const [ets, rcf, zms] = base.members;
  const quiet = { enableThreshold: false, seed } as const;
  const members = o.zms === false ? [ets, rcf] : [ets, rcf, zms];
  const cal = o.zms === false ? [true, false] : [true, false, false];
  if (o.flat ?? true) {
    members.push(new FlatLineDetector(quiet));
    cal.push(false);
  }
  if (o.discord) {
    members.push(new DiscordDetector(quiet));
    cal.push(false);
  }
  if (o.change) {
    members.push(new ChangePointDetector(quiet));
    cal.push(false);
  }
  return new Ensemble({
    members,
    combiner: { type: 'max', absScore: true },
    calibrateMembers: cal,
    enableCalibrator: o.calibrate ?? false,
    threshold: { ...DEFAULT_ALARM_RULE, almThreshold: o.almThreshold ?? DEFAULT_ALARM_RULE.almThreshold },
    seed,
  });
}

/**
 * `meanDefault()` (mean of its three members), `FlatLineDetector` and `DiscordDetector`, maximum of
 * their scores, the default alarm rule (`almThreshold` overridable).
 */
export function defaultFlatDiscordDetector(
  seed = 0,
  almThreshold = DEFAULT_ALARM_RULE.almThreshold,
): Ensemble {
  const quiet = { enableThreshold: false, seed } as const;
  return new Ensemble({
    members: [meanDefault({ seed }), new FlatLineDetector(quiet), new DiscordDetector(quiet)],
    combiner: { type: 'max', absScore: true },
    enableCalibrator: false,
    threshold: { ...DEFAULT_ALARM_RULE, almThreshold },
    seed,
  });
}

/**
 * The default detector's three members combined by the maximum of their calibrated scores, that maximum
 * calibrated again on the training part (so 3 means as rare for the maximum as for one member), then the
 * maximum with `FlatLineDetector` (whose score is 3 at its own decision rule), the default alarm rule.
 */
export function maxCalFlatDetector(seed = 0, almThreshold = DEFAULT_ALARM_RULE.almThreshold): Ensemble {
  const [ets, rcf, zms] = meanDefault({ seed }).members;
  const trio = new Ensemble({
    members: [ets, rcf, zms],
    combiner: { type: 'max', absScore: true },
    calibrateMembers: [true, false, false],
    enableCalibrator: true,
    enableThreshold: false,
    seed,
  });
  return withFlatLine(trio, seed, almThreshold);
}

/** `inner` and `FlatLineDetector` (score 3 at its own decision rule) by their maximum, the default alarm rule. */
function withFlatLine(inner: Ensemble, seed: number, almThreshold: number): Ensemble {
  return new Ensemble({
    members: [inner, new FlatLineDetector({ enableThreshold: false, seed })],
    combiner: { type: 'max', absScore: true },
    enableCalibrator: false,
    threshold: { ...DEFAULT_ALARM_RULE, almThreshold },
    seed,
  });
}

/**
 * The mean of two views: `meanDefault()` (mean of its members) and `maxDetector` with the flat-line
 * and discord members (maximum of calibrated members). The mean view keeps alarms rare on normal data;
 * the maximum view lifts the point where one member's evidence is extreme.
 */
export function blendDetector(seed = 0, almThreshold = DEFAULT_ALARM_RULE.almThreshold): Ensemble {
  return new Ensemble({
    members: [meanDefault({ seed }), maxDetector(seed, { discord: true })],
    combiner: { type: 'mean', absScore: true },
    enableCalibrator: false,
    threshold: { ...DEFAULT_ALARM_RULE, almThreshold },
    seed,
  });
}

/** Options of `onlineMaxDetector`. */
export interface OnlineMaxOptions {
  /** Add `DiscordDetector` (calibrated online by the ensemble). */
  readonly discord?: boolean;
  /** Add `ChangePointDetector` (scores in units of its own decision level, not calibrated). */
  readonly change?: boolean;
  /** Calibrate the maximum again, online (`combinedCalibration: 'online'`). */
  readonly combined?: boolean;
  /** Alarm threshold of the default rule (3 unless set). */
  readonly almThreshold?: number;
  /** Scores calibrated to at least this are not learnt by the online calibrators. */
  readonly censor?: number;
}

/**
 * The default detector's three members and `FlatLineDetector`, each level/shape member calibrated by
 * the ensemble with an `OnlineCalibrator` (its anchors follow every score seen, not only the training
 * part), combined by the maximum, optionally calibrated again online; the default alarm rule.
 */
export function onlineMaxDetector(seed = 0, o: OnlineMaxOptions = {}): Ensemble {
  const raw = { enableCalibrator: false, enableThreshold: false, seed } as const;
  const base = meanDefault({ seed, rcf: { enableCalibrator: false }, zms: { enableCalibrator: false } });
  const [ets, rcf, zms] = base.members;
  const members = [ets, rcf, zms, new FlatLineDetector({ enableThreshold: false, seed })];
  const cal = [true, true, true, false];
  if (o.discord) {
    members.push(new DiscordDetector(raw));
    cal.push(true);
  }
  if (o.change) {
    members.push(new ChangePointDetector({ enableThreshold: false, seed }));
    cal.push(false);
  }
  return new Ensemble({
    members,
    combiner: { type: 'max', absScore: true },
    calibrateMembers: cal,
    memberCalibration: 'online',
    ...(o.combined ? { combinedCalibration: 'online' as const } : {}),
    ...(o.censor !== undefined ? { onlineCensor: o.censor } : {}),
    enableCalibrator: false,
    threshold: { ...DEFAULT_ALARM_RULE, almThreshold: o.almThreshold ?? DEFAULT_ALARM_RULE.almThreshold },
    seed,
  });
}

/**
 * The default detector's recipe (mean of ETS, RandomCutForest and ZMS) with every member calibrated by
 * the ensemble with an `OnlineCalibrator` instead of a calibrator fixed at training, then the maximum
 * with `FlatLineDetector` (score 3 at its own decision rule); the default alarm rule.
 */
export function defaultOnlineFlatDetector(
  seed = 0,
  almThreshold: number = DEFAULT_ALARM_RULE.almThreshold,
): Ensemble {
  const base = meanDefault({ seed, rcf: { enableCalibrator: false }, zms: { enableCalibrator: false } });
  const trio = new Ensemble({
    members: [...base.members],
    combiner: { type: 'mean', absScore: true },
    calibrateMembers: [true, true, true],
    memberCalibration: 'online',
    enableCalibrator: false,
    enableThreshold: false,
    seed,
  });
  return withFlatLine(trio, seed, almThreshold);
}

/**
 * `inner` (e.g. `meanDefault()`) with its output calibrated again by an `OnlineCalibrator` that
 * keeps learning while streaming (`combinedCalibration: 'online'`), the default alarm rule: a NAB mode
 * whose scores are comparable across files without novelty rules.
 */
export function onlineCalibrated(inner: Ensemble, seed = 0): Ensemble {
  return new Ensemble({
    members: [inner],
    combiner: { type: 'max', absScore: true },
    combinedCalibration: 'online',
    enableCalibrator: false,
    threshold: { ...DEFAULT_ALARM_RULE },
    seed,
  });
}

/** Options of `shapeDefault` (round 7). */
export interface ShapeDefaultOptions {
  /** The discord member's cost budget (`DiscordDetector` `paaBudget`; its default 1,500 unless set). */
  readonly paaBudget?: number;
  /** The discord member's views (`DiscordDetector` `views`; its default `both` unless set). */
  readonly views?: 'znorm' | 'euclid' | 'both';
  /** Overrides of the default's parts (e.g. a cheaper forest). */
  readonly base?: DefaultDetectorInput;
}

/**
 * Round 7 (docs/evaluation.md): `defaultDetector()`'s two parts (the mean of ETS, RandomCutForest and
 * ZMS; the flat-line onset member) and a `DiscordDetector` (its own calibrated score, the latest block's
 * score held between block closes) as a third part of the maximum, the default alarm rule: a changed
 * cycle or shape that the level and forecast members average away is reported by the shape member.
 */
export function shapeDefault(seed = 0, o: ShapeDefaultOptions = {}): Ensemble {
  const inner = defaultDetector({ seed, ...o.base });
  const [mean, flat] = inner.members;
  return new Ensemble({
    members: [
      mean,
      flat,
      new DiscordDetector({
        enableThreshold: false,
        between: 'hold',
        seed,
        ...(o.paaBudget !== undefined ? { paaBudget: o.paaBudget } : {}),
        ...(o.views !== undefined ? { views: o.views } : {}),
      }),
    ],
    combiner: { type: 'max', absScore: true },
    enableCalibrator: false,
    threshold: { ...DEFAULT_ALARM_RULE, ...o.base?.threshold },
    seed,
  });
}

/**
 * The round-7 candidate chosen on tuning seeds 1–3 (docs/evaluation.md): `shapeDefault` with a forest of
 * 10 trees × 256 samples and the discord's budget at 800, the setting whose stream is at least as fast as
 * today's default with the most anomaly-free tuning files quiet, then the most windows found.
 */
export function shapeDefault7(seed = 0): Ensemble {
  return shapeDefault(seed, { base: { rcf: { nEstimators: 10, maxNSamples: 256 } }, paaBudget: 800 });
}

/**
 * The default detector's own parts (the mean and the flat-line member, by their maximum) without its
 * alarm rule: the base the shape candidates add their discord to.
 */
function defaultParts(seed: number, base: DefaultDetectorInput): Ensemble {
  const [mean, flat] = defaultDetector({ seed, ...base }).members;
  return new Ensemble({
    members: [mean, flat],
    combiner: { type: 'max', absScore: true },
    enableCalibrator: false,
    enableThreshold: false,
    seed,
  });
}

/**
 * The plumbing shared by the shape candidates of rounds 7 and 8: `defaultParts()` (`base`) and a
 * `DiscordDetector` (`shape`) side by side, their scores combined row by row by `combine(t, b, s)`, the
 * default alarm rule on the result. The discord is trained only where `shapeAfterTraining` says so
 * (after the base); otherwise it is neither scored nor streamed, and `combine` gets `null` for it.
 */
abstract class ShapeBesideDefault<C extends { seed: number; paaBudget: number; base: DefaultDetectorInput }>
  implements Detector<C>
{
  abstract readonly type: string;
  readonly config: Readonly<C>;
  protected readonly base: Ensemble;
  protected readonly shape: DiscordDetector;

  protected constructor(config: C, shape: Partial<DiscordInput> = {}) {
    this.config = Object.freeze(config);
    const seed = config.seed;
    this.base = defaultParts(seed, config.base);
    this.shape = new DiscordDetector({
      enableThreshold: false,
      between: 'hold',
      paaBudget: config.paaBudget,
      ...shape,
      seed,
    });
  }

  /** The combined score of a row at time `t`: `b` the base's score, `s` the discord's (`null`: it is off). */
  protected abstract combine(t: number, b: number, s: number | null): number;

  /** Whether the discord takes part, decided once the base is trained on `ts` (the base is on always). */
  protected abstract shapeAfterTraining(ts: SeriesLike): boolean;

  /** Whether the discord takes part (after training). */
  protected abstract get shapeOn(): boolean;

  abstract toJSON(): ModelJson;

  private rule() {
    return makeThresholdRule({ ...DEFAULT_ALARM_RULE });
  }

  train(ts: SeriesLike, opts?: TrainOptions): TimeSeries {
    this.base.train(ts, opts);
    if (this.shapeAfterTraining(ts)) this.shape.train(ts, opts);
    return this.rule().apply(this.score(ts));
  }

  score(ts: SeriesLike, opts?: ScoreOptions): TimeSeries {
    const b = this.base.score(ts, opts);
    const s = this.shapeOn ? this.shape.score(ts, opts) : null;
    const v = new Float64Array(b.v.length);
    for (let i = 0; i < v.length; i++) v[i] = this.combine(b.t[i], b.v[i], s ? s.v[i] : null);
    return { t: b.t, v };
  }

  update(ts: SeriesLike): void {
    this.base.update(ts);
    if (this.shapeOn) this.shape.update(ts);
  }

  detect(ts: SeriesLike, opts?: ScoreOptions): { scores: TimeSeries; alarms: AlarmEvent[] } {
    const scores = this.rule().apply(this.score(ts, opts));
    return { scores, alarms: alarmEvents(scores) };
  }

  stream(opts?: StreamOptions): StreamScorer {
    return this.joined(this.base.stream(opts), this.shapeOn ? this.shape.stream(opts) : null);
  }

  /** `stream()` on the parts' own states (`streamOnce`): both parts are used up. */
  [STREAM_ONCE](opts?: StreamOptions): StreamScorer {
    return this.joined(streamOnce(this.base, opts), this.shapeOn ? streamOnce(this.shape, opts) : null);
  }

  /** The stream of this detector from its parts' streams (`s` null: the discord is off). */
  private joined(b: StreamScorer, s: StreamScorer | null): StreamScorer {
    const rule = this.rule().streamer();
    return {
      push: (t, v) => {
        const pb = b.push(t, v);
        const ps = s ? s.push(t, v) : null;
        const score = this.combine(t, pb.score, ps ? ps.score : null);
        return { score, alarm: rule.push(t, score) !== 0, reset: pb.reset || (ps?.reset ?? false) };
      },
      scoreOne: (t, v) => this.combine(t, b.scoreOne(t, v), s ? s.scoreOne(t, v) : null),
      learnOne: (t, v) => {
        b.learnOne(t, v);
        s?.learnOne(t, v);
      },
      toJSON: () => this.toJSON(),
    };
  }
}

/** Config of `GatedShapeDetector` (round 7). */
export interface GatedShapeConfig {
  readonly seed: number;
  /** The discord counts only where the default's own score is at least this. */
  readonly gate: number;
  /** The discord's calibrated level that reaches the alarm threshold: its term is 3 · score / level. */
  readonly level: number;
  readonly paaBudget: number;
  readonly base: DefaultDetectorInput;
}

/**
 * Round 7 (docs/evaluation.md), a lab measurement only (its model file has no loader): the default's two
 * parts (`defaultDetector()` without its alarm rule) and a `DiscordDetector`, combined as max(default,
 * 3 · discord / level) where the default's own score is at least `gate`, else the default alone: the shape member
 * speaks only where the all-round members also see something unusual (a frequency change moves the
 * forest and the forecast a little; a first weekend or an unseen daily trough moves the discord alone less
 * often). The default alarm rule on the combined score.
 */
export class GatedShapeDetector extends ShapeBesideDefault<GatedShapeConfig> {
  readonly type = 'GatedShapeDetector';

  constructor(cfg: Partial<GatedShapeConfig> = {}) {
    super({
      seed: cfg.seed ?? 0,
      gate: cfg.gate ?? 1,
      level: cfg.level ?? 3,
      paaBudget: cfg.paaBudget ?? 800,
      base: cfg.base ?? { rcf: { nEstimators: 10, maxNSamples: 256 } },
    });
  }

  protected combine(_t: number, b: number, s: number | null): number {
    const x = Math.abs(b);
    const th = DEFAULT_ALARM_RULE.almThreshold;
    return x >= this.config.gate ? Math.max(x, (th * Math.abs(s!)) / this.config.level) : x;
  }

  protected shapeAfterTraining(): boolean {
    return true;
  }

  protected get shapeOn(): boolean {
    return true;
  }

  toJSON(): ModelJson {
    const { seed, gate, level, paaBudget } = this.config;
    return modelJson(
      this.type,
      { seed, gate, level, paaBudget },
      { base: this.base.toJSON(), shape: this.shape.toJSON() },
    );
  }
}

/** Config of `PeriodicShapeDetector` (round 8). */
export interface PeriodicShapeConfig {
  readonly seed: number;
  /** The least `periodStrength` of the training part at its robust period for the discord to score. */
  readonly minStrength: number;
  /**
   * With a daily period, the discord is silent until the data seen (training included) spans this
   * many days (a weekly pattern the training part never showed, and the return from it, are then seen
   * once before the discord may alarm on them). 0: never silent.
   */
  readonly weekDays: number;
  /** The discord's calibrated level that reaches the alarm threshold: its term is 3 · score / level. */
  readonly level: number;
  readonly paaBudget: number;
  readonly base: DefaultDetectorInput;
}

/** The gate of round 8 on a training part: −1 when the shape member never scores, else from when it may. */
export function periodicShapeGate(
  t: Float64Array,
  v: Float64Array,
  minStrength: number,
  weekDays: number,
): number {
  if (t.length < 2) return -1;
  const p = robustPeriod(v);
  if (!(p > 0) || periodStrength(v, p) < minStrength) return -1;
  const dt = new Float64Array(t.length - 1);
  for (let i = 1; i < t.length; i++) dt[i - 1] = t[i] - t[i - 1];
  if (weekDays > 0 && calendarPeriodMs(p, median(dt)) === 86_400_000) return t[0] + weekDays * 86_400_000;
  return Number.NEGATIVE_INFINITY;
}

/**
 * Round 8 (docs/evaluation.md), a lab measurement (its model file has no loader): `defaultDetector()`'s
 * two parts and a `DiscordDetector` (its calibrated score held between block closes) by their maximum,
 * where the discord scores only when the training part repeats a shape: a robust period exists and its
 * autocorrelation (`periodStrength`) reaches `minStrength`; otherwise it is never trained and scores 0
 * (the default alone). With a daily period it is also silent until the data seen spans `weekDays` days.
 * The default alarm rule on the combined score.
 */
export class PeriodicShapeDetector extends ShapeBesideDefault<PeriodicShapeConfig> {
  readonly type = 'PeriodicShapeDetector';
  /** −1: the discord is off; else the time from which it scores. */
  private from = -1;

  constructor(cfg: Partial<PeriodicShapeConfig> = {}) {
    super(
      {
        seed: cfg.seed ?? 0,
        minStrength: cfg.minStrength ?? 0.6,
        weekDays: cfg.weekDays ?? 8,
        level: cfg.level ?? 3,
        paaBudget: cfg.paaBudget ?? 800,
        base: cfg.base ?? { rcf: { nEstimators: 10 } },
      },
      // rounds 8 and 8b measured the discord with the robust period (the discord's default then)
      { periodMethod: 'robust' },
    );
  }

  protected combine(t: number, b: number, s: number | null): number {
    if (s === null || !(t >= this.from)) return Math.abs(b);
    const k = DEFAULT_ALARM_RULE.almThreshold / this.config.level;
    return Math.max(Math.abs(b), k * Math.abs(s));
  }

  protected shapeAfterTraining(ts: SeriesLike): boolean {
    const { t, v } = toSeries(ts, 'training data');
    this.from = periodicShapeGate(t, v, this.config.minStrength, this.config.weekDays);
    return this.from !== -1;
  }

  protected get shapeOn(): boolean {
    return this.from !== -1;
  }

  toJSON(): ModelJson {
    const { seed, minStrength, weekDays, level, paaBudget } = this.config;
    return modelJson(
      this.type,
      { seed, minStrength, weekDays, level, paaBudget },
      {
        from: this.from === Number.NEGATIVE_INFINITY ? null : this.from,
        base: this.base.toJSON(),
        shape: this.from === -1 ? null : this.shape.toJSON(),
      },
    );
  }
}
