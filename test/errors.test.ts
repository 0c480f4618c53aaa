import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate, MetricsError, SeriesError, series } from '../src/index.js';

const root = join(import.meta.dirname, '..');

/** The members of `export type <name> = | 'a' | 'b' …;` in `file` (default src/errors.ts). */
function union(name: string, file = 'errors.ts'): string[] {
  const src = readFileSync(join(root, 'src', file), 'utf8');
  const body = new RegExp(`export type ${name} =([^;]*);`).exec(src)?.[1];
  expect(body, name).toBeDefined();
  return [...(body ?? '').matchAll(/'([a-z0-9_]+)'/g)].map((m) => m[1]).sort();
}

/** The codes docs/errors.md lists for one class. */
function documented(cls: string): string[] {
  const doc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
  const re = new RegExp(`^\\| \`${cls}\` \\| \`([^\`]+)\` \\|`, 'gm');
  return [...doc.matchAll(re)].map((m) => m[1]).sort();
}

describe('error codes', () => {
  it('docs/errors.md lists exactly the codes of each typed union, all snake_case', () => {
    for (const [cls, type, file] of [
      ['SeriesError', 'SeriesErrorCode', 'errors.ts'],
      ['MetricsError', 'MetricsErrorCode', 'errors.ts'],
      ['NumericError', 'NumericErrorCode', 'errors.ts'],
      ['DatasetError', 'DatasetErrorCode', 'errors.ts'],
      ['LifecycleError', 'LifecycleErrorCode', 'lifecycle/errors.ts'],
      ['ServeError', 'ServeErrorCode', 'serve/errors.ts'],
      ['NabRunError', 'NabRunErrorCode', 'lab/nab-pool.ts'],
      ['MissingDependencyError', 'MissingDependencyErrorCode', 'adapters/danfo.ts'],
      ['ConfigError', 'ConfigErrorCode', 'errors.ts'],
      ['DetectorError', 'DetectorErrorCode', 'errors.ts'],
      ['ModelFormatError', 'ModelFormatErrorCode', 'errors.ts'],
    ]) {
      const codes = union(type, file);
      expect(codes.length, cls).toBeGreaterThan(0);
      expect(documented(cls)).toEqual(codes);
      for (const c of codes) expect(c).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
    }
  });

  it('thrown errors carry a code of their union', () => {
    const caught = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (err) {
        return err;
      }
      return undefined;
    };
    const se = caught(() => series([1, 2], [1]));
    expect(se).toBeInstanceOf(SeriesError);
    expect((se as SeriesError).code).toBe('length_mismatch');
    expect(union('SeriesErrorCode')).toContain((se as SeriesError).code);
    const me = caught(() => evaluate({ t: [1, 2], truth: [0, 1], pred: [0] }));
    expect(me).toBeInstanceOf(MetricsError);
    expect((me as MetricsError).code).toBe('length_mismatch');
    expect(union('MetricsErrorCode')).toContain((me as MetricsError).code);
  });
});
