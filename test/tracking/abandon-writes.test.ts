/**
 * `abandonWrites()` (what the CLI's interrupt handler calls just before exiting): the locks this
 * process holds are removed, a lock file that is no longer ours is left alone, and a lock released
 * normally is forgotten.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { abandonWrites, acquireLock, releaseLock } from '../../src/internal.js';

const dir = mkdtempSync(join(tmpdir(), 'tsad-abandon-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('abandonWrites', () => {
  it('removes the locks this process holds, and leaves a lock file it no longer owns', async () => {
    const ours = join(dir, 'a.lock');
    const taken = join(dir, 'b.lock');
    await acquireLock(ours);
    await acquireLock(taken);
    // another holder's content (as after a stale-lock break by another process)
    writeFileSync(taken, 'elsewhere\n1\nffff\n0\n');
    expect(existsSync(ours)).toBe(true);
    abandonWrites();
    expect(existsSync(ours)).toBe(false);
    expect(existsSync(taken)).toBe(true);
  });

  it('forgets a lock once released, so a later holder keeps it', async () => {
    const path = join(dir, 'c.lock');
    const token = await acquireLock(path);
    await releaseLock(path, token);
    writeFileSync(path, token); // the same bytes, but written by someone else after the release
    abandonWrites();
    expect(existsSync(path)).toBe(true);
  });
});
