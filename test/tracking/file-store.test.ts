import { spawnSync } from 'node:child_process';
import { promises as fsPromises } from 'node:fs';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  acquireLock,
  decodeMetricLine,
  encodeMetricLine,
  releaseLock,
  withLock,
} from '../../src/internal.js';
import { exportRuns, FileTracker, openMemoryTracker } from '../../src/tracking/index.js';
import { gate } from '../helpers/gate.js';

describe('local store format', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsad-fmt-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lays out experiments, runs, metrics and artifacts as documented', async () => {
    const root = join(dir, 'layout');
    const t = new FileTracker(root);
    const id = await t.run({ experiment: 'exp' }, async (run) => {
      await run.logParams({ a: 1 });
      await run.logMetric('m', 0.5, { step: 3, timestamp: 42 });
      await run.logArtifact({ name: 'd/f.txt', bytes: 'x' });
      return run.id;
    });
    expect(JSON.parse(await readFile(join(root, 'tsad-store.json'), 'utf8'))).toEqual({
      format: 'tsad-store',
      version: 1,
    });
    const [expId] = await readdir(join(root, 'experiments'));
    const runDir = join(root, 'experiments', expId, 'runs', id);
    expect((await readdir(runDir)).sort()).toEqual(['artifacts', 'metrics.jsonl', 'run.json']);
    const doc = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8'));
    expect(doc).toMatchObject({
      format: 'tsad-run',
      version: 1,
      runId: id,
      experiment: 'exp',
      status: 'FINISHED',
    });
    expect(await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).toBe('{"k":"m","v":0.5,"s":3,"t":42}\n');
    expect(await readFile(join(runDir, 'artifacts', 'd', 'f.txt'), 'utf8')).toBe('x');
  });

  it('writes to a run deleted by another store object are not_found and never make its folder again', async () => {
    const root = join(dir, 'deleted-run');
    const writer = new FileTracker(root);
    const run = await writer.startRun({ experiment: 'exp' });
    await run.logMetric('m', 1); // the metrics file is held open from here
    const [expId] = await readdir(join(root, 'experiments'));
    const runs = join(root, 'experiments', expId, 'runs');
    expect(await readdir(runs)).toEqual([run.id]);
    await new FileTracker(root).deleteRun(run.id); // as another process would
    expect(await readdir(runs)).toEqual([]);
    const writes: [string, () => Promise<unknown>][] = [
      ['metric', () => run.logMetric('m', 2)],
      ['param', () => run.logParam('p', 1)],
      ['tag', () => run.setTag('t', 'x')],
      ['artifact', () => run.logArtifact({ name: 'a.txt', bytes: 'x' }, { dir: 'x/y' })],
      ['model', () => run.logModel({ type: 'm', config: {}, toJSON: () => ({}) })],
      ['end', () => run.end()],
    ];
    for (const [what, write] of writes) {
      await expect(write(), what).rejects.toMatchObject({ code: 'not_found', message: /deleted\?/ });
      expect(await readdir(runs), what).toEqual([]);
    }
    await expect(writer.getRun(run.id)).rejects.toMatchObject({ code: 'not_found' });
    await writer.close();
  });

  it('reads of a run another store object deleted after this one read it are not_found (usab29)', async () => {
    // a service reading the registry's runs while an operator's process deletes one: before, the reader's
    // cached run folder answered getRun with a raw ENOENT, getMetricHistory with the deleted run's
    // history, readArtifact with "has no artifact", and registerModel registered a version of it
    const root = join(dir, 'deleted-elsewhere');
    const reader = new FileTracker(root);
    const runId = await reader.run({ experiment: 'exp' }, async (run) => {
      await run.logMetric('m', 1);
      await run.logModel({ type: 'm', config: {}, toJSON: () => ({}) });
      return run.id;
    });
    expect((await reader.getRun(runId)).data.metrics.m.value).toBe(1);
    expect(await reader.getMetricHistory(runId, 'm')).toHaveLength(1);
    expect(await reader.listArtifacts(runId)).toHaveLength(2);
    const other = new FileTracker(root);
    await other.deleteRun(runId); // as another process would
    await other.close();
    const reads: [string, () => Promise<unknown>][] = [
      ['getRun', () => reader.getRun(runId)],
      ['getMetricHistory', () => reader.getMetricHistory(runId, 'm')],
      ['listArtifacts', () => reader.listArtifacts(runId)],
      ['readArtifact', () => reader.readArtifact(runId, 'model/model.json')],
      ['registerModel', () => reader.registerModel('gone', runId)],
      ['deleteRun', () => reader.deleteRun(runId)],
    ];
    for (const [what, read] of reads) {
      await expect(read(), what).rejects.toMatchObject({
        code: 'not_found',
        message: expect.stringContaining(`no run with id ${runId}`),
      });
    }
    await expect(reader.listModelVersions('gone')).rejects.toMatchObject({ code: 'not_found' });
    await reader.close();
  });

  it('a run deleted by another process in the middle of getRun (after the run.json check) is not_found, not a raw ENOENT; an unreadable run.json is not taken for a deletion (track29)', async () => {
    // review of usab29: the run.json check and the read are two steps; a deletion between them gave
    // getRun a raw ENOENT again, and any failure of the check (EACCES, EIO) read as "deleted?", the run forgotten
    const root = join(dir, 'deleted-mid-read');
    const reader = new FileTracker(root);
    const runId = await reader.run({ experiment: 'exp' }, async (run) => {
      await run.logMetric('m', 1);
      return run.id;
    });
    expect((await reader.getRun(runId)).data.metrics.m.value).toBe(1); // the folder is remembered
    const realAccess = fsPromises.access.bind(fsPromises);
    const denied = vi.spyOn(fsPromises, 'access').mockImplementation(async (path) => {
      if (String(path).endsWith(join(runId, 'run.json'))) {
        throw Object.assign(new Error(`EACCES: permission denied, access '${String(path)}'`), {
          code: 'EACCES',
          path: String(path),
        });
      }
      return realAccess(path);
    });
    try {
      const err = await reader.getRun(runId).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'storage_denied' });
    } finally {
      denied.mockRestore();
    }
    expect((await reader.getRun(runId)).data.metrics.m.value).toBe(1); // still there, still found
    let raced = false;
    const racing = vi.spyOn(fsPromises, 'access').mockImplementation(async (path) => {
      await realAccess(path); // the check passes ...
      if (!raced && String(path).endsWith(join(runId, 'run.json'))) {
        raced = true;
        const other = new FileTracker(root);
        await other.deleteRun(runId); // ... and another process deletes the run before the read
        await other.close();
      }
    });
    try {
      await expect(reader.getRun(runId)).rejects.toMatchObject({
        code: 'not_found',
        message: expect.stringContaining(`no run with id ${runId}`),
      });
    } finally {
      racing.mockRestore();
    }
    await expect(reader.getRun(runId)).rejects.toMatchObject({ code: 'not_found' });
    await reader.close();
  });

  it('export copies a model whose old version has no model file left: that version is skipped with a warning, the others copied (usab29)', async () => {
    // a version an earlier tsad registered from a run without a model (registerModel now refuses one):
    // the destination refuses to register it, which must cost that version, not the whole model
    const root = join(dir, 'export-broken-version');
    const src = new FileTracker(root);
    const ids: string[] = [];
    for (let k = 0; k < 2; k++) {
      ids.push(
        await src.run({ experiment: 'exp' }, async (run) => {
          await run.logModel({ type: 'm', config: { k }, toJSON: () => ({ k }) });
          return run.id;
        }),
      );
      await src.registerModel('exported', ids[k]);
    }
    await src.setAlias('exported', 'champion', 2);
    const [expId] = await readdir(join(root, 'experiments'));
    await rm(join(root, 'experiments', expId, 'runs', ids[0], 'artifacts', 'model'), { recursive: true });
    const dst = openMemoryTracker();
    const report = await exportRuns(src, dst);
    expect(report.failedModels, JSON.stringify(report)).toEqual([]);
    expect(report.modelVersions, JSON.stringify(report)).toBe(1);
    expect(report.modelVersions).toBe(1);
    expect(report.warnings.join('\n')).toMatch(
      /model exported version 1: .*has no model at "model".*skipped/,
    );
    const copied = await dst.listModelVersions('exported');
    expect(copied.map((v) => v.runId)).toEqual([report.runIds[ids[1]]]);
    expect((await dst.getModelVersion('exported', 'champion')).runId).toBe(report.runIds[ids[1]]);
    await src.close();
    await dst.close();
  });

  it('metric lines: non-finite values as strings; malformed lines are rejected', () => {
    for (const v of [0, -1.5, 1e-300, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const p = { key: 'k "q"', value: v, step: 1, timestamp: 2 };
      expect(decodeMetricLine(encodeMetricLine(p))).toEqual(p);
    }
    for (const bad of [
      '{"k":"m","v":0.5,"s":3',
      '',
      '{"k":1,"v":1,"s":1,"t":1}',
      '{"k":"m","v":"x","s":1,"t":1}',
    ]) {
      expect(decodeMetricLine(bad)).toBeUndefined();
    }
  });

  it('a torn last line is ignored on read; a torn line in the middle is skipped', async () => {
    const root = join(dir, 'torn');
    const t = new FileTracker(root);
    const run = await t.startRun({ experiment: 'torn' });
    await run.logMetric('m', 1, { step: 0 });
    await run.end();
    const [expId] = await readdir(join(root, 'experiments'));
    const file = join(root, 'experiments', expId, 'runs', run.id, 'metrics.jsonl');
    await appendFile(file, '{"k":"m","v":2,"s');
    const fresh = new FileTracker(root);
    expect((await fresh.getMetricHistory(run.id, 'm')).map((p) => p.value)).toEqual([1]);
    expect((await fresh.getRun(run.id)).data.metrics.m.value).toBe(1);
    // were a later writer to terminate the fragment and append, the fragment is skipped
    await appendFile(file, '\n{"k":"m","v":3,"s":2,"t":5}\n');
    expect((await fresh.getMetricHistory(run.id, 'm')).map((p) => p.value)).toEqual([1, 3]);
    expect(await fresh.skippedMetricLines(run.id)).toBe(1);
  });

  it('a batch is read back whole or not at all: a half-written batch waits, one a crash cut short is dropped', async () => {
    const root = join(dir, 'batches');
    const t = new FileTracker(root);
    const run = await t.startRun({ experiment: 'batches' });
    await run.logBatch({
      metrics: [
        { key: 'm', value: 1, step: 0, timestamp: 1 },
        { key: 'm', value: 2, step: 1, timestamp: 1 },
      ],
    });
    await run.end();
    const [expId] = await readdir(join(root, 'experiments'));
    const file = join(root, 'experiments', expId, 'runs', run.id, 'metrics.jsonl');
    const line = (v: number) => `${encodeMetricLine({ key: 'm', value: v, step: v, timestamp: 1 })}\n`;
    // the writer's batch line opens a batch of several points
    expect(await readFile(file, 'utf8')).toBe(
      '{"batch":2}\n{"k":"m","v":1,"s":0,"t":1}\n{"k":"m","v":2,"s":1,"t":1}\n',
    );
    const reader = new FileTracker(root);
    const values = async () => (await reader.getMetricHistory(run.id, 'm')).map((p) => p.value);
    // (a key of several UTF-8 bytes a character before it: the reader resumes at a byte offset)
    await appendFile(file, `${encodeMetricLine({ key: 'été ✓', value: 9, step: 9, timestamp: 1 })}\n`);
    // a batch of 3 being written: none of it is read until its last point is there
    await appendFile(file, `{"batch":3}\n${line(10)}${line(11)}`);
    expect(await values()).toEqual([1, 2]);
    expect((await reader.getRun(run.id)).data.metrics.m.value).toBe(2);
    await appendFile(file, line(12));
    expect(await values()).toEqual([1, 2, 10, 11, 12]);
    // a batch cut short (its writer killed), then the next writer's torn-line terminator and batches
    await appendFile(
      file,
      `{"batch":4}\n${line(20)}${line(21)}{"k":"m","v":2\n${line(30)}{"batch":2}\n${line(31)}`,
    );
    await appendFile(file, `{"batch":5}\n${line(40)}{"batch":2}\n${line(50)}${line(51)}`);
    expect(await values()).toEqual([1, 2, 10, 11, 12, 30, 50, 51]);
    // dropped: the torn line, the 2 points and batch line before it, a batch of 1 of 2 and one of 1 of 5
    expect(await reader.skippedMetricLines(run.id)).toBe(1 + 3 + 2 + 2);
    expect((await reader.getMetricHistory(run.id, 'été ✓')).map((p) => p.value)).toEqual([9]);
    expect(decodeMetricLine('{"batch":2}')).toBeUndefined();
  });

  it('batches logged at once on one run are all read back: a large batch is not interleaved with another', async () => {
    const root = join(dir, 'concurrent-batches');
    const t = new FileTracker(root);
    const run = await t.startRun({ experiment: 'concurrent' });
    // 40 000 points are over 1 MiB of lines: several write(2) calls each
    const batch = (key: string) => ({
      metrics: Array.from({ length: 40_000 }, (_, i) => ({ key, value: i, step: i, timestamp: 1 })),
    });
    await Promise.all([run.logBatch(batch('a')), run.logBatch(batch('b')), run.logMetric('c', 1)]);
    await run.end();
    const reader = new FileTracker(root);
    const n = async (key: string) => (await reader.getMetricHistory(run.id, key)).length;
    expect([await n('a'), await n('b'), await n('c')]).toEqual([40_000, 40_000, 1]);
    expect(await reader.skippedMetricLines(run.id)).toBe(0);
  });

  it('a reader resumes at the right byte before an open batch after a line of bytes that are not UTF-8', async () => {
    const root = join(dir, 'not-utf8');
    const t = new FileTracker(root);
    const run = await t.startRun({ experiment: 'not-utf8' });
    await run.logMetric('m', 1, { step: 1, timestamp: 1 });
    await run.end();
    const [expId] = await readdir(join(root, 'experiments'));
    const file = join(root, 'experiments', expId, 'runs', run.id, 'metrics.jsonl');
    const line = (v: number) => `${encodeMetricLine({ key: 'm', value: v, step: v, timestamp: 1 })}\n`;
    // a torn line ending inside a character (one byte that decodes to U+FFFD, 3 bytes in UTF-8), then
    // a batch of 2 of which one point has arrived
    await appendFile(file, Buffer.from([0x7b, 0xe2, 0x82, 0x0a]));
    await appendFile(file, `{"batch":2}\n${line(10)}`);
    const reader = new FileTracker(root);
    const values = async () => (await reader.getMetricHistory(run.id, 'm')).map((p) => p.value);
    expect(await values()).toEqual([1]);
    // its writer died: the next batch line drops it
    await appendFile(file, `{"batch":2}\n${line(20)}${line(21)}`);
    expect(await values()).toEqual([1, 20, 21]);
    expect(await reader.skippedMetricLines(run.id)).toBe(1 + 2);
  });

  it('a batch whose failed write could not be cut back does not take in the single points logged after it', async () => {
    const root = join(dir, 'uncut');
    const t = new FileTracker(root);
    const run = await t.startRun({ experiment: 'uncut' });
    await run.logMetric('m', 1, { step: 1, timestamp: 1 });
    const probe = await fsPromises.open(join(root, 'tsad-store.json'), 'r');
    const proto = Object.getPrototypeOf(probe) as fsPromises.FileHandle;
    await probe.close();
    const write = proto.write;
    let big = 0;
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const writes = vi.spyOn(proto, 'write').mockImplementation(function (this: unknown, ...args: unknown[]) {
      // the second write(2) of a large batch fails on a full disk, after the first reached the file
      if (args[0] instanceof Uint8Array && args[0].length > 100_000 && ++big === 2)
        return Promise.reject(full);
      return (write as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    } as typeof proto.write);
    const cut = vi.spyOn(proto, 'truncate').mockRejectedValue(new Error('EIO: i/o error, ftruncate'));
    try {
      const points = Array.from({ length: 60_000 }, (_, i) => ({
        key: 'big',
        value: i,
        step: i,
        timestamp: 2,
      }));
      await expect(run.logBatch({ metrics: points })).rejects.toThrow(/log 60000 metric point/);
    } finally {
      writes.mockRestore();
      cut.mockRestore();
    }
    await run.logMetric('m', 2, { step: 2, timestamp: 1 });
    await run.logMetric('m', 3, { step: 3, timestamp: 1 });
    await run.end();
    const reader = new FileTracker(root);
    expect((await reader.getMetricHistory(run.id, 'm')).map((p) => p.value)).toEqual([1, 2, 3]);
    expect((await reader.getMetricHistory(run.id, 'big')).length).toBe(0);
  });

  it('opens an existing store by reading its marker: no file written, no fsync; a new one is created', async () => {
    const root = join(dir, 'reopen');
    const writes = vi.spyOn(fsPromises, 'writeFile');
    const fh = await fsPromises.open(join(dir, '..'), 'r');
    const handle = Object.getPrototypeOf(fh) as {
      sync(): Promise<void>;
      writeFile(d: unknown): Promise<void>;
    };
    await fh.close();
    const syncs = vi.spyOn(handle, 'sync');
    // the store's files are written by path (fs.promises.writeFile) or through a file handle (temp files)
    const handleWrites = vi.spyOn(handle, 'writeFile');
    try {
      await new FileTracker(root).listExperiments();
      // created: the marker written (a temporary file, fsynced, linked into place)
      expect(handleWrites).toHaveBeenCalled();
      expect(syncs).toHaveBeenCalled();
      expect(JSON.parse(await readFile(join(root, 'tsad-store.json'), 'utf8')).format).toBe('tsad-store');
      writes.mockClear();
      syncs.mockClear();
      handleWrites.mockClear();
      await new FileTracker(root).listExperiments();
      expect(writes.mock.calls.filter(([p]) => String(p).startsWith(root))).toEqual([]);
      expect(handleWrites).not.toHaveBeenCalled();
      expect(syncs).not.toHaveBeenCalled();
      expect(await readdir(root)).toEqual(['experiments', 'tsad-store.json']);
      // a store whose experiments folder was removed gets it back, as before
      await rm(join(root, 'experiments'), { recursive: true });
      expect(await new FileTracker(root).listExperiments()).toEqual([]);
      expect((await readdir(root)).sort()).toEqual(['experiments', 'tsad-store.json']);
    } finally {
      writes.mockRestore();
      syncs.mockRestore();
      handleWrites.mockRestore();
    }
  });

  it('refuses a store of another format version', async () => {
    const root = join(dir, 'v2');
    await new FileTracker(root).listExperiments();
    await writeFile(join(root, 'tsad-store.json'), JSON.stringify({ format: 'tsad-store', version: 2 }));
    await expect(new FileTracker(root).listExperiments()).rejects.toMatchObject({
      code: 'unsupported_store',
    });
  });
});

describe('lock files', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsad-lock-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serialises read-modify-write across concurrent holders', async () => {
    const lock = join(dir, 'counter.lock');
    const file = join(dir, 'counter');
    await writeFile(file, '0');
    await Promise.all(
      Array.from({ length: 30 }, () =>
        withLock(lock, async () => {
          const n = Number(await readFile(file, 'utf8'));
          await new Promise((r) => setTimeout(r, 1));
          await writeFile(file, String(n + 1));
        }),
      ),
    );
    expect(await readFile(file, 'utf8')).toBe('30');
  });

  it('breaks the lock of a dead process, waits for a live one', async () => {
    const dead = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.pid))',
    ]).stdout.toString();
    const lock = join(dir, 'stale.lock');
    await writeFile(lock, `${hostname()}\n${dead}\ndeadbeef\n${Date.now()}\n`);
    const token = await acquireLock(lock, { timeoutMs: 2000 });
    expect(await readFile(lock, 'utf8')).toBe(token);
    // held by us (alive): another acquirer times out with a typed error
    await expect(acquireLock(lock, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'lock_timeout' });
    await releaseLock(lock, token);
    const t2 = await acquireLock(lock, { timeoutMs: 100 });
    await releaseLock(lock, t2);
    expect(await readdir(dir)).not.toContain('stale.lock');
  });
});

describe('deleteRun and registerModel of one run at once (fix40)', () => {
  const model = { type: 'fake', config: { k: 1 }, toJSON: () => ({ format: 'tsad-model', version: 1 }) };

  it('local store, two trackers (two processes): the registration comes wholly before the deletion (refused) or after it (not_found), never a version whose run is gone', async () => {
    const root = await mkdtemp(join(tmpdir(), 'tsad-delreg-'));
    const a = new FileTracker(root);
    const b = new FileTracker(root);
    try {
      const runId = await a.run({ experiment: 'x' }, async (run) => {
        await run.logModel(model);
        return run.id;
      });
      await a.registerModel('warm', runId); // the registry file exists
      const other = await a.run({ experiment: 'x' }, async (run) => {
        await run.logModel(model);
        return run.id;
      });
      // a third process holds the registry's lock while the registration and the deletion start
      const released = gate();
      const held = gate();
      const holder = withLock(join(root, '.lock-registry'), async () => {
        held.open();
        await released.wait;
      });
      await held.wait;
      const registering = a.registerModel('m', other);
      registering.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300)); // the registration has checked its run and waits
      const deleting = b.deleteRun(other);
      deleting.catch(() => undefined);
      // until fix40 the deletion read the registry without the lock (no version yet) and renamed the
      // run away at once; the registration then added a version of a deleted run
      await new Promise((r) => setTimeout(r, 300));
      released.open();
      await holder;
      const [reg, del] = await Promise.allSettled([registering, deleting]);
      if (reg.status === 'fulfilled') {
        expect(del.status).toBe('rejected');
        expect((del as PromiseRejectedResult).reason).toMatchObject({ code: 'run_registered' });
        expect((await b.getRun(other)).info.runId).toBe(other);
        expect(await b.loadModelJson('models:/m/1')).toEqual(model.toJSON());
      } else {
        expect(reg.reason).toMatchObject({ code: 'not_found' });
        expect(del.status).toBe('fulfilled');
        await expect(b.listModelVersions('m')).rejects.toMatchObject({ code: 'not_found' });
      }
    } finally {
      await a.close();
      await b.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('memory: the same race in one process, either order consistent', async () => {
    for (const first of ['register', 'delete'] as const) {
      const t = openMemoryTracker();
      const runId = await t.run({ experiment: 'x' }, async (run) => {
        await run.logModel(model);
        return run.id;
      });
      const calls =
        first === 'register'
          ? [t.registerModel('m', runId), t.deleteRun(runId)]
          : [t.deleteRun(runId), t.registerModel('m', runId)];
      const [x, y] = await Promise.allSettled(calls);
      const [reg, del] = first === 'register' ? [x, y] : [y, x];
      const versionKept = reg.status === 'fulfilled';
      const runKept = del.status === 'rejected';
      expect(versionKept).toBe(runKept); // a version exists exactly when its run does
      if (versionKept) expect((await t.getRun(runId)).info.runId).toBe(runId);
    }
  });
});
