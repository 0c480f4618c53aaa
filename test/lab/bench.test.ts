import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, type Detector, defaultDetector, SeriesError, ZmsDetector } from '../../src/index.js';
import {
  checkCorpusData,
  kindColumnWidth,
  kindHeader,
  makeDetector,
  nabResultPath,
  poolFailureError,
  recipeMapping,
} from '../../src/internal.js';
import {
  FLOOR_RECIPE,
  formatBench,
  formatLocate,
  type LocateScorer,
  runBench,
  runLocate,
  synthCorpus,
  writeSynthCorpus,
} from '../../src/lab/index.js';
import { ioError, recordFsyncs, syncedDurably, tempFiles } from '../helpers/fsyncs.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-bench-'));
  writeSynthCorpus(
    dir,
    synthCorpus({ seed: 5, perKind: 1, clean: 2, length: 600, kinds: ['spike', 'levelShiftUp', 'flatline'] }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runBench', () => {
  it('writes its manifest and scoreboard whole and durably; a failed write keeps the last ones and leaves no temp file', async () => {
    const out = join(dir, 'results-atomic');
    const opts = { corpus: dir, detectors: ['zms'], workers: 1, outDir: out, floor: false };
    const rec = await recordFsyncs();
    let report: Awaited<ReturnType<typeof runBench>>;
    try {
      report = await runBench(opts);
    } finally {
      rec.restore();
    }
    const board = join(out, 'scoreboard.json');
    const manifest = join(out, 'tsad_zms.run.json');
    expect(JSON.parse(readFileSync(board, 'utf8'))).toEqual(JSON.parse(JSON.stringify(report)));
    expect(Object.keys(JSON.parse(readFileSync(manifest, 'utf8')).files)).toHaveLength(5);
    expect(syncedDurably(rec.syncs, board)).toBe(true);
    expect(syncedDurably(rec.syncs, manifest)).toBe(true);
    const all = (): string[] => readdirSync(out, { recursive: true, encoding: 'utf8' });
    expect(tempFiles(all())).toEqual([]);

    const before = [readFileSync(board, 'utf8'), readFileSync(manifest, 'utf8')];
    const bad = await recordFsyncs(ioError());
    try {
      await expect(runBench({ ...opts, force: true })).rejects.toMatchObject({ code: 'EIO' });
    } finally {
      bad.restore();
    }
    expect([readFileSync(board, 'utf8'), readFileSync(manifest, 'utf8')]).toEqual(before);
    expect(tempFiles(all())).toEqual([]);
  }, 60_000);

  it('scores a synthetic corpus under NAB rules with floor rows, per-kind and per-file figures', async () => {
    const r = await runBench({
      corpus: dir,
      detectors: ['zms', 'zmsLikelihood'],
      workers: 1,
      outDir: join(dir, 'results'),
    });
    expect(r.partial).toBe(false);
    expect(r.rows.map((x) => x.recipe).sort()).toEqual([
      'floorCdf',
      'floorLikelihood',
      'zms',
      'zmsLikelihood',
    ]);
    const floorCdf = r.rows.find((x) => x.recipe === 'floorCdf');
    // zeros through 2Φ(|s|)−1 are the null detector: NAB score 0, nothing found, no false alarm
    expect(floorCdf?.scores.standard).toBe(0);
    expect(floorCdf?.kinds.reduce((s, k) => s + k.found, 0)).toBe(0);
    expect(floorCdf?.clean).toEqual({ files: 2, withAlarm: 0 });
    // nothing detected: no time to detect (null in the JSON), not 0 s
    for (const f of floorCdf?.perFile ?? []) expect(f.mttdSec).toBeNull();
    expect(JSON.stringify(floorCdf?.perFile)).toContain('"mttdSec":null');
    const zms = r.rows.find((x) => x.recipe === 'zms');
    expect(zms?.kinds.map((k) => [k.kind, k.windows])).toEqual([
      ['flatline', 1],
      ['levelShiftUp', 1],
      ['spike', 1],
    ]);
    expect(zms?.perFile).toHaveLength(5);
    for (const f of zms?.perFile ?? []) if (f.windows > 0) expect(f.f1).toBeGreaterThanOrEqual(0);
    for (const f of zms?.perFile ?? []) {
      if (f.recall > 0) expect(f.mttdSec).toBeTypeOf('number');
      else expect(f.mttdSec).toBeNull();
    }
    const text = formatBench(r);
    expect(text).toContain('(floor) tsad_floorLikelihood');
    expect(text).toContain('per kind');
    // the floor rows detect nothing: no time to detect is printed as the table's "none", not NaN
    expect(text).not.toContain('NaN');
    const floorLine = text.split('\n').find((l) => l.startsWith('(floor) tsad_floorCdf'));
    expect(floorLine?.trimEnd().endsWith(' —')).toBe(true);
    const zmsLine = text.split('\n').find((l) => l.startsWith('tsad_zms '));
    expect(zmsLine?.trimEnd()).toMatch(/ \d+\.\d$/);
  });

  it('the online mapping has its own floor row; its scores are NAB scores and follow each file’s own scale', async () => {
    const out = join(dir, 'online');
    const r = await runBench({ corpus: dir, detectors: ['zmsOnline'], workers: 1, outDir: out });
    expect(r.rows.map((x) => x.recipe).sort()).toEqual(['floorOnline', 'zmsOnline']);
    const floor = r.rows.find((x) => x.recipe === 'floorOnline');
    expect(floor?.scores.standard).toBe(0);
    expect(floor?.clean).toEqual({ files: 2, withAlarm: 0 });
    expect(recipeMapping('zmsOnline')).toBe('online');
    // every written score is in [0, 1], and the spike file's highest score is at the spike
    const path = nabResultPath(out, 'tsad_zmsOnline', 'spike/spike_00.csv');
    const rows = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    const scores = rows.map((c) => Number(c[2]));
    expect(scores.every((x) => x >= 0 && x <= 1)).toBe(true);
    const top = scores.indexOf(Math.max(...scores));
    expect(rows[top][3]).toBe('1'); // inside the labelled window
  });

  it('labels a run over some files partial', async () => {
    const r = await runBench({
      corpus: dir,
      detectors: ['zms'],
      files: ['spike/spike_00.csv', 'clean/clean_00.csv'],
      outDir: join(dir, 'partial'),
      workers: 1,
    });
    expect(r.partial).toBe(true);
    expect(r.rows.every((x) => x.partial)).toBe(true);
    const text = formatBench(r);
    expect(text).toMatch(/^PARTIAL run/);
    // every row's mapping column starts where the header's does (a long partial floor name pushed it right)
    const [, header, ...rows] = text.split('\n');
    const at = header.indexOf('mapping');
    for (const line of rows.slice(0, r.rows.length)) expect(line.slice(at, at + 4)).toBe('cdf ');
  });

  it('says when a window lies wholly in the probationary part, which NAB never scores (no row can reach 100)', async () => {
    // NAB's labeller drops such windows; its scorer counts them in the perfect score but not the null one
    // (docs/metrics.md): a hand-made corpus with one would cap every row silently
    const copy = mkdtempSync(join(tmpdir(), 'tsad-bench-probation-'));
    try {
      cpSync(dir, copy, { recursive: true });
      const wPath = join(copy, 'labels', 'combined_windows.json');
      const windows = JSON.parse(readFileSync(wPath, 'utf8')) as Record<string, string[][]>;
      const rows = readFileSync(join(copy, 'data', 'clean', 'clean_00.csv'), 'utf8').split('\n');
      // rows 10–20 of 600: the first floor(0.15 · 600) = 90 rows are probationary
      windows['clean/clean_00.csv'] = [[rows[11].split(',')[0], rows[21].split(',')[0]]];
      writeFileSync(wPath, JSON.stringify(windows));
      rmSync(join(copy, 'labels', 'combined_windows_kinds.json'));
      const r = await runBench({ corpus: copy, detectors: ['zms'], workers: 1, outDir: join(copy, 'r') });
      expect(r.unscorableWindows).toEqual(['clean/clean_00.csv window 0']);
      expect(formatBench(r)).toMatch(
        /1 window lies wholly in the probationary part \(its file.s first 15 % of rows, at most 750\), which NAB never scores: clean\/clean_00\.csv window 0; no row can reach 100/,
      );
      const ok = await runBench({
        corpus: dir,
        detectors: ['zms'],
        workers: 1,
        outDir: join(dir, 'results'),
      });
      expect(ok.unscorableWindows).toEqual([]);
      expect(formatBench(ok)).not.toMatch(/probationary part/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('reuses result files with an alarm column and runs again those without one', async () => {
    const out = join(dir, 'reuse');
    const files = ['spike/spike_00.csv', 'clean/clean_00.csv'];
    const first = await runBench({
      corpus: dir,
      detectors: ['zms'],
      files,
      outDir: out,
      workers: 1,
      floor: false,
    });
    expect(first.rows[0].runs.map((f) => f.file)).toEqual([...files].sort());
    // a result file as NAB's own runner (or an older tsad) writes it: no alarm column
    const path = nabResultPath(out, 'tsad_zms', 'spike/spike_00.csv');
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    writeFileSync(path, `${lines.map((l) => l.split(',').slice(0, 4).join(',')).join('\n')}\n`);
    const seen: string[] = [];
    const second = await runBench({
      corpus: dir,
      detectors: ['zms'],
      files,
      outDir: out,
      workers: 1,
      floor: false,
      onFile: (_d, f) => seen.push(f.file),
    });
    expect(seen).toEqual(['spike/spike_00.csv']);
    expect(readFileSync(path, 'utf8').split('\n')[0]).toBe('timestamp,value,anomaly_score,label,alarm');
    expect(second.rows[0].scores).toEqual(first.rows[0].scores);
    expect(second.rows[0].own).toEqual(first.rows[0].own);
  });

  it('a run cut short keeps the files it finished: the manifest lists each one as it is written, the next run runs only the rest', async () => {
    const out = join(dir, 'cut');
    const opts = { corpus: dir, detectors: ['zms'], outDir: out, workers: 1, floor: false };
    const first: string[] = [];
    const stop = new Error('cut short (as Ctrl-C would)');
    await expect(
      runBench({
        ...opts,
        onFile: (_d, f) => {
          first.push(f.file);
          if (first.length === 2) throw stop;
        },
      }),
    ).rejects.toBe(stop);
    const listed = Object.keys(JSON.parse(readFileSync(join(out, 'tsad_zms.run.json'), 'utf8')).files);
    expect(listed.sort()).toEqual([...first].sort());
    expect(tempFiles(readdirSync(out, { recursive: true, encoding: 'utf8' }))).toEqual([]);
    const said: [number, number][] = [];
    const second: string[] = [];
    const report = await runBench({
      ...opts,
      onRecipe: (_d, toRun, skipped) => said.push([toRun, skipped]),
      onFile: (_d, f) => second.push(f.file),
    });
    expect(said).toEqual([[3, 2]]);
    expect(second.filter((f) => first.includes(f))).toEqual([]);
    // the same figures as a run that was never cut
    const whole = await runBench({ ...opts, outDir: join(dir, 'uncut') });
    expect(report.rows[0].scores).toEqual(whole.rows[0].scores);
    expect(report.rows[0].own).toEqual(whole.rows[0].own);
  });

  it('a run over some files scores those files only, whatever other result files the folder holds', async () => {
    // the folder's other result files may be stale: another seed, an older recipe, an older corpus
    const files = ['spike/spike_00.csv', 'clean/clean_00.csv'];
    const opts = { corpus: dir, detectors: ['zms'], workers: 1, floor: false };
    const used = join(dir, 'partial-after-full');
    await runBench({ ...opts, seed: 3, outDir: used });
    const some = await runBench({ ...opts, files, outDir: used });
    const alone = await runBench({ ...opts, files, outDir: join(dir, 'partial-alone') });
    expect(some.rows[0].scores).toEqual(alone.rows[0].scores);
    expect(some.rows[0].thresholds).toEqual(alone.rows[0].thresholds);
  }, 60_000);

  it('a second run on the same results folder and recipe while one runs is refused, not interleaved', async () => {
    // two runs writing one detector's result files and manifest would each list files the other
    // rewrote (another seed: a manifest naming result files computed with the other seed)
    const out = join(dir, 'busy');
    const opts = { corpus: dir, detectors: ['zms'], outDir: out, workers: 1, floor: false };
    let second: Promise<unknown> | undefined;
    const first = await runBench({
      ...opts,
      onRecipe: () => {
        // its error kept as the outcome (it settles while the first run is still going)
        second ??= runBench({ ...opts, seed: 1, force: true }).then(
          () => 'ran',
          (err: unknown) => err,
        );
      },
    });
    const refused = await second;
    expect(refused).toBeInstanceOf(ConfigError);
    expect(refused).toMatchObject({ code: 'results_busy' });
    expect(String(refused)).toMatch(/tsad_zms: another tsad process \(held by pid \d+/);
    expect(readdirSync(out).filter((f) => f.includes('lock'))).toEqual([]);
    // the lock is let go with the run: the same command afterwards reuses every file
    const again = await runBench(opts);
    expect(again.rows[0].scores).toEqual(first.rows[0].scores);
    // a lock whose process died (kill -9) is broken by the next run, not waited for
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(join(out, 'tsad_zms.lock'), `${hostname()}\n${dead}\nabc\n${Date.now()}\n`);
    const after = await runBench(opts);
    expect(after.rows[0].scores).toEqual(first.rows[0].scores);
    expect(existsSync(join(out, 'tsad_zms.lock'))).toBe(false);
  }, 60_000);

  it('runs again what a changed seed or a rewritten data file would make stale, and only that', async () => {
    const out = join(dir, 'stale');
    const files = ['spike/spike_00.csv', 'clean/clean_00.csv'];
    const run = async (seed: number) => {
      const seen: string[] = [];
      await runBench({
        corpus: dir,
        detectors: ['zms'],
        files,
        outDir: out,
        workers: 1,
        floor: false,
        seed,
        onFile: (_d, f) => seen.push(f.file),
      });
      return seen.sort();
    };
    expect(await run(0)).toEqual([...files].sort());
    expect(await run(0)).toEqual([]); // nothing changed: every result is reused
    expect(await run(1)).toEqual([...files].sort()); // another seed: another recipe fingerprint
    // the same data written again (as `tsad synth DIR` does): its time stamp moves, so it runs again
    const data = join(dir, 'data', 'spike', 'spike_00.csv');
    const later = new Date(Date.now() + 5_000);
    utimesSync(data, later, later);
    expect(await run(1)).toEqual(['spike/spike_00.csv']);
    expect(await run(1)).toEqual([]);
  });

  it('refuses a folder without labels and unknown recipes', async () => {
    await expect(runBench({ corpus: join(dir, 'data') })).rejects.toThrow(ConfigError);
    await expect(runBench({ corpus: dir, detectors: ['nope'] })).rejects.toThrow(/unknown detector "nope"/);
  });

  it('refuses labels that list no files as empty_corpus, naming the labels file (not missing_results)', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tsad-bench-empty-'));
    try {
      writeSynthCorpus(empty, synthCorpus({ seed: 5, perKind: 1, clean: 0, length: 300, kinds: ['spike'] }));
      writeFileSync(join(empty, 'labels', 'combined_windows.json'), '{}\n');
      const e = await runBench({
        corpus: empty,
        detectors: ['zms'],
        workers: 1,
        outDir: join(empty, 'r'),
      }).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(ConfigError);
      expect(e).toMatchObject({ code: 'empty_corpus' });
      expect((e as Error).message).toMatch(
        /combined_windows\.json lists no files: .*"<category>\/<file>\.csv": \[\]/,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('runBench and runLocate: malformed corpora are refused before any detector runs (eval40)', () => {
  /** A copy of the shared corpus, edited by `edit`, and what runBench and runLocate throw on it. */
  async function refusals(edit: (corpus: string) => void): Promise<unknown[]> {
    const copy = mkdtempSync(join(tmpdir(), 'tsad-bench-bad-'));
    try {
      cpSync(dir, copy, { recursive: true });
      edit(copy);
      const out = join(copy, 'r');
      return [
        await runBench({ corpus: copy, detectors: ['zms'], workers: 1, outDir: out }).catch(
          (e: unknown) => e,
        ),
        await runLocate({ corpus: copy, detectors: ['zms'] }).catch((e: unknown) => e),
      ];
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }
  const kindsPath = (c: string) => join(c, 'labels', 'combined_windows_kinds.json');
  const editKinds = (c: string, f: (k: Record<string, Record<string, unknown>[]>) => void) => {
    const k = JSON.parse(readFileSync(kindsPath(c), 'utf8')) as Record<string, Record<string, unknown>[]>;
    f(k);
    writeFileSync(kindsPath(c), JSON.stringify(k));
  };
  function expectBadCorpus(errors: unknown[], message: RegExp): void {
    for (const e of errors) {
      // before: a raw SyntaxError (exit 1) for bad JSON, and silent fallbacks (kind = folder, onset = window start)
      expect(e).toBeInstanceOf(ConfigError);
      expect(e).toMatchObject({ code: 'bad_corpus' });
      expect((e as Error).message).toMatch(message);
    }
  }

  it('a kinds file that is not valid JSON, or not an object, names the file', async () => {
    expectBadCorpus(
      await refusals((c) => writeFileSync(kindsPath(c), '{')),
      /combined_windows_kinds\.json is not valid JSON: .*fix it, or delete it \(each window's kind is then its category folder\)/,
    );
    expectBadCorpus(
      await refusals((c) => writeFileSync(kindsPath(c), 'null')),
      /combined_windows_kinds\.json must hold a JSON object/,
    );
  });

  it('a kinds entry that disagrees with the windows file (count, kind, onset outside its window, a file it lacks) names the file and entry', async () => {
    expectBadCorpus(
      await refusals((c) => editKinds(c, (k) => k['spike/spike_00.csv'].push({ kind: 'spike' }))),
      /spike\/spike_00\.csv has 2 entries in .*combined_windows_kinds\.json but 1 window in .*combined_windows\.json/,
    );
    expectBadCorpus(
      await refusals((c) =>
        editKinds(c, (k) => {
          k['spike/spike_00.csv'][0].kind = 7;
        }),
      ),
      /spike\/spike_00\.csv entry 0: "kind" must be a non-empty string/,
    );
    expectBadCorpus(
      await refusals((c) =>
        editKinds(c, (k) => {
          k['spike/spike_00.csv'][0].onset = 'yesterday';
        }),
      ),
      /spike\/spike_00\.csv entry 0: "onset" \("yesterday"\) is not a timestamp/,
    );
    expectBadCorpus(
      await refusals((c) =>
        editKinds(c, (k) => {
          k['spike/spike_00.csv'][0].onset = '2024-01-05 00:00:00';
        }),
      ),
      /spike\/spike_00\.csv entry 0: "onset" 2024-01-05 00:00:00 is outside its window \[2024-01-04 00:15:00, 2024-01-04 15:00:00\]/,
    );
    expectBadCorpus(
      await refusals((c) =>
        editKinds(c, (k) => {
          k['spike/spike_00.csv'][0].until = '2024-01-04 01:00:00';
        }),
      ),
      /spike\/spike_00\.csv entry 0: "until" 2024-01-04 01:00:00 is before its "onset"/,
    );
    expectBadCorpus(
      await refusals((c) => editKinds(c, (k) => (k['spike/spike_09.csv'] = [{ kind: 'spike' }]))),
      /combined_windows_kinds\.json lists "spike\/spike_09\.csv", which .*combined_windows\.json does not/,
    );
  });

  it('a data file without a key in the labels file is named, with the key to add', async () => {
    // before: left out of the run without a word (a clean file the user meant to count never counted)
    expectBadCorpus(
      await refusals((c) =>
        cpSync(join(c, 'data', 'clean', 'clean_00.csv'), join(c, 'data', 'clean', 'clean_07.csv')),
      ),
      /data\/clean\/clean_07\.csv has no key in .*combined_windows\.json: add "clean\/clean_07\.csv": \[\] \(anomaly-free\) or its windows, or move the file out of data\//,
    );
  });

  it('windows out of order or overlapping are refused before the run, naming both windows', async () => {
    // before: the detectors ran over the whole corpus first, then the scorer refused the windows
    expectBadCorpus(
      await refusals((c) => {
        const wPath = join(c, 'labels', 'combined_windows.json');
        const w = JSON.parse(readFileSync(wPath, 'utf8')) as Record<string, string[][]>;
        const [start, end] = w['spike/spike_00.csv'][0];
        w['spike/spike_00.csv'] = [
          [start, end],
          [start, end],
        ];
        writeFileSync(wPath, JSON.stringify(w));
        rmSync(kindsPath(c));
      }),
      /combined_windows\.json: spike\/spike_00\.csv window 1 starts at 2024-01-04 00:15:00, at or before window 0 ends at 2024-01-04 15:00:00; NAB windows are sorted and do not overlap: sort the windows and merge overlapping ones/,
    );
  });

  it('a labels key that is not "<category>/<file>.csv" is refused before the run', async () => {
    // before: the detectors ran, the result file went one folder deeper than the scorer reads, and the run
    // ended in "holds results for 4 of 5 files"
    expectBadCorpus(
      await refusals((c) => {
        const wPath = join(c, 'labels', 'combined_windows.json');
        const w = JSON.parse(readFileSync(wPath, 'utf8')) as Record<string, unknown>;
        w['spike/deeper/spike_00.csv'] = w['spike/spike_00.csv'];
        delete w['spike/spike_00.csv'];
        writeFileSync(wPath, JSON.stringify(w));
        mkdirSync(join(c, 'data', 'spike', 'deeper'));
        renameSync(
          join(c, 'data', 'spike', 'spike_00.csv'),
          join(c, 'data', 'spike', 'deeper', 'spike_00.csv'),
        );
        rmSync(kindsPath(c));
      }),
      /combined_windows\.json: "spike\/deeper\/spike_00\.csv" is not a NAB file key: NAB's layout keys each file as "<category>\/<file>\.csv" \(data\/<category>\/<file>\.csv, one folder deep\)/,
    );
  });

  it('a data file the reader refuses (an empty value) is a SeriesError naming it (exit 3: bad data, not usage)', async () => {
    // before: ConfigError file_failed (exit 2, the usage code) for what is a defect of the data
    const copy = mkdtempSync(join(tmpdir(), 'tsad-bench-value-'));
    try {
      cpSync(dir, copy, { recursive: true });
      const path = join(copy, 'data', 'spike', 'spike_00.csv');
      const lines = readFileSync(path, 'utf8').split('\n');
      lines[300] = `${lines[300].split(',')[0]},`;
      writeFileSync(path, lines.join('\n'));
      const e = await runBench({
        corpus: copy,
        detectors: ['zms'],
        workers: 1,
        outDir: join(copy, 'r'),
      }).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(SeriesError);
      expect(e).toMatchObject({ code: 'non_finite' });
      expect((e as Error).message).toMatch(
        /^the corpus data file spike\/spike_00\.csv cannot be read, so no detector ran; fix the file \(tsad bench reads each corpus file as it is\): line 301 of .*spike_00\.csv .*value NaN is not finite/,
      );
      // found before any detector ran (fix41; before, every other file had run first)
      expect(existsSync(join(copy, 'r', 'tsad_zms'))).toBe(false);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("each data file is parsed once: every recipe runs on the pre-run check's parse; a file edited after the check runs again next time (fix42)", async () => {
    const copy = mkdtempSync(join(tmpdir(), 'tsad-bench-once-'));
    try {
      cpSync(dir, copy, { recursive: true });
      const opts = { detectors: ['zms'], workers: 1 };
      const intact = await runBench({ ...opts, corpus: dir, outDir: join(copy, 'intact'), force: true });
      const path = join(copy, 'data', 'spike', 'spike_00.csv');
      const lines = readFileSync(path, 'utf8').split('\n');
      lines[300] = `${lines[300].split(',')[0]},`; // an empty value: the reader refuses the file
      const recipes: string[] = [];
      const report = await runBench({
        ...opts,
        corpus: copy,
        outDir: join(copy, 'r'),
        // called after the check, before each recipe's files run: no run reads a data file again
        onRecipe: (d) => {
          recipes.push(d);
          writeFileSync(path, lines.join('\n'));
        },
      });
      expect(recipes).toEqual(['tsad_zms', 'tsad_floorCdf']);
      expect(report.rows.map((r) => [r.detector, r.scores])).toEqual(
        intact.rows.map((r) => [r.detector, r.scores]),
      );
      // every recipe's manifest records the stamp of the data it scored (taken before the check), not the
      // edited file's: a stamp taken per recipe would mark the second recipe's stale result as fresh for good
      const scored = statSync(join(dir, 'data', 'spike', 'spike_00.csv')).size;
      expect(statSync(path).size).not.toBe(scored);
      for (const d of recipes) {
        const manifest = JSON.parse(readFileSync(join(copy, 'r', `${d}.run.json`), 'utf8')) as {
          files: Record<string, { size: number }>;
        };
        expect(manifest.files['spike/spike_00.csv'].size, d).toBe(scored);
      }
      // the manifest holds the file's stamp from before the check: the next run reads the edit and refuses it
      const next = await runBench({ ...opts, corpus: copy, outDir: join(copy, 'r') }).catch(
        (e: unknown) => e,
      );
      expect(next).toBeInstanceOf(SeriesError);
      expect((next as Error).message).toMatch(/^the corpus data file spike\/spike_00\.csv cannot be read/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('the check keeps the files it read only within its byte budget, in order, and still reads (and refuses) every file (fix42)', async () => {
    const files = Object.keys(
      JSON.parse(readFileSync(join(dir, 'labels', 'combined_windows.json'), 'utf8')),
    ).sort();
    const all = await checkCorpusData(dir, files);
    expect([...all.keys()]).toEqual(files);
    // the bytes of the distinct buffers behind a kept file's arrays
    const bytes = (f: string) => {
      const d = all.get(f);
      if (!d) throw new Error(`${f} not kept`);
      const buffers = new Set([d.rows.t, d.rows.v, d.series.t, d.series.v].map((a) => a.buffer));
      return [...buffers].reduce((n, b) => n + b.byteLength, 0);
    };
    const two = bytes(files[0]) + bytes(files[1]);
    expect([...(await checkCorpusData(dir, files, two)).keys()]).toEqual(files.slice(0, 2));
    expect([...(await checkCorpusData(dir, files, two - 1)).keys()]).toEqual(files.slice(0, 1));
    expect((await checkCorpusData(dir, files, 0)).size).toBe(0);
    // a file past the budget is read all the same: a bad one is refused
    const copy = mkdtempSync(join(tmpdir(), 'tsad-bench-kept-'));
    try {
      cpSync(dir, copy, { recursive: true });
      const last = files[files.length - 1];
      writeFileSync(join(copy, 'data', last), 'timestamp,value\n2024-01-01 00:00:00,\n');
      await expect(checkCorpusData(copy, files, 0)).rejects.toThrow(
        new RegExp(`^the corpus data file ${last.replace('.', '\\.')} cannot be read, so no detector ran`),
      );
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('a labels file that is not valid JSON or not an object is bad_corpus, as for the kinds file (was MetricsError bad_window)', async () => {
    const labels = (c: string) => join(c, 'labels', 'combined_windows.json');
    expectBadCorpus(
      await refusals((c) => writeFileSync(labels(c), '{')),
      /combined_windows\.json is not valid JSON: .*; fix it: .*\{ "<category>\/<file>\.csv": \[\[start, end\], …\] \}/,
    );
    expectBadCorpus(
      await refusals((c) => writeFileSync(labels(c), '[]')),
      /combined_windows\.json must hold a JSON object/,
    );
  });

  it('a SeriesError a worker reports is named as what it is, not as a file the detector "cannot read"', () => {
    const e = poolFailureError('tsad_zms', [
      { file: 'a/x.csv', error: 'SeriesError: too few points', name: 'SeriesError', code: 'too_short' },
    ]);
    expect(e).toBeInstanceOf(SeriesError);
    expect(e).toMatchObject({ code: 'too_short' });
    expect(e.message).not.toMatch(/cannot read/);
    expect(e.message).toBe(
      'tsad_zms stopped on 1 corpus data file(s) with a SeriesError (the data refused while the detector ran; every file was read before the run): a/x.csv: SeriesError: too few points; fix the file, or leave it out with --files',
    );
    const mixed = poolFailureError('tsad_zms', [
      { file: 'a/x.csv', error: 'SeriesError: too few points', name: 'SeriesError', code: 'too_short' },
      { file: 'a/y.csv', error: 'TypeError: boom', name: 'TypeError' },
    ]);
    expect(mixed).toBeInstanceOf(ConfigError);
    expect(mixed).toMatchObject({ code: 'file_failed' });
    expect(mixed.message).toBe(
      'tsad_zms failed on 2 file(s): a/x.csv: SeriesError: too few points; a/y.csv: TypeError: boom',
    );
  });

  it('locate mode refuses --files it cannot locate in: unknown, or without exactly one window', async () => {
    // before: dropped without a word, and a run of only such files printed "NaN %"
    const unknown = await runLocate({ corpus: dir, detectors: ['zms'], files: ['spike/nope.csv'] }).catch(
      (e: unknown) => e,
    );
    expect(unknown).toBeInstanceOf(ConfigError);
    expect(unknown).toMatchObject({ code: 'unknown_file' });
    expect((unknown as Error).message).toMatch(/spike\/nope\.csv is not a file of .*combined_windows\.json/);
    const clean = await runLocate({
      corpus: dir,
      detectors: ['zms'],
      files: ['spike/spike_00.csv', 'clean/clean_00.csv'],
    }).catch((e: unknown) => e);
    expect(clean).toBeInstanceOf(ConfigError);
    expect(clean).toMatchObject({ code: 'bad_option' });
    expect((clean as Error).message).toMatch(
      /locate mode needs files with exactly one window: clean\/clean_00\.csv has 0; leave it out of the files to locate/,
    );
  });
});

describe('recipes', () => {
  it('carry their own score mapping', () => {
    expect(recipeMapping('zms')).toBe('cdf');
    expect(recipeMapping('zmsLikelihood')).toBe('likelihood');
    expect(recipeMapping('nabStream')).toBe('identity');
    expect(makeDetector('floorLikelihood').type).toBe('ZeroDetector');
  });

  it('map the default detector onlinePeak (no novelty rule; round 16c), with its floor row beside it', () => {
    expect(recipeMapping('default')).toBe('onlinePeak');
    expect(FLOOR_RECIPE[recipeMapping('default')]).toBe('floorOnlinePeak');
    expect(recipeMapping('defaultPeak')).toBe('onlinePeak');
    expect(recipeMapping('defaultOnline')).toBe('online');
    expect(recipeMapping('defaultLikelihood')).toBe('likelihood');
    // the default recipe builds defaultDetector(); the round-4 candidates are built on the mean alone
    expect(JSON.stringify(makeDetector('default', { seed: 2 }).toJSON().config)).toBe(
      JSON.stringify(defaultDetector({ seed: 2 }).toJSON().config),
    );
    const flat = makeDetector('defaultFlat').toJSON().config as {
      members: { type: string; config: { members?: unknown[] } }[];
    };
    expect(flat.members[0].config.members?.length).toBe(3);
  });
});

describe('runLocate', () => {
  it("leaves the detectors a caller's build returns usable (they are the caller's: the run streams a copy, not their own state)", async () => {
    const kept: Detector[] = [];
    const build = {
      mine: (seed: number) => {
        const d = new ZmsDetector({ seed });
        kept.push(d);
        return d;
      },
    };
    const files = ['spike/spike_00.csv', 'levelShiftUp/levelShiftUp_00.csv'];
    const r = await runLocate({ corpus: dir, detectors: ['mine', 'zms'], files, build });
    const mine = r.rows.find((x) => x.recipe === 'mine');
    // the same numbers as the zms recipe, which tsad builds itself (and streams on its own state)
    expect(mine?.files.map((f) => [f.argmax, f.hit])).toEqual(
      r.rows.find((x) => x.recipe === 'zms')?.files.map((f) => [f.argmax, f.hit]),
    );
    expect(kept).toHaveLength(2);
    // each still the trained detector the caller holds: its model file and scores, no DetectorError
    for (const d of kept) {
      expect(d.toJSON()).toMatchObject({ type: 'ZmsDetector' });
      expect(d.score({ t: [0, 60_000], v: [1, 2] }).v).toHaveLength(2);
    }
  });

  it('locates a planted spike with ZMS and never with the zero floor', async () => {
    const r = await runLocate({ corpus: dir, detectors: ['zms', 'floorCdf'], files: ['spike/spike_00.csv'] });
    const zms = r.rows.find((x) => x.recipe === 'zms');
    const floor = r.rows.find((x) => x.recipe === 'floorCdf');
    expect(zms?.files[0].hit).toBe(true);
    expect(zms?.accuracy).toBe(1);
    // the zero detector's argmax is the first test point, far before the anomaly
    expect(floor?.files[0].hit).toBe(false);
  });

  it('counts a file whose training part a detector refuses (too few points) as a miss, flagged refused', async () => {
    // 600 points × 0.025: a 15-point training part, below ZMS's minimum of 22
    const r = await runLocate({
      corpus: dir,
      detectors: ['zms', 'floorCdf'],
      files: ['spike/spike_00.csv'],
      trainFraction: 0.025,
    });
    const zms = r.rows.find((x) => x.recipe === 'zms');
    expect(zms?.files).toEqual([
      expect.objectContaining({ file: 'spike/spike_00.csv', argmax: -1, hit: false, refused: true }),
    ]);
    expect(zms?.accuracy).toBe(0);
    expect(r.rows.find((x) => x.recipe === 'floorCdf')?.files).toHaveLength(1);
    expect(r.rows.find((x) => x.recipe === 'floorCdf')?.files[0].refused).toBeUndefined();
    expect(formatLocate(r)).toContain('zms: 1 file(s) whose training part it refused');
    expect(formatLocate(r)).not.toContain('floorCdf: 1 file(s)');
  });

  it('counts a file whose training part would be under 10 points as a miss for every recipe, flagged refused', async () => {
    // 600 points × 0.01: a 6-point training part. Before: the file was left out without a word (no row,
    // accuracy NaN), so recipes could be judged on fewer series than the corpus has.
    const r = await runLocate({
      corpus: dir,
      detectors: ['zms', 'floorCdf'],
      files: ['spike/spike_00.csv'],
      trainFraction: 0.01,
    });
    for (const row of r.rows) {
      expect(row.files).toEqual([
        expect.objectContaining({ file: 'spike/spike_00.csv', argmax: -1, hit: false, refused: true }),
      ]);
      expect(row.accuracy).toBe(0);
    }
    expect(formatLocate(r)).toContain('floorCdf: 1 file(s) whose training part it refused');
  });

  it('combines members by robust z-score: ZMS with the zero floor still locates the spike', async () => {
    const r = await runLocate({ corpus: dir, detectors: ['zms+floorCdf'], files: ['spike/spike_00.csv'] });
    expect(r.rows[0].recipe).toBe('zms+floorCdf');
    expect(r.rows[0].files[0].hit).toBe(true);
    await expect(runLocate({ corpus: dir, detectors: ['zms+nope'] })).rejects.toThrow(
      /unknown detector "nope"/,
    );
  });

  it('an offline scorer sees the whole series and the cut, and its argmax decides', async () => {
    const seen: { n: number; cut: number }[] = [];
    // puts its top on a chosen raw index (`at` points after the cut, or at the anomaly's first point)
    const pointAt =
      (where: 'start' | 'anomaly'): LocateScorer =>
      (t, _v, cut) => {
        seen.push({ n: t.length, cut });
        const x = new Float64Array(t.length - cut);
        x[where === 'start' ? 0 : anomalyAt - cut] = -5; // absolute values count
        return x;
      };
    const probe = await runLocate({ corpus: dir, detectors: ['zms'], files: ['spike/spike_00.csv'] });
    const anomalyAt = probe.rows[0].files[0].from;
    const r = await runLocate({
      corpus: dir,
      detectors: ['first', 'onAnomaly', 'discordTwoSided'],
      files: ['spike/spike_00.csv'],
      scorers: { first: pointAt('start'), onAnomaly: pointAt('anomaly') },
    });
    const hit = (name: string) => r.rows.find((x) => x.recipe === name)?.files[0].hit;
    // the whole file (600 rows less its missing-data gaps), trained on 30 % (before the anomaly)
    expect(seen[0].n).toBeGreaterThan(500);
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[0].cut).toBe(Math.min(Math.floor(0.3 * seen[0].n), anomalyAt));
    expect(hit('first')).toBe(false);
    expect(hit('onAnomaly')).toBe(true);
    expect(hit('discordTwoSided')).toBe(true);
  });

  it('prints per-kind columns wide enough for the kind names (capped, with an ellipsis)', () => {
    const w = kindColumnWidth(['dip', 'frequencyChange', 'levelShiftDown']);
    expect(w).toBe(15);
    expect(kindHeader('frequencyChange', w)).toBe('frequencyChange');
    expect(kindHeader('dip', w)).toBe(`${' '.repeat(12)}dip`);
    expect(kindColumnWidth(['a'])).toBe(9);
    const long = 'x'.repeat(40);
    expect(kindColumnWidth([long])).toBe(24);
    expect(kindHeader(long, 24)).toBe(`${'x'.repeat(23)}…`);
  });
});
