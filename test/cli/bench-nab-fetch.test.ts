/**
 * `tsad bench --corpus nab` where no NAB copy is present yet (an installed package, a clean machine):
 * the corpus is fetched and verified as `tsad nab run` fetches it (fix29). It used to stop at once with
 * `bad_corpus` "… has no labels/combined_windows.json … `tsad synth DIR` writes one", advice for a corpus
 * of one's own. The mirror is a local HTTP server over the repository's NAB copy (../shared); the built
 * bin runs as its own process with `TSAD_DATA_DIR` on an empty folder, so every file must be downloaded.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BinResult, benchArgs, copyBuiltPackage, runBin } from '../helpers/built-cli.js';

const repo = resolve(import.meta.dirname, '..', '..');
const cli = join(repo, 'dist', 'cli', 'main.js');
const nab = resolve(repo, '..', 'shared', 'datasets', 'nab');
const dir = mkdtempSync(join(tmpdir(), 'tsad-bench-nab-'));
const FILE = 'realKnownCause/machine_temperature_system_failure.csv';
let server: Server;
let baseUrl = '';
const served: string[] = [];

beforeAll(async () => {
  expect(existsSync(join(nab, 'data', FILE)), `the NAB copy at ${nab}`).toBe(true);
  server = createServer((req, res) => {
    const rel = normalize(decodeURIComponent((req.url ?? '/').split('?')[0])).replace(/^\/+/, '');
    const path = join(nab, rel);
    if (!path.startsWith(nab) || !existsSync(path)) {
      res.writeHead(404).end();
      return;
    }
    served.push(rel);
    res.writeHead(200).end(readFileSync(path));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** The bin, run asynchronously (the mirror answers from this process meanwhile). */
function tsad(dataDir: string, ...args: string[]): Promise<BinResult> {
  return runBin(cli, args, {
    cwd: dir,
    env: {
      ...process.env,
      TSAD_DATA_DIR: dataDir,
      TSAD_NAB_BASE_URL: baseUrl,
      TSAD_CACHE_DIR: join(dir, 'cache'),
      TSAD_DEBUG: '',
    },
  });
}

describe('tsad bench --corpus nab without a NAB copy', () => {
  it('downloads the files it runs and the labels (verified), then benchmarks them', async () => {
    const data = join(dir, 'data');
    const r = await tsad(data, ...benchArgs('nab', 'zms', join(dir, 'out'), '--files', FILE, '-q'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/tsad_zms/);
    expect(served.sort()).toEqual([`data/${FILE}`, 'labels/combined_windows.json']);
    expect(existsSync(join(data, 'nab', 'data', FILE))).toBe(true);
  }, 120_000);

  it('an unknown recipe is refused before anything is downloaded', async () => {
    served.length = 0;
    const data = join(dir, 'data-2');
    const r = await tsad(data, 'bench', '--corpus', 'nab', '-d', 'nosuch', '-o', join(dir, 'out-2'));
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/ConfigError \[unknown_detector\]: unknown detector "nosuch"/);
    expect(served).toEqual([]);
    expect(existsSync(join(data, 'nab'))).toBe(false);
    // a name that is no NAB file is not fetched; the run refuses it as for any corpus (usage, exit 2)
    const bad = await tsad(
      data,
      'bench',
      '--corpus',
      'nab',
      '--files',
      'nosuch.csv',
      '-d',
      'zms',
      '-o',
      join(dir, 'out-2'),
    );
    expect(bad.status, bad.stderr).toBe(2);
    expect(bad.stderr).toMatch(/ConfigError \[unknown_file\]: nosuch\.csv is not a file of .*nab/);
    expect(served).toEqual(['labels/combined_windows.json']);
  });
});

/**
 * A partial NAB copy beside the package (`../shared/datasets/nab` holding the labels and some data files,
 * no TSAD_DATA_DIR): a file missing there is downloaded to the cache, and the run must read it from the
 * cache with the others (fix30). It used to read every file from the partial folder and stop with bad_corpus '… lists
 * "<file>", but its data file … does not exist'. The built package is copied so that its `../shared` is a
 * folder of the test's own.
 */
describe('tsad bench --corpus nab / nab run with a partial NAB copy beside the package', () => {
  const root = join(dir, 'partial');
  const pkg = join(root, 'pkg');
  const shared = join(root, 'shared', 'datasets', 'nab');
  const HERE = 'realKnownCause/nyc_taxi.csv';
  const cache = join(dir, 'partial-cache');
  // the bins run in a folder of the test's own: wherever TMPDIR is (CI may put it beside a real
  // ../shared), the working folder's ../shared is a folder under the test's root that nothing creates
  const cwd = join(root, 'work', 'cwd');

  function bin(...args: string[]): Promise<BinResult> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TSAD_NAB_BASE_URL: baseUrl,
      TSAD_CACHE_DIR: cache,
      TSAD_DEBUG: '',
    };
    delete env.TSAD_DATA_DIR;
    return runBin(join(pkg, 'dist', 'cli', 'main.js'), args, { cwd, env });
  }

  beforeAll(() => {
    copyBuiltPackage(pkg);
    mkdirSync(cwd, { recursive: true });
    cpSync(join(nab, 'labels'), join(shared, 'labels'), { recursive: true });
    cpSync(join(nab, 'data', HERE), join(shared, 'data', HERE));
    // the working folder has no ../shared of its own: the copy beside the package is the one found
    expect(existsSync(resolve(cwd, '..', 'shared', 'datasets', 'nab'))).toBe(false);
  }, 60_000);

  it('tsad bench runs a file the copy lacks (downloaded, only it) with the ones it has, from the download cache', async () => {
    served.length = 0;
    const r = await bin(
      ...benchArgs('nab', 'zms', join(dir, 'out-partial'), '--files', `${HERE},${FILE}`, '-q'),
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/tsad_zms/);
    expect(served).toEqual([`data/${FILE}`]); // only the missing file is downloaded
    expect(existsSync(join(cache, 'nab', 'data', FILE))).toBe(true);
    expect(existsSync(join(shared, 'data', FILE))).toBe(false); // the user's copy is left as it was
  }, 120_000);

  it('a partial copy under TSAD_DATA_DIR gets the missing file downloaded into it, and the run reads it there', async () => {
    served.length = 0;
    const data = join(dir, 'data-partial');
    cpSync(join(nab, 'labels'), join(data, 'nab', 'labels'), { recursive: true });
    cpSync(join(nab, 'data', HERE), join(data, 'nab', 'data', HERE));
    const r = await tsad(
      data,
      ...benchArgs('nab', 'zms', join(dir, 'out-partial-env'), '--files', `${HERE},${FILE}`, '-q'),
    );
    expect(r.status, r.stderr).toBe(0);
    expect(served).toEqual([`data/${FILE}`]);
    expect(existsSync(join(data, 'nab', 'data', FILE))).toBe(true);
  }, 120_000);

  it('tsad nab run does the same', async () => {
    const r = await bin(
      'nab',
      'run',
      '--files',
      `${HERE},${FILE}`,
      '-d',
      'zms',
      '--no-floor',
      '--no-track',
      '--workers',
      '1',
      '-o',
      join(dir, 'out-partial-run'),
      '-q',
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/tsad_zms/);
  }, 120_000);
});
