/**
 * Lab candidates of the machine-temperature round (docs/evaluation.md, "Machine-temperature round"):
 * changes aimed at what the diagnosis of that experiment found, built so that they can be judged on the
 * held-out synthetic seeds and NAB like every other candidate. None of them is `defaultDetector()`.
 *
 * - `mtAdapt1000`: `defaultDetector()` with ZMS's level mean adapting with a half-life of 1,000 points
 *   (round 6's option, a slower setting than `defaultAdapt300`).
 * - `mtSustain`: `defaultDetector()` beside a **sustained level** path: the level member's calibrated
 *   score held for 3 hours (its smallest absolute value over the last 180 minutes), combined by the
 *   maximum. A level excursion that the level member reports without a break for 3 hours is an alarm
 *   even when the forecast and shape members see nothing (the mean of three dilutes it to about a third).
 * - `mtAdaptSustain`: both.
 */

import { DEFAULT_ALARM_RULE, DEFAULT_FLAT_LINE_ONSET_POINTS } from '../detectors/default.js';
import { Ensemble } from '../detectors/ensemble.js';
import { FlatLineDetector } from '../detectors/flatline/detector.js';
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
import { ZmsDetector, type ZmsInput } from '../detectors/zms.js';
import { ConfigError } from '../errors.js';
import type { TimeSeries } from '../series/types.js';
import { meanDefault } from './candidates.js';
import type { Recipe } from './recipes.js';

/** A time-ordered window of recent scores with its running minimum of |score| (monotone deque). */
class RunningMin {
  private t = new Float64Array(64);
  private a = new Float64Array(64);
  private head = 0;
  private size = 0;

  constructor(private readonly spanMs: number) {}

  /** Adds the score at time `t` and returns the smallest |score| within the last `spanMs`. */
  push(t: number, score: number): number {
    const x = Math.abs(score);
    const cap = this.t.length;
    // drop the tail entries that can never be the minimum again
    while (this.size > 0 && this.a[(this.head + this.size - 1) % cap] >= x) this.size--;
    if (this.size === cap) this.grow();
    const c = this.t.length;
    this.t[(this.head + this.size) % c] = t;
    this.a[(this.head + this.size) % c] = x;
    this.size++;
    while (this.size > 1 && this.t[this.head] < t - this.spanMs) {
      this.head = (this.head + 1) % c;
      this.size--;
    }
    return this.a[this.head];
  }

  /** The minimum the window would have with `score` at `t` added, without adding it. */
  peek(t: number, score: number): number {
    let m = Math.abs(score);
    const c = this.t.length;
    for (let i = 0; i < this.size; i++) {
      const j = (this.head + i) % c;
      if (this.t[j] >= t - this.spanMs) m = Math.min(m, this.a[j]);
    }
    return m;
  }

  private grow(): void {
    const c = this.t.length;
    const nt = new Float64Array(2 * c);
    const na = new Float64Array(2 * c);
    for (let i = 0; i < this.size; i++) {
      nt[i] = this.t[(this.head + i) % c];
      na[i] = this.a[(this.head + i) % c];
    }
    this.t = nt;
    this.a = na;
    this.head = 0;
  }
}

export interface SustainedConfig {
  /** How long the inner score must hold (minutes): the output is its smallest |score| over that span. */
  readonly minutes: number;
  readonly inner: Readonly<object>;
}

/**
 * A lab detector: the inner detector's calibrated score **held** for `minutes` (at each point, the
 * smallest absolute inner score over the last `minutes`, with the current score's sign), so that only
 * an excursion the inner detector reports without a break for that long scores high. No alarm rule of
 * its own (it is an ensemble member); its model file is not loadable (lab only).
 */
export class SustainedScore implements Detector<SustainedConfig> {
  readonly type = 'SustainedScore';
  readonly config: Readonly<SustainedConfig>;
  private readonly spanMs: number;

  constructor(
    private readonly inner: Detector,
    minutes: number,
  ) {
    if (!(Number.isFinite(minutes) && minutes >= 0)) {
      throw new ConfigError('bad_config', `SustainedScore minutes: expected a number ≥ 0, got ${minutes}`);
    }
    this.spanMs = minutes * 60_000;
    this.config = Object.freeze({ minutes, inner: { type: inner.type, config: inner.config } });
  }

  train(ts: SeriesLike, opts?: TrainOptions): TimeSeries {
    const post = this.inner.train(ts, opts);
    return { t: post.t, v: new Float64Array(post.v.length) };
  }

  score(ts: SeriesLike, opts?: ScoreOptions): TimeSeries {
    const s = this.inner.score(ts, opts);
    const rm = new RunningMin(this.spanMs);
    const v = new Float64Array(s.v.length);
    for (let i = 0; i < v.length; i++) v[i] = Math.sign(s.v[i]) * rm.push(s.t[i], s.v[i]);
    return { t: s.t, v };
  }

  detect(ts: SeriesLike, opts?: ScoreOptions): { scores: TimeSeries; alarms: AlarmEvent[] } {
    return { scores: this.score(ts, opts), alarms: [] };
  }

  update(ts: SeriesLike): void {
    this.inner.update(ts);
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
    const rm = new RunningMin(this.spanMs);
    return {
      push: (t, v) => {
        const r = st.push(t, v);
        return { ...r, score: Math.sign(r.score) * rm.push(t, r.score), alarm: false };
      },
      scoreOne: (t, v) => {
        const x = st.scoreOne(t, v);
        return Math.sign(x) * rm.peek(t, x);
      },
      learnOne: (t, v) => {
        const x = st.scoreOne(t, v);
        st.learnOne(t, v);
        rm.push(t, x);
      },
      toJSON: () => this.toJSON(),
    };
  }

  toJSON(): ModelJson {
    return modelJson(this.type, { minutes: this.spanMs / 60_000 }, this.inner.toJSON());
  }
}

/** The hold of the sustained level path, in minutes. */
export const SUSTAIN_MINUTES = 180;

/**
 * `defaultDetector()` (mean of ETS, RCF, ZMS; flat-line onset member; maximum; default alarm rule) with
 * optional ZMS overrides for both level views, and optionally a third part: the sustained level path.
 */
export function mtDetector(seed: number, o: { zms?: ZmsInput; sustainMinutes?: number } = {}): Ensemble {
  const members: Detector[] = [
    new Ensemble({
      members: [...meanDefault({ seed, zms: o.zms }).members],
      combiner: { type: 'mean', absScore: true },
      calibrateMembers: [true, false, false],
      enableCalibrator: false,
      enableThreshold: false,
      seed,
    }),
    new FlatLineDetector({ onsetPoints: DEFAULT_FLAT_LINE_ONSET_POINTS, enableThreshold: false, seed }),
  ];
  if (o.sustainMinutes !== undefined) {
    const zms = new ZmsDetector({ nLags: 0, enableCalibrator: true, enableThreshold: false, seed, ...o.zms });
    members.push(new SustainedScore(zms, o.sustainMinutes));
  }
  return new Ensemble({
    members,
    combiner: { type: 'max', absScore: true },
    enableCalibrator: false,
    threshold: { ...DEFAULT_ALARM_RULE },
    seed,
  });
}

/** The recipes of this round (registered in `RECIPES`, src/lab/recipes.ts). */
export const MT_RECIPES: Readonly<Record<string, Recipe>> = Object.freeze({
  mtAdapt1000: {
    build: (o) => mtDetector(o.seed ?? 0, { zms: { levelHalfLife: 1000 } }),
    mapping: 'online',
    description:
      "candidate (machine-temperature round): default with ZMS's level mean adapting, half-life 1000 points",
  },
  mtSustain: {
    build: (o) => mtDetector(o.seed ?? 0, { sustainMinutes: SUSTAIN_MINUTES }),
    mapping: 'online',
    description: 'candidate (machine-temperature round): default + the level member held for 3 h, maximum',
  },
  mtAdaptSustain: {
    build: (o) => mtDetector(o.seed ?? 0, { zms: { levelHalfLife: 1000 }, sustainMinutes: SUSTAIN_MINUTES }),
    mapping: 'online',
    description: 'candidate (machine-temperature round): mtAdapt1000 + the level member held for 3 h',
  },
});
