import type { AlarmEvent, Detector, JsonObject, ModelJson, StreamScorer } from '../detectors/types.js';
import { DetectorError } from '../errors.js';
import type { TimeSeries } from '../series/types.js';
import { type NabStreamConfig, NabStreamCore, type NabStreamInput } from './nab-core.js';

/**
 * `NabStreamDetector`: the streaming configuration designed for NAB (see docs/nab-corpus.md). Its scores
 * are already NAB anomaly scores in [0, 1] (mapping `identity`). The model is fully online: `train()`
 * streams the training points through a fresh `NabStreamCore` (each point scored before it is learned
 * from), `stream()` continues from there, `score()` scores a series from a copy of the trained state,
 * so `score(ts)` equals pushing `ts` into `stream()` point by point.
 */
export class NabStreamDetector implements Detector<NabStreamConfig> {
  readonly type = 'NabStreamDetector';
  readonly config: Readonly<NabStreamConfig>;
  private readonly input: NabStreamInput;
  private core: NabStreamCore;
  /** Points learned so far (train + streamed), replayed by `score()` to copy the state. */
  private seen: number[] = [];
  private trainLength = 0;

  constructor(config: NabStreamInput = {}) {
    this.input = config;
    this.core = new NabStreamCore(config);
    this.config = Object.freeze(this.core.config);
  }

  train(ts: TimeSeries): TimeSeries {
    this.core = new NabStreamCore(this.input);
    this.seen = [];
    this.trainLength = ts.v.length;
    const out = new Float64Array(ts.v.length);
    for (let i = 0; i < ts.v.length; i++) {
      out[i] = this.core.push(ts.v[i]);
      this.seen.push(ts.v[i]);
    }
    this.core.endTraining();
    return { t: ts.t, v: out };
  }

  score(ts: TimeSeries): TimeSeries {
    const copy = new NabStreamCore(this.input);
    for (let i = 0; i < this.seen.length; i++) {
      if (i === this.trainLength) copy.endTraining();
      copy.push(this.seen[i]);
    }
    if (this.seen.length === this.trainLength) copy.endTraining();
    const out = new Float64Array(ts.v.length);
    for (let i = 0; i < ts.v.length; i++) out[i] = copy.push(ts.v[i]);
    return { t: ts.t, v: out };
  }

  detect(ts: TimeSeries): { scores: TimeSeries; alarms: AlarmEvent[] } {
    const s = this.score(ts);
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

  stream(): StreamScorer {
    const level = this.config.alarmLevel;
    return {
      push: (_t: number, v: number) => {
        if (!Number.isFinite(v)) {
          throw new DetectorError(
            'NON_FINITE',
            `NabStreamDetector: value ${v} is not finite; drop or interpolate it`,
          );
        }
        const score = this.core.push(v);
        this.seen.push(v);
        return { score, alarm: score >= level };
      },
    };
  }

  toJSON(): ModelJson {
    return {
      format: 'tsad-model',
      version: 1,
      type: this.type,
      config: { ...this.config } as JsonObject,
      state: { seen: this.seen.length },
    };
  }
}
