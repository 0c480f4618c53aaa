/**
 * Lab candidate of round 9 of docs/evaluation.md ("why the default misses spikes, dips, shifts and
 * drifts"): the default's level member measured against the **hour of the day**.
 *
 * The diagnosis on tuning seeds 1–3 found that the default misses level shifts and drifts whose size is
 * about the daily swing (0.75–1.3 × the daily amplitude, 4–18 × the noise): its level member (ZMS) scores
 * a value against the training part's mean and standard deviation, which the daily cycle dominates, so a
 * shifted value is ordinary until the shifted cycle's peak or trough leaves the training range; the
 * forecast member sees the jump for one point and the mean of three dilutes it.
 *
 * `DailyProfileLevel` wraps a detector (the ZMS level member) and feeds it each value minus the training
 * part's mean at the same hour of the day (UTC, as the timestamps are given), so the member's reference
 * is "what this hour looked like in training" and its scale the spread around that. The profile needs
 * every hour-of-day bin (one hour, or the step when it is longer) to hold at least two training points;
 * otherwise (a training part shorter than a day, as 1-minute series have under NAB's 15 %) the values
 * pass unchanged and the member is exactly today's ZMS. No setting here was chosen by looking at scores.
 * Its model file is not loadable (lab only).
 */

import { DEFAULT_ALARM_RULE, DEFAULT_FLAT_LINE_ONSET_POINTS } from '../detectors/default.js';
import { Ensemble } from '../detectors/ensemble.js';
import { FlatLineDetector } from '../detectors/flatline/detector.js';
import { toSeries } from '../detectors/input.js';
import { modelJson } from '../detectors/json.js';
import { STREAM_ONCE, streamOnce } from '../detectors/stream-once.js';
import type {
  AlarmEvent,
  Detector,
  ModelJson,
  ScoreOptions,
  SeriesLike,
  StreamScorer,
  TrainOptions,
} from '../detectors/types.js';
import { ZmsDetector } from '../detectors/zms.js';
import type { TimeSeries } from '../series/types.js';
import { meanDefault } from './candidates.js';
import { SustainedScore } from './candidates-mt.js';
import type { Recipe } from './recipes.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Training points each hour-of-day bin needs before the profile is used. */
export const PROFILE_MIN_PER_BIN = 2;

/** A time-of-day profile: the training mean per bin, or null when some bin holds too few points. */
export interface DayProfile {
  readonly binMs: number;
  readonly mean: Float64Array;
}

/**
 * The training part's mean per hour of the day (bins of max(1 h, step)); null if a bin is too thin or
 * the training part spans less than `minSpanMs` (first point to last).
 */
export function dayProfile(ts: TimeSeries, minSpanMs = 0): DayProfile | null {
  const n = ts.t.length;
  if (n < 2 || ts.t[n - 1] - ts.t[0] < minSpanMs) return null;
  let step = Number.POSITIVE_INFINITY;
  for (let i = 1; i < n; i++) step = Math.min(step, ts.t[i] - ts.t[i - 1]);
  const binMs = Math.max(HOUR_MS, step);
  const nb = Math.max(1, Math.round(DAY_MS / binMs));
  const sum = new Float64Array(nb);
  const cnt = new Float64Array(nb);
  for (let i = 0; i < n; i++) {
    const b = binOf(ts.t[i], binMs, nb);
    sum[b] += ts.v[i];
    cnt[b]++;
  }
  for (let b = 0; b < nb; b++) {
    if (cnt[b] < PROFILE_MIN_PER_BIN) return null;
    sum[b] /= cnt[b];
  }
  return { binMs, mean: sum };
}

function binOf(t: number, binMs: number, nb: number): number {
  const tod = ((t % DAY_MS) + DAY_MS) % DAY_MS;
  return Math.min(nb - 1, Math.floor(tod / binMs));
}

function minus(p: DayProfile | null, t: number, v: number): number {
  return p === null ? v : v - p.mean[binOf(t, p.binMs, p.mean.length)];
}

function deseason(p: DayProfile | null, ts: TimeSeries): TimeSeries {
  if (p === null) return ts;
  const v = new Float64Array(ts.v.length);
  for (let i = 0; i < v.length; i++) v[i] = minus(p, ts.t[i], ts.v[i]);
  return { t: ts.t, v };
}

export interface DailyProfileLevelConfig {
  readonly inner: object;
  readonly minSpanDays: number;
  readonly silentWithoutProfile: boolean;
}

/**
 * A lab detector: the inner detector fed each value minus the training part's hour-of-day mean
 * (`dayProfile`), or the values unchanged when the training part cannot give a profile.
 */
export class DailyProfileLevel implements Detector<DailyProfileLevelConfig> {
  readonly type = 'DailyProfileLevel';
  readonly config: Readonly<DailyProfileLevelConfig>;
  private profile: DayProfile | null = null;

  /**
   * @param minSpanDays the least span of the training part (days) for a profile; 0: any span that fills
   *   every bin twice. 7: only a training part that has seen every day of the week (a first weekend is
   *   then never news to the profile).
   * @param silentWithoutProfile without a profile, score 0 everywhere (the member has no opinion)
   *   instead of passing the values unchanged to the inner detector.
   */
  constructor(
    private readonly inner: Detector,
    private readonly minSpanDays = 0,
    private readonly silentWithoutProfile = false,
  ) {
    this.config = Object.freeze({
      inner: { type: inner.type, config: inner.config },
      minSpanDays,
      silentWithoutProfile,
    });
  }

  /** Whether this member scores 0 everywhere (silent and no profile). */
  private get silent(): boolean {
    return this.silentWithoutProfile && this.profile === null;
  }

  /** The profile learnt at training (null: none, the values pass unchanged). */
  get dayProfile(): DayProfile | null {
    return this.profile;
  }

  train(ts: SeriesLike, opts?: TrainOptions): TimeSeries {
    const s = toSeries(ts, 'DailyProfileLevel.train');
    this.profile = dayProfile(s, this.minSpanDays * DAY_MS);
    const post = this.inner.train(deseason(this.profile, s), opts);
    return this.silent ? { t: post.t, v: new Float64Array(post.v.length) } : post;
  }

  score(ts: SeriesLike, opts?: ScoreOptions): TimeSeries {
    const s = toSeries(ts, 'DailyProfileLevel.score');
    if (this.silent) return { t: s.t, v: new Float64Array(s.v.length) };
    const prev = opts?.prev ? deseason(this.profile, opts.prev) : undefined;
    return this.inner.score(deseason(this.profile, s), prev ? { prev } : undefined);
  }

  detect(ts: SeriesLike, opts?: ScoreOptions): { scores: TimeSeries; alarms: AlarmEvent[] } {
    return { scores: this.score(ts, opts), alarms: [] };
  }

  update(ts: SeriesLike): void {
    this.inner.update(deseason(this.profile, toSeries(ts, 'DailyProfileLevel.update')));
  }

  stream(): StreamScorer {
    return this.around(this.inner.stream());
  }

  /** `stream()` on the inner detector's own state (`streamOnce`): the inner detector is used up. */
  [STREAM_ONCE](): StreamScorer {
    return this.around(streamOnce(this.inner));
  }

  /** The stream of this detector around `st`, a stream of the inner one. */
  private around(st: StreamScorer): StreamScorer {
    const p = this.profile;
    if (this.silent)
      return {
        push: () => ({ score: 0, alarm: false, reset: false }),
        scoreOne: () => 0,
        learnOne: () => {},
        toJSON: () => this.toJSON(),
      };
    return {
      push: (t, v) => st.push(t, minus(p, t, v)),
      scoreOne: (t, v) => st.scoreOne(t, minus(p, t, v)),
      learnOne: (t, v) => st.learnOne(t, minus(p, t, v)),
      toJSON: () => this.toJSON(),
    };
  }

  toJSON(): ModelJson {
    return modelJson(
      this.type,
      { minSpanDays: this.minSpanDays, silentWithoutProfile: this.silentWithoutProfile },
      {
        profile: this.profile ? { binMs: this.profile.binMs, mean: Array.from(this.profile.mean) } : null,
        inner: this.inner.toJSON(),
      },
    );
  }
}

/**
 * `defaultDetector()` with its level member (ZMS, no lags, its own calibrator) measured against the
 * training part's hour-of-day profile: the mean of ETS, RandomCutForest and the profiled ZMS, its
 * maximum with the flat-line onset member, the default alarm rule.
 */
export function dayLevelDefault(seed = 0, minSpanDays = 0): Ensemble {
  const [ets, rcf] = meanDefault({ seed }).members;
  const zms = new DailyProfileLevel(
    new ZmsDetector({ nLags: 0, enableCalibrator: true, enableThreshold: false, seed }),
    minSpanDays,
  );
  return maxWithRule([meanOfThree([ets, rcf, zms], seed), flatLineOnset(seed)], seed);
}

/** The default's mean of three (ETS calibrated by the ensemble, the others by their own calibrators). */
export function meanOfThree(members: Detector[], seed: number): Ensemble {
  return new Ensemble({
    members,
    combiner: { type: 'mean', absScore: true },
    calibrateMembers: [true, false, false],
    enableCalibrator: false,
    enableThreshold: false,
    seed,
  });
}

/** The default's flat-line onset member. */
export function flatLineOnset(seed: number): FlatLineDetector {
  return new FlatLineDetector({ onsetPoints: DEFAULT_FLAT_LINE_ONSET_POINTS, enableThreshold: false, seed });
}

/** The maximum of `members`' scores under the default alarm rule. */
export function maxWithRule(members: Detector[], seed: number): Ensemble {
  return new Ensemble({
    members,
    combiner: { type: 'max', absScore: true },
    enableCalibrator: false,
    threshold: { ...DEFAULT_ALARM_RULE },
    seed,
  });
}

/** The hold of round 9b's sustained profiled level path, in minutes (the machine-temperature round's). */
export const DAY_SUSTAIN_MINUTES = 180;

/**
 * Round 9b: `defaultDetector()` unchanged (the mean of ETS, RandomCutForest and the plain ZMS; the
 * flat-line onset member) beside a **sustained hour-of-day level** path, by the maximum, the default
 * alarm rule: ZMS against the training part's hour-of-day mean (only when the training part spans
 * `minSpanDays`; silent, score 0, otherwise), its calibrated score held for `minutes` (`SustainedScore`:
 * the smallest |score| over that span). The default's own scores are untouched; the path alarms on its own only when a value
 * stays away from its hour's usual level for the whole hold.
 */
export function daySustainDefault(seed = 0, minSpanDays = 7, minutes = DAY_SUSTAIN_MINUTES): Ensemble {
  const held = new SustainedScore(
    new DailyProfileLevel(
      new ZmsDetector({ nLags: 0, enableCalibrator: true, enableThreshold: false, seed }),
      minSpanDays,
      true,
    ),
    minutes,
  );
  return maxWithRule(
    [meanOfThree([...meanDefault({ seed }).members], seed), flatLineOnset(seed), held],
    seed,
  );
}

/** The recipes of round 9 (registered in `RECIPES`, src/lab/recipes.ts). */
export const KINDS_RECIPES: Readonly<Record<string, Recipe>> = Object.freeze({
  defaultDayLevel: {
    build: (o) => dayLevelDefault(o.seed ?? 0),
    mapping: 'online',
    description:
      "candidate (round 9): default with its level member (ZMS) against the training part's hour-of-day mean",
  },
  defaultWeekLevel: {
    build: (o) => dayLevelDefault(o.seed ?? 0, 7),
    mapping: 'online',
    description:
      'candidate (round 9): defaultDayLevel, the profile only when the training part spans a whole week',
  },
  defaultWeekSustain: {
    build: (o) => daySustainDefault(o.seed ?? 0, 7),
    mapping: 'online',
    description:
      'candidate (round 9b): default + the hour-of-day level (week-long training) held for 3 h, maximum',
  },
  defaultDaySustain: {
    build: (o) => daySustainDefault(o.seed ?? 0, 0),
    mapping: 'online',
    description: 'candidate (round 9b): default + the hour-of-day level (any profile) held for 3 h, maximum',
  },
});
