import type fs from 'node:fs';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkCorpusData, type NabFileJob, nabResultPath, runNabFile } from '../../src/internal.js';
import { ioError, recordFsyncs, standInFs, syncedDurably, tempFiles } from '../helpers/fsyncs.js';

const dir = mkdtempSync(join(tmpdir(), 'tsad-nab-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// a corpus in NAB's layout: one file of 400 five-minute rows, one label window
const corpus = join(dir, 'corpus');
const FILE = 'realTest/a.csv';
const N = 400;
mkdirSync(join(corpus, 'data', 'realTest'), { recursive: true });
mkdirSync(join(corpus, 'labels'));
const t0 = Date.UTC(2024, 0, 1);
const stamp = (i: number): string => new Date(t0 + i * 300_000).toISOString().slice(0, 19).replace('T', ' ');
writeFileSync(
  join(corpus, 'data', FILE),
  `timestamp,value\n${Array.from({ length: N }, (_, i) => `${stamp(i)},${i === 300 ? 50 : Math.sin(i / 7)}`).join('\n')}\n`,
);
writeFileSync(
  join(corpus, 'labels', 'combined_windows.json'),
  JSON.stringify({ [FILE]: [[`${stamp(290)}.000000`, `${stamp(310)}.000000`]] }),
);
const job = (outDir: string): NabFileJob => ({
  detectorName: 'tsad_zms',
  recipe: 'zms',
  seed: 1,
  file: FILE,
  outDir,
  corpusDir: corpus,
});

describe('runNabFile: the result file', () => {
  it('is written whole and durably (file, then folder, fsynced), with no temp file left', async () => {
    const outDir = join(dir, 'ok');
    const rec = await recordFsyncs();
    let path: string;
    try {
      path = (await runNabFile(job(outDir))).path;
    } finally {
      rec.restore();
    }
    expect(path).toBe(nabResultPath(outDir, 'tsad_zms', FILE));
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines[0]).toBe('timestamp,value,anomaly_score,label');
    expect(lines).toHaveLength(N + 2); // header, N rows, the final newline
    expect(lines[N]).toMatch(/^2024-01-02 09:15:00,[^,]+,[^,]+,[01]$/);
    expect(syncedDurably(rec.syncs, path)).toBe(true);
    expect(readdirSync(dirname(path))).toEqual(['tsad_zms_a.csv']);
  });

  it('a failed write leaves no temp file (and an older result file as it was)', async () => {
    const outDir = join(dir, 'fail');
    const path = nabResultPath(outDir, 'tsad_zms', FILE);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, 'older result');
    const rec = await recordFsyncs(ioError());
    const err = await runNabFile(job(outDir)).catch((e: unknown) => e);
    rec.restore();
    expect((err as NodeJS.ErrnoException).code).toBe('EIO');
    expect(readFileSync(path, 'utf8')).toBe('older result');
    // a folder where the result file goes: the temp file is made, the rename fails
    rmSync(path);
    mkdirSync(path);
    const err2 = await runNabFile(job(outDir)).catch((e: unknown) => e);
    expect((err2 as NodeJS.ErrnoException).code).toBe('EISDIR');
    expect(tempFiles(readdirSync(dirname(path)))).toEqual([]);
    expect(readdirSync(dirname(path))).toEqual(['tsad_zms_a.csv']);
  });
});

describe('runNabFile: the label windows follow the labels file (fix42)', () => {
  /** The rows of a result file whose label column is 1. */
  const labelled = (path: string): number[] =>
    readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .flatMap((line, i) => (line.endsWith(',1') ? [i] : []));
  const windowsFile = join(corpus, 'labels', 'combined_windows.json');
  const labels = (...wins: [number, number][]) =>
    writeFileSync(
      windowsFile,
      JSON.stringify({ [FILE]: wins.map(([a, b]) => [`${stamp(a)}.000000`, `${stamp(b)}.000000`]) }),
    );
  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
  afterAll(() => labels([290, 310]));

  it("a second run in the same process after the labels were edited scores against the new windows (was the first run's)", async () => {
    const outDir = join(dir, 'relabel');
    labels([290, 310]);
    expect(labelled((await runNabFile(job(outDir))).path)).toEqual(range(290, 310));
    labels([250, 270]); // the same size, written at once: only the content tells
    expect(labelled((await runNabFile(job(outDir))).path)).toEqual(range(250, 270));
    labels([100, 110], [250, 270]);
    expect(labelled((await runNabFile(job(outDir))).path)).toEqual([...range(100, 110), ...range(250, 270)]);
    writeFileSync(windowsFile, JSON.stringify({ 'realTest/b.csv': [] }));
    await expect(runNabFile(job(outDir))).rejects.toMatchObject({ code: 'unknown_file' });
  });

  it('labels parsed once they had settled (last changed over 2 s before) and kept: an edit after that is read all the same', async () => {
    const outDir = join(dir, 'relabel-settled');
    labels([290, 310]);
    await new Promise((r) => setTimeout(r, 2_100)); // past the window in which a file's clock may not tell an edit
    expect(labelled((await runNabFile(job(outDir))).path)).toEqual(range(290, 310));
    expect(labelled((await runNabFile(job(outDir))).path)).toEqual(range(290, 310)); // kept
    labels([250, 270]); // the same size
    expect(labelled((await runNabFile(job(outDir))).path)).toEqual(range(250, 270));
  });
});

/**
 * `statSync` of `path` as a filesystem with a coarse clock reports it, until `restore()`: its modification
 * and change times both `clock.ns` (the test sets it), so an edit that keeps the size and inode keeps the stamp.
 */
function coarseStat(path: string): { clock: { ns: bigint }; restore(): void } {
  const clock = { ns: 0n };
  const restore = standInFs(
    'statSync',
    (orig) =>
      ((p: fs.PathLike, opts?: fs.StatSyncOptions) => {
        const st = orig(p, opts);
        return p === path && st ? { ...st, mtimeNs: clock.ns, ctimeNs: clock.ns } : st;
      }) as unknown as typeof fs.statSync,
  );
  return { clock, restore };
}

describe('corpusWindows and a coarse file clock: the 2-second rule (rev42)', () => {
  const windowsFile = join(corpus, 'labels', 'combined_windows.json');
  const labels = (a: number, b: number) =>
    writeFileSync(windowsFile, JSON.stringify({ [FILE]: [[`${stamp(a)}.000000`, `${stamp(b)}.000000`]] }));
  const win = (a: number, b: number) => [[t0 + a * 300_000, t0 + b * 300_000]];
  const windows = async () => (await checkCorpusData(corpus, [FILE])).get(FILE)?.windows;
  const nowNs = () => BigInt(Date.now()) * 1_000_000n;
  afterAll(() => labels(290, 310));

  it('a same-size edit in the clock tick of the last read (the stamp unchanged) is read all the same', async () => {
    const coarse = coarseStat(windowsFile);
    try {
      coarse.clock.ns = nowNs(); // written just now, in the tick the reads below fall in
      labels(290, 310);
      expect(await windows()).toEqual(win(290, 310));
      labels(250, 270); // the same size, and the same stamp: only the content tells
      expect(await windows()).toEqual(win(250, 270));
    } finally {
      coarse.restore();
    }
  });

  it('a file last changed over 2 s before it was read is parsed once: its stamp alone says whether to read it again', async () => {
    const coarse = coarseStat(windowsFile);
    try {
      coarse.clock.ns = nowNs() - 10_000_000_000n;
      labels(290, 310);
      expect(await windows()).toEqual(win(290, 310));
      labels(250, 270); // a same-size edit whose stamp (on this stand-in clock) does not show it: the cache answers
      expect(await windows()).toEqual(win(290, 310));
      coarse.clock.ns = nowNs(); // the edit shows in the stamp: read again
      expect(await windows()).toEqual(win(250, 270));
    } finally {
      coarse.restore();
    }
  });
});
