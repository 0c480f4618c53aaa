/**
 * Model files of the default detector written before round 10c (docs/evaluation.md), which added the
 * seasonal-change member: they load and score exactly as the build that wrote them did.
 *
 * fixtures/default-2fe62ce.json was written by tsad's main branch at commit 2fe62ce (before the member
 * existed), not by this build: `defaultDetector({ seed: 7 })` trained on the first 200 points of
 * `syntheticSeries(320, 5)`, the other 120 (a level shift of +30 on points 60–119) streamed with
 * `stream().push` (`stream`, `alarms`: indices with an alarm) and scored with `score(test, { prev:
 * train })` (`batch`). The expected numbers are that build's output, stored beside its model file.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultDetector, Ensemble, loadModel } from '../../src/detectors/index.js';
import { syntheticSeries } from '../../src/testing/index.js';

interface Fixture {
  test: { t: number[]; v: number[] };
  stream: number[];
  alarms: number[];
  batch: number[];
  model: { config: { members: { type: string }[] } };
}

/**
 * The file a default trained today writes, against an old build's: the same config, structure and values,
 * except the numbers the ETS member's fit produces (its parameters, states and criteria, and the
 * ensemble's calibrator anchors on its training scores), which ETS gradient round 40's exact gradient
 * moves in the 4th–8th digit (docs/evaluation.md): those within 1e-3, relative.
 */
function expectSameFileUpToEtsFit(got: unknown, want: unknown): void {
  const fit =
    /\/state\/model\/(params|mse|llf|aic|aicc|bic|candidates\/\d+|trainEnd|live)\/|\/memberCalibrators\/\d+\/anchorsX\//;
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
      expect(Object.keys(a).sort(), path).toEqual(Object.keys(b).sort());
      for (const k of Object.keys(b))
        walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}/${k}`);
    } else if (!Object.is(a, b)) {
      expect(fit.test(`${path}/`), `${path}: ${String(a)} against ${String(b)}`).toBe(true);
      expect(typeof a === 'number' && typeof b === 'number', path).toBe(true);
      expect(Math.abs((a as number) - (b as number)), path).toBeLessThanOrEqual(1e-3 * Math.abs(b as number));
    }
  };
  walk(got, want, '');
}

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/default-2fe62ce.json', import.meta.url), 'utf8'),
) as Fixture;

describe('default model files written before the seasonal-change member', () => {
  it('hold the two-part default (the mean and the flat-line member)', () => {
    expect(fixture.model.config.members.map((m) => m.type)).toEqual(['Ensemble', 'FlatLineDetector']);
  });

  it('stream to the very scores and alarms the old build gave', () => {
    const d = loadModel(fixture.model);
    expect(d).toBeInstanceOf(Ensemble);
    const s = d.stream();
    const alarms: number[] = [];
    for (let i = 0; i < fixture.test.t.length; i++) {
      const r = s.push(fixture.test.t[i], fixture.test.v[i]);
      if (!Object.is(r.score, fixture.stream[i]))
        expect.fail(`point ${i}: ${r.score} against ${fixture.stream[i]}`);
      if (r.alarm) alarms.push(i);
    }
    expect(alarms).toEqual(fixture.alarms);
    expect(alarms.length).toBeGreaterThan(0);
  });

  it('score a batch to the very scores the old build gave, and save back to the same file', () => {
    const d = loadModel(fixture.model);
    const all = syntheticSeries(320, 5);
    const train = { t: all.t.slice(0, 200), v: all.v.slice(0, 200) };
    expect(Array.from(train.t.slice(-1))[0]).toBeLessThan(fixture.test.t[0]);
    const got = d.score(fixture.test, { prev: train }).v;
    expect(Array.from(got)).toEqual(fixture.batch);
    expect(JSON.parse(JSON.stringify(d.toJSON()))).toEqual(fixture.model);
  });

  it("defaultDetector({ seasonal: false }) without round 12c's lone-alarm paths (nor round 44's daily harmonic), trained on the same data, writes the same file (the ETS fit's numbers within 1e-3)", () => {
    const all = syntheticSeries(320, 5);
    const d = defaultDetector({
      seed: 7,
      seasonal: false,
      etsAlone: false,
      threshold: { strongThreshold: undefined, countPoints: undefined },
      drift: false,
      zms: { dailyHarmonics: undefined },
    });
    d.train({ t: all.t.slice(0, 200), v: all.v.slice(0, 200) });
    expectSameFileUpToEtsFit(JSON.parse(JSON.stringify(d.toJSON())), fixture.model);
  });

  it('a default trained today carries the member: four parts (the level-drift member since round 19a)', () => {
    const d = defaultDetector({ seed: 7 });
    expect(d.config.members.map((m) => m.type)).toEqual([
      'Ensemble',
      'FlatLineDetector',
      'SeasonalChangeDetector',
      'LevelDriftDetector',
    ]);
  });
});

/**
 * fixtures/default-8151642.json: the same recipe written by tsad's main branch at commit 8151642
 * (after round 10c, before round 12c's lone-alarm paths): the three-part default without
 * `strongThreshold` in its rule and with the plain mean. Its model file keeps that config, so it must
 * load and score as that build did, and `BEFORE_12C`'s options must still write it.
 */
const fixture12 = JSON.parse(
  readFileSync(new URL('./fixtures/default-8151642.json', import.meta.url), 'utf8'),
) as Fixture;

describe('default model files written before round 12c', () => {
  it('hold the three-part default without the lone-alarm paths', () => {
    expect(fixture12.model.config.members.map((m) => m.type)).toEqual([
      'Ensemble',
      'FlatLineDetector',
      'SeasonalChangeDetector',
    ]);
    const text = JSON.stringify(fixture12.model);
    expect(text).not.toContain('strongThreshold');
    expect(text).not.toContain('"alone"');
  });

  it('stream and score a batch to the very numbers the old build gave, and save back to the same file', () => {
    const d = loadModel(fixture12.model);
    const s = d.stream();
    const alarms: number[] = [];
    for (let i = 0; i < fixture12.test.t.length; i++) {
      const r = s.push(fixture12.test.t[i], fixture12.test.v[i]);
      if (!Object.is(r.score, fixture12.stream[i]))
        expect.fail(`point ${i}: ${r.score} against ${fixture12.stream[i]}`);
      if (r.alarm) alarms.push(i);
    }
    expect(alarms).toEqual(fixture12.alarms);
    const all = syntheticSeries(320, 5);
    const train = { t: all.t.slice(0, 200), v: all.v.slice(0, 200) };
    const again = loadModel(fixture12.model);
    expect(Array.from(again.score(fixture12.test, { prev: train }).v)).toEqual(fixture12.batch);
    expect(JSON.parse(JSON.stringify(again.toJSON()))).toEqual(fixture12.model);
  });

  it("defaultDetector() without round 12c's paths (nor later members, late arming and the daily harmonic), trained on the same data, writes the same file (the ETS fit's numbers within 1e-3)", () => {
    const all = syntheticSeries(320, 5);
    const d = defaultDetector({
      seed: 7,
      etsAlone: false,
      threshold: { strongThreshold: undefined, countPoints: undefined },
      drift: false,
      seasonal: { late: undefined },
      zms: { dailyHarmonics: undefined },
    });
    d.train({ t: all.t.slice(0, 200), v: all.v.slice(0, 200) });
    expectSameFileUpToEtsFit(JSON.parse(JSON.stringify(d.toJSON())), fixture12.model);
  });
});
