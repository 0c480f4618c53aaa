import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openTracker, TrackingError } from '../../src/index.js';
import { reportCommand } from '../../src/internal.js';

const dir = mkdtempSync(join(tmpdir(), 'tsad-report-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tsad report RUN_ID', () => {
  it('writes the report a run stored, and says what to do when a run has none', async () => {
    const uri = `file:${join(dir, 'store')}`;
    const t = openTracker(uri);
    const withReport = await t.run({ experiment: 'e' }, async (run) => {
      await run.logArtifact({ name: 'report.html', bytes: '<!doctype html><p>hello</p>' });
      return run.id;
    });
    const without = await t.run({ experiment: 'e' }, async (run) => run.id);
    await t.close();
    const out = join(dir, 'r.html');
    expect(await reportCommand(withReport, { uri, out })).toBe(out);
    expect(readFileSync(out, 'utf8')).toBe('<!doctype html><p>hello</p>');
    await expect(reportCommand(without, { uri, out })).rejects.toThrow(TrackingError);
    await expect(reportCommand(without, { uri, out })).rejects.toThrow(/has no report.html artifact/);
  });
});
