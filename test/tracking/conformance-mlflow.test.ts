import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMlflowTracker } from '../../src/tracking/mlflow.js';
import { runTrackerConformance } from '../conformance/tracker-suite.js';
import { type MlflowContractServer, startMlflowContractServer } from './mlflow-contract-server.js';

// The MLflow REST client against the in-process contract server, which checks every request
// against MLflow's documented API; any request it refuses fails the suite.
let server: MlflowContractServer;
let paged: MlflowContractServer;
beforeAll(async () => {
  server = await startMlflowContractServer();
  // Every list endpoint answers 2 items per page: the client must follow next_page_token.
  paged = await startMlflowContractServer({ pageSize: 2 });
});
afterAll(async () => {
  await server.close();
  await paged.close();
});

runTrackerConformance('mlflow (contract server)', () =>
  createMlflowTracker(server.url, { env: {} as NodeJS.ProcessEnv, sleep: async () => {} }),
);

runTrackerConformance(
  'mlflow (contract server, 2 items per page)',
  () => createMlflowTracker(paged.url, { env: {} as NodeJS.ProcessEnv, sleep: async () => {} }),
  { propertyRuns: 5 },
);

describe('mlflow conformance traffic', () => {
  it('every request the suite made satisfied the MLflow API (no refusals besides not-found / already-exists)', () => {
    expect(server.requests.length).toBeGreaterThan(100);
    expect(server.violations).toEqual([]);
    expect(paged.violations).toEqual([]);
    // The paged server really made the client page.
    expect(
      paged.requests.filter((r) => (r.json as { page_token?: unknown } | undefined)?.page_token).length,
    ).toBeGreaterThan(10);
  });
});
