import { afterAll, beforeAll, describe, it } from 'vitest';
import { createMlflowTracker } from '../../src/tracking/mlflow.js';
import { runTrackerConformance } from '../conformance/tracker-suite.js';
import { type MlflowServer, startMlflow } from '../helpers/mlflow-server.js';
import { writeAndReadBack } from './mlflow-readback.js';

// The tracker conformance suite against the real MLflow server (../shared/mlflow), on its SQLite
// and file backends; each server starts once for this file.
let sqlite: MlflowServer;
let file: MlflowServer;
beforeAll(async () => {
  [sqlite, file] = await Promise.all([startMlflow({ backend: 'sqlite' }), startMlflow({ backend: 'file' })]);
}, 180_000);
afterAll(async () => {
  await Promise.all([sqlite?.close(), file?.close()]);
});

runTrackerConformance('mlflow (real server, sqlite)', () =>
  createMlflowTracker(sqlite.url, { env: {} as NodeJS.ProcessEnv }),
);
runTrackerConformance(
  'mlflow (real server, file)',
  () => createMlflowTracker(file.url, { env: {} as NodeJS.ProcessEnv }),
  { quotesInExperimentNames: false },
);

describe("read back through MLflow's own Python client", () => {
  it('sqlite: every param, metric history, tag, dataset input, artifact, logged model and registry entry', async () => {
    await writeAndReadBack(createMlflowTracker(sqlite.url, { env: {} as NodeJS.ProcessEnv }), sqlite);
  }, 120_000);
  it('file: every param, metric history, tag, dataset input, artifact, logged model and registry entry', async () => {
    await writeAndReadBack(createMlflowTracker(file.url, { env: {} as NodeJS.ProcessEnv }), file);
  }, 120_000);
});
