import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { codeCacheFile, commandKey } from '../../src/internal.js';

const repo = resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tsad-code-cache-'));
const cacheDir = join(dir, 'cache');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A CommonJS file with a few functions, as the bundle would be. */
function writeBundle(name: string, k: number): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `const { basename } = require('node:path');
function square(x) { return x * x; }
function sum(n) { let s = 0; for (let i = 0; i < n; i++) s += square(i); return s; }
module.exports = { sum: sum(${k}), file: basename(__filename), dir: __dirname === ${JSON.stringify(dir)} };
`,
  );
  return file;
}

/**
 * compileBundle + run (+ save) in a fresh process, as the bin does: V8 keeps compiled scripts in
 * memory, so only a new process shows whether the file on disk was used.
 */
function inFreshProcess(
  bundle: string,
  buildId: string,
  args: string[],
  opts: { save?: boolean; env?: NodeJS.ProcessEnv; preload?: string } = {},
): { status: string; result: unknown } {
  const driver = `import { compileBundle } from ${JSON.stringify(join(repo, 'src', 'cli', 'code-cache.ts'))};
const b = compileBundle(${JSON.stringify(bundle)}, ${JSON.stringify(buildId)}, ${JSON.stringify(args)});
const result = b.run();
${opts.save ? 'b.save();' : ''}
process.stdout.write(JSON.stringify({ status: b.status, result }));`;
  const preload = opts.preload ? ['--require', opts.preload] : [];
  const r = spawnSync(
    process.execPath,
    [...preload, '--import', 'tsx', '--input-type=module', '-e', driver],
    {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, TSAD_DISABLE_CODE_CACHE: '', TSAD_CACHE_DIR: cacheDir, ...opts.env },
    },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe('the command line code cache', () => {
  it('reads an ASCII bundle as latin1 and any other as UTF-8: the same strings either way', () => {
    // the bin reads the (ASCII) bundle as latin1; a file with UTF-8 text must still be read as UTF-8
    const file = join(dir, 'utf8.cjs');
    writeFileSync(file, `module.exports = { dash: '\u2013 ×', length: '– ×'.length };\n`);
    const own = { TSAD_CACHE_DIR: join(dir, 'cache-latin1') }; // the other tests count the files of theirs
    for (const env of [own, { ...own, TSAD_DISABLE_CODE_CACHE: '1' }]) {
      expect(inFreshProcess(file, 'uuuuuuuuuuuuuuuu', ['detect'], { save: true, env }).result).toEqual({
        dash: '– ×',
        length: 3,
      });
    }
    const ascii = join(dir, 'ascii.cjs');
    writeFileSync(ascii, `module.exports = { dash: '\\u2013', text: 'plain' };\n`);
    expect(inFreshProcess(ascii, 'vvvvvvvvvvvvvvvv', ['detect'], { env: own }).result).toEqual({
      dash: '–',
      text: 'plain',
    });
  });

  it('names one cache file per command (its first two words), in the user cache folder', () => {
    expect(commandKey(['nab', 'machine-temperature', '--threads', '1'])).toBe('nab-machine-temperature');
    expect(commandKey(['runs', 'list', '--max', '3'])).toBe('runs-list');
    expect(commandKey(['train', 'data.csv', '--detector', 'zms'])).toBe('train');
    expect(commandKey(['report', 'abcdef0123456789abcdef0123456789'])).toBe('report');
    expect(commandKey(['models', 'promote', 'demo', '2'])).toBe('models-promote');
    expect(commandKey(['--help'])).toBe('main');
    // a help page compiles what `tsad --help` does, not what the command's real runs compile
    expect(commandKey(['detect', '--help'])).toBe('main');
    expect(commandKey(['nab', 'machine-temperature', '-h'])).toBe('main');
    expect(commandKey(['help', 'detect'])).toBe('main');
    expect(commandKey(['--version'])).toBe('main');
    expect(commandKey(['detect', 'x.csv', '--', '--help'])).toBe('detect');
    expect(commandKey([])).toBe('main');
    const env = { TSAD_CACHE_DIR: cacheDir };
    expect(codeCacheFile('0123456789abcdef', ['detect', 'x.csv'], env)).toBe(
      join(cacheDir, 'code-cache', `0123456789abcdef-${process.version}-${process.arch}-detect.bin`),
    );
    expect(codeCacheFile('0123456789abcdef', ['detect'], { XDG_CACHE_HOME: '/xdg' })).toMatch(
      /^\/xdg\/tsad\/code-cache\//,
    );
    expect(
      codeCacheFile('0123456789abcdef', ['detect'], { ...env, TSAD_DISABLE_CODE_CACHE: '1' }),
    ).toBeUndefined();
  });

  it('compiles from source first, then from the cache it saved, with the same results', () => {
    const bundle = writeBundle('a.cjs', 10);
    const want = { sum: 285, file: 'a.cjs', dir: true };
    const cmd = ['nab', 'machine-temperature'];
    expect(inFreshProcess(bundle, 'aaaaaaaaaaaaaaaa', cmd, { save: true })).toEqual({
      status: 'none',
      result: want,
    });
    const files = readdirSync(join(cacheDir, 'code-cache'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(
      new RegExp(
        `^aaaaaaaaaaaaaaaa-[0-9a-z]+-${process.version}-${process.arch}-nab-machine-temperature\\.bin$`,
      ),
    );
    expect(inFreshProcess(bundle, 'aaaaaaaaaaaaaaaa', cmd)).toEqual({ status: 'used', result: want });
    // a damaged file is refused by V8: the bundle compiles from source, and the next save replaces it
    writeFileSync(join(cacheDir, 'code-cache', files[0]), Buffer.alloc(64, 7));
    expect(inFreshProcess(bundle, 'aaaaaaaaaaaaaaaa', cmd, { save: true })).toEqual({
      status: 'rejected',
      result: want,
    });
    expect(inFreshProcess(bundle, 'aaaaaaaaaaaaaaaa', cmd)).toEqual({ status: 'used', result: want });
    // a bundle edited in place, even to the same length (V8 would run the old bytecode), has another file
    writeBundle('a.cjs', 11);
    expect(inFreshProcess(bundle, 'aaaaaaaaaaaaaaaa', cmd)).toEqual({
      status: 'none',
      result: { ...want, sum: 385 },
    });
  });

  it('writes nothing when turned off, and runs when the cache folder cannot be made', () => {
    const bundle = writeBundle('d.cjs', 3);
    const want = { sum: 5, file: 'd.cjs', dir: true };
    expect(
      inFreshProcess(bundle, 'dddddddddddddddd', ['train'], {
        save: true,
        env: { TSAD_DISABLE_CODE_CACHE: '1' },
      }),
    ).toEqual({
      status: 'off',
      result: want,
    });
    const blocked = join(dir, 'not-a-folder');
    writeFileSync(blocked, 'x');
    expect(
      inFreshProcess(bundle, 'dddddddddddddddd', ['train'], { save: true, env: { TSAD_CACHE_DIR: blocked } }),
    ).toEqual({
      status: 'none',
      result: want,
    });
    expect(readdirSync(join(cacheDir, 'code-cache')).some((f) => f.startsWith('dddd'))).toBe(false);
  });

  it('runs without the cache when there is no home folder to put it in', () => {
    // os.homedir() throws for a user with neither HOME nor a passwd entry (a container run with an
    // arbitrary user id); the preload makes it throw here
    const preload = join(dir, 'no-home.cjs');
    writeFileSync(
      preload,
      `const os = require('node:os');
os.homedir = () => { throw new Error('uv_os_homedir returned ENOENT'); };
require('node:module').syncBuiltinESMExports();
`,
    );
    const bundle = writeBundle('h.cjs', 3);
    expect(
      inFreshProcess(bundle, 'hhhhhhhhhhhhhhhh', ['train'], {
        save: true,
        preload,
        env: { TSAD_CACHE_DIR: '', XDG_CACHE_HOME: '' },
      }),
    ).toEqual({ status: 'off', result: { sum: 5, file: 'h.cjs', dir: true } });
  });

  it('leaves no partial file behind when the cache file cannot be written', () => {
    const folder = join(dir, 'cache-blocked');
    const bundle = writeBundle('p.cjs', 3);
    const want = { sum: 5, file: 'p.cjs', dir: true };
    const env = { TSAD_CACHE_DIR: folder };
    inFreshProcess(bundle, 'pppppppppppppppp', ['detect'], { save: true, env });
    const [name] = readdirSync(join(folder, 'code-cache'));
    // a folder in the cache file's place: the rename fails, as a full disk fails the write
    rmSync(join(folder, 'code-cache', name));
    mkdirSync(join(folder, 'code-cache', name));
    expect(inFreshProcess(bundle, 'pppppppppppppppp', ['detect'], { save: true, env })).toEqual({
      status: 'none',
      result: want,
    });
    expect(readdirSync(join(folder, 'code-cache'))).toEqual([name]);
  });

  it('writes the cache file whole: fsynced before the rename, no temp file left', () => {
    const folder = join(dir, 'cache-fsync');
    const log = join(dir, 'fsyncs.log');
    // the preload records, in one ordered log, every fsyncSync of the child (the inode, file or dir)
    // and every renameSync (the moved file's inode and where it went)
    const preload = join(dir, 'log-fsync.cjs');
    writeFileSync(
      preload,
      `const fs = require('node:fs');
const log = (line) => fs.appendFileSync(${JSON.stringify(log)}, line + '\\n');
const origSync = fs.fsyncSync;
fs.fsyncSync = (fd) => {
  const st = fs.fstatSync(fd);
  log(['fsync', st.ino, st.isDirectory() ? 'dir' : 'file'].join(' '));
  return origSync(fd);
};
const origRename = fs.renameSync;
fs.renameSync = (from, to) => {
  const ino = fs.statSync(from).ino;
  origRename(from, to);
  log(['rename', ino, String(to)].join(' '));
};
`,
    );
    const bundle = writeBundle('s.cjs', 3);
    expect(
      inFreshProcess(bundle, 'ssssssssssssssss', ['detect'], {
        save: true,
        preload,
        env: { TSAD_CACHE_DIR: folder },
      }),
    ).toEqual({ status: 'none', result: { sum: 5, file: 's.cjs', dir: true } });
    const names = readdirSync(join(folder, 'code-cache'));
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^ssssssssssssssss-.*-detect\.bin$/);
    const file = join(folder, 'code-cache', names[0]);
    const ino = statSync(file).ino;
    const lines = readFileSync(log, 'utf8').split('\n');
    const synced = lines.indexOf(`fsync ${ino} file`);
    const renamed = lines.indexOf(`rename ${ino} ${file}`);
    expect(synced).toBeGreaterThanOrEqual(0);
    expect(renamed).toBeGreaterThanOrEqual(0);
    expect(synced).toBeLessThan(renamed);
  });

  it('removes the files of other builds a week after their last write, when it writes one', () => {
    const folder = join(dir, 'cache-stale');
    mkdirSync(join(folder, 'code-cache'), { recursive: true });
    const old = join(
      folder,
      'code-cache',
      `eeeeeeeeeeeeeeee-1-${process.version}-${process.arch}-detect.bin`,
    );
    const recent = join(
      folder,
      'code-cache',
      `ffffffffffffffff-1-${process.version}-${process.arch}-detect.bin`,
    );
    writeFileSync(old, 'x');
    writeFileSync(recent, 'x');
    const eightDaysAgo = (Date.now() - 8 * 24 * 3600 * 1000) / 1000;
    utimesSync(old, eightDaysAgo, eightDaysAgo);
    const bundle = writeBundle('g.cjs', 4);
    inFreshProcess(bundle, 'gggggggggggggggg', ['detect'], { save: true, env: { TSAD_CACHE_DIR: folder } });
    const names = readdirSync(join(folder, 'code-cache')).sort();
    expect(names).toHaveLength(2);
    expect(names[0]).toMatch(/^ffff/);
    expect(names[1]).toMatch(/^gggg.*-detect\.bin$/);
  });
});
