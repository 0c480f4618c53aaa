import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { registerMonitor, registerNab, registerSimulate } from '../../src/internal.js';
import '../../src/index.js';
import { openTracker } from '../../src/tracking/index.js';
import { runCli } from '../helpers/cli.js';
import { ioError, recordFsyncs, syncedDurably, tempFiles } from '../helpers/fsyncs.js';

const dir = mkdtempSync(join(tmpdir(), 'tsad-lifecycle-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]): Promise<string> =>
  runCli([registerNab, registerSimulate, registerMonitor], args);

describe('lifecycle commands', () => {
  it('tsad simulate: weekly retraining on a NAB file, tracked as a parent run with child runs', async () => {
    const uri = `file:${join(dir, 'runs')}`;
    const out = JSON.parse(
      await run([
        'simulate',
        'realKnownCause/nyc_taxi.csv',
        '--train-end',
        '2014-08-01',
        '--retrain-every',
        '7d',
        '--window',
        'sliding:28d',
        '-d',
        'zms',
        '--uri',
        uri,
        '--json',
      ]),
    );
    expect(out.retrains).toBe(26);
    expect(out.f1).toBeGreaterThanOrEqual(0);
    const tracker = openTracker(uri);
    const children = await tracker.searchRuns({ experiment: 'simulate' });
    expect(children.filter((r) => r.data.tags['mlflow.parentRunId'] === out.parentRunId)).toHaveLength(27);
    expect((await tracker.getRun(out.parentRunId)).data.metrics.retrains.value).toBe(26);
    await tracker.close();
  });

  it('npm run nab -- --retrain: one row per plan, train-once equal to the experiment', async () => {
    const out = await run(['nab', 'machine-temperature', '--retrain', 'once']);
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe('| plan | precision | recall | F1 | MTTD | alarms | retrains | wall time |');
    // 16:25 since harm45's daily harmonic (16:22:30 before)
    expect(lines[2]).toMatch(/^\| once \| 0\.6667 \| 0\.6667 \| 0\.6667 \| (0 d )?16:25 \| 10 \| 0 \| /);
    expect(lines).toHaveLength(3);
  });

  it('tsad monitor: drift against the probationary period, with the HTML report', async () => {
    const report = join(dir, 'drift.html');
    const out = await run([
      'monitor',
      'realKnownCause/machine_temperature_system_failure.csv',
      'artificialNoAnomaly/art_daily_no_noise.csv',
      '--report',
      report,
    ]);
    expect(out).toMatch(/^1 of 2 files drift against their probationary period/);
    expect(existsSync(report)).toBe(true);
    expect(readFileSync(report, 'utf8')).toContain('machine_temperature_system_failure.csv: max PSI');
  });

  it('tsad monitor writes its report whole and durably; a failed write keeps the last one and no temp file', async () => {
    const folder = join(dir, 'monitor-atomic');
    mkdirSync(folder);
    const report = join(folder, 'drift.html');
    const args = ['monitor', 'artificialNoAnomaly/art_daily_no_noise.csv', '--report', report];
    const rec = await recordFsyncs();
    try {
      await run(args);
    } finally {
      rec.restore();
    }
    const html = readFileSync(report, 'utf8');
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(syncedDurably(rec.syncs, report)).toBe(true);
    expect(tempFiles(readdirSync(folder))).toEqual([]);
    const bad = await recordFsyncs(ioError());
    try {
      await expect(run(args)).rejects.toMatchObject({ code: 'EIO' });
    } finally {
      bad.restore();
    }
    expect(readFileSync(report, 'utf8')).toBe(html);
    expect(readdirSync(folder)).toEqual(['drift.html']);
  });
});
