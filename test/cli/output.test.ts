import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/index.js';
import { writeOutputFile } from '../../src/internal.js';
import { ioError, recordFsyncs, syncedDurably, tempFiles } from '../helpers/fsyncs.js';

const dir = mkdtempSync(join(tmpdir(), 'tsad-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeOutputFile (-o)', () => {
  it('replaces the file whole and durably (file, then folder, fsynced), mode 0o666 less the umask, no temp file', async () => {
    const path = join(dir, 'model.json');
    writeFileSync(path, 'an older, longer model file');
    const data = `${JSON.stringify({ x: 'y'.repeat(200_000) })}\n`;
    const rec = await recordFsyncs();
    try {
      await writeOutputFile(path, data);
    } finally {
      rec.restore();
    }
    expect(readFileSync(path, 'utf8')).toBe(data);
    expect(syncedDurably(rec.syncs, path)).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o666 & ~process.umask());
    expect(readdirSync(dir)).toEqual(['model.json']);
  });

  it('a failed write keeps the old file and leaves no temp file; path errors are output_failed', async () => {
    const folder = join(dir, 'fail');
    mkdirSync(folder);
    const path = join(folder, 'report.html');
    writeFileSync(path, 'old');
    const rec = await recordFsyncs(ioError());
    const err = await writeOutputFile(path, 'new').catch((e: unknown) => e);
    rec.restore();
    expect((err as NodeJS.ErrnoException).code).toBe('EIO');
    expect(readFileSync(path, 'utf8')).toBe('old');
    // a folder at the path: the temp file is made, the rename fails
    mkdirSync(join(folder, 'out'));
    const err2 = await writeOutputFile(join(folder, 'out'), 'x').catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(ConfigError);
    expect((err2 as ConfigError).code).toBe('output_failed');
    expect((err2 as ConfigError).message).toContain('it is a folder (EISDIR)');
    const err3 = await writeOutputFile(join(folder, 'missing', 'x.json'), 'x').catch((e: unknown) => e);
    expect((err3 as ConfigError).code).toBe('output_failed');
    expect((err3 as ConfigError).message).toContain('its folder does not exist (ENOENT)');
    expect(tempFiles(readdirSync(folder))).toEqual([]);
    expect(readdirSync(folder).sort()).toEqual(['out', 'report.html']);
  });

  it('writes into a device instead of renaming over it', async () => {
    await writeOutputFile('/dev/null', 'x');
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });
});
