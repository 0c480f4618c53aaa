/**
 * `tsad nab score` on result files it must refuse with a MetricsError naming the file, row and value,
 * and on scores slightly outside [0, 1], which NAB's own scorer counts.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { MetricsError } from '../../src/index.js';
import { registerNab } from '../../src/internal.js';
import {
  NAB_PROFILE_NAMES,
  prepareNabFile,
  readNabWindows,
  scoreNabResults,
} from '../../src/metrics/index.js';
import { rejectedWith, thrownBy } from '../helpers/thrown.js';

const root = mkdtempSync(join(tmpdir(), 'tsad-nab-input-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const MIN = 60_000;
const T0 = Date.UTC(2020, 0, 1);
const N = 200;
const nabTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

/** A written two-file corpus: 200 one-minute rows per file, one window each. */
const FILES = ['cat/a.csv', 'cat/b.csv'];
const WINDOWS: Record<string, [number, number]> = { 'cat/a.csv': [100, 119], 'cat/b.csv': [150, 169] };
const windowsFile = join(root, 'combined_windows.json');
writeFileSync(
  windowsFile,
  JSON.stringify(
    Object.fromEntries(FILES.map((f) => [f, [WINDOWS[f].map((r) => `${nabTime(T0 + r * MIN)}.000000`)]])),
  ),
);

/** Seeded scores in [0, 1] with a bump inside each window and a few false alarms outside. */
function baseScores(file: string): number[] {
  let seed = file === 'cat/a.csv' ? 7 : 11;
  const [lo, hi] = WINDOWS[file];
  const s = Array.from({ length: N }, (_, i) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const u = seed / 2 ** 32;
    if (i >= lo + 3 && i <= hi) return 0.6 + 0.4 * u;
    return u < 0.03 ? 0.5 + 0.5 * u * 30 : 0.4 * u;
  });
  s[60] = 0; // the ends of [0, 1], after the probationary rows
  s[lo + 5] = 1;
  return s;
}

let dirs = 0;
/** Writes one detector's results folder; `edit` may change the rows (text) of a file. */
function results(
  score: (file: string) => (number | string)[],
  edit: (file: string, rows: string[]) => string[] = (_, r) => r,
): string {
  const dir = join(root, `r${dirs++}`, 'det');
  mkdirSync(join(dir, 'cat'), { recursive: true });
  for (const f of FILES) {
    const s = score(f);
    const rows = s.map((x, i) => `${nabTime(T0 + i * MIN)},${i},${x},0`);
    const text = ['timestamp,value,anomaly_score,label', ...edit(f, rows)].join('\n');
    writeFileSync(join(dir, 'cat', `det_${f.slice(4)}`), `${text}\n`);
  }
  return dir;
}

async function cli(args: string[]): Promise<string> {
  const program = new Command();
  program.exitOverride();
  registerNab(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'tsad', 'nab', 'score', ...args, '--windows', windowsFile, '--json']);
  } finally {
    spy.mockRestore();
  }
  return out;
}

const cliError = (args: string[]): Promise<MetricsError> => rejectedWith(MetricsError, cli(args));

describe('tsad nab score: result files it must refuse', () => {
  it('a dangling symlink (file or category folder) is a MetricsError naming it', async () => {
    const dir = results(baseScores);
    const link = join(dir, 'cat', 'det_c.csv');
    symlinkSync(join(root, 'nowhere.csv'), link);
    const e = await cliError([dir]);
    expect(e.message).toContain(link);
    expect(e.message).toContain('symbolic link');
    rmSync(link);
    const cat = join(dir, 'other');
    symlinkSync(join(root, 'nowhere'), cat);
    const e2 = await cliError([dir]);
    expect(e2.message).toContain(cat);
  });

  it('a hexadecimal score such as 0x1 is refused, naming the file, line and value', async () => {
    const dir = results((f) => {
      const s: (number | string)[] = baseScores(f);
      if (f === 'cat/b.csv') s[57] = '0x1';
      return s;
    });
    const e = await cliError([dir]);
    expect(e.code).toBe('bad_score');
    expect(e.message).toContain(join(dir, 'cat', 'det_b.csv'));
    expect(e.message).toContain('line 59');
    expect(e.message).toContain('"0x1"');
  });

  it('NaN, an empty field and Infinity are refused', async () => {
    for (const bad of ['nan', '', 'Infinity']) {
      const dir = results((f) => {
        const s: (number | string)[] = baseScores(f);
        s[180] = bad;
        return s;
      });
      const e = await cliError([dir]);
      expect(e.message).toContain('line 182');
    }
    const t = Float64Array.from({ length: N }, (_, i) => T0 + i * MIN);
    const file = { t, windows: [[t[100], t[119]] as const] };
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, '0.5' as unknown as number]) {
      const arr: number[] = baseScores('cat/a.csv');
      arr[150] = bad;
      expect(() => prepareNabFile('cat/a.csv', file, arr)).toThrow(/row 150 anomaly_score .*finite/);
    }
  });

  it('rows in reverse time order are reported as rows out of order, naming them', async () => {
    const dir = results(baseScores, (f, rows) => (f === 'cat/a.csv' ? rows.slice().reverse() : rows));
    const e = await cliError([dir]);
    expect(e.code).toBe('unsorted_rows');
    expect(e.message).toContain('cat/a.csv');
    expect(e.message).toContain('out of time order');
    expect(e.message).toContain('row 1');
    expect(e.message).toContain(nabTime(T0 + (N - 2) * MIN).replace(' ', 'T'));
    expect(e.message).not.toContain('ends before it starts');
  });
});

describe('tsad nab score: scores outside [0, 1] count, as in NAB', () => {
  it('an order-preserving map to [-0.008, 1.011] gives the same scoreboard on a written corpus', async () => {
    const inRange = JSON.parse(await cli([results(baseScores)]));
    // 1.019·x − 0.008 keeps the order of every score and maps [0, 1] onto [−0.008, 1.011]
    const outside = results((f) => baseScores(f).map((x) => 1.019 * x - 0.008));
    const shifted = JSON.parse(await cli([outside]));
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const f of FILES) {
      for (const x of baseScores(f).map((y) => 1.019 * y - 0.008)) {
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      }
    }
    expect(lo).toBeLessThan(0);
    expect(hi).toBeGreaterThan(1);
    for (const p of NAB_PROFILE_NAMES) {
      expect(shifted[p]).toBe(inRange[p]);
      expect(shifted[p]).toBeGreaterThan(0);
      // the optimised threshold moves with the scores
      expect(shifted.thresholds[p]).toBeCloseTo(1.019 * inRange.thresholds[p] - 0.008, 12);
    }
  });
});

describe('missing NAB labels: the message names the options of the caller (fix31)', () => {
  async function runCli(args: string[]): Promise<MetricsError> {
    const program = new Command();
    program.exitOverride();
    registerNab(program);
    try {
      await program.parseAsync(['node', 'tsad', 'nab', 'score', ...args]);
    } catch (err) {
      expect(err).toBeInstanceOf(MetricsError);
      return err as MetricsError;
    }
    throw new Error('expected a MetricsError');
  }
  const libError = (f: () => unknown): MetricsError => thrownBy(MetricsError, f);
  // a partial NAB copy: one data file, no labels/ folder
  const partial = join(root, 'partial');
  mkdirSync(join(partial, 'nab', 'data', 'cat'), { recursive: true });
  writeFileSync(join(partial, 'nab', 'data', 'cat', 'a.csv'), 'timestamp,value\n');

  it('scoreNabResults without nabDir / windowsFile, the NAB folder (TSAD_DATA_DIR) lacking labels: names nabDir, windowsFile and nabPath, not a CLI flag', () => {
    // before: 'pass the NAB folder with --data (or set TSAD_DATA_DIR …)': a flag of the command line
    const dir = results(baseScores);
    vi.stubEnv('TSAD_DATA_DIR', partial);
    try {
      const e = libError(() => scoreNabResults(dir));
      expect(e.code).toBe('missing_labels');
      expect(e.message).toContain(join(partial, 'nab', 'labels', 'combined_windows.json'));
      expect(e.message).toMatch(/nabDir/);
      expect(e.message).toMatch(/windowsFile: await nabPath\('labels\/combined_windows\.json'\)/);
      expect(e.message).not.toMatch(/--data|--windows/);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('scoreNabResults with a nabDir or a windowsFile that holds no labels names that option', () => {
    const dir = results(baseScores);
    const e = libError(() => scoreNabResults(dir, { nabDir: join(partial, 'nab') }));
    expect(e.code).toBe('missing_labels');
    expect(e.message).toMatch(/^nabDir .*partial.nab has no labels\/combined_windows\.json/);
    expect(e.message).not.toMatch(/--data|--windows/);
    const missing = join(root, 'no-such-windows.json');
    const e2 = libError(() => scoreNabResults(dir, { windowsFile: missing }));
    expect(e2.code).toBe('missing_labels');
    expect(e2.message).toMatch(/^windowsFile .*no-such-windows\.json does not exist/);
    expect(e2.message).not.toMatch(/--data|--windows/);
    // readNabWindows itself (public): no CLI flag either
    const e3 = libError(() => readNabWindows(missing));
    expect(e3.code).toBe('missing_labels');
    expect(e3.message).not.toMatch(/--data|--windows/);
  });

  it('tsad nab score --data / --windows without labels names the flag, not the library options', async () => {
    const dir = results(baseScores);
    const e = await runCli([dir, '--data', join(partial, 'nab')]);
    expect(e.code).toBe('missing_labels');
    expect(e.message).toMatch(/^--data .*partial.nab has no labels\/combined_windows\.json/);
    expect(e.message).not.toMatch(/nabDir|windowsFile/);
    const e2 = await runCli([dir, '--windows', join(root, 'no-such-windows.json')]);
    expect(e2.message).toMatch(/^--windows .*no-such-windows\.json does not exist/);
    expect(e2.message).not.toMatch(/nabDir|windowsFile/);
  });
});
