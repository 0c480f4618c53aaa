/**
 * Security of the local store: artifact paths and names that would escape the store
 * (`..`, absolute paths, NUL bytes, symlinks planted inside the store) are rejected with a
 * typed error and nothing is written or read outside. (Hostile names and SQL-looking values
 * for every backend, and model files failing their schema, are in the conformance suite.)
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrackingError } from '../../src/index.js';
import { FileTracker, type Run, TrackingNotFoundError, UnsafePathError } from '../../src/tracking/index.js';

describe('local store path safety', () => {
  let dir = '';
  let outside = '';
  let tracker: FileTracker;
  let run: Run;
  let runDir = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsad-sec-'));
    outside = join(dir, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'top secret');
    tracker = new FileTracker(join(dir, 'store'));
    run = await tracker.startRun({ experiment: 'sec' });
    await run.logArtifact({ name: 'ok.txt', bytes: 'fine' });
    const exps = await readdir(join(dir, 'store', 'experiments'));
    runDir = join(dir, 'store', 'experiments', exps[0], 'runs', run.id);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('rejects .., absolute, NUL and backslash artifact names for writing and reading', async () => {
    for (const name of ['..', '../x', 'a/../../x', '/tmp/x', 'a\u0000b', '..\\x', 'C:\\x']) {
      await expect(run.logArtifact({ name, bytes: 'x' })).rejects.toBeInstanceOf(UnsafePathError);
      await expect(tracker.readArtifact(run.id, name)).rejects.toBeInstanceOf(UnsafePathError);
    }
    await expect(run.logArtifact({ name: 'x', bytes: 'y' }, { dir: '../..' })).rejects.toBeInstanceOf(
      UnsafePathError,
    );
    expect(await readdir(outside)).toEqual(['secret.txt']);
  });

  it('property: every accepted artifact name lands inside the run', async () => {
    const seg = fc.constantFrom('a', 'b', '.', '..', '', 'c.txt', '...', '.hidden', 'x y');
    await fc.assert(
      fc.asyncProperty(fc.array(seg, { minLength: 1, maxLength: 4 }), async (segs) => {
        const name = segs.join('/');
        try {
          const p = await run.logArtifact({ name, bytes: 'z' });
          expect(p).toBe(name);
          expect(segs.every((s) => s !== '' && s !== '.' && s !== '..')).toBe(true);
          expect(existsSync(join(runDir, 'artifacts', ...segs))).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(TrackingError);
        }
      }),
      { numRuns: 60 },
    );
    expect(await readdir(outside)).toEqual(['secret.txt']);
  });

  it('refuses symlinks planted inside the store (directories, files, the artifact root)', async () => {
    await symlink(outside, join(runDir, 'artifacts', 'evil'));
    await symlink(join(outside, 'secret.txt'), join(runDir, 'artifacts', 'link.txt'));
    await expect(run.logArtifact({ name: 'evil/planted.txt', bytes: 'x' })).rejects.toBeInstanceOf(
      UnsafePathError,
    );
    await expect(tracker.readArtifact(run.id, 'evil/secret.txt')).rejects.toBeInstanceOf(UnsafePathError);
    await expect(tracker.readArtifact(run.id, 'link.txt')).rejects.toBeInstanceOf(UnsafePathError);
    await expect(run.logArtifact({ name: 'link.txt', bytes: 'overwrite' })).rejects.toBeInstanceOf(
      UnsafePathError,
    );
    expect((await tracker.listArtifacts(run.id)).map((a) => a.path)).not.toContain('link.txt');
    expect(await readdir(outside)).toEqual(['secret.txt']);
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('top secret');

    const run2 = await tracker.startRun({ experiment: 'sec' });
    const exps = await readdir(join(dir, 'store', 'experiments'));
    const run2Dir = join(dir, 'store', 'experiments', exps[0], 'runs', run2.id);
    await symlink(outside, join(run2Dir, 'artifacts'));
    await expect(run2.logArtifact({ name: 'x.txt', bytes: 'x' })).rejects.toBeInstanceOf(UnsafePathError);
    await expect(tracker.readArtifact(run2.id, 'secret.txt')).rejects.toBeInstanceOf(UnsafePathError);
    expect(await readdir(outside)).toEqual(['secret.txt']);
  });

  it('refuses a symlinked metrics.jsonl, run.json, registry.json and experiments/<id>: nothing written or read outside', async () => {
    const t = new FileTracker(join(dir, 'store2'));
    const r = await t.startRun({ experiment: 'links' });
    const expId = (await readdir(join(dir, 'store2', 'experiments')))[0];
    const rdir = join(dir, 'store2', 'experiments', expId, 'runs', r.id);
    // metrics.jsonl pointing outside: appending must not write there
    await writeFile(join(outside, 'metrics.jsonl'), '');
    await symlink(join(outside, 'metrics.jsonl'), join(rdir, 'metrics.jsonl'));
    await expect(r.logMetric('m', 1)).rejects.toBeInstanceOf(TrackingError);
    expect(await readFile(join(outside, 'metrics.jsonl'), 'utf8')).toBe('');
    await expect(t.getMetricHistory(r.id, 'm')).rejects.toBeInstanceOf(TrackingError);
    // run.json of another run replaced by a symlink to a file outside
    const r2 = await t.startRun({ experiment: 'links' });
    await r2.end();
    // a run with a model, for the registry.json check below (registerModel refuses a run without one)
    const r3 = await t.startRun({ experiment: 'links' });
    await r3.logArtifact({ name: 'model/model.json', bytes: '{}' });
    await r3.end();
    const r2dir = join(dir, 'store2', 'experiments', expId, 'runs', r2.id);
    await writeFile(join(outside, 'run.json'), JSON.stringify({ runId: r2.id, params: { stolen: 'yes' } }));
    await rm(join(r2dir, 'run.json'));
    await symlink(join(outside, 'run.json'), join(r2dir, 'run.json'));
    const t2 = new FileTracker(join(dir, 'store2'));
    await expect(t2.getRun(r2.id)).rejects.toBeInstanceOf(UnsafePathError);
    // registry.json as a symlink: neither read nor replaced through it
    await writeFile(join(outside, 'registry.json'), '{"models": {}}');
    await symlink(join(outside, 'registry.json'), join(dir, 'store2', 'registry.json'));
    await expect(t2.listRegisteredModels()).rejects.toBeInstanceOf(UnsafePathError);
    await expect(t2.registerModel('m', r3.id)).rejects.toBeInstanceOf(UnsafePathError);
    expect(await readFile(join(outside, 'registry.json'), 'utf8')).toBe('{"models": {}}');
    // an experiment directory that is a symlink to a directory outside
    const evilExp = join(outside, 'exp');
    await mkdir(join(evilExp, 'runs'), { recursive: true });
    const { experimentIdFor } = await import('../../src/internal.js');
    await symlink(evilExp, join(dir, 'store2', 'experiments', experimentIdFor('planted')));
    await expect(t2.startRun({ experiment: 'planted' })).rejects.toBeInstanceOf(UnsafePathError);
    expect(await readdir(join(evilExp, 'runs'))).toEqual([]);
    expect((await readdir(outside)).sort()).toEqual([
      'exp',
      'metrics.jsonl',
      'registry.json',
      'run.json',
      'secret.txt',
    ]);
  });

  it('run ids that look like paths are not found, not resolved', async () => {
    for (const id of ['..', '../../outside', '/etc', 'a/b', `${run.id}/..`]) {
      await expect(tracker.getRun(id)).rejects.toBeInstanceOf(TrackingNotFoundError);
    }
  });
});
