/**
 * The conformance kit on every registered detector type, from the registry list itself: a new
 * detector (one folder + one registry line) is checked without a new test file.
 */
import { expect, it } from 'vitest';
import { DETECTORS, registeredTypes } from '../../src/detectors/index.js';
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
