/**
 * Bad input a new user meets, run through the built `tsad` command as its own process: each case
 * expects the documented exit code and one `tsad: <Error> [code]: …` line that says what to fix,
 * no stack trace, no hang (every spawn has a timeout), and nothing lost without a word.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv, SeriesError, TrackingError } from '../../src/index.js';
import { exportRuns, FileTracker, openMemoryTracker } from '../../src/tracking/index.js';

const repo = resolve(import.meta.dirname, '..', '..');
const cli = join(repo, 'dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'tsad-robust-'));
const store = join(dir, 'store');
const env = {
  ...process.env,
  TSAD_TRACKING_URI: `file:${store}`,
  TSAD_CACHE_DIR: join(dir, 'cache'),
  TSAD_DEBUG: '',
};

function tsad(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8', env, timeout: 60_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** `tsad synth` of a tiny corpus (seed 1, one 200-point file per kind, no anomaly-free file). */
function synthTiny(corpus: string, kinds: string) {
  return tsad(
    'synth',
    corpus,
    '--seed',
    '1',
    '--per-kind',
    '1',
    '--clean',
    '0',
    '--length',
    '200',
    '--kinds',
    kinds,
  );
}

function expectUserError(r: ReturnType<typeof tsad>, status: number, pattern: RegExp): void {
  expect(r.signal, 'the command hung and was killed').toBeNull();
  expect(r.status, r.stderr).toBe(status);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at |node:internal|\(node:\d+\)|--trace-warnings/);
}

const T0 = Date.UTC(2024, 0, 1);
const STEP = 300_000;

/** 800 five-minute rows, `header` as given, columns (time, value, label); label 1 on rows `lab`. */
function writeCsv(name: string, header: string, lab: ReadonlySet<number> = new Set()): string {
  const lines = [header];
  for (let i = 0; i < 800; i++) {
    const v = 10 + Math.sin(i / 10) + ((i * 7919) % 101) / 200;
    lines.push(`${new Date(T0 + i * STEP).toISOString()},${v.toFixed(3)},${lab.has(i) ? 1 : 0}`);
  }
  const p = join(dir, name);
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}

beforeAll(() => {
  writeCsv('data.csv', 'timestamp,value,label', new Set([700]));
  writeCsv('typo.csv', 'timestamp,valeu,label');
  writeCsv('typo-time.csv', 'timestmp,value,label');
  writeFileSync(join(dir, 'a-file'), 'not a store\n');
  const r = tsad('train', 'data.csv', '-d', 'zms', '--until', '2024-01-03', '-o', 'model.json', '-q');
  expect(r.status, r.stderr).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a misspelt column is named, never guessed among three or more', () => {
  it('CLI: a header typo in the value or time column is missing_column (exit 3) listing the header', () => {
    expectUserError(
      tsad('train', 'typo.csv', '-q', '-o', 'x.json'),
      3,
      /SeriesError \[missing_column\]: typo\.csv: no column named "value".*\(timestamp, valeu, label\).*--value NAME/,
    );
    expectUserError(
      tsad('train', 'typo-time.csv', '-q', '-o', 'x.json'),
      3,
      /SeriesError \[missing_column\]: typo-time\.csv: no column named "timestamp".*\(timestmp, value, label\).*--time NAME/,
    );
    expectUserError(
      tsad('detect', 'data.csv', '-m', 'model.json', '--value', 'valeu'),
      3,
      /SeriesError \[missing_column\]: data\.csv: no column named "valeu"; the header has: timestamp, value, label/,
    );
    expect(existsSync(join(dir, 'x.json'))).toBe(false);
    // named, the same file reads
    expect(tsad('train', 'typo.csv', '--value', 'valeu', '-q', '-d', 'zms', '-o', 'x.json').status).toBe(0);
  });

  it('CLI: epoch seconds given --time-unit ms (or ms given s) exit 3 naming the flag to pass; blank lines are skipped', () => {
    const rows = Array.from({ length: 60 }, (_, i) => `${(T0 + i * STEP) / 1000},${(i % 7) + Math.sin(i)}`);
    writeFileSync(join(dir, 'secs.csv'), `timestamp,value\n${rows.join('\n')}\n   \n,\n`);
    expectUserError(
      tsad('train', 'secs.csv', '--time-unit', 'ms', '-d', 'zms', '--no-track', '-q'),
      3,
      /SeriesError \[epoch_seconds\]: secs\.csv: .*1970-01-20T.*look like epoch seconds: pass --time-unit s \(or --trust-time-unit if they really are milliseconds\)\n/,
    );
    // genuine epoch milliseconds in 1970: --trust-time-unit takes the unit as given (it needs --time-unit)
    const trusted = tsad(
      'train',
      'secs.csv',
      '--time-unit',
      'ms',
      '--trust-time-unit',
      '-d',
      'zms',
      '--no-track',
      '-q',
      '--json',
    );
    expect(trusted.status, trusted.stderr).toBe(0);
    expect(JSON.parse(trusted.stdout)).toMatchObject({
      rows: 60,
      firstTime: new Date(T0 / 1000).toISOString(),
    });
    expectUserError(
      tsad('train', 'secs.csv', '--trust-time-unit', '-d', 'zms', '--no-track', '-q'),
      2,
      /ConfigError \[invalid_option\]: --trust-time-unit needs --time-unit ms or --time-unit s/,
    );
    const ok = tsad('train', 'secs.csv', '--time-unit', 's', '-d', 'zms', '--no-track', '-q', '--json');
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ rows: 60, firstTime: new Date(T0).toISOString() });
  });

  it('tsad help NOSUCH says unknown command (exit 2); serve --group that is not PREFIX=MODEL is usage (exit 2)', () => {
    const h = tsad('help', 'nosuch');
    expectUserError(h, 2, /^error: unknown command 'nosuch'/);
    expect(h.stdout).toBe('');
    const ok = tsad('help', 'detect');
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^Usage: tsad detect/);
    expectUserError(
      tsad('serve', '--model', 'models:/m@champion', '--group', 'bad', '--port', '0'),
      2,
      /ServeError \[bad_group\]: --group "bad" must be PREFIX=MODEL/,
    );
  });

  it('bench: a labels file naming a data file that does not exist is bad_corpus (exit 2), naming both files', () => {
    const corpus = join(dir, 'missing-data-corpus');
    const made = synthTiny(corpus, 'spike');
    expect(made.status, made.stderr).toBe(0);
    const labels = join(corpus, 'labels', 'combined_windows.json');
    const windows = JSON.parse(readFileSync(labels, 'utf8')) as Record<string, unknown>;
    writeFileSync(labels, JSON.stringify({ ...windows, 'spike/gone.csv': [] }));
    expectUserError(
      tsad(
        'bench',
        '--corpus',
        corpus,
        '-d',
        'zms',
        '--workers',
        '1',
        '--out',
        join(dir, 'missing-data-out'),
      ),
      2,
      /ConfigError \[bad_corpus\]: .*combined_windows\.json lists "spike\/gone\.csv", but its data file .*data\/spike\/gone\.csv does not exist: add the file, or remove its key/,
    );
  });

  it('comma-separated lists: spaces after commas are fine, a name given twice or none is exit 2; synth of no file is refused', () => {
    const corpus = join(dir, 'list-corpus');
    const ok = synthTiny(corpus, 'spike, dip,');
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^2 files, 2 windows/);
    expectUserError(
      tsad('bench', '--corpus', corpus, '-d', 'zms, zms'),
      2,
      /"zms" is given twice; name each of the recipes once/,
    );
    expectUserError(
      tsad('bench', '--corpus', corpus, '--files', ' , '),
      2,
      /expected comma-separated files, got " , "/,
    );
    const labels = readFileSync(join(corpus, 'labels', 'combined_windows.json'), 'utf8');
    expectUserError(
      tsad('synth', corpus, '--seed', '2', '--per-kind', '0', '--clean', '0'),
      2,
      /ConfigError \[bad_synth_option\]: synth: no file to write/,
    );
    expect(readFileSync(join(corpus, 'labels', 'combined_windows.json'), 'utf8')).toBe(labels);
    // a folder that is not empty: refused (old CSVs would stay beside the new labels) unless --force,
    // which removes only what synth writes
    const again = ['synth', corpus, '--seed', '1', '--per-kind', '1', '--clean', '0', '--length', '200'];
    expectUserError(
      tsad(...again, '--kinds', 'dip'),
      2,
      /ConfigError \[output_not_empty\]: .*list-corpus is not empty \(corpus\.json, data, labels\): .*tsad synth --force/,
    );
    expect(readFileSync(join(corpus, 'labels', 'combined_windows.json'), 'utf8')).toBe(labels);
    writeFileSync(join(corpus, 'notes.txt'), 'mine');
    const forced = tsad(...again, '--kinds', 'dip', '--force');
    expect(forced.status, forced.stderr).toBe(0);
    expect(existsSync(join(corpus, 'data', 'spike'))).toBe(false);
    expect(
      Object.keys(JSON.parse(readFileSync(join(corpus, 'labels', 'combined_windows.json'), 'utf8'))),
    ).toEqual(['dip/dip_00.csv']);
    expect(readFileSync(join(corpus, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('an empty label cell is a label error naming its line; epoch seconds given to --after/--until are refused', () => {
    const lines = readFileSync(join(dir, 'data.csv'), 'utf8').split('\n');
    lines[10] = lines[10].replace(/,0$/, ',');
    writeFileSync(join(dir, 'empty-label.csv'), lines.join('\n'));
    expectUserError(
      tsad('detect', 'empty-label.csv', '-m', 'model.json', '--labels', 'label', '-q'),
      3,
      /SeriesError \[bad_value\]: empty-label\.csv: the label column "label" holds an empty or NaN cell at .* \(line 11\); labels must be 0 \(normal\) or 1 \(anomaly\): fill in that row\n/,
    );
    const seconds = String(T0 / 1000 + 86_400);
    expectUserError(
      tsad('detect', 'data.csv', '-m', 'model.json', '--after', seconds, '-q'),
      2,
      new RegExp(
        `ConfigError \\[invalid_option\\]: --after ${seconds} reads as 1970-01-20T.*looks like epoch seconds: give ${seconds}000`,
      ),
    );
    expectUserError(
      tsad('train', 'data.csv', '-d', 'zms', '--no-track', '--until', seconds),
      2,
      /--until .*looks like epoch seconds/,
    );
    const ms = tsad('detect', 'data.csv', '-m', 'model.json', '--after', `${seconds}000`, '--json', '-q');
    expect(ms.status, ms.stderr).toBe(0);
  });

  it('serve --checkpoints that cannot hold checkpoints (a file, /proc): output_failed, exit 2 at once', () => {
    expectUserError(
      tsad('serve', '--model', 'model.json', '--port', '0', '--checkpoints', 'a-file'),
      2,
      /ConfigError \[output_failed\]: cannot write a-file: it is a file, not a folder \(EEXIST\)/,
    );
    expectUserError(
      tsad('serve', '--model', 'model.json', '--port', '0', '--checkpoints', '/proc/tsad-nowhere/cp'),
      2,
      /ConfigError \[output_failed\]: cannot write \/proc\/tsad-nowhere\/cp: /,
    );
  });

  it("--version is the program's only before a command: after one it is an unknown option (exit 2), never a silent exit 0", () => {
    // `tsad models promote cpu --version 1` printed tsad's version and exited 0 without promoting anything
    const v = tsad('--version');
    expect(v.status).toBe(0);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+/);
    expectUserError(tsad('models', 'promote', 'cpu', '--version', '1'), 2, /unknown option '--version'/);
    expectUserError(tsad('train', 'x.csv', '-V'), 2, /unknown option '-V'/);
  });

  it('train -o naming the data file itself (also through a link) is refused before anything is written', () => {
    writeCsv('mine.csv', 'timestamp,value,label');
    const before = readFileSync(join(dir, 'mine.csv'), 'utf8');
    symlinkSync(join(dir, 'mine.csv'), join(dir, 'mine-link.csv'));
    for (const out of ['mine.csv', './mine.csv', 'mine-link.csv'])
      expectUserError(
        tsad('train', 'mine.csv', '-d', 'zms', '--no-track', '-q', '-o', out),
        2,
        /ConfigError \[bad_option\]: -o .* is the data file mine\.csv: the model would replace your data/,
      );
    expect(readFileSync(join(dir, 'mine.csv'), 'utf8')).toBe(before);
  });

  it('library: readCsv guesses only in a two-column header', async () => {
    const three = join(dir, 'three.csv');
    writeFileSync(three, 'when,temp,label\n2024-01-01T00:00:00Z,1,0\n2024-01-01T00:05:00Z,2,0\n');
    const e = await readCsv(three).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SeriesError);
    expect((e as SeriesError).code).toBe('missing_column');
    expect((e as SeriesError).message).toContain('(when, temp, label)');
    const ts = await readCsv(three, { time: 'when', value: 'temp' });
    expect(Array.from(ts.v)).toEqual([1, 2]);
    // a semicolon- or tab-separated file is one column: the error says which separator it saw
    const semi = join(dir, 'semi.csv');
    writeFileSync(semi, 'timestamp;value\n2024-01-01T00:00:00Z;1\n');
    await expect(readCsv(semi)).rejects.toThrow(
      /header has only timestamp;value; its fields look separated by ";": tsad reads comma-separated/,
    );
    const two = join(dir, 'two.csv');
    writeFileSync(two, 'when,temp\n2024-01-01T00:00:00Z,1\n2024-01-01T00:05:00Z,2\n');
    expect(Array.from((await readCsv(two)).v)).toEqual([1, 2]);
  });
});

describe('a store location that cannot hold a store fails fast with what to fix', () => {
  it('file:/proc/… (where Node’s recursive mkdir never returns) and a regular file: bad_store_path, exit 5', () => {
    expectUserError(
      tsad('train', 'data.csv', '-d', 'zms', '-q', '--uri', 'file:/proc/tsad-nowhere'),
      5,
      /TrackingError \[bad_store_path\]: cannot use \/proc\/tsad-nowhere as a tracking store: no folder can be made there/,
    );
    const file = join(dir, 'a-file');
    expectUserError(
      tsad('runs', 'list', '--uri', `file:${file}`),
      5,
      /TrackingError \[bad_store_path\]: .*a-file is not a tracking store: it is a file \(a store is a folder\); pass --uri/,
    );
    expectUserError(
      tsad('train', 'data.csv', '-d', 'zms', '-q', '--uri', `file:${file}`),
      5,
      /TrackingError \[bad_store_path\]: cannot use .*a-file as a tracking store: a part of the path is a file, not a folder/,
    );
    expectUserError(
      tsad('runs', 'list', '--uri', `file:${join(file, 'sub')}`),
      5,
      /TrackingError \[bad_store_path\]: .*a part of the path is a file/,
    );
    expect(readFileSync(file, 'utf8')).toBe('not a store\n');
  });

  it('a path that loops through symlinks: bad_store_path (ELOOP) for reading and writing alike, exit 5', () => {
    const a = join(dir, 'loop-a');
    symlinkSync(join(dir, 'loop-b'), a);
    symlinkSync(a, join(dir, 'loop-b'));
    const uri = `file:${join(a, 'store')}`;
    expectUserError(
      tsad('runs', 'list', '--uri', uri),
      5,
      /TrackingError \[bad_store_path\]: .*loops through symlinks/,
    );
    expectUserError(
      tsad('train', 'data.csv', '-d', 'zms', '-q', '--uri', uri),
      5,
      /TrackingError \[bad_store_path\]: .*loops through symlinks/,
    );
  });

  it('a folder where the store marker file should be: bad_store_path (EISDIR), exit 5', () => {
    const odd = join(dir, 'odd-store');
    mkdirSync(join(odd, 'tsad-store.json'), { recursive: true });
    expectUserError(
      tsad('runs', 'list', '--uri', `file:${odd}`),
      5,
      /TrackingError \[bad_store_path\]: .*tsad-store\.json is not a file/,
    );
    expectUserError(
      tsad('train', 'data.csv', '-d', 'zms', '-q', '--uri', `file:${odd}`),
      5,
      /TrackingError \[bad_store_path\]: cannot use .*odd-store as a tracking store: a folder stands where the store needs a file/,
    );
  });

  it('library: FileTracker under /proc rejects with a TrackingError instead of never settling', async () => {
    const t = new FileTracker('/proc/tsad-nowhere/store');
    const e = await t.getOrCreateExperiment('x').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TrackingError);
    expect((e as TrackingError).code).toBe('bad_store_path');
  });
});

describe('non-finite metrics in JSON', () => {
  it('runs list --json keeps +Infinity (promote --metric mttd when nothing was detected) instead of null', async () => {
    const root = join(dir, 'inf-store');
    const t = new FileTracker(root);
    await t.run({ experiment: 'm-promotion' }, (run) =>
      run.logMetrics({ challenger_mttd: Number.POSITIVE_INFINITY }),
    );
    const r = tsad('runs', 'list', '--uri', `file:${root}`, '--json');
    expect(r.status, r.stderr).toBe(0);
    const runs = JSON.parse(r.stdout) as { data: { metrics: Record<string, { value: unknown }> } }[];
    expect(runs[0].data.metrics.challenger_mttd.value).toBe('Infinity');
  });
});

describe('tsad runs export counts runs it cannot read', () => {
  it('a corrupt run.json is listed in the summary and --json (unreadableRuns), the rest copied, exit 5', () => {
    const src = join(dir, 'export-src');
    for (let k = 0; k < 2; k++) {
      const r = tsad('train', 'data.csv', '-d', 'zms', '-q', '--uri', `file:${src}`, '--json');
      expect(r.status, r.stderr).toBe(0);
    }
    const exps = readdirSync(join(src, 'experiments'));
    const runsDir = join(src, 'experiments', exps[0], 'runs');
    const [bad, good] = readdirSync(runsDir).sort();
    writeFileSync(join(runsDir, bad, 'run.json'), '{"format": "tsad-run", trunc');
    const r = tsad(
      'runs',
      'export',
      '--from',
      `file:${src}`,
      '--to',
      `file:${join(dir, 'export-dst')}`,
      '--json',
    );
    expectUserError(
      r,
      5,
      /TrackingError \[export_incomplete\]: 1 run\(s\) \(1 of them unreadable in the source store\)/,
    );
    const report = JSON.parse(r.stdout) as {
      runs: number;
      runIds: Record<string, string>;
      unreadableRuns: { sourceRunId: string; reason: string }[];
    };
    expect(report.runs).toBe(1);
    expect(Object.keys(report.runIds)).toEqual([good]);
    expect(report.unreadableRuns.map((u) => u.sourceRunId)).toEqual([bad]);
    expect(report.unreadableRuns[0].reason).toMatch(/run\.json/);
    const text = tsad('runs', 'export', '--from', `file:${src}`, '--to', `file:${join(dir, 'export-dst')}`);
    expect(text.status).toBe(5);
    expect(text.stdout).toContain('runs unreadable in the source, NOT COPIED: 1');
    expect(text.stdout).toContain('NOT COPIED (unreadable): run ');
    expect(text.stdout).toContain(bad);
  });

  it('progress lines go to stderr (-q silences them), the summary to stdout', () => {
    const src = join(dir, 'export-progress-src');
    const r0 = tsad('train', 'data.csv', '-d', 'zms', '-q', '--uri', `file:${src}`, '--json');
    expect(r0.status, r0.stderr).toBe(0);
    const runId = (JSON.parse(r0.stdout) as { runId: string }).runId;
    const exportTo = (dst: string, ...flags: string[]) =>
      tsad('runs', 'export', ...flags, '--from', `file:${src}`, '--to', `file:${join(dir, dst)}`);
    const r = exportTo('export-progress-a');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^run tsad-train/\\S+ ${runId} → [0-9a-f]{32}$`, 'm'));
    expect(r.stdout).not.toContain(runId);
    expect(r.stdout).toMatch(/runs 1 \(already there: 0\)/);
    const q = exportTo('export-progress-b', '-q');
    expect(q.status, q.stderr).toBe(0);
    expect(q.stderr).toBe('');
    expect(q.stdout).toMatch(/runs 1 \(already there: 0\)/);
  });

  it('library: exportRuns counts a run that a search before it (or an earlier export) already skipped', async () => {
    const root = join(dir, 'export-lib');
    const ids: string[] = [];
    const maker = new FileTracker(root);
    for (let k = 0; k < 2; k++) ids.push(await maker.run({ experiment: 'e' }, async (run) => run.id));
    const exp = await maker.getExperiment('e');
    writeFileSync(join(root, 'experiments', exp!.experimentId, 'runs', ids[0], 'run.json'), '{"trunc');
    const from = new FileTracker(root);
    expect((await from.searchRuns({ experiment: 'e' })).map((r) => r.info.runId)).toEqual([ids[1]]);
    for (let k = 0; k < 2; k++) {
      const report = await exportRuns(from, openMemoryTracker());
      expect(report.runs).toBe(1);
      expect(report.unreadableRuns.map((u) => [u.experiment, u.sourceRunId])).toEqual([['e', ids[0]]]);
    }
  });
});

describe('nothing detected is no time to detect, not 0 s', () => {
  it('detect --labels --json: meanTimeToDetectSec is null when the labelled anomaly is missed', () => {
    // the label sits on an ordinary row: zms raises no alarm there
    const r = tsad('detect', 'data.csv', '-m', 'model.json', '--labels', 'label', '--json', '-q');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { metrics: { recall: number; meanTimeToDetectSec: number | null } };
    expect(out.metrics.recall).toBe(0);
    expect(out.metrics.meanTimeToDetectSec).toBeNull();
    const human = tsad('detect', 'data.csv', '-m', 'model.json', '--labels', 'label', '-q');
    expect(human.stdout).toContain('mean time to detect — (nothing detected)');
  });

  it('detect --labels on rows that label no anomaly: says so (stderr and --json warnings), not "nothing detected"', () => {
    // data.csv's one label is on row 700: from row 750 on the label column holds only 0
    const after = new Date(T0 + 750 * STEP).toISOString();
    const human = tsad('detect', 'data.csv', '-m', 'model.json', '--labels', 'label', '--after', after);
    expect(human.status, human.stderr).toBe(0);
    expect(human.stderr).toMatch(/warning: the label column "label" marks no anomaly in the 50 scored rows/);
    expect(human.stdout).toContain('mean time to detect — (no labelled anomaly)');
    expect(human.stdout).not.toContain('nothing detected');
    const json = tsad(
      'detect',
      'data.csv',
      '-m',
      'model.json',
      '--labels',
      'label',
      '--after',
      after,
      '--json',
      '-q',
    );
    const out = JSON.parse(json.stdout) as { metrics: { anomalies: number }; warnings: string[] };
    expect(out.metrics.anomalies).toBe(0);
    expect(out.warnings.join('\n')).toMatch(/marks no anomaly/);
  });
});

describe('-o paths that cannot be written', () => {
  it('a part of the -o path is a file: output_failed (exit 2), not a raw ENOTDIR', () => {
    expectUserError(
      tsad('train', 'data.csv', '-d', 'zms', '-q', '-o', join(dir, 'a-file', 'model.json')),
      2,
      /ConfigError \[output_failed\]: cannot write .*a-file\/model\.json: a part of the path is a file, not a folder \(ENOTDIR\)/,
    );
  });
});

describe('-o onto a pipe writes into it and leaves it a pipe', () => {
  it('a FIFO given as -o is written into, not replaced by a regular file (as -o /dev/null would be)', async () => {
    const fifo = join(dir, 'model.fifo');
    const mk = spawnSync('mkfifo', [fifo]);
    expect(mk.status).toBe(0);
    const reader = spawn('cat', [fifo]);
    let got = '';
    reader.stdout.on('data', (b: Buffer) => {
      got += b.toString();
    });
    const closed = new Promise<void>((res) => reader.on('close', () => res()));
    try {
      const r = tsad('train', 'data.csv', '-d', 'zms', '-q', '-o', fifo);
      expect(r.status, r.stderr).toBe(0);
      // a pipe replaced by a file would leave the reader waiting for a writer forever
      expect(statSync(fifo).isFIFO()).toBe(true);
      await closed;
      expect(JSON.parse(got).type).toBeTypeOf('string');
    } finally {
      reader.kill();
    }
  });
});

describe('-o /dev/fd/N with that descriptor redirected to a regular file', () => {
  it('writes into the file (as `-o /dev/stdout > model.json` does), never a temp file beside it', () => {
    // /dev/fd/1 stats as the regular file it is open on, but no temp file can be made in /proc/self/fd
    // (and a rename there, as root over /dev/stdout, would replace the device link itself)
    const out = join(dir, 'model-by-fd.json');
    const fd = openSync(out, 'w');
    try {
      const r = spawnSync(
        process.execPath,
        [cli, 'train', 'data.csv', '-d', 'zms', '-q', '--no-track', '-o', '/dev/fd/3'],
        {
          cwd: dir,
          encoding: 'utf8',
          env,
          timeout: 60_000,
          stdio: ['ignore', 'pipe', 'pipe', fd],
        },
      );
      expect(r.status, r.stderr).toBe(0);
    } finally {
      closeSync(fd);
    }
    expect(JSON.parse(readFileSync(out, 'utf8')).format).toBe('tsad-model');
  });
});

describe('folders under /proc (where no folder can be made) fail at once', () => {
  it('synth and bench --out: output_failed (exit 2); a cache folder there does not stop tsad --help', () => {
    expectUserError(
      tsad('synth', '/proc/tsad-nowhere/corpus', '--seed', '1'),
      2,
      /ConfigError \[output_failed\]: cannot write \/proc\/tsad-nowhere\/corpus/,
    );
    const corpus = join(dir, 'corpus');
    const made = tsad('synth', corpus, '--seed', '1', '--per-kind', '1', '--clean', '1');
    expect(made.status, made.stderr).toBe(0);
    expectUserError(
      tsad('bench', '--corpus', corpus, '-d', 'zms', '--out', '/proc/tsad-nowhere/results'),
      2,
      /ConfigError \[output_failed\]: cannot write the results under \/proc\/tsad-nowhere\/results: .*give --out a folder/,
    );
    const r = spawnSync(process.execPath, [cli, '--help'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...env, TSAD_CACHE_DIR: '/proc/tsad-nowhere' },
      timeout: 60_000,
    });
    expect(r.signal, 'tsad --help hung').toBeNull();
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage');
  });
});

describe('number options refuse empty and non-numeric values instead of reading them as 0', () => {
  it('synth --noise-scale, monitor --psi / --ks-alpha / --bins: exit 2 (usage) with the expected range, nothing written', () => {
    const out = join(dir, 'noise-corpus');
    for (const bad of ['', 'abc', '-0.5', '2']) {
      const r = tsad('synth', out, '--seed', '1', '--noise-scale', bad);
      expect(r.signal).toBeNull();
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/--noise-scale.*expected a number ≥ 0 and ≤ 1, got "/);
      expect(existsSync(out)).toBe(false);
    }
    for (const [opt, bad, pattern] of [
      ['--psi', '', /expected a number ≥ 0, got ""/],
      ['--ks-alpha', 'x', /expected a number ≥ 0 and ≤ 1, got "x"/],
      ['--bins', '1', /expected an integer ≥ 2, got "1"/],
    ] as const) {
      const r = tsad('monitor', '--no-report', opt, bad);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(pattern);
    }
  });
});

describe('synth --steps (step round 20)', () => {
  it('refuses a step that is not a positive whole number of seconds with ConfigError bad_synth_option (exit 2), nothing written', () => {
    const out = join(dir, 'steps-corpus');
    for (const bad of ['0', 'x', '2,-1', '0.001']) {
      const r = tsad('synth', out, '--seed', '1', '--steps', bad);
      expect(r.signal).toBeNull();
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/ConfigError \[bad_synth_option\].*--steps.*whole number of seconds/);
      expect(existsSync(out)).toBe(false);
    }
    // a step that is not a number is named as typed, not as the NaN it reads as
    for (const [typed, shown] of [
      ['x', '"x"'],
      ['5,abc', '"abc"'],
      ['1e', '"1e"'],
    ]) {
      const r = tsad('synth', out, '--seed', '1', '--steps', typed);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/ConfigError \[bad_synth_option\].*--steps/);
      expect(r.stderr).toContain(`got ${shown}`);
      expect(r.stderr).not.toContain('NaN');
    }
    const ok = tsad(
      'synth',
      out,
      '--seed',
      '1',
      '--per-kind',
      '0',
      '--clean',
      '1',
      '--length',
      '200',
      '--steps',
      '0.25',
    );
    expect(ok.status, ok.stderr).toBe(0);
    const rows = readFileSync(join(out, 'data', 'clean', 'clean_00.csv'), 'utf8').split('\n');
    expect(rows.slice(1, 3)).toEqual([
      expect.stringMatching(/^2024-01-01 00:00:00,/),
      expect.stringMatching(/^2024-01-01 00:00:15,/),
    ]);
  });
});

describe('one unknown recipe name, one error', () => {
  it('train, bench and nab run all say ConfigError [unknown_detector] (exit 2) with the same list; toString is no recipe', () => {
    const corpus = join(dir, 'recipe-corpus');
    const ok = synthTiny(corpus, 'spike');
    expect(ok.status, ok.stderr).toBe(0);
    const said = (r: ReturnType<typeof tsad>) => r.stderr.replace(/^tsad: /, '');
    const want = /^tsad: ConfigError \[unknown_detector\]: unknown detector "nosuch"; choose from default, /;
    const bench = tsad('bench', '--corpus', corpus, '-d', 'nosuch', '--out', join(dir, 'recipe-out'));
    expectUserError(bench, 2, want);
    const nab = tsad('nab', 'run', '-d', 'nosuch', '--no-track', '--out', join(dir, 'recipe-nab'));
    expectUserError(nab, 2, want);
    const train = tsad('train', 'data.csv', '-d', 'nosuch', '--no-track', '-q');
    expectUserError(train, 2, want);
    expect(said(nab)).toBe(said(bench));
    expect(said(train)).toBe(said(bench));
    // an Object.prototype key is not a recipe: the same refusal, never a TypeError (exit 1)
    for (const name of ['toString', 'constructor', '__proto__']) {
      expectUserError(
        tsad('train', 'data.csv', '-d', name, '--no-track', '-q'),
        2,
        new RegExp(`ConfigError \\[unknown_detector\\]: unknown detector "${name}"`),
      );
    }
    // a worker count below 1: the same class and code as tsad bench's
    expectUserError(
      tsad('nab', 'run', '-d', 'zms', '--workers', '0', '--no-track', '--out', join(dir, 'recipe-nab')),
      2,
      /error: option '-w, --workers <n>' argument '0' is invalid|ConfigError \[bad_workers\]/,
    );
  });
});

describe('a model name the registry refuses is refused before training', () => {
  it('train --register a/b: the name error (exit 5) before any run is tracked, as --alias latest is', () => {
    const runs = () => JSON.parse(tsad('runs', 'list', '--json').stdout) as unknown[];
    const before = runs().length;
    for (const name of ['a/b', 'x..y', 'm@1']) {
      const r = tsad('train', 'data.csv', '-d', 'zms', '--register', name);
      expect(r.status, r.stderr).toBe(5);
      expect(r.stderr).toMatch(new RegExp(`model name "${name.replace('.', '\\.')}"`));
      expect(r.stderr, 'it trained first').not.toMatch(/training zms|tracked run/);
    }
    expect(runs().length).toBe(before);
  });
});

describe('store errors name the option the command takes', () => {
  it('runs export --from a folder with no store: store_not_found (exit 5) says to fix --from, not --uri', () => {
    const r = tsad(
      'runs',
      'export',
      '--from',
      `file:${join(dir, 'no-store')}`,
      '--to',
      `file:${join(dir, 'exp')}`,
    );
    expectUserError(
      r,
      5,
      /TrackingError \[store_not_found\]: no tracking store at .*no-store .*; pass --from or set TSAD_TRACKING_URI/,
    );
    expect(r.stderr).not.toContain('--uri');
    expect(existsSync(join(dir, 'exp'))).toBe(false);
  });
});

describe('a bare year is not read as epoch milliseconds', () => {
  it('--after 2024 / --until 2024 / --train-end 2013: exit 2 naming both readings, never 2 s after 1970', () => {
    for (const args of [
      ['detect', 'data.csv', '-m', 'model.json', '--after', '2024'],
      ['train', 'data.csv', '-d', 'zms', '--no-track', '--until', '2024'],
      ['simulate', 'realKnownCause/nyc_taxi.csv', '--train-end', '2013'],
    ]) {
      const r = tsad(...args);
      const year = args[args.length - 1];
      expectUserError(
        r,
        2,
        new RegExp(
          `ConfigError \\[invalid_option\\]: ${args[args.length - 2]} ${year} reads as the year ${year} or as epoch millisecond ${year} \\(1970-01-01T00:00:0${year[0]}\\.${year.slice(1)}Z\\): give the year as ${year}-01-01`,
        ),
      );
      expect(r.stdout).toBe('');
    }
  });
});
