/**
 * `tsad bench` reuses a result file only while what computed it is unchanged (fix29, issue 13): the
 * recipe's config and seed, the data file, and now tsad's code. The built package is copied (dist/,
 * package.json, node_modules linked) so that a detector's compiled module can be edited as a code change
 * with the same config would edit it; the copy's bin then runs the bench as a user runs it.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchArgs, copyBuiltPackage } from '../helpers/built-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tsad-bench-code-'));
const pkg = join(dir, 'pkg');
const cli = join(pkg, 'dist', 'cli', 'main.js');
const corpus = join(dir, 'corpus');
const out = join(dir, 'out');

function tsad(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The bench line of recipe `tsad_zms`: how many files it runs, and how many it reuses. */
function bench(...more: string[]): { run: number; reused: number } {
  const r = tsad(...benchArgs(corpus, 'zms', out, ...more));
  expect(r.status, r.stderr).toBe(0);
  const m = /bench: tsad_zms: (\d+) files to run(?:, (\d+) already scored)?/.exec(r.stderr);
  expect(m, r.stderr).not.toBeNull();
  return { run: Number(m?.[1]), reused: Number(m?.[2] ?? 0) };
}

beforeAll(() => {
  copyBuiltPackage(pkg);
  const made = tsad(
    'synth',
    corpus,
    '--seed',
    '5',
    '--per-kind',
    '1',
    '--clean',
    '1',
    '--length',
    '600',
    '--kinds',
    'spike,flatline',
  );
  expect(made.status, made.stderr).toBe(0);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tsad bench after a code change', () => {
  it('runs every file again when the code that computed the results changed (same recipe, config, seed and data)', () => {
    expect(bench()).toEqual({ run: 3, reused: 0 });
    expect(bench()).toEqual({ run: 0, reused: 3 }); // nothing changed: every result is reused
    // a change to the detector's code, its config the same (here a comment: the scores cannot tell,
    // the fingerprint must)
    appendFileSync(join(pkg, 'dist', 'src', 'detectors', 'zms.js'), '\n// a code change\n');
    expect(bench()).toEqual({ run: 3, reused: 0 });
    expect(bench()).toEqual({ run: 0, reused: 3 });
    expect(bench('--force')).toEqual({ run: 3, reused: 0 });
  });
});
