import type { TimeInput, TimeSeries } from '../series/types.js';

/**
 * Input series: a `TimeSeries` (Float64Arrays, used as is) or plain arrays of times (epoch ms, `Date`,
 * ISO strings) and numbers, which go through the series layer's `series()` (validated, with errors
 * naming the row).
 */
export type SeriesLike = TimeSeries | { readonly t: ArrayLike<TimeInput>; readonly v: ArrayLike<number> };

/** JSON values, for configs and model state. */
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** One alarm: its time (epoch ms) and its (post-rule) score. */
export interface AlarmEvent {
  readonly t: number;
  readonly score: number;
}

/** What a streaming scorer returns for each pushed point. */
export interface StreamResult {
  /** The calibrated anomaly score, exactly what `score()` gives for this point. */
  readonly score: number;
  /** Whether the post-rule (threshold, alarm aggregation) raises an alarm at this point. */
  readonly alarm: boolean;
  /**
   * True when this point came after a gap the model cannot bridge (gap policy `'reset'`): the
   * stream's time-dependent state (ETS's grid position, transform context) restarted at this point.
   */
  readonly reset: boolean;
}

/** What a stream does at a gap its model cannot bridge (e.g. ETS beyond 100,000 grid steps). */
export type GapPolicy = 'reset' | 'error';

export interface StreamOptions {
  /**
   * `'reset'` (default): time-dependent state restarts at the point after the gap and the push
   * result has `reset: true`; `'error'`: the push throws a DetectorError (code `gap`) and the stream
   * is unchanged.
   */
  gap?: GapPolicy;
  /**
   * Recent points (after the end of training) to learn from before the first push, without scoring
   * them: e.g. the last hour of data when a model trained days ago goes into service.
   */
  warmup?: TimeSeries;
}

/**
 * Scores a stream point by point; online models keep learning as they go. A stream owns its state
 * (a copy of the detector's at `stream()` time): other streams and the detector are unaffected.
 * A rejected push (a thrown TsadError) changes nothing, and the stream keeps working.
 */
export interface StreamScorer {
  /** Scores the point, then learns from it (online models) and advances the alarm rule. */
  push(t: number, v: number): StreamResult;
  /** The calibrated score of the point, without learning from it or advancing the stream. */
  scoreOne(t: number, v: number): number;
  /** Learns from the point (and advances the stream past it) without scoring it. */
  learnOne(t: number, v: number): void;
  /** A model file of the model as this stream has updated it; `loadModel(json).stream()` resumes. */
  toJSON(): ModelJson;
}

/** The one model file format: versioned, schema-checked, plain JSON (a type alias: it is a `JsonValue`). */
export type ModelJson = {
  readonly format: 'tsad-model';
  readonly version: 1;
  readonly type: string;
  readonly config: JsonObject;
  readonly state: JsonValue;
};

/** The fewest training points a detector trains on meaningfully (`minTrainPoints()`), and why. */
export interface TrainMinimum {
  readonly points: number;
  /** What needs them, for the `too_few_points` message (e.g. the transforms, the calibrator). */
  readonly reason: string;
}

export interface TrainOptions {
  /** Optional labels (1 = anomaly) on the training timestamps, used to train the alarm threshold. */
  labels?: TimeSeries;
}

export interface ScoreOptions {
  /** Data immediately before `ts`, giving transforms (differences, shingles, lags) their context. */
  prev?: TimeSeries;
}

/** The contract every detector implements. */
export interface Detector<C extends object = object> {
  readonly type: string;
  readonly config: Readonly<C>;
  /**
   * Trains on `ts`; returns the post-rule training scores (non-zero = alarm). Training again refits
   * the model from scratch, except that a calibrator keeps the anchors of its first training unless
   * the config's `postRuleTrain.retrainCalibrator` is set (Merlion's behaviour): for the model of one
   * training on `ts`, train a new detector.
   */
  train(ts: SeriesLike, opts?: TrainOptions): TimeSeries;
  /** Calibrated anomaly scores for `ts` (before the threshold). Pure: the detector is unchanged. */
  score(ts: SeriesLike, opts?: ScoreOptions): TimeSeries;
  /**
   * Folds `ts` (points after the model's last one) into the model, the only way besides a stream
   * in which a trained model learns. All or nothing: on a TsadError the model is unchanged.
   */
  update(ts: SeriesLike): void;
  /** Post-rule scores (non-zero = alarm) and the alarm events. */
  detect(ts: SeriesLike, opts?: ScoreOptions): { scores: TimeSeries; alarms: AlarmEvent[] };
  /**
   * A streaming scorer continuing from the detector's current state (the end of training, of
   * `update()`, or of the stream a model file was saved from). Each stream owns a copy of the state.
   */
  stream(opts?: StreamOptions): StreamScorer;
  /** The model file. */
  toJSON(): ModelJson;
}
