import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { MetricsError } from '../../src/index.js';
import { registerNab } from '../../src/internal.js';
import { resolveNabDir } from '../../src/metrics/index.js';
import { runCli } from '../helpers/cli.js';

const nabDir = resolveNabDir();

const run = (args: string[]): Promise<string> => runCli([registerNab], args);

describe('tsad nab score', () => {
  afterEach(() => vi.restoreAllMocks());

  it('--thresholds config/thresholds.json --json reproduces the published numenta scores', async () => {
    const out = await run([
      'nab',
      'score',
      join(nabDir, 'results', 'numenta'),
      '--thresholds',
      join(nabDir, 'config', 'thresholds.json'),
      '--data',
      nabDir,
      '--json',
    ]);
    const j = JSON.parse(out) as Record<string, number> & { thresholds: Record<string, number> };
    expect(Object.keys(j).sort()).toEqual([
      'reward_low_FN_rate',
      'reward_low_FP_rate',
      'standard',
      'thresholds',
    ]);
    expect(j.standard).toBeCloseTo(70.1, 2);
    expect(j.reward_low_FP_rate).toBeCloseTo(63.12, 2);
    expect(j.reward_low_FN_rate).toBeCloseTo(74.32, 2);
    expect(j.thresholds.standard).toBe(0.5421876907348634);
  });

  it('prints a table with stored and re-optimised thresholds (--partial: two files)', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'tsad-metrics-cli-'));
    onTestFinished(() => rmSync(tmp, { recursive: true, force: true }));
    const dir = join(tmp, 'numenta');
    mkdirSync(join(dir, 'realKnownCause'), { recursive: true });
    for (const f of ['numenta_nyc_taxi.csv', 'numenta_machine_temperature_system_failure.csv']) {
      copyFileSync(join(nabDir, 'results', 'numenta', 'realKnownCause', f), join(dir, 'realKnownCause', f));
    }
    const out = await run([
      'nab',
      'score',
      dir,
      '--thresholds',
      join(nabDir, 'config', 'thresholds.json'),
      '--partial',
    ]);
    expect(out).toMatch(/NAB score of numenta \(2 files/);
    expect(out).toMatch(
      /at the given thresholds:\nprofile\s+threshold\s+raw\s+score\s+TP\s+FP\s+FN\s+TN\nstandard\s+0\.5421876907348634\s/,
    );
    expect(out).toMatch(/re-optimised thresholds/);
    await expect(
      run(['nab', 'score', dir, '--thresholds', join(nabDir, 'config', 'thresholds.json')]),
    ).rejects.toThrow(/no results for 56 corpus file/);
  });

  it('malformed windows, thresholds and result files are MetricsErrors naming the file', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'tsad-metrics-cli-'));
    onTestFinished(() => rmSync(tmp, { recursive: true, force: true }));
    const dir = join(tmp, 'numenta');
    mkdirSync(join(dir, 'realKnownCause'), { recursive: true });
    const csv = join(dir, 'realKnownCause', 'numenta_nyc_taxi.csv');
    copyFileSync(join(nabDir, 'results', 'numenta', 'realKnownCause', 'numenta_nyc_taxi.csv'), csv);
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, '{ not json');
    const notWindows = join(tmp, 'windows.json');
    writeFileSync(notWindows, JSON.stringify({ 'realKnownCause/nyc_taxi.csv': [['2014-01-01 00:00:00']] }));
    const cases: [string[], RegExp][] = [
      [['--windows', bad], /bad\.json is not valid JSON/],
      [['--windows', notWindows], /window 0 of realKnownCause\/nyc_taxi\.csv must be \[start, end\]/],
      [['--thresholds', bad, '--partial'], /bad\.json is not valid JSON/],
    ];
    for (const [args, message] of cases) {
      const err = await run(['nab', 'score', dir, ...args]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MetricsError);
      expect((err as Error).message).toMatch(message);
    }
    writeFileSync(csv, 'timestamp,value,anomaly_score\n2014-07-01 00:00:00,1\n');
    const err = await run(['nab', 'score', dir, '--partial']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetricsError);
    expect((err as Error).message).toMatch(/numenta_nyc_taxi\.csv is not a readable CSV/);
  });
});
