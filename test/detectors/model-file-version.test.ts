/**
 * A model file written by a later tsad (envelope `version` above 1) is refused as `newer_state` with a
 * message that says to upgrade; before, it was a `bad_field` "expected 1". Any other version (0, 1.5,
 * "1": no tsad writes it) is `unsupported_version`, naming the version this tsad reads and saying to
 * train the model again (usab28: `"version": 0` got "expected 1").
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
    expect((err as Error).message).toMatch(
      /model file format version 2 is newer than this tsad reads \(version 1\): .*upgrade tsad/,
    );
  });

  it('a version that is not a number, or an older one, is unsupported_version: which version tsad reads, retrain', () => {
    for (const version of ['1', 0, 1.5, -1, null]) {
      let err: unknown;
      try {
        loadModel({ ...file, version } as Parameters<typeof loadModel>[0]);
      } catch (e) {
        err = e;
      }
      expect(err, String(version)).toBeInstanceOf(ModelFormatError);
      expect((err as ModelFormatError).code).toBe('unsupported_version');
      expect((err as Error).message).toContain(
        `model file format version ${JSON.stringify(version)} is not one this tsad reads (version 1)`,
      );
      expect((err as Error).message).toMatch(/train the model again with this tsad/);
    }
    // a file without a version at all is the same error, saying it is missing
    const { version: _, ...noVersion } = file;
    expect(() => loadModel(noVersion as Parameters<typeof loadModel>[0])).toThrow(
      /version \(missing\) is not one/,
    );
  });

  it('a stream checkpoint (a model file from stream().toJSON()) with version 0 gets the same answer', () => {
    const s = d.stream();
    s.push(50 * 60_000, 0.5);
    const cp = JSON.parse(JSON.stringify(s.toJSON())) as Record<string, unknown>;
    expect(() => loadModel(cp as Parameters<typeof loadModel>[0])).not.toThrow();
    expect(() => loadModel({ ...cp, version: 0 } as Parameters<typeof loadModel>[0])).toThrow(
      expect.objectContaining({ code: 'unsupported_version' }),
    );
  });
});
