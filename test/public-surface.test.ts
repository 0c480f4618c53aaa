import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

/** The names `src/index.ts` exports, split into values and types (explicit lists only: no `export *`). */
function rootExports(): { values: string[]; types: string[] } {
  const file = join(root, 'src', 'index.ts');
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const values: string[] = [];
  const types: string[] = [];
  for (const st of sf.statements) {
    if (ts.isExportDeclaration(st)) {
      const clause = st.exportClause;
      expect(clause, `src/index.ts: "${st.getText()}" must list its names`).toBeDefined();
      if (clause && ts.isNamedExports(clause)) {
        for (const el of clause.elements)
          (st.isTypeOnly || el.isTypeOnly ? types : values).push(el.name.text);
      }
    } else {
      const mods = ts.canHaveModifiers(st) ? ts.getModifiers(st) : undefined;
      expect(
        mods?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ?? false,
        `src/index.ts: only exports (${st.getText().slice(0, 60)})`,
      ).toBe(false);
    }
  }
  return { values: values.sort(), types: types.sort() };
}

describe('the public surface', () => {
  it('the root entry exports at most 80 names, and at run time exactly the listed values', async () => {
    const { values, types } = rootExports();
    const total = values.length + types.length;
    console.log(`root exports: ${total} names (${values.length} values, ${types.length} types)`);
    expect(total).toBeLessThanOrEqual(80);
    const mod = await import('../src/index.js');
    expect(Object.keys(mod).sort()).toEqual(values);
  });

  it('an esbuild ESM bundle of a script importing tsad builds, loads nothing CLI-only, and runs', async () => {
    const dir = join(root, '.tmp', 'bundle-test');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const entry = join(dir, 'entry.mjs');
    // The same program runs bundled (a child process) and from the sources (here): same output.
    const program = (lib: typeof import('../src/index.js')): string => {
      const t = Array.from({ length: 300 }, (_, i) => i * 60_000);
      const v = t.map((_, i) => Math.sin(i / 5) + (i === 250 ? 9 : 0));
      const d = new lib.IsolationForest({ seed: 1 });
      d.train(lib.series(t.slice(0, 200), v.slice(0, 200)));
      const s = d.score(lib.series(t.slice(200), v.slice(200)));
      let top = 0;
      for (let i = 1; i < s.v.length; i++) if (s.v[i] > s.v[top]) top = i;
      const truth = t.map((_, i) => (i >= 250 && i <= 252 ? 1 : 0));
      const pred = t.map((x) => (x === s.t[top] ? 1 : 0));
      return JSON.stringify({
        n: s.v.length,
        top: s.t[top],
        sum: s.v.reduce((a, b) => a + b, 0),
        f1: lib.evaluate({ t, truth, pred }).f1,
      });
    };
    writeFileSync(
      entry,
      `import { evaluate, IsolationForest, series } from 'tsad';\nconst lib = { evaluate, IsolationForest, series };\nconsole.log((${program.toString()})(lib));\n`,
    );
    const out = join(dir, 'out.mjs');
    const res = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: out,
      alias: { tsad: join(root, 'src', 'index.ts') },
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(res.metafile.inputs);
    const cliOnly = inputs.filter((p) => /src\/cli\/|node_modules\/(cli-progress|commander)\//.test(p));
    expect(cliOnly).toEqual([]);
    const printed = execFileSync(process.execPath, [out], { encoding: 'utf8' }).trim();
    const expected = program(await import('../src/index.js'));
    expect(printed).toBe(expected);
    expect(JSON.parse(expected).f1).toBe(1);
  });
});
