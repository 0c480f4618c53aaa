import { spawn } from 'node:child_process';
import { cpSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..', '..');

/**
 * Copies the built package (dist/ and package.json; node_modules linked, not copied) into `pkg`, so
 * that a test can edit the copy's compiled code or give it a `../shared` of its own. Returns the
 * copy's bin (`dist/cli/main.js`).
 */
export function copyBuiltPackage(pkg: string): string {
  cpSync(join(repo, 'dist'), join(pkg, 'dist'), { recursive: true });
  cpSync(join(repo, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(join(repo, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  return join(pkg, 'dist', 'cli', 'main.js');
}

/** The arguments of `tsad bench` on `corpus` with one recipe, one worker and no floor row, then `more`. */
export function benchArgs(corpus: string, recipe: string, out: string, ...more: string[]): string[] {
  return ['bench', '--corpus', corpus, '-d', recipe, '--no-floor', '--workers', '1', '-o', out, ...more];
}

/** What a bin run ended with. */
export interface BinResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node bin ...args` as its own process without blocking this one (a server the test runs can
 * answer it meanwhile), and resolves with its exit status and everything it wrote.
 */
export function runBin(
  bin: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<BinResult> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [bin, ...args], options);
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    p.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    p.on('error', fail);
    p.on('close', (status) => done({ status, stdout, stderr }));
  });
}
