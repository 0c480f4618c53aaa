/**
 * CommonJS build: turns the compiled ESM in dist/src into dist/cjs (`.cjs` + `.d.cts`), file by file,
 * so `require('tsad')` works on every Node 20 and a CommonJS TypeScript project gets CommonJS types.
 * `import.meta.url` in a CommonJS file points at its ESM sibling in dist/src, so worker threads and
 * the package-root lookup find the same files as the ESM build does.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const esmDir = join(root, 'dist', 'src');
const cjsDir = join(root, 'dist', 'cjs');

async function* walk(dir) {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else yield p;
  }
}

// relative require() and import() (the lazily loaded modules: tracking stores, workers' jobs) name the .cjs files
const toCjs = (code) =>
  code.replace(
    /(require|import)\((["'])(\.{1,2}\/[^"']+)\.js\2\)/g,
    (_m, fn, q, p) => `${fn}(${q}${p}.cjs${q})`,
  );
const toCts = (code) =>
  code.replace(/(from\s+|import\()(["'])(\.{1,2}\/[^"']+)\.js\2/g, (_m, pre, q, p) => `${pre}${q}${p}.cjs${q}`);

await rm(cjsDir, { recursive: true, force: true });
let files = 0;
for await (const file of walk(esmDir)) {
  const rel = relative(esmDir, file);
  if (rel.split(/[\\/]/)[0] === 'cli') continue; // the command line is ESM only
  const outBase = join(cjsDir, rel);
  await mkdir(dirname(outBase), { recursive: true });
  if (file.endsWith('.d.ts')) {
    await writeFile(outBase.replace(/\.d\.ts$/, '.d.cts'), toCts(await readFile(file, 'utf8')));
  } else if (file.endsWith('.js')) {
    const src = await readFile(file, 'utf8');
    const sibling = relative(dirname(outBase), file).split('\\').join('/');
    const usesMeta = src.includes('import.meta');
    const { code } = await transform(src, {
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      loader: 'js',
      logLevel: 'error',
      define: usesMeta
        ? { 'import.meta.url': '__tsadMetaUrl', 'import.meta.resolve': '__tsadMetaResolve' }
        : {},
      banner: usesMeta
        ? `const __tsadMetaUrl = require('node:url').pathToFileURL(require('node:path').join(__dirname, ${JSON.stringify(sibling)})).href;\n` +
          `const __tsadMetaResolve = (s) => require('node:url').pathToFileURL(require.resolve(s)).href;`
        : '',
    });
    await writeFile(outBase.replace(/\.js$/, '.cjs'), toCjs(code));
    files++;
  }
}
process.stdout.write(`build-cjs: ${files} files → ${relative(root, cjsDir)}\n`);
