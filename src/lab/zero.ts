import { checkSeries } from '../detectors/input.js';
import { modelJson } from '../detectors/json.js';
import type { AlarmEvent, Detector, ModelJson, StreamScorer } from '../detectors/types.js';
import type { TimeSeries } from '../series/types.js';

/**
 * The floor of a benchmark: a detector whose score is always 0. Fed through a recipe's score mapping it
 * measures what the post-processing earns on its own (every scoreboard prints it).
 */
export class ZeroDetector implements Detector<Record<string, never>> {
  readonly type = 'ZeroDetector';
  readonly config: Readonly<Record<string, never>> = Object.freeze({});

  train(ts: TimeSeries): TimeSeries {
    checkSeries(ts, 'ZeroDetector train data');
    return { t: ts.t, v: new Float64Array(ts.v.length) };
  }

  score(ts: TimeSeries): TimeSeries {
    checkSeries(ts, 'ZeroDetector data');
    return { t: ts.t, v: new Float64Array(ts.v.length) };
  }

  detect(ts: TimeSeries): { scores: TimeSeries; alarms: AlarmEvent[] } {
    return { scores: this.score(ts), alarms: [] };
  }

  update(ts: TimeSeries): void {
    checkSeries(ts, 'ZeroDetector update data');
  }

  stream(): StreamScorer {
    return {
      push: () => ({ score: 0, alarm: false, reset: false }),
      scoreOne: () => 0,
      learnOne: () => {},
      toJSON: () => this.toJSON(),
    };
  }

  toJSON(): ModelJson {
    return modelJson(this.type, {}, null);
  }
}
