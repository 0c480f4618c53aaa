import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

/** The entry files a test may import from: package.json `exports` (as sources) and src/internal.ts. */
function entryFiles(): Set<string> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, { import?: { default?: string } } | string>;
  };
  const out = new Set(['src/internal.ts']);
  for (const v of Object.values(pkg.exports)) {
    const target = typeof v === 'string' ? v : v.import?.default;
    if (target?.startsWith('./dist/src/'))
      out.add(`src/${target.slice('./dist/src/'.length).replace(/\.js$/, '.ts')}`);
  }
  return out;
}

function testFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...testFiles(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('tests import tsad through its entry points', () => {
  it('no test imports a deep src/ path (node scripts/test-imports.mjs rewrites them)', () => {
    const entries = entryFiles();
    expect(entries.has('src/index.ts')).toBe(true);
    const deep: string[] = [];
    for (const file of testFiles(join(root, 'test'))) {
      const rel = relative(root, file).split('\\').join('/');
      const text = readFileSync(file, 'utf8');
      // static imports and re-exports (`from '…'`) and dynamic `import('…')` of a relative path
      for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.[^']+)'/g)) {
        const target = relative(root, join(file, '..', m[1]))
          .split('\\')
          .join('/')
          .replace(/\.js$/, '.ts');
        if (target.startsWith('src/') && !entries.has(target)) deep.push(`${rel}: ${m[1]}`);
      }
    }
    expect(deep).toEqual([]);
  });
});
