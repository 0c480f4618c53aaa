import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMlflowTracker } from '../../src/tracking/mlflow.js';
import { runTrackerConformance } from '../conformance/tracker-suite.js';
import { type MlflowContractServer, startMlflowContractServer } from './mlflow-contract-server.js';

// The MLflow REST client against the in-process contract server, which checks every request
// against MLflow's documented API; any request it refuses fails the suite.
let server: MlflowContractServer;
beforeAll(async () => {
  server = await startMlflowContractServer();
});
afterAll(async () => {
  await server.close();
});

runTrackerConformance('mlflow (contract server)', () =>
  createMlflowTracker(server.url, { env: {} as NodeJS.ProcessEnv, sleep: async () => {} }),
);

describe('mlflow conformance traffic', () => {
  it('every request the suite made satisfied the MLflow API (no refusals besides not-found / already-exists)', () => {
    expect(server.requests.length).toBeGreaterThan(100);
    expect(server.violations).toEqual([]);
  });
});
