import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrackingError } from '../../src/index.js';
import { registerRuns } from '../../src/internal.js';
import { FileTracker } from '../../src/tracking/index.js';

/** Warnings emitted while `fn` runs (Node delivers them on the next tick). */
async function warningsDuring(fn: () => Promise<unknown>): Promise<(Error & { code?: string })[]> {
  const got: (Error & { code?: string })[] = [];
  const listener = (w: Error & { code?: string }) => got.push(w);
  process.on('warning', listener);
  try {
    await fn();
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', listener);
  }
  return got;
}

describe('a corrupt run.json in the local store', () => {
  let dir = '';
  let root = '';
  let goodId = '';
  let badId = '';
  let badPath = '';
  const badText = '{"format":"tsad-run","version":1,"runId":"tru';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsad-corrupt-'));
    root = join(dir, 'store');
    const t = new FileTracker(root);
    goodId = await t.run({ experiment: 'exp', name: 'good' }, async (run) => {
      await run.logMetric('f1', 0.5);
      return run.id;
    });
    badId = await t.run({ experiment: 'exp', name: 'bad' }, (run) => run.id);
    const [expId] = await readdir(join(root, 'experiments'));
    badPath = join(root, 'experiments', expId, 'runs', badId, 'run.json');
    await writeFile(badPath, badText);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('searchRuns still lists the other runs and warns once, naming the file', async () => {
    const t = new FileTracker(root);
    let runs: Awaited<ReturnType<FileTracker['searchRuns']>> = [];
    const warned = await warningsDuring(async () => {
      runs = await t.searchRuns();
      runs = await t.searchRuns({ experiment: 'exp' }); // a second search does not warn again
    });
    expect(runs.map((r) => r.info.runId)).toEqual([goodId]);
    expect(warned).toHaveLength(1);
    expect(warned[0].code).toBe('TSAD_UNREADABLE_RUN');
    expect(warned[0].message).toContain(badPath);
    expect(warned[0].message).toMatch(/backup|move/);
    expect(await readFile(badPath, 'utf8')).toBe(badText); // never rewritten
  });

  it('getRun on the corrupt run is a typed TrackingError naming the file', async () => {
    const t = new FileTracker(root);
    const err = await t.getRun(badId).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TrackingError);
    expect((err as TrackingError).code).toBe('corrupt_store');
    expect((err as Error).message).toContain(badPath);
    expect((err as Error).message).toMatch(/backup|move/);
    expect((await t.getRun(goodId)).data.metrics.f1?.value).toBe(0.5);
    expect(await readFile(badPath, 'utf8')).toBe(badText);
  });

  it('tsad runs list prints the good run', async () => {
    let out = '';
    const program = new Command().exitOverride();
    registerRuns(program, { out: (s) => (out += s) });
    const warned = await warningsDuring(() =>
      program.parseAsync(['node', 'tsad', 'runs', 'list', '--uri', `file:${root}`]),
    );
    expect(out).toContain(goodId);
    expect(out).not.toContain(badId);
    expect(warned.map((w) => w.code)).toEqual(['TSAD_UNREADABLE_RUN']);
  });
});
