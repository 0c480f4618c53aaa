/**
 * Every error a stream raises names its times one way: ISO 8601 in UTC (`t=2024-01-01T00:05:00.000Z`),
 * as the value checks (`value_too_large`), the training errors and the command line already did, never
 * bare epoch milliseconds (docs/detectors.md, Streaming). A time that is no date (NaN, ±Infinity) is
 * named as the number it is.
 */
import { describe, expect, it } from 'vitest';
import { DetectorError, EtsDetector, RandomCutForest, ZmsDetector } from '../../src/index.js';

const T0 = Date.UTC(2024, 0, 1);
const STEP = 60_000;
const N = 400;

function train(): { t: Float64Array; v: Float64Array } {
  const t = new Float64Array(N);
  const v = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    t[i] = T0 + i * STEP;
    v[i] = 10 + Math.sin(i / 7) + ((i * 7919) % 13) / 20;
  }
  return { t, v };
}

function messageOf(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DetectorError);
    return { code: (e as DetectorError).code, message: (e as Error).message };
  }
  throw new Error('expected the push to throw');
}

/** The message names times only as ISO 8601 (no 12-digit-or-longer epoch number). */
function expectIsoTimes(m: { code: string; message: string }, code: string, times: string[]): void {
  expect(m.code).toBe(code);
  expect(m.message, m.message).not.toMatch(/\d{12,}/);
  for (const iso of times) expect(m.message).toContain(`t=${iso}`);
}

describe('stream errors name times as ISO 8601', () => {
  const ts = train();
  const last = ts.t[N - 1];
  const iso = (ms: number) => new Date(ms).toISOString();

  it('bad_time, non_finite (ZMS), gap (ETS, gap policy error), value_too_large (RandomCutForest)', () => {
    const z = new ZmsDetector();
    z.train(ts);
    const s = z.stream();
    expectIsoTimes(
      messageOf(() => s.push(T0, 1)),
      'bad_time',
      [iso(T0), iso(last)],
    );
    expectIsoTimes(
      messageOf(() => s.push(last + STEP, Number.NaN)),
      'non_finite',
      [iso(last + STEP)],
    );
    const e = new EtsDetector();
    e.train(ts);
    const far = last + 1e11;
    expectIsoTimes(
      messageOf(() => e.stream({ gap: 'error' }).push(far, 10)),
      'gap',
      [iso(far)],
    );
    const f = new RandomCutForest({ nEstimators: 5, maxNSamples: 64 });
    f.train(ts);
    // the forest's stream check names the pushed point's time (the shingle ending at it)
    expectIsoTimes(
      messageOf(() => f.stream().push(last + STEP, 1e300)),
      'value_too_large',
      [iso(last + STEP)],
    );
  });

  it('a time in epoch seconds gets the hint to multiply by 1000 (as tsad serve gives)', () => {
    const z = new ZmsDetector();
    z.train(ts);
    const m = messageOf(() => z.stream().push(1.7e9, 1));
    expect(m.code).toBe('bad_time');
    expect(m.message).toContain('multiply epoch seconds by 1000');
    expect(m.message).toContain(`t=${iso(1.7e9)}`);
    // a time that is merely too early (epoch ms) gets no such hint
    expect(messageOf(() => z.stream().push(T0, 1)).message).not.toContain('epoch seconds');
  });

  it('a time that is no date is named as its number', () => {
    const z = new ZmsDetector();
    z.train(ts);
    const m = messageOf(() => z.stream().push(Number.POSITIVE_INFINITY, 1));
    expect(m.code).toBe('bad_time');
    expect(m.message).toContain('t=Infinity');
    expect(m.message).toContain(`t=${iso(last)}`);
  });
  it('a time beyond the range a Date can hold is refused (bad_time) and leaves the stream as it was', () => {
    // taken, it would become the stream's last time and every later point would be refused
    for (const det of [new ZmsDetector(), new RandomCutForest({ nEstimators: 5, maxNSamples: 64 })]) {
      det.train(ts);
      const s = det.stream();
      for (const t of [1e20, 8.64e15 + 1, -1e20]) {
        const m = messageOf(() => s.push(t, 1));
        expect(m.code).toBe('bad_time');
        expect(m.message).toMatch(/outside the range a Date can hold/);
      }
      expect(messageOf(() => s.push(1.7e18, 1)).message).toMatch(/microseconds or nanoseconds/);
      expect(() => s.push(last + STEP, 10)).not.toThrow();
    }
    // a series given as typed arrays (no series() check on the way in) is refused the same way
    const far = { t: Float64Array.from(ts.t), v: ts.v };
    far.t[N - 1] = 1e20;
    expect(messageOf(() => new ZmsDetector().train(far)).message).toMatch(
      /index 399.*outside the range a Date can hold/,
    );
  });
});
