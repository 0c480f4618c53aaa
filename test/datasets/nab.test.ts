import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NAB_BASE_URL,
  NAB_DATA_FILES,
  NAB_OTHER_FILES,
  nabDataDir,
  nabFiles,
  nabPath,
  nabWindows,
  packageRoot,
  userCacheDir,
} from '../../src/datasets/index.js';
import { DatasetError, dateBin, labelsFromWindows, loadNab, SeriesError } from '../../src/index.js';
import { loadNabRows } from '../../src/internal.js';
import { parseTime, type SeriesWarningCode } from '../../src/series/index.js';
import { ioError, recordFsyncs, syncedDurably } from '../helpers/fsyncs.js';

const MT = 'realKnownCause/machine_temperature_system_failure.csv';

describe('NAB manifest', () => {
  it('lists the 58 data files with GitHub raw URLs, plus labels/config/results', () => {
    expect(nabFiles()).toHaveLength(58);
    expect(new Set(nabFiles()).size).toBe(58);
    expect(nabFiles()).toContain(MT);
    for (const e of [...NAB_DATA_FILES, ...NAB_OTHER_FILES]) {
      expect(e.url).toBe(`https://raw.githubusercontent.com/numenta/NAB/master/${e.path}`);
      expect(e.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(NAB_OTHER_FILES.map((e) => e.path)).toEqual(
      expect.arrayContaining([
        'labels/combined_windows.json',
        'config/thresholds.json',
        'results/final_results.json',
      ]),
    );
    expect(NAB_BASE_URL).toBe('https://raw.githubusercontent.com/numenta/NAB/master/');
  });
  it('every local file matches its sha256 and size', async () => {
    for (const e of [...NAB_DATA_FILES, ...NAB_OTHER_FILES]) {
      const bytes = readFileSync(await nabPath(e.path));
      expect(bytes.length).toBe(e.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(e.sha256);
    }
  });
  it('the label file has windows for exactly the 58 data files', async () => {
    const all = await nabWindows();
    expect(Object.keys(all).sort()).toEqual(nabFiles().sort());
  });
  it('unknown names are DatasetErrors that say what to pass', async () => {
    await expect(nabPath('data/nope.csv')).rejects.toThrow(DatasetError);
    await expect(loadNab('labels/combined_windows.json')).rejects.toThrow(/data\//);
  });
});

describe('loadNab: machine temperature', () => {
  it('22,695 raw rows, 4 windows; date_bin 5 min / max gives 22,683 rows equal to the series', async () => {
    const warnings: [string, SeriesWarningCode][] = [];
    const d = await loadNab(MT, { onWarning: (m, c) => warnings.push([m, c]) });
    expect(d.name).toBe(MT);
    expect(d.rows.t.length).toBe(22_695);
    expect(d.rows.v.length).toBe(22_695);
    expect(d.windows).toHaveLength(4);
    const raw = JSON.parse(readFileSync(await nabPath('labels/combined_windows.json'), 'utf8')) as Record<
      string,
      [string, string][]
    >;
    expect(d.windows).toEqual(raw[MT].map(([s, e]) => [parseTime(s), parseTime(e)]));
    expect(d.windows[0][0]).toBe(Date.UTC(2013, 11, 10, 6, 25));

    const binned = dateBin(d.rows, { everyMs: 5 * 60_000, aggregate: 'max' });
    expect(binned.t.length).toBe(22_683);
    // the default duplicate policy ('max') agrees with DATE_BIN + MAX on this file
    expect(d.series.t).toEqual(binned.t);
    expect(d.series.v).toEqual(binned.v);
    expect(warnings.map((w) => w[1])).toEqual(['TSAD_UNSORTED', 'TSAD_DUPLICATES']);
    expect(warnings[1][0]).toContain('12 rows');

    const labels = labelsFromWindows(d.series.t, d.windows);
    expect(labels.reduce((s, x) => s + x, 0)).toBeGreaterThan(0);
  });
  it('accepts a bare file name and other duplicate policies', async () => {
    const d = await loadNab('machine_temperature_system_failure', {
      duplicates: 'first',
      onWarning: () => {},
    });
    expect(d.name).toBe(MT);
    expect(d.series.t.length).toBe(22_683);
    await expect(loadNab(MT, { duplicates: 'error', onWarning: () => {} })).rejects.toThrow(
      /line \d+ of .* and line/,
    );
  });
  it('loadNabRows: the same rows as loadNab, and a file loadNab refuses is refused with its error', async () => {
    const d = await loadNab(MT, { onWarning: () => {} });
    const rows = await loadNabRows('machine_temperature_system_failure');
    expect(rows.t).toEqual(d.rows.t);
    expect(rows.v).toEqual(d.rows.v);
    await expect(loadNabRows('labels/combined_windows.json')).rejects.toThrow(DatasetError);

    const dir = mkdtempSync(join(tmpdir(), 'tsad-nabrows-'));
    try {
      const file = join(dir, 'nab', 'data', MT);
      mkdirSync(join(file, '..'), { recursive: true });
      mkdirSync(join(dir, 'nab', 'labels'), { recursive: true });
      writeFileSync(join(dir, 'nab', 'labels', 'combined_windows.json'), JSON.stringify({ [MT]: [] }));
      const bad = [
        'timestamp,value\n2013-12-02 21:15:00,73.9\n2013-12-02 21:20:00,nan\n', // line 3: not finite
        'timestamp,value\n2013-12-02 21:15:00,73.9\n2013-12-02 21:20:00,inf\n',
        'timestamp,value\n', // no rows
        'timestamp,value\n2013-12-02 21:15:00,x\n', // not a number
      ];
      for (const text of bad) {
        writeFileSync(file, text);
        const want = await loadNab(MT, { dataDir: dir, onWarning: () => {} }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(want).toBeInstanceOf(SeriesError);
        const got = await loadNabRows(MT, { dataDir: dir }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(got).toBeInstanceOf(SeriesError);
        expect([(got as SeriesError).code, (got as SeriesError).message]).toEqual([
          (want as SeriesError).code,
          (want as SeriesError).message,
        ]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('NAB downloads (loopback HTTP server)', () => {
  const GOOD = 'data/artificialNoAnomaly/art_flatline.csv';
  const BAD = 'data/artificialNoAnomaly/art_noisy.csv';
  let server: Server;
  let baseUrl = '';
  const hits: string[] = [];
  let goodBytes: Buffer;
  let labelBytes: Buffer;
  const tmp = mkdtempSync(join(tmpdir(), 'tsad-nab-'));

  beforeAll(async () => {
    goodBytes = readFileSync(await nabPath(GOOD));
    labelBytes = readFileSync(await nabPath('labels/combined_windows.json'));
    server = createServer((req, res) => {
      const path = (req.url ?? '').replace(/^\/nab\//, '');
      hits.push(path);
      if (path === GOOD) {
        res.writeHead(200, { 'content-type': 'text/csv' });
        res.end(goodBytes);
      } else if (path === 'labels/combined_windows.json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(labelBytes);
      } else if (path === BAD) {
        res.writeHead(200, { 'content-type': 'text/csv' });
        res.end('timestamp,value\n2014-04-01 00:00:00,1\n');
      } else {
        res.writeHead(404);
        res.end('not found');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/nab/`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(tmp, { recursive: true, force: true });
  });

  it('downloads once, verifies the sha256, writes atomically, then reads the cache', async () => {
    const dataDir = join(tmp, 'a');
    expect(nabDataDir({ dataDir })).toBe(join(dataDir, 'nab'));
    const [p1, p2] = await Promise.all([
      nabPath(GOOD, { dataDir, baseUrl }),
      nabPath(GOOD, { dataDir, baseUrl }),
    ]);
    expect(p1).toBe(join(dataDir, 'nab', GOOD));
    expect(p2).toBe(p1);
    expect(readFileSync(p1).equals(goodBytes)).toBe(true);
    expect(hits.filter((h) => h === GOOD)).toHaveLength(1);
    await nabPath(GOOD, { dataDir, baseUrl, verify: true });
    expect(hits.filter((h) => h === GOOD)).toHaveLength(1);
    expect(readdirSync(join(dataDir, 'nab', 'data', 'artificialNoAnomaly'))).toEqual(['art_flatline.csv']);
  });
  it('writes a download durably (the file, then its folder, fsynced) and leaves no temp file', async () => {
    const dataDir = join(tmp, 'durable');
    const rec = await recordFsyncs();
    let p: string;
    try {
      p = await nabPath(GOOD, { dataDir, baseUrl });
    } finally {
      rec.restore();
    }
    expect(readFileSync(p).equals(goodBytes)).toBe(true);
    expect(syncedDurably(rec.syncs, p)).toBe(true);
    expect(readdirSync(join(dataDir, 'nab', 'data', 'artificialNoAnomaly'))).toEqual(['art_flatline.csv']);
  });
  it('a download that cannot be written (fsync fails) is a DatasetError write_failed and leaves no file', async () => {
    const dataDir = join(tmp, 'eio');
    const rec = await recordFsyncs(ioError());
    const err = await nabPath(GOOD, { dataDir, baseUrl }).catch((e: unknown) => e);
    rec.restore();
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).code).toBe('write_failed');
    expect((err as DatasetError).message).toContain(join(dataDir, 'nab', GOOD));
    expect(rec.syncs.some((s) => !s.dir)).toBe(true); // it failed after the temp file was made
    expect(readdirSync(join(dataDir, 'nab', 'data', 'artificialNoAnomaly'))).toEqual([]);
    // the next call downloads it again and succeeds
    const p = await nabPath(GOOD, { dataDir, baseUrl });
    expect(readFileSync(p).equals(goodBytes)).toBe(true);
  });
  it('a file with the wrong sha256 is a DatasetError and is not saved', async () => {
    const dataDir = join(tmp, 'b');
    const err = await nabPath(BAD, { dataDir, baseUrl }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).code).toBe('sha256_mismatch');
    expect((err as DatasetError).message).toContain(BAD);
    const folder = join(dataDir, 'nab', 'data', 'artificialNoAnomaly');
    expect(existsSync(folder) ? readdirSync(folder) : []).toEqual([]);
  });
  it('an HTTP error is a DatasetError naming the URL; TSAD_NAB_BASE_URL sets the mirror', async () => {
    const dataDir = join(tmp, 'c');
    const before = process.env.TSAD_NAB_BASE_URL;
    process.env.TSAD_NAB_BASE_URL = baseUrl;
    try {
      const err = await nabPath('data/realTweets/Twitter_volume_FB.csv', { dataDir }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DatasetError);
      expect((err as DatasetError).code).toBe('download_failed');
      expect((err as DatasetError).message).toContain(`${baseUrl}data/realTweets/Twitter_volume_FB.csv`);
      expect((err as DatasetError).message).toContain('404');
      // loadNab end to end through the mirror: data file and label file are downloaded and verified
      const d = await loadNab('artificialNoAnomaly/art_flatline.csv', { dataDir });
      expect(existsSync(join(dataDir, 'nab', GOOD))).toBe(true);
      expect(existsSync(join(dataDir, 'nab', 'labels', 'combined_windows.json'))).toBe(true);
      expect(d.rows.t.length).toBe(goodBytes.toString('latin1').trim().split('\n').length - 1);
      expect(d.windows).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.TSAD_NAB_BASE_URL;
      else process.env.TSAD_NAB_BASE_URL = before;
    }
  });
});

describe('nabDataDir resolution', () => {
  it('TSAD_DATA_DIR / dataDir first, then ../shared beside the package root, then beside the cwd', () => {
    const root = packageRoot();
    expect(root).not.toBeNull();
    expect(JSON.parse(readFileSync(join(root!, 'package.json'), 'utf8')).name).toBe('tsad');
    expect(nabDataDir({ dataDir: '/some/where' })).toBe(join('/some/where', 'nab'));

    const savedEnv = process.env.TSAD_DATA_DIR;
    const savedCwd = process.cwd();
    const tmp = mkdtempSync(join(tmpdir(), 'tsad-dir-'));
    try {
      process.env.TSAD_DATA_DIR = join(tmp, 'env');
      expect(nabDataDir()).toBe(join(tmp, 'env', 'nab'));
      delete process.env.TSAD_DATA_DIR;
      mkdirSync(join(tmp, 'shared', 'datasets', 'nab'), { recursive: true });
      mkdirSync(join(tmp, 'work'));
      process.chdir(join(tmp, 'work'));
      const besideRoot = join(root!, '..', 'shared', 'datasets', 'nab');
      const besideCwd = join(realpathSync(tmp), 'shared', 'datasets', 'nab');
      expect(nabDataDir()).toBe(existsSync(besideRoot) ? besideRoot : besideCwd);
      rmSync(join(tmp, 'shared'), { recursive: true });
      if (!existsSync(besideRoot)) {
        expect(nabDataDir()).toBe(join(userCacheDir(), 'nab'));
        expect(nabDataDir({ cacheDir: join(tmp, 'c') })).toBe(join(tmp, 'c', 'nab'));
      }
    } finally {
      process.chdir(savedCwd);
      if (savedEnv === undefined) delete process.env.TSAD_DATA_DIR;
      else process.env.TSAD_DATA_DIR = savedEnv;
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
