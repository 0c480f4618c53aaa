/**
 * `tsad bench` as a person runs it, on the built CLI (CI builds first): progress on stderr while the
 * recipes run (`-q` silences it), and Ctrl-C in the middle keeps the files already scored, says so in
 * one line, exits 130, and the same command then goes on from there instead of starting over.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { benchArgs } from '../helpers/built-cli.js';

const repo = resolve(import.meta.dirname, '..', '..');
const cli = join(repo, 'dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'tsad-bench-int-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const corpus = join(dir, 'corpus');
const out = join(dir, 'out');
const FILES = 27;
const bench = (...more: string[]): string[] => [cli, ...benchArgs(corpus, 'default', out, ...more)];

function tsad(args: string[]) {
  return spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', timeout: 300_000 });
}

/** Starts the bench and sends SIGINT once stderr reports 10 files done; resolves with its end. */
function interruptAfterTen(): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const proc = spawn(process.execPath, bench(), { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let sent = false;
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      if (!sent && stderr.includes(`10/${FILES} files`)) {
        sent = true;
        proc.kill('SIGINT');
      }
    });
    proc.on('error', fail);
    proc.on('close', (code) => done({ code, stderr }));
  });
}

describe('tsad bench, progress and Ctrl-C', () => {
  it('shows progress, keeps the files scored before Ctrl-C, and the same command goes on from there', async () => {
    const made = tsad([
      cli,
      'synth',
      corpus,
      '--seed',
      '1',
      '--per-kind',
      '3',
      '--clean',
      '3',
      '--length',
      '5000',
    ]);
    expect(made.status, made.stderr).toBe(0);

    const cut = await interruptAfterTen();
    expect(cut.stderr).toContain(`bench: tsad_default: ${FILES} files to run\n`);
    expect(cut.code, cut.stderr).toBe(130);
    const line =
      /^tsad: interrupted \(SIGINT\); tsad_default: (\d+) files scored and kept \(\1 in this run\); the same command goes on from there$/m.exec(
        cut.stderr,
      );
    expect(line, cut.stderr).not.toBeNull();
    const kept = Number(line?.[1]);
    // the recipe's lock (a second process on this folder is refused while it runs) goes with Ctrl-C
    expect(existsSync(join(out, 'tsad_default.lock'))).toBe(false);
    expect(kept).toBeGreaterThanOrEqual(10);
    expect(kept).toBeLessThan(FILES);
    // the manifest lists exactly the files kept, and each of them is a whole result file
    const listed = Object.keys(JSON.parse(readFileSync(join(out, 'tsad_default.run.json'), 'utf8')).files);
    expect(listed).toHaveLength(kept);
    for (const f of listed) {
      const [category, name] = f.split('/');
      const path = join(out, 'tsad_default', category, `tsad_default_${name}`);
      expect(existsSync(path), path).toBe(true);
      expect(readFileSync(path, 'utf8').split('\n')[0]).toBe('timestamp,value,anomaly_score,label,alarm');
    }

    const again = tsad(bench());
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain(
      `bench: tsad_default: ${FILES - kept} files to run, ${kept} already scored (use --force to redo)\n`,
    );
    expect(again.stdout).toMatch(/^tsad_default +onlinePeak/m);

    // -q: nothing on stderr (every file is reused now)
    const quiet = tsad(bench('-q', '--json'));
    expect(quiet.status, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(JSON.parse(quiet.stdout).rows).toHaveLength(1);
  }, 300_000);
});
