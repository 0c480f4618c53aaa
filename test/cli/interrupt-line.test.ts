import { describe, expect, it } from 'vitest';
import { interruptLine } from '../../src/internal.js';

const base = {
  sig: 'SIGINT' as const,
  killed: [],
  failed: [],
  storeTimedOut: false,
  writesTimedOut: false,
  note: '',
};

describe('the line an interrupted command prints', () => {
  it('names the runs ended KILLED, and blames the tracking store only when it did not answer', () => {
    expect(interruptLine({ ...base, killed: ['r1'] })).toBe(
      'tsad: interrupted (SIGINT); run r1 ended KILLED',
    );
    expect(
      interruptLine({ ...base, sig: 'SIGTERM', failed: ['r2'], storeTimedOut: true, writesTimedOut: true }),
    ).toBe(
      'tsad: interrupted (SIGTERM); could not end run r2 (it stays RUNNING); the tracking store did not answer within 5 s',
    );
  });

  it('a command that tracks nothing (tsad bench) whose own writes did not settle: no tracking store is blamed', () => {
    const line = interruptLine({ ...base, writesTimedOut: true, note: 'tsad_zms: 3 files scored and kept' });
    expect(line).not.toContain('tracking store');
    expect(line).toBe(
      'tsad: interrupted (SIGINT); writes still in progress after 5 s were abandoned (each file keeps its last complete version); tsad_zms: 3 files scored and kept',
    );
  });
});
