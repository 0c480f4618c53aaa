import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDirs, makeDirsSync } from '../src/internal.js';

const dir = mkdtempSync(join(tmpdir(), 'tsad-dirs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const code = (f: () => unknown): unknown => {
  try {
    f();
  } catch (err) {
    return (err as { code?: unknown }).code;
  }
  return undefined;
};

describe('makeDirs / makeDirsSync', () => {
  it('make every missing level, and accept a folder that exists', async () => {
    await makeDirs(join(dir, 'a', 'b', 'c'));
    makeDirsSync(join(dir, 's', 't', 'u'));
    expect(statSync(join(dir, 'a', 'b', 'c')).isDirectory()).toBe(true);
    expect(statSync(join(dir, 's', 't', 'u')).isDirectory()).toBe(true);
    await makeDirs(join(dir, 'a', 'b', 'c'));
    makeDirsSync(join(dir, 'a'));
  });

  it('many makers of one tree at once all succeed (EEXIST from a racing maker is fine)', async () => {
    const root = join(dir, 'race');
    const leaves = Array.from({ length: 40 }, (_, i) => join(root, 'x', 'y', 'z', `leaf${i % 4}`));
    await Promise.all(leaves.map((p) => makeDirs(p)));
    for (const p of leaves) expect(statSync(p).isDirectory()).toBe(true);
    // relative paths and `..` parts resolve against the working folder, as mkdir -p does
    await makeDirs(join(root, 'p', '..', 'q', 'r'));
    expect(statSync(join(root, 'q', 'r')).isDirectory()).toBe(true);
  });

  it('end with ENOENT under /proc, where Node’s recursive mkdir never settles', async () => {
    await expect(makeDirs('/proc/tsad-nowhere/x')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(code(() => makeDirsSync('/proc/tsad-nowhere/x'))).toBe('ENOENT');
  });

  it('refuse a file on the way (ENOTDIR) or at the end (EEXIST)', async () => {
    const f = join(dir, 'file');
    writeFileSync(f, 'x');
    await expect(makeDirs(join(f, 'sub'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(makeDirs(f)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(code(() => makeDirsSync(join(f, 'sub')))).toBe('ENOTDIR');
    expect(code(() => makeDirsSync(f))).toBe('EEXIST');
  });
});
