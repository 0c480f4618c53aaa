import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { registerBench, registerSynth } from '../../src/internal.js';
import { runCli } from '../helpers/cli.js';

const run = (args: string[]): Promise<string> => runCli([registerSynth, registerBench], args);

describe('tsad synth and tsad bench', () => {
  it('writes a corpus, benchmarks it with a floor row, and locates its anomalies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsad-cli-lab-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const corpus = join(dir, 'corpus');
    const said = await run([
      'synth',
      corpus,
      '--seed',
      '9',
      '--per-kind',
      '1',
      '--clean',
      '1',
      '--length',
      '400',
      '--kinds',
      'spike,dip',
    ]);
    expect(said).toContain('3 files, 2 windows (seed 9)');
    expect(existsSync(join(corpus, 'labels', 'combined_windows_kinds.json'))).toBe(true);
    const board = await run([
      'bench',
      '--corpus',
      corpus,
      '-d',
      'zms',
      '--workers',
      '1',
      '-o',
      join(dir, 'out'),
      '--json',
    ]);
    const report = JSON.parse(board) as { rows: { detector: string; floor: boolean }[] };
    expect(report.rows.map((r) => [r.detector, r.floor])).toEqual([
      ['tsad_zms', false],
      ['tsad_floorCdf', true],
    ]);
    const located = await run(['bench', '--corpus', corpus, '--locate', '-d', 'zms']);
    expect(located).toMatch(/zms +\d+\.\d %/);
    // without -d, locate mode runs the two-sided discord, an offline (look-ahead) recipe that runs in
    // locate mode only
    expect(await run(['bench', '--corpus', corpus, '--locate'])).toMatch(/\ndiscordTwoSided +\d+\.\d %/);
    await expect(run(['bench', '--corpus', corpus, '-d', 'discordTwoSided'])).rejects.toThrow(
      /discordTwoSided looks ahead in the series \(offline\): use it with --locate/,
    );
  });

  it('refuses an unknown kind', async () => {
    await expect(run(['synth', join(tmpdir(), 'never'), '--kinds', 'meteor'])).rejects.toThrow(
      /unknown kind "meteor"/,
    );
  });
});
