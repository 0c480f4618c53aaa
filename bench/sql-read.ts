/**
 * What `readSql` costs on a large table (docs/evaluation.md, "Tracking leftovers (track44)"): starts a
 * private PostgreSQL (test/tracking/pg-server.ts), fills a raw table of N rows (one a minute) on the
 * server, and reads it whole with `readSql` in a fresh Node process per run: wall time of the read and
 * the process's peak RSS. With several `--dist` builds the runs alternate between them (a build, the
 * next, …) R times; `--dist .` is this checkout's build. Prints min / median / max per build and the
 * load average before and after.
 *
 *   npx tsx bench/sql-read.ts [--dist DIR]… [--runs R = 5] [N = 2000000]
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import type * as LifecycleModule from '../src/lifecycle/index.js';
import { startPostgres } from '../test/tracking/pg-server.js';
import { distModules } from './dist.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at < 0 ? undefined : args.splice(at, 2)[1];
};

if (args[0] === '--child') {
  // one read in this process: {"ms":…,"rssMiB":…,"rows":…,"digest":…} on stdout
  const uri = args[1];
  const dist = option('--dist');
  const { readSql } = (await import(distModules(dist)('lifecycle/index'))) as typeof LifecycleModule;
  const t0 = performance.now();
  const { source } = await readSql(uri, { table: 'bench_read' });
  const ms = performance.now() - t0;
  const rssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ ms, rssMiB, rows: source.rows, digest: source.digest }));
} else {
  const dists: string[] = [];
  for (let d = option('--dist'); d !== undefined; d = option('--dist')) dists.push(d);
  if (dists.length === 0) dists.push('.');
  const runs = Number(option('--runs') ?? 5);
  const n = Number(args[0] ?? 2_000_000);
  if (!(Number.isInteger(n) && n > 0 && Number.isInteger(runs) && runs > 0))
    throw new Error('N and --runs are positive integers');
  const pg = await startPostgres();
  try {
    const pgModule = (await import('pg')).default;
    const c = new pgModule.Client({ connectionString: pg.uri });
    await c.connect();
    await c.query(
      `CREATE TABLE bench_read AS SELECT to_timestamp(1704067200 + i * 60) AS "time", sin(i)::float8 AS "value" FROM generate_series(0, ${n - 1}) AS i`,
    );
    await c.end();
    const load = () =>
      loadavg()
        .map((x) => x.toFixed(2))
        .join(' ');
    console.log(`${n} rows; load average before: ${load()}`);
    const results = new Map<string, { ms: number; rssMiB: number; digest: string }[]>(
      dists.map((d) => [d, []]),
    );
    for (let r = 0; r < runs; r++) {
      for (const d of dists) {
        const out = execFileSync(
          process.execPath,
          ['--import', 'tsx', import.meta.filename, '--child', pg.uri, '--dist', d],
          { encoding: 'utf8' },
        );
        results.get(d)?.push(JSON.parse(out));
      }
    }
    const stats = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return `${s[0].toFixed(0)} / ${s[Math.floor(s.length / 2)].toFixed(0)} / ${s[s.length - 1].toFixed(0)}`;
    };
    for (const [d, rs] of results) {
      console.log(
        `${d}: read ${stats(rs.map((x) => x.ms))} ms, peak RSS ${stats(rs.map((x) => x.rssMiB))} MiB (min / median / max of ${rs.length}); digest ${rs[0].digest.slice(0, 16)}`,
      );
    }
    console.log(`load average after: ${load()}`);
  } finally {
    await pg.stop();
  }
}
