import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TrackingError } from '../../src/index.js';
import { openMemoryTracker } from '../../src/tracking/index.js';

const root = join(import.meta.dirname, '..', '..');

/** The quoted members of `export type TrackingErrorCode = …;` in src/errors.ts. */
function unionCodes(): string[] {
  const src = readFileSync(join(root, 'src', 'errors.ts'), 'utf8');
  const body = /export type TrackingErrorCode =([^;]*);/.exec(src)?.[1];
  expect(body).toBeDefined();
  return [...(body ?? '').matchAll(/'([a-z_]+)'/g)].map((m) => m[1]).sort();
}

function documentedCodes(): string[] {
  const doc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
  return [...doc.matchAll(/^\| `TrackingError` \| `([^`]+)` \|/gm)].map((m) => m[1]).sort();
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TrackingError);
    return (err as TrackingError).code;
  }
  throw new Error('expected a rejection');
}

describe('TrackingError codes', () => {
  it('docs/errors.md lists exactly the codes of TrackingErrorCode (plus the MLflow server family), all snake_case', () => {
    const codes = unionCodes();
    expect(codes.length).toBeGreaterThan(40);
    for (const c of codes) expect(c).toMatch(/^[a-z]+(_[a-z]+)*$/);
    expect(documentedCodes()).toEqual([...codes, 'mlflow_<server code>'].sort());
  });

  it('errors thrown by a tracker carry a code of the union', async () => {
    const codes = new Set(unionCodes());
    const t = openMemoryTracker();
    const run = await t.startRun({ experiment: 'e' });
    await run.logParam('p', 1);
    const thrown = [
      await codeOf(run.logMetric('bad key!', 1)),
      await codeOf(run.logParam('p', 2)),
      await codeOf(t.getRun('0'.repeat(32))),
      await codeOf(t.searchRuns({ filter: 'metrics.x >' })),
      await codeOf(t.loadModelJson('models:/')),
      await codeOf(t.registerModel('bad/name', run.id)),
      await codeOf(run.logArtifact({ name: '../x', bytes: 'x' })),
    ];
    await run.end();
    thrown.push(await codeOf(run.logMetric('m', 1)));
    expect(thrown).toEqual([
      'invalid_key',
      'param_changed',
      'not_found',
      'invalid_query',
      'invalid_model_uri',
      'unsafe_path',
      'unsafe_path',
      'run_not_active',
    ]);
    for (const c of thrown) expect(codes.has(c)).toBe(true);
  });
});
