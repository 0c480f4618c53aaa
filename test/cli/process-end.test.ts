/**
 * How a one-shot command's process ends (src/cli/process-end.ts): once the command has marked
 * itself done, the bin's `endIfDone` ends the process after stdout and stderr have taken what was
 * written, with the exit code set and the `exit` handlers run, even while something would still
 * keep Node's event loop alive; a command that did not mark itself done is left to end as usual.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const internal = resolve(import.meta.dirname, '..', '..', 'src', 'internal.ts');

/** A child process that writes 1 MiB to stdout, keeps a 60 s interval running, then calls `endIfDone`. */
function child(markDone: boolean) {
  const driver = `
const { commandDone, endIfDone } = await import(${JSON.stringify(internal)});
process.on('exit', (code) => process.stderr.write('exit handler, code ' + code + '\\n'));
process.exitCode = 7;
process.stdout.write('x'.repeat(1 << 20) + '\\n');
const keep = setInterval(() => {}, 60_000);
${markDone ? 'commandDone();' : ''}
await endIfDone();
// reached only when the process goes on: let it end as Node would
process.stderr.write('went on\\n');
clearInterval(keep);
`;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', driver], {
    encoding: 'utf8',
    maxBuffer: 4 << 20,
    timeout: 50_000,
  });
}

describe('endIfDone (the bin, after the command returns)', () => {
  it('a command marked done: the process ends at once, its output whole, exit handlers run, its exit code kept', () => {
    const r = child(true);
    expect(r.error).toBeUndefined(); // not killed by the timeout: the 60 s interval did not hold it
    expect(r.status).toBe(7);
    expect(r.stdout).toBe(`${'x'.repeat(1 << 20)}\n`);
    expect(r.stderr).toBe('exit handler, code 7\n');
  });

  it('a command not marked done: nothing happens, the process goes on and ends as usual', () => {
    const r = child(false);
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(7);
    expect(r.stdout).toBe(`${'x'.repeat(1 << 20)}\n`);
    expect(r.stderr).toBe('went on\nexit handler, code 7\n');
  });
});
