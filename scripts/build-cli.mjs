/**
 * The command line as one CommonJS file, dist/cli/tsad.cjs: dist/src/cli/main.js (compiled by tsc)
 * and everything it imports, tsad's own modules and its light dependencies (zod, yaml, commander,
 * csv-parse, …), bundled by esbuild. A module that a command loads with `import()` still runs only
 * when that command runs (esbuild wraps it in a lazy initialiser), so `tsad --help` executes no
 * detector code; but the whole CLI is one script, which V8 can compile from a code cache. The bin,
 * dist/cli/main.js, runs that file through the code cache (src/cli/code-cache.ts): Node 20 has no
 * compile cache for modules, and compiling the ≈ 1 MB a command loads is a real share of a short
 * command (bench/startup.ts). The bin carries a digest of tsad.cjs, so a cache never outlives its build.
 *
 * Worker threads and file lookups use `import.meta.url`: in each bundled tsad module it is rewritten
 * to the URL of that module's compiled file in dist/src, so workers start from dist/src (their own
 * module graph; they share only messages and shared memory with the bundle) and the package-root
 * lookup finds the same files as the unbundled build. Heavy or optional packages stay external
 * (loaded by `require` when their command runs; an `import()` of one, like `import('pg')`, becomes
 * a lazy `require`, so the bundle holds no `import()`: a script compiled by `vm.Script` could not
 * run one without an experimental Node API).
 * zod is imported as a namespace of its classic API, so that the bundle holds only the parts used.
 */
import { createHash } from 'node:crypto';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { asciiBundle } from './ascii-bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'dist', 'src');
const outDir = join(root, 'dist', 'cli');

/** Loaded only by the commands that need them (or optional peers): not bundled. */
const external = ['pg', 'danfojs-node', 'fast-check', 'vitest', 'tsad', 'tsad/*', 'fastify', 'prom-client', 'uplot'];

/** The module that starts the forest's worker thread, and the bundle of the worker's module (see below). */
const spawnJs = join(srcDir, 'detectors', 'rcf', 'spawn.js');
const forestWorker = join(outDir, 'forest-worker.mjs');

/** zod's classic API module (what `import { z } from 'zod'` names), as a file. */
const zodClassic = join(root, 'node_modules', 'zod', 'v4', 'classic', 'external.js');

const metaUrl = {
  name: 'tsad-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      if (!args.path.startsWith(srcDir + sep)) return undefined;
      let code = await readFile(args.path, 'utf8');
      // `z.object(…)` on a namespace import lets esbuild drop the parts of zod tsad never uses (its
      // locales, JSON Schema conversion, …); through zod's index, `z` is one object holding them all
      code = code.replace(/^import \{ z \} from 'zod';$/m, `import * as z from ${JSON.stringify(zodClassic)};`);
      if (args.path === spawnJs) {
        // the CLI's forests start their worker from its bundle (one file: ready in about half the
        // time of the module graph under dist/src)
        const n = code.split("new Worker(new URL('./worker.js', url)").length - 1;
        if (n !== 1) throw new Error(`build-cli: expected one worker start in ${spawnJs}, found ${n}`);
        code = code.replace("new Worker(new URL('./worker.js', url)", `new Worker(new URL(${JSON.stringify(relative(dirname(spawnJs), forestWorker).split(sep).join('/'))}, url)`);
      }
      if (!code.includes('import.meta.url')) return { contents: code, loader: 'js' };
      // the bundle lands directly in dist/cli, so this relative URL names the module's own file
      const rel = relative(outDir, args.path).split(sep).join('/');
      return {
        contents: code.replace(/import\.meta\.url/g, `new URL(${JSON.stringify(rel)}, __tsadUrl).href`),
        loader: 'js',
      };
    });
  },
};

/** `import('pg')`, `import('node:fs/promises')`: a lazily run module that `require`s the package. */
const lazyExternal = {
  name: 'tsad-lazy-external',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const pkg = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
      if (!args.path.startsWith('node:') && !external.includes(pkg)) return undefined;
      return { path: args.path, namespace: 'tsad-lazy-external' };
    });
    b.onLoad({ filter: /.*/, namespace: 'tsad-lazy-external' }, (args) => {
      const id = JSON.stringify(args.path);
      // what `import()` gives for a CommonJS package or a Node built-in: its exports, and `default`
      return { contents: `export * from ${id};\nexport { default } from ${id};\n`, loader: 'js', resolveDir: root };
    });
  },
};

await rm(outDir, { recursive: true, force: true });
const bundle = join(outDir, 'tsad.cjs');
const r = await build({
  entryPoints: [join(srcDir, 'cli', 'main.js')],
  outfile: bundle,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external,
  plugins: [metaUrl, lazyExternal],
  legalComments: 'none',
  metafile: true,
  logLevel: 'error',
  // `import.meta.url` of the bundled modules, rewritten above relative to this file
  banner: { js: "const __tsadUrl = require('node:url').pathToFileURL(__filename).href;" },
});
// it must hold no `import()` (see above), and the bin runs it as a script body (no shebang)
const dynamicImports = Object.values(r.metafile.outputs)
  .flatMap((o) => o.imports)
  .filter((i) => i.kind === 'dynamic-import')
  .map((i) => i.path);
if (dynamicImports.length) throw new Error(`build-cli: import() left in ${bundle}: ${dynamicImports.join(', ')}`);
let code = (await readFile(bundle, 'utf8')).replace(/^#!.*\n/, '');
code = await asciiBundle(code, `build-cli: ${bundle}`);
await writeFile(bundle, code);
const buildId = createHash('sha256').update(code).digest('hex').slice(0, 16);
code = undefined;
// the bin: runs tsad.cjs through the code cache. A CommonJS file (dist/cli/package.json says so):
// Node starts a CommonJS main module without its ES module loader, and `require` of a built-in
// makes no module facade (`import` from 'node:fs' loads fs's streams for its named exports)
await writeFile(join(outDir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
await build({
  stdin: {
    contents: [
      `import { join } from 'node:path';`,
      `import { runBundle } from ${JSON.stringify(join(srcDir, 'cli', 'code-cache.js'))};`,
      `import { binStartsForestWorker } from ${JSON.stringify(join(srcDir, 'cli', 'threads.js'))};`,
      // the forest's batch worker boots while this thread reads and compiles the bundle (start-up
      // round 28); the bundle's copy of spawn.js adopts it. `require`d (esbuild runs the module
      // then), so that other commands do not load node:worker_threads here
      `if (binStartsForestWorker(process.argv.slice(2)))`,
      `  require(${JSON.stringify(spawnJs)}).startBinBatchWorker(join(__dirname, 'forest-worker.mjs'));`,
      `runBundle(join(__dirname, 'tsad.cjs'), ${JSON.stringify(buildId)});`,
    ].join('\n'),
    resolveDir: root,
    loader: 'js',
  },
  outfile: join(outDir, 'main.js'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'error',
  banner: { js: '#!/usr/bin/env node' },
});
await chmod(join(outDir, 'main.js'), 0o755);
// The forest worker (dist/src/detectors/rcf/worker.js and what it imports) as one file, with zod
// cut down as above: the forest worker of `nab machine-temperature` must be ready early.
const zodOnly = {
  name: 'tsad-zod-classic',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      if (!args.path.startsWith(srcDir + sep)) return undefined;
      const code = await readFile(args.path, 'utf8');
      return {
        contents: code.replace(/^import \{ z \} from 'zod';$/m, `import * as z from ${JSON.stringify(zodClassic)};`),
        loader: 'js',
      };
    });
  },
};
await build({
  entryPoints: [join(srcDir, 'detectors', 'rcf', 'worker.js')],
  outfile: forestWorker,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [zodOnly],
  legalComments: 'none',
  logLevel: 'error',
});
process.stdout.write(
  `build-cli: ${Object.keys(r.metafile.inputs).length} modules → ${relative(root, bundle)} (build ${buildId}), bin ${relative(root, join(outDir, 'main.js'))}\n`,
);
