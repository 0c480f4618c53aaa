import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AggregateAlarms } from '../../src/detectors/index.js';
import { ConfigError, defaultDetector, loadModel, ModelFormatError, ZmsDetector } from '../../src/index.js';
import { makeDetector } from '../../src/internal.js';

const MIN = 60_000;
const DAY = 1_440 * MIN;
const WIDEN = { untilMs: 7 * DAY, afterTrainMs: 2 * DAY, factor: 1.2 };

/** A rule with `widen` trained on scores spanning `trainDays` from time 0 (the level stays 3). */
function trained(trainDays: number, extra: ConstructorParameters<typeof AggregateAlarms>[0] = {}) {
  const rule = new AggregateAlarms({ widen: WIDEN, ...extra });
  const t = Float64Array.from([0, trainDays * DAY]);
  rule.train({ t, v: new Float64Array(2) });
  return rule;
}

/** The alarms (0/1) of a rule streamed over scores at the given times. */
function alarms(rule: AggregateAlarms, t: number[], s: number[]): number[] {
  const st = rule.streamer();
  return t.map((ti, i) => (st.push(ti, s[i]) !== 0 ? 1 : 0));
}

describe('AggregateAlarms widen (round 18b)', () => {
  it('two raw alarms of 3.3 alarm after the first week, not inside it, when training spans two days', () => {
    // two quiet points first, so that the window holds two earlier points (no relaxed start)
    const at = (d: number) => [-20, -10, 0, 10].map((m) => d * DAY + m * MIN);
    const s = [0, 0, 3.3, 3.3];
    // inside the week: 3.3 < 3 × 1.2
    expect(alarms(trained(3), at(5), s)).toEqual([0, 0, 0, 0]);
    // the same pair after the week, and inside it without the option or with a shorter training part
    expect(alarms(trained(3), at(8), s)).toEqual([0, 0, 0, 1]);
    expect(alarms(new AggregateAlarms({}), at(5), s)).toEqual([0, 0, 0, 1]);
    expect(alarms(trained(1.5), at(5), s)).toEqual([0, 0, 0, 1]);
    // 3.7 ≥ 3.6 alarms inside the week too
    expect(alarms(trained(3), at(5), [0, 0, 3.7, 3.7])).toEqual([0, 0, 0, 1]);
  });

  it('raises the strong level by the same factor: one raw alarm of 5 fires alone after the week only', () => {
    const rule = () => trained(3, { strongThreshold: 4.5 });
    const at = (d: number) => [-20, -10, 0].map((m) => d * DAY + m * MIN);
    expect(alarms(rule(), at(5), [0, 0, 5])).toEqual([0, 0, 0]);
    expect(alarms(rule(), at(5), [0, 0, 5.5])).toEqual([0, 0, 1]);
    expect(alarms(rule(), at(8), [0, 0, 5])).toEqual([0, 0, 1]);
  });

  it('property: without suppression it only removes alarms, and changes nothing when training is shorter than afterTrainMs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -8, max: 8, noNaN: true }), { minLength: 1, maxLength: 150 }),
        fc.integer({ min: 1, max: 240 }),
        fc.double({ min: 0, max: 6, noNaN: true }),
        fc.constantFrom(undefined, 4.5),
        (s, stepMin, trainDays, strong) => {
          const t = s.map((_x, i) => trainDays * DAY + (i + 1) * stepMin * MIN);
          const base = { almSuppressMinutes: 0, strongThreshold: strong };
          const plain = alarms(new AggregateAlarms(base), t, s);
          const wide = alarms(trained(trainDays, base), t, s);
          for (let i = 0; i < s.length; i++) if (wide[i] === 1) expect(plain[i]).toBe(1);
          if (trainDays < 2) expect(wide).toEqual(plain);
        },
      ),
    );
  });

  it('refuses a factor below 1 or a non-positive span, naming the field', () => {
    for (const bad of [
      { ...WIDEN, factor: 0.9 },
      { ...WIDEN, untilMs: 0 },
      { ...WIDEN, afterTrainMs: -1 },
    ]) {
      expect(() => new AggregateAlarms({ widen: bad })).toThrow(ConfigError);
      expect(() => new AggregateAlarms({ widen: bad })).toThrow(/widen/);
    }
  });

  it('keeps the training part in the rule state: a saved model streams the same alarms, a state without it is refused', () => {
    const n = 600;
    const t = Float64Array.from({ length: n }, (_x, i) => i * 10 * MIN);
    const v = Float64Array.from(t, (x, i) => Math.sin((2 * Math.PI * x) / DAY) + 0.1 * Math.sin(i * 1.7));
    const cut = 450; // 3.1 days of training
    const d = new ZmsDetector({ threshold: { type: 'aggregateAlarms', widen: WIDEN } });
    d.train({ t: t.subarray(0, cut), v: v.subarray(0, cut) });
    const json = d.toJSON();
    expect((json.state as { threshold: unknown }).threshold).toMatchObject({
      trainStart: 0,
      trainSpanMs: (cut - 1) * 10 * MIN,
    });
    const a = d.stream();
    const b = loadModel(JSON.parse(JSON.stringify(json))).stream();
    for (let i = cut; i < n; i++) {
      const x = i === 500 ? v[i] + 5 : v[i];
      expect(b.push(t[i], x)).toEqual(a.push(t[i], x));
    }
    const bad = JSON.parse(JSON.stringify(json));
    delete bad.state.threshold.trainStart;
    expect(() => loadModel(bad)).toThrow(ModelFormatError);
    expect(() => loadModel(bad)).toThrow(/trainStart/);
  });

  it('a rule without the option writes the state it wrote before (no new fields)', () => {
    const d = new ZmsDetector({});
    const t = Float64Array.from({ length: 200 }, (_x, i) => i * MIN);
    d.train({ t, v: Float64Array.from(t, (_x, i) => Math.sin(i / 7)) });
    expect(Object.keys((d.toJSON().state as { threshold: object }).threshold)).toEqual(['almThreshold']);
  });

  it('the default does not widen (round 18b not adopted); defaultWiden18 is the default with levels × 1.3 until a week', () => {
    const cfg = (x: { config: unknown }) => (x.config as { threshold: Record<string, unknown> }).threshold;
    expect(cfg(defaultDetector()).widen).toBeUndefined();
    const widened = cfg(makeDetector('defaultWiden18'));
    expect(widened.widen).toEqual({ ...WIDEN, factor: 1.3 });
    expect({ ...widened, widen: undefined }).toEqual({ ...cfg(defaultDetector()), widen: undefined });
  });
});
