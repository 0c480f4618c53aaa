import { DetectorError, ModelFormatError } from '../../errors.js';
import type { TimeSeries } from '../../series/types.js';
import { checkLabels, checkSeries, type StreamCore, type StreamingDetector, toSeries } from '../base.js';
import { decodeFloat, encodeFloat, field } from '../json.js';
import { parseModelEnvelope } from '../model.js';
import type {
  AlarmEvent,
  Detector,
  JsonObject,
  ModelJson,
  ScoreOptions,
  SeriesLike,
  StreamOptions,
  StreamResult,
  StreamScorer,
  TrainOptions,
} from '../types.js';
import { type NabStreamConfig, NabStreamCore, type NabStreamInput } from './core.js';

/**
 * `NabStreamDetector`: the streaming configuration designed for NAB (docs/nab-corpus.md). Its scores are
 * NAB anomaly scores in [0, 1] already (runner mapping `identity`). Fully online: `train()` streams the
 * training points through a fresh `NabStreamCore` (each point scored before it is learned from) and then
 * freezes the value bins. `score(ts)` scores `ts` from a copy of the state (pure: the detector is
 * unchanged), so it equals pushing `ts` into `stream()` point by point; each `stream()` owns a copy of the
 * state; `update(ts)` learns in place. The model has no time-dependent state: gaps never reset it.
 */
export class NabStreamDetector implements Detector<NabStreamConfig>, StreamingDetector {
  readonly type = 'NabStreamDetector';
  readonly config: Readonly<NabStreamConfig>;
  private core: NabStreamCore;
  private trained = false;
  /** The (NAB-scale) scores of the last `train()`, what an ensemble combines. */
  trainScores: TimeSeries | null = null;
  /** Time of the last point learned (training, `update()`, or the stream a file was saved from). */
  private lastTime = Number.NEGATIVE_INFINITY;

  constructor(config: NabStreamInput = {}) {
    this.core = new NabStreamCore(config);
    this.config = Object.freeze({ ...this.core.config });
  }

  /** A typed loader: the model file of a NabStreamDetector (else a ModelFormatError). */
  static load(json: unknown): NabStreamDetector {
    const env = parseModelEnvelope(json);
    if (env.type !== 'NabStreamDetector')
      throw new ModelFormatError('wrong_type', `expected a NabStreamDetector model file, got ${env.type}`);
    return NabStreamDetector.fromModel(env.config, env.state);
  }

  /** Streams the training points (each scored before it is learned); returns the post-rule scores (score ≥ alarmLevel, else 0). */
  train(input: SeriesLike, opts: TrainOptions = {}): TimeSeries {
    const ts = toSeries(input, 'NabStreamDetector train data');
    checkSeries(ts, 'NabStreamDetector train data');
    if (opts.labels) checkLabels(opts.labels, ts);
    const core = new NabStreamCore(this.config);
    const out = new Float64Array(ts.v.length);
    const raw = new Float64Array(ts.v.length);
    const level = this.config.alarmLevel;
    for (let i = 0; i < ts.v.length; i++) {
      const s = core.push(ts.v[i]);
      raw[i] = s;
      out[i] = s >= level ? s : 0;
    }
    core.endTraining();
    this.core = core;
    this.trained = true;
    this.trainScores = { t: ts.t.slice(), v: raw };
    this.lastTime = ts.t.length ? ts.t[ts.t.length - 1] : Number.NEGATIVE_INFINITY;
    return { t: ts.t, v: out };
  }

  private requireTrained(): void {
    if (!this.trained)
      throw new DetectorError('not_trained', 'NabStreamDetector: call train() before scoring');
  }

  private copyCore(): NabStreamCore {
    const copy = new NabStreamCore(this.config);
    copy.copyFrom(this.core);
    return copy;
  }

  /** Scores `ts` on a copy of the state (pure); points of `prev` after the model's last one are learned first. */
  score(input: SeriesLike, opts: ScoreOptions = {}): TimeSeries {
    this.requireTrained();
    const ts = toSeries(input, 'NabStreamDetector data');
    checkSeries(ts, 'NabStreamDetector data');
    if (opts.prev) checkSeries(opts.prev, 'prev');
    return this.cloneOnline().scoreInPlace(ts, opts.prev);
  }

  detect(ts: SeriesLike, opts: ScoreOptions = {}): { scores: TimeSeries; alarms: AlarmEvent[] } {
    const s = this.score(ts, opts);
    const level = this.config.alarmLevel;
    const v = new Float64Array(s.v.length);
    const alarms: AlarmEvent[] = [];
    for (let i = 0; i < v.length; i++) {
      if (s.v[i] >= level) {
        v[i] = s.v[i];
        alarms.push({ t: s.t[i], score: s.v[i] });
      }
    }
    return { scores: { t: s.t, v }, alarms };
  }

  /** Learns `ts` (points after the model's last time) in place. All or nothing. */
  update(input: SeriesLike): void {
    this.requireTrained();
    const ts = toSeries(input, 'NabStreamDetector update data');
    checkSeries(ts, 'NabStreamDetector update data');
    if (ts.t.length && !(ts.t[0] > this.lastTime))
      throw new DetectorError(
        'bad_time',
        `NabStreamDetector update: t=${ts.t[0]} is not after the model's last point (t=${this.lastTime})`,
      );
    for (let i = 0; i < ts.v.length; i++) this.core.push(ts.v[i]);
    if (ts.t.length) this.lastTime = ts.t[ts.t.length - 1];
  }

  /** A copy whose online state (the core) is independent of this one. */
  cloneOnline(): NabStreamDetector {
    const c = new NabStreamDetector(this.config);
    c.core = this.copyCore();
    c.trained = this.trained;
    c.lastTime = this.lastTime;
    c.trainScores = this.trainScores;
    return c;
  }

  /**
   * `score()` on this object's own state: the core learns the points of `prev` it has not seen
   * (after its last time; as ETS absorbs context), then scores `ts`.
   */
  scoreInPlace(ts: TimeSeries, prev?: TimeSeries): TimeSeries {
    if (prev)
      for (let i = 0; i < prev.v.length; i++) if (prev.t[i] > this.lastTime) this.core.push(prev.v[i]);
    const out = new Float64Array(ts.v.length);
    for (let i = 0; i < ts.v.length; i++) out[i] = this.core.push(ts.v[i]);
    if (ts.t.length) this.lastTime = Math.max(this.lastTime, ts.t[ts.t.length - 1]);
    return { t: ts.t, v: out };
  }

  /** The alarm rule: a score at or above `alarmLevel` is an alarm. */
  applyRule(scores: TimeSeries): TimeSeries {
    const level = this.config.alarmLevel;
    return { t: scores.t, v: scores.v.map((x) => (x >= level ? x : 0)) };
  }

  /** The stream machinery on this object's own state (callers clone first). */
  openStream(): StreamCore {
    this.requireTrained();
    const level = this.config.alarmLevel;
    let scratch: NabStreamCore | null = null;
    return {
      check: (t: number, v: number): boolean => {
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          throw new DetectorError(
            'non_finite',
            `NabStreamDetector stream: value ${typeof v === 'string' ? JSON.stringify(v) : v} at t=${t} is not finite; pass a finite number`,
          );
        }
        if (typeof t !== 'number' || !Number.isFinite(t) || !(t > this.lastTime)) {
          throw new DetectorError(
            'bad_time',
            `NabStreamDetector stream: t=${t} is not after the model's last point (t=${this.lastTime}, the end of training or the previous push)`,
          );
        }
        return false; // no time-dependent state: gaps never reset
      },
      abort: () => {}, // check changes nothing
      commit: (t: number, v: number, reset: boolean): StreamResult => {
        const score = this.core.push(v);
        this.lastTime = t;
        return { score, alarm: score >= level, reset };
      },
      peek: (_t: number, v: number): number => {
        scratch ??= new NabStreamCore(this.config);
        scratch.copyFrom(this.core);
        return scratch.push(v);
      },
      learn: (t: number, v: number): void => {
        this.core.push(v);
        this.lastTime = t;
      },
    };
  }

  stream(opts: StreamOptions = {}): StreamScorer {
    this.requireTrained();
    const own = this.cloneOnline();
    const core = own.openStream();
    const scorer: StreamScorer = {
      push: (t, v) => core.commit(t, v, core.check(t, v)),
      scoreOne: (t, v) => {
        core.check(t, v);
        return core.peek(t, v);
      },
      learnOne: (t, v) => {
        core.check(t, v);
        core.learn(t, v);
      },
      toJSON: () => own.toJSON(),
    };
    if (opts.warmup) {
      checkSeries(opts.warmup, 'warmup');
      for (let i = 0; i < opts.warmup.t.length; i++) scorer.learnOne(opts.warmup.t[i], opts.warmup.v[i]);
    }
    return scorer;
  }

  /**
   * Config and the whole online state (`state.core`: value bins, sparse transition counts, rolling
   * statistics, the likelihood post-processor; `state.lastT`: the last point's time); `state` is null
   * before training. `loadModel` restores it, and the loaded detector continues exactly where this one is.
   */
  toJSON(): ModelJson {
    return {
      format: 'tsad-model',
      version: 1,
      type: this.type,
      config: { ...this.config } as JsonObject,
      state: this.trained ? { core: this.core.toJSON(), lastT: encodeFloat(this.lastTime) } : null,
    };
  }

  /** Restores `toJSON().state` (used by the `loadModel` loader). */
  private restoreState(state: unknown): void {
    if (state === null) return;
    const core = new NabStreamCore(this.config);
    core.restore(field(state, 'core', 'state'), 'state.core');
    // files written before stream checkpoints have no lastT
    let lastT = Number.NEGATIVE_INFINITY;
    if (typeof state === 'object' && Object.hasOwn(state, 'lastT')) {
      lastT = decodeFloat(field(state, 'lastT', 'state'), 'state.lastT');
      if (Number.isNaN(lastT) || lastT === Number.POSITIVE_INFINITY)
        throw new ModelFormatError('bad_field', 'state.lastT: expected a time in epoch ms');
    }
    this.core = core;
    this.trained = true;
    this.lastTime = lastT;
  }

  /** A detector from a model file's (untrusted) config and state: what `loadModel` calls. */
  static fromModel(config: unknown, state: unknown): NabStreamDetector {
    const d = new NabStreamDetector(config as NabStreamInput);
    d.restoreState(state);
    return d;
  }
}
