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
