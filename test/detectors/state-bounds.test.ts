/**
 * A hand-edited model state holding values the runtime cannot hold is refused at load (usab28, issue 17):
 * a `state.lastT` beyond what a `Date` can hold (±8.64e15 ms, as `bad_time` refuses in a stream), and a
 * negative alarm threshold on absolute scores (every point would alarm; no training writes one, and
 * no config may ask for one: alarm-settings.test.ts). Every file tsad writes still loads to the same JSON.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultDetector, loadModel, ModelFormatError, ZmsDetector } from '../../src/index.js';

type File = Parameters<typeof loadModel>[0];
const t = Array.from({ length: 300 }, (_, i) => Date.UTC(2024, 0, 1) + i * 60_000);
const v = t.map((_, i) => Math.sin(i / 5) + (i === 250 ? 6 : 0));

const zms = new ZmsDetector();
zms.train({ t, v });
const dflt = defaultDetector();
dflt.train({ t, v });
// biome-ignore lint/suspicious/noExplicitAny: a model file edited by hand, field by field
const json = (d: { toJSON(): unknown }) => JSON.parse(JSON.stringify(d.toJSON())) as Record<string, any>;

function refused(file: unknown, pattern: RegExp): void {
  let err: unknown;
  try {
    loadModel(file as File);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ModelFormatError);
  expect((err as ModelFormatError).code).toBe('bad_field');
  expect((err as Error).message).toMatch(pattern);
}

describe('state values the runtime cannot hold are refused at load', () => {
  it('state.lastT beyond ±8.64e15 ms (1e300, 8.64e15 + 1) is bad_field naming the field and the range', () => {
    for (const lastT of [1e300, 8.64e15 + 1]) {
      const f = json(zms);
      f.state.lastT = lastT;
      refused(f, /state\.lastT: timestamp .* ms is outside the range a Date can hold \(±8\.64e15 ms/);
    }
    // an Ensemble's members are checked the same way
    const e = json(dflt);
    e.state.members[0].state.lastT = 1e300;
    refused(e, /lastT: timestamp .* outside the range a Date can hold/);
  });

  it('a negative almThreshold on absolute scores is bad_field', () => {
    const f = json(zms);
    f.state.threshold.almThreshold = -1;
    refused(f, /state\.threshold\.almThreshold: -1 is below 0, .*every point would alarm/);
    const e = json(dflt);
    e.state.threshold.almThreshold = -0.5;
    refused(e, /state\.threshold\.almThreshold: -0\.5 is below 0/);
    // a config cannot ask for one either (fix29): alarm-settings.test.ts
  });

  it('every model tsad writes loads to the same file (lastT anywhere in the Date range, -Infinity before a point)', () => {
    expect(json(loadModel(json(zms) as File))).toEqual(json(zms));
    expect(json(loadModel(json(dflt) as File))).toEqual(json(dflt));
    const untrained = json(new ZmsDetector());
    expect(json(loadModel(untrained as File))).toEqual(untrained);
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15 + 1e9, max: 8.64e15 - 1e9 }), (t0) => {
        const d = new ZmsDetector();
        const tt = Array.from({ length: 60 }, (_, i) => t0 + i * 1000);
        d.train({ t: tt, v: tt.map((_, i) => Math.sin(i)) });
        const f = json(d);
        expect(json(loadModel(f as File))).toEqual(f);
      }),
      { numRuns: 25 },
    );
  });
});
