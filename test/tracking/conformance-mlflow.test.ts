import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMlflowTracker, MlflowApiError } from '../../src/tracking/index.js';
import { runTrackerConformance } from '../conformance/tracker-suite.js';
import { type MlflowServer, startMlflow } from '../helpers/mlflow-server.js';
import { writeAndReadBack } from './mlflow-readback.js';

// The tracker conformance suite against the real MLflow server (../shared/mlflow), on its SQLite
// and file backends; each server starts once for this file.
let sqlite: MlflowServer;
let file: MlflowServer;
let auth: MlflowServer;
beforeAll(async () => {
  [sqlite, file, auth] = await Promise.all([
    startMlflow({ backend: 'sqlite' }),
    startMlflow({ backend: 'file' }),
    startMlflow({ backend: 'sqlite', auth: true }),
  ]);
}, 180_000);
afterAll(async () => {
  await Promise.all([sqlite?.close(), file?.close(), auth?.close()]);
});

runTrackerConformance(
  'mlflow (real server, sqlite)',
  () => createMlflowTracker(sqlite.url, { env: {} as NodeJS.ProcessEnv }),
  { second: () => createMlflowTracker(sqlite.url, { env: {} as NodeJS.ProcessEnv }) },
);
runTrackerConformance(
  'mlflow (real server, file)',
  () => createMlflowTracker(file.url, { env: {} as NodeJS.ProcessEnv }),
  {
    quotesInExperimentNames: false,
    second: () => createMlflowTracker(file.url, { env: {} as NodeJS.ProcessEnv }),
  },
);

describe("read back through MLflow's own Python client", () => {
  it('sqlite: every param, metric history, tag, dataset input, artifact, logged model and registry entry', async () => {
    await writeAndReadBack(createMlflowTracker(sqlite.url, { env: {} as NodeJS.ProcessEnv }), sqlite);
  }, 120_000);
  it('file: every param, metric history, tag, dataset input, artifact, logged model and registry entry', async () => {
    await writeAndReadBack(createMlflowTracker(file.url, { env: {} as NodeJS.ProcessEnv }), file);
  }, 120_000);
});

describe("the real server's basic-auth app", () => {
  it('401 without credentials names the variables; env credentials and URI credentials work; none shown', async () => {
    const { user, password } = auth.credentials as { user: string; password: string };
    const anon = createMlflowTracker(auth.url, { env: {} as NodeJS.ProcessEnv, retryBudgetMs: 0 });
    const err = await anon.listExperiments().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowApiError);
    expect((err as MlflowApiError).status).toBe(401);
    expect((err as Error).message).toMatch(/MLFLOW_TRACKING_USERNAME/);
    const viaEnv = createMlflowTracker(auth.url, {
      env: { MLFLOW_TRACKING_USERNAME: user, MLFLOW_TRACKING_PASSWORD: password } as NodeJS.ProcessEnv,
    });
    const id = await viaEnv.run({ experiment: 'auth' }, async (run) => {
      await run.logMetric('m', 1);
      return run.id;
    });
    const u = new URL(auth.url);
    u.username = user;
    u.password = password;
    const viaUri = createMlflowTracker(u.toString(), { env: {} as NodeJS.ProcessEnv });
    expect(viaUri.uri).not.toContain(password);
    expect((await viaUri.getRun(id)).info.status).toBe('FINISHED');
    const dump = (await auth.readStore()) as { experiments: { name: string; runs: unknown[] }[] };
    expect(dump.experiments.find((e) => e.name === 'auth')?.runs.length).toBe(1);
  }, 120_000);
});
