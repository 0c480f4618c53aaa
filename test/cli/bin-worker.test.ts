/**
 * Which command lines make the bin start the forest's batch worker before the command line's
 * bundle loads (src/cli/threads.ts `binStartsForestWorker`). The built bin itself (one worker,
 * started before the bundle is read, used by the command): test/cli/bin.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binStartsForestWorker } from '../../src/internal.js';

const two = () => 2;
const one = () => 1;
const MT = ['nab', 'machine-temperature'];

describe('binStartsForestWorker (the bin reads the words before the bundle loads)', () => {
  it('starts it for nab machine-temperature with --threads 2 or more, or without --threads when the default says 2', () => {
    expect(binStartsForestWorker([...MT, '--threads', '2'], one)).toBe(true);
    expect(binStartsForestWorker([...MT, '--threads=3'], one)).toBe(true);
    expect(binStartsForestWorker([...MT, '--json', '--report', 'r.html'], two)).toBe(true);
    expect(binStartsForestWorker([...MT], one)).toBe(false);
    expect(binStartsForestWorker([...MT, '--threads', '1'], two)).toBe(false);
    expect(binStartsForestWorker([...MT, '--threads=1'], two)).toBe(false);
    // the last --threads counts, as commander reads it
    expect(binStartsForestWorker([...MT, '--threads', '2', '--threads', '1'], two)).toBe(false);
    expect(binStartsForestWorker([...MT, '--threads', '1', '--threads', '2'], one)).toBe(true);
  });

  it('does not start it for other commands, a help page, --retrain, or a --threads the command will refuse', () => {
    for (const args of [
      [],
      ['nab'],
      ['nab', 'corpus'],
      ['detect', 'machine-temperature'],
      ['machine-temperature', 'nab'],
      [...MT, '--help'],
      [...MT, '-h'],
      [...MT, '--retrain', 'once'],
      [...MT, '--retrain=all'],
      [...MT, '--threads'],
      [...MT, '--threads', 'two'],
      [...MT, '--threads', '0'],
      [...MT, '--threads=-2'],
    ])
      expect(binStartsForestWorker(args, two), args.join(' ')).toBe(false);
    // words after `--` are not options
    expect(binStartsForestWorker([...MT, '--', '--threads', '2'], one)).toBe(false);
    expect(binStartsForestWorker([...MT, '--', '--help'], two)).toBe(true);
  });

  it('never starts it without nab machine-temperature first, whatever follows (fast-check)', () => {
    const word = fc.constantFrom(
      'nab',
      'machine-temperature',
      '--threads',
      '2',
      '--json',
      'x',
      '--',
      'corpus',
    );
    fc.assert(
      fc.property(fc.array(word, { maxLength: 8 }), (args) => {
        const started = binStartsForestWorker(args, two);
        if (args[0] !== 'nab' || args[1] !== 'machine-temperature') expect(started).toBe(false);
      }),
    );
  });
});
