/**
 * In-memory query evaluation (memory and file backends): filter, sort, truncate.
 */

import { matchesFilter, searchValue } from './filter.js';
import type { NormalizedQuery, OrderBy, RunRecord } from './tracker.js';

function cmpStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sort comparator: the given keys (missing/NaN last), then start_time DESC, then run_id ASC. */
export function compareRuns(orderBy: readonly OrderBy[]): (a: RunRecord, b: RunRecord) => number {
  return (a, b) => {
    for (const o of orderBy) {
      const va = searchValue(a, o.entity, o.key);
      const vb = searchValue(b, o.entity, o.key);
      const missA = va === null || (typeof va === 'number' && Number.isNaN(va));
      const missB = vb === null || (typeof vb === 'number' && Number.isNaN(vb));
      if (missA || missB) {
        if (missA && missB) continue;
        return missA ? 1 : -1;
      }
      let c: number;
      if (typeof va === 'number' && typeof vb === 'number') c = va < vb ? -1 : va > vb ? 1 : 0;
      else c = cmpStrings(String(va), String(vb));
      if (c !== 0) return o.direction === 'DESC' ? -c : c;
    }
    return b.info.startTime - a.info.startTime || cmpStrings(a.info.runId, b.info.runId);
  };
}

/** Filters, sorts and truncates in memory. */
export function applyQuery(runs: RunRecord[], q: NormalizedQuery): RunRecord[] {
  const exps = q.experiments ? new Set(q.experiments) : null;
  const out = runs.filter((r) => (!exps || exps.has(r.experiment)) && matchesFilter(r, q.filter));
  out.sort(compareRuns(q.orderBy));
  return q.maxResults === null ? out : out.slice(0, q.maxResults);
}
