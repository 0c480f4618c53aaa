/**
 * `npm run tsad -- …` and `npm run nab` from a clone: runs the compiled command line (the bundle in
 * dist/cli, what the `tsad` bin runs), building first when a file under src/ is newer than the last
 * build. No tsx, no TypeScript at run time.
 *
 * A CommonJS file (`.cjs`), like the bin itself: Node starts a CommonJS main module without its ES
 * module loader, which an `.mjs` entry costs on every run (≈ 21 M instructions, start-up round 27).
 * scripts/tsad.mjs runs this file, for the commands written with that name.
 */
'use strict';
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const entry = join(root, 'dist', 'cli', 'main.js');
const stamp = join(root, 'dist', 'cjs', 'index.cjs'); // written last by `npm run build`

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    // not path.join: 230 calls of it, run cold, cost more than the stats (≈ 25 M instructions)
    const p = `${dir}/${e.name}`;
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const built = existsSync(stamp) && existsSync(entry) ? statSync(stamp).mtimeMs : 0;
if (built < Math.max(newest(join(root, 'src')), statSync(join(root, 'tsconfig.json')).mtimeMs)) {
  process.stderr.write('tsad: building (src/ changed since the last build)…\n');
  const { execFileSync } = require('node:child_process');
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  for (const step of ['build-cli.mjs', 'build-cjs.mjs']) {
    execFileSync(process.execPath, [join(root, 'scripts', step)], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  }
}
// the bin is a CommonJS file too (dist/cli/package.json)
require(entry);
