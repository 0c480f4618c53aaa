import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MlflowServer, startMlflow } from './mlflow-server.js';

// The test helper starts the real MLflow server and reads its store back through MLflow's client.
let server: MlflowServer;
beforeAll(async () => {
  server = await startMlflow({ backend: 'sqlite' });
});
afterAll(async () => {
  await server?.close();
});

describe('real MLflow server helper', () => {
  it('answers /health and read_store.py lists the Default experiment', async () => {
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    const dump = (await server.readStore()) as { experiments: { name: string }[]; mlflow_version: string };
    expect(dump.mlflow_version).toMatch(/^3\./);
    expect(dump.experiments.map((e) => e.name)).toContain('Default');
  });
});
