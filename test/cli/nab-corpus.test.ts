import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadNab } from '../../src/datasets/index.js';
import { formatScoreboard, nabAnomalyScore, nabResultPath, runNabCorpus } from '../../src/internal.js';
import { nabProbationaryLength, scoreNabResults } from '../../src/metrics/index.js';
import { ioError, recordFsyncs, syncedDurably, tempFiles } from '../helpers/fsyncs.js';

const FILES = ['realAWSCloudwatch/iio_us-east-1_i-a2eb1cd9_NetworkIn.csv', 'realTraffic/speed_7578.csv'];

function readResult(path: string) {
  const [header, ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  return { header, rows: lines.map((l) => l.split(',')) };
}

function fmt(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

describe('NAB corpus pipeline on two small files', () => {
  it('writes NAB-format result files, resumes, scores and tracks', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tsad-nab-'));
    onTestFinished(() => rmSync(out, { recursive: true, force: true }));
    const report = await runNabCorpus({
      detectors: ['zms'],
      files: FILES,
      outDir: out,
      workers: 2,
      trackingUri: 'memory:nab-test',
      progress: false,
    });
    // the recipe and the floor of its mapping (zeros through 2Φ(|s|)−1: NAB's null detector)
    expect(report.rows.map((r) => r.detector)).toEqual(['tsad_zms', 'tsad_floorCdf']);
    const floor = report.rows[1];
    expect(floor.floor).toBe(true);
    expect(floor.scores.standard).toBe(0);
    // two files of 58: a partial run, listed apart from the ranked rows
    expect(report.rows.every((r) => r.partial)).toBe(true);
    const board = formatScoreboard(report);
    const ranked = board.slice(0, board.indexOf('PARTIAL runs'));
    expect(ranked).not.toContain('tsad_zms');
    expect(board.slice(board.indexOf('PARTIAL runs'))).toContain('* tsad_zms');
    const row = report.rows[0];
    expect(row.detector).toBe('tsad_zms');
    expect(row.files.map((f) => f.file).sort()).toEqual([...FILES].sort());
    for (const file of FILES) {
      const ds = await loadNab(file);
      const path = nabResultPath(out, 'tsad_zms', file);
      expect(path).toBe(join(out, 'tsad_zms', file.split('/')[0], `tsad_zms_${file.split('/')[1]}`));
      const { header, rows } = readResult(path);
      expect(header).toBe('timestamp,value,anomaly_score,label,alarm');
      expect(rows).toHaveLength(ds.rows.t.length);
      const prob = nabProbationaryLength(ds.series.t.length);
      rows.forEach((r, i) => {
        expect(r[0]).toBe(fmt(ds.rows.t[i]));
        expect(Number(r[1])).toBe(ds.rows.v[i]);
        const s = Number(r[2]);
        expect(s >= 0 && s <= 1).toBe(true);
        if (i < prob) expect(s).toBe(0);
        const inWindow = ds.windows.some(([a, b]) => ds.rows.t[i] >= a && ds.rows.t[i] <= b);
        expect(r[3]).toBe(inWindow ? '1' : '0');
      });
    }
    // the runner's totals are the scorer's totals on the same folder
    const again = scoreNabResults(join(out, 'tsad_zms'), { detector: 'tsad_zms', partial: true });
    expect(row.scores.standard).toBe(again.scores.standard.normalized);
    // a second run skips what is done
    const rerun = {
      detectors: ['zms'],
      files: FILES,
      outDir: out,
      trackingUri: false,
      progress: false,
      floor: false,
    } as const;
    const rec = await recordFsyncs();
    let resumed: Awaited<ReturnType<typeof runNabCorpus>>;
    try {
      resumed = await runNabCorpus(rerun);
    } finally {
      rec.restore();
    }
    expect(resumed.rows).toHaveLength(1);
    expect(resumed.rows[0].files).toHaveLength(0);
    expect(resumed.rows[0].scores).toEqual(row.scores);
    // scoreboard.json: whole (the report returned) and durable with its folder
    const boardPath = join(out, 'scoreboard.json');
    expect(JSON.parse(readFileSync(boardPath, 'utf8'))).toEqual(JSON.parse(JSON.stringify(resumed)));
    expect(syncedDurably(rec.syncs, boardPath)).toBe(true);
    const all = (): string[] => readdirSync(out, { recursive: true, encoding: 'utf8' });
    expect(tempFiles(all())).toEqual([]);
    // a write that fails: the error comes out, the last scoreboard stays whole, no temp file stays
    const before = readFileSync(boardPath, 'utf8');
    const bad = await recordFsyncs(ioError());
    try {
      await expect(runNabCorpus(rerun)).rejects.toMatchObject({ code: 'EIO' });
    } finally {
      bad.restore();
    }
    expect(readFileSync(boardPath, 'utf8')).toBe(before);
    expect(tempFiles(all())).toEqual([]);
  }, 120_000);

  it('quiet: no progress on stderr (tsad nab run -q, as tsad bench -q); without it, progress lines', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tsad-nab-quiet-'));
    onTestFinished(() => rmSync(out, { recursive: true, force: true }));
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      written.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof process.stderr.write;
    try {
      const base = {
        detectors: ['zms'],
        files: [FILES[1]],
        outDir: out,
        workers: 1,
        trackingUri: false as const,
      };
      await runNabCorpus({ ...base, progress: false, quiet: true });
      expect(written).toEqual([]);
      await runNabCorpus({ ...base, progress: false, force: true });
      expect(written.join('')).toMatch(/nab/);
    } finally {
      process.stderr.write = write;
    }
  });

  it('scores a hand-built case: first row of every window flagged = 100, nothing flagged = 0', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tsad-nab-hand-'));
    onTestFinished(() => rmSync(out, { recursive: true, force: true }));
    for (const [name, pick] of [
      ['perfect', (first: boolean) => (first ? 1 : 0)],
      ['silent', () => 0],
    ] as const) {
      for (const file of FILES) {
        const ds = await loadNab(file);
        const lines = ['timestamp,value,anomaly_score,label'];
        let prevIn = false;
        for (let i = 0; i < ds.rows.t.length; i++) {
          const inWin = ds.windows.some(([a, b]) => ds.rows.t[i] >= a && ds.rows.t[i] <= b);
          lines.push(`${fmt(ds.rows.t[i])},${ds.rows.v[i]},${pick(inWin && !prevIn)},${inWin ? 1 : 0}`);
          prevIn = inWin;
        }
        const path = nabResultPath(out, name, file);
        mkdirSync(join(path, '..'), { recursive: true });
        writeFileSync(path, `${lines.join('\n')}\n`);
      }
      const r = scoreNabResults(join(out, name), { detector: name, partial: true });
      for (const p of ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const) {
        // by hand: a detection at a window's first row earns the full TP weight for every window, and no
        // false positives, which is the perfect detector's total (100); no detection is the null one (0)
        expect(r.scores[p].normalized).toBeCloseTo(name === 'perfect' ? 100 : 0, 9);
      }
    }
  }, 60_000);

  it('maps calibrated scores into [0, 1] monotonically through the normal CDF', () => {
    expect(nabAnomalyScore(0)).toBe(0);
    expect(nabAnomalyScore(3)).toBeCloseTo(0.9973, 4);
    expect(nabAnomalyScore(-3)).toBe(nabAnomalyScore(3));
    expect(nabAnomalyScore(Number.NaN)).toBe(0);
    let last = 0;
    for (let s = 0; s < 8; s += 0.25) {
      const m = nabAnomalyScore(s);
      expect(m).toBeGreaterThanOrEqual(last);
      expect(m).toBeLessThanOrEqual(1);
      last = m;
    }
  });
});
