/**
 * `tsad serve`'s poll and SIGHUP handler (`reloadTrigger`): a reload asked for while one runs is run
 * after it, once however many were asked for meanwhile, and each outcome is reported.
 */
import { describe, expect, it, vi } from 'vitest';
import { reloadTrigger } from '../../src/internal.js';
import { type Gate, gate } from '../helpers/gate.js';

/** A reload held until its gate opens, answering `changed` (or failing with `fail`). */
function heldReloads() {
  const calls: Gate[] = [];
  const outcomes: (string[] | Error)[] = [];
  const reload = async (): Promise<string[]> => {
    const g = gate();
    calls.push(g);
    await g.wait;
    const o = outcomes.shift() ?? [];
    if (o instanceof Error) throw o;
    return o;
  };
  return { reload, calls, outcomes };
}

describe('reloadTrigger', () => {
  it('a SIGHUP during a reload runs one more reload after it (it was dropped), however many came meanwhile', async () => {
    const { reload, calls, outcomes } = heldReloads();
    const lines: string[] = [];
    const trigger = reloadTrigger(reload, (l) => lines.push(l));
    outcomes.push(['models:/cpu@champion'], new Error('registry down'));
    const first = trigger('poll');
    expect(calls).toHaveLength(1);
    const during = [trigger('SIGHUP'), trigger('SIGHUP'), trigger('poll')];
    expect(calls).toHaveLength(1); // not two at once
    calls[0].open();
    // the first is done, the one asked for meanwhile runs (the last reason given); every trigger's
    // promise settles once both are done
    await vi.waitFor(() => expect(calls).toHaveLength(2), { timeout: 10_000 });
    calls[1].open();
    await Promise.all([first, ...during]);
    expect(calls).toHaveLength(2);
    expect(lines).toEqual([
      'tsad serve: reloaded models:/cpu@champion (poll)\n',
      'tsad serve: reload failed (poll): registry down\n',
    ]);
    // idle again: the next one runs at once
    const later = trigger('SIGHUP');
    expect(calls).toHaveLength(3);
    calls[2].open();
    await later;
    expect(lines).toHaveLength(2); // nothing changed: nothing said
  });
});
