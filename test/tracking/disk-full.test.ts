/**
 * The local store on a full disk: a 2 MiB tmpfs (mounted here; the tests run as root, as CI
 * does) fills up while a run logs metric batches. Every failed write is a typed TrackingError
 * (`storage_full`), no torn line is left, and once space is freed logging goes on: every
 * acknowledged point is in the store exactly once, none of the refused ones is.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrackingError } from '../../src/index.js';
import { FileTracker } from '../../src/tracking/index.js';

let mnt = '';
beforeAll(async () => {
  mnt = await mkdtemp(join(tmpdir(), 'tsad-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
  } catch (err) {
    throw new Error(
      `the disk-full test mounts a small tmpfs and needs root (mount -t tmpfs): ${(err as Error).message}`,
    );
  }
});
afterAll(async () => {
  try {
    execFileSync('umount', [mnt]);
  } catch {
    // not mounted
  }
  await rm(mnt, { recursive: true, force: true });
});

describe('local store on a full disk', () => {
  it('typed errors, nothing torn, every acknowledged point kept exactly once', async () => {
    const t = new FileTracker(join(mnt, 'store'));
    const run = await t.startRun({ experiment: 'full' });
    const acked: number[] = [];
    const refused: number[] = [];
    const codes = new Set<string>();
    const filler = join(mnt, 'filler');
    // fill most of the disk, leaving room for a few batches
    await writeFile(filler, Buffer.alloc(1536 * 1024));
    let step = 0;
    let freed = false;
    for (let b = 0; b < 120; b++) {
      const pts = Array.from({ length: 100 }, (_, j) => ({
        key: 'm',
        value: step + j,
        step: step + j,
        timestamp: 1_700_000_000_000,
      }));
      try {
        await run.logBatch({ metrics: pts });
        for (const p of pts) acked.push(p.step);
      } catch (err) {
        expect(err).toBeInstanceOf(TrackingError);
        codes.add((err as TrackingError).code);
        for (const p of pts) refused.push(p.step);
        if (!freed && refused.length >= 500) {
          await rm(filler); // space comes back
          freed = true;
        }
      }
      step += 100;
    }
    expect(freed).toBe(true);
    expect(codes).toEqual(new Set(['storage_full']));
    await run.end();
    const hist = await t.getMetricHistory(run.id, 'm');
    expect(hist.map((p) => p.step)).toEqual(acked);
    expect(hist.filter((p) => refused.includes(p.step))).toEqual([]);
    expect((await t.getRun(run.id)).info.status).toBe('FINISHED');
    await t.close();
  });
});
