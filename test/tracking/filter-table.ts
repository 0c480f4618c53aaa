import { describe, expect, it } from 'vitest';
import type { Tracker } from '../../src/tracking/index.js';

/**
 * One table of filter strings and the runs each selects. `filter-table.test.ts` checks it against the
 * filter module's own matcher, memory and the local store; `filter-table-servers.test.ts` (integration)
 * against PostgreSQL and the real MLflow server.
 */

export interface Spec {
  name: string;
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
}

export const RUNS: Spec[] = [
  { name: 'a', metrics: { f1: 0.9, loss: 1 }, params: { model: 'zms', window: '10' }, tags: { team: 'ops' } },
  {
    name: 'b',
    metrics: { f1: 0.5, loss: Number.NaN },
    params: { model: 'ets', window: '20' },
    tags: { team: 'Ops' },
  },
  { name: 'c', metrics: { f1: 0.2 }, params: { model: 'zms_x' }, tags: { team: 'data', 'my tag': 'x' } },
  { name: 'd', metrics: {}, params: { model: '50%' }, tags: {} },
];

/** filter → the names of the runs it selects, in name order. */
export const TABLE: [string, string[]][] = [
  ['metrics.f1 > 0.4', ['a', 'b']],
  ['metrics.f1 >= 0.5', ['a', 'b']],
  ['metrics.f1 < 0.5', ['c']],
  ['metrics.f1 != 0.5', ['a', 'c']],
  ['metrics.f1 = 0.9', ['a']],
  ['metrics.loss < 5', ['a']],
  ['metrics.loss != 5', ['a']],
  ["params.model = 'zms'", ['a']],
  ["params.model != 'zms'", ['b', 'c', 'd']],
  ["params.model LIKE 'zms%'", ['a', 'c']],
  // in a filter string a backslash escapes within the quotes, so LIKE sees `\_` from `\\_`
  ["params.model LIKE 'zms\\\\_%'", ['c']],
  ["params.model LIKE '%\\\\%'", ['d']],
  ["params.model LIKE '%\\%'", ['a', 'b', 'c', 'd']],
  ["params.model LIKE '_ms'", ['a']],
  ["params.window = '10'", ['a']],
  ["tags.team = 'ops'", ['a']],
  ["tags.team ILIKE 'ops'", ['a', 'b']],
  ["tags.team LIKE 'O%'", ['b']],
  ["tags.`my tag` = 'x'", ['c']],
  ['tags."my tag" = \'x\'', ['c']],
  ["attributes.run_name = 'b'", ['b']],
  ["attributes.run_name LIKE '%'", ['a', 'b', 'c', 'd']],
  ["metrics.f1 > 0.1 and params.model LIKE 'zms%' and tags.team = 'data'", ['c']],
  ["metrics.f1 > 0.1 AND tags.team ILIKE 'OPS'", ['a', 'b']],
];

export async function seed(t: Tracker, experiment: string): Promise<void> {
  for (const r of RUNS) {
    await t.run({ experiment, name: r.name, tags: r.tags }, async (run) => {
      await run.logParams(r.params);
      if (Object.keys(r.metrics).length) await run.logMetrics(r.metrics);
    });
  }
}

export async function selected(t: Tracker, experiment: string, filter: string): Promise<string[]> {
  const runs = await t.searchRuns({ experiment, filter });
  return runs.map((r) => r.info.runName).sort();
}

/** One test per backend: seeded with the table's runs, every row selects the same runs. */
export function describeTableOn(backends: [string, () => Tracker][]): void {
  describe.each(backends)('every row of the filter table on %s', (_name, open) => {
    it('selects the same runs', async () => {
      const t = open();
      try {
        await seed(t, 'table');
        for (const [filter, want] of TABLE) expect(await selected(t, 'table', filter), filter).toEqual(want);
      } finally {
        await t.close();
      }
    }, 120_000);
  });
}
