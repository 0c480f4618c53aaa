import { describe, expect, it } from 'vitest';
import { Stages } from '../../src/internal.js';

function sink(): { lines: string[]; out: NodeJS.WritableStream } {
  const lines: string[] = [];
  const out = { write: (s: string) => lines.push(s) > 0 } as unknown as NodeJS.WritableStream;
  return { lines, out };
}

describe('Stages', () => {
  it('reports a slow synchronous stage when it ends (its timer cannot fire while it runs)', async () => {
    const { lines, out } = sink();
    const stages = new Stages(out, 5);
    await stages.run('busy', () => {
      const end = performance.now() + 20;
      while (performance.now() < end) {
        // busy: the event loop is blocked
      }
    });
    expect(lines).toEqual([expect.stringMatching(/^✓ busy done in \d+\.\d s\n$/)]);
  });

  it('announces a slow asynchronous stage while it runs, then when it ends; fast stages are silent', async () => {
    const { lines, out } = sink();
    const stages = new Stages(out, 5);
    expect(await stages.run('fast', () => 1)).toBe(1);
    await stages.run('wait', () => new Promise((r) => setTimeout(r, 40)));
    expect(lines[0]).toBe('… wait (still running)\n');
    expect(lines[1]).toMatch(/^✓ wait done in/);
    expect(lines).toHaveLength(2);
    expect(stages.timings.map((t) => t.stage)).toEqual(['fast', 'wait']);
  });
});
