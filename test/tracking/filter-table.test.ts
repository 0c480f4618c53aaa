import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchesFilter } from '../../src/internal.js';
import {
  createMlflowTracker,
  formatFilter,
  openTracker,
  parseFilter,
  type Tracker,
} from '../../src/tracking/index.js';
import { type MlflowServer, startMlflow } from '../helpers/mlflow-server.js';
import { type PgServer, startPostgres } from './pg-server.js';

// One table of filter strings and the runs each selects, checked against the filter module's own
// matcher and against every backend (memory, local store, PostgreSQL, the real MLflow server).

interface Spec {
  name: string;
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
}

const RUNS: Spec[] = [
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
const TABLE: [string, string[]][] = [
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

async function seed(t: Tracker, experiment: string): Promise<void> {
  for (const r of RUNS) {
    await t.run({ experiment, name: r.name, tags: r.tags }, async (run) => {
      await run.logParams(r.params);
      if (Object.keys(r.metrics).length) await run.logMetrics(r.metrics);
    });
  }
}

async function selected(t: Tracker, experiment: string, filter: string): Promise<string[]> {
  const runs = await t.searchRuns({ experiment, filter });
  return runs.map((r) => r.info.runName).sort();
}

describe('the filter table', () => {
  it('parseFilter → formatFilter → parseFilter is stable on every row', () => {
    for (const [filter] of TABLE) {
      const clauses = parseFilter(filter);
      expect(parseFilter(formatFilter(clauses)), filter).toEqual(clauses);
    }
  });

  it('the matcher selects the table’s runs (in memory, over the same records every backend returns)', async () => {
    const t = openTracker('memory:');
    await seed(t, 'table');
    const all = await t.searchRuns({ experiment: 'table' });
    for (const [filter, want] of TABLE) {
      const got = all.filter((r) => matchesFilter(r, parseFilter(filter))).map((r) => r.info.runName);
      expect(got.sort(), filter).toEqual(want);
    }
  });
});

let dir = '';
let pg: PgServer | undefined;
let mlflow: MlflowServer | undefined;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-filter-table-'));
  [pg, mlflow] = await Promise.all([startPostgres(), startMlflow({ backend: 'sqlite' })]);
}, 180_000);
afterAll(async () => {
  await Promise.all([pg?.stop(), mlflow?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const BACKENDS: [string, () => Tracker][] = [
  ['memory', () => openTracker('memory:')],
  ['local store', () => openTracker(`file:${dir}/store`)],
  ['PostgreSQL', () => openTracker(`${pg?.uri}?schema=filter_table`)],
  ['MLflow (real server)', () => createMlflowTracker(mlflow?.url ?? '', { env: {} as NodeJS.ProcessEnv })],
];

describe.each(BACKENDS)('every row of the filter table on %s', (_name, open) => {
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
