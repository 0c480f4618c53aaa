import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * Tests that start real outside parts: an MLflow server, a PostgreSQL cluster, Chromium, `npm pack`
 * and consumer installs, `tsad serve` or the CLI as child processes, or that score whole NAB corpora.
 * They form the `integration` project; everything else is `unit`. `npm test` is the fast check (biome and
 * the unit project); `npm run test:all` (what CI runs) runs both projects, `npm run test:integration`
 * the slow one alone. A new test file that starts a server or a browser goes here.
 */
const INTEGRATION = [
  // real MLflow servers
  'test/helpers/mlflow-server.test.ts',
  'test/tracking/conformance-mlflow.test.ts',
  'test/tracking/mlflow.test.ts',
  'test/tracking/mlflow-restart.test.ts',
  'test/tracking/export.test.ts',
  'test/tracking/filter-table-servers.test.ts',
  'test/examples/examples.test.ts',
  // real PostgreSQL
  'test/tracking/conformance-pg.test.ts',
  'test/tracking/concurrency.test.ts',
  'test/tracking/sql-migrate.test.ts',
  'test/tracking/sql-lost-reply.test.ts',
  'test/tracking/sql-inputs-concurrent.test.ts',
  'test/tracking/sql-deleted-run.test.ts',
  // MLflow's limits and a dropped PostgreSQL connection against the real servers (MLflow and PostgreSQL)
  'test/tracking/limits-servers.test.ts',
  'test/lifecycle/sql.test.ts',
  'test/lifecycle/promote.test.ts',
  // headless Chromium
  'test/report/html.test.ts',
  'test/lifecycle/drift-report.test.ts',
  // the npm tarball in consumer projects; tsc over the docs' snippets
  'test/package/tarball.test.ts',
  'test/snippets.test.ts',
  // child processes killed mid-write, the service as a process
  'test/tracking/crash.test.ts',
  'test/tracking/disk-full.test.ts',
  'test/tracking/stale-lock.test.ts',
  'test/serve/process.test.ts',
  // whole NAB corpora and experiments end to end (worker threads, tracking, reports)
  'test/metrics/cli-nab.test.ts',
  'test/metrics/nab-corpus.test.ts',
  'test/cli/nab-corpus.test.ts',
  'test/cli/machine-temperature.test.ts',
  'test/cli/interrupt.test.ts',
  'test/cli/bench-interrupt.test.ts',
  'test/cli/bench-code.test.ts',
  'test/cli/bench-nab-fetch.test.ts',
  'test/cli/bin.test.ts',
  'test/cli/walkthrough.test.ts',
  'test/lab/bench.test.ts',
];

// a renamed or deleted file would otherwise drop silently into the unit project (or out of both)
for (const f of INTEGRATION) {
  if (!existsSync(join(import.meta.dirname, f))) {
    throw new Error(
      `vitest.config.ts: ${f} is listed as an integration test but does not exist; update the list`,
    );
  }
}

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // the command lines the tests start leave no code cache and no series cache in the user's cache
    // folder (~/.cache/tsad); the tests of each cache turn it back on (TSAD_DISABLE_CODE_CACHE: '',
    // TSAD_DISABLE_SERIES_CACHE: '') with a folder of their own
    env: { TSAD_DISABLE_CODE_CACHE: '1', TSAD_DISABLE_SERIES_CACHE: '1' },
    // In CI, also write a JSON report so .ci/run can print a one-line "N passed, N failed" summary.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: '.tmp/vitest-report.json' }]]
      : ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: INTEGRATION,
          // Unit files share a worker's module cache instead of re-importing the library per file (about
          // a third of the project's CPU time). Safe because unit files leave no process state behind:
          // env vars, cwd, spies and the model loader are restored in finally/afterAll, registered test
          // detectors use names of their own, and `memory:<name>` stores are named per file.
          isolate: false,
          // one worker per core (vitest's default leaves one core idle: a single worker on 2 cores)
          maxWorkers: '100%',
          // the unit files first; then the integration files, with vitest's default worker count
          sequence: { groupOrder: 0 },
        },
      },
      { extends: true, test: { name: 'integration', include: INTEGRATION, sequence: { groupOrder: 1 } } },
    ],
  },
});
