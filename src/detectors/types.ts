import type { TimeSeries } from '../series/types.js';

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
}

/** Scores a stream point by point; online models keep learning as they go. */
export interface StreamScorer {
  push(t: number, v: number): StreamResult;
}

/** The one model file format: versioned, schema-checked, plain JSON. */
export interface ModelJson {
  readonly format: 'tsad-model';
  readonly version: 1;
  readonly type: string;
  readonly config: JsonObject;
  readonly state: JsonValue;
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
  /** Trains on `ts`; returns the post-rule training scores (non-zero = alarm). */
  train(ts: TimeSeries, opts?: TrainOptions): TimeSeries;
  /** Calibrated anomaly scores for `ts` (before the threshold). */
  score(ts: TimeSeries, opts?: ScoreOptions): TimeSeries;
  /** Post-rule scores (non-zero = alarm) and the alarm events. */
  detect(ts: TimeSeries, opts?: ScoreOptions): { scores: TimeSeries; alarms: AlarmEvent[] };
  /** A streaming scorer continuing from the end of training (or the last scored data). */
  stream(): StreamScorer;
  /** The model file. */
  toJSON(): ModelJson;
}
