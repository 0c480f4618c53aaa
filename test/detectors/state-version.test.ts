/**
 * Model-file state versions: a hand-written version-1 state (before stream checkpoints: no
 * stateVersion, lastT or alarm) loads through the base migration; newer or malformed versions are
 * refused with a ModelFormatError naming `state.stateVersion`.
 */
import { describe, expect, it } from 'vitest';
import { loadModel, ModelFormatError, NabStreamDetector, RollingMad } from '../../src/index.js';

const T0 = Date.UTC(2024, 0, 1);
const config = {
  seed: 0,
  enableCalibrator: false,
  enableThreshold: true,
  maxScore: 1000,
  threshold: { type: 'threshold', almThreshold: 2, absScore: true },
  postRuleTrain: { maxEarlySec: null, maxDelaySec: null, minAllowedScore: null, retrainCalibrator: false },
  window: 3,
  minRelScale: 0.000001,
};
const body = {
  trained: true,
  calibrator: { maxScore: 1000, anchorsX: [], anchorsY: [] },
  threshold: { almThreshold: 2.5 },
  transforms: [],
  tail: { t: [], v: [] },
  model: { window: [3, 1, 2] },
};
const file = (state: Record<string, unknown>) => ({
  format: 'tsad-model',
  version: 1,
  type: 'RollingMad',
  config,
  state,
});
/** What a model file looked like before state versions (and stream checkpoints). */
const v1 = file(body);
/** The same model written today. */
const v2 = file({ stateVersion: 2, ...body, lastT: '-Infinity', alarm: null });

describe('state versions', () => {
  it('a version-1 state migrates to the current version and scores like the current file', () => {
    const old = loadModel(v1);
    expect(old).toBeInstanceOf(RollingMad);
    const cur = loadModel(v2);
    expect(old.toJSON()).toEqual(cur.toJSON());
    const state = old.toJSON().state as Record<string, unknown>;
    expect(state.stateVersion).toBe(2);
    expect(state.lastT).toBe('-Infinity');
    const x = { t: [0, 1, 2, 3, 4].map((i) => T0 + i * 60_000), v: [1, 9, 2, 2, 1] };
    expect(Array.from(old.score(x).v)).toEqual(Array.from(cur.score(x).v));
  });

  it('refuses a state newer than this version reads, and a malformed version', () => {
    const cases: [unknown, RegExp][] = [
      [3, /state version 3 is newer than this tsad reads \(versions 1 to 2\): .*upgrade tsad/],
      [0, /state version 0 is not one this tsad reads \(versions 1 to 2\).*train the model again/],
      ['2', /state version "2" is not one this tsad reads \(versions 1 to 2\)/],
    ];
    const codes = ['newer_state', 'unsupported_version', 'unsupported_version'];
    for (const [i, [v, msg]] of cases.entries()) {
      let err: unknown;
      try {
        loadModel(file({ ...(v2.state as object), stateVersion: v }));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ModelFormatError);
      expect((err as Error).message).toMatch(/state\.stateVersion/);
      expect((err as Error).message).toMatch(msg);
      expect((err as ModelFormatError).code).toBe(codes[i]);
    }
  });
});

describe('NabStreamDetector files written before it ran on the spec runtime', () => {
  const nabConfig = { historyWindow: 200, zWindow: 100, learningPeriod: 50 };
  const train = {
    t: Array.from({ length: 300 }, (_, i) => T0 + i * 60_000),
    v: Array.from({ length: 300 }, (_, i) => Math.sin(i / 7) + (i % 90 === 0 ? 4 : 0)),
  };
  const next = {
    t: Array.from({ length: 40 }, (_, i) => T0 + (300 + i) * 60_000),
    v: Array.from({ length: 40 }, (_, i) => Math.sin((300 + i) / 7) + (i === 20 ? 5 : 0)),
  };

  it('a legacy { core, lastT } state (config without the runtime fields) loads and scores like the current file', () => {
    const det = new NabStreamDetector(nabConfig);
    det.train(train);
    const cur = det.toJSON();
    const model = (cur.state as { model: { core: unknown } }).model;
    // what NabStreamDetector wrote before: its own config fields and { core, lastT }
    const legacy = {
      format: 'tsad-model',
      version: 1,
      type: 'NabStreamDetector',
      config: Object.fromEntries(Object.entries(cur.config).filter(([k]) => !(k in config))),
      state: { core: model.core, lastT: train.t[train.t.length - 1] },
    };
    const old = loadModel(legacy);
    expect(old).toBeInstanceOf(NabStreamDetector);
    expect(old.toJSON()).toEqual(cur);
    const a = det.stream();
    const b = old.stream();
    for (let i = 0; i < next.t.length; i++)
      expect(b.push(next.t[i], next.v[i])).toEqual(a.push(next.t[i], next.v[i]));
  });

  it('a legacy null state is an untrained model', () => {
    const d = loadModel({
      format: 'tsad-model',
      version: 1,
      type: 'NabStreamDetector',
      config: nabConfig,
      state: null,
    });
    expect(d).toBeInstanceOf(NabStreamDetector);
    expect(() => d.score(next)).toThrow(/call train\(\) before scoring/);
  });
});
