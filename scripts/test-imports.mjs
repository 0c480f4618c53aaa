#!/usr/bin/env node
/**
 * Codemod: makes tests import tsad through its entry points instead of deep `src/…` paths.
 *
 *   node scripts/test-imports.mjs test/series test/metrics …   rewrite these folders/files in place
 *   node scripts/test-imports.mjs --check test                   rewrite nothing; exit 1 and list the
 *                                                                imports that still go to a deep path
 *
 * For every `import { a, type B } from '../../src/x/y.js'` (and `const { a } = await import('…')`)
 * whose target is not an entry file, each name goes to:
 *   1. a public entry that exports the same symbol: the layer's own subpath entry first
 *      (`src/series/index.ts` for `src/series/…`), then the root `src/index.ts`, then the other
 *      subpath entries (the entries are read from package.json `exports`, so this follows them);
 *   2. otherwise `src/internal.ts`, the white-box entry for tests (not in package.json `exports`),
 *      to which the script adds `export { a } from './x/y.js'` when it is not there yet.
 * The "same symbol" check uses the TypeScript checker (aliases followed), so a different function
 * that happens to share a name is never picked. A value import of a name an entry exports with
 * `export type` keeps looking. Namespace, default and side-effect imports of deep paths are listed,
 * not rewritten. Imports of entry files are left alone, so running it twice changes nothing
 * (idempotent). Afterwards run `npx biome check --write <paths> src/internal.ts` to sort the imports.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'src');
const internalFile = join(srcDir, 'internal.ts');
/** The header of a new src/internal.ts. */
const HEADER = `/**
 * White-box entry for tsad's own tests: the internals they exercise, re-exported in one place so a
 * move inside src/ rewrites this file, not the tests. NOT a public entry: it is not in package.json
 * \`exports\`, nothing under src/ imports it, and every name here may change in any release.
 * Maintained by scripts/test-imports.mjs (it adds what a rewritten test needs); sorted by module.
 */`;

const args = process.argv.slice(2);
const check = args.includes('--check');
const targets = args.filter((a) => a !== '--check');
if (targets.length === 0) {
  process.stderr.write('usage: node scripts/test-imports.mjs [--check] <test folder or file>…\n');
  process.exit(2);
}

function walk(p, out) {
  const st = statSync(p);
  if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e), out);
  else if (/\.(ts|mts)$/.test(p)) out.push(p);
  return out;
}
const testFiles = targets.flatMap((t) => walk(resolve(t), []));

/** Public entries (source files) from package.json `exports`, as { file, layer }. */
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const publicEntries = [];
for (const [key, value] of Object.entries(pkg.exports)) {
  const target = value?.import?.default;
  if (typeof target !== 'string' || !target.startsWith('./dist/src/')) continue;
  const file = join(root, 'src', target.slice('./dist/src/'.length).replace(/\.js$/, '.ts'));
  publicEntries.push({ key, file, layer: key === '.' ? null : key.slice(2).split('/')[0] });
}
const entryFiles = new Set([...publicEntries.map((e) => e.file), internalFile]);

const options = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  types: ['node'],
};

/** Resolves a relative specifier of `fromFile` to a src/ .ts file, or null. */
function resolveSrc(fromFile, spec) {
  if (!spec.startsWith('.')) return null;
  const abs = resolve(dirname(fromFile), spec).replace(/\.js$/, '.ts');
  if (!abs.startsWith(srcDir + sep)) return null;
  return existsSync(abs) ? abs : null;
}

/** Deep imports found in the test files: { file, node, kind, names: [{ name, alias, typeOnly }] }. */
function collect(file) {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found = [];
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const target = resolveSrc(file, node.moduleSpecifier.text);
      if (target && !entryFiles.has(target)) {
        const clause = node.importClause;
        const bindings = clause?.namedBindings;
        if (!clause || clause.name || (bindings && !ts.isNamedImports(bindings))) {
          found.push({ file, node, target, kind: 'unsupported' });
        } else {
          const names = (bindings?.elements ?? []).map((el) => ({
            name: (el.propertyName ?? el.name).text,
            alias: el.propertyName ? el.name.text : null,
            typeOnly: clause.isTypeOnly || el.isTypeOnly,
          }));
          found.push({ file, node, target, kind: 'static', names });
        }
      }
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length === 1 &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      const target = resolveSrc(file, node.arguments[0].text);
      if (target && !entryFiles.has(target)) {
        const decl = ts.isAwaitExpression(node.parent) ? node.parent.parent : null;
        if (decl && ts.isVariableDeclaration(decl) && ts.isObjectBindingPattern(decl.name)) {
          const names = decl.name.elements.map((el) => ({
            name: (el.propertyName ?? el.name).getText(sf),
            alias: null,
            typeOnly: false,
          }));
          found.push({ file, node: node.arguments[0], target, kind: 'dynamic', names });
        } else found.push({ file, node, target, kind: 'unsupported' });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { text, sf, found };
}

const parsed = testFiles.map((f) => ({ file: f, ...collect(f) }));
const deepModules = new Set(parsed.flatMap((p) => p.found.map((d) => d.target)));

const program = ts.createProgram(
  [...publicEntries.map((e) => e.file), ...(existsSync(internalFile) ? [internalFile] : []), ...deepModules],
  options,
);
const checker = program.getTypeChecker();

function moduleExports(file) {
  const sf = program.getSourceFile(file);
  const sym = sf && checker.getSymbolAtLocation(sf);
  const map = new Map();
  if (!sym) return map;
  for (const e of checker.getExportsOfModule(sym)) {
    let target = e;
    let typeOnly = false;
    if (e.flags & ts.SymbolFlags.Alias) {
      const d = e.declarations?.[0];
      if (d && ts.isExportSpecifier(d)) typeOnly = d.isTypeOnly || d.parent.parent.isTypeOnly;
      target = checker.getAliasedSymbol(e);
    }
    map.set(e.name, { symbol: target, typeOnly, isValue: Boolean(target.flags & ts.SymbolFlags.Value) });
  }
  return map;
}

const entryExports = new Map(publicEntries.map((e) => [e.file, moduleExports(e.file)]));
const internalExports = existsSync(internalFile) ? moduleExports(internalFile) : new Map();

/** Entries to try for a module, in order: its layer's subpath, the root, the other subpaths. */
function entryOrder(target) {
  const layer = relative(srcDir, target).split(sep)[0];
  const own = publicEntries.filter((e) => e.layer === layer);
  const rootEntry = publicEntries.filter((e) => e.key === '.');
  const others = publicEntries.filter((e) => e.layer !== layer && e.key !== '.');
  return [...own, ...rootEntry, ...others];
}

/** Additions to src/internal.ts: module file → Map(name → isValue). */
const internalAdds = new Map();
const problems = [];

function place(target, n) {
  const deep = moduleExports(target).get(n.name);
  if (!deep) {
    problems.push(`${relative(root, target)} does not export ${n.name}`);
    return null;
  }
  for (const e of entryOrder(target)) {
    const got = entryExports.get(e.file).get(n.name);
    if (got && got.symbol === deep.symbol && (n.typeOnly || !got.typeOnly)) return e.file;
  }
  const inInternal = internalExports.get(n.name);
  if (inInternal) {
    if (inInternal.symbol === deep.symbol) return internalFile;
    problems.push(
      `${n.name} from ${relative(root, target)}: src/internal.ts already exports another ${n.name}; import it by a deep path or rename one`,
    );
    return null;
  }
  const clash = [...internalAdds.entries()].find(([m, names]) => m !== target && names.has(n.name));
  if (clash) {
    problems.push(`${n.name} is exported by both ${relative(root, clash[0])} and ${relative(root, target)}`);
    return null;
  }
  if (!internalAdds.has(target)) internalAdds.set(target, new Map());
  internalAdds.get(target).set(n.name, deep.isValue);
  return internalFile;
}

function spec(fromFile, entryFile) {
  let r = relative(dirname(fromFile), entryFile).split(sep).join('/').replace(/\.ts$/, '.js');
  if (!r.startsWith('.')) r = `./${r}`;
  return r;
}

let changedFiles = 0;
let rewritten = 0;
for (const p of parsed) {
  const edits = [];
  for (const d of p.found) {
    if (d.kind === 'unsupported') {
      problems.push(`${relative(root, p.file)}: ${d.node.getText(p.sf).slice(0, 80)} (not a named import; left as is)`);
      continue;
    }
    const placed = d.names.map((n) => ({ n, entry: place(d.target, n) }));
    if (placed.some((x) => x.entry === null)) continue;
    if (d.kind === 'dynamic') {
      const entries = [...new Set(placed.map((x) => x.entry))];
      // one module for the destructuring: a public entry when it has them all, else internal
      const entry = entries.length === 1 ? entries[0] : internalFile;
      if (entry === internalFile)
        for (const x of placed) {
          const deep = moduleExports(d.target).get(x.n.name);
          if (!internalExports.has(x.n.name)) {
            if (!internalAdds.has(d.target)) internalAdds.set(d.target, new Map());
            internalAdds.get(d.target).set(x.n.name, deep.isValue);
          }
        }
      edits.push({ start: d.node.getStart(p.sf), end: d.node.getEnd(), text: `'${spec(p.file, entry)}'` });
      rewritten++;
      continue;
    }
    const byEntry = new Map();
    for (const x of placed) {
      if (!byEntry.has(x.entry)) byEntry.set(x.entry, []);
      byEntry.get(x.entry).push(x.n);
    }
    const allType = d.node.importClause.isTypeOnly;
    const lines = [...byEntry.entries()].map(([entry, names]) => {
      const items = names.map((n) => {
        const base = n.alias ? `${n.name} as ${n.alias}` : n.name;
        return !allType && n.typeOnly ? `type ${base}` : base;
      });
      return `import ${allType ? 'type ' : ''}{ ${items.join(', ')} } from '${spec(p.file, entry)}';`;
    });
    edits.push({ start: d.node.getStart(p.sf), end: d.node.getEnd(), text: lines.join('\n') });
    rewritten++;
  }
  if (edits.length === 0) continue;
  changedFiles++;
  if (check) {
    for (const d of p.found) if (d.kind !== 'unsupported') problems.push(`${relative(root, p.file)}: deep import of ${relative(root, d.target)}`);
    continue;
  }
  let out = p.text;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  writeFileSync(p.file, out);
}

if (!check && internalAdds.size > 0) writeInternal();

function writeInternal() {
  // existing re-exports of src/internal.ts, merged with the additions, one sorted statement per module
  const modules = new Map();
  let header = HEADER;
  if (existsSync(internalFile)) {
    const text = readFileSync(internalFile, 'utf8');
    const sf = ts.createSourceFile(internalFile, text, ts.ScriptTarget.ES2022, true);
    const first = sf.statements[0];
    if (first) {
      const lead = text.slice(0, first.getStart(sf));
      if (lead.trim()) header = lead.trimEnd();
    }
    for (const st of sf.statements) {
      if (!ts.isExportDeclaration(st) || !st.moduleSpecifier || !st.exportClause) continue;
      const file = resolve(srcDir, st.moduleSpecifier.text.replace(/\.js$/, '.ts'));
      if (!modules.has(file)) modules.set(file, new Map());
      for (const el of st.exportClause.elements)
        modules.get(file).set(el.name.text, !(st.isTypeOnly || el.isTypeOnly));
    }
  }
  for (const [file, names] of internalAdds) {
    if (!modules.has(file)) modules.set(file, new Map());
    for (const [n, v] of names) modules.get(file).set(n, v);
  }
  const body = [...modules.entries()]
    .map(([file, names]) => [`./${relative(srcDir, file).split(sep).join('/').replace(/\.ts$/, '.js')}`, names])
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([s, names]) => {
      const items = [...names.entries()]
        .sort((a, b) => a[0].localeCompare(b[0]))
        .map(([n, v]) => (v ? n : `type ${n}`));
      return `export { ${items.join(', ')} } from '${s}';`;
    });
  writeFileSync(internalFile, `${header}\n\n${body.join('\n')}\n`);
}

for (const m of problems) process.stderr.write(`test-imports: ${m}\n`);
process.stdout.write(
  `test-imports: ${check ? 'would rewrite' : 'rewrote'} ${rewritten} imports in ${changedFiles} files` +
    (check ? '' : `; src/internal.ts gained ${[...internalAdds.values()].reduce((s, m) => s + m.size, 0)} names`) +
    '\n',
);
if (check && (changedFiles > 0 || problems.length > 0)) process.exit(1);
if (!check && problems.some((m) => !m.includes('left as is'))) process.exit(1);
