import { checkSeries } from '../detectors/base.js';
import { field } from '../detectors/json.js';
import { registerDetector } from '../detectors/registry.js';
import type { AlarmEvent, Detector, JsonObject, ModelJson, StreamScorer } from '../detectors/types.js';
import { DetectorError } from '../errors.js';
import type { TimeSeries } from '../series/types.js';
import { type NabStreamConfig, NabStreamCore, type NabStreamInput } from './nab-core.js';

/**
 * `NabStreamDetector`: the streaming configuration designed for NAB (docs/nab-corpus.md). Its scores are
 * NAB anomaly scores in [0, 1] already (runner mapping `identity`). Fully online: `train()` streams the
 * training points through a fresh `NabStreamCore` (each point scored before it is learned from) and then
 * freezes the value bins; `stream()` continues from that state and keeps learning; `score(ts)` scores `ts`
 * from a copy of the current state (the model itself is unchanged), so it equals pushing `ts` into
 * `stream()` point by point.
 */
export class NabStreamDetector implements Detector<NabStreamConfig> {
  readonly type = 'NabStreamDetector';
  readonly config: Readonly<NabStreamConfig>;
  private core: NabStreamCore;
  private trained = false;

  constructor(config: NabStreamInput = {}) {
    this.core = new NabStreamCore(config);
    this.config = Object.freeze({ ...this.core.config });
  }

  /** Streams the training points (each scored before it is learned); returns the post-rule scores (score ≥ alarmLevel, else 0). */
  train(ts: TimeSeries): TimeSeries {
    checkSeries(ts, 'NabStreamDetector train data');
    this.core = new NabStreamCore(this.config);
    const out = new Float64Array(ts.v.length);
    const level = this.config.alarmLevel;
    for (let i = 0; i < ts.v.length; i++) {
      const s = this.core.push(ts.v[i]);
      out[i] = s >= level ? s : 0;
    }
    this.core.endTraining();
    this.trained = true;
    return { t: ts.t, v: out };
  }

  private requireTrained(): void {
    if (!this.trained)
      throw new DetectorError('not_trained', 'NabStreamDetector: call train() before scoring');
  }

  score(ts: TimeSeries): TimeSeries {
    this.requireTrained();
    checkSeries(ts, 'NabStreamDetector data');
    const copy = new NabStreamCore(this.config);
    copy.copyFrom(this.core);
    const out = new Float64Array(ts.v.length);
    for (let i = 0; i < ts.v.length; i++) {
      out[i] = copy.push(ts.v[i]);
    }
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
    this.requireTrained();
    const level = this.config.alarmLevel;
    let last = Number.NEGATIVE_INFINITY;
    return {
      push: (t: number, v: number) => {
        if (!Number.isFinite(v)) {
          throw new DetectorError(
            'non_finite',
            `NabStreamDetector stream: value ${v} at t=${t} is not finite`,
          );
        }
        if (!(t > last) || !Number.isFinite(t)) {
          throw new DetectorError(
            'bad_time',
            `NabStreamDetector stream: t=${t} is not after the previous point`,
          );
        }
        last = t;
        const score = this.core.push(v);
        return { score, alarm: score >= level };
      },
    };
  }

  /**
   * Config and the whole online state (`state.core`: value bins, sparse transition counts, rolling
   * statistics, the likelihood post-processor); `state` is null before training. `loadModel`
   * restores it, and the loaded detector continues exactly where this one is.
   */
  toJSON(): ModelJson {
    return {
      format: 'tsad-model',
      version: 1,
      type: this.type,
      config: { ...this.config } as JsonObject,
      state: this.trained ? { core: this.core.toJSON() } : null,
    };
  }

  /** Restores `toJSON().state` (used by the `loadModel` loader). */
  private restoreState(state: unknown): void {
    if (state === null) return;
    const core = new NabStreamCore(this.config);
    core.restore(field(state, 'core', 'state'), 'state.core');
    this.core = core;
    this.trained = true;
  }

  /** A detector from a model file's (untrusted) config and state: what `loadModel` calls. */
  static fromModel(config: unknown, state: unknown): NabStreamDetector {
    const d = new NabStreamDetector(config as NabStreamInput);
    d.restoreState(state);
    return d;
  }
}

registerDetector('NabStreamDetector', (config, state) => NabStreamDetector.fromModel(config, state));
