import {
  promises as fsp,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createFileExclusive,
  liveTemps,
  tmpName,
  writeFileAtomic,
  writeFileAtomicSync,
} from '../src/internal.js';
import { ioError, recordFsyncs, standInFs, syncedDurably, tempFiles } from './helpers/fsyncs.js';

const dir = mkdtempSync(join(tmpdir(), 'tsad-fs-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const umask = process.umask();

describe('writeFileAtomic', () => {
  it('names temp files .tmp-<pid>-<12 hex digits> beside the target (the store skips .tmp- entries)', () => {
    const names = new Set(Array.from({ length: 1000 }, () => tmpName(join(dir, 'x', 'f.json'))));
    expect(names.size).toBe(1000);
    for (const n of names)
      expect(n).toMatch(new RegExp(`^${join(dir, 'x')}/\\.tmp-${process.pid}-[0-9a-f]{12}$`));
  });
  it('writes the whole file, fsyncs it and (with syncDir) its folder, and leaves no temp file', async () => {
    const folder = join(dir, 'a');
    mkdirSync(folder);
    const path = join(folder, 'f.bin');
    writeFileSync(path, 'old content, longer than the new one');
    const data = new Uint8Array(300_000).map((_, i) => i % 251);
    const rec = await recordFsyncs();
    try {
      await writeFileAtomic(path, data, true);
    } finally {
      rec.restore();
    }
    expect(readFileSync(path).equals(data)).toBe(true);
    expect(syncedDurably(rec.syncs, path)).toBe(true);
    expect(readdirSync(folder)).toEqual(['f.bin']);
    expect(liveTemps.size).toBe(0);
    expect(statSync(path).mode & 0o777).toBe(0o644 & ~umask);
    await writeFileAtomic(path, 'text', false, 0o666);
    expect(readFileSync(path, 'utf8')).toBe('text');
    expect(statSync(path).mode & 0o777).toBe(0o666 & ~umask);
  });

  it('a failed write (fsync error, or a folder in the way) keeps the old file and removes its temp file', async () => {
    const folder = join(dir, 'b');
    mkdirSync(folder);
    const path = join(folder, 'f.txt');
    writeFileSync(path, 'old');
    const rec = await recordFsyncs(ioError());
    const err = await writeFileAtomic(path, 'new', true).catch((e: unknown) => e);
    rec.restore();
    expect((err as NodeJS.ErrnoException).code).toBe('EIO');
    expect(rec.syncs.length).toBeGreaterThan(0); // the temp file existed when it failed
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(folder)).toEqual(['f.txt']);
    mkdirSync(join(folder, 'sub'));
    const err2 = await writeFileAtomic(join(folder, 'sub'), 'x').catch((e: unknown) => e);
    expect((err2 as NodeJS.ErrnoException).code).toBe('EISDIR');
    expect(readdirSync(folder).sort()).toEqual(['f.txt', 'sub']);
    expect(liveTemps.size).toBe(0);
  });
});

describe('a close that fails after the bytes were synced', () => {
  it('writeFileAtomic: the error is the close error, the old file stays, the temp file is removed', async () => {
    const folder = join(dir, 'close-async');
    mkdirSync(folder);
    const path = join(folder, 'f.txt');
    writeFileSync(path, 'old');
    // a FileHandle's close is its own property: wrap it on each handle `fs.promises.open` makes
    const realOpen = fsp.open;
    let failed = 0;
    fsp.open = async (...args: Parameters<typeof fsp.open>) => {
      const fh = await realOpen(...args);
      const close = fh.close.bind(fh);
      fh.close = async () => {
        await close();
        if (failed++ === 0) throw ioError();
      };
      return fh;
    };
    let err: unknown;
    try {
      err = await writeFileAtomic(path, 'new').catch((e: unknown) => e);
    } finally {
      fsp.open = realOpen;
    }
    expect(failed).toBeGreaterThan(0);
    expect((err as NodeJS.ErrnoException).code).toBe('EIO');
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(folder)).toEqual(['f.txt']);
    expect(liveTemps.size).toBe(0);
  });

  it('writeFileAtomicSync: likewise', () => {
    const folder = join(dir, 'close-sync');
    mkdirSync(folder);
    const path = join(folder, 'f.txt');
    writeFileSync(path, 'old');
    let failed = 0;
    const restore = standInFs('closeSync', (orig) => (fd: number) => {
      orig(fd);
      if (failed++ === 0) throw ioError();
    });
    try {
      expect(() => writeFileAtomicSync(path, 'new')).toThrow(expect.objectContaining({ code: 'EIO' }));
    } finally {
      restore();
    }
    expect(failed).toBeGreaterThan(0);
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(folder)).toEqual(['f.txt']);
    expect(liveTemps.size).toBe(0);
  });
});

describe('writeFileAtomicSync', () => {
  it('writes the whole file with the same temp-file rules, and removes its temp file on failure', () => {
    const folder = join(dir, 'c');
    mkdirSync(folder);
    const path = join(folder, 'f.txt');
    const text = 'é'.repeat(100_000);
    writeFileAtomicSync(path, text, true);
    expect(readFileSync(path, 'utf8')).toBe(text);
    expect(statSync(path).mode & 0o777).toBe(0o644 & ~umask);
    writeFileAtomicSync(path, new Uint8Array([1, 2, 3]), false, 0o666);
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    expect(statSync(path).mode & 0o777).toBe(0o666 & ~umask);
    mkdirSync(join(folder, 'sub'));
    expect(() => writeFileAtomicSync(join(folder, 'sub'), 'x')).toThrow(
      expect.objectContaining({ code: 'EISDIR' }),
    );
    expect(() => writeFileAtomicSync(join(folder, 'missing', 'f'), 'x')).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
    expect(tempFiles(readdirSync(folder))).toEqual([]);
    expect(readdirSync(folder).sort()).toEqual(['f.txt', 'sub']);
    expect(liveTemps.size).toBe(0);
  });
});

describe('createFileExclusive', () => {
  it('creates the file once (false when it exists), fsynced, and leaves no temp file', async () => {
    const folder = join(dir, 'excl');
    mkdirSync(folder);
    const path = join(folder, 'e.json');
    const rec = await recordFsyncs();
    const made = await createFileExclusive(path, 'first');
    rec.restore();
    expect(made).toBe(true);
    expect(syncedDurably(rec.syncs, path, false)).toBe(true);
    expect(await createFileExclusive(path, 'second')).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('first');
    expect(readdirSync(folder)).toEqual(['e.json']);
    expect(liveTemps.size).toBe(0);
  });

  it('fsyncs the folder after the link, so the new file survives power loss', async () => {
    const folder = join(dir, 'excl-dir');
    mkdirSync(folder);
    const path = join(folder, 'e.json');
    const rec = await recordFsyncs();
    // the link's place in the fsync log: how many fsyncs were recorded when it completed
    const origLink = fsp.link;
    const linked: number[] = [];
    fsp.link = (async (from: string, to: string) => {
      await origLink(from, to);
      if (to === path) linked.push(rec.syncs.length);
    }) as typeof fsp.link;
    try {
      expect(await createFileExclusive(path, 'first')).toBe(true);
    } finally {
      fsp.link = origLink;
      rec.restore();
    }
    expect(linked).toHaveLength(1);
    const folderIno = statSync(folder).ino;
    const after = rec.syncs.slice(linked[0]);
    expect(after.some((s) => s.dir && s.ino === folderIno)).toBe(true);
    expect(syncedDurably(rec.syncs, path)).toBe(true);
  });

  it('a failed fsync is reported, creates nothing and removes the temp file', async () => {
    const folder = join(dir, 'excl-fsync');
    mkdirSync(folder);
    const path = join(folder, 'e.json');
    const rec = await recordFsyncs(ioError());
    const err = await createFileExclusive(path, 'x').catch((e: unknown) => e);
    rec.restore();
    expect((err as NodeJS.ErrnoException).code).toBe('EIO');
    expect(rec.syncs.length).toBeGreaterThan(0); // the temp file existed when it failed
    expect(readdirSync(folder)).toEqual([]);
    expect(liveTemps.size).toBe(0);
  });

  it('a write that fails part-way (a full disk) is reported and removes its partly written temp file', async () => {
    const folder = join(dir, 'excl-full');
    mkdirSync(folder);
    const path = join(folder, 'e.json');
    const full = (): NodeJS.ErrnoException =>
      Object.assign(new Error('ENOSPC: no space left on device, write'), {
        code: 'ENOSPC',
        syscall: 'write',
      });
    // half the bytes land in the temp file, then the disk is full: by path or through a file handle
    const fh = await fsp.open(dir, 'r');
    const proto = Object.getPrototypeOf(fh) as {
      writeFile: (this: fsp.FileHandle, d: string) => Promise<void>;
    };
    await fh.close();
    const origHandle = proto.writeFile;
    const origPath = fsp.writeFile;
    let failed = 0;
    proto.writeFile = async function (this: fsp.FileHandle, d: string) {
      await origHandle.call(this, d.slice(0, d.length >> 1));
      failed++;
      throw full();
    };
    fsp.writeFile = (async (p: string, d: string, o: { flag?: string }) => {
      await origPath(p, d.slice(0, d.length >> 1), o);
      failed++;
      throw full();
    }) as typeof fsp.writeFile;
    const err = await createFileExclusive(path, 'x'.repeat(4096)).catch((e: unknown) => e);
    proto.writeFile = origHandle;
    fsp.writeFile = origPath;
    expect(failed).toBe(1);
    expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(readdirSync(folder)).toEqual([]);
    expect(liveTemps.size).toBe(0);
  });
});
