import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchesFilter } from '../../src/internal.js';
import { formatFilter, openTracker, parseFilter, type Tracker } from '../../src/tracking/index.js';
import { describeTableOn, seed, TABLE } from './filter-table.js';

// The filter table (filter-table.ts) against the filter module's own matcher and the in-process
// backends; filter-table-servers.test.ts runs it on PostgreSQL and the real MLflow server.

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
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-filter-table-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BACKENDS: [string, () => Tracker][] = [
  ['memory', () => openTracker('memory:')],
  ['local store', () => openTracker(`file:${dir}/store`)],
];

describeTableOn(BACKENDS);
