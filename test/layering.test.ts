/**
 * The intended layering: the lab (recipes, bench, experiments) sits below the command line, which may
 * import it; the lab does not import the command line's modules (fix30: src/lab/recipes.ts imported the
 * recipe names and the unknown-recipe error from src/cli/recipes.ts). Read as text: every static and
 * dynamic import specifier of every module under src/lab.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const lab = resolve(import.meta.dirname, '..', 'src', 'lab');

describe('layering', () => {
  it('no module under src/lab imports from src/cli', () => {
    const files = readdirSync(lab, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    const offending: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(lab, f), 'utf8');
      for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)'([^']+)'/g)) {
        if (/(^|\/)cli\//.test(m[1])) offending.push(`${f}: ${m[1]}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
