/**
 * Every ```ts snippet of README.md and docs/*.md type-checks with tsc against the sources (not only
 * the README tour, which test/readme.test.ts also runs). Names a snippet uses without declaring them
 * (`train`, `t`, `v`, …) get the ambient declarations below; an unknown undeclared name fails.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = "import('../../src/index.js')";

const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as {
  exports: Record<string, string | { import: { default: string } }>;
};
/** The source file of the entry `tsad<sub>` (from package.json's exports), relative to a snippet. */
function entrySource(sub: string | undefined): string {
  const entry = pkg.exports[`.${sub ?? ''}`];
  if (entry === undefined || typeof entry === 'string')
    throw new Error(`no entry tsad${sub ?? ''} in package.json`);
  return `../../${entry.import.default.replace('./dist/', '').replace(/\.js$/, '.js')}`;
}
/** Types of the free names snippets use, by default and per docs file. */
const FREE: Record<string, string> = {
  train: `${SRC}.TimeSeries`,
  test: `${SRC}.TimeSeries`,
  probation: `${SRC}.TimeSeries`,
  next: `${SRC}.TimeSeries`,
  ts: `${SRC}.TimeSeries`,
  labels: `${SRC}.TimeSeries`,
  t: 'number',
  v: 'number',
  value: 'number',
  rawScore01: 'number',
  i: 'number',
  y: 'Float64Array',
  rows: 'Float64Array',
  truth: 'Float64Array',
  pred: 'Float64Array',
  tPred: 'Float64Array',
  detector: `${SRC}.IsolationForest`,
  log: '(message: unknown) => void',
  loss: '(epoch: number) => number',
  html: 'string',
  corpus: `Parameters<typeof ${SRC}.nabScore>[0]`,
  results: `Parameters<typeof ${SRC}.nabScore>[1]`,
  anomalyRowIndices: 'number[]',
  a: "Parameters<typeof import('../../src/metrics/index.js').accumulateTsad>[0]",
  b: "Parameters<typeof import('../../src/metrics/index.js').accumulateTsad>[0]",
};
const FREE_BY_FILE: Record<string, Record<string, string>> = { 'docs/metrics.md': { t: 'Float64Array' } };

describe('README and docs TypeScript snippets', () => {
  it('type-check with tsc', () => {
    const root = join(import.meta.dirname, '..');
    const dir = join(root, '.tmp', `snippets-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const docs = readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`);
    const snippets: { name: string; source: string; code: string }[] = [];
    for (const source of ['README.md', ...docs]) {
      const text = readFileSync(join(root, source), 'utf8');
      let k = 0;
      for (const m of text.matchAll(/```ts\n([\s\S]*?)```/g)) {
        const code = m[1]
          // every entry of package.json's exports, pointed at its source
          .replace(/from 'tsad(\/[a-z/]+)?'/g, (_m, sub: string | undefined) => `from '${entrySource(sub)}'`);
        snippets.push({ name: `${source.replace(/[/.]/g, '_')}_${k++}.ts`, source, code });
      }
    }
    expect(snippets.length).toBeGreaterThan(10);
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const write = (free: Map<string, Set<string>>) => {
      for (const s of snippets) {
        const names = free.get(s.name) ?? new Set();
        const types = { ...FREE, ...FREE_BY_FILE[s.source] };
        const decl = [...names].map((n) => `declare const ${n}: ${types[n]};`).join(' ');
        writeFileSync(join(dir, s.name), `${decl}\n${s.code}\nexport {};\n`);
      }
    };
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../tsconfig.json',
        compilerOptions: { noEmit: true },
        include: ['*.ts'],
      }),
    );
    const run = (): string => {
      try {
        execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', stdio: 'pipe' });
        return '';
      } catch (e) {
        return String((e as { stdout?: string }).stdout ?? e);
      }
    };
    try {
      // pass 1: find the free names; pass 2: declare them and check everything else
      write(new Map());
      const free = new Map<string, Set<string>>();
      const re = /^(\S+?\.ts)\(\d+,\d+\): error TS(?:2304|2552|2593|18004): [^']*'([^']+)'/gm;
      const unknown: string[] = [];
      for (const m of run().matchAll(re)) {
        const file = m[1].split(/[\\/]/).pop()!;
        if (!(m[2] in FREE)) unknown.push(`${file}: ${m[2]}`);
        if (!free.has(file)) free.set(file, new Set());
        free.get(file)!.add(m[2]);
      }
      expect(unknown).toEqual([]);
      write(free);
      expect(run()).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000); // two tsc passes over every snippet: 14–31 s in most CI runs here, 84 s and 136 s seen under load
});
