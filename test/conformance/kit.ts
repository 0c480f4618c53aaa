/** Runs the shipped conformance kit (`tsad/testing`) as vitest tests. */
import type fc from 'fast-check';
import { describe, it } from 'vitest';
import type { Detector } from '../../src/detectors/index.js';
import { checkDetector, type KitOptions, type KitSpec } from '../../src/testing/index.js';

export function runKit(spec: KitSpec, options: KitOptions = {}): void {
  describe(`detector conformance: ${spec.name}`, () => {
    for (const c of checkDetector(spec, options)) it(c.name, () => c.run(), 120_000);
  });
}

/** The per-detector form: a name, a factory and random config overrides. */
export function runDetectorConformance(
  name: string,
  make: (overrides?: Record<string, unknown>) => Detector,
  opts: KitOptions & { configArb?: fc.Arbitrary<Record<string, unknown>> } = {},
): void {
  const { configArb, ...rest } = opts;
  runKit({ name, make, configArb }, rest);
}
