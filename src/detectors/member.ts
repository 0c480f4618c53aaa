/**
 * Ensemble members that are not tsad's own: any object implementing the public `Detector` interface
 * (a third-party detector) joins an ensemble through `ForeignMember`, which gives it the in-place
 * forms the ensemble composes (`StreamingDetector`) using only the public contract:
 *
 * * train scores are `score()` of the training data after `train()` (the public contract has no
 *   separate "calibrated train scores"; for online models they are the scores of a stream that
 *   starts at the end of training, not of training's own score-then-learn pass);
 * * a push is checked with `scoreOne()` (which must throw what `push()` would, changing nothing),
 *   so a member that refuses a point leaves every other member unchanged;
 * * what an ensemble stream or `update()` learns is kept as a log of points replayed into a fresh
 *   `stream()` of the detector when a copy needs it (`score()` is pure, so the detector itself is
 *   never changed).
 *
 * The member's model file is its own `toJSON()` (or its stream's, once it has learned); loading an
 * ensemble that holds one needs `registerDetector()` for its type first.
 */
import { DetectorError } from '../errors.js';
import type { TimeSeries } from '../series/types.js';
import { toSeries } from './input.js';
import { alarmEvents } from './post/rule.js';
import { isStreamingDetector, type StreamCore, type StreamingDetector } from './streaming.js';
import type {
  AlarmEvent,
  Detector,
  ModelJson,
  ScoreOptions,
  SeriesLike,
  StreamOptions,
  StreamScorer,
  TrainOptions,
} from './types.js';

/** Whether `x` implements the public `Detector` interface. */
export function isDetector(x: unknown): x is Detector {
  if (x === null || typeof x !== 'object') return false;
  const d = x as Record<string, unknown>;
  return (
    typeof d.type === 'string' &&
    d.config !== null &&
    typeof d.config === 'object' &&
    ['train', 'score', 'detect', 'update', 'stream', 'toJSON'].every((k) => typeof d[k] === 'function')
  );
}

/** `x` as an ensemble member: tsad's detectors as they are, others wrapped in a `ForeignMember`. */
export function asMember(x: Detector): StreamingDetector {
  return isStreamingDetector(x) ? x : new ForeignMember(x);
}

/** A third-party `Detector` as an ensemble member (see the module comment). */
export class ForeignMember implements StreamingDetector {
  readonly type: string;
  readonly config: Readonly<object>;
  trainScores: TimeSeries | null = null;
  /** Points learned since the detector's own state (stream copies, `update()`), in time order. */
  private log: { t: number[]; v: number[] } = { t: [], v: [] };
  /** The live stream of this copy (open after `openStream()` or a replay). */
  private live: StreamScorer | null = null;
  /** The last `scoreInPlace` call, so that `applyRule` can give the detector's alarms on it. */
  private last: { scores: TimeSeries; ts: TimeSeries; prev?: TimeSeries; post?: TimeSeries } | null = null;

  constructor(readonly detector: Detector) {
    this.type = detector.type;
    this.config = detector.config;
  }

  train(ts: SeriesLike, opts?: TrainOptions): TimeSeries {
    const post = this.detector.train(ts, opts);
    this.log = { t: [], v: [] };
    this.live = null;
    this.trainScores = this.detector.score(toSeries(ts, 'train data'));
    return post;
  }

  score(ts: SeriesLike, opts?: ScoreOptions): TimeSeries {
    return this.cloneOnline().scoreInPlace(toSeries(ts, 'data'), opts?.prev);
  }

  detect(ts: SeriesLike, opts?: ScoreOptions): { scores: TimeSeries; alarms: AlarmEvent[] } {
    if (this.log.t.length === 0) return this.detector.detect(ts, opts);
    const scores = this.applyRule(this.score(ts, opts));
    return { scores, alarms: alarmEvents(scores) };
  }

  update(ts: SeriesLike): void {
    const s = toSeries(ts, 'update data');
    const c = this.cloneOnline();
    const st = c.replay();
    for (let i = 0; i < s.t.length; i++) st.learnOne(s.t[i], s.v[i]);
    for (let i = 0; i < s.t.length; i++) {
      this.log.t.push(s.t[i]);
      this.log.v.push(s.v[i]);
    }
    this.live = null;
  }

  stream(opts?: StreamOptions): StreamScorer {
    if (this.log.t.length === 0) return this.detector.stream(opts);
    const st = this.cloneOnline().replay();
    if (opts?.warmup)
      for (let i = 0; i < opts.warmup.t.length; i++) st.learnOne(opts.warmup.t[i], opts.warmup.v[i]);
    return st;
  }

  toJSON(): ModelJson {
    if (this.live) return this.live.toJSON();
    return this.log.t.length === 0 ? this.detector.toJSON() : this.cloneOnline().replay().toJSON();
  }

  cloneOnline(): ForeignMember {
    const c = new ForeignMember(this.detector);
    c.trainScores = this.trainScores;
    c.log = { t: this.log.t.slice(), v: this.log.v.slice() };
    return c;
  }

  /** A live stream of the detector that has learned this copy's log. */
  private replay(): StreamScorer {
    if (this.live) return this.live;
    const st = this.detector.stream();
    for (let i = 0; i < this.log.t.length; i++) st.learnOne(this.log.t[i], this.log.v[i]);
    this.live = st;
    return st;
  }

  scoreInPlace(ts: TimeSeries, prev?: TimeSeries): TimeSeries {
    if (this.log.t.length === 0 && !this.live) {
      const scores = this.detector.score(ts, prev ? { prev } : {});
      this.last = { scores, ts, prev };
      return scores;
    }
    // after learning, scoring is a stream from the learned state (what score() equals by contract)
    const st = this.replay();
    const n = ts.t.length;
    const v = new Float64Array(n);
    const post = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const r = st.push(ts.t[i], ts.v[i]);
      this.log.t.push(ts.t[i]);
      this.log.v.push(ts.v[i]);
      v[i] = r.score;
      post[i] = r.alarm ? r.score : 0;
    }
    const scores = { t: ts.t, v };
    this.last = { scores, ts, post: { t: ts.t, v: post } };
    return scores;
  }

  applyRule(scores: TimeSeries): TimeSeries {
    const last = this.last;
    if (last && last.scores === scores) {
      last.post ??= this.detector.detect(last.ts, last.prev ? { prev: last.prev } : {}).scores;
      return last.post;
    }
    throw new DetectorError(
      'unsupported',
      `${this.type} is a third-party ensemble member: its alarm rule applies only to its own scores`,
    );
  }

  openStream(): StreamCore {
    const st = this.replay();
    const log = this.log;
    return {
      // scoreOne throws what push would and changes nothing (the public stream contract)
      check: (t, v) => {
        st.scoreOne(t, v);
        return false;
      },
      abort: () => {},
      commit: (t, v) => {
        const r = st.push(t, v);
        log.t.push(t);
        log.v.push(v);
        return r;
      },
      peek: (t, v) => st.scoreOne(t, v),
      learn: (t, v) => {
        st.learnOne(t, v);
        log.t.push(t);
        log.v.push(v);
      },
    };
  }
}
