/**
 * The command line as a bundle: dist/src/cli/main.js (compiled by tsc) and everything it imports,
 * tsad's own modules and its light dependencies (zod, yaml, commander, csv-parse, …), into a few ESM
 * files in dist/cli (esbuild, code splitting: each command's `import()` stays lazy and becomes its
 * own chunk). Node then resolves and compiles a handful of files instead of about 300, which is most
 * of a short command's start-up (bench/startup.ts).
 *
 * Worker threads and file lookups use `import.meta.url`: in each bundled tsad module it is rewritten
 * to the URL of that module's compiled file in dist/src, so workers start from dist/src (their own
 * module graph; they share only messages and shared memory with the bundle) and the package-root
 * lookup finds the same files as the unbundled build. Heavy or optional packages stay external.
 * zod is imported as a namespace of its classic API, so that the bundle holds only the parts used.
 */
import { readFile, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'dist', 'src');
const outDir = join(root, 'dist', 'cli');

/** Loaded only by the commands that need them (or optional peers): not bundled. */
const external = ['pg', 'danfojs-node', 'fast-check', 'vitest', 'tsad', 'tsad/*', 'fastify', 'prom-client', 'uplot'];

/** The module that starts the forest's worker thread, and the bundle of the worker's module (see below). */
const spawnJs = join(srcDir, 'detectors', 'rcf', 'spawn.js');
const forestWorker = join(outDir, 'forest-worker.js');

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
      // every chunk lands directly in dist/cli, so this relative URL names the module's own file
      const rel = relative(outDir, args.path).split(sep).join('/');
      return {
        contents: code.replace(/import\.meta\.url/g, `new URL(${JSON.stringify(rel)}, import.meta.url).href`),
        loader: 'js',
      };
    });
  },
};

await rm(outDir, { recursive: true, force: true });
const r = await build({
  entryPoints: { main: join(srcDir, 'cli', 'main.js') },
  outdir: outDir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  plugins: [metaUrl],
  // the entry keeps its shebang; chunks loaded from it by `import()` need none
  chunkNames: 'chunk-[hash]',
  legalComments: 'none',
  metafile: true,
  logLevel: 'error',
  // CommonJS dependencies bundled into ESM call require() for Node built-ins
  banner: { js: "import { createRequire as __tsadCreateRequire } from 'node:module';\nconst require = __tsadCreateRequire(import.meta.url);" },
});
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
const outputs = Object.keys(r.metafile.outputs).filter((f) => f.endsWith('.js'));
process.stdout.write(`build-cli: ${Object.keys(r.metafile.inputs).length} modules → ${outputs.length} files in ${relative(root, outDir)}\n`);
