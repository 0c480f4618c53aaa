/**
 * An ensemble holding a third-party detector: a minimal class that implements the public `Detector`
 * interface from scratch (no tsad base class), next to a tsad detector. The ensemble trains it,
 * scores it, streams it atomically, saves it and (once its type is registered) loads it back.
 */
import { describe, expect, it } from 'vitest';
import type {
  AlarmEvent,
  Detector,
  ModelJson,
  SeriesLike,
  StreamResult,
  StreamScorer,
} from '../../src/detectors/index.js';
import { registerDetector } from '../../src/detectors/index.js';
import { DetectorError, Ensemble, loadModel, ZmsDetector } from '../../src/index.js';
import type { TimeSeries } from '../../src/series/index.js';
import { series } from '../../src/series/index.js';
import { syntheticSeries } from '../../src/testing/index.js';

const TYPE = 'ThirdPartyDeviation';

/** |v − mean| / sd of the training data; refuses values above `limit` (to test atomic pushes). */
class Deviation implements Detector<{ limit: number }> {
  readonly type = TYPE;
  mean = Number.NaN;
  sd = Number.NaN;
  lastT = Number.NEGATIVE_INFINITY;
  constructor(readonly config: { limit: number } = { limit: 1e6 }) {}

  private asTs(x: SeriesLike): TimeSeries {
    return x.t instanceof Float64Array && x.v instanceof Float64Array
      ? (x as TimeSeries)
      : series(x.t, x.v as ArrayLike<number>);
  }

  private check(t: number, v: number): void {
    if (!Number.isFinite(this.mean)) throw new DetectorError('not_trained', 'train first');
    if (!(t > this.lastT)) throw new DetectorError('bad_time', `t=${t} is not after ${this.lastT}`);
    if (!(Math.abs(v) <= this.config.limit))
      throw new DetectorError('non_finite', `value ${v} is beyond the limit`);
  }

  private one(v: number): number {
    return Math.abs(v - this.mean) / this.sd;
  }

  train(x: SeriesLike): TimeSeries {
    const ts = this.asTs(x);
    let s = 0;
    for (const v of ts.v) s += v;
    this.mean = s / ts.v.length;
    let q = 0;
    for (const v of ts.v) q += (v - this.mean) ** 2;
    this.sd = Math.sqrt(q / ts.v.length) || 1;
    this.lastT = ts.t[ts.t.length - 1];
    return this.detect(ts).scores;
  }

  score(x: SeriesLike): TimeSeries {
    const ts = this.asTs(x);
    if (!Number.isFinite(this.mean)) throw new DetectorError('not_trained', 'train first');
    return { t: ts.t, v: ts.v.map((v) => this.one(v)) };
  }

  detect(x: SeriesLike): { scores: TimeSeries; alarms: AlarmEvent[] } {
    const s = this.score(x);
    const v = s.v.map((x) => (x >= 3 ? x : 0));
    const alarms: AlarmEvent[] = [];
    for (let i = 0; i < v.length; i++) if (v[i] !== 0) alarms.push({ t: s.t[i], score: v[i] });
    return { scores: { t: s.t, v }, alarms };
  }

  update(x: SeriesLike): void {
    const ts = this.asTs(x);
    if (ts.t.length) this.lastT = ts.t[ts.t.length - 1];
  }

  stream(): StreamScorer {
    const own = Deviation.fromJSON(this.toJSON());
    return {
      push: (t, v): StreamResult => {
        own.check(t, v);
        own.lastT = t;
        const score = own.one(v);
        return { score, alarm: score >= 3, reset: false };
      },
      scoreOne: (t, v) => {
        own.check(t, v);
        return own.one(v);
      },
      learnOne: (t, v) => {
        own.check(t, v);
        own.lastT = t;
      },
      toJSON: () => own.toJSON(),
    };
  }

  toJSON(): ModelJson {
    return {
      format: 'tsad-model',
      version: 1,
      type: TYPE,
      config: { ...this.config },
      state: { mean: this.mean, sd: this.sd, lastT: Number.isFinite(this.lastT) ? this.lastT : null },
    };
  }

  static fromJSON(j: { config: unknown; state: unknown }): Deviation {
    const d = new Deviation(j.config as { limit: number });
    const s = j.state as { mean: number; sd: number; lastT: number | null };
    d.mean = s.mean;
    d.sd = s.sd;
    d.lastT = s.lastT ?? Number.NEGATIVE_INFINITY;
    return d;
  }
}

registerDetector(TYPE, (config, state) => Deviation.fromJSON({ config, state }));

const train = syntheticSeries(400, 3);
const rest = syntheticSeries(520, 3);
const test = { t: rest.t.subarray(400), v: rest.v.subarray(400) };

function make(limit = 1e6): Ensemble {
  return new Ensemble(
    { members: [new ZmsDetector({ nLags: 2 }), new Deviation({ limit })] },
    { onWarning: () => {} },
  );
}

describe('an ensemble holding a third-party Detector', () => {
  it('trains both members, and a stream gives score()’s numbers', () => {
    const e = make();
    e.train(train);
    expect(e.usedMembers).toEqual([0, 1]);
    const batch = e.score(test);
    // the third-party member's scores move the ensemble's: not ZMS alone
    const zms = new ZmsDetector({ nLags: 2 });
    zms.train(train);
    expect(Array.from(batch.v)).not.toEqual(Array.from(zms.score(test).v));
    const st = e.stream();
    const streamed = Array.from(test.t, (t, i) => st.push(t, test.v[i]).score);
    expect(streamed).toEqual(Array.from(batch.v));
    // pure scoring
    expect(Array.from(e.score(test).v)).toEqual(Array.from(batch.v));
  });

  it('a point the third-party member refuses changes no member, and the stream keeps working', () => {
    const e = make(500);
    e.train(train);
    const a = e.stream();
    const b = e.stream();
    for (let i = 0; i < 20; i++) {
      const t = test.t[i];
      const v = test.v[i];
      if (i === 10) {
        // the ZMS member accepts 1e4, the third-party one refuses it: nothing changes anywhere
        expect(() => a.push(t, 1e4)).toThrow(DetectorError);
      }
      expect(a.push(t, v)).toEqual(b.push(t, v));
    }
  });

  it('saves and loads back (its type registered), and the loaded stream continues bit for bit', () => {
    const e = make();
    e.train(train);
    const st = e.stream();
    for (let i = 0; i < 30; i++) st.push(test.t[i], test.v[i]);
    const resumed = loadModel(JSON.parse(JSON.stringify(st.toJSON()))).stream();
    for (let i = 30; i < test.t.length; i++)
      expect(resumed.push(test.t[i], test.v[i])).toEqual(st.push(test.t[i], test.v[i]));
  });

  it('refuses an object that is not a Detector, naming the member', () => {
    expect(
      () => new Ensemble({ members: [new ZmsDetector(), { type: 'x' } as unknown as Detector] }),
    ).toThrow(/members\.1: expected a detector/);
  });
});
