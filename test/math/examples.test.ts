import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Runs the `@example` blocks of src/math/*.ts and src/scoring/*.ts. A line `expr; // => literal` asserts that `expr` is
 * exactly `literal` (JSON, or NaN / ±Infinity); `expr; // ≈ 0.8427` asserts it to the last digit
 * shown. Every exported function and class there must have an example with at least one assertion.
 */

const root = join(import.meta.dirname, '..', '..', 'src');
const files = ['math', 'scoring'].flatMap((d) =>
  readdirSync(join(root, d))
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => join(d, f)),
);

interface Example {
  file: string;
  owner: string;
  code: string[];
}

/** The JSDoc blocks of a file with the declaration each documents. */
function docBlocks(src: string): { doc: string; decl: string }[] {
  const out: { doc: string; decl: string }[] = [];
  const re = /\/\*\*([\s\S]*?)\*\/[ \t]*\n\s*(?=([^\n]*))/g;
  for (let m = re.exec(src); m; m = re.exec(src)) out.push({ doc: m[1], decl: m[2] });
  return out;
}

function examplesOf(file: string, src: string): Example[] {
  const out: Example[] = [];
  for (const { doc, decl } of docBlocks(src)) {
    const lines = doc.split('\n').map((l) => l.replace(/^\s*\* ?/, ''));
    const at = lines.findIndex((l) => l.startsWith('@example'));
    if (at < 0) continue;
    const code: string[] = [];
    for (const l of lines.slice(at + 1)) {
      if (l.startsWith('@')) break;
      code.push(l);
    }
    out.push({ file, owner: decl.trim(), code });
  }
  return out;
}

function literal(text: string): unknown {
  const t = text.trim();
  if (t === 'NaN') return Number.NaN;
  if (t === 'Infinity') return Number.POSITIVE_INFINITY;
  if (t === '-Infinity') return Number.NEGATIVE_INFINITY;
  return JSON.parse(t);
}

type Check = (actual: unknown, op: string, expected: string, line: string) => void;

const check: Check = (actual, op, expected, line) => {
  if (op === '=>') {
    const want = literal(expected);
    expect(Object.is(actual, want) || JSON.stringify(actual) === JSON.stringify(want), line).toBe(true);
    expect(typeof actual, line).toBe(typeof want);
    return;
  }
  const want = Number(expected.trim());
  const decimals = expected.trim().split('.')[1]?.length ?? 0;
  expect(typeof actual, line).toBe('number');
  expect(Math.abs((actual as number) - want), line).toBeLessThanOrEqual(
    10 ** -decimals + 4 * Number.EPSILON * Math.abs(want),
  );
};

/** The example as a function body: assertion lines become `check(...)` calls. */
function toBody(code: string[]): { body: string; assertions: number } {
  let assertions = 0;
  const out = code.map((l) => {
    const m = /^(.*?);?\s*\/\/ (=>|≈) (.+)$/.exec(l);
    if (!m) return l;
    assertions++;
    return `__check((${m[1]}), ${JSON.stringify(m[2])}, ${JSON.stringify(m[3])}, ${JSON.stringify(l)});`;
  });
  const js = ts.transpileModule(out.join('\n'), {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  }).outputText;
  return { body: js, assertions };
}

describe('src/math and src/scoring @example blocks', async () => {
  const scope: Record<string, unknown> = {};
  for (const f of files) Object.assign(scope, await import(pathToFileURL(join(root, f)).href));
  const names = Object.keys(scope);

  it('every exported function and class there has an @example', () => {
    for (const f of files) {
      const src = readFileSync(join(root, f), 'utf8');
      const documented = new Set(
        examplesOf(f, src).map((e) => /export (?:function|class) (\w+)/.exec(e.owner)?.[1]),
      );
      for (const m of src.matchAll(/^export (?:function|class) (\w+)/gm)) {
        expect(documented.has(m[1]), `${f}: ${m[1]} has no @example`).toBe(true);
      }
    }
  });

  for (const f of files) {
    const src = readFileSync(join(root, f), 'utf8');
    for (const ex of examplesOf(f, src)) {
      it(`${f}: ${ex.owner.replace(/[({].*$/, '')}`, () => {
        const { body, assertions } = toBody(ex.code);
        expect(assertions, 'an example asserts at least one result').toBeGreaterThan(0);
        let ran = 0;
        const counted: Check = (...a) => {
          ran++;
          check(...a);
        };
        new Function('__check', ...names, body)(counted, ...names.map((n) => scope[n]));
        expect(ran).toBe(assertions);
      });
    }
  }
});
