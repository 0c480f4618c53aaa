/** examples/ type-check against the built package (self-reference to 'tsad') and run to completion. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MlflowServer, startMlflow } from '../helpers/mlflow-server.js';

const repo = resolve(import.meta.dirname, '..', '..');
const run = (file: string, env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'examples', file)], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });

let mlflow: MlflowServer;
beforeAll(async () => {
  if (!existsSync(join(repo, 'dist', 'src', 'index.d.ts')))
    throw new Error('run `npm run build` before this test');
  mlflow = await startMlflow({ backend: 'sqlite' });
}, 180_000);
afterAll(async () => {
  await mlflow?.close();
});

describe('examples/', () => {
  it('type-check', () => {
    const r = spawnSync(
      process.execPath,
      [join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'examples/tsconfig.json'],
      {
        cwd: repo,
        encoding: 'utf8',
      },
    );
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 120_000);

  it('http-service.ts serves and scores, with an alarm on the jump', () => {
    const r = run('http-service.ts');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      /^scored 20 points with models:\/machine\/1; alarms at 2024-01-08T00:\d\d:00.000Z/m,
    );
    expect(r.stdout).toMatch(/"points":20/);
  }, 120_000);

  it('stream-readable.ts scores a Readable point by point', () => {
    const r = run('stream-readable.ts');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^alarm at 2024-01-01T20:0\d:00.000Z/m);
    expect(r.stdout).toMatch(/^300 points scored$/m);
  }, 120_000);

  it('drift-monitor.ts flags the level shift, after it and never before, with monitoring-table rows', () => {
    const r = run('drift-monitor.ts');
    expect(r.stderr).toBe('');
    // the shift starts at 2024-01-11T00:00; checks every 6 hours over a 1-day window
    expect(r.stdout).toMatch(/^first drift event at 2024-01-11T\d\d:55:00.000Z: values KS D 0\.\d+/m);
    expect(r.stdout).toMatch(/^ {2}2024-01-11T\d\d:55:00.000Z machine-1 value\.ks_d 0\.\d{4}$/m);
    expect(r.stdout).toMatch(/^25 checks: [1-9]\d* drift events after the shift, 0 before it$/m);
  }, 120_000);

  it('mlflow-tracking.ts tracks, registers and loads back from a real MLflow server', () => {
    const r = run('mlflow-tracking.ts', { MLFLOW_TRACKING_URI: mlflow.url });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      /^run [0-9a-f]+: F1 \d\.\d{3}; registered version 1; loaded back a ZmsDetector$/m,
    );
  }, 120_000);
});
