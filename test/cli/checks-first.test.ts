/**
 * usab28's defects (issue 17): a mistake on the command line is reported before any work it would
 * waste (a scoring, a download), and as the mistake it is. Each case runs the built `tsad` as its own
 * process with no NAB copy and an unreachable download address, so reading NAB would fail loudly.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '..', '..');
const cli = join(repo, 'dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'tsad-checks-first-'));
const dataDir = join(dir, 'no-nab');
const env = {
  ...process.env,
  TSAD_TRACKING_URI: `file:${join(dir, 'store')}`,
  TSAD_CACHE_DIR: join(dir, 'cache'),
  // an empty NAB folder and a download address where nothing listens: any read of NAB fails
  TSAD_DATA_DIR: dataDir,
  TSAD_NAB_BASE_URL: 'http://127.0.0.1:9',
  TSAD_DEBUG: '',
};

function tsad(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8', env, timeout: 60_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function expectUsage(r: ReturnType<typeof tsad>, status: number, pattern: RegExp): void {
  expect(r.signal, 'the command hung and was killed').toBeNull();
  expect(r.status, r.stderr).toBe(status);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at |node:internal/);
}

const data = join(dir, 'data.csv');
const model = join(dir, 'model.json');

beforeAll(() => {
  mkdirSync(dataDir);
  const lines = ['timestamp,value,label'];
  const t0 = Date.UTC(2024, 0, 1);
  for (let i = 0; i < 400; i++) {
    const v = 10 + Math.sin(i / 10) + ((i * 7919) % 101) / 200 + (i === 300 ? 8 : 0);
    lines.push(`${new Date(t0 + i * 300_000).toISOString()},${v.toFixed(3)},${i === 300 ? 1 : 0}`);
  }
  writeFileSync(data, `${lines.join('\n')}\n`);
  const r = tsad('train', data, '-d', 'zms', '--no-track', '-o', model, '-q');
  expect(r.status, r.stderr).toBe(0);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a mistyped option is an unknown option, wherever it is', () => {
  it('detect --modle: unknown option with "did you mean --model?" (exit 2), not "required option --model"', () => {
    const r = tsad('detect', data, '--modle', model);
    expectUsage(r, 2, /unknown option '--modle'/);
    expect(r.stderr).toMatch(/Did you mean --model\?/);
    expect(r.stderr).not.toMatch(/required option/);
  });

  it('a required option left out is still named; other commands with a required option alike', () => {
    expectUsage(tsad('detect', data), 2, /required option '-m, --model <model>' not specified/);
    const sim = tsad('simulate', 'realKnownCause/machine_temperature_system_failure.csv', '--trainend', 'x');
    expectUsage(sim, 2, /unknown option '--trainend'/);
    expect(sim.stderr).toMatch(/Did you mean --train-end\?/);
    expectUsage(tsad('runs', 'export', '--from', dir, '--too', 'x'), 2, /unknown option '--too'/);
  });

  it('the hint after a usage error names the command to ask for help, not a placeholder', () => {
    expectUsage(tsad('detect', data, '--modle', model), 2, /\(run tsad detect --help for its options\)/);
    expectUsage(tsad('nab', 'score'), 2, /\(run tsad nab score --help for its options\)/);
    expectUsage(tsad('runs', 'end', 'x'), 2, /\(run tsad runs end --help for its options\)/);
    expectUsage(tsad('nosuch'), 2, /unknown command 'nosuch'\n\(run tsad --help for its commands\)/);
    expectUsage(
      tsad('models', 'nosuch'),
      2,
      /unknown command 'nosuch'\n\(run tsad models --help for its commands\)/,
    );
    for (const r of [tsad('detect', data), tsad('nosuch'), tsad('help', 'nosuch')]) {
      expect(r.stderr).not.toMatch(/<command>/);
    }
  });

  it('an extra argument is refused (exit 2), not ignored', () => {
    expectUsage(tsad('detect', data, data, '--model', model), 2, /too many arguments for 'detect'/);
    expectUsage(tsad('nab', 'score', dir, dir), 2, /too many arguments for 'score'/);
  });
});

describe('options are checked before the work they would waste', () => {
  it('detect --labels naming no column: missing_column (exit 3) before the file is scored', () => {
    const r = tsad('detect', data, '--model', model, '--labels', 'nosuchcol');
    expectUsage(r, 3, /SeriesError \[missing_column\]: .*no column named "nosuchcol"/);
    expect(r.stderr).not.toMatch(/scoring \d+ rows/);
    // and the right column still scores and evaluates
    const ok = tsad('detect', data, '--model', model, '--labels', 'label', '--json');
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).metrics.anomalies).toBe(1);
  });

  it('nab score of a folder that does not exist: missing_results (exit 3), no labels downloaded', () => {
    const r = tsad('nab', 'score', join(dir, 'nosuchdir'));
    expectUsage(r, 3, /MetricsError \[missing_results\]: results folder .*nosuchdir does not exist/);
    expect(readdirSync(dataDir)).toEqual([]);
    // a file given as the folder is named as such
    expectUsage(tsad('nab', 'score', data), 3, /results folder .*data\.csv is not a folder/);
  });

  it('nab machine-temperature --retrain with a bad plan or recipe: exit 2 before NAB is read', () => {
    const bad = tsad('nab', 'machine-temperature', '--retrain', 'bogus', '--no-track');
    expectUsage(bad, 2, /LifecycleError \[bad_option\]: retrain plan "bogus": retrainEvery: .*got "bogus"/);
    expectUsage(
      tsad('nab', 'machine-temperature', '--retrain', '1d:sliding:xx', '--no-track'),
      2,
      /retrain plan "1d:sliding:xx": trainWindow: .*got "xx"/,
    );
    expectUsage(
      tsad('nab', 'machine-temperature', '--retrain', 'once', '-d', 'nosuch', '--no-track'),
      2,
      /ConfigError \[unknown_detector\]: unknown detector "nosuch"/,
    );
    expect(existsSync(join(dataDir, 'nab'))).toBe(false);
  });
});

describe('a store folder that lost its tsad-store.json', () => {
  it('runs list says what is there (experiments, runs) and how to repair it, corrupt_store (exit 5); an empty folder stays store_not_found', () => {
    const store = join(dir, 'marker-lost');
    const uri = `file:${store}`;
    const t = spawnSync(
      process.execPath,
      [cli, 'train', data, '-d', 'zms', '-o', join(dir, 'm2.json'), '-q'],
      {
        cwd: dir,
        encoding: 'utf8',
        env: { ...env, TSAD_TRACKING_URI: uri },
        timeout: 60_000,
      },
    );
    expect(t.status, t.stderr).toBe(0);
    expect(tsad('runs', 'list', '--uri', uri).status).toBe(0);
    rmSync(join(store, 'tsad-store.json'));
    const r = tsad('runs', 'list', '--uri', uri);
    expectUsage(
      r,
      5,
      /TrackingError \[corrupt_store\]: .*marker-lost holds 1 experiment with 1 run but no tsad-store\.json/,
    );
    expect(r.stderr).not.toMatch(/nothing has been tracked/);
    expect(r.stderr).toContain(`{"format":"tsad-store","version":1}`);
    // nothing was written by the read: the marker is still missing, the run still there
    expect(existsSync(join(store, 'tsad-store.json'))).toBe(false);
    // the repair the message gives opens the store again, with its run
    writeFileSync(join(store, 'tsad-store.json'), '{"format":"tsad-store","version":1}');
    const ok = tsad('runs', 'list', '--uri', uri, '--json');
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toHaveLength(1);
    // a folder with nothing of a store in it is still "no tracking store"
    const empty = join(dir, 'empty-folder');
    mkdirSync(empty);
    expectUsage(
      tsad('runs', 'list', '--uri', `file:${empty}`),
      5,
      /\[store_not_found\]: no tracking store at/,
    );
  });
});
