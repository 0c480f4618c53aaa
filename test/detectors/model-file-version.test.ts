/**
 * A model file written by a later tsad (envelope `version` above 1) is refused as `newer_state` with a
 * message that says to upgrade; before, it was a `bad_field` "expected 1".
 */
import { describe, expect, it } from 'vitest';
import { loadModel, ModelFormatError, ZmsDetector } from '../../src/index.js';

describe('model file format version', () => {
  const d = new ZmsDetector();
  d.train({
    t: Array.from({ length: 50 }, (_, i) => i * 60_000),
    v: Array.from({ length: 50 }, (_, i) => Math.sin(i / 3)),
  });
  const file = JSON.parse(JSON.stringify(d.toJSON())) as Record<string, unknown>;

  it('a later format version is newer_state, naming both versions and what to do', () => {
    let err: unknown;
    try {
      loadModel({ ...file, version: 2 } as Parameters<typeof loadModel>[0]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as ModelFormatError).code).toBe('newer_state');
    expect((err as Error).message).toMatch(/version 2 is newer than this tsad reads \(1\); upgrade tsad/);
  });

  it('a version that is not a number, or an older one, stays bad_field', () => {
    for (const version of ['1', 0, 1.5]) {
      expect(() => loadModel({ ...file, version } as Parameters<typeof loadModel>[0])).toThrow(
        expect.objectContaining({ code: 'bad_field' }),
      );
    }
  });
});
