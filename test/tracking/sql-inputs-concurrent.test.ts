/**
 * Dataset inputs logged at once on one PostgreSQL run (a real server started here), through the run's
 * own tracker (one pool: several transactions at once) and a second store with a pool of its own: each
 * input gets its own number (`(run_id, idx)` is the inputs' primary key), none is lost, no write fails;
 * and on a run deleted first, none is stored (`not_found`), none collides.
 */
import { describe, expect, it } from 'vitest';
import type { DatasetInput } from '../../src/tracking/index.js';
import { usePgStores } from './pg-stores.js';

const input = (name: string): DatasetInput => ({
  name,
  digest: 'a'.repeat(64),
  rows: 10,
  startTime: 0,
  endTime: 9,
  context: 'training',
});

describe('concurrent dataset inputs on one PostgreSQL run', () => {
  const s = usePgStores('inputs_race');

  it('8 logInputs on the run and 8 writes through a second pool, all at once: all 17 stored, each under its own number, no write failing', async () => {
    const run = await s.tracker.startRun({ experiment: 'inputs' });
    const runId = run.id;
    // both pools connected and their tables ready before the race
    await run.logInputs([input('first')]);
    await s.other.query('SELECT 1');
    const names = Array.from({ length: 16 }, (_, i) => `d${i}`);
    const results = await Promise.allSettled(
      names.map((n, i) => (i % 2 === 0 ? run.logInputs([input(n)]) : s.other.writeInputs(runId, [input(n)]))),
    );
    const failed = results
      .filter((r) => r.status === 'rejected')
      .map((r) => String((r as PromiseRejectedResult).reason));
    expect(failed).toEqual([]);
    await run.end();
    const rec = await s.tracker.getRun(runId);
    expect(rec.inputs.map((d) => d.name).sort()).toEqual(['first', ...names].sort());
    expect(rec.inputs[0].name).toBe('first');
  }, 120_000);

  it('inputs logged at once on a run deleted before them: every one not_found, nothing left behind (the row lock has no row to serialise them on)', async () => {
    const run = await s.tracker.startRun({ experiment: 'inputs' });
    const runId = run.id;
    await s.other.deleteRun(runId);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => s.other.writeInputs(runId, [input(`gone${i}`)])),
    );
    const codes = results.map((r) =>
      r.status === 'fulfilled' ? 'stored' : String((r.reason as { code?: unknown }).code),
    );
    expect(codes).toEqual(Array(8).fill('not_found'));
    const left = await s.other.query(
      `SELECT COUNT(*) AS n FROM ${s.other.dialect.t('inputs')} WHERE run_id = $1`,
      [runId],
    );
    expect(Number(left.rows[0].n)).toBe(0);
  }, 120_000);
});
