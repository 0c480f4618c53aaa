import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, exitCodeOf, registerRuns } from '../../src/internal.js';
import { openTracker } from '../../src/tracking/index.js';

describe('tsad runs list / show', () => {
  let dir = '';
  let uri = '';
  let runId = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsad-cli-'));
    uri = `file:${join(dir, 'store')}`;
    const t = openTracker(uri);
    runId = await t.run({ experiment: 'nab', name: 'zms-machine-temp' }, async (run) => {
      await run.logParams({ threshold: 3.5 });
      await run.logMetric('f1', 0.5, { step: 0 });
      await run.logMetric('f1', 0.75, { step: 1 });
      await run.logDataset(
        { t: Float64Array.of(0, 60_000), v: Float64Array.of(1, 2) },
        { name: 'machine_temp' },
      );
      await run.logArtifact({ name: 'report.txt', bytes: 'ok' });
      await run.setTag('note', 'clear\u001b[2J\u001b]0;pwned\u0007\nfake line\u009b1m');
      return run.id;
    });
    await t.run({ experiment: 'other', name: 'unrelated' }, () => undefined);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function cli(...args: string[]): Promise<string> {
    let out = '';
    const program = new Command().exitOverride();
    registerRuns(program, { out: (s) => (out += s) });
    await program.parseAsync(['node', 'tsad', 'runs', ...args]);
    return out;
  }

  it('escapes control characters stored in tags (no terminal escape sequences, no injected lines)', async () => {
    const out = await cli('show', runId, '--uri', uri);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: checking that none are printed
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(out).toContain('note = clear\\x1b[2J\\x1b]0;pwned\\x07\\x0afake line\\x9b1m');
    expect(out.split('\n').some((l) => l.startsWith('fake line'))).toBe(false);
  });

  it('lists runs, optionally of one experiment', async () => {
    const all = await cli('list', '--uri', uri);
    expect(all).toContain(runId);
    expect(all).toContain('unrelated');
    expect(all).toContain('f1=0.75');
    const one = await cli('list', '--uri', uri, '--experiment', 'nab');
    expect(one).toContain('zms-machine-temp');
    expect(one).not.toContain('unrelated');
    const json = JSON.parse(await cli('list', '--uri', uri, '--experiment', 'nab', '--json'));
    expect(json[0].info.runId).toBe(runId);
  });

  it('shows params, metrics, tags, datasets and artifacts', async () => {
    const text = await cli('show', runId, '--uri', uri);
    expect(text).toContain('threshold = 3.5');
    expect(text).toContain('f1 = 0.75 (step 1, 2 points)');
    expect(text).toContain('machine_temp [training] rows=2');
    expect(text).toContain('report.txt (2 bytes)');
    expect(text).toContain('mlflow.source.type = LOCAL');
    const json = JSON.parse(await cli('show', runId, '--uri', uri, '--json'));
    expect(json.metricHistory.f1.map((p: { value: number }) => p.value)).toEqual([0.5, 0.75]);
    expect(json.artifacts).toEqual([{ path: 'report.txt', size: 2 }]);
    await expect(cli('show', 'ffffffffffffffffffffffffffffffff', '--uri', uri)).rejects.toThrow(/no run/);
  });

  it('refuses a local store that does not exist instead of creating it', async () => {
    const missing = join(dir, 'no-such-store');
    await expect(cli('list', '--uri', `file:${missing}`)).rejects.toThrow(/no tracking store at/);
    await expect(cli('show', 'abc', '--uri', missing)).rejects.toThrow(/no tracking store at/);
    expect(existsSync(missing)).toBe(false);
  });

  it('refuses to export a store into itself', async () => {
    await expect(cli('export', '--from', uri, '--to', join(dir, 'store'))).rejects.toThrow(/the same store/);
    const runs = JSON.parse(await cli('list', '--uri', uri, '--json')) as unknown[];
    expect(runs).toHaveLength(2);
  });

  it('runs end RUN_ID --status FAILED ends a run its process left RUNNING; an ended run exits 5, a bad status 2', async () => {
    // until track29 the command line had no way to end a run a crashed process left RUNNING
    const t = openTracker(uri);
    const left = await t.startRun({ experiment: 'crashed' });
    await left.logMetric('m', 1);
    const out = await cli('end', left.id, '--status', 'FAILED', '--uri', uri);
    expect(out).toBe(`run ${left.id} ended FAILED\n`);
    expect((await t.getRun(left.id)).info.status).toBe('FAILED');
    const again = await cli('end', left.id, '--status', 'KILLED', '--uri', uri).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((again as Error).message).toMatch(/has ended \(FAILED\) already/);
    expect(exitCodeOf(again)).toBe(EXIT.tracking);
    expect((await t.getRun(left.id)).info.status).toBe('FAILED');
    const missing = await cli(
      'end',
      'ffffffffffffffffffffffffffffffff',
      '--status',
      'FAILED',
      '--uri',
      uri,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(exitCodeOf(missing)).toBe(EXIT.tracking);
    const other = await t.startRun({ experiment: 'crashed' });
    const bad = await cli('end', other.id, '--status', 'RUNNING', '--uri', uri).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((bad as Error).message).toMatch(/FINISHED, FAILED, KILLED/);
    expect(exitCodeOf(bad)).toBe(EXIT.usage);
    expect((await t.getRun(other.id)).info.status).toBe('RUNNING');
    await other.end();
    await t.close();
  });

  it('rejects a --max that is not a positive integer', async () => {
    await expect(cli('list', '--uri', uri, '--max', 'ten')).rejects.toThrow(/expected an integer ≥ 1/);
  });
});
