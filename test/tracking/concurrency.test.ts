/**
 * Concurrency: 8 processes × 25 runs each, writing at once to one local store and one
 * PostgreSQL database (a real server started here): all 200 runs and all their metrics are there.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openTracker, type Tracker } from '../../src/tracking/index.js';
import { type PgServer, startPostgres } from './pg-server.js';

const CHILD = join(import.meta.dirname, 'fixtures', 'writer-child.ts');
const WORKERS = 8;
const RUNS = 25;

function writer(worker: number, uris: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, String(worker), String(RUNS), ...uris], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('exit', (code) => {
      if (code === 0 && out.includes('done')) resolve();
      else reject(new Error(`writer ${worker} failed (exit ${code}): ${err}`));
    });
  });
}

async function verify(t: Tracker): Promise<void> {
  const runs = await t.searchRuns({ experiment: 'concurrent' });
  expect(runs.length).toBe(WORKERS * RUNS);
  const names = new Set(runs.map((r) => r.info.runName));
  for (let w = 0; w < WORKERS; w++)
    for (let r = 0; r < RUNS; r++) expect(names.has(`w${w}-r${r}`)).toBe(true);
  for (const run of runs) {
    const w = Number(run.data.params.worker);
    const r = Number(run.data.params.r);
    expect(run.info.runName).toBe(`w${w}-r${r}`);
    expect(run.info.status).toBe('FINISHED');
    expect(run.data.tags.worker).toBe(String(w));
    expect(run.data.metrics.final.value).toBe(w * 1000 + r);
    const curve = await t.getMetricHistory(run.info.runId, 'curve');
    expect(curve.map((p) => p.value)).toEqual(Array.from({ length: 20 }, (_, i) => r + i / 20));
  }
  const best = await t.searchRuns({ experiment: 'concurrent', orderBy: 'metrics.final DESC', maxResults: 1 });
  expect(best[0].info.runName).toBe(`w${WORKERS - 1}-r${RUNS - 1}`);
}

describe('concurrent writers', () => {
  let dir = '';
  let pg: PgServer | undefined;
  afterAll(async () => {
    await pg?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('8 processes × 25 runs into one local store and one PostgreSQL database at once', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsad-conc-'));
    pg = await startPostgres();
    const fileUri = `file:${join(dir, 'store')}`;
    const pgUri = `${pg.uri}?schema=concurrent`;
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => writer(w, [fileUri, pgUri])));
    const file = openTracker(fileUri);
    const sql = openTracker(pgUri);
    try {
      await verify(file);
      await verify(sql);
    } finally {
      await file.close();
      await sql.close();
    }
  });
});
