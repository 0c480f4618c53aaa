/**
 * The built `tsad` command (CI builds first) run as its own process on files written here, the way a
 * new user meets it: bad input on purpose. Each case expects the documented exit code, one
 * `tsad: <Error> [code]: …` line that says what to fix, no stack trace and no Node-style warning
 * lines, and nothing written or corrupted where a command failed.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '..', '..');
const cli = join(repo, 'dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'tsad-walk-'));
const env = {
  ...process.env,
  TSAD_TRACKING_URI: `file:${join(dir, 'store')}`,
  TSAD_CACHE_DIR: join(dir, 'cache'),
  TSAD_DEBUG: '',
};

function tsad(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env,
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The one error line of a failed command, with no stack trace or Node warning around it. */
function expectUserError(r: ReturnType<typeof tsad>, status: number, pattern: RegExp): void {
  expect(r.status, r.stderr).toBe(status);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at |node:internal|\(node:\d+\)|--trace-warnings/);
}

const T0 = Date.UTC(2024, 3, 1);
const STEP = 300_000;

/** 3000 five-minute rows with a daily cycle and a two-point spike at row 2500 (labelled). */
function writeData(): void {
  const lines = ['timestamp,value,label'];
  for (let i = 0; i < 3000; i++) {
    const a = i === 2500 || i === 2501 ? 1 : 0;
    const v = 50 + 10 * Math.sin((i * 2 * Math.PI) / 288) + ((i * 7919) % 101) / 100 + (a ? 40 : 0);
    lines.push(`${new Date(T0 + i * STEP).toISOString()},${v.toFixed(3)},${a}`);
  }
  writeFileSync(join(dir, 'data.csv'), `${lines.join('\n')}\n`);
}

beforeAll(() => {
  writeData();
  const r = tsad(
    'train',
    'data.csv',
    '-d',
    'zms',
    '--until',
    '2024-04-09',
    '-o',
    'model.json',
    '--register',
    'm',
    '-q',
  );
  expect(r.status, r.stderr).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tsad train / detect: bad options are usage errors (exit 2) that name the flag', () => {
  it('--until and --after that do not parse, or select nothing to train on', () => {
    expectUserError(
      tsad('train', 'data.csv', '--no-track', '-d', 'zms', '--until', 'garbage'),
      2,
      /ConfigError \[invalid_option\]: --until "garbage" is not a time/,
    );
    expectUserError(
      tsad('detect', 'data.csv', '-m', 'model.json', '--after', 'garbage'),
      2,
      /ConfigError \[invalid_option\]: --after "garbage" is not a time/,
    );
    expectUserError(
      tsad('train', 'data.csv', '--no-track', '-d', 'zms', '--until', '2000-01-01'),
      2,
      /no rows of data\.csv are before --until 2000-01-01: its first row is at 2024-04-01T00:00:00\.000Z/,
    );
  });

  it('--until and --after take epoch milliseconds, as the help says', () => {
    const cut = String(Date.UTC(2024, 3, 9));
    const iso = JSON.parse(
      tsad('train', 'data.csv', '--no-track', '-d', 'zms', '--until', '2024-04-09', '--json').stdout,
    );
    const ms = tsad('train', 'data.csv', '--no-track', '-d', 'zms', '--until', cut, '--json');
    expect(ms.status, ms.stderr).toBe(0);
    expect(JSON.parse(ms.stdout).rows).toBe(iso.rows);
    expect(iso.rows).toBe(8 * 288);
    const d = tsad('detect', 'data.csv', '-m', 'model.json', '--after', cut, '--json', '-q');
    expect(d.status, d.stderr).toBe(0);
    expect(JSON.parse(d.stdout).rows).toBe(3000 - 8 * 288);
  });

  it('--time-unit other than ms or s, and --json with --csv', () => {
    expectUserError(
      tsad('train', 'data.csv', '--no-track', '--time-unit', 'h'),
      2,
      /--time-unit "h": use ms or s/,
    );
    expectUserError(
      tsad('detect', 'data.csv', '-m', 'model.json', '--json', '--csv'),
      2,
      /ConfigError \[bad_option\]: --json and --csv do not go together/,
    );
  });

  it('a --labels column that is not 0/1 is a data error (exit 3), not metrics on nonsense', () => {
    expectUserError(
      tsad('detect', 'data.csv', '-m', 'model.json', '--labels', 'value', '-q'),
      3,
      /SeriesError \[bad_value\]: data\.csv: the label column "value" holds 50 .*labels must be 0 \(normal\) or 1 \(anomaly\): if "value" is not the label column, pass the right one to --labels; if it is, fix that row/,
    );
    const ok = tsad(
      'detect',
      'data.csv',
      '-m',
      'model.json',
      '--after',
      '2024-04-09',
      '--labels',
      'label',
      '--json',
      '-q',
    );
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).metrics.f1).toBeGreaterThanOrEqual(0);
  });
});

describe('tsad train / detect: missing values', () => {
  it('refused with a hint the command line can follow, then dropped or interpolated with --missing', () => {
    const lines = readFileSync(join(dir, 'data.csv'), 'utf8').trimEnd().split('\n');
    lines[11] = lines[11].replace(/,[^,]+,0$/, ',,0'); // an empty value
    lines[21] = lines[21].replace(/,[^,]+,0$/, ',NaN,0');
    writeFileSync(join(dir, 'gaps.csv'), `${lines.join('\n')}\n`);
    expectUserError(
      tsad('train', 'gaps.csv', '--no-track', '-d', 'zms', '-q'),
      3,
      /SeriesError \[non_finite\]: line 12 of gaps\.csv .*pass --missing drop \(skip such rows\) or --missing interpolate/,
    );
    const dropped = tsad(
      'train',
      'gaps.csv',
      '--no-track',
      '-d',
      'zms',
      '-q',
      '--missing',
      'drop',
      '--labels',
      'label',
      '--json',
    );
    expect(dropped.status, dropped.stderr).toBe(0);
    expect(JSON.parse(dropped.stdout).rows).toBe(2998);
    const filled = tsad(
      'detect',
      'gaps.csv',
      '-m',
      'model.json',
      '-q',
      '--missing',
      'interpolate',
      '--labels',
      'label',
      '--json',
    );
    expect(filled.status, filled.stderr).toBe(0);
    expect(JSON.parse(filled.stdout).rows).toBe(3000);
    expectUserError(
      tsad('train', 'gaps.csv', '--no-track', '--missing', 'zero'),
      2,
      /--missing "zero": use error, drop or interpolate/,
    );
  });
});

describe('tsad train: CSV problems are explained with the flags the command has', () => {
  it('numeric times need --time-unit; a file without a header needs one', () => {
    // 30 rows: zms trains on 22 points or more (docs/detectors.md, Training minimums)
    const epochRows = Array.from({ length: 30 }, (_, i) => `${1704067200 + 300 * i},${(i * 7) % 5}`);
    writeFileSync(join(dir, 'epoch.csv'), `timestamp,value\n${epochRows.join('\n')}\n`);
    expectUserError(
      tsad('train', 'epoch.csv', '--no-track', '-d', 'zms'),
      3,
      /cannot parse timestamp "1704067200"; it is a plain number: pass --time-unit ms or --time-unit s$/m,
    );
    const ok = tsad('train', 'epoch.csv', '--no-track', '-d', 'zms', '--time-unit', 's', '--json');
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).firstTime).toBe('2024-01-01T00:00:00.000Z');
    writeFileSync(join(dir, 'nohdr.csv'), '2024-01-01T00:00:00Z,1\n2024-01-01T00:05:00Z,2\n');
    const r = tsad('train', 'nohdr.csv', '--no-track', '-d', 'zms');
    expectUserError(r, 3, /SeriesError \[missing_header\]: .*add a header line such as "timestamp,value"$/m);
    expect(r.stderr).not.toMatch(/header: false/);
  });
});

describe('tsad detect output', () => {
  it('--json and --csv carry every row, the same scores, written in chunks', () => {
    const j = tsad('detect', 'data.csv', '-m', 'model.json', '--json', '-q');
    const c = tsad('detect', 'data.csv', '-m', 'model.json', '--csv', '-q');
    expect(j.status, j.stderr).toBe(0);
    expect(c.status, c.stderr).toBe(0);
    const doc = JSON.parse(j.stdout) as {
      rows: number;
      alarms: { t: string }[];
      points: { t: number; value: number; score: number; alarm: boolean }[];
    };
    const lines = c.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('timestamp,value,score,alarm');
    expect(doc.rows).toBe(3000);
    expect(doc.points).toHaveLength(3000);
    expect(lines).toHaveLength(3001);
    for (let i = 0; i < 3000; i++) {
      const [t, v, score, alarm] = lines[i + 1].split(',');
      const p = doc.points[i];
      expect([Date.parse(t), Number(v), Number(score), alarm === '1']).toEqual([
        p.t,
        p.value,
        p.score,
        p.alarm,
      ]);
      expect(p.alarm).toBe(p.score !== 0);
    }
    expect(doc.alarms.length).toBeGreaterThan(0);
    const empty = tsad('detect', 'data.csv', '-m', 'model.json', '--json', '-q', '--after', '2099-01-01');
    expect(JSON.parse(empty.stdout)).toMatchObject({ rows: 0, points: [], alarms: [] });
  });
});

describe('tsad: output streams', () => {
  it('a reader that closes the pipe early (| head) ends the command quietly, exit 0', async () => {
    const child = spawn(process.execPath, [cli, 'detect', 'data.csv', '-m', 'model.json', '--json', '-q'], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
    expect(stderr).not.toMatch(/EPIPE|Unhandled|\n\s+at /);
    expect(code).toBe(0);
  });

  it('warnings about the data are "tsad: warning [CODE]: …" lines, not Node process warnings', () => {
    const csv =
      'timestamp,value\n2024-01-01T00:10:00Z,1\n2024-01-01T00:00:00Z,2\n2024-01-01T00:00:00Z,3\n2024-01-01T00:05:00Z,4\n2024-01-01T00:15:00Z,5\n' +
      // then 25 sorted rows, so that zms has its 22 training points
      Array.from(
        { length: 25 },
        (_, i) => `${new Date(Date.UTC(2024, 0, 1, 0, 20 + 5 * i)).toISOString()},${(i * 3) % 7}\n`,
      ).join('');
    writeFileSync(join(dir, 'unsorted.csv'), csv);
    const r = tsad('train', 'unsorted.csv', '--no-track', '-d', 'zms', '-q');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^tsad: warning \[TSAD_UNSORTED\]: input was not sorted by time/m);
    expect(r.stderr).toMatch(/^tsad: warning \[TSAD_DUPLICATES\]: 1 rows? repeated/m);
    expect(r.stderr).not.toMatch(/\(node:\d+\)|--trace-warnings/);
  });
});

describe('tsad: output paths that cannot be written (exit 2, nothing half-written)', () => {
  it('train -o into a missing folder, or onto a folder', () => {
    expectUserError(
      tsad('train', 'data.csv', '--no-track', '-d', 'zms', '-q', '-o', 'nope/model.json'),
      2,
      /ConfigError \[output_failed\]: cannot write .*nope\/model\.json: its folder does not exist \(ENOENT\)/,
    );
    expect(existsSync(join(dir, 'nope'))).toBe(false);
    mkdirSync(join(dir, 'a-folder'));
    expectUserError(
      tsad('train', 'data.csv', '--no-track', '-d', 'zms', '-q', '-o', 'a-folder'),
      2,
      /ConfigError \[output_failed\]: cannot write .*a-folder: it is a folder/,
    );
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('tsad report -o into a missing folder; a train run has no report and says which runs do', () => {
    const nab = tsad(
      'nab',
      'machine-temperature',
      '--json',
      '--threads',
      '1',
      '--report',
      join(dir, 'mt.html'),
    );
    expect(nab.status, nab.stderr).toBe(0);
    const { runId } = JSON.parse(nab.stdout) as { runId: string };
    expectUserError(
      tsad('report', runId, '-o', join(dir, 'missing', 'r.html')),
      2,
      /ConfigError \[output_failed\]: cannot write .*missing\/r\.html: its folder does not exist/,
    );
    const ok = tsad('report', runId, '-o', join(dir, 'r.html'));
    expect(ok.status, ok.stderr).toBe(0);
    expect(readFileSync(join(dir, 'r.html'), 'utf8')).toMatch(/^<!doctype html>/);
    const trainRun = tsad('train', 'data.csv', '-d', 'zms', '-q', '--json');
    expectUserError(
      tsad('report', JSON.parse(trainRun.stdout).runId),
      5,
      /TrackingError \[no_report\]: .*runs of tsad nab machine-temperature have one/,
    );
  });
});

describe('tsad detect reads a registered model without writing', () => {
  it('models:/ against a folder without a store: store_not_found (exit 5), and no store is created', () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const r = spawnSync(
      process.execPath,
      [cli, 'detect', join(dir, 'data.csv'), '-m', 'models:/m@champion'],
      {
        cwd: empty,
        encoding: 'utf8',
        env: { ...env, TSAD_TRACKING_URI: '' },
      },
    );
    expectUserError(
      { status: r.status, stdout: r.stdout, stderr: r.stderr },
      5,
      /TrackingError \[store_not_found\]: no tracking store at/,
    );
    expect(readdirSync(empty)).toEqual([]);
  });
});

describe('tsad serve: a service that cannot start says why', () => {
  it('a missing or corrupt model file is a model error (exit 4), a bad port a usage error (exit 2)', () => {
    expectUserError(
      tsad('serve', '-m', 'nope.json', '--port', '0'),
      4,
      /ModelFormatError \[model_unreadable\]: cannot read the model file nope\.json/,
    );
    writeFileSync(join(dir, 'broken.json'), '{"format":"tsad-model"');
    expectUserError(
      tsad('serve', '-m', 'broken.json', '--port', '0'),
      4,
      /ModelFormatError \[model_unreadable\]: cannot read the model file broken\.json \(.*JSON/,
    );
    expectUserError(tsad('serve', '-m', 'model.json', '--port', '99999'), 2, /--port.*99999.*≤ 65535/);
    // beyond what a Node timer holds (2^31 - 1 ms, about 24.8 days), setInterval fires every 1 ms: the
    // registry would be polled a thousand times a second
    expectUserError(
      tsad('serve', '-m', 'model.json', '--port', '0', '--poll-seconds', '1e12'),
      2,
      /--poll-seconds.*1e12.*≤ 2147483/,
    );
  });

  it('a port already in use: ServeError listen_failed (exit 6)', async () => {
    const busy = createServer();
    await new Promise<void>((done) => busy.listen(0, '127.0.0.1', done));
    const { port } = busy.address() as AddressInfo;
    try {
      const r = await new Promise<{ status: number | null; stderr: string }>((done) => {
        const child = spawn(process.execPath, [cli, 'serve', '-m', 'model.json', '--port', String(port)], {
          cwd: dir,
          env,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (b: Buffer) => {
          stderr += b.toString();
        });
        child.on('close', (status) => done({ status, stderr }));
      });
      expectUserError(
        { status: r.status, stdout: '', stderr: r.stderr },
        6,
        new RegExp(`ServeError \\[listen_failed\\]: cannot listen on 127\\.0\\.0\\.1:${port}: .*in use`),
      );
    } finally {
      busy.close();
    }
  });
});

describe('the CommonJS build (require)', () => {
  it('opens and uses the tracking stores (their modules load lazily, by import())', () => {
    const script = `
      const { openTracker, ZmsDetector } = require(${JSON.stringify(join(repo, 'dist', 'cjs', 'index.cjs'))});
      (async () => {
        const out = {};
        for (const uri of ['memory:cjs', 'file:' + ${JSON.stringify(join(dir, 'cjs-store'))}]) {
          const t = openTracker(uri);
          const det = new ZmsDetector();
          det.train({ t: Float64Array.from({ length: 50 }, (_, i) => i * 60000 + 1.7e12), v: Float64Array.from({ length: 50 }, (_, i) => Math.sin(i)) });
          const id = await t.run({ experiment: 'cjs' }, async (run) => { await run.logModel(det); return run.id; });
          out[uri.split(':')[0]] = (await t.getRun(id)).info.status;
          await t.close();
        }
        process.stdout.write(JSON.stringify(out));
      })().catch((e) => { process.stderr.write(e.code + ' ' + e.message); process.exitCode = 1; });`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8', env });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ memory: 'FINISHED', file: 'FINISHED' });
  });

  it('no import() in dist/cjs names an ESM .js file beside it', () => {
    const bad: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.cjs')) {
          for (const m of readFileSync(p, 'utf8').matchAll(/import\((["'])(\.{1,2}\/[^"']+\.js)\1\)/g))
            bad.push(`${p}: ${m[2]}`);
        }
      }
    };
    walk(join(repo, 'dist', 'cjs'));
    expect(bad).toEqual([]);
  });
});

describe('tsad simulate: usage errors', () => {
  it('no data to simulate on, or a --train-end that is not a time: exit 2 naming what to give', () => {
    expectUserError(
      tsad('simulate', '--train-end', '2013-12-15'),
      2,
      /ConfigError \[invalid_option\]: pass a NAB file \(e\.g\. realKnownCause\/nyc_taxi\.csv\) or --data postgres:/,
    );
    expectUserError(
      tsad('simulate', 'realKnownCause/nyc_taxi.csv', '--train-end', 'garbage'),
      2,
      /ConfigError \[invalid_option\]: --train-end "garbage" is not a time/,
    );
    expectUserError(
      tsad('simulate', 'realKnownCause/nyc_taxi.csv', '--train-end', '2014-07-10', '--bin', '5 minutes'),
      2,
      /ConfigError \[invalid_option\]: --bin: expected e\.g\. 30s, 5m, 1h, got "5 minutes"/,
    );
  });
});

describe('tsad simulate: a typo in an option is named before any data is read or downloaded', () => {
  it('with no NAB copy and no network, each bad option is still exit 2 naming it (not download_failed, exit 3)', () => {
    const offline = {
      ...env,
      TSAD_DATA_DIR: mkdtempSync(join(dir, 'no-nab-')),
      TSAD_NAB_BASE_URL: 'http://127.0.0.1:9/never/',
    };
    const sim = (...more: string[]) => {
      const r = spawnSync(
        process.execPath,
        [cli, 'simulate', 'realKnownCause/nyc_taxi.csv', '--train-end', '2014-07-10', ...more],
        { cwd: dir, encoding: 'utf8', env: offline, timeout: 120_000 },
      );
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const cases: [string[], RegExp][] = [
      [['--retrain-every', '0d'], /retrainEvery: expected a positive duration.*got "0d"/],
      [['--retrain-every', '1x'], /retrainEvery: expected a positive duration.*got "1x"/],
      [['--window', 'sliding:0d'], /trainWindow: expected a positive duration.*got "0d"/],
      [['--window', 'rolling'], /trainWindow: expected 'expanding', 'sliding:<duration>'/],
      [['--retrain-on', 'schedule'], /retrainOn: only 'drift' is supported, got "schedule"/],
      [['--bin', '5 minutes'], /--bin: expected e\.g\. 30s, 5m, 1h, got "5 minutes"/],
      [['-d', 'defualt'], /ConfigError \[unknown_detector\]: unknown detector "defualt"/],
    ];
    for (const [args, pattern] of cases) expectUserError(sim(...args), 2, pattern);
    // a tracking URI tsad cannot open: exit 5 as in every command (not after a download)
    expectUserError(sim('--uri', 'ftp://x'), 5, /TrackingError \[unsupported_uri\].*ftp/);
    // the options are fine: now the missing data is the error (exit 3)
    expect(sim().status).toBe(3);
  });
});

describe('tsad models / runs: typos in arguments', () => {
  it('a version that is not a number, a margin that is not a number: exit 2 with a message', () => {
    expectUserError(tsad('models', 'promote', 'm', 'abc'), 2, /VERSION "abc" is not a version number/);
    expectUserError(
      tsad('models', 'promote', 'm', '1', '--margin', 'abc'),
      2,
      /--margin "abc" is not a number/,
    );
  });

  it('a filter or order that does not parse is a usage error (exit 2)', () => {
    expectUserError(tsad('runs', 'list', '--filter', 'metrics.f1 >'), 2, /\[invalid_query\]/);
    expectUserError(tsad('runs', 'list', '--order-by', 'metrics.f1 SIDEWAYS'), 2, /\[invalid_query\]/);
    expectUserError(tsad('detect', 'data.csv', '-m', 'models:/'), 2, /\[invalid_model_uri\]/);
  });

  it('a reserved alias (latest, v<n>; MLflow refuses them too) is a usage error (exit 2), before any lookup', () => {
    for (const alias of ['latest', 'V2']) {
      expectUserError(
        tsad('models', 'promote', 'no-such-model', '1', '--alias', alias),
        2,
        new RegExp(
          `\\[invalid_alias\\]: alias "${alias}" is reserved .*: choose another alias, such as "champion"`,
        ),
      );
    }
    // tsad train --register --alias latest: refused before training, so no version is left registered
    // without its alias
    expectUserError(
      tsad('train', 'data.csv', '-d', 'zms', '-q', '--register', 'reserved-alias', '--alias', 'latest'),
      2,
      /\[invalid_alias\]: alias "latest" is reserved/,
    );
    const list = tsad('models', 'list');
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).not.toMatch(/reserved-alias/);
  });

  it('tsad train --register --alias records the version the alias replaced, so models rollback moves it back (audit43)', () => {
    for (const until of ['2024-04-08', '2024-04-09']) {
      const t = tsad(
        'train',
        'data.csv',
        '-d',
        'zms',
        '-q',
        '--until',
        until,
        '--register',
        'walk-alias',
        '--alias',
        'champion',
      );
      expect(t.status, t.stderr).toBe(0);
    }
    // before: no_previous, 'version 2, which replaced no earlier champion' (it replaced version 1)
    const back = tsad('models', 'rollback', 'walk-alias');
    expect(back.status, back.stderr).toBe(0);
    expect(back.stdout).toBe('walk-alias@champion: v2 → v1\n');
    expectUserError(
      tsad('models', 'rollback', 'walk-alias'),
      5,
      /\[no_previous\]: "champion" of "walk-alias" is version 1, which replaced no earlier champion/,
    );
  });
});

describe('a read-only tracking store and output folder (a read-only bind mount; the tests run as root, as CI does)', () => {
  const ro = join(dir, 'ro');
  let mounted = false;
  beforeAll(() => {
    mkdirSync(join(ro, 'out'), { recursive: true });
    const t = tsad('train', 'data.csv', '-d', 'zms', '-q', '--uri', `file:${join(ro, 'store')}`, '--json');
    expect(t.status, t.stderr).toBe(0);
    execFileSync('mount', ['--bind', ro, ro]);
    mounted = true;
    execFileSync('mount', ['-o', 'remount,bind,ro', ro]);
  });
  afterAll(() => {
    if (mounted) execFileSync('umount', [ro]);
  });

  it('lists and shows its runs without writing; a new run is a typed storage_denied (exit 5)', () => {
    const uri = `file:${join(ro, 'store')}`;
    const before = readFileSync(join(ro, 'store', 'tsad-store.json'), 'utf8');
    const list = tsad('runs', 'list', '--uri', uri, '--json');
    expect(list.status, list.stderr).toBe(0);
    const runs = JSON.parse(list.stdout) as { info: { runId: string } }[];
    expect(runs).toHaveLength(1);
    const show = tsad('runs', 'show', runs[0].info.runId, '--uri', uri);
    expect(show.status, show.stderr).toBe(0);
    expectUserError(
      tsad('train', 'data.csv', '-d', 'zms', '-q', '--uri', uri),
      5,
      /TrackingError \[storage_denied\]: .*read-only .*\(EROFS\)/,
    );
    expect(readFileSync(join(ro, 'store', 'tsad-store.json'), 'utf8')).toBe(before);
  });

  it('tsad synth into it: output_failed (exit 2)', () => {
    expectUserError(
      tsad('synth', join(ro, 'out', 'corpus'), '--seed', '1'),
      2,
      /ConfigError \[output_failed\]: cannot write .*corpus: the file system is read-only \(EROFS\)/,
    );
  });
});
