import { describe, expect, it } from 'vitest';
import {
  decodeFloats,
  encodeFloats,
  IsolationForest,
  loadModel,
  registerDetector,
} from '../../src/detectors/index.js';
import { ConfigError, DetectorError, ModelFormatError } from '../../src/index.js';
import { syntheticSeries } from '../../src/testing/index.js';

const data = syntheticSeries(400);
const valid = () => {
  const d = new IsolationForest({ nEstimators: 5 });
  d.train(data);
  return JSON.parse(JSON.stringify(d.toJSON()));
};

describe('model files', () => {
  it('floats round-trip exactly, including NaN, ±Infinity and −0', () => {
    const a = Float64Array.of(
      0.1,
      -0,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      5e-324,
      1.7976931348623157e308,
    );
    const b = decodeFloats(JSON.parse(JSON.stringify(encodeFloats(a))), 'x');
    for (let i = 0; i < a.length; i++) expect(Object.is(a[i], b[i])).toBe(true);
  });
  it('has the envelope { format, version, type, config, state }', () => {
    const j = valid();
    expect(Object.keys(j)).toEqual(['format', 'version', 'type', 'config', 'state']);
    expect(j.config).toMatchObject({ nEstimators: 5, maxSamples: 256, seed: 0, maxScore: 1 });
    expect(loadModel(JSON.stringify(j)).type).toBe('IsolationForest');
    // toJSON() output can be passed directly too
    const d = new IsolationForest({ nEstimators: 3 });
    d.train(data);
    expect(JSON.stringify(loadModel(d.toJSON()).toJSON())).toBe(JSON.stringify(d.toJSON()));
  });
  it('rejects prototype keys anywhere, naming the path', () => {
    const raw = JSON.stringify(valid()).replace('"state":{', '"state":{"__proto__":{"polluted":1},');
    expect(() => loadModel(raw)).toThrow(/\$\.state: key "__proto__"/);
    const j = valid();
    j.config.constructor = { prototype: {} };
    expect(() => loadModel(j)).toThrow(ModelFormatError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  it('names the bad field', () => {
    const j = valid();
    j.config.nEstimators = -3;
    expect(() => loadModel(j)).toThrow(/config field nEstimators/);
    const k = valid();
    k.state.model.left[0] = 0;
    expect(() => loadModel(k)).toThrow(/state\.model\.left\[0\]/);
    const m = valid();
    m.version = 2;
    expect(() => loadModel(m)).toThrow(/version/);
    const u = valid();
    u.type = 'noSuchDetector';
    expect(() => loadModel(u)).toThrow(/not registered/);
    expect(() => loadModel('{not json')).toThrow(ModelFormatError);
  });
  it('wraps unexpected loader failures in ModelFormatError', () => {
    registerDetector('brokenForTest', () => {
      throw new RangeError('boom');
    });
    expect(() =>
      loadModel({ format: 'tsad-model', version: 1, type: 'brokenForTest', config: {}, state: null }),
    ).toThrow(ModelFormatError);
  });
  it('configs are validated with defaults and typed errors', () => {
    expect(new IsolationForest().config.nEstimators).toBe(100);
    expect(new IsolationForest().config.threshold).toEqual({
      type: 'aggregateAlarms',
      almThreshold: 3,
      absScore: true,
      minAlmInWindow: 2,
      almWindowMinutes: 60,
      almSuppressMinutes: 120,
    });
    expect(() => new IsolationForest({ nEstimators: 0 })).toThrow(ConfigError);
    expect(() => new IsolationForest({ nTrees: 5 } as never)).toThrow(/nTrees|Unrecognized/);
  });
  it('streams reject time going backwards and non-finite values', () => {
    const d = new IsolationForest({ nEstimators: 5 });
    d.train(data);
    const s = d.stream();
    const t = data.t[data.t.length - 1];
    expect(() => s.push(t, 1)).toThrow(DetectorError);
    expect(() => s.push(t + 1, Number.NaN)).toThrow(DetectorError);
  });
});
