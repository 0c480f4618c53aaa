/**
 * Forest round 40 of docs/evaluation.md: lab recipes `defaultTrees16`, `defaultTrees12` and
 * `defaultTrees10` are `defaultDetector()` with that many trees in its forest member and nothing else
 * changed, mapped as `default` is.
 */
import { describe, expect, it } from 'vitest';
import { defaultDetector } from '../../src/index.js';
import { makeDetector, recipeMapping } from '../../src/internal.js';

type Json = { type: string; config: Record<string, unknown> & { members?: Json[] } };

/** The forest member's config inside a default's config: the mean's second member. */
function forest(d: { toJSON(): unknown }): Record<string, unknown> {
  const outer = (d.toJSON() as Json).config.members as Json[];
  const mean = outer[0].config.members as Json[];
  expect(mean[1].type).toBe('RandomCutForest');
  return mean[1].config;
}

/** Sets every `nEstimators: from` in a JSON tree to `to`; returns how many it set. */
function setCounts(x: unknown, from: number, to: number): number {
  if (x === null || typeof x !== 'object') return 0;
  let k = 0;
  const o = x as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (key === 'nEstimators' && o[key] === from) {
      o[key] = to;
      k++;
    } else k += setCounts(o[key], from, to);
  }
  return k;
}

describe('forest round 40 recipes', () => {
  it.each([
    ['defaultTrees16', 16],
    ['defaultTrees12', 12],
    ['defaultTrees10', 10],
  ] as const)('%s is the default with %i trees, every other setting the same', (name, n) => {
    for (const seed of [0, 2]) {
      const got = makeDetector(name, { seed });
      const want = defaultDetector({ seed });
      const base = forest(want).nEstimators as number;
      expect(base).not.toBe(n);
      expect(forest(got).nEstimators).toBe(n);
      expect(forest(got).seed).toBe(seed);
      const wantWith = defaultDetector({ seed, rcf: { nEstimators: n } });
      expect(got.toJSON()).toEqual(wantWith.toJSON());
      // the only difference from the default is the forest's count (in its config and in the copies
      // of the members' files the untrained ensemble's state holds)
      const a = JSON.parse(JSON.stringify(got.toJSON())) as unknown;
      const b = JSON.parse(JSON.stringify(want.toJSON())) as unknown;
      expect(a).not.toEqual(b);
      expect(setCounts(a, n, base)).toBeGreaterThan(0);
      expect(a).toEqual(b);
    }
    expect(recipeMapping(name)).toBe(recipeMapping('default'));
  });
});
