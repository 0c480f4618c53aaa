/**
 * Alarm settings the runtime cannot use are refused where configs are parsed (fix29, issue 13): a
 * negative `almThreshold` on absolute scores (`absScore`, the default) would make every point an
 * alarm, since the rule compares |score| with it. The same level on signed scores (`absScore: false`)
 * stays valid, and every model tsad writes still loads to the same file.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AggregateAlarms, Threshold } from '../../src/detectors/index.js';
import { ConfigError, defaultDetector, loadModel, ZmsDetector } from '../../src/index.js';

type File = Parameters<typeof loadModel>[0];
const t = Array.from({ length: 300 }, (_, i) => Date.UTC(2024, 0, 1) + i * 60_000);
const v = t.map((_, i) => Math.sin(i / 5) + (i === 250 ? 6 : 0));
// biome-ignore lint/suspicious/noExplicitAny: a model file edited by hand, field by field
const json = (d: { toJSON(): unknown }) => JSON.parse(JSON.stringify(d.toJSON())) as Record<string, any>;

function refusedConfig(make: () => unknown, pattern: RegExp): void {
  let err: unknown;
  try {
    make();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as ConfigError).code).toBe('bad_config');
  expect((err as Error).message).toMatch(pattern);
}

const WHY =
  /almThreshold: -[\d.e-]+ is below 0 while absScore is true: .*every point would alarm.*absScore: false/;

describe('a negative almThreshold on absolute scores', () => {
  it('is refused in a detector config, for both rule types, naming the field and the fix', () => {
    for (const almThreshold of [-1, -1e-9]) {
      refusedConfig(
        () => new ZmsDetector({ threshold: { type: 'aggregateAlarms', almThreshold } }),
        /threshold\.almThreshold: /,
      );
      refusedConfig(() => new ZmsDetector({ threshold: { type: 'threshold', almThreshold } }), WHY);
    }
    refusedConfig(() => defaultDetector({ threshold: { almThreshold: -0.5 } }), WHY);
  });

  it('is refused when the rule is built directly', () => {
    refusedConfig(() => new Threshold(-1, true), WHY);
    refusedConfig(() => new Threshold(-1), WHY);
    refusedConfig(() => new AggregateAlarms({ almThreshold: -2 }), WHY);
  });

  it('is refused in a model file whose config holds one (a hand edit, or a file of tsad 0.1 before fix29)', () => {
    const neg = json(new ZmsDetector());
    neg.config.threshold.almThreshold = -1;
    let err: unknown;
    try {
      loadModel(neg as File);
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toMatch(WHY);
  });

  it('on signed scores (absScore: false) a negative level stays valid, trains and round-trips', () => {
    const d = new ZmsDetector({ threshold: { type: 'aggregateAlarms', almThreshold: -1, absScore: false } });
    d.train({ t, v });
    expect(json(loadModel(json(d) as File))).toEqual(json(d));
    expect(new Threshold(-1, false).almThreshold).toBe(-1);
  });

  it('every level ≥ 0 (or null) is taken, and its trained model loads to the same file', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(null), fc.constant(0), fc.double({ min: 0, max: 50, noNaN: true })),
        fc.constantFrom('aggregateAlarms' as const, 'threshold' as const),
        (almThreshold, type) => {
          const d = new ZmsDetector({ threshold: { type, almThreshold } });
          d.train({ t, v });
          const f = json(d);
          expect(json(loadModel(f as File))).toEqual(f);
        },
      ),
      { numRuns: 30 },
    );
  });
});
