/**
 * The conformance kit on every registered detector type, from the registry list itself: a new
 * detector (one folder + one registry line) is checked without a new test file.
 */
import { expect, it } from 'vitest';
import { DETECTORS, loadModel, registeredTypes } from '../../src/detectors/index.js';
import { TsadError } from '../../src/index.js';
import { runKit } from './kit.js';

/** Types the kit does not run on (and why). Empty: every registered detector conforms. */
const OPT_OUT: readonly string[] = [];

for (const entry of DETECTORS) {
  if (OPT_OUT.includes(entry.type)) continue;
  runKit(
    { name: `${entry.type} (registry example)`, make: entry.example },
    {
      seeded: entry.seeded,
      numRuns: 10,
      // the sweep over every type; the per-detector files fuzz the same model files 300 times each
      fuzzRuns: 100,
      prevIsContext: entry.prevIsContext,
      labelThreshold: entry.labelsTrainThreshold === false ? null : undefined,
      ...(entry.kitTrainLength !== undefined ? { trainLength: entry.kitTrainLength } : {}),
    },
  );
}

it('the registry lists every built-in type once, and the example builds its own type', () => {
  const types = DETECTORS.map((e) => e.type);
  expect(new Set(types).size).toBe(types.length);
  expect(registeredTypes().slice(0, types.length)).toEqual(types);
  for (const e of DETECTORS) expect(e.example().type).toBe(e.type);
  expect(OPT_OUT).toEqual([]);
});

// ≈ 20 s on a quiet machine; 109 s when the CI machine was shared with three benches (timed out at 60 s)
it('every number of every registered model file, set to the smallest or largest double, scores finitely or throws a TsadError', {
  timeout: 300_000,
}, () => {
  // The kit's fuzz meets these values only by chance: a scale or decision level of 5e-324 once made a
  // calibrator tail and a change-point score overflow to Infinity.
  const n = 600;
  const t = Float64Array.from({ length: n }, (_, i) => i * 60_000);
  const v = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 5) + 0.1 * Math.sin(i * 1.7));
  const train = { t: t.subarray(0, 400), v: v.subarray(0, 400) };
  const test = { t: t.subarray(400), v: v.subarray(400) };
  const bad: string[] = [];
  let cases = 0;
  for (const e of DETECTORS) {
    const d = e.example();
    d.train(train);
    const file = JSON.parse(JSON.stringify(d.toJSON())) as unknown;
    const visit = (x: unknown, path: string, depth: number): void => {
      if (depth > 8 || x === null || typeof x !== 'object') return;
      const o = x as Record<string, unknown>;
      const keys = Array.isArray(x)
        ? x.length <= 4
          ? x.map((_, i) => String(i))
          : ['0', '1', String(x.length >> 1), String(x.length - 1)]
        : Object.keys(o);
      for (const k of keys) {
        const old = o[k];
        if (typeof old !== 'number') {
          visit(old, `${path}.${k}`, depth + 1);
          continue;
        }
        for (const value of [5e-324, -5e-324, 1e308, -1e308]) {
          o[k] = value;
          cases++;
          try {
            const s = loadModel(file).score(test, { prev: train });
            if (!s.v.every(Number.isFinite))
              bad.push(`${e.type}${path}.${k} = ${value}: a score is not finite`);
          } catch (err) {
            if (!(err instanceof TsadError)) bad.push(`${e.type}${path}.${k} = ${value}: ${String(err)}`);
          }
        }
        o[k] = old;
      }
    };
    visit(file, '', 0);
  }
  expect(cases).toBeGreaterThan(1000);
  expect(bad).toEqual([]);
});
